"""Reading is attributable too: every view of a PEP's content and every subject access export
writes an audit row (UK GDPR special-category data about children)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.orm import Session

from portal.models import Child, ContributionInvite, Pep
from portal.operations import audit
from portal.operations.audit import Actor


class PepPart(StrEnum):
    """Which part of a PEP was shown."""

    TASK_LIST = "task_list"
    SECTION = "section"
    CONTRIBUTIONS = "contributions"
    QUALITY_ASSURANCE = "quality_assurance"
    MEETING = "meeting"  # the PEP meeting: when, where and who is invited


def record_pep_viewed(
    session: Session,
    actor: Actor,
    pep: Pep,
    part: PepPart,
    section_key: str | None = None,
    *,
    invite: ContributionInvite | None = None,
) -> None:
    """Who read which part of which child's PEP; committed on its own (a read changes nothing).
    ``invite``: the link the page was read through (the holder has no account, and a link can
    be forwarded), named as a save through it is."""
    audit.record_at_once(
        session,
        actor,
        "pep.viewed",
        "pep",
        pep.id,
        child_id=str(pep.child_id),
        part=part.value,
        section=section_key,
        invite_id=str(invite.id) if invite is not None else None,
    )
    session.commit()


def record_invite_page_viewed(session: Session, actor: Actor, invite: ContributionInvite) -> None:
    """Someone holding a contribution link read its section, with the answers saved in it:
    recorded against the PEP (as staff reads are, so the child's history lists it), naming
    the link and the section."""
    record_pep_viewed(
        session, actor, invite.pep, PepPart.SECTION, invite.section_key, invite=invite
    )


def record_child_history_viewed(session: Session, actor: Actor, child: Child, page: int) -> None:
    """An admin read the list of everything that happened to this child's records."""
    audit.record_at_once(session, actor, "child.history_viewed", "child", child.id, page=page)
    session.commit()


def record_child_history_exported(session: Session, actor: Actor, child: Child, rows: int) -> None:
    """An admin downloaded this child's history (a subject access request)."""
    audit.record_at_once(session, actor, "child.history_exported", "child", child.id, rows=rows)
    session.commit()
