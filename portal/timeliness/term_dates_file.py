"""Term dates from a CSV file, as an authority publishes them or a school sends its own: one row
a term. Every row is read and checked before anything is saved; then each school's terms (and
the authority's) go through the same operation, checks and audit as the admin pages.

Columns: school_urn (empty for the authority's dates), academic_year (2026 or 2026/27), term
(autumn, spring, summer), starts_on, ends_on, half_term_starts_on, half_term_ends_on (dates as
2026-09-02 or 02/09/2026; half term may be empty), inset_days (dates separated by ";", optional).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School
from portal.operations.audit import Actor
from portal.operations.term_dates import load_term_dates
from workflows.calendar import TERMS, CalendarError, TermDates

REQUIRED_COLUMNS = ("school_urn", "academic_year", "term", "starts_on", "ends_on")
OPTIONAL_COLUMNS = ("half_term_starts_on", "half_term_ends_on", "inset_days")
_YEAR = re.compile(r"(\d{4})(?:/\d{2})?")


@dataclass
class FileOutcome:
    messages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _date(text: str, what: str) -> date:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f'{what} "{text}" is not a date: write it like 2026-09-02 or 02/09/2026')


def _optional_date(text: str | None, what: str) -> date | None:
    return _date(text, what) if text and text.strip() else None


def _row(values: dict[str, str]) -> tuple[str, TermDates]:
    year_text = (values.get("academic_year") or "").strip()
    year = _YEAR.fullmatch(year_text)
    if not year:
        raise ValueError(f'the academic year "{year_text}" should be like 2026 or 2026/27')
    term = (values.get("term") or "").strip().lower()
    if term not in TERMS:
        raise ValueError(f'"{term}" is not a term: use autumn, spring or summer')
    inset_days = tuple(
        _date(day, "the INSET day")
        for day in (values.get("inset_days") or "").split(";")
        if day.strip()
    )
    try:
        term_dates = TermDates(
            academic_year=int(year.group(1)),
            term=term,
            starts_on=_date(values.get("starts_on") or "", "the first day of term"),
            ends_on=_date(values.get("ends_on") or "", "the last day of term"),
            half_term_starts_on=_optional_date(
                values.get("half_term_starts_on"), "the first day of half term"
            ),
            half_term_ends_on=_optional_date(
                values.get("half_term_ends_on"), "the last day of half term"
            ),
            inset_days=inset_days,
        )
    except CalendarError as error:
        raise ValueError(str(error)) from None
    return (values.get("school_urn") or "").strip(), term_dates


def load_term_dates_file(session: Session, actor: Actor, text: str) -> FileOutcome:
    """Read every row, then save the authority's terms and each school's own, all or none for
    each: a row that cannot be read, or a school not found, saves nothing at all; terms that
    clash with those already stored are refused for that school (or the authority) alone."""
    outcome = FileOutcome()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        outcome.problems.append(
            "The file has no column " + ", ".join(missing) + ". The first row must name the "
            "columns: " + ", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS) + "."
        )
        return outcome
    by_urn: dict[str, list[TermDates]] = {}
    for number, values in enumerate(reader, start=2):  # row 1 names the columns
        try:
            urn, term_dates = _row(values)
        except ValueError as error:
            message = str(error)
            outcome.problems.append(f"Row {number}: {message[0].lower()}{message[1:]}.")
            continue
        by_urn.setdefault(urn, []).append(term_dates)
    urns = {urn for urn in by_urn if urn}
    schools = {
        school.urn: school for school in session.scalars(select(School).where(School.urn.in_(urns)))
    }
    for urn in sorted(urns - schools.keys()):
        outcome.problems.append(f"No school has the URN {urn}: check it, or import the school.")
    if outcome.problems:
        return outcome
    for urn, terms in sorted(by_urn.items()):
        saved = load_term_dates(session, actor, schools.get(urn), terms)
        outcome.problems.extend(error.message for error in saved.errors)
        if saved.message:
            outcome.messages.append(saved.message)
    return outcome


def load_term_dates_path(session: Session, actor: Actor, path: str) -> FileOutcome:
    """The same, from a file on disk (UTF-8, with or without the byte order mark Excel adds)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return FileOutcome(problems=["The file is not UTF-8 text: save it as CSV UTF-8."])
    return load_term_dates_file(session, actor, text)
