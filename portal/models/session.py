"""Signed-in sessions, kept on the server so that they can be ended."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.user import User


class UserSession(Entity):
    """One sign-in of one person: the cookie holds only a random id whose SHA-256 is kept here.

    Ended rows stay, with when and why they ended, for the audit trail.
    """

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    last_seen_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    # The absolute end, however busy the person is.
    ends_by_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_why: Mapped[str | None] = mapped_column(String(30))
    # The provider signed in with, and its ID token for RP-initiated logout at sign-out.
    provider: Mapped[str | None] = mapped_column(String(40))
    id_token: Mapped[str | None] = mapped_column(Text)
    # The per-session value Flask-WTF signs CSRF tokens with: it dies with the session.
    csrf_secret: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.ended_at_utc is None
