"""`flask --app portal send-reminders`, for cron: record each reminder that is due, once, then send
every email waiting to go (new ones, and failed ones again).

Each reminder has a dedupe key naming what it is about (an invite, a PEP's wait, a person's
week), so running the command again, or two copies at the same moment, records and sends each
reminder once. Reminders come from REMINDER_SOURCES: a source is a function that reads the
database and returns the reminders due now; add one to the list to add a kind of reminder.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from portal.form_registry import definition_for
from portal.models import Child, ContributionInvite, Email, Pep, RoleGrant, User
from portal.models.base import utc_now
from portal.operations.audit import Actor
from portal.operations.emails import (
    DeliveryReport,
    EmailContent,
    dedupe_key,
    deliver_emails,
    portal_link,
    queue_email,
)
from portal.operations.notifications import (
    REVIEWERS_ASKED,
    EmailKind,
    holders_of,
    quality_assurers,
    reviewers,
    sentence_start,
)
from portal.operations.timeliness import timeliness_rules
from portal.peps.permissions import EDITABLE_STATES
from portal.presentation import UK
from portal.timeliness.reminders import pep_deadline_reminders
from workflows.calendar import SchoolCalendar
from workflows.pep import PepState
from workflows.roles import Role


@dataclass(frozen=True)
class Reminder:
    """One email a source says is due now."""

    recipient: User
    kind: str
    key: str
    content: EmailContent
    pep_id: uuid.UUID | None = None


ReminderSource = Callable[[Session, Mapping[str, Any], datetime], Iterable[Reminder]]


def _uk_midnight(day: date) -> datetime:
    """The moment a UK day starts, as an aware datetime (it converts to UTC when stored)."""
    return datetime.combine(day, time.min, tzinfo=UK)


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _about(pep: Pep) -> str:
    return f"the {pep.term_label} PEP for the child with reference {pep.child.authority_reference}"


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def invites_expiring_tomorrow(
    session: Session, settings: Mapping[str, Any], now: datetime
) -> Iterable[Reminder]:
    """A contribution link (the child's or carer's) not yet used to send, ending tomorrow (UK
    time): the person who made it hears, so they can make another before it stops working."""
    tomorrow = now.astimezone(UK).date() + timedelta(days=1)
    invites = session.scalars(
        select(ContributionInvite)
        .join(ContributionInvite.pep)
        .join(Pep.child)
        .options(contains_eager(ContributionInvite.pep).contains_eager(Pep.child))
        .where(
            # Only a link that can still be used: its PEP open to holders, its child in care.
            Pep.state.in_([state.value for state in EDITABLE_STATES]),
            Child.date_left_care.is_(None),
            ContributionInvite.revoked_at_utc.is_(None),
            ContributionInvite.completed_at_utc.is_(None),
            ContributionInvite.expires_at_utc >= _uk_midnight(tomorrow),
            ContributionInvite.expires_at_utc < _uk_midnight(tomorrow + timedelta(days=1)),
        )
        .order_by(ContributionInvite.expires_at_utc)
    )
    for invite in invites:
        maker = invite.created_by
        if not maker.active:
            continue
        try:
            section = definition_for(invite.pep).section(invite.section_key).title
        except (KeyError, LookupError):
            section = "a section"
        ends = invite.expires_at_utc.astimezone(UK)
        yield Reminder(
            recipient=maker,
            kind=EmailKind.INVITE_EXPIRING,
            key=dedupe_key("invite-expiring", invite.id),
            pep_id=invite.pep_id,
            content=EmailContent(
                subject="A contribution link you made expires tomorrow",
                paragraphs=(
                    f"The link you made for the {section} section of {_about(invite.pep)} "
                    f"stops working at {ends:%H:%M} tomorrow, {_long_date(ends.date())}.",
                    "It has not been used to send anything yet. If it is still needed, remind "
                    "the person you gave it to, or make a new link for them.",
                ),
                action="Manage the PEP's contribution links",
                link=portal_link(settings, "invites.manage", pep_id=invite.pep_id),
            ),
        )


def peps_waiting_too_long(
    session: Session, settings: Mapping[str, Any], now: datetime
) -> Iterable[Reminder]:
    """A PEP waiting for the social worker's approval, or for the Virtual School's quality
    assurance, for longer than the authority's rules allow (`waiting_for_approval_working_days`,
    5 working days by default): the people it waits for hear, once per wait."""
    calendar = SchoolCalendar(())  # working days need only England's bank holidays
    today = now.astimezone(UK).date()
    allowed = timeliness_rules(settings).reminders.waiting_for_approval_working_days
    # Anything changed on or after this day cannot have waited long enough; the exact count
    # (a weekend or bank holiday in between) is checked below.
    cutoff = calendar.add_working_days(today, -allowed)
    # A submitted PEP waits from its submission, an approved one from its approval: what is
    # saved while it waits (a carer's views, a reviewer's notes) changes the PEP, and must
    # neither restart the wait nor make it a new one. A PEP that reached its state before
    # these times were kept waits from its last change.
    waiting_since = case(
        (
            Pep.state == PepState.APPROVED.value,
            func.coalesce(Pep.approved_at_utc, Pep.updated_at_utc),
        ),
        else_=func.coalesce(Pep.submitted_at_utc, Pep.updated_at_utc),
    )
    waiting = session.execute(
        select(Pep, waiting_since)
        .join(Child, Child.id == Pep.child_id)
        .options(joinedload(Pep.child))
        .where(
            Pep.state.in_([PepState.SUBMITTED.value, PepState.APPROVED.value]),
            Child.date_left_care.is_(None),
            waiting_since < _uk_midnight(cutoff),
        )
        .order_by(waiting_since, Pep.id)
    ).all()
    last_chased = _last_chased(session, [pep.id for pep, _waiting_from in waiting])
    everyone_reviewing: list[User] | None = None
    for pep, waiting_from in waiting:
        since = waiting_from.astimezone(UK).date()
        waited = calendar.working_days_between(since, today)
        if waited <= allowed:
            continue
        link = portal_link(settings, "peps.show_pep", pep_id=pep.id)
        how_long = _more_than_working_days(allowed)
        if pep.state == PepState.SUBMITTED.value:
            people = holders_of(session, pep.child, Role.SOCIAL_WORKER)
            subject = f"A PEP has been waiting for your approval for {how_long}"
            waiting_for = "your approval"
            action, target = "Check the PEP", link
            then = "Check it, then approve it or return it to the designated teacher."
        else:
            if everyone_reviewing is None:
                everyone_reviewing = reviewers(session)
            people = quality_assurers(
                holders_of(session, pep.child, Role.VS_ADVISER), everyone_reviewing
            )
            subject = f"A PEP has been waiting for quality assurance for {how_long}"
            waiting_for = "quality assurance"
            action = "Quality-assure the PEP"
            target = portal_link(settings, "peps.quality_assurance", pep_id=pep.id)
            then = "Check it, rate it, then sign it off or return it with feedback."
        for person in people:
            # Once per wait: the PEP's version (in the key) moves on with every save while it
            # waits, so a person already chased since the wait began is not chased again.
            chased_at = last_chased.get((pep.id, person.id))
            if chased_at is not None and chased_at >= waiting_from:
                continue
            may_review = Role.REVIEWER in person.roles()
            # Only a reviewer may rate and sign off: the child's adviser is told who will.
            their_part = then if may_review or target == link else REVIEWERS_ASKED
            yield Reminder(
                recipient=person,
                kind=EmailKind.WAITING_TOO_LONG,
                key=dedupe_key("waiting", pep.id, pep.state, pep.version, person.id),
                pep_id=pep.id,
                content=EmailContent(
                    subject=subject,
                    paragraphs=(
                        f"{sentence_start(_about(pep))} has been waiting for {waiting_for} "
                        f"since {_long_date(since)}: {waited} working days.",
                        their_part,
                    ),
                    action=action if (may_review or target == link) else "Open the PEP",
                    link=target if (may_review or target == link) else link,
                ),
            )


def _more_than_working_days(days: int) -> str:
    """How long a PEP has waited, for a subject line: "over a week" for the usual 5 days."""
    if days == 5:
        return "over a week"
    return "more than 1 working day" if days == 1 else f"more than {days} working days"


def _last_chased(
    session: Session, pep_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """When each person was last told each of these PEPs was waiting too long."""
    if not pep_ids:
        return {}
    rows = session.execute(
        select(Email.pep_id, Email.recipient_id, func.max(Email.created_at_utc))
        .where(Email.kind == EmailKind.WAITING_TOO_LONG, Email.pep_id.in_(pep_ids))
        .group_by(Email.pep_id, Email.recipient_id)
    )
    return {
        (pep_id, recipient_id): chased_at
        for pep_id, recipient_id, chased_at in rows
        if pep_id is not None and recipient_id is not None
    }


def weekly_summaries(
    session: Session, settings: Mapping[str, Any], now: datetime
) -> Iterable[Reminder]:
    """Once each ISO week, each person with tasks waiting hears how many of each kind."""
    from portal.peps.queries import TaskKind, task_counts

    year, week, _ = now.astimezone(UK).date().isocalendar()
    week_key = f"{year}-W{week:02d}"
    already = set(
        session.scalars(
            select(Email.recipient_id).where(
                Email.kind == EmailKind.WEEKLY_SUMMARY,
                Email.dedupe_key.like(f"weekly:%:{week_key}"),
            )
        )
    )
    people = session.scalars(
        select(User)
        .where(User.active.is_(True), User.id.in_(select(RoleGrant.user_id)))
        .order_by(User.email)
    )
    link = portal_link(settings, "peps.my_tasks")
    for person in people:
        if person.id in already:
            continue
        counts = task_counts(session, person)
        total = sum(counts.values())
        if not total:
            continue  # nothing waiting: no email
        lines = [f"{kind.label}: {counts[kind]}" for kind in TaskKind if counts.get(kind)]
        yield Reminder(
            recipient=person,
            kind=EmailKind.WEEKLY_SUMMARY,
            key=dedupe_key("weekly", person.id, week_key),
            content=EmailContent(
                subject="Your PEP tasks this week",
                paragraphs=(
                    f"{total} {'task is' if total == 1 else 'tasks are'} waiting for you "
                    "in the Personal Education Plans portal:",
                    *lines,
                ),
                action="See your tasks",
                link=link,
            ),
        )


# The reminders `send-reminders` records, in this order. Due and overdue PEPs join this list.
REMINDER_SOURCES: list[ReminderSource] = [
    invites_expiring_tomorrow,
    peps_waiting_too_long,
    weekly_summaries,
    pep_deadline_reminders,
]


# --------------------------------------------------------------------------------------------
# The command's work
# --------------------------------------------------------------------------------------------


@dataclass
class RemindersReport:
    recorded: dict[str, int] = field(default_factory=dict)
    already_recorded: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def describe(self, email_set_up: bool) -> str:
        recorded = sum(self.recorded.values())
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.recorded.items()))
        lines = [
            f"Recorded {recorded} new reminder{'' if recorded == 1 else 's'}"
            + (f" ({kinds})" if kinds else "")
            + f"; {self.already_recorded} had been recorded before and were skipped."
        ]
        if email_set_up:
            lines.append(
                f"Sent {self.delivery.sent} email{'' if self.delivery.sent == 1 else 's'}; "
                f"{self.delivery.failed} could not be delivered and will be tried again later."
            )
            if self.delivery.gave_up:
                lines.append(
                    f"Gave up on {self.delivery.gave_up} email"
                    f"{'' if self.delivery.gave_up == 1 else 's'} that could not be delivered "
                    "(each one's last error says why)."
                )
        else:
            lines.append(
                "Email is not set up (OPENPEP_SMTP_HOST): reminders are recorded, and each "
                "person can read theirs under Messages, but nothing was sent."
            )
        return "\n".join(lines)


def send_reminders(
    session: Session,
    settings: Mapping[str, Any],
    *,
    now: datetime | None = None,
    sources: Iterable[ReminderSource] | None = None,
) -> RemindersReport:
    """Record every reminder due now (each once), then send every email waiting to go."""
    now = now or utc_now()
    actor = Actor.system("flask send-reminders")
    report = RemindersReport()
    for source in REMINDER_SOURCES if sources is None else sources:
        for reminder in list(source(session, settings, now)):
            email_id = queue_email(
                session,
                actor,
                recipient=reminder.recipient,
                kind=reminder.kind,
                content=reminder.content,
                key=reminder.key,
                settings=settings,
                pep_id=reminder.pep_id,
                deliver_after_commit=False,  # this command delivers below, in this process
            )
            # One short transaction per reminder: another copy of this command running at the
            # same moment waits for at most one row, and a run that stops keeps what it did.
            session.commit()
            if email_id is None:
                report.already_recorded += 1
            else:
                report.recorded[reminder.kind] = report.recorded.get(reminder.kind, 0) + 1
    report.delivery = deliver_emails(session, settings)
    return report
