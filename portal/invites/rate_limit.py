"""Slowing down anyone guessing invite links: failed lookups per client address.

The counter lives in this process's memory. With several worker processes (gunicorn
--workers 4) each keeps its own count, so an attacker gets up to the limit per worker: a
multi-process deployment should also rate-limit /i/ in a shared layer in front (the reverse
proxy, or a shared store such as Redis).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_SECONDS = 600.0


class FailedAttemptLimiter:
    """A thread-safe sliding window of failed attempts, per key (the client address)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        return failures

    def is_blocked(self, key: str) -> bool:
        with self._lock:
            now = self._clock()
            blocked = len(self._recent(key, now)) >= self.max_failures
            if not self._failures[key]:
                del self._failures[key]  # forget addresses that stopped failing
            return blocked

    def record_failure(self, key: str) -> bool:
        """Count a failure; True when this one reached the limit."""
        with self._lock:
            failures = self._recent(key, self._clock())
            failures.append(self._clock())
            return len(failures) == self.max_failures
