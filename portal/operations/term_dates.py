"""Term dates, set and removed by an admin: the authority's for each term of a year, which every
school follows by default, and a school's own where it sets them. Each change is checked by the
pure calendar (workflows/calendar.py), against the other terms it will sit beside, and audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forms.dates import read_date_boxes
from portal.models import Child, School, TermDate
from portal.operations import audit
from portal.operations.audit import Actor
from workflows.calendar import (
    TERMS,
    CalendarError,
    TermDates,
    academic_year_label,
    merge_term_dates,
    terms_problems,
)

# How many INSET days a form offers for one term: a year has five, and a school may put several
# in one term.
INSET_DAYS_MOST = 5
# Longer than this is a mistyped year, not a term (the longest, autumn, is about 16 weeks).
TERM_LONGEST = timedelta(weeks=20)
# Years a person may set: anything else in an address is not a page.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

DATE_FIELDS = ("starts_on", "ends_on", "half_term_starts_on", "half_term_ends_on")
INSET_FIELDS = tuple(f"inset_{number}" for number in range(1, INSET_DAYS_MOST + 1))
# What each date is, finishing "Enter the date ...".
DATE_WHAT = {
    "starts_on": "the term starts",
    "ends_on": "the term ends",
    "half_term_starts_on": "half term starts",
    "half_term_ends_on": "half term ends",
    **{name: f"of INSET day {number}" for number, name in enumerate(INSET_FIELDS, start=1)},
}
BOXES = ("day", "month", "year")


@dataclass(frozen=True)
class FieldError:
    field_id: str  # the id of the box the error summary links to (a date's day box)
    message: str


@dataclass
class TermDatesOutcome:
    """What an operation did, or the errors to show beside the form's fields."""

    errors: list[FieldError] = field(default_factory=list)
    message: str = ""


def term_name(academic_year: int, term: str) -> str:
    """ "autumn term 2026/27"."""
    return f"{term} term {academic_year_label(academic_year)}"


def is_term(academic_year: int, term: str) -> bool:
    """Whether an address names a term that could have dates."""
    return term in TERMS and EARLIEST_YEAR <= academic_year <= LATEST_YEAR


def to_term_dates(row: TermDate) -> TermDates:
    return TermDates(
        academic_year=row.academic_year,
        term=row.term,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        half_term_starts_on=row.half_term_starts_on,
        half_term_ends_on=row.half_term_ends_on,
        inset_days=row.inset_dates,
    )


def _boxes(prefix: str, name: str, on: date | None) -> dict[str, str]:
    if on is None:
        return {f"{prefix}{name}-{box}": "" for box in BOXES}
    return {
        f"{prefix}{name}-day": str(on.day),
        f"{prefix}{name}-month": str(on.month),
        f"{prefix}{name}-year": str(on.year),
    }


def form_values(row: TermDate | None, prefix: str = "") -> dict[str, str]:
    """A term's stored dates as the form's boxes show them (empty boxes for a term not set)."""
    values: dict[str, str] = {}
    for name in DATE_FIELDS:
        values |= _boxes(prefix, name, getattr(row, name) if row else None)
    inset_days = row.inset_dates if row else ()
    for position, name in enumerate(INSET_FIELDS):
        values |= _boxes(prefix, name, inset_days[position] if position < len(inset_days) else None)
    return values


def form_field_names(prefix: str = "") -> list[str]:
    """Every box of a term's form, to read from a request."""
    return [f"{prefix}{name}-{box}" for name in DATE_FIELDS + INSET_FIELDS for box in BOXES]


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _calendar_problem(make: Callable[[], object]) -> str | None:
    """The calendar's own sentence for dates it refuses, or None when it takes them."""
    try:
        make()
    except CalendarError as error:
        return str(error)
    return None


