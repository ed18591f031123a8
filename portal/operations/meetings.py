"""Arranging a PEP's meeting: scheduling, rescheduling and cancelling it, each audited.

The meeting date is one value: when a meeting is arranged or moved, the PEP's meeting date
(`pep.meeting_date`) and the meeting details section's `meeting_date` answer are set in the
same transaction, the section through its own version rules (the answer's version moves on, so
a page open on the section from before cannot overwrite it without seeing a conflict).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from forms.fields import format_date_for_people
from forms.rows import editors_after_save, versions_after_save
from portal.academic import Term, england_today
from portal.children.queries import roles_for_child
from portal.models import Child, Pep, PepMeeting, PepMeetingInvitee, RoleGrant, User
from portal.models.meeting import InviteeRole
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.emails import (
    Attachment,
    EmailContent,
    dedupe_key,
    portal_link,
    queue_email,
)
from portal.operations.timeliness import refresh_timeliness
from portal.peps.permissions import EDITABLE_STATES, may_read_pep, term_ends_on, term_reaches
from portal.timeliness.calendars import calendar_for_school
from workflows.roles import Role

# Who may arrange a child's PEP meeting: the people who run the PEP for the child. Reviewers
# and admins read the meeting but do not arrange it.
ARRANGING_ROLES = frozenset({Role.DESIGNATED_TEACHER, Role.SOCIAL_WORKER, Role.VS_ADVISER})
MEETING_SECTION = "meeting_details"
MAIL_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
# What an invitee's row holds (`PepMeetingInvitee.name` and `.email`).
MAX_NAME = 200
MAX_ADDRESS = 254
# The child is invited through the people who look after them, never by email.
CHILD_NOTE = "Invited through their carer: the child is not emailed."
# A section save made by the meeting operation names this editor, not a page of the section.
MEETING_EDITOR = "meeting"
MAX_EXTRA_PEOPLE = 10


class MeetingRefused(Exception):
    """An operation refused, with a sentence the person can act on."""


class MeetingConflict(Exception):
    """Someone changed the meeting after this person opened the page."""


class MeetingUnchanged(Exception):
    """A change that changes nothing: nothing is saved and nobody is sent anything."""


@dataclass
class MeetingInvalid(Exception):
    """What was asked cannot be arranged: field id -> a sentence saying what to correct."""

    errors: dict[str, str]


@dataclass(frozen=True)
class TermWindow:
    """The dates the PEP's term runs between, and its name in sentences."""

    starts_on: date
    ends_on: date
    name: str


@dataclass(frozen=True)
class ProposedInvitee:
    """Someone the meeting could invite, as the form offers them."""

    key: str  # the checkbox value: user:<id>, iro, child
    name: str
    role: InviteeRole
    email: str | None
    user_id: uuid.UUID | None
    by_email: bool
    note: str | None = None
    ticked: bool = True


@dataclass
class MeetingRequest:
    """What a person asked for on the form, already read into values (None where unreadable)."""

    meeting_date: date | None
    starts_at: time | None
    ends_at: time | None
    place: str
    online_link: str
    contributions_due_on: date | None
    invitee_keys: Sequence[str]
    iro_name: str = ""
    iro_email: str = ""
    # (name, email) of people added by hand.
    extra_people: Sequence[tuple[str, str]] = field(default_factory=tuple)
    # Boxes the form could not read, field id -> sentence (a date like 31/2/2026).
    unreadable: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Who may arrange, and the term the meeting must fall in
# --------------------------------------------------------------------------------------------


def arranging_refusal(pep: Pep, roles: frozenset[Role]) -> str | None:
    """Why this person may not arrange or change this PEP's meeting, or None when they may."""
    if not roles & ARRANGING_ROLES:
        return (
            "Only the child's designated teacher, social worker or Virtual School adviser "
            "can arrange the PEP meeting."
        )
    if pep.state_enum not in EDITABLE_STATES:
        return (
            f"This PEP is {pep.state_enum.label.lower()}, so its meeting cannot be arranged "
            "or changed."
        )
    return None


def may_arrange(pep: Pep, roles: frozenset[Role]) -> bool:
    return arranging_refusal(pep, roles) is None


def _rough_term_starts_on(academic_year: int, term: Term) -> date:
    """The first day of a term as `portal.academic.current_term` divides the year."""
    if term is Term.AUTUMN:
        return date(academic_year, 9, 1)
    if term is Term.SPRING:
        return date(academic_year + 1, 1, 1)
    return date(academic_year + 1, 4, 1)


