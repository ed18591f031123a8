"""Personal Education Plans."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Entity
from portal.models.child import Child
from workflows.pep import OPEN_STATES, PepState


class Term(StrEnum):
    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"

    @property
    def label(self) -> str:
        return self.value.title()


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
    )

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("children.id"), index=True)
    academic_year: Mapped[int] = mapped_column(Integer)  # the year the academic year starts
    term: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=PepState.DRAFT.value)
    meeting_date: Mapped[date | None] = mapped_column(Date)
    # Optimistic locking: two people may act on the same PEP.
    version: Mapped[int] = mapped_column(Integer, default=1)

    child: Mapped[Child] = relationship(back_populates="peps")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_enum(self) -> PepState:
        return PepState(self.state)

    @property
    def term_label(self) -> str:
        return f"{Term(self.term).label} {self.academic_year}/{(self.academic_year + 1) % 100:02d}"
