"""Emails when something happens to a PEP: who hears of it, and what the email says.

Called inside the workflow operations' own transactions (start_pep, _stage_transition): the
emails are recorded with the action and sent after it commits (see portal/operations/emails.py),
so a mail server that is down or slow never fails nor slows the action. Subjects never carry the
child's name or any personal detail; the body names the child by their reference only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.children.queries import roles_for_child
from portal.models import Child, Pep, RoleGrant, User
from portal.operations.audit import Actor
from portal.operations.emails import EmailContent, dedupe_key, portal_link, queue_email
from portal.peps.permissions import may_read_pep
from workflows.pep import PepEvent
from workflows.roles import Role


class EmailKind:
    """What an email is about; stored in emails.kind."""

    SECTION_WAITING = "pep_section_waiting"
    SUBMITTED = "pep_submitted"
    RETURNED = "pep_returned"
    APPROVED = "pep_approved"
    SIGNED_OFF = "pep_signed_off"
    INVITE_EXPIRING = "invite_expiring"
    WAITING_TOO_LONG = "pep_waiting_too_long"
    WEEKLY_SUMMARY = "weekly_summary"


KIND_LABELS = {
    EmailKind.SECTION_WAITING: "A section is waiting for you",
    EmailKind.SUBMITTED: "PEP submitted",
    EmailKind.RETURNED: "PEP returned",
    EmailKind.APPROVED: "PEP approved",
    EmailKind.SIGNED_OFF: "PEP signed off",
    EmailKind.INVITE_EXPIRING: "Link expiring",
    EmailKind.WAITING_TOO_LONG: "PEP waiting",
    EmailKind.WEEKLY_SUMMARY: "Weekly summary",
}


# --------------------------------------------------------------------------------------------
# Who
# --------------------------------------------------------------------------------------------


def _active(users: Iterable[User]) -> list[User]:
    """Each active person once, in a stable order."""
    unique = {user.id: user for user in users if user.active}
    return sorted(unique.values(), key=lambda user: user.email)


def holders_of(session: Session, child: Child, role: Role) -> list[User]:
    """People holding a case role (social worker, carer, Virtual School adviser) for the child."""
    return _active(
        session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.child_id == child.id, RoleGrant.role == role.value)
        )
    )


def designated_teachers_of(session: Session, child: Child) -> list[User]:
    """The designated teachers of the child's school; for a child with no school place, the
    Virtual School adviser, who completes the setting's part in their place."""
    if child.current_school_id is None:
        return holders_of(session, child, Role.VS_ADVISER)
    return _active(
        session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                RoleGrant.school_id == child.current_school_id,
                RoleGrant.role == Role.DESIGNATED_TEACHER.value,
            )
        )
    )


def reviewers(session: Session) -> list[User]:
    return _active(
        session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.role == Role.REVIEWER.value)
        )
    )


# What the child's adviser who does not review is told of a PEP waiting for quality assurance.
REVIEWERS_ASKED = (
    "The Virtual School's reviewers have been asked to check it and sign it off, or return it "
    "with feedback."
)


def quality_assurers(advisers: list[User], everyone_reviewing: list[User]) -> list[User]:
    """Whom a PEP waiting for quality assurance is chased with: only a reviewer may sign it off
    or return it. The child's Virtual School advisers who review, when there are any; else every
    reviewer, with the child's advisers as well (they follow the child's education, and chase).
    `everyone_reviewing` is the authority's reviewers (`reviewers`)."""
    reviewing = {person.id for person in everyone_reviewing}
    if advisers_reviewing := [person for person in advisers if person.id in reviewing]:
        return _active(advisers_reviewing)
    return _active([*advisers, *everyone_reviewing])


# --------------------------------------------------------------------------------------------
# What
# --------------------------------------------------------------------------------------------


def _about(pep: Pep) -> str:
    """How an email names the PEP: its term and the child's reference, never their name."""
    return f"the {pep.term_label} PEP for the child with reference {pep.child.authority_reference}"


def sentence_start(words: str) -> str:
    """Words at the start of a sentence: the first letter a capital, the rest as written
    (`str.capitalize` would turn the child's reference DCC-1104 into dcc-1104, and PEP to pep)."""
    return words[:1].upper() + words[1:]


def _send_each(
    session: Session,
    actor: Actor,
    pep: Pep,
    recipients: Iterable[User],
    kind: str,
    content_for: Any,
    settings: Mapping[str, Any],
) -> int:
    """Record one email to each recipient who may open the PEP, but the person who acted; how
    many were recorded."""
    occurrence = pep.version  # each change to a PEP moves its version on: one email per change
    count = 0
    for recipient in recipients:
        if actor.user is not None and recipient.id == actor.user.id:
            continue  # they did it: they know
        if not may_read_pep(recipient, pep, roles_for_child(recipient, pep.child)):
            # A role for the child is not always sight of this PEP: a carer reads no PEP of a
            # term before the placement began. Its email would name a PEP they cannot open.
            continue
        content: EmailContent = content_for(recipient)
        key = dedupe_key("pep", pep.id, kind, occurrence, recipient.id)
        if queue_email(
            session,
            actor,
            recipient=recipient,
            kind=kind,
            content=content,
            key=key,
            settings=settings,
            pep_id=pep.id,
        ):
            count += 1
    return count


