"""What the audit trail says happened to a PEP: who submitted, approved and signed it off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditEvent, Pep, User

TRAIL_ACTIONS = ("pep.started", "pep.transition")


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


def pep_trail(session: Session, pep: Pep) -> list[TrailEntry]:
    """The PEP's start and every transition, oldest first, with people's display names."""
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
            who=name or event.actor_description,
            role_label=event.details.get("role_label"),
            occurred_at=event.occurred_at_utc,
            reason=event.details.get("reason"),
        )
        for event, name in rows
    ]