def term_window(session: Session, pep: Pep) -> TermWindow:
    """The PEP's term: the school's (or the authority's) recorded term dates where there are
    some, otherwise the rough division of the year the portal uses elsewhere."""
    term = Term(pep.term)
    recorded = _recorded_term(session, pep)
    if recorded is not None:
        return recorded
    return TermWindow(
        _rough_term_starts_on(pep.academic_year, term),
        term_ends_on(pep.academic_year, term),
        f"{term.label} term {pep.academic_year}/{(pep.academic_year + 1) % 100:02d}",
    )


def _recorded_term(session: Session, pep: Pep) -> TermWindow | None:
    """The term as the child's school (or the authority) recorded its dates, if it did."""
    calendar = calendar_for_school(session, pep.child.current_school_id)
    recorded = calendar.term(pep.academic_year, pep.term)
    if recorded is None:
        return None
    return TermWindow(recorded.starts_on, recorded.ends_on, recorded.name)


# --------------------------------------------------------------------------------------------
# The child's network: who is invited unless the person arranging unticks them
# --------------------------------------------------------------------------------------------

NETWORK_ORDER = (
    InviteeRole.DESIGNATED_TEACHER,
    InviteeRole.SOCIAL_WORKER,
    InviteeRole.CARER,
    InviteeRole.VS_ADVISER,
)


def proposed_invitees(session: Session, pep: Pep) -> list[ProposedInvitee]:
    """The child's network, in one query for the people with accounts: the designated teacher
    of the child's school, their social worker, carer(s) and Virtual School adviser; the
    independent reviewing officer last invited to one of the child's meetings; the child,
    through their carer."""
    child = pep.child
    term = Term(pep.term)
    grants = session.execute(
        select(RoleGrant, User)
        .join(User, User.id == RoleGrant.user_id)
        .where(User.active.is_(True))
        .where(
            (RoleGrant.child_id == child.id)
            | (
                (RoleGrant.role == Role.DESIGNATED_TEACHER.value)
                & (RoleGrant.school_id == child.current_school_id)
                & (RoleGrant.school_id.is_not(None))
            )
        )
        .order_by(User.display_name)
    ).all()
    by_role: dict[InviteeRole, list[User]] = {role: [] for role in NETWORK_ORDER}
    for grant, user in grants:
        if grant.role == Role.CARER.value and not term_reaches(
            child.id, pep.academic_year, term, grant.placement_start
        ):
            # Not this term's carer: their placement begins after it (by the term dates the
            # child's school follows, where recorded), and the PEP is closed to them
            # (`may_read_pep`). The person arranging may still add them by hand.
            continue
        role = InviteeRole(grant.role) if grant.role in InviteeRole._value2member_map_ else None
        if role in by_role and user not in by_role[role]:
            by_role[role].append(user)
    proposed = [
        ProposedInvitee(
            key=f"user:{user.id}",
            name=user.display_name,
            role=role,
            email=user.email,
            user_id=user.id,
            by_email=True,
        )
        for role in NETWORK_ORDER
        for user in by_role[role]
    ]
    iro = last_independent_reviewing_officer(session, child)
    if iro is not None:
        name, email = iro
        proposed.append(
            ProposedInvitee(
                key="iro",
                name=name,
                role=InviteeRole.INDEPENDENT_REVIEWING_OFFICER,
                email=email,
                user_id=None,
                by_email=True,
            )
        )
    year_group = child.year_group(england_today())
    proposed.append(
        ProposedInvitee(
            key="child",
            name=child.full_name,
            role=InviteeRole.CHILD,
            email=None,
            user_id=None,
            by_email=False,
            note=CHILD_NOTE,
            # Where appropriate: ticked for children of school age; the person arranging decides.
            ticked=year_group is not None and year_group >= 0,
        )
    )
    return proposed


