"""Invite links for the child's voice and the carer's views: creating, using and managing them.

Every change is audited in the same transaction, including every refused token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.answers import VOICE_ANSWERS_KEY
from forms.parsing import clean_text
from forms.schema import SectionDefinition, SectionType
from portal.academic import england_day
from portal.form_registry import definition_for
from portal.invites.tokens import hash_token, new_token
from portal.models import Child, ContributionInvite, Pep, PepSection, User
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.workflow import lost_race, touch_pep, what_happened_to
from portal.peps.permissions import EDITABLE_STATES
from workflows.pep import OPEN_STATES
from workflows.roles import Role

DEFAULT_VALID_FOR = timedelta(days=14)
NOTE_MAX_LENGTH = 2000
# The people a child's record names as responsible for gathering the child's and carer's views.
MANAGING_ROLES = frozenset({Role.DESIGNATED_TEACHER, Role.SOCIAL_WORKER})


class InviteRefused(Exception):
    """An invite operation refused, with a sentence the person can act on."""


class InviteOvertaken(InviteRefused):
    """Someone else changed the PEP at the same moment; nothing of this request was kept."""


def _overtaken(session: Session, pep: Pep, consequence: str) -> InviteOvertaken:
    """Undo everything this request did and say what the other person did."""
    session.rollback()
    session.refresh(pep)
    return InviteOvertaken(f"{what_happened_to(session, pep)} {consequence}")


def _commit_unless_overtaken(session: Session, pep: Pep, consequence: str) -> None:
    """Commit; when someone else changed the same PEP first, undo it all and refuse instead."""
    try:
        session.commit()
    except Exception as error:
        if not lost_race(error):
            raise
        raise _overtaken(session, pep, consequence) from None


class Contributor(StrEnum):
    """Who an invite is for; the audit trail names them by this, as they have no account."""

    CHILD = "child"
    CARER = "carer"

    @property
    def actor_description(self) -> str:
        return "Child (invite link)" if self is Contributor.CHILD else "Carer (invite link)"

    @property
    def label(self) -> str:
        return "The child" if self is Contributor.CHILD else "The carer"


def contributor_for(section: SectionDefinition) -> Contributor | None:
    """Which contributor a section can be sent to, or None: only the child's views and the
    carer's views are ever filled in through a link."""
    if section.section_type is SectionType.CHILD_VOICE:
        return Contributor.CHILD
    if section.section_type is SectionType.STANDARD and section.owner is Role.CARER:
        return Contributor.CARER
    return None


def holder_actor(contributor: Contributor, client_address: str | None) -> Actor:
    return Actor(
        user=None, description=contributor.actor_description, client_address=client_address
    )


def may_manage_invites(roles: frozenset[Role]) -> bool:
    return bool(roles & MANAGING_ROLES)


def management_refusal(pep: Pep, roles: frozenset[Role]) -> str | None:
    """Why this person may not create, revoke or reopen links or record notes, or None."""
    if not may_manage_invites(roles):
        return "Only the child's designated teacher or social worker can do this."
    if pep.state_enum not in EDITABLE_STATES:
        return f"This PEP is {pep.state_enum.label.lower()}, so it cannot be changed."
    return None


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _refuse_unless_may_manage(pep: Pep, roles: frozenset[Role]) -> None:
    refusal = management_refusal(pep, roles)
    if refusal:
        raise InviteRefused(refusal)


@dataclass(frozen=True)
class CreatedInvite:
    """The new invite and its token: the only moment the token exists outside the link."""

    invite: ContributionInvite
    token: str


def create_invite(
    session: Session,
    actor: Actor,
    user: User,
    pep: Pep,
    section: SectionDefinition,
    roles: frozenset[Role],
    *,
    now: datetime | None = None,
    valid_for: timedelta = DEFAULT_VALID_FOR,
) -> CreatedInvite:
    """A new link for one section; earlier working links for that section stop working, so a
    lost link is replaced by creating another."""
    _refuse_unless_may_manage(pep, roles)
    contributor = contributor_for(section)
    if contributor is None:
        raise InviteRefused("Links can only be created for the child's or the carer's views.")
    now = _now(now)
    for earlier in _working_invites(session, pep, section.key, now):
        earlier.revoked_at_utc = now
        earlier.revoked_by_id = user.id
        audit.record(
            session,
            actor,
            "invite.revoked",
            "invite",
            earlier.id,
            pep_id=str(pep.id),
            section=section.key,
            replaced=True,
        )
    token = new_token()
    invite = ContributionInvite(
        pep_id=pep.id,
        section_key=section.key,
        token_hash=hash_token(token),
        created_by_id=user.id,
        expires_at_utc=now + valid_for,
    )
    session.add(invite)
    # One working link per section: two people creating one at the same moment must not
    # both succeed, so the PEP's version decides who was first.
    touch_pep(pep)
    try:
        session.flush()
    except Exception as error:
        if not lost_race(error):
            raise
        raise _overtaken(session, pep, "No link was created; try again.") from None
    audit.record(
        session,
        actor,
        "invite.created",
        "invite",
        invite.id,
        pep_id=str(pep.id),
        section=section.key,
        contributor=contributor.value,
        expires_at_utc=invite.expires_at_utc.isoformat(),
    )
    _commit_unless_overtaken(session, pep, "No link was created; try again.")
    return CreatedInvite(invite, token)


