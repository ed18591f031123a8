"""When each PEP is due, and whether it was done on time: the authority's rules applied to a child.

Pure: the facts about a child (frozen dataclasses), their school's `SchoolCalendar`, the rules from
workflows/definitions/timeliness.yaml (or the authority's own file, named by
OPENPEP_TIMELINESS_RULES) and today's date go in; each obligation (what is due, why, by when,
under which rule, statutory or local) and each term's status come out.

What a Virtual School head expects, and this module does:
- statutory deadlines count working days, so a child entering care in the Christmas holidays still
  has a PEP due 20 working days later, however few school days that is;
- the initial PEP counts for the term it falls in, and that term's deadline is never earlier than
  the initial PEP's (a child entering care a week before the termly deadline is not overdue);
- a term whose initial PEP falls due after the term has ended is not owed: the next term is the
  child's first;
- a child under the starting age is not yet due; a child who left care (or turned 18) is exempt
  from whatever falls due afterwards; a short-breaks child (V3/V4) and a previously looked-after
  child are exempt from everything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

from workflows.calendar import (
    TERMS,
    NoTermDatesError,
    SchoolCalendar,
    TermDates,
    academic_year_label,
    academic_year_of,
)
from workflows.pep import PepState
from workflows.pep_types import PepType
from workflows.quality import DefinitionError

RULES_FILE = Path(__file__).parent / "definitions" / "timeliness.yaml"
RULES_ENVIRONMENT_VARIABLE = "OPENPEP_TIMELINESS_RULES"

# The law's limits: an authority may be stricter, never looser.
STATUTORY_WORKING_DAYS = {"care_plan": 10, "initial_pep": 20}
STATUTORY_EXEMPTIONS = frozenset({"short_breaks", "previously_looked_after"})
EVENT_RULES = ("change_of_school", "change_of_placement", "permanent_exclusion")
WORKING_DAY_RULES = ("care_plan", "initial_pep", *EVENT_RULES, "sign_off")


class TimelinessStatus(StrEnum):
    """Where one obligation (or one term) stands today; stored nowhere, worked out each time."""

    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    MEETING_BOOKED = "meeting_booked"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    EXEMPT = "exempt"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    TimelinessStatus.NOT_YET_DUE: "Not yet due",
    TimelinessStatus.DUE: "Due",
    TimelinessStatus.MEETING_BOOKED: "Meeting booked",
    TimelinessStatus.OVERDUE: "Overdue",
    TimelinessStatus.DONE_ON_TIME: "Done on time",
    TimelinessStatus.DONE_LATE: "Done late",
    TimelinessStatus.EXEMPT: "Exempt",
}


class MetBy(StrEnum):
    """Which date on a PEP meets a rule."""

    STARTED = "started"
    MEETING = "meeting"
    SUBMITTED = "submitted"
    SIGNED_OFF = "signed_off"


class EventKind(StrEnum):
    """Something that happened to a child that calls for a new PEP."""

    CHANGE_OF_SCHOOL = "change_of_school"
    CHANGE_OF_PLACEMENT = "change_of_placement"
    PERMANENT_EXCLUSION = "permanent_exclusion"


EVENT_PEP_TYPES = {
    EventKind.CHANGE_OF_SCHOOL: PepType.CHANGE_OF_SCHOOL,
    EventKind.CHANGE_OF_PLACEMENT: PepType.CHANGE_OF_PLACEMENT,
    EventKind.PERMANENT_EXCLUSION: PepType.AFTER_EXCLUSION,
}
EVENT_WORDS = {
    EventKind.CHANGE_OF_SCHOOL: "Changed school or setting",
    EventKind.CHANGE_OF_PLACEMENT: "Changed placement",
    EventKind.PERMANENT_EXCLUSION: "Permanently excluded",
}


# The portal's PEPs are identified by UUIDs; plain numbers read more easily in tests.
PepId = uuid.UUID | int

# -- facts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildFacts:
    """What the rules need to know about a child (no name: nothing here identifies them)."""

    date_of_birth: date
    entered_care_on: date | None
    first_placement_on: date | None = None
    legal_status_code: str | None = None
    left_care_on: date | None = None
    previously_looked_after: bool = False


@dataclass(frozen=True)
class ChildEvent:
    kind: EventKind
    on: date


@dataclass(frozen=True)
class PepRecord:
    """One PEP as the rules see it: its term, type, state and the dates that meet rules."""

    id: PepId
    academic_year: int
    term: str
    pep_type: PepType
    state: PepState
    meeting_on: date | None = None
    submitted_on: date | None = None
    signed_off_on: date | None = None
    started_on: date | None = None

    @property
    def counts(self) -> bool:
        """A cancelled PEP meets nothing."""
        return self.state != PepState.CANCELLED

    @property
    def is_signed_off(self) -> bool:
        return self.state in (PepState.SIGNED_OFF, PepState.SUPERSEDED)

    def met_on(self, met_by: MetBy, today: date) -> date | None:
        """The date this PEP met a rule of this kind, or None (yet); future dates do not count."""
        if not self.counts:
            return None
        if met_by == MetBy.SIGNED_OFF:
            # Superseded PEPs were signed off first; an old record may lack the date, when the
            # submission (or failing that the meeting) is the nearest date known.
            met = (
                (self.signed_off_on or self.submitted_on or self.meeting_on)
                if self.is_signed_off
                else None
            )
        elif met_by == MetBy.SUBMITTED:
            met = self.submitted_on or (self.signed_off_on if self.is_signed_off else None)
        elif met_by == MetBy.MEETING:
            met = self.meeting_on
        else:
            met = self.started_on
        return met if met is not None and met <= today else None


# -- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRule:
    """A PEP within a number of working days of something happening."""

    key: str
    statutory: bool
    description: str
    working_days: int
    met_by: MetBy


@dataclass(frozen=True)
class TermlyRule:
    key: str
    statutory: bool
    description: str
    starting_age: int
    until_age: int
    met_by: MetBy
    school_days_before_term_ends: int
    dates: Mapping[tuple[int, str], date] = field(default_factory=dict)


@dataclass(frozen=True)
class ExemptionRule:
    key: str
    statutory: bool
    description: str
    enabled: bool = True
    legal_status_codes: frozenset[str] = frozenset()
    days: int = 0


@dataclass(frozen=True)
class ReminderRules:
    due_in_school_days: tuple[int, ...]
    escalate_overdue_after_working_days: int
    waiting_for_approval_working_days: int

    @property
    def due_window_school_days(self) -> int:
        """A term's PEP shows as due from the first reminder."""
        return max(self.due_in_school_days, default=0)


