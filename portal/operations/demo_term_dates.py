"""The demo authority's term dates for this academic year and next, as an English authority
publishes them, and one academy that sets its own autumn term (a two-week half term, an earlier
start with two INSET days): the calendar school-day deadlines are counted in."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School, TermDate
from portal.operations.audit import Actor
from portal.operations.term_dates import load_term_dates
from workflows.calendar import TermDates

DEMO_ACTOR = Actor.system("demo seed: term dates")
# Riverside Academy, an academy converter in the demo authority: it sets its own autumn term.
ACADEMY_URN = "900301"

AUTHORITY_TERMS = (
    TermDates(2026, "autumn", date(2026, 9, 2), date(2026, 12, 18),
              date(2026, 10, 26), date(2026, 10, 30), (date(2026, 9, 2), date(2026, 11, 2))),
    TermDates(2026, "spring", date(2027, 1, 4), date(2027, 3, 26),
              date(2027, 2, 15), date(2027, 2, 19), (date(2027, 1, 4),)),
    TermDates(2026, "summer", date(2027, 4, 12), date(2027, 7, 21),
              date(2027, 5, 31), date(2027, 6, 4)),
    # 2027/28: Easter Sunday is 16 April 2028, so the spring term ends on 31 March and summer
    # starts on the Tuesday after Easter Monday; the late May bank holiday opens half term.
    TermDates(2027, "autumn", date(2027, 9, 2), date(2027, 12, 17),
              date(2027, 10, 25), date(2027, 10, 29), (date(2027, 9, 2), date(2027, 11, 1))),
    TermDates(2027, "spring", date(2028, 1, 4), date(2028, 3, 31),
              date(2028, 2, 14), date(2028, 2, 18), (date(2028, 1, 4),)),
    TermDates(2027, "summer", date(2028, 4, 18), date(2028, 7, 20),
              date(2028, 5, 29), date(2028, 6, 2)),
)  # fmt: skip

ACADEMY_TERMS = (
    TermDates(2026, "autumn", date(2026, 9, 1), date(2026, 12, 17),
              date(2026, 10, 19), date(2026, 10, 30), (date(2026, 9, 1), date(2026, 9, 2))),
)  # fmt: skip


def _missing(
    session: Session, school: School | None, terms: tuple[TermDates, ...]
) -> list[TermDates]:
    """The terms not yet recorded: dates an admin has changed since are theirs to keep."""
    whose = TermDate.school_id.is_(None) if school is None else TermDate.school_id == school.id
    recorded = set(
        session.execute(select(TermDate.academic_year, TermDate.term).where(whose)).all()
    )
    return [term for term in terms if term.key not in recorded]


def _load(session: Session, school: School | None, terms: list[TermDates]) -> str:
    outcome = load_term_dates(session, DEMO_ACTOR, school, terms)
    if outcome.errors:  # the demo's own dates are wrong: say so rather than seed half of them
        raise ValueError(" ".join(error.message for error in outcome.errors))
    return outcome.message


def seed_demo_term_dates(session: Session) -> str:
    """Add the demo term dates that are missing, through the same operation as a file's."""
    messages = []
    authority_terms = _missing(session, None, AUTHORITY_TERMS)
    if authority_terms:
        messages.append(_load(session, None, authority_terms))
    academy = session.scalar(select(School).where(School.urn == ACADEMY_URN))
    academy_terms = _missing(session, academy, ACADEMY_TERMS) if academy else []
    if academy is not None and academy_terms:
        messages.append(_load(session, academy, academy_terms))
    return " ".join(messages) or "The demo term dates are already in place."
