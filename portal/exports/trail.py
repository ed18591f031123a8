"""What the audit trail says happened to a PEP: who submitted, approved and signed it off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Pep, User

TRAIL_ACTIONS = ("pep.started", "pep.transition")

# How an audit row describes a signed-in person when they act (Actor.for_user):
# "Name <email> (roles)". The name is the one they had at that moment.
_DESCRIBED_PERSON = re.compile(r"(?P<name>.+) <[^<>\s]*> \([^()]*\)", re.DOTALL)


@dataclass(frozen=True)
class TrailEntry:
    """One step in a PEP's life, as the document shows it."""

    action: str  # "pep.started" or "pep.transition"
    event: str | None  # the PepEvent value for a transition
    target: str | None  # the state the PEP moved to
    who: str
    role_label: str | None
    occurred_at: datetime  # always timezone-aware (UTC)
    reason: str | None = None


def name_when_acting(description: str) -> str | None:
    """The person's name as the audit row recorded it when they acted; None when the row does
    not describe a signed-in person in the usual way (a system actor, or a description cut
    short at the column's length)."""
    described = _DESCRIBED_PERSON.fullmatch(description)
    return described.group("name") if described else None


def pep_trail(session: Session, pep: Pep) -> list[TrailEntry]:
    """The PEP's start and every transition, oldest first, naming each person as they were
    named when they acted: a record rebuilt after someone is renamed says what it said then.
    A row that does not carry the name falls back to the person's name today."""
    rows = session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(AuditEvent.object_id == str(pep.id), AuditEvent.action.in_(TRAIL_ACTIONS))
        .order_by(AuditEvent.occurred_at_utc, AuditEvent.id)
    )
    return [
        TrailEntry(
            action=event.action,
            event=event.details.get("event"),
            target=event.details.get("target"),
            who=_who(event, name),
            role_label=event.details.get("role_label"),
            occurred_at=event.occurred_at_utc,
            reason=event.details.get("reason"),
        )
        for event, name in rows
    ]


def _who(event: AuditEvent, name_today: str | None) -> str:
    if event.actor_user_id is not None:
        recorded = name_when_acting(event.actor_description or "")
        if recorded:
            return recorded
    return name_today or event.actor_description