@dataclass(frozen=True)
class TimelinessRules:
    version: int
    deadlines: Mapping[str, DeadlineRule]
    termly: TermlyRule
    exemptions: Mapping[str, ExemptionRule]
    reminders: ReminderRules

    def deadline(self, key: str) -> DeadlineRule:
        return self.deadlines[key]


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exemption:
    rule: str
    statutory: bool
    reason: str


@dataclass(frozen=True)
class ReminderPoint:
    """A day on which someone should be told: `kind` is due_in_<n>, overdue or escalation."""

    kind: str
    on: date


@dataclass(frozen=True)
class Obligation:
    """Something a child is owed: what, why, by when, under which rule, and where it stands.

    `key` is stable for the same obligation from one day to the next (reminders use it so as
    never to send the same one twice)."""

    key: str
    rule: str
    statutory: bool
    what: str
    why: str
    due_on: date
    status: TimelinessStatus
    pep_type: PepType
    satisfied_by: PepId | None = None
    completed_on: date | None = None
    exemption: Exemption | None = None
    academic_year: int | None = None
    term: str | None = None
    reminders: tuple[ReminderPoint, ...] = ()


@dataclass(frozen=True)
class TermStatus:
    """One term for one child: its status, due date (None while under the starting age) and the
    PEP that satisfies it."""

    academic_year: int
    term: str
    status: TimelinessStatus
    due_on: date | None
    pep_id: PepId | None
    reason: str
    year_group: int | None
    obligation: Obligation | None = None

    @property
    def name(self) -> str:
        return f"{self.term.title()} term {academic_year_label(self.academic_year)}"


