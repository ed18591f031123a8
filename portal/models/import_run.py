"""Imports of staff, schools and children: each file previewed, then committed whole or not."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity, UtcDateTime
from portal.models.user import User


class ImportKind(StrEnum):
    STAFF = "staff"
    SCHOOLS = "schools"
    CHILDREN = "children"

    @property
    def label(self) -> str:
        return {
            "staff": "Staff and their roles",
            "schools": "Schools (Get Information About Schools)",
            "children": "Children (SSDA903)",
        }[self.value]


class ImportStatus(StrEnum):
    CHECKING = "checking"  # the file is being read and checked
    PREVIEWED = "previewed"  # checked: problems, or changes waiting for the admin's commit
    REFUSED = "refused"  # the file cannot be imported at all (encoding, columns, size)
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"  # the commit rolled back: nothing changed
    DISCARDED = "discarded"  # the admin chose not to commit, or a newer preview replaced it


class ImportRun(Entity):
    """One uploaded file and what became of it."""

    __tablename__ = "import_runs"

    kind: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.CHECKING.value)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    byte_size: Mapped[int] = mapped_column(Integer)
    # The file as uploaded, kept only until it is committed or discarded, so the commit applies
    # exactly what was previewed; it is then cleared (children's data is not kept twice).
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Progress, for the page that shows it while long files are read.
    rows_total: Mapped[int | None] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    # A plain-English refusal of the whole file (wrong encoding, missing column, too large).
    refusal: Mapped[str | None] = mapped_column(String(2000))
    # {"problems": [{row, column, problem, fix}], "changes": [...], "counts": {...}}: a GIAS
    # import holds tens of thousands of changes, so it is loaded only when it is asked for.
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    # How many rows are new, changed, unchanged... and how many problems, apart from the
    # outcome, so a list of imports shows each one's status without reading its changes.
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    committed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    committed_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    committed_by: Mapped[User | None] = relationship(foreign_keys=[committed_by_id])

    @property
    def kind_enum(self) -> ImportKind:
        return ImportKind(self.kind)

    @property
    def status_enum(self) -> ImportStatus:
        return ImportStatus(self.status)
