"""Links that let people without an account (the child, a carer) contribute one PEP section."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.pep import Pep
from portal.models.user import User


class ContributionInvite(Entity):
    """One link for one section of one PEP. The link's token is never stored: only its
    SHA-256 hash, so a copy of the database does not hand out working links."""

    __tablename__ = "contribution_invites"

    pep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peps.id"), index=True)
    section_key: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    expires_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # When the holder pressed "Send": the link then only says thank you, until staff reopen it.
    completed_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_used_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)

    pep: Mapped[Pep] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at_utc

    def works(self, now: datetime) -> bool:
        """Whether the link opens at all (a sent link still opens, to say thank you)."""
        return self.revoked_at_utc is None and not self.is_expired(now)