@dataclass(frozen=True)
class Timeliness:
    obligations: tuple[Obligation, ...]
    terms: tuple[TermStatus, ...]
    exemption: Exemption | None = None
    # The academic year (its first calendar year) whose term dates are missing for today's term
    # or the next: no termly PEP can be worked out until they are added. Never guessed.
    term_dates_missing_for: int | None = None

    @property
    def term_dates_missing(self) -> str | None:
        """What to do about missing term dates, or None."""
        if self.term_dates_missing_for is None:
            return None
        return (
            f"Add the term dates for {academic_year_label(self.term_dates_missing_for)} to work "
            "out termly PEPs"
        )

    def term(self, academic_year: int, term: str) -> TermStatus | None:
        return next(
            (t for t in self.terms if (t.academic_year, t.term) == (academic_year, term)), None
        )

    def obligation(self, key: str) -> Obligation | None:
        return next((o for o in self.obligations if o.key == key), None)


# -- ages and year groups -------------------------------------------------------------------------


def birthday_in(date_of_birth: date, year: int) -> date:
    """The child's birthday in a year; a 29 February birthday falls on 1 March in other years
    (the day a person born then attains an age in English law)."""
    try:
        return date_of_birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on a day."""
    age = on.year - date_of_birth.year
    return age if on >= birthday_in(date_of_birth, on.year) else age - 1


def year_group_on(date_of_birth: date, on: date) -> int:
    """The national curriculum year group on a day: Reception is 0, Year 1 is 1, nursery -1.

    A child joins Reception in the academic year (September to August) in which they turn five,
    so the year group is the academic year minus the one the child was born in, less five. (The
    same formula as portal/academic.py, written again here because workflows/ imports no portal
    code.)"""
    return academic_year_of(on) - academic_year_of(date_of_birth) - 5


# -- evaluation -----------------------------------------------------------------------------------


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def evaluate(
    child: ChildFacts,
    events: Sequence[ChildEvent],
    peps: Sequence[PepRecord],
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    today: date,
    since: date | None = None,
) -> Timeliness:
    """Every obligation the child has had (up to the term after today) and each term's status.

    `since` leaves out whatever fell due before it: a Virtual School that starts using the portal
    has no PEP records from before, and a child in care since 2019 is not "overdue" an initial
    PEP that was done on paper. Pass the day records began (or the start of this year)."""
    whole = _whole_child_exemption(child, rules, today)
    obligations: list[Obligation] = []
    entered = child.entered_care_on

    initial_due: date | None = None
    initial_met_by: PepId | None = None
    if entered is not None:
        care_plan = rules.deadline("care_plan")
        placed = child.first_placement_on or entered
        obligations.append(
            _deadline_obligation(
                care_plan,
                key=f"care_plan:{placed.isoformat()}",
                what="The care plan, with the PEP started",
                why=(
                    f"First placed on {_long(placed)}: the care plan, with the PEP, within "
                    f"{care_plan.working_days} working days"
                ),
                trigger=placed,
                pep_type=PepType.INITIAL,
                child=child,
                peps=peps,
                calendar=calendar,
                rules=rules,
                today=today,
                whole=whole,
            )
        )
        initial = rules.deadline("initial_pep")
        initial_obligation = _deadline_obligation(
            initial,
            key=f"initial_pep:{entered.isoformat()}",
            what="The initial PEP, ready for the first care-plan review",
            why=(
                f"Entered care on {_long(entered)}: the PEP ready for the first care-plan review, "
                f"within {initial.working_days} working days"
            ),
            trigger=entered,
            pep_type=PepType.INITIAL,
            child=child,
            peps=peps,
            calendar=calendar,
            rules=rules,
            today=today,
            whole=whole,
        )
        obligations.append(initial_obligation)
        initial_due = initial_obligation.due_on
        initial_met_by = initial_obligation.satisfied_by

    for event in sorted(events, key=lambda event: (event.on, event.kind)):
        in_care = entered is not None and event.on >= entered
        if not in_care or (child.left_care_on is not None and event.on > child.left_care_on):
            continue
        rule = rules.deadline(event.kind.value)
        obligations.append(
            _deadline_obligation(
                rule,
                key=f"{event.kind.value}:{event.on.isoformat()}",
                what=f"A new PEP ({EVENT_PEP_TYPES[event.kind].label.lower()})",
                why=(
                    f"{EVENT_WORDS[event.kind]} on {_long(event.on)}: a new PEP within "
                    f"{rule.working_days} working days"
                ),
                trigger=event.on,
                pep_type=EVENT_PEP_TYPES[event.kind],
                child=child,
                peps=peps,
                calendar=calendar,
                rules=rules,
                today=today,
                whole=whole,
            )
        )

    sign_off = rules.deadline("sign_off")
    for pep in sorted(peps, key=lambda pep: pep.id):
        if not pep.counts or pep.meeting_on is None:
            continue
        obligations.append(
            _deadline_obligation(
                sign_off,
                key=f"sign_off:{pep.id}",
                what="The PEP signed off",
                why=(
                    f"PEP meeting on {_long(pep.meeting_on)}: signed off within "
                    f"{sign_off.working_days} working days"
                ),
                trigger=pep.meeting_on,
                pep_type=pep.pep_type,
                child=child,
                peps=[pep],
                calendar=calendar,
                rules=rules,
                today=today,
                whole=whole,
            )
        )

    terms = _term_statuses(child, peps, calendar, rules, today, whole, initial_due, initial_met_by)
    if since is not None:
        obligations = [obligation for obligation in obligations if obligation.due_on >= since]
        terms = [
            status
            for status in terms
            if (term := calendar.term(status.academic_year, status.term)) and term.ends_on >= since
        ]
    obligations.extend(status.obligation for status in terms if status.obligation is not None)
    missing = None if whole is not None or entered is None else _term_dates_missing(calendar, today)
    return Timeliness(
        obligations=tuple(obligations),
        terms=tuple(terms),
        exemption=whole,
        term_dates_missing_for=missing,
    )


def _term_dates_missing(calendar: SchoolCalendar, today: date) -> int | None:
    """The academic year whose term dates are missing, when neither today's term nor the one
    after today's holiday has dates: a year not yet entered (the academic year of today, or in
    August the one about to start)."""
    if calendar.term_containing(today) is not None:
        return None
    following = calendar.next_term_after(today)
    if following is not None and following.starts_on - today <= LONGEST_HOLIDAY:
        return None
    return today.year if today.month >= 8 else today.year - 1


def _whole_child_exemption(
    child: ChildFacts, rules: TimelinessRules, today: date
) -> Exemption | None:
    """An exemption from every obligation: short breaks, previously looked after, a short stay."""
    short_breaks = rules.exemptions["short_breaks"]
    code = (child.legal_status_code or "").strip().upper()
    if code and code in short_breaks.legal_status_codes:
        return Exemption(
            short_breaks.key,
            short_breaks.statutory,
            f"Short breaks only (legal status {code}): no PEP is required",
        )
    previously = rules.exemptions["previously_looked_after"]
    if child.previously_looked_after:
        return Exemption(
            previously.key,
            previously.statutory,
            "Previously looked after: no statutory PEP (a voluntary plan may be offered)",
        )
    short_stay = rules.exemptions["in_care_under_days"]
    left, entered = child.left_care_on, child.entered_care_on
    if (
        short_stay.enabled
        and left is not None
        and entered is not None
        and left <= today
        and (left - entered).days < short_stay.days
    ):
        return Exemption(
            short_stay.key,
            short_stay.statutory,
            f"In care for {(left - entered).days} days, under {short_stay.days}: "
            "no PEP is required",
        )
    return None


def _later_exemption(child: ChildFacts, rules: TimelinessRules, due_on: date) -> Exemption | None:
    """An exemption from an obligation falling due after the child left care or turned 18."""
    left_care = rules.exemptions["left_care"]
    if left_care.enabled and child.left_care_on is not None and due_on > child.left_care_on:
        return Exemption(
            left_care.key,
            left_care.statutory,
            f"Left care on {_long(child.left_care_on)}, before this was due",
        )
    until = rules.termly.until_age
    adult_on = birthday_in(child.date_of_birth, child.date_of_birth.year + until)
    if due_on >= adult_on:
        return Exemption(
            "until_age",
            False,
            f"Turned {until} on {_long(adult_on)} and left care, before this was due",
        )
    return None


def _deadline_obligation(
    rule: DeadlineRule,
    *,
    key: str,
    what: str,
    why: str,
    trigger: date,
    pep_type: PepType,
    child: ChildFacts,
    peps: Iterable[PepRecord],
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    today: date,
    whole: Exemption | None,
) -> Obligation:
    due_on = calendar.add_working_days(trigger, rule.working_days)
    exemption = whole or _later_exemption(child, rules, due_on)
    # The PEP that meets it: the first met on or after the day that started the clock.
    met = sorted(
        (met_on, pep.id)
        for pep in peps
        if (met_on := pep.met_on(rule.met_by, today)) is not None and met_on >= trigger
    )
    booked = any(
        pep.counts and pep.meeting_on is not None and pep.meeting_on >= trigger for pep in peps
    )
    completed_on, satisfied_by = met[0] if met else (None, None)
    status = _status(
        exemption=exemption,
        completed_on=completed_on,
        due_on=due_on,
        # Working-day obligations are due from the day the clock starts.
        due_from=trigger,
        meeting_booked=booked and rule.met_by != MetBy.SIGNED_OFF,
        today=today,
    )
    return Obligation(
        key=key,
        rule=rule.key,
        statutory=rule.statutory,
        what=what,
        why=why,
        due_on=due_on,
        status=status,
        pep_type=pep_type,
        satisfied_by=satisfied_by,
        completed_on=completed_on,
        exemption=exemption,
        reminders=_reminders(due_on, trigger, calendar, rules, school_days=False),
    )


def _status(
    *,
    exemption: Exemption | None,
    completed_on: date | None,
    due_on: date,
    due_from: date,
    meeting_booked: bool,
    today: date,
) -> TimelinessStatus:
    if completed_on is not None:
        return (
            TimelinessStatus.DONE_ON_TIME if completed_on <= due_on else TimelinessStatus.DONE_LATE
        )
    if exemption is not None:
        return TimelinessStatus.EXEMPT
    if today > due_on:
        return TimelinessStatus.OVERDUE
    if meeting_booked:
        return TimelinessStatus.MEETING_BOOKED
    if today >= due_from:
        return TimelinessStatus.DUE
    return TimelinessStatus.NOT_YET_DUE


def _reminders(
    due_on: date,
    starts_on: date,
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    *,
    school_days: bool,
) -> tuple[ReminderPoint, ...]:
    """Days to remind people: before the due date (school days for a term's PEP, working days
    for a deadline counted in working days), the day after it, and the escalation."""
    points: list[ReminderPoint] = []
    for days in sorted(rules.reminders.due_in_school_days, reverse=True):
        try:
            on = (
                calendar.add_school_days(due_on, -days)
                if school_days
                else calendar.add_working_days(due_on, -days)
            )
        except NoTermDatesError:
            continue
        if on >= starts_on:  # no reminder before the obligation existed
            points.append(ReminderPoint(f"due_in_{days}", on))
    overdue_on = calendar.add_working_days(due_on, 1)
    points.append(ReminderPoint("overdue", overdue_on))
    escalation = rules.reminders.escalate_overdue_after_working_days
    points.append(ReminderPoint("escalation", calendar.add_working_days(due_on, escalation)))
    return tuple(points)


def term_due_date(term: TermDates, calendar: SchoolCalendar, rule: TermlyRule) -> date:
    """A term's PEP deadline: the authority's date for the term, else a number of school days
    before the term ends (the last day of term when that count is 0)."""
    if (given := rule.dates.get(term.key)) is not None:
        return given
    if rule.school_days_before_term_ends == 0:
        return term.ends_on
    try:
        counted = calendar.add_school_days(term.ends_on, -rule.school_days_before_term_ends)
    except NoTermDatesError:
        counted = term.starts_on
    # A term shorter than the count (a school's odd first term) is due on its first day.
    return max(counted, term.starts_on)


def _term_statuses(
    child: ChildFacts,
    peps: Sequence[PepRecord],
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    today: date,
    whole: Exemption | None,
    initial_due: date | None,
    initial_met_by: PepId | None = None,
) -> list[TermStatus]:
    termly = rules.termly
    # The child's first term is the one the initial PEP falls due in (or the next, when it falls
    # due in a holiday): a term that ends before then is not owed.
    first_from = initial_due or child.entered_care_on
    upcoming = calendar.next_term_after(today)
    shown = [
        term
        for term in calendar.terms
        if (first_from is None or term.ends_on >= first_from)
        and (term.starts_on <= today or term == upcoming)
    ]
    first_term_in_care = _first_term_in_care(calendar, initial_due)
    statuses: list[TermStatus] = []
    for term in shown:
        first_term = term == first_term_in_care
        year_group = year_group_on(child.date_of_birth, term.starts_on)
        starts_at = birthday_in(child.date_of_birth, child.date_of_birth.year + termly.starting_age)
        if term.starts_on < starts_at:
            statuses.append(
                TermStatus(
                    term.academic_year,
                    term.term,
                    TimelinessStatus.NOT_YET_DUE,
                    None,
                    None,
                    f"Under {termly.starting_age}: termly PEPs start with the first term after "
                    f"{_long(starts_at)}",
                    year_group,
                )
            )
            continue
        obligation = _term_obligation(
            term,
            first_term,
            child,
            peps,
            calendar,
            rules,
            today,
            whole,
            initial_due,
            initial_met_by if first_term else None,
        )
        statuses.append(
            TermStatus(
                term.academic_year,
                term.term,
                obligation.status,
                obligation.due_on,
                obligation.satisfied_by,
                obligation.exemption.reason if obligation.exemption else obligation.why,
                year_group,
                obligation,
            )
        )
    return statuses


# No school holiday in England is longer than this (the summer's is about six weeks): a term
# starting later than this after the initial PEP's deadline is not the child's first in care.
LONGEST_HOLIDAY = timedelta(days=62)


def _first_term_in_care(calendar: SchoolCalendar, initial_due: date | None) -> TermDates | None:
    """The term the initial PEP falls due in, or the one after the holiday it falls due in. Not
    merely the next term recorded: a child in care since 2019, with term dates recorded from
    2025, has no first term in care among them."""
    if initial_due is None:
        return None
    containing = calendar.term_containing(initial_due)
    if containing is not None:
        return containing
    following = calendar.next_term_after(initial_due)
    if following is None or following.starts_on - initial_due > LONGEST_HOLIDAY:
        return None
    return following


def _term_obligation(
    term: TermDates,
    first_term: bool,
    child: ChildFacts,
    peps: Sequence[PepRecord],
    calendar: SchoolCalendar,
    rules: TimelinessRules,
    today: date,
    whole: Exemption | None,
    initial_due: date | None,
    initial_met_by: PepId | None = None,
) -> Obligation:
    termly = rules.termly
    due_on = term_due_date(term, calendar, termly)
    why = f"One signed-off PEP each term, by {_long(due_on)}"
    if first_term and initial_due is not None and initial_due > due_on:
        due_on = initial_due
        why = f"The child's first term in care: the initial PEP counts for it, due {_long(due_on)}"
    exemption = whole or _later_exemption(child, rules, due_on)
    # The first term in care also counts the PEP that met the initial PEP's deadline, whatever
    # term it was filed under: a child entering care on 21 December gets a PEP the start page
    # filed under autumn and signed off on 8 January, and it meets spring too.
    in_term = [
        pep
        for pep in peps
        if pep.counts
        and (
            (pep.academic_year, pep.term) == term.key
            or (initial_met_by is not None and pep.id == initial_met_by)
        )
    ]
    met = sorted(
        (met_on, pep.id) for pep in in_term if (met_on := pep.met_on(termly.met_by, today))
    )
    completed_on, satisfied_by = met[0] if met else (None, None)
    try:
        window_opens = calendar.add_school_days(due_on, -rules.reminders.due_window_school_days)
    except NoTermDatesError:
        window_opens = term.starts_on
    status = _status(
        exemption=exemption,
        completed_on=completed_on,
        due_on=due_on,
        due_from=window_opens,
        meeting_booked=any(pep.meeting_on is not None for pep in in_term),
        today=today,
    )
    return Obligation(
        key=f"termly_pep:{term.academic_year}:{term.term}",
        rule=termly.key,
        statutory=termly.statutory,
        what=f"A signed-off PEP for the {term.name.lower()}",
        why=why,
        due_on=due_on,
        status=status,
        pep_type=PepType.INITIAL if first_term else PepType.TERMLY,
        satisfied_by=satisfied_by,
        completed_on=completed_on,
        exemption=exemption,
        academic_year=term.academic_year,
        term=term.term,
        reminders=_reminders(due_on, term.starts_on, calendar, rules, school_days=True),
    )


def waiting_too_long(
    waiting_since: date, today: date, calendar: SchoolCalendar, rules: TimelinessRules
) -> bool:
    """Whether a PEP waiting for approval or quality assurance since a day should be chased."""
    waited = calendar.working_days_between(waiting_since, today)
    return waited > rules.reminders.waiting_for_approval_working_days


# -- loading the rules file -----------------------------------------------------------------------


def rules_from_environment(environ: Mapping[str, str] = os.environ) -> TimelinessRules:
    """The authority's rules: the file OPENPEP_TIMELINESS_RULES names, else the defaults."""
    named = environ.get(RULES_ENVIRONMENT_VARIABLE, "").strip()
    return load_rules(Path(named)) if named else load_rules()