def last_independent_reviewing_officer(session: Session, child: Child) -> tuple[str, str] | None:
    """The IRO invited to this child's most recent meeting that had one: remembered for the
    next meeting, as the IRO usually stays with a child."""
    row = session.execute(
        select(PepMeetingInvitee.name, PepMeetingInvitee.email)
        .join(PepMeeting, PepMeeting.id == PepMeetingInvitee.meeting_id)
        .join(Pep, Pep.id == PepMeeting.pep_id)
        .where(
            Pep.child_id == child.id,
            PepMeetingInvitee.role == InviteeRole.INDEPENDENT_REVIEWING_OFFICER.value,
            PepMeetingInvitee.email.is_not(None),
        )
        .order_by(PepMeeting.updated_at_utc.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def meeting_was_held(meeting: PepMeeting, today: date) -> bool:
    """Its day has passed: a record of what happened, no longer something to call off."""
    return meeting.meeting_date < today


def current_meeting(session: Session, pep: Pep) -> PepMeeting | None:
    return session.scalar(
        select(PepMeeting).where(PepMeeting.pep_id == pep.id, PepMeeting.cancelled_at_utc.is_(None))
    )


# --------------------------------------------------------------------------------------------
# Checking a request
# --------------------------------------------------------------------------------------------


def request_errors(
    request: MeetingRequest,
    window: TermWindow,
    today: date,
    proposed: Sequence[ProposedInvitee],
    kept: PepMeeting | None = None,
) -> dict[str, str]:
    """Every problem with the request, field id -> sentence, in the order of the form.

    `kept`: the meeting as it stands, when this request changes it. A date it already has is
    not judged against today again: once contributions are due, the room, the time or who is
    invited can still change (on the morning of the meeting too), without moving the date
    contributions were due by."""
    errors: dict[str, str] = dict(request.unreadable)
    kept_meeting_date = kept.meeting_date if kept is not None else None
    kept_due_on = kept.contributions_due_on if kept is not None else None
    if "meeting_date" not in errors:
        if request.meeting_date is None:
            errors["meeting_date"] = "Enter the date of the meeting"
        elif not window.starts_on <= request.meeting_date <= window.ends_on:
            errors["meeting_date"] = (
                f"The meeting must be in the PEP's term: {window.name} runs from "
                f"{format_date_for_people(window.starts_on)} to "
                f"{format_date_for_people(window.ends_on)}"
            )
        elif request.meeting_date < today and request.meeting_date != kept_meeting_date:
            errors["meeting_date"] = "The date of the meeting must be today or in the future"
    if "starts_at" not in errors and request.starts_at is None:
        errors["starts_at"] = "Enter the time the meeting starts, for example 10:30"
    if "ends_at" not in errors:
        if request.ends_at is None:
            errors["ends_at"] = "Enter the time the meeting ends, for example 11:30"
        elif request.starts_at is not None and request.ends_at <= request.starts_at:
            errors["ends_at"] = "The meeting must end after it starts"
    if not request.place.strip() and not request.online_link.strip():
        errors["place"] = "Enter where the meeting will be, or a link to join it online"
    if len(request.place) > 300:
        errors["place"] = "Where the meeting will be must be 300 characters or fewer"
    link = request.online_link.strip()
    if link and (not link.startswith("https://") or " " in link or len(link) > 500):
        errors["online_link"] = (
            "Enter the online meeting link as a full address starting with https://"
        )
    if "contributions_due_on" not in errors:
        if request.contributions_due_on is None:
            errors["contributions_due_on"] = "Enter the date contributions are due by"
        elif request.meeting_date and request.contributions_due_on >= request.meeting_date:
            errors["contributions_due_on"] = (
                "Contributions must be due before the day of the meeting"
            )
        elif request.contributions_due_on < today and request.contributions_due_on != kept_due_on:
            errors["contributions_due_on"] = (
                "The date contributions are due by must be today or in the future"
            )
    iro_name, iro_email = request.iro_name.strip(), request.iro_email.strip()
    if iro_email and not MAIL_ADDRESS.match(iro_email):
        errors["iro_email"] = (
            "Enter the independent reviewing officer's email address, like name@example.gov.uk"
        )
    if iro_email and not iro_name:
        errors["iro_name"] = "Enter the independent reviewing officer's name"
    if iro_name and not iro_email:
        errors["iro_email"] = "Enter the independent reviewing officer's email address"
    if len(iro_name) > MAX_NAME:
        errors["iro_name"] = (
            f"The independent reviewing officer's name must be {MAX_NAME} characters or fewer"
        )
    if len(iro_email) > MAX_ADDRESS:
        errors["iro_email"] = (
            f"The independent reviewing officer's email address must be {MAX_ADDRESS} "
            "characters or fewer"
        )
    for index, (name, email) in enumerate(request.extra_people):
        if (name.strip() or email.strip()) and not name.strip():
            errors[f"person-{index}-name"] = f"Enter the name of person {index + 1}"
        elif len(name.strip()) > MAX_NAME:
            errors[f"person-{index}-name"] = (
                f"The name of person {index + 1} must be {MAX_NAME} characters or fewer"
            )
        if (name.strip() or email.strip()) and not MAIL_ADDRESS.match(email.strip()):
            errors[f"person-{index}-email"] = (
                f"Enter the email address of person {index + 1}, like name@example.com"
            )
        elif len(email.strip()) > MAX_ADDRESS:
            errors[f"person-{index}-email"] = (
                f"The email address of person {index + 1} must be {MAX_ADDRESS} characters or fewer"
            )
    # The child is invited through their carer, not by email: a meeting only they are
    # invited to would tell nobody.
    emailed = {p.key for p in proposed if p.by_email and p.key != "iro"}
    chosen = [key for key in request.invitee_keys if key in emailed]
    extra = [person for person in request.extra_people if person[0].strip()]
    if not chosen and not extra and not iro_email:
        errors["invitees"] = (
            "Select at least one person to invite by email: the child is invited through "
            "their carer"
            if "child" in request.invitee_keys
            else "Select at least one person to invite"
        )
    return errors


def _invitees_for(
    request: MeetingRequest, proposed: Sequence[ProposedInvitee]
) -> list[PepMeetingInvitee]:
    """The invitee rows for what was ticked and added, in the order the form shows them."""
    chosen = set(request.invitee_keys)
    rows: list[PepMeetingInvitee] = []
    for person in proposed:
        if person.key == "iro" or person.key not in chosen:
            continue
        rows.append(
            PepMeetingInvitee(
                user_id=person.user_id,
                name=person.name,
                email=person.email,
                role=person.role.value,
                invited_by_email=person.by_email,
                note=person.note,
            )
        )
    if request.iro_email.strip():
        rows.append(
            PepMeetingInvitee(
                name=request.iro_name.strip(),
                email=request.iro_email.strip().lower(),
                role=InviteeRole.INDEPENDENT_REVIEWING_OFFICER.value,
                invited_by_email=True,
            )
        )
    # Someone added by hand who is already invited at that address is sent one invitation.
    addresses = {row.email.lower() for row in rows if row.email}
    for name, email in request.extra_people:
        if name.strip() and email.strip().lower() not in addresses:
            addresses.add(email.strip().lower())
            rows.append(
                PepMeetingInvitee(
                    name=name.strip(),
                    email=email.strip().lower(),
                    role=InviteeRole.OTHER.value,
                    invited_by_email=True,
                )
            )
    for position, row in enumerate(rows):
        row.position = position
    return rows


def _invited_among(
    rows: Sequence[PepMeetingInvitee],
) -> Callable[[PepMeetingInvitee], bool]:
    """Whether an invitee is one of these people: the same row, the same address (in any
    case), or the same account."""
    keys = {(row.role, row.email, row.name) for row in rows}
    addresses = {row.email.lower() for row in rows if row.email}
    accounts = {row.user_id for row in rows if row.user_id}

    def among(row: PepMeetingInvitee) -> bool:
        return (
            (row.role, row.email, row.name) in keys
            or bool(row.email and row.email.lower() in addresses)
            or bool(row.user_id and row.user_id in accounts)
        )

    return among


def _details(summary: dict[str, Any]) -> dict[str, Any]:
    """A meeting's summary less who is invited and its version."""
    return {key: value for key, value in summary.items() if key not in ("invitees", "sequence")}


def _who(invitees: Sequence[PepMeetingInvitee]) -> list[tuple[Any, ...]]:
    return [(row.role, row.email, row.name, row.user_id) for row in invitees]


def _summary(meeting: PepMeeting) -> dict[str, Any]:
    """What the audit trail records of a meeting: when, where, and who (no child's name)."""
    return {
        "meeting_date": meeting.meeting_date.isoformat(),
        "starts_at": meeting.starts_at.strftime("%H:%M"),
        "ends_at": meeting.ends_at.strftime("%H:%M"),
        "place": meeting.place,
        "online_link": meeting.online_link,
        "contributions_due_on": meeting.contributions_due_on.isoformat(),
        "invitees": [
            {"role": invitee.role, "email": invitee.email, "by_email": invitee.invited_by_email}
            for invitee in meeting.invitees
        ],
        "sequence": meeting.sequence,
    }


# --------------------------------------------------------------------------------------------
# The one meeting date: the PEP's and its section's
# --------------------------------------------------------------------------------------------


def _set_pep_meeting_date(
    pep: Pep, user: User, meeting_date: date | None, venue: str | None
) -> int | None:
    """Set the PEP's meeting date and the meeting details section's answer to the same value,
    as a section save would: the answer's version moves on. Returns the section's new version
    (None when the form has no meeting details section)."""
    pep.meeting_date = meeting_date
    try:
        stored = pep.section(MEETING_SECTION)
    except KeyError:
        return None
    answers = dict(stored.answers or {})
    changed: list[str] = []
    new_value = meeting_date.isoformat() if meeting_date else None
    if answers.get("meeting_date") != new_value:
        if new_value is None:
            answers.pop("meeting_date", None)
        else:
            answers["meeting_date"] = new_value
        changed.append("meeting_date")
    # The venue is filled in where the section has none, and kept up to date where the
    # meeting wrote it: one someone typed into the section is theirs, and stays.
    current_venue = (answers.get("meeting_venue") or "").strip()
    written_by_the_meeting = (stored.answer_editors or {}).get("meeting_venue") == MEETING_EDITOR
    if venue and (not current_venue or (written_by_the_meeting and current_venue != venue[:200])):
        answers["meeting_venue"] = venue[:200]
        changed.append("meeting_venue")
    if not changed:
        return stored.version
    stored.answers = answers
    stored.answer_versions = versions_after_save(
        dict(stored.answer_versions or {}), changed, stored.version + 1
    )
    stored.answer_editors = editors_after_save(
        dict(stored.answer_editors or {}), changed, MEETING_EDITOR
    )
    stored.last_saved_by_id = user.id
    stored.last_saved_at_utc = datetime.now(UTC)
    pep.updated_at_utc = stored.last_saved_at_utc
    return stored.version + 1


def _venue(request: MeetingRequest) -> str:
    return request.place.strip() or "Online"


# --------------------------------------------------------------------------------------------
# The invitations
# --------------------------------------------------------------------------------------------


class InvitationKind:
    INVITED = "meeting_invitation"
    CHANGED = "meeting_changed"
    CANCELLED = "meeting_cancelled"
    # Someone taken off the invitation of a meeting that goes ahead.
    UNINVITED = "meeting_uninvited"


INVITATION_SUBJECTS = {
    InvitationKind.INVITED: "Invitation: PEP meeting {reference} on {day}",
    InvitationKind.CHANGED: "Changed: PEP meeting {reference}, now on {day}",
    InvitationKind.CANCELLED: "Cancelled: PEP meeting {reference} on {day}",
    InvitationKind.UNINVITED: "No longer invited: PEP meeting {reference} on {day}",
}


@dataclass(frozen=True)
class InvitedFor:
    """When a meeting was, as someone was invited to it before a change."""

    meeting_date: date
    starts_at: time
    ends_at: time


def invitation_content(
    meeting: PepMeeting,
    kind: str,
    settings: Any,
    *,
    cancelled: bool = False,
    opens_the_pep: bool = True,
    organizer: User | None = None,
    invited_for: InvitedFor | None = None,
) -> EmailContent:
    """What an invitation says: when, where, contributions due by, the calendar file and the
    PEP. The subject names the PEP by its reference, never the child. Someone who cannot open
    the PEP's pages (an independent reviewing officer, an address typed by hand, a carer whose
    placement began after the PEP's term) is told the calendar file is attached, and offered
    the organiser's address."""
    from portal.meetings.ics import pep_short_reference

    pep = meeting.pep
    # Someone taken off the invitation is told of the meeting they were invited to.
    when = invited_for or meeting
    day = f"{when.meeting_date:%A} {format_date_for_people(when.meeting_date)}"
    times = f"{when.starts_at:%H:%M} to {when.ends_at:%H:%M} (UK time)"
    where = " and ".join(
        part
        for part in (
            meeting.place,
            f"online at {meeting.online_link}" if meeting.online_link else "",
        )
        if part
    )
    reference = pep_short_reference(pep)
    if cancelled and kind == InvitationKind.UNINVITED:
        paragraphs: tuple[str, ...] = (
            f"You are no longer invited to the PEP meeting ({reference}) on {day}, {times}.",
            "Remove it from your calendar.",
        )
    elif cancelled:
        paragraphs = (
            f"The PEP meeting ({reference}) on {day}, {times}, has been cancelled.",
            "Remove it from your calendar. You will be sent a new invitation if another "
            "meeting is arranged.",
        )
    else:
        opening = (
            "The PEP meeting has been changed."
            if kind == InvitationKind.CHANGED
            else "You are invited to a PEP meeting."
        )
        due = format_date_for_people(meeting.contributions_due_on)
        paragraphs = (
            f"{opening} Reference: {reference}.",
            f"When: {day}, {times}.",
            f"Where: {where}.",
            f"Please add your contribution to the PEP by {due}, so everyone can read it "
            "before the meeting."
            if opens_the_pep
            else f"Please send your contribution to the organiser by {due}, so it can be "
            "shared before the meeting.",
            "Add the meeting to your calendar: "
            + portal_link(settings, "meetings.download_ics", pep_id=pep.id)
            if opens_the_pep
            else "The calendar invitation is attached to this email: open it to add the "
            "meeting to your calendar.",
        )
    if not opens_the_pep:
        organizer_email = organizer.email if organizer else str(settings["MAIL_FROM"])
        organizer_name = organizer.display_name if organizer else "the Virtual School"
        return EmailContent(
            subject=INVITATION_SUBJECTS[kind].format(
                reference=reference, day=format_date_for_people(when.meeting_date)
            ),
            paragraphs=paragraphs,
            action=f"Write to {organizer_name}, who arranged the meeting",
            link=f"mailto:{organizer_email}",
        )
    return EmailContent(
        subject=INVITATION_SUBJECTS[kind].format(
            reference=reference, day=format_date_for_people(when.meeting_date)
        ),
        paragraphs=paragraphs,
        action="Open the PEP",
        link=portal_link(settings, "peps.show_pep", pep_id=pep.id),
    )


def _queue_invitations(
    session: Session,
    actor: Actor,
    meeting: PepMeeting,
    invitees: Sequence[PepMeetingInvitee],
    kind: str,
    settings: Any,
    *,
    cancelled: bool = False,
    invited_for: InvitedFor | None = None,
) -> int:
    """Record an email, with the calendar invitation attached, to each invitee with an email
    address, in the meeting's transaction; sent after it commits. One per invitee and version
    of the meeting (its sequence). The person acting is left out where nothing was sent to
    them before: they have the meeting's page and its calendar file."""
    from portal.meetings.ics import build_invitation, pep_short_reference

    emailed = [row for row in invitees if row.email and row.invited_by_email]
    user_ids = [row.user_id for row in emailed if row.user_id]
    users = (
        {user.id: user for user in session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    organizer = meeting.arranged_by or actor.user
    pep_link = portal_link(settings, "peps.show_pep", pep_id=meeting.pep_id)
    filename = f"{pep_short_reference(meeting.pep).lower()}-meeting.ics"
    content_type = f"text/calendar; method={'CANCEL' if cancelled else 'REQUEST'}"
    count = 0
    for row in emailed:
        user = users.get(row.user_id) if row.user_id else None
        if row.user_id and (user is None or not user.active):
            continue
        if (
            actor.user is not None
            and row.user_id == actor.user.id
            and (kind == InvitationKind.INVITED or row.user_id == meeting.arranged_by_id)
        ):
            # They arranged it, so were never emailed it: the meeting page has the calendar
            # file for them. Anyone else acting was emailed an earlier version, which their
            # calendar holds until it is sent the change.
            continue
        # Someone with no account, or one whose sight of this PEP ended or has not begun (a
        # carer placed after its term), is sent no link to a page that would refuse them.
        opens_the_pep = user is not None and may_read_pep(
            user, meeting.pep, roles_for_child(user, meeting.pep.child)
        )
        content = invitation_content(
            meeting,
            kind,
            settings,
            cancelled=cancelled,
            opens_the_pep=opens_the_pep,
            organizer=organizer,
            invited_for=invited_for,
        )
        # Each recipient's own file: the organiser and them, nobody else's address.
        attachment = Attachment(
            filename=filename,
            content_type=content_type,
            text=build_invitation(
                meeting,
                pep_link if opens_the_pep else None,
                organizer_name=organizer.display_name if organizer else str(settings["MAIL_FROM"]),
                organizer_email=organizer.email if organizer else str(settings["MAIL_FROM"]),
                cancelled=cancelled,
                attendees=[row],
            ).decode(),
        )
        key = dedupe_key("meeting", meeting.id, kind, meeting.sequence, row.user_id or row.email)
        if queue_email(
            session,
            actor,
            recipient=user,
            address=row.email,
            recipient_name=row.name,
            kind=kind,
            content=content,
            key=key,
            settings=settings,
            pep_id=meeting.pep_id,
            attachment=attachment,
        ):
            count += 1
    return count


# --------------------------------------------------------------------------------------------
# Scheduling, rescheduling, cancelling
# --------------------------------------------------------------------------------------------


def _lock_for_change(session: Session, pep: Pep) -> None:
    """Read the PEP again, locked until this change commits (on PostgreSQL; SQLite has one
    writer at a time). A submission or sign-off committed since the page loaded the PEP then
    refuses the change, and one made during it waits for it: a meeting cannot change under a
    PEP as it is being locked."""
    peps = Pep.__table__
    session.execute(select(peps.c.id).where(peps.c.id == pep.id).with_for_update())
    # Only the PEP's own row is locked (not its child's, as a refresh with its joins would
    # try); what the refusal and the writes after it read is read again under the lock.
    session.refresh(pep, ["state", "version", "meeting_date"])


def _refuse_unless_may_arrange(pep: Pep, roles: frozenset[Role]) -> None:
    refusal = arranging_refusal(pep, roles)
    if refusal:
        raise MeetingRefused(refusal)


def _checked(
    session: Session, pep: Pep, request: MeetingRequest, today: date, kept: PepMeeting | None = None
) -> list[ProposedInvitee]:
    proposed = proposed_invitees(session, pep)
    errors = request_errors(request, term_window(session, pep), today, proposed, kept)
    if errors:
        raise MeetingInvalid(errors)
    return proposed


def _apply(meeting: PepMeeting, request: MeetingRequest) -> None:
    if not (
        request.meeting_date
        and request.starts_at
        and request.ends_at
        and request.contributions_due_on
    ):  # request_errors refuses these first: a caller that skipped it is a bug
        raise MeetingInvalid({"meeting_date": "Enter the date and times of the meeting"})
    meeting.meeting_date = request.meeting_date
    meeting.starts_at = request.starts_at
    meeting.ends_at = request.ends_at
    meeting.place = request.place.strip() or None
    meeting.online_link = request.online_link.strip() or None
    meeting.contributions_due_on = request.contributions_due_on


def schedule_meeting(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    request: MeetingRequest,
    *,
    today: date | None = None,
    settings: Any = None,
) -> PepMeeting:
    """Arrange the PEP's meeting: the meeting and its invitees, the PEP's meeting date and its
    section's, and the audit event, in one transaction."""
    today = today or england_today()
    _lock_for_change(session, pep)
    _refuse_unless_may_arrange(pep, roles)
    if current_meeting(session, pep) is not None:
        raise MeetingRefused(
            "A meeting is already arranged for this PEP. Change or cancel that meeting instead."
        )
    proposed = _checked(session, pep, request, today)
    meeting = PepMeeting(pep_id=pep.id, pep=pep, arranged_by_id=user.id, sequence=0)
    _apply(meeting, request)
    meeting.invitees = _invitees_for(request, proposed)
    session.add(meeting)
    section_version = _set_pep_meeting_date(pep, user, meeting.meeting_date, _venue(request))
    try:
        session.flush()
    except (IntegrityError, StaleDataError):  # someone arranged one, or changed the PEP
        session.rollback()
        raise MeetingConflict(
            "Someone changed this PEP's meeting while you were arranging it. "
            "Check the meeting below before you change it."
        ) from None
    audit.record(
        session,
        actor,
        "pep.meeting_scheduled",
        "pep",
        pep.id,
        meeting_id=str(meeting.id),
        section=MEETING_SECTION,
        section_version=section_version,
        **_summary(meeting),
    )
    _queue_invitations(
        session, actor, meeting, meeting.invitees, InvitationKind.INVITED, _settings(settings)
    )
    session.commit()
    refresh_timeliness(session, [pep.child_id])
    return meeting


def _settings(settings: Any) -> Any:
    return current_app.config if settings is None else settings


def _check_version(meeting: PepMeeting, based_on_version: int) -> None:
    if meeting.version != based_on_version:
        raise MeetingConflict(
            "Someone changed this meeting after you opened the page: it is now on "
            f"{format_date_for_people(meeting.meeting_date)} at "
            f"{meeting.starts_at:%H:%M}. Check the details and make your change again."
        )


def reschedule_meeting(
    session: Session,
    actor: Actor,
    user: User,
    meeting: PepMeeting,
    roles: frozenset[Role],
    request: MeetingRequest,
    based_on_version: int,
    *,
    today: date | None = None,
    settings: Any = None,
) -> tuple[PepMeeting, list[PepMeetingInvitee]]:
    """Change the meeting (and who is invited); the invitation goes out again with the same UID
    and a higher sequence. Returns the meeting and the people sent a cancellation: those no
    longer invited at any address they had."""
    today = today or england_today()
    pep = meeting.pep
    _lock_for_change(session, pep)
    _refuse_unless_may_arrange(pep, roles)
    if meeting.cancelled:
        raise MeetingRefused("This meeting was cancelled. Arrange a new meeting instead.")
    _check_version(meeting, based_on_version)
    proposed = _checked(session, pep, request, today, kept=meeting)
    before = _summary(meeting)
    was = InvitedFor(meeting.meeting_date, meeting.starts_at, meeting.ends_at)
    _apply(meeting, request)
    new_rows = _invitees_for(request, proposed)
    if _details(_summary(meeting)) == _details(before) and _who(new_rows) == _who(meeting.invitees):
        # Saved again as it stands: a "Changed" email to everyone would change nothing.
        session.rollback()
        raise MeetingUnchanged
    old_rows = list({(row.role, row.email, row.name): row for row in meeting.invitees}.values())
    # Someone still invited at the same address (a carer no longer proposed, added again by
    # hand; a name corrected), or as the same account whose address changed, is sent the
    # change only: a cancellation sent after it would take the meeting out of their calendar.
    still_invited = _invited_among(new_rows)
    removed = [row for row in old_rows if not still_invited(row)]
    removed_copies = [
        PepMeetingInvitee(
            name=row.name,
            email=row.email,
            role=row.role,
            invited_by_email=row.invited_by_email,
            user_id=row.user_id,
        )
        for row in removed
    ]
    meeting.invitees = new_rows
    meeting.sequence += 1
    section_version = _set_pep_meeting_date(pep, user, meeting.meeting_date, _venue(request))
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        session.refresh(meeting)
        _check_version(meeting, based_on_version)
        raise MeetingConflict(
            "Someone changed this PEP while you were changing its meeting. Try again."
        ) from None
    audit.record(
        session,
        actor,
        "pep.meeting_rescheduled",
        "pep",
        pep.id,
        meeting_id=str(meeting.id),
        section=MEETING_SECTION,
        section_version=section_version,
        before=before,
        **_summary(meeting),
    )
    settings = _settings(settings)
    # Those invited before are sent the change; those added now, an invitation.
    invited_before = _invited_among(old_rows)
    added = [row for row in meeting.invitees if not invited_before(row)]
    kept = [row for row in meeting.invitees if invited_before(row)]
    _queue_invitations(session, actor, meeting, kept, InvitationKind.CHANGED, settings)
    _queue_invitations(session, actor, meeting, added, InvitationKind.INVITED, settings)
    # People no longer invited are told it is off for them, on the day they were invited for.
    _queue_invitations(
        session,
        actor,
        meeting,
        removed_copies,
        InvitationKind.UNINVITED,
        settings,
        cancelled=True,
        invited_for=was,
    )
    session.commit()
    refresh_timeliness(session, [pep.child_id])
    return meeting, removed_copies


def cancel_meeting(
    session: Session,
    actor: Actor,
    user: User,
    meeting: PepMeeting,
    roles: frozenset[Role],
    based_on_version: int,
    *,
    today: date | None = None,
    settings: Any = None,
) -> PepMeeting:
    """Cancel a meeting still to come: everyone invited is sent a cancellation; the PEP's
    meeting date and its section's are cleared where they still hold this meeting's date."""
    pep = meeting.pep
    _lock_for_change(session, pep)
    _refuse_unless_may_arrange(pep, roles)
    if meeting.cancelled:
        raise MeetingRefused("This meeting is already cancelled.")
    _check_version(meeting, based_on_version)
    if meeting_was_held(meeting, today or england_today()):
        # Its date is what the PEP's plans start from, and submitting needs it.
        raise MeetingRefused(
            f"The meeting took place on {format_date_for_people(meeting.meeting_date)}, so it "
            "cannot be cancelled. If it did not happen on that day, change it to the day it "
            "will happen."
        )
    meeting.cancelled_at_utc = datetime.now(UTC)
    meeting.cancelled_by_id = user.id
    meeting.sequence += 1
    section_version = None
    if pep.meeting_date in (meeting.meeting_date, None):
        section_answer = _section_meeting_date(pep)
        if section_answer in (meeting.meeting_date.isoformat(), None):
            section_version = _set_pep_meeting_date(pep, user, None, None)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        session.refresh(meeting)
        _check_version(meeting, based_on_version)
        raise MeetingConflict(
            "Someone changed this PEP while you were cancelling its meeting. Try again."
        ) from None
    audit.record(
        session,
        actor,
        "pep.meeting_cancelled",
        "pep",
        pep.id,
        meeting_id=str(meeting.id),
        section=MEETING_SECTION,
        section_version=section_version,
        **_summary(meeting),
    )
    _queue_invitations(
        session,
        actor,
        meeting,
        meeting.invitees,
        InvitationKind.CANCELLED,
        _settings(settings),
        cancelled=True,
    )
    session.commit()
    refresh_timeliness(session, [pep.child_id])
    return meeting


def meeting_date_disagreement(pep: Pep, meeting: PepMeeting | None) -> str | None:
    """A sentence when the meeting details section gives another date than the meeting
    arranged (the section was changed by hand afterwards), else None."""
    if meeting is None:
        return None
    in_section = _section_meeting_date(pep)
    if in_section is None or in_section == meeting.meeting_date.isoformat():
        return None
    try:
        written = format_date_for_people(date.fromisoformat(str(in_section)))
    except ValueError:
        return None
    return (
        f"The meeting details section gives the meeting date as {written}, but the meeting is "
        f"arranged for {format_date_for_people(meeting.meeting_date)}. Change the meeting, or "
        "correct the section, so that they agree."
    )


def _section_meeting_date(pep: Pep) -> str | None:
    try:
        return pep.section(MEETING_SECTION).answers.get("meeting_date")
    except KeyError:
        return None
