"""Personal Education Plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.academic import Term, term_label
from portal.models.base import Entity, UtcDateTime
from portal.models.child import Child
from portal.models.user import User
from workflows.pep import OPEN_STATES, PepState
from workflows.pep_types import PepType

_OPEN_STATES_SQL = text(
    "state IN (" + ", ".join(f"'{state.value}'" for state in sorted(OPEN_STATES)) + ")"
)


class Pep(Entity):
    """One child's PEP for one term."""

    __tablename__ = "peps"
    __table_args__ = (
        # A child has at most one open PEP: enforced by the database, not only by the code.
        Index(
            "uq_peps_one_open_per_child",
            "child_id",
            unique=True,
            postgresql_where=_OPEN_STATES_SQL,
            sqlite_where=_OPEN_STATES_SQL,
        ),
        # A child's latest PEP (the children list) is the first entry of this index.
        Index("ix_peps_latest_per_child", "child_id", "academic_year", "term", "created_at_utc"),
        # Reviewers' queue (migration 0021): approved PEPs, longest waiting since approval
        # first. Keyed by approved_at_utc, not updated_at_utc, which every save moves on: an
        # indexed column that changes makes PostgreSQL write a new entry in every index of
        # the table, where a save that changes none is a HOT update.
        Index(
            "ix_peps_approved_by_approval",
            "approved_at_utc",
            "id",
            postgresql_where=text("state = 'approved'"),
            sqlite_where=text("state = 'approved'"),
        ),
    )

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    academic_year: Mapped[int] = mapped_column(Integer)  # the year the academic year starts
    term: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=PepState.DRAFT.value)
    meeting_date: Mapped[date | None] = mapped_column(Date)
    # Why the PEP was started (initial, termly, a change of school...): it decides when it is due.
    pep_type: Mapped[str] = mapped_column(
        String(30), default=PepType.TERMLY.value, server_default=PepType.TERMLY.value
    )
    # The form definition the PEP was started with; it keeps rendering with that version
    # even after a newer one ships.
    form_key: Mapped[str] = mapped_column(String(40))
    form_version: Mapped[int] = mapped_column(Integer)
    # When the social worker last approved it: the reviewers' queue waits from then.
    approved_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it was last submitted (or resubmitted): the wait for approval runs from then.
    submitted_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Optimistic locking: two people may act on the same PEP.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Why the child's views could not be gathered: a PEP may go without them only with a reason.
    child_voice_absent_reason: Mapped[str | None] = mapped_column(String(2000))
    # Staff's note on how the child's views were gathered; the child's own words stay untouched.
    child_voice_note: Mapped[str | None] = mapped_column(String(2000))
    # The child's facts as they were when the PEP was signed off (school, year group, legal
    # status...): a signed-off PEP shows these, not today's, on screen and in its record.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    child: Mapped[Child] = relationship(back_populates="peps")
    # Loaded only where asked (`selectinload(Pep.sections)` in the queries of pages that show
    # every section): a list of PEPs, or a child's PEP history, needs none of their answers.
    sections: Mapped[list[PepSection]] = relationship(
        back_populates="pep", lazy="select", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def section(self, key: str) -> PepSection:
        """The saved answers of one section: every section gets its row when the PEP starts."""
        for section in self.sections:
            if section.section_key == key:
                return section
        raise KeyError(f"PEP {self.id} has no section {key!r}")

    @property
    def state_enum(self) -> PepState:
        return PepState(self.state)

    @property
    def term_label(self) -> str:
        return term_label(self.academic_year, Term(self.term))


class PepSection(Entity):
    """The saved answers to one section of one PEP."""

    __tablename__ = "pep_sections"
    # On PostgreSQL each page keeps room for a save's new row version, so that it is a HOT
    # update writing no index entries: fillfactor 80, set by migration 0022 (the tables are
    # made by the migrations only; a Table's `postgresql_with` needs SQLAlchemy 2.1).
    __table_args__ = (UniqueConstraint("pep_id", "section_key", name="one_row_per_section"),)

    pep_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peps.id"), index=True)
    section_key: Mapped[str] = mapped_column(String(60))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Answer key -> the section version at which that answer last changed: a save made from an
    # older version is refused only where it would overwrite an answer changed since.
    answer_versions: Mapped[dict[str, int]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    # Answer key -> the page (one load of the section form) whose save last changed it: a
    # page's own later save is not a conflict with its earlier one.
    answer_editors: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    # Each save carries the version it started from; a stale save never overwrites.
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_saved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_saved_at_utc: Mapped[datetime | None] = mapped_column(UtcDateTime)

    pep: Mapped[Pep] = relationship(back_populates="sections")
    last_saved_by: Mapped[User | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