@cache
def load_rules(path: Path = RULES_FILE) -> TimelinessRules:
    """Load and check a rules file; DefinitionError names the file, the place and the problem."""
    data = _mapping(
        _read(path), path, "(top level)", {"version", "rules", "exemptions", "reminders"}
    )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version != 1:
        raise DefinitionError(path, "version", "must be 1")
    rules = _mapping(data.get("rules"), path, "rules", {*WORKING_DAY_RULES, "termly_pep"})
    deadlines = {key: _deadline_rule(key, rules, path) for key in WORKING_DAY_RULES}
    exemptions_data = _mapping(
        data.get("exemptions"),
        path,
        "exemptions",
        {*STATUTORY_EXEMPTIONS, "in_care_under_days", "left_care"},
    )
    exemptions = {
        key: _exemption_rule(key, exemptions_data, path)
        for key in ("short_breaks", "previously_looked_after", "in_care_under_days", "left_care")
    }
    return TimelinessRules(
        version=version,
        deadlines=MappingProxyType(deadlines),
        termly=_termly_rule(rules, path),
        exemptions=MappingProxyType(exemptions),
        reminders=_reminder_rules(data.get("reminders"), path),
    )


def _kind(entry: Mapping[str, object], path: Path, where: str, statutory_by_law: bool) -> bool:
    kind = entry.get("kind")
    if kind not in ("statutory", "local"):
        raise DefinitionError(path, f"{where}.kind", "must be statutory or local")
    if statutory_by_law and kind != "statutory":
        raise DefinitionError(path, f"{where}.kind", "is set by law: it must be statutory")
    return kind == "statutory"