def _working_invites(
    session: Session, pep: Pep, section_key: str, now: datetime
) -> list[ContributionInvite]:
    candidates = session.scalars(
        select(ContributionInvite).where(
            ContributionInvite.pep_id == pep.id,
            ContributionInvite.section_key == section_key,
            ContributionInvite.revoked_at_utc.is_(None),
        )
    )
    return [invite for invite in candidates if not invite.is_expired(now)]


class LinksStopped(StrEnum):
    """Why a change in the child's life stopped their links (the audit event's reason)."""

    CARER_CHANGED = "carer_changed"
    LEFT_CARE = "left_care"


def _contributor_of(invite: ContributionInvite) -> Contributor | None:
    try:
        return contributor_for(definition_for(invite.pep).section(invite.section_key))
    except (KeyError, LookupError):
        return None


def stop_links_of_child(
    session: Session,
    actor: Actor,
    child: Child,
    reason: LinksStopped,
    *,
    contributor: Contributor | None = None,
    made_before: date | None = None,
    now: datetime | None = None,
) -> list[ContributionInvite]:
    """Stop the working links on the child's open PEPs (only ``contributor``'s, when given;
    only those made before the day ``made_before``, in England, when given), sent ones
    included, since staff could reopen them. Audited, not committed: the change in the child's
    life that calls this commits both together."""
    now = _now(now)
    candidates = session.scalars(
        select(ContributionInvite)
        .join(ContributionInvite.pep)
        .where(
            Pep.child_id == child.id,
            Pep.state.in_([state.value for state in OPEN_STATES]),
            ContributionInvite.revoked_at_utc.is_(None),
        )
        .order_by(ContributionInvite.created_at_utc)
    )
    stopped = []
    for invite in candidates:
        if invite.is_expired(now):
            continue
        # A link whose section is unknown is stopped too: it is not known to be someone else's.
        found = _contributor_of(invite)
        if contributor is not None and found not in (contributor, None):
            continue
        if made_before is not None and england_day(invite.created_at_utc) >= made_before:
            continue
        _stop(session, actor, invite, now, reason=reason.value)
        stopped.append(invite)
    return stopped


def _stop(
    session: Session,
    actor: Actor,
    invite: ContributionInvite,
    now: datetime,
    *,
    stopped_by: User | None = None,
    **why: str,
) -> None:
    """The link stops working from now, by whom (the acting person unless named), audited."""
    by = stopped_by or actor.user
    invite.revoked_at_utc = now
    invite.revoked_by_id = by.id if by is not None else None
    audit.record(
        session,
        actor,
        "invite.revoked",
        "invite",
        invite.id,
        pep_id=str(invite.pep_id),
        section=invite.section_key,
        **why,
    )


def revoke_invite(
    session: Session,
    actor: Actor,
    user: User,
    invite: ContributionInvite,
    roles: frozenset[Role],
    *,
    now: datetime | None = None,
) -> None:
    _refuse_unless_may_manage(invite.pep, roles)
    if invite.revoked_at_utc is not None:
        raise InviteRefused("This link has already been stopped.")
    _stop(session, actor, invite, _now(now), stopped_by=user)
    session.commit()


def reopen_invite(
    session: Session,
    actor: Actor,
    user: User,
    invite: ContributionInvite,
    roles: frozenset[Role],
    *,
    now: datetime | None = None,
) -> None:
    """Let the holder change what they sent, through the same link."""
    _refuse_unless_may_manage(invite.pep, roles)
    now = _now(now)
    if not invite.works(now):
        raise InviteRefused("This link has expired or been stopped. Create a new link instead.")
    if invite.completed_at_utc is None:
        raise InviteRefused("This link has not been sent yet, so it is still open.")
    invite.completed_at_utc = None
    invite.reopened_at_utc = now
    invite.reopened_by_id = user.id
    audit.record(
        session,
        actor,
        "invite.reopened",
        "invite",
        invite.id,
        pep_id=str(invite.pep_id),
        section=invite.section_key,
    )
    session.commit()


def holder_refusal(invite: ContributionInvite, now: datetime) -> str | None:
    """Why the holder may not change the section now (the link itself works), or None."""
    if invite.completed_at_utc is not None:
        return "These views have been sent."
    # A child who left care has no PEP to contribute to, whatever state it was left in (links
    # made before leaving care stopped then; this holds for any made otherwise).
    if invite.pep.state_enum not in EDITABLE_STATES or not invite.pep.child.in_care:
        return "This PEP can no longer be changed."
    return None


def _stored_section(pep: Pep, section_key: str) -> PepSection:
    return pep.section(section_key)


