"""The facts the timeliness rules need, read for many children at once.

A fixed number of queries for a batch of children, however many (children, first placements,
life events, PEPs, the dates PEPs were submitted and signed off, the schools' calendars): the
nightly refresh reads 100,000 children a batch at a time.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, func, or_, select
from sqlalchemy.orm import Session

from portal.academic import england_day
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    Pep,
    TermDate,
)
from portal.operations.term_dates import to_term_dates
from portal.timeliness.calendars import calendars_for_schools
from workflows.calendar import TERMS, CalendarError, SchoolCalendar, merge_term_dates
from workflows.pep import PepEvent, PepState
from workflows.pep_types import PepType
from workflows.timeliness import ChildEvent as TimelinessEvent
from workflows.timeliness import ChildFacts, EventKind, PepRecord

log = logging.getLogger(__name__)

# Days are days in England: a PEP signed off at 00:30 on a summer morning was signed off that day.

# A change of school, or leaving a school with no new place, is a change of setting: a new PEP
# is due either way (a child with no school place is the most at risk).
EVENT_KINDS: dict[str, EventKind] = {
    ChildEventKind.SCHOOL_CHANGED.value: EventKind.CHANGE_OF_SCHOOL,
    ChildEventKind.NO_SCHOOL_PLACE.value: EventKind.CHANGE_OF_SCHOOL,
    ChildEventKind.PLACEMENT_CHANGED.value: EventKind.CHANGE_OF_PLACEMENT,
}
SUBMITTED_EVENTS = {PepEvent.SUBMITTED.value, PepEvent.RESUBMITTED.value}
# The audit actions that date a PEP (portal/operations/peps.py start_pep, workflow transitions).
STARTED_ACTION = "pep.started"
TRANSITION_ACTION = "pep.transition"

# The rough first day of a term, for a term with no stored dates.
ROUGH_TERM_START = {"autumn": (0, 9, 1), "spring": (1, 1, 1), "summer": (1, 4, 1)}


@dataclass(frozen=True)
class ChildTimelinessFacts:
    """Everything the rules need about one child, and the calendar of the child's school."""

    child_id: uuid.UUID
    child: ChildFacts
    events: tuple[TimelinessEvent, ...]
    peps: tuple[PepRecord, ...]
    # None when the school's term dates cannot be used (the reason in calendar_problem): only
    # the children at that school wait, not the batch, the change or the import.
    calendar: SchoolCalendar | None
    calendar_problem: str | None = None


def facts_for_children(
    session: Session, child_ids: Sequence[uuid.UUID]
) -> list[ChildTimelinessFacts]:
    """The facts of each child named that exists: six queries, however many children."""
    if not child_ids:
        return []
    children = list(
        session.execute(
            select(
                Child.id,
                Child.date_of_birth,
                Child.date_entered_care,
                Child.legal_status,
                Child.date_left_care,
                Child.previously_looked_after,
                Child.current_school_id,
            ).where(Child.id.in_(child_ids))
        )
    )
    # The first placement of the current period in care (episodes start on or after entering).
    first_placements: dict[uuid.UUID, date] = dict(
        session.execute(
            select(CareEpisode.child_id, func.min(CareEpisode.started_on))
            .join(Child, Child.id == CareEpisode.child_id)
            .where(
                CareEpisode.child_id.in_(child_ids),
                CareEpisode.started_on >= Child.date_entered_care,
            )
            .group_by(CareEpisode.child_id)
        ).all()
    )
    events: dict[uuid.UUID, list[TimelinessEvent]] = defaultdict(list)
    for child_id, kind, occurred_on in session.execute(
        select(ChildEvent.child_id, ChildEvent.kind, ChildEvent.occurred_on)
        .join(Child, Child.id == ChildEvent.child_id)
        .where(
            ChildEvent.child_id.in_(child_ids),
            ChildEvent.kind.in_(EVENT_KINDS),
            # The school or placement a child entered care with is not a change.
            ChildEvent.occurred_on != Child.date_entered_care,
        )
    ):
        events[child_id].append(TimelinessEvent(EVENT_KINDS[kind], occurred_on))
    pep_rows = list(
        session.execute(
            select(
                Pep.id,
                Pep.child_id,
                Pep.academic_year,
                Pep.term,
                Pep.pep_type,
                Pep.state,
                Pep.meeting_date,
                Pep.created_at_utc,
            ).where(Pep.child_id.in_(child_ids))
        )
    )
    started, submitted, signed_off = _transition_days(session, [row.id for row in pep_rows])
    peps: dict[uuid.UUID, list[PepRecord]] = defaultdict(list)
    for row in pep_rows:
        peps[row.child_id].append(
            PepRecord(
                id=row.id,
                academic_year=row.academic_year,
                term=row.term,
                pep_type=PepType(row.pep_type),
                state=PepState(row.state),
                meeting_on=row.meeting_date,
                submitted_on=submitted.get(row.id),
                signed_off_on=signed_off.get(row.id),
                # The moment the start was recorded (an action may be recorded as of a given
                # moment: Actor.at); the row's creation time only for a PEP with no such event.
                started_on=started.get(row.id) or england_day(row.created_at_utc),
            )
        )
    calendars = _LazyCalendars(session, {row.current_school_id for row in children})
    return [
        ChildTimelinessFacts(
            child_id=row.id,
            child=ChildFacts(
                date_of_birth=row.date_of_birth,
                entered_care_on=row.date_entered_care,
                first_placement_on=first_placements.get(row.id),
                legal_status_code=row.legal_status,
                left_care_on=row.date_left_care,
                previously_looked_after=row.previously_looked_after,
            ),
            events=tuple(events.get(row.id, ())),
            peps=tuple(peps.get(row.id, ())),
            calendar=calendars.calendar(row.current_school_id),
            calendar_problem=calendars.problem(row.current_school_id),
        )
        for row in children
    ]


