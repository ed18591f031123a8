"""A school's calendar from its stored term dates: its own terms where it sets them, else the
authority's, with England's bank holidays. One query for one school, one for many."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.academic import Term, current_term
from portal.models import TermDate
from portal.operations.term_dates import to_term_dates
from workflows.calendar import SchoolCalendar, TermDates, merge_term_dates

BankHolidays = Callable[[date], bool] | None


def _calendar(
    authority: list[TermDates], own: list[TermDates], bank_holidays: BankHolidays
) -> SchoolCalendar:
    return SchoolCalendar(merge_term_dates(authority, own), bank_holidays)


def calendar_for_school(
    session: Session, school_id: uuid.UUID | None, bank_holidays: BankHolidays = None
) -> SchoolCalendar:
    """The calendar a school follows (the authority's alone when ``school_id`` is None: a child
    with no school place)."""
    whose = TermDate.school_id.is_(None)
    if school_id is not None:
        whose = or_(whose, TermDate.school_id == school_id)
    authority: list[TermDates] = []
    own: list[TermDates] = []
    for row in session.scalars(select(TermDate).where(whose)):
        (authority if row.school_id is None else own).append(to_term_dates(row))
    return _calendar(authority, own, bank_holidays)


def calendars_for_schools(
    session: Session, school_ids: Iterable[uuid.UUID | None], bank_holidays: BankHolidays = None
) -> dict[uuid.UUID | None, SchoolCalendar]:
    """Each school's calendar, in one query however many schools; None (no school) gets the
    authority's. Schools without their own dates share one calendar object."""
    wanted = set(school_ids)
    named = {school_id for school_id in wanted if school_id is not None}
    whose = TermDate.school_id.is_(None)
    if named:
        whose = or_(whose, TermDate.school_id.in_(named))
    authority: list[TermDates] = []
    own: dict[uuid.UUID, list[TermDates]] = {}
    for row in session.scalars(select(TermDate).where(whose)):
        if row.school_id is None:
            authority.append(to_term_dates(row))
        else:
            own.setdefault(row.school_id, []).append(to_term_dates(row))
    authority_calendar = _calendar(authority, [], bank_holidays)
    return {
        school_id: (
            _calendar(authority, own[school_id], bank_holidays)
            if school_id in own
            else authority_calendar
        )
        for school_id in wanted
    }


def term_of_day(calendar: SchoolCalendar, day: date) -> tuple[int, Term]:
    """The academic year and term a day belongs to: the school's term that holds it, where its
    term dates are recorded (a spring term running into April is still spring); in a holiday,
    or without term dates, by the month (`current_term`)."""
    term = calendar.term_containing(day)
    if term is not None and term.term in Term._value2member_map_:
        return term.academic_year, Term(term.term)
    return current_term(day)
