"""Operations on children's records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Child
from portal.operations import audit
from portal.operations.audit import Actor


def record_child_record_viewed(session: Session, actor: Actor, child: Child) -> None:
    """Viewing a child's record is itself attributable (UK GDPR special-category data)."""
    audit.record(session, actor, "child.viewed", "child", child.id)
    session.commit()