def read_term(
    values: Mapping[str, str], academic_year: int, term: str, prefix: str = ""
) -> tuple[TermDates | None, list[FieldError]]:
    """One term's dates from its form, or an error beside each box that is wrong, in the
    form's order. The calendar's checks run piece by piece so each error sits beside the dates
    it is about."""
    errors: list[FieldError] = []
    read: dict[str, date | None] = {}

    def box(name: str) -> str:
        return f"{prefix}{name}-day"

    def reading(name: str) -> tuple[date | None, bool]:
        result = read_date_boxes(values, f"{prefix}{name}", DATE_WHAT[name])
        if result.problem and not result.blank:
            errors.append(FieldError(box(name), f"{result.problem}."))
        return result.on, result.blank

    for name in ("starts_on", "ends_on"):
        read[name], blank = reading(name)
        if blank:
            errors.append(FieldError(box(name), f"Enter the date {DATE_WHAT[name]}."))
    half_start, half_start_blank = reading("half_term_starts_on")
    half_end, half_end_blank = reading("half_term_ends_on")
    if half_start_blank != half_end_blank:
        missing = "half_term_starts_on" if half_start_blank else "half_term_ends_on"
        errors.append(
            FieldError(
                box(missing),
                f"Enter the date {DATE_WHAT[missing]}, or leave both half term dates empty.",
            )
        )
    inset_days: list[tuple[str, date]] = []
    for name in INSET_FIELDS:
        on, _ = reading(name)
        if on is not None:
            inset_days.append((name, on))
    starts_on, ends_on = read["starts_on"], read["ends_on"]
    if errors or starts_on is None or ends_on is None:
        return None, errors

    def term_of(
        half: tuple[date | None, date | None] = (None, None), inset: Sequence[date] = ()
    ) -> TermDates:
        return TermDates(academic_year, term, starts_on, ends_on, half[0], half[1], tuple(inset))

    problem = _calendar_problem(term_of)
    if problem:
        return None, [FieldError(box("starts_on"), problem)]
    if ends_on - starts_on > TERM_LONGEST:
        return None, [
            FieldError(
                box("ends_on"),
                f"The {term_name(academic_year, term)} would last from {_long(starts_on)} to "
                f"{_long(ends_on)}, longer than a term can: check the year of the last day.",
            )
        ]
    half = (half_start, half_end)
    problem = _calendar_problem(lambda: term_of(half))
    if problem:
        errors.append(FieldError(box("half_term_starts_on"), problem))
    seen: dict[date, str] = {}
    for name, on in inset_days:
        problem = _calendar_problem(lambda on=on: term_of(inset=(on,)))
        if problem:
            errors.append(FieldError(box(name), problem))
        elif on.weekday() >= 5:
            errors.append(
                FieldError(
                    box(name),
                    f"{_long(on)} is a {on:%A}: an INSET day is a weekday the school is open.",
                )
            )
        elif half_start and half_end and half_start <= on <= half_end:
            errors.append(
                FieldError(
                    box(name), f"{_long(on)} is in half term: an INSET day is a day of term."
                )
            )
        elif on in seen:
            errors.append(
                FieldError(
                    box(name),
                    f"{_long(on)} is given twice: remove it from {DATE_WHAT[name][3:]}.",
                )
            )
        seen.setdefault(on, name)
    if errors:
        return None, errors
    chosen = term_of(half, sorted({on for _, on in inset_days}))
    return chosen, []


def _rows(session: Session) -> list[TermDate]:
    """Every term's dates: the authority's and every school's own (a few rows a school)."""
    return list(session.scalars(select(TermDate)))


def _clashes(
    rows: Sequence[TermDate],
    school: School | None,
    replaced: Sequence[tuple[int, str]],
    added: Sequence[TermDates],
    school_names: Mapping[uuid.UUID, str],
) -> list[str]:
    """What would be wrong with the calendars once these terms are replaced or added (or, with
    nothing added, removed): terms that overlap or come out of order. Changing the authority's
    dates is checked against every school's own too: a school follows both."""
    school_id = school.id if school else None
    by_school: dict[uuid.UUID | None, list[TermDates]] = {}
    for row in rows:
        if row.school_id == school_id and (row.academic_year, row.term) in replaced:
            continue
        by_school.setdefault(row.school_id, []).append(to_term_dates(row))
    by_school.setdefault(school_id, []).extend(added)
    authority = by_school.get(None, [])
    if school is not None:
        return terms_problems(merge_term_dates(authority, by_school[school_id]))
    problems = terms_problems(authority)
    if problems:
        return problems
    for other_school_id, own in by_school.items():
        if other_school_id is None:
            continue
        problems = terms_problems(merge_term_dates(authority, own))
        if problems:
            name = school_names.get(other_school_id, "A school")
            return [f"{name} sets its own term dates, and with them: {problems[0]}"]
    return []


def _school_names(session: Session, rows: Sequence[TermDate]) -> dict[uuid.UUID, str]:
    ids = {row.school_id for row in rows if row.school_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(School.id, School.name).where(School.id.in_(ids))).all())