def _deadline_rule(key: str, rules: Mapping[str, object], path: Path) -> DeadlineRule:
    where = f"rules.{key}"
    if key not in rules:
        raise DefinitionError(path, where, "is missing: every rule must be given")
    entry = _mapping(rules[key], path, where, {"kind", "description", "working_days", "met_by"})
    statutory = _kind(entry, path, where, key in STATUTORY_WORKING_DAYS)
    working_days = _whole_number(entry, "working_days", path, where, minimum=1)
    limit = STATUTORY_WORKING_DAYS.get(key)
    if limit is not None and working_days > limit:
        raise DefinitionError(
            path,
            f"{where}.working_days",
            f"the law allows at most {limit} working days: it may be fewer, not more",
        )
    return DeadlineRule(
        key=key,
        statutory=statutory,
        description=_text(entry, "description", path, where),
        working_days=working_days,
        met_by=_met_by(entry, path, where),
    )


def _termly_rule(rules: Mapping[str, object], path: Path) -> TermlyRule:
    where = "rules.termly_pep"
    allowed = {"kind", "description", "starting_age", "until_age", "met_by", "deadline"}
    entry = _mapping(rules.get("termly_pep"), path, where, allowed)
    starting_age = _whole_number(entry, "starting_age", path, where, minimum=2)
    if starting_age not in (2, 3):
        raise DefinitionError(path, f"{where}.starting_age", "must be 2 or 3")
    until_age = _whole_number(entry, "until_age", path, where, minimum=starting_age + 1)
    if until_age > 18:
        raise DefinitionError(
            path, f"{where}.until_age", "must be 18 or less: a child leaves care at 18"
        )
    deadline_where = f"{where}.deadline"
    deadline = _mapping(
        entry.get("deadline"), path, deadline_where, {"school_days_before_term_ends", "dates"}
    )
    before_end = _whole_number(
        deadline, "school_days_before_term_ends", path, deadline_where, minimum=0
    )
    dates_value = deadline.get("dates", [])
    if not isinstance(dates_value, list):
        raise DefinitionError(path, f"{deadline_where}.dates", "must be a list of term dates")
    dates: dict[tuple[int, str], date] = {}
    for index, item in enumerate(dates_value):
        at = f"{deadline_where}.dates[{index}]"
        given = _mapping(item, path, at, {"academic_year", "term", "due_on"})
        year = _whole_number(given, "academic_year", path, at, minimum=2000)
        term = given.get("term")
        if term not in TERMS:
            raise DefinitionError(path, f"{at}.term", "must be autumn, spring or summer")
        due_on = given.get("due_on")
        if not isinstance(due_on, date):
            raise DefinitionError(path, f"{at}.due_on", "must be a date like 2026-12-04")
        if academic_year_of(due_on) != year:
            raise DefinitionError(
                path, f"{at}.due_on", f"must fall in the academic year {academic_year_label(year)}"
            )
        if (year, term) in dates:
            raise DefinitionError(path, at, f"gives the {term} term of {year} a second date")
        dates[(year, str(term))] = due_on
    return TermlyRule(
        key="termly_pep",
        statutory=_kind(entry, path, where, statutory_by_law=False),
        description=_text(entry, "description", path, where),
        starting_age=starting_age,
        until_age=until_age,
        met_by=_met_by(entry, path, where),
        school_days_before_term_ends=before_end,
        dates=MappingProxyType(dates),
    )