class _LazyCalendars:
    """The calendars of a batch's schools, read in one query and each built only when asked:
    one school's term dates that cannot be used (overlapping terms) fail its own children
    alone, where building every calendar at once failed the whole batch."""

    def __init__(self, session: Session, school_ids: set[uuid.UUID | None]) -> None:
        named = {school_id for school_id in school_ids if school_id is not None}
        whose = TermDate.school_id.is_(None)
        if named:
            whose = or_(whose, TermDate.school_id.in_(named))
        self._authority: list[TermDate] = []
        self._own: dict[uuid.UUID, list[TermDate]] = defaultdict(list)
        for row in session.scalars(select(TermDate).where(whose)):
            if row.school_id is None:
                self._authority.append(row)
            else:
                self._own[row.school_id].append(row)
        self._built: dict[uuid.UUID | None, SchoolCalendar | CalendarError] = {}

    def _build(self, school_id: uuid.UUID | None) -> SchoolCalendar | CalendarError:
        # Schools without their own dates share the authority's calendar, built once.
        key = school_id if school_id in self._own else None
        if key not in self._built:
            try:
                authority = [to_term_dates(row) for row in self._authority]
                own = [to_term_dates(row) for row in self._own.get(key, [])] if key else []
                self._built[key] = SchoolCalendar(merge_term_dates(authority, own))
            except CalendarError as error:
                log.warning("Term dates of school %s cannot be used: %s", key, error)
                self._built[key] = error
        return self._built[key]

    def calendar(self, school_id: uuid.UUID | None) -> SchoolCalendar | None:
        built = self._build(school_id)
        return built if isinstance(built, SchoolCalendar) else None

    def problem(self, school_id: uuid.UUID | None) -> str | None:
        built = self._build(school_id)
        return str(built) if isinstance(built, CalendarError) else None


def _transition_days(
    session: Session, pep_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, date], dict[uuid.UUID, date], dict[uuid.UUID, date]]:
    """The day each PEP was started, first submitted and signed off, from the audit trail (the
    record of who moved a PEP on and when): one query."""
    started: dict[uuid.UUID, date] = {}
    submitted: dict[uuid.UUID, date] = {}
    signed_off: dict[uuid.UUID, date] = {}
    if not pep_ids:
        return started, submitted, signed_off
    by_text = {str(pep_id): pep_id for pep_id in pep_ids}
    rows = session.execute(
        select(
            AuditEvent.object_id, AuditEvent.action, AuditEvent.occurred_at_utc, AuditEvent.details
        )
        .where(
            AuditEvent.action.in_((STARTED_ACTION, TRANSITION_ACTION)),
            AuditEvent.object_id.in_(list(by_text)),
        )
        .order_by(AuditEvent.occurred_at_utc)
    )
    for object_id, action, occurred_at, details in rows:
        pep_id = by_text[object_id]
        if action == STARTED_ACTION:
            started.setdefault(pep_id, england_day(occurred_at))
            continue
        event = (details or {}).get("event")
        if event in SUBMITTED_EVENTS:
            submitted.setdefault(pep_id, england_day(occurred_at))
        elif event == PepEvent.SIGNED_OFF.value:
            signed_off[pep_id] = england_day(occurred_at)
    return started, submitted, signed_off


