"""Reminders of PEP deadlines, for `flask --app portal send-reminders` (a reminder source).

From the stored obligations (portal/models/timeliness.py) and their reminder days:
- due in 15 and in 5 school days (working days for a deadline counted in working days): the
  child's designated teacher (the Virtual School adviser for a child with no school place) and
  social worker;
- overdue: the same people and the child's Virtual School adviser;
- still overdue 10 working days later: escalated to the child's social work team manager(s)
  and the Virtual School head(s). A child with no team manager, or an authority with no head,
  has the escalation sent to the Virtual School's admins as well, so that none goes unread.

A PEP's sign-off deadline (after its meeting) goes instead to whoever the PEP is waiting for in
its state: the designated teacher to complete and submit it, the social worker to approve it,
the reviewers to quality-assure and sign it off (the child's Virtual School advisers who review,
else every reviewer with the child's advisers told too; `notifications.quality_assurers`).
Each is recorded once by the obligation's stable key, the kind and the person. No child's name
or reference in a subject line (issue 14: no personal detail there): the body names the child
by the authority's reference, with a link.
A fixed number of queries, however many children are due.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.models import Child, Pep, RoleGrant, TimelinessObligation, User
from portal.operations.emails import EmailContent, dedupe_key, portal_link
from portal.operations.notifications import REVIEWERS_ASKED, quality_assurers
from portal.operations.timeliness import timeliness_rules
from portal.presentation import UK
from portal.timeliness.status import obligation_status
from workflows.pep import PepState
from workflows.roles import Role
from workflows.timeliness import ReminderRules, TimelinessStatus

if TYPE_CHECKING:
    from portal.operations.reminders import Reminder

DUE_SOON = "pep_due_soon"
OVERDUE = "pep_overdue"
ESCALATED = "pep_overdue_escalated"
STILL_OWED = (
    TimelinessStatus.NOT_YET_DUE.value,
    TimelinessStatus.DUE.value,
    TimelinessStatus.MEETING_BOOKED.value,
    TimelinessStatus.OVERDUE.value,
)
# Calendar weeks to allow, beyond 5 counted days a week, for a holiday in between: the summer
# holiday (up to 7 weeks) between school days; Christmas's bank holidays between working days.
WEEKS_FOR_A_SCHOOL_HOLIDAY = 8
WEEKS_FOR_BANK_HOLIDAYS = 2


def reminder_window(rules: ReminderRules) -> tuple[timedelta, timedelta]:
    """How long before a due date its first reminder can fall, and how long after it the
    escalation: obligations due outside this window have no reminder today and are not read.
    Worked out from the authority's rules, so that a longer escalation or an earlier first
    reminder in its file is never missed."""
    earliest_before = timedelta(
        weeks=ceil(rules.due_window_school_days / 5) + WEEKS_FOR_A_SCHOOL_HOLIDAY
    )
    latest_after = timedelta(
        weeks=ceil(rules.escalate_overdue_after_working_days / 5) + WEEKS_FOR_BANK_HOLIDAYS
    )
    return earliest_before, latest_after


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class _People:
    by_child: dict[tuple[uuid.UUID, Role], list[User]]
    by_school: dict[uuid.UUID, list[User]]
    admins: list[User]
    reviewers: list[User]
    heads: list[User]


def _people(session: Session, children: Iterable[Child]) -> _People:
    """The case holders of each child (with the social work team managers), the designated
    teachers of each school, the admins, the reviewers and the Virtual School heads: one query."""
    children = list(children)
    child_ids = {child.id for child in children}
    school_ids = {child.current_school_id for child in children if child.current_school_id}
    grants = session.execute(
        select(RoleGrant.role, RoleGrant.child_id, RoleGrant.school_id, User)
        .join(User, User.id == RoleGrant.user_id)
        .where(
            User.active.is_(True),
            or_(
                RoleGrant.child_id.in_(child_ids),
                RoleGrant.school_id.in_(school_ids),
                RoleGrant.role.in_((Role.ADMIN.value, Role.REVIEWER.value, Role.VS_HEAD.value)),
            ),
        )
        .order_by(User.email)
    )
    by_child: dict[tuple[uuid.UUID, Role], list[User]] = defaultdict(list)
    by_school: dict[uuid.UUID, list[User]] = defaultdict(list)
    admins: list[User] = []
    reviewers: list[User] = []
    heads: list[User] = []
    for role, child_id, school_id, user in grants:
        if role == Role.ADMIN.value:
            admins.append(user)
        elif role == Role.REVIEWER.value and child_id is None and school_id is None:
            reviewers.append(user)
        elif role == Role.VS_HEAD.value:
            heads.append(user)
        elif child_id is not None:
            by_child[(child_id, Role(role))].append(user)
        elif school_id is not None and role == Role.DESIGNATED_TEACHER.value:
            by_school[school_id].append(user)
    return _People(by_child, by_school, admins, reviewers, heads)


SIGN_OFF_RULE = "sign_off"
# The care plan's deadline is met when the child's PEP is started (it is part of the plan).
CARE_PLAN_RULE = "care_plan"
CARE_PLAN_TO_DO = (
    "The care plan must include the child's PEP: start the PEP now if it is not started, and "
    "arrange its meeting."
)


def _pep_of(obligation: TimelinessObligation) -> uuid.UUID | None:
    """The PEP a sign-off deadline is for: its key is "sign_off:<PEP id>"."""
    _, _, pep_id = obligation.key.partition(":")
    try:
        return uuid.UUID(pep_id)
    except ValueError:
        return None


def _sign_off_waiting_for(
    state: PepState | None,
    teachers: list[User],
    workers: list[User],
    reviewing: list[User],
) -> tuple[list[User], str] | None:
    """After the meeting, whom a PEP is waiting for, and what they should do: None when it is
    waiting for nobody (signed off, cancelled, replaced, or not found)."""
    if state in (PepState.DRAFT, PepState.RETURNED):
        return teachers, "The meeting has happened: complete the PEP and submit it for approval."
    if state is PepState.SUBMITTED:
        return workers, "The PEP is waiting for your approval: approve it, or return it."
    if state is PepState.APPROVED:
        return (
            reviewing,
            "The PEP is approved and waiting for quality assurance: check it, then sign it off "
            "or return it with feedback.",
        )
    return None


FOR_AN_ADVISER = f"The PEP is approved and waiting for quality assurance. {REVIEWERS_ASKED}"


def _escalated_to(managers: list[User], heads: list[User], admins: list[User]) -> list[User]:
    """The child's social work team managers and the Virtual School heads; the admins too when
    either is missing (a child with no team manager, an authority with no head), so that an
    escalation always reaches someone who leads."""
    if managers and heads:
        return [*managers, *heads]
    return [*managers, *heads, *admins]


def _unique(people: Iterable[User]) -> list[User]:
    return list({person.id: person for person in people}.values())


def pep_deadline_reminders(
    session: Session, settings: Mapping[str, Any], now: datetime
) -> Iterable[Reminder]:
    """Every PEP deadline reminder due today that the stored obligations call for."""
    from portal.operations.reminders import Reminder

    today = now.astimezone(UK).date()
    earliest_before, latest_after = reminder_window(timeliness_rules(settings).reminders)
    rows = list(
        session.execute(
            select(TimelinessObligation, Child)
            .join(Child, Child.id == TimelinessObligation.child_id)
            .where(
                Child.date_left_care.is_(None),
                TimelinessObligation.status.in_(STILL_OWED),
                TimelinessObligation.due_on >= today - latest_after,
                TimelinessObligation.due_on <= today + earliest_before,
            )
            .order_by(TimelinessObligation.due_on, TimelinessObligation.key)
        ).all()
    )
    if not rows:
        return
    people_of = _people(session, (child for _, child in rows))
    by_child, by_school, admins = people_of.by_child, people_of.by_school, people_of.admins
    # The state of each PEP whose sign-off is due: it says who the PEP is waiting for.
    signing_off = {
        _pep_of(obligation) for obligation, _ in rows if obligation.rule == SIGN_OFF_RULE
    } - {None}
    pep_states: dict[uuid.UUID, PepState] = (
        {
            pep_id: PepState(state)
            for pep_id, state in session.execute(
                select(Pep.id, Pep.state).where(Pep.id.in_(signing_off))
            )
        }
        if signing_off
        else {}
    )
    reviewer_ids = {person.id for person in people_of.reviewers}
    for obligation, child in rows:
        status = obligation_status(obligation, today)
        due_on = obligation.due_on
        if due_on is None or status not in (
            TimelinessStatus.NOT_YET_DUE,
            TimelinessStatus.DUE,
            TimelinessStatus.MEETING_BOOKED,
            TimelinessStatus.OVERDUE,
        ):
            continue
        days = {kind: date.fromisoformat(on) for kind, on in (obligation.reminders or {}).items()}
        teachers = (
            by_school.get(child.current_school_id, [])
            if child.current_school_id
            else by_child.get((child.id, Role.VS_ADVISER), [])
        )
        workers = by_child.get((child.id, Role.SOCIAL_WORKER), [])
        advisers = by_child.get((child.id, Role.VS_ADVISER), [])
        link = portal_link(settings, "children.show_child", child_id=child.id) + "#timeliness"
        # The subject says what is due and when, never for whom (no personal detail in a
        # subject line); the body names the child by the authority's reference alone.
        what = f"{obligation.what[0].lower()}{obligation.what[1:]}"
        about = f"{what} for the child with reference {child.authority_reference}"
        waiting: tuple[list[User], str] | None = None
        # Advisers told of a PEP waiting for quality assurance, which only a reviewer may give.
        advisers_told: set[uuid.UUID] = set()
        if obligation.rule == SIGN_OFF_RULE:
            pep_id = _pep_of(obligation)
            state = pep_states.get(pep_id) if pep_id else None
            waiting = _sign_off_waiting_for(
                state, teachers, workers, quality_assurers(advisers, people_of.reviewers)
            )
            if waiting is None:
                continue  # signed off, cancelled or replaced: nobody is waited for
            if state is PepState.APPROVED:
                advisers_told = {p.id for p in waiting[0] if p.id not in reviewer_ids}
        if status is TimelinessStatus.OVERDUE:
            escalate_on = days.get("escalation")
            if escalate_on is not None and escalate_on <= today:
                kind, kind_key = ESCALATED, ESCALATED
                people = _escalated_to(
                    by_child.get((child.id, Role.SW_TEAM_MANAGER), []), people_of.heads, admins
                )
                advisers_told = set()  # an escalation's own words go to whoever leads
                subject = f"Escalated, overdue since {_long_date(due_on)}: {what}"
                first = (
                    f"The deadline for {about} was {_long_date(due_on)}, and it is still not "
                    "met, so it is escalated to you."
                )
                then = "Check what is holding it up with the social worker and the school."
            else:
                kind, kind_key = OVERDUE, OVERDUE
                subject = f"Overdue since {_long_date(due_on)}: {what}"
                first = f"The deadline for {about} was {_long_date(due_on)}: it is overdue."
                if waiting is not None:
                    people, then = waiting
                else:
                    people = [*teachers, *workers, *advisers]
                    then = (
                        CARE_PLAN_TO_DO
                        if obligation.rule == CARE_PLAN_RULE
                        else "Arrange the PEP meeting, or complete and send the PEP, as soon as "
                        "you can."
                    )
        else:
            due_points = sorted(
                (on, kind)
                for kind, on in days.items()
                if kind.startswith("due_in_") and on <= today
            )
            if not due_points:
                continue
            # Only the latest reminder point reached (a run missed for a week sends one).
            kind, kind_key = DUE_SOON, due_points[-1][1]
            subject = f"Due by {_long_date(due_on)}: {what}"
            first = f"The deadline for {about} is {_long_date(due_on)}."
            if waiting is not None:
                people, then = waiting
            else:
                people = [*teachers, *workers]
                if obligation.rule == CARE_PLAN_RULE:
                    then = CARE_PLAN_TO_DO
                elif status is TimelinessStatus.MEETING_BOOKED:
                    then = (
                        "The meeting is booked: make sure the PEP is completed and sent after it."
                    )
                else:
                    then = "Arrange the PEP meeting if it is not arranged yet."
        for person in _unique(people):
            yield Reminder(
                recipient=person,
                kind=kind,
                key=dedupe_key("deadline", child.id, obligation.key, kind_key, person.id),
                pep_id=None,
                content=EmailContent(
                    subject=subject,
                    paragraphs=(first, FOR_AN_ADVISER if person.id in advisers_told else then),
                    action="See the child's PEP deadlines",
                    link=link,
                ),
            )