def _exemption_rule(key: str, exemptions: Mapping[str, object], path: Path) -> ExemptionRule:
    where = f"exemptions.{key}"
    if key not in exemptions:
        raise DefinitionError(path, where, "is missing: every exemption must be given")
    allowed = {"kind", "description", "enabled", "legal_status_codes", "days"}
    entry = _mapping(exemptions[key], path, where, allowed)
    statutory = _kind(entry, path, where, key in STATUTORY_EXEMPTIONS)
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise DefinitionError(path, f"{where}.enabled", "must be true or false")
    if statutory and not enabled:
        raise DefinitionError(
            path, f"{where}.enabled", "a statutory exemption cannot be switched off"
        )
    codes: frozenset[str] = frozenset()
    if key == "short_breaks":
        value = entry.get("legal_status_codes")
        if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
            raise DefinitionError(
                path, f"{where}.legal_status_codes", "must list legal status codes, like [V3, V4]"
            )
        codes = frozenset(code.strip().upper() for code in value)
    days = (
        _whole_number(entry, "days", path, where, minimum=1) if key == "in_care_under_days" else 0
    )
    return ExemptionRule(
        key=key,
        statutory=statutory,
        description=_text(entry, "description", path, where),
        enabled=enabled,
        legal_status_codes=codes,
        days=days,
    )


