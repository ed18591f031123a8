"""Counting refusals where every worker process and host sees the same count: the database.

A counter is a row per (scope, key, fixed window): counting is one atomic upsert, so two
workers counting at the same moment both count. Rows whose window has ended are deleted as
new ones are counted. A fixed window lets up to twice the limit through across a window's
boundary; that is enough to stop a flood, which is all these limits are for (an invite token
has 256 random bits: nobody guesses one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portal.models import RateLimitCounter
from portal.models.base import utc_now

MAX_FAILURES = 10
WINDOW_SECONDS = 600

# What is counted (RateLimitCounter.scope).
INVITE_FAILURES_BY_ADDRESS = "invite_address"
INVITE_FAILURES_BY_TOKEN = "invite_token"  # noqa: S105 - a counter's name, not a secret
REFUSED_TRANSITIONS = "pep_refusal"


@dataclass(frozen=True)
class Limit:
    """At most `max_hits` of one scope and key in `window_seconds`."""

    scope: str
    max_hits: int = MAX_FAILURES
    window_seconds: int = WINDOW_SECONDS

    def window_of(self, now: datetime) -> tuple[datetime, datetime]:
        seconds = int(now.timestamp())
        start = datetime.fromtimestamp(seconds - seconds % self.window_seconds, tz=now.tzinfo)
        return start, start + timedelta(seconds=self.window_seconds)


def hits_so_far(session: Session, limit: Limit, key: str, now: datetime | None = None) -> int:
    """How many times `key` was counted in the current window."""
    start, _ = limit.window_of(now or utc_now())
    hits = session.scalar(
        select(RateLimitCounter.hits).where(
            RateLimitCounter.scope == limit.scope,
            RateLimitCounter.key == key[:128],
            RateLimitCounter.window_start_utc == start,
        )
    )
    return hits or 0


def is_limited(session: Session, limit: Limit, key: str, now: datetime | None = None) -> bool:
    return hits_so_far(session, limit, key, now) >= limit.max_hits


def count_hit(session: Session, limit: Limit, key: str, now: datetime | None = None) -> int:
    """Count one more for `key` and return the count in this window, this one included.

    Runs in the caller's transaction; the caller commits."""
    now = now or utc_now()
    start, end = limit.window_of(now)
    forget_ended_windows(session, now)
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = RateLimitCounter.__table__
    statement = (
        insert(table)
        .values(
            scope=limit.scope, key=key[:128], window_start_utc=start, hits=1, expires_at_utc=end
        )
        .on_conflict_do_update(
            index_elements=[table.c.scope, table.c.key, table.c.window_start_utc],
            set_={"hits": table.c.hits + 1},
        )
        .returning(table.c.hits)
    )
    return int(session.execute(statement).scalar_one())


def forget_ended_windows(session: Session, now: datetime | None = None) -> None:
    session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.expires_at_utc <= (now or utc_now()))
    )
