"""English school years, worked out from a date of birth."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")

RECEPTION = 0


def england_day(moment: datetime) -> date:
    """The day an aware moment falls on in England."""
    return moment.astimezone(ENGLAND).date()


def england_today(now: datetime | None = None) -> date:
    """Today in England: between midnight and 01:00 in summer, UTC is still on yesterday, and a
    deadline falls due (or a reminder goes, or a date is "in the past") on England's day, not the
    server's."""
    return (now or datetime.now(ENGLAND)).astimezone(ENGLAND).date()


def academic_year_start(on: date) -> int:
    """The calendar year in which the academic year containing `on` began (1 September)."""
    return on.year if on.month >= 9 else on.year - 1


def year_group_on(date_of_birth: date, on: date) -> int | None:
    """The national curriculum year group for a child of this age on `on`.

    Reception is 0 (the year a child turns five); nursery is -1 and earlier years go lower.
    A child born 1 September to 31 August of one academic year is in one cohort.
    """
    cohort_start = academic_year_start(date_of_birth)
    year_group = academic_year_start(on) - cohort_start - 5
    return year_group if year_group >= -3 else None


def year_group_label(year_group: int | None) -> str:
    if year_group is None:
        return "Not of school age"
    if year_group < -1:
        return "Early years (before nursery)"
    if year_group == -1:
        return "Nursery"
    if year_group == RECEPTION:
        return "Reception"
    if year_group > 13:
        return "Left school"
    return f"Year {year_group}"


class Term(StrEnum):
    """School terms; alphabetical order happens to be the order they come in a year."""

    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"

    @property
    def label(self) -> str:
        return self.value.title()


TERM_ORDER = (Term.AUTUMN, Term.SPRING, Term.SUMMER)


def current_term(today: date) -> tuple[int, Term]:
    """The academic year (by its starting year) and term that `today` falls in."""
    if today.month >= 9:
        return today.year, Term.AUTUMN
    if today.month >= 4:
        return today.year - 1, Term.SUMMER
    return today.year - 1, Term.SPRING


def previous_term(academic_year: int, term: Term) -> tuple[int, Term]:
    index = TERM_ORDER.index(term)
    if index == 0:
        return academic_year - 1, Term.SUMMER
    return academic_year, TERM_ORDER[index - 1]


def following_terms(academic_year: int, term: Term, count: int) -> list[tuple[int, Term]]:
    """This term and the ones after it."""
    index = TERM_ORDER.index(term)
    return [
        (academic_year + (index + offset) // 3, TERM_ORDER[(index + offset) % 3])
        for offset in range(count)
    ]


def term_label(academic_year: int, term: Term) -> str:
    return f"{term.label} {academic_year}/{(academic_year + 1) % 100:02d}"
