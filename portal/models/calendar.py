"""Term dates: the authority's, which every school follows by default, and a school's own where
it sets them (academies, foundation and voluntary-aided schools). Due dates counted in school
days are counted in these."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Entity

_AUTHORITY_ROWS_SQL = text("school_id IS NULL")
_SCHOOL_ROWS_SQL = text("school_id IS NOT NULL")


class TermDate(Entity):
    """One term of one academic year: the authority's default when ``school_id`` is empty,
    else that school's own. A school's own terms replace the authority's for that term."""

    __tablename__ = "term_dates"
    __table_args__ = (
        # One row a term for each school, and one for the authority. Two partial indexes, since
        # a unique constraint counts every NULL school as different (on both databases).
        Index(
            "uq_term_dates_school_term",
            "school_id",
            "academic_year",
            "term",
            unique=True,
            postgresql_where=_SCHOOL_ROWS_SQL,
            sqlite_where=_SCHOOL_ROWS_SQL,
        ),
        Index(
            "uq_term_dates_authority_term",
            "academic_year",
            "term",
            unique=True,
            postgresql_where=_AUTHORITY_ROWS_SQL,
            sqlite_where=_AUTHORITY_ROWS_SQL,
        ),
        CheckConstraint("starts_on <= ends_on", name="term_starts_before_it_ends"),
    )

    # Empty: the authority's term dates, the default for every school without its own.
    school_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("schools.id"))
    academic_year: Mapped[int] = mapped_column(Integer)  # the year the academic year starts
    term: Mapped[str] = mapped_column(String(10))  # portal.academic.Term
    starts_on: Mapped[date] = mapped_column(Date)  # the first day of term, inclusive
    ends_on: Mapped[date] = mapped_column(Date)  # the last day of term, inclusive
    # The half-term break, both days inclusive (a Monday to a Friday, usually).
    half_term_starts_on: Mapped[date | None] = mapped_column(Date)
    half_term_ends_on: Mapped[date | None] = mapped_column(Date)
    # Training (INSET) days in the term, as ISO dates: the school is open, its pupils are not.
    inset_days: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def inset_dates(self) -> tuple[date, ...]:
        return tuple(sorted(date.fromisoformat(day) for day in self.inset_days or ()))
