"""Finding PEPs a person may see: through the children they may see."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.children.queries import visible_children
from portal.models import Child, Pep, User


def find_visible_pep(session: Session, user: User, pep_id: uuid.UUID) -> Pep | None:
    """The PEP, or None when it does not exist or its child is not visible (the same answer)."""
    visible_child_ids = visible_children(user).with_only_columns(Child.id)
    return session.scalar(select(Pep).where(Pep.id == pep_id, Pep.child_id.in_(visible_child_ids)))
