"""Recording audit events inside an operation's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from portal.models import AuditEvent, User
from portal.models.base import utc_now
from workflows.roles import Role


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail will name them."""

    user: User | None
    description: str
    client_address: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # When the action happened, for an action recorded as part of a story of past terms (the
    # demo seed, acting each sign-off on its own day); None, as for every request, means now.
    acting_at_utc: datetime | None = None

    def at(self, moment: datetime) -> Actor:
        """The same person, acting at a given moment (an aware datetime)."""
        if moment.tzinfo is None:
            raise ValueError("An actor acts at an aware datetime, not a naive one.")
        return replace(self, acting_at_utc=moment)

    @classmethod
    def for_user(cls, user: User, client_address: str | None) -> Actor:
        role_names = sorted({Role(grant.role).label for grant in user.grants})
        roles_text = ", ".join(role_names) if role_names else "no role"
        return cls(user, f"{user.display_name} <{user.email}> ({roles_text})", client_address)

    @classmethod
    def system(cls, description: str) -> Actor:
        return cls(None, f"System: {description}")

    @classmethod
    def anonymous(cls, client_address: str | None) -> Actor:
        return cls(None, "Not signed in", client_address)


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session; the calling operation commits it with its change."""
    audit_event = AuditEvent(**_event_values(actor, action, object_type, object_id, details))
    session.add(audit_event)
    return audit_event


# Built once, and given its values as parameters: building `insert(...).values(...)` again for
# every page shown cost as much as sending it.
INSERT_AUDIT_EVENT = insert(AuditEvent.__table__)


def record_at_once(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None = None,
    **details: Any,
) -> None:
    """Insert an audit event at once; the caller commits. For a read (a page shown, a file
    downloaded), and for a change written by statements of its own (a section's save). The same
    row `record` would add, written as one INSERT rather than through the session's flush,
    which would look over every object the page loaded (the person, their grants, the PEP, the
    child, the answers) to find nothing changed: on a section page that was a fifth of the
    request's time."""
    values = _event_values(actor, action, object_type, object_id, details)
    # A table INSERT does not flush the session first, as an ORM statement would: flush here, so
    # that rows the request added (an actor, say) are written before the row that names them.
    # With nothing pending this is a check, not a round trip.
    session.flush()
    session.execute(INSERT_AUDIT_EVENT, {"id": uuid.uuid4(), **values})


def _event_values(
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "occurred_at_utc": actor.acting_at_utc or utc_now(),
        "actor_user_id": actor.user.id if actor.user else None,
        "actor_description": actor.description[:300],
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "client_address": actor.client_address,
        "details": {key: value for key, value in details.items() if value is not None},
    }
