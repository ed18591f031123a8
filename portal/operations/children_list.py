"""Reading the children list in bulk is attributable: a download of the list is recorded."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.operations import audit
from portal.operations.audit import Actor


def record_children_list_exported(
    session: Session, actor: Actor, rows: int, filters: dict[str, str]
) -> None:
    """Who downloaded the children list, how many children it held and which part of it
    (UK GDPR special-category data about children); committed on its own."""
    audit.record(session, actor, "child.list_exported", "child", None, rows=rows, **filters)
    session.commit()
