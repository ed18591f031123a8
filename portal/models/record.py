"""The statutory record: a signed-off PEP's Word document, stored once and never changed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.pep import Pep


class PepRecord(Entity):
    """The document made at sign-off. Every download returns exactly these bytes."""

    __tablename__ = "pep_records"

    pep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peps.id"), unique=True)
    file_name: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # Fixed into the document itself, so rebuilding the PEP later gives the same bytes.
    generated_at_utc: Mapped[datetime] = mapped_column(UtcDateTime)

    pep: Mapped[Pep] = relationship()


class RecordIsUnchangeable(RuntimeError):
    """Raised when code tries to change or delete a stored record."""


@event.listens_for(Session, "before_flush")
def _refuse_record_changes(session: Session, _context: object, _instances: object) -> None:
    for instance in [*session.dirty, *session.deleted]:
        if isinstance(instance, PepRecord) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise RecordIsUnchangeable("A signed-off PEP's record cannot be changed or deleted.")