def _whose(school: School | None) -> str:
    return f"{school.name}'s own" if school else "The authority's"


def _stored(term: TermDates) -> dict[str, object]:
    return {
        "starts_on": term.starts_on,
        "ends_on": term.ends_on,
        "half_term_starts_on": term.half_term_starts_on,
        "half_term_ends_on": term.half_term_ends_on,
        "inset_days": [day.isoformat() for day in term.inset_days],
    }


def _audited(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return value


def _find(
    rows: Sequence[TermDate], school: School | None, academic_year: int, term: str
) -> TermDate | None:
    school_id = school.id if school else None
    return next(
        (
            row
            for row in rows
            if row.school_id == school_id
            and row.academic_year == academic_year
            and row.term == term
        ),
        None,
    )


# Children whose timeliness a page request works out again at once after their term dates
# change (two refresh batches, about a second); beyond it, the nightly refresh-timeliness run
# does it, and the page says so. A school's own dates touch its children alone; the
# authority's touch nearly every child (100,000 would hold the request for minutes).
REFRESH_NOW_LIMIT = 1000


def _refresh_children_following(session: Session, school: School | None) -> str:
    """After term dates change (and are committed), work out again the timeliness of the
    children they govern: a school's own dates, its children; the authority's, every child. A
    sentence for the person who changed them."""
    # Imported here: timeliness reads calendars, which read this module's to_term_dates.
    from portal.operations.timeliness import refresh_timeliness
    from portal.timeliness.facts import forget_records_begin_on

    forget_records_begin_on()
    which = select(Child.id)
    if school is not None:
        which = which.where(Child.current_school_id == school.id)
    child_ids = list(session.scalars(which.limit(REFRESH_NOW_LIMIT + 1)))
    if len(child_ids) > REFRESH_NOW_LIMIT:
        return (
            " Children's PEP due dates and statuses will be worked out again with these dates "
            "tonight."
        )
    refresh_timeliness(session, child_ids)
    return ""


def _save(session: Session, field_id: str) -> list[FieldError]:
    try:
        session.commit()
    except IntegrityError:  # the same term set by someone else at this moment
        session.rollback()
        return [
            FieldError(
                field_id,
                "Someone else set these term dates at the same moment. Check the term dates "
                "and try again.",
            )
        ]
    return []


def _write(
    session: Session, actor: Actor, school: School | None, rows: list[TermDate], term: TermDates
) -> bool:
    """Add or change one term's row, audited; False when it was already so."""
    stored = _stored(term)
    row = _find(rows, school, term.academic_year, term.term)
    where = {
        "school_id": str(school.id) if school else None,
        "school": school.name if school else None,
        "academic_year": term.academic_year,
        "term": term.term,
    }
    if row is None:
        row = TermDate(
            school_id=school.id if school else None,
            academic_year=term.academic_year,
            term=term.term,
            **stored,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, "term_dates.added", "term_dates", row.id,
            **where, dates={key: _audited(value) for key, value in stored.items()},
        )  # fmt: skip
        return True
    changes = {
        column: [_audited(getattr(row, column)), _audited(value)]
        for column, value in stored.items()
        if getattr(row, column) != value
    }
    if not changes:
        return False
    for column in changes:
        setattr(row, column, stored[column])
    audit.record(session, actor, "term_dates.changed", "term_dates", row.id, **where,
                 changes=changes)  # fmt: skip
    return True


def set_term_dates(
    session: Session,
    actor: Actor,
    school: School | None,
    academic_year: int,
    term: str,
    values: Mapping[str, str],
) -> TermDatesOutcome:
    """Add or change one term's dates: the authority's when ``school`` is None, else the
    school's own (which replace the authority's for that term)."""
    chosen, errors = read_term(values, academic_year, term)
    if chosen is None:
        return TermDatesOutcome(errors=errors)
    rows = _rows(session)
    clashes = _clashes(
        rows, school, [(academic_year, term)], [chosen], _school_names(session, rows)
    )
    if clashes:
        return TermDatesOutcome(errors=[FieldError("starts_on-day", clashes[0])])
    existed = _find(rows, school, academic_year, term) is not None
    name = f"{_whose(school)} {term_name(academic_year, term)}"
    if not _write(session, actor, school, rows, chosen):
        return TermDatesOutcome(message=f"Nothing changed. {name} dates are as they were.")
    errors = _save(session, "starts_on-day")
    if errors:
        return TermDatesOutcome(errors=errors)
    later = _refresh_children_following(session, school)
    return TermDatesOutcome(message=f"{name} has been {'changed' if existed else 'added'}.{later}")


def set_year_term_dates(
    session: Session,
    actor: Actor,
    school: School | None,
    academic_year: int,
    values: Mapping[str, str],
) -> TermDatesOutcome:
    """All three terms of a year at once (boxes named ``autumn-starts_on-day``...), all or none."""
    errors: list[FieldError] = []
    chosen: list[TermDates] = []
    for term in TERMS:
        read, term_errors = read_term(values, academic_year, term, prefix=f"{term}-")
        errors.extend(term_errors)
        if read is not None:
            chosen.append(read)
    if errors:
        return TermDatesOutcome(errors=errors)
    rows = _rows(session)
    already = [term for term in TERMS if _find(rows, school, academic_year, term)]
    if already:
        return TermDatesOutcome(
            errors=[
                FieldError(
                    f"{already[0]}-starts_on-day",
                    f"The {term_name(academic_year, already[0])} already has dates. Change "
                    "them from the term dates page instead.",
                )
            ]
        )
    clashes = _clashes(rows, school, [], chosen, _school_names(session, rows))
    if clashes:
        return TermDatesOutcome(errors=[FieldError("autumn-starts_on-day", clashes[0])])
    for term_dates in chosen:
        _write(session, actor, school, rows, term_dates)
    errors = _save(session, "autumn-starts_on-day")
    if errors:
        return TermDatesOutcome(errors=errors)
    later = _refresh_children_following(session, school)
    return TermDatesOutcome(
        message=f"{_whose(school)} term dates for {academic_year_label(academic_year)} have "
        f"been added.{later}"
    )


def load_term_dates(
    session: Session, actor: Actor, school: School | None, terms: Sequence[TermDates]
) -> TermDatesOutcome:
    """Terms from a file or the demo, added or changed together after the same checks as the
    form's (each ``TermDates`` has already passed the calendar's own); all or none."""
    rows = _rows(session)
    replaced = [term.key for term in terms]
    clashes = _clashes(rows, school, replaced, terms, _school_names(session, rows))
    if clashes:
        return TermDatesOutcome(errors=[FieldError("file", problem) for problem in clashes])
    changed = sum(_write(session, actor, school, rows, term) for term in terms)
    if not changed:
        return TermDatesOutcome(message=f"Nothing changed. {_whose(school)} term dates are as "
                                "they were.")  # fmt: skip
    errors = _save(session, "file")
    if errors:
        return TermDatesOutcome(errors=errors)
    later = _refresh_children_following(session, school)
    return TermDatesOutcome(
        message=f"{_whose(school)} term dates: {changed} term{'s' if changed != 1 else ''} added "
        f"or changed.{later}"
    )


def remove_term_dates(
    session: Session, actor: Actor, school: School | None, academic_year: int, term: str
) -> TermDatesOutcome:
    """Remove one term's dates. A school's own removed, it follows the authority's again."""
    rows = _rows(session)
    row = _find(rows, school, academic_year, term)
    name = f"{_whose(school)} {term_name(academic_year, term)}"
    if row is None:
        return TermDatesOutcome(message=f"{name} had no dates to remove.")
    clashes = _clashes(rows, school, [(academic_year, term)], [], _school_names(session, rows))
    if clashes:
        return TermDatesOutcome(
            errors=[
                FieldError(
                    "remove",
                    f"These dates cannot be removed: without them, {clashes[0][0].lower()}"
                    f"{clashes[0][1:]}",
                )
            ]
        )
    removed = to_term_dates(row)
    audit.record(
        session, actor, "term_dates.removed", "term_dates", row.id,
        school_id=str(school.id) if school else None, school=school.name if school else None,
        academic_year=academic_year, term=term,
        dates={key: _audited(value) for key, value in _stored(removed).items()},
    )  # fmt: skip
    session.delete(row)
    session.commit()
    later = _refresh_children_following(session, school)
    if school is not None:
        return TermDatesOutcome(
            message=f"{name} has been removed: the school follows the authority's dates for "
            f"that term.{later}"
        )
    return TermDatesOutcome(message=f"{name} has been removed.{later}")