def _changed_keys(
    section: SectionDefinition, before: dict[str, Any], after: dict[str, Any]
) -> list[str]:
    if section.section_type is SectionType.CHILD_VOICE:
        before = before.get(VOICE_ANSWERS_KEY) or {}
        after = after.get(VOICE_ANSWERS_KEY) or {}
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def save_through_invite(
    session: Session,
    actor: Actor,
    invite: ContributionInvite,
    section: SectionDefinition,
    answers: dict[str, Any],
    *,
    now: datetime | None = None,
) -> PepSection:
    """Store the holder's answers (for the child's voice, already wrapped with their band)."""
    now = _now(now)
    if section.key != invite.section_key:  # the link opens its own section and no other
        raise InviteRefused("This link is for a different part of the PEP.")
    if not invite.works(now):
        raise InviteRefused("This link does not work.")
    refusal = holder_refusal(invite, now)
    if refusal:
        raise InviteRefused(refusal)
    pep = invite.pep
    stored = _stored_section(pep, section.key)
    changed = _changed_keys(section, stored.answers, answers)
    invite.last_used_at_utc = now
    if changed:  # an unchanged save leaves the section (and its version) alone
        stored.answers = answers
        stored.last_saved_by_id = None
        stored.last_saved_at_utc = now
        # The PEP was open when it was read: if it is submitted, signed off or cancelled at
        # the same moment, this save must lose rather than change a locked PEP.
        touch_pep(pep)
    try:
        session.flush()  # the version columns bump here, and refuse a simultaneous change
    except Exception as error:
        if not lost_race(error):
            raise
        session.rollback()
        raise InviteOvertaken(
            "Your answers were not saved because they changed at the same moment. Try again."
        ) from None
    if changed:
        # The same action as a signed-in save, so the section's history reads as one list.
        audit.record(
            session,
            actor,
            "pep.section_saved",
            "pep",
            invite.pep_id,
            section=section.key,
            version=stored.version,
            fields=changed,
            autosave=False,
            invite_id=str(invite.id),
        )
    try:
        session.commit()
    except Exception as error:
        if not lost_race(error):
            raise
        session.rollback()
        raise InviteOvertaken(
            "Your answers were not saved because they changed at the same moment. Try again."
        ) from None
    return stored


def send_through_invite(
    session: Session, actor: Actor, invite: ContributionInvite, *, now: datetime | None = None
) -> None:
    """The holder has finished: the link now only says thank you, until staff reopen it."""
    now = _now(now)
    if not invite.works(now):
        raise InviteRefused("This link does not work.")
    refusal = holder_refusal(invite, now)
    if refusal:
        raise InviteRefused(refusal)
    invite.completed_at_utc = now
    invite.last_used_at_utc = now
    audit.record(
        session,
        actor,
        "invite.sent",
        "invite",
        invite.id,
        pep_id=str(invite.pep_id),
        section=invite.section_key,
    )
    session.commit()


class RefusedToken(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    RATE_LIMITED = "rate_limited"


def record_refused_token(
    session: Session,
    client_address: str | None,
    reason: RefusedToken,
    invite: ContributionInvite | None = None,
) -> None:
    """Audit a link that did not open. The token itself is never recorded: a real one
    would then sit in the audit trail."""
    audit.record(
        session,
        Actor.anonymous(client_address),
        "invite.token_refused",
        "invite",
        invite.id if invite else None,
        reason=reason.value,
        pep_id=str(invite.pep_id) if invite else None,
    )
    session.commit()


def _cleaned_note(text: str, what: str) -> str | None:
    # Without control characters: PostgreSQL refuses a NUL, the Word export the others.
    cleaned = clean_text(text, multiline=True)
    if len(cleaned) > NOTE_MAX_LENGTH:
        raise InviteRefused(f"{what} must be {NOTE_MAX_LENGTH:,} characters or fewer")
    return cleaned or None


def record_child_voice_absent_reason(
    session: Session, actor: Actor, pep: Pep, roles: frozenset[Role], reason: str
) -> None:
    """Why the child's views could not be gathered; an empty reason clears it."""
    _refuse_unless_may_manage(pep, roles)
    cleaned = _cleaned_note(reason, "The reason the child's views could not be gathered")
    if cleaned == pep.child_voice_absent_reason:
        return
    pep.child_voice_absent_reason = cleaned
    action = "recorded" if cleaned else "cleared"
    audit.record(
        session, actor, f"pep.child_voice_absent_reason_{action}", "pep", pep.id, reason=cleaned
    )
    _commit_unless_overtaken(session, pep, "The reason was not saved.")


def record_child_voice_note(
    session: Session, actor: Actor, pep: Pep, roles: frozenset[Role], note: str
) -> None:
    """Staff's note on how the child's views were gathered, kept apart from the child's words."""
    _refuse_unless_may_manage(pep, roles)
    cleaned = _cleaned_note(note, "The note on how the views were gathered")
    if cleaned == pep.child_voice_note:
        return
    pep.child_voice_note = cleaned
    audit.record(
        session,
        actor,
        "pep.child_voice_note_saved",
        "pep",
        pep.id,
        note=cleaned,
    )
    _commit_unless_overtaken(session, pep, "The note was not saved.")