def _reminder_rules(value: object, path: Path) -> ReminderRules:
    where = "reminders"
    allowed = {
        "due_in_school_days",
        "escalate_overdue_after_working_days",
        "waiting_for_approval_working_days",
    }
    entry = _mapping(value, path, where, allowed)
    due_in = entry.get("due_in_school_days")
    if (
        not isinstance(due_in, list)
        or not due_in
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in due_in)
        or len(set(due_in)) != len(due_in)
    ):
        raise DefinitionError(
            path,
            f"{where}.due_in_school_days",
            "must list different whole numbers of school days, like [15, 5]",
        )
    return ReminderRules(
        due_in_school_days=tuple(sorted(due_in, reverse=True)),
        escalate_overdue_after_working_days=_whole_number(
            entry, "escalate_overdue_after_working_days", path, where, minimum=1
        ),
        waiting_for_approval_working_days=_whole_number(
            entry, "waiting_for_approval_working_days", path, where, minimum=1
        ),
    )


def _met_by(entry: Mapping[str, object], path: Path, where: str) -> MetBy:
    value = entry.get("met_by")
    if value not in {met.value for met in MetBy}:
        raise DefinitionError(
            path, f"{where}.met_by", f"must be one of {', '.join(met.value for met in MetBy)}"
        )
    return MetBy(value)


def _whole_number(
    entry: Mapping[str, object], name: str, path: Path, where: str, *, minimum: int
) -> int:
    value = entry.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise DefinitionError(path, f"{where}.{name}", f"must be a whole number, {minimum} or more")
    return value


def _text(entry: Mapping[str, object], name: str, path: Path, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(path, f"{where}.{name}", "must be non-empty text")
    return " ".join(value.split())


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DefinitionError(path, "(file)", f"cannot be read: {error.strerror}") from error
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise DefinitionError(path, where, "is not valid YAML") from error


def _mapping(value: object, path: Path, where: str, allowed: set[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise DefinitionError(path, where, "must be a mapping of names to values")
    unknown = sorted(str(name) for name in value if name not in allowed)
    if unknown:
        raise DefinitionError(path, where, f"unknown field {unknown[0]!r}")
    return value
