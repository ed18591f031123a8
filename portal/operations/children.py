"""Operations on children's records."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.models import Child
from portal.operations import audit
from portal.operations.audit import Actor


def record_child_record_viewed(session: Session, actor: Actor, child: Child) -> None:
    """Viewing a child's record is itself attributable (UK GDPR special-category data)."""
    audit.record_at_once(session, actor, "child.viewed", "child", child.id)
    session.commit()


def record_children_list_exported(
    session: Session, actor: Actor, rows: int, filters: dict[str, str]
) -> None:
    """Who downloaded the children list, how many children it held and which part of it
    (UK GDPR special-category data about children); committed on its own."""
    audit.record_at_once(session, actor, "child.list_exported", "child", None, rows=rows, **filters)
    session.commit()
