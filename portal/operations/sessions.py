"""Signed-in sessions on the server: started at sign-in, touched as the person works, ended by
sign-out, by switching the account off, or by time. Ended rows stay for the audit trail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import User, UserSession
from portal.operations import audit
from portal.operations.audit import Actor


class SessionEnd(StrEnum):
    """Why a session ended, as its row and the audit trail record it."""

    SIGNED_OUT = "signed_out"
    IDLE = "idle_timeout"
    MAX_LIFETIME = "max_lifetime"
    ACCOUNT_SWITCHED_OFF = "account_switched_off"


def token_hash(raw_session_id: str) -> str:
    """What the table keeps instead of the id the cookie carries."""
    return hashlib.sha256(raw_session_id.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    max_lifetime: timedelta,
    provider: str | None,
    id_token: str | None,
    client_address: str | None,
) -> tuple[str, UserSession]:
    """A new session for a person who has just signed in: its raw id goes in the cookie only."""
    now = datetime.now(UTC)
    raw_id = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=token_hash(raw_id),
        user_id=user.id,
        created_at_utc=now,
        last_seen_at_utc=now,
        ends_by_utc=now + max_lifetime,
        provider=provider,
        id_token=id_token,
        csrf_secret=secrets.token_hex(32),
        client_address=(client_address or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        Actor.for_user(user, client_address),
        "session.started",
        "user",
        user.id,
        session_id=str(row.id),
        provider=provider,
        ends_by_utc=row.ends_by_utc.isoformat(),
    )
    session.commit()
    return raw_id, row


def touch_session(session: Session, row: UserSession, *, not_within: timedelta) -> bool:
    """Note that the person is still here, at most once per `not_within` (a write per request
    would be a write per page). Returns whether the row was written."""
    now = datetime.now(UTC)
    if now - row.last_seen_at_utc < not_within:
        return False
    row.last_seen_at_utc = now
    session.commit()
    return True


def end_session(
    session: Session, row: UserSession, why: SessionEnd, client_address: str | None
) -> None:
    """End one session now, and say why in its row and the audit trail."""
    if row.ended_at_utc is not None:
        return
    # Its end and the audit event of it must land together. A page read without a
    # transaction (portal/extensions.py, autocommit_reads) would write them one by one: give
    # that connection back first, so that they are written in a transaction.
    if session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        session.commit()
    row.ended_at_utc = datetime.now(UTC)
    row.ended_why = why.value
    actor = (
        Actor.for_user(row.user, client_address)
        if why is SessionEnd.SIGNED_OUT
        else Actor.system(f"session ended: {why.value}")
    )
    action = "sign_out" if why is SessionEnd.SIGNED_OUT else "session.ended"
    audit.record(session, actor, action, "user", row.user_id, session_id=str(row.id), why=why.value)
    session.commit()


def open_sessions_of(session: Session, user: User) -> Sequence[UserSession]:
    return session.scalars(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at_utc.is_(None)
        )
    ).all()


def end_sessions_of(session: Session, user: User, why: SessionEnd) -> int:
    """End every open session of one person, in the caller's transaction; how many ended."""
    now = datetime.now(UTC)
    rows = open_sessions_of(session, user)
    for row in rows:
        row.ended_at_utc = now
        row.ended_why = why.value
    return len(rows)


def switch_off_account(session: Session, actor: Actor, user: User) -> int:
    """Switch an account off: it cannot sign in, and its sessions end at once. How many ended."""
    user.active = False
    ended = end_sessions_of(session, user, SessionEnd.ACCOUNT_SWITCHED_OFF)
    audit.record(session, actor, "user.switched_off", "user", user.id, sessions_ended=ended)
    session.commit()
    return ended


def switch_on_account(session: Session, actor: Actor, user: User) -> bool:
    """Let a switched-off account sign in again; False when it was not switched off."""
    if user.active:
        return False
    user.active = True
    audit.record(session, actor, "user.switched_on", "user", user.id)
    session.commit()
    return True