# How long one process trusts the day records begin before reading it again. Working it out
# reads every PEP (no index starts with academic_year: ix_peps_latest_per_child starts with
# child_id), about 1.5M rows at 100,000 children: too slow for every refresh after a change. It
# moves only when a PEP is recorded for a term earlier than any before; a refresh checks the
# PEPs of its own children for that (through the child_id index), so a change to a child's PEPs
# is never judged by a stale day. The nightly run reads it afresh. OPENPEP_TIMELINESS_SINCE,
# when set, is used instead of either.
RECORDS_BEGIN_SECONDS = 600.0


@dataclass(frozen=True)
class _RecordsBegin:
    expires_at: float
    today: date
    earliest_term: tuple[int, int] | None
    begins_on: date


_records_begin: WeakKeyDictionary[Engine | Connection, _RecordsBegin] = WeakKeyDictionary()


def _term_key(academic_year: int, term: str) -> tuple[int, int]:
    return (academic_year, TERMS.index(term) if term in TERMS else 0)


def records_begin_on(
    session: Session,
    configured: date | None,
    today: date,
    child_ids: Sequence[uuid.UUID] | None = None,
) -> date:
    """The day the portal's records begin: nothing due before it is counted (a Virtual School
    has no PEP records in the portal from before it started using it).

    OPENPEP_TIMELINESS_SINCE when set; else the first day of the earliest term any PEP in the
    portal is for; else, with no PEPs yet, the start of this academic year. With ``child_ids``
    (a refresh of these children), a day read in the last RECORDS_BEGIN_SECONDS is used unless
    one of these children has a PEP for an earlier term; without, it is read afresh."""
    if configured is not None:
        return configured
    bind = session.get_bind()
    kept = _records_begin.get(bind)
    if (
        child_ids is not None
        and kept is not None
        and kept.expires_at > time.monotonic()
        and kept.today == today
        and not _earlier_pep_among(session, child_ids, kept.earliest_term)
    ):
        return kept.begins_on
    earliest_term, begins_on = _read_records_begin_on(session, today)
    _records_begin[bind] = _RecordsBegin(
        time.monotonic() + RECORDS_BEGIN_SECONDS, today, earliest_term, begins_on
    )
    return begins_on


def forget_records_begin_on() -> None:
    """Read the day records begin afresh next time: the authority's term dates changed, and the
    earliest term's first day with them."""
    _records_begin.clear()


def _earlier_pep_among(
    session: Session, child_ids: Sequence[uuid.UUID], earliest_term: tuple[int, int] | None
) -> bool:
    """Whether any of these children has a PEP for a term before ``earliest_term``: one query
    served by the index on (child_id, academic_year, term, ...)."""
    if not child_ids:
        return False
    query = select(Pep.academic_year, Pep.term).where(Pep.child_id.in_(list(child_ids)))
    if earliest_term is not None:
        query = query.where(Pep.academic_year <= earliest_term[0])
    return any(
        earliest_term is None or _term_key(year, term) < earliest_term
        for year, term in session.execute(query)
    )


def _read_records_begin_on(session: Session, today: date) -> tuple[tuple[int, int] | None, date]:
    earliest_year = session.scalar(select(func.min(Pep.academic_year)))
    if earliest_year is None:
        return None, date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    terms = set(
        session.scalars(select(Pep.term).where(Pep.academic_year == earliest_year).distinct())
    )
    first = min(terms, key=lambda term: TERMS.index(term) if term in TERMS else 0)
    years_on, month, day = ROUGH_TERM_START.get(first, (0, 9, 1))
    rough = date(earliest_year + years_on, month, day)
    try:
        authority = calendars_for_schools(session, [None])[None].term(earliest_year, first)
    except CalendarError:  # the authority's dates being mended: the rough first day will do
        return _term_key(earliest_year, first), rough
    begins_on = authority.starts_on if authority else rough
    return _term_key(earliest_year, first), begins_on
