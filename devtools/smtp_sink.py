"""A real SMTP server on 127.0.0.1 that keeps every message it receives in memory.

The tests send the portal's emails through it (the same smtplib code path production uses),
and `make run` starts one on 127.0.0.1:1025 and prints each message it receives, so the demo's
emails really go through SMTP. `python -m devtools.smtp_sink [PORT]` runs one on its own.
"""

from __future__ import annotations

import email
import email.policy
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it: the envelope and the parsed message."""

    mail_from: str
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


class _KeepingHandler:
    """aiosmtpd calls handle_DATA for each message; it keeps it (or refuses it when told to)."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.sink.refusing:
            # A permanent-looking refusal, as a mail server gives when it will not take mail.
            return "554 Transaction failed: this test server is refusing mail"
        # The default policy parses into EmailMessage (get_body, get_content).
        message = cast(
            EmailMessage,
            email.message_from_bytes(envelope.content, policy=email.policy.default),
        )
        received = ReceivedMessage(
            mail_from=envelope.mail_from,
            recipients=tuple(envelope.rcpt_tos),
            message=message,
        )
        with self.sink.lock:
            self.sink.messages.append(received)
        if self.sink.on_message is not None:
            self.sink.on_message(received)
        return "250 Message accepted for delivery"


class _AnyPortController(Controller):
    """aiosmtpd's Controller checks its server by connecting to the port it was given, which
    fails for port 0 (any free port); this one learns the port the server was given first."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()


class SmtpSink:
    """A running SMTP server bound to 127.0.0.1 (port 0 picks a free one)."""

    def __init__(
        self,
        port: int = 0,
        on_message: Callable[[ReceivedMessage], None] | None = None,
    ) -> None:
        self.messages: list[ReceivedMessage] = []
        self.lock = threading.Lock()
        self.refusing = False
        self.on_message = on_message
        self._controller = _AnyPortController(_KeepingHandler(self), hostname=LOOPBACK, port=port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def host(self) -> str:
        return LOOPBACK

    def environment(self, mail_from: str = "virtual.school@demo.openpep.test") -> dict[str, str]:
        """The portal's environment variables that send its email here."""
        return {
            "OPENPEP_SMTP_HOST": LOOPBACK,
            "OPENPEP_SMTP_PORT": str(self.port),
            "OPENPEP_MAIL_FROM": mail_from,
        }

    def received(self) -> list[ReceivedMessage]:
        with self.lock:
            return list(self.messages)

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedMessage]:
        """The messages received, once there are at least `count` (or when `timeout` ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.received()
            if len(messages) >= count:
                return messages
            time.sleep(0.02)
        return self.received()


@contextmanager
def running_smtp_sink(port: int = 0) -> Iterator[SmtpSink]:
    sink = SmtpSink(port).start()
    try:
        yield sink
    finally:
        sink.stop()


def print_message(received: ReceivedMessage) -> None:
    """How `make run` shows an email the portal sent: who to, the subject, and its text."""
    print(
        f"\n--- Email to {', '.join(received.recipients)}: {received.subject}\n"
        f"{received.text.strip()}\n---",
        flush=True,
    )


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 1025
    sink = SmtpSink(port, on_message=print_message).start()
    print(f"SMTP sink listening on {LOOPBACK}:{sink.port}; Ctrl-C stops it.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