def notify_pep_started(
    session: Session, actor: Actor, pep: Pep, settings: Mapping[str, Any] | None = None
) -> int:
    """A new PEP: each person with sections to complete hears that they are waiting."""
    settings = current_app.config if settings is None else settings
    child = pep.child
    people = [
        *designated_teachers_of(session, child),
        *holders_of(session, child, Role.SOCIAL_WORKER),
        *holders_of(session, child, Role.CARER),
    ]
    link = portal_link(settings, "peps.show_pep", pep_id=pep.id)
    content = EmailContent(
        subject="A PEP section is waiting for you",
        paragraphs=(
            f"{sentence_start(_about(pep))} has been started.",
            "Some of its sections are yours to complete. Sign in to see which, and complete "
            "them before the PEP meeting.",
        ),
        action="Open the PEP",
        link=link,
    )
    return _send_each(
        session,
        actor,
        pep,
        _active(people),
        EmailKind.SECTION_WAITING,
        lambda _recipient: content,
        settings,
    )


def notify_pep_event(
    session: Session,
    actor: Actor,
    pep: Pep,
    event: PepEvent,
    reason: str | None,
    settings: Mapping[str, Any],
) -> int:
    """Tell the people who act next that a PEP was submitted, returned, approved or signed off."""
    child = pep.child
    pep_link = portal_link(settings, "peps.show_pep", pep_id=pep.id)
    about = _about(pep)
    if event in (PepEvent.SUBMITTED, PepEvent.RESUBMITTED):
        done = "resubmitted" if event is PepEvent.RESUBMITTED else "submitted"
        content = EmailContent(
            subject="A PEP is waiting for your approval",
            paragraphs=(
                f"The designated teacher has {done} {about}.",
                "Check it, then approve it or return it to the designated teacher with a reason.",
            ),
            action="Check the PEP",
            link=pep_link,
        )
        return _send_each(
            session,
            actor,
            pep,
            holders_of(session, child, Role.SOCIAL_WORKER),
            EmailKind.SUBMITTED,
            lambda _recipient: content,
            settings,
        )
    if event in (PepEvent.RETURNED, PepEvent.QA_RETURNED):
        by_whom = (
            "The social worker"
            if event is PepEvent.RETURNED
            else "A Virtual School reviewer, after quality assurance,"
        )
        content = EmailContent(
            subject="A PEP has been returned to you",
            paragraphs=(f"{by_whom} returned {about}. They said:",),
            quoted=reason or "No reason was given.",
            action="Make the changes and resubmit the PEP",
            link=pep_link,
        )
        return _send_each(
            session,
            actor,
            pep,
            designated_teachers_of(session, child),
            EmailKind.RETURNED,
            lambda _recipient: content,
            settings,
        )
    if event is PepEvent.APPROVED:
        # The child's own Virtual School adviser, where one is assigned; else every reviewer.
        advisers = holders_of(session, child, Role.VS_ADVISER)
        people = advisers or reviewers(session)
        qa_link = portal_link(settings, "peps.quality_assurance", pep_id=pep.id)

        def approved_for(recipient: User) -> EmailContent:
            may_review = Role.REVIEWER in recipient.roles()
            return EmailContent(
                subject="A PEP is ready for quality assurance",
                paragraphs=(
                    f"The social worker has approved {about}.",
                    "It is ready for the Virtual School's quality assurance: check it, rate it, "
                    "then sign it off or return it with feedback.",
                ),
                action="Quality-assure the PEP" if may_review else "Open the PEP",
                link=qa_link if may_review else pep_link,
            )

        return _send_each(session, actor, pep, people, EmailKind.APPROVED, approved_for, settings)
    if event is PepEvent.SIGNED_OFF:
        content = EmailContent(
            subject="A PEP has been signed off",
            paragraphs=(
                f"The Virtual School has signed off {about}.",
                "It is now the statutory record and cannot be changed. You can read it and "
                "download it as a document.",
            ),
            action="Read the signed-off PEP",
            link=pep_link,
        )
        people = [
            *designated_teachers_of(session, child),
            *holders_of(session, child, Role.SOCIAL_WORKER),
        ]
        return _send_each(
            session,
            actor,
            pep,
            _active(people),
            EmailKind.SIGNED_OFF,
            lambda _recipient: content,
            settings,
        )
    return 0
