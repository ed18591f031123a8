"""Finding PEPs a person may see: through the children they may see."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.children.queries import roles_for_child, visible_children
from portal.models import Child, Pep, User
from portal.peps.permissions import may_read_pep


def find_visible_pep(session: Session, user: User, pep_id: uuid.UUID) -> Pep | None:
    """The PEP, or None when it does not exist, its child is not visible, or it is from before
    a carer's placement began (the same answer for each)."""
    visible_child_ids = visible_children(user).with_only_columns(Child.id)
    pep = session.scalar(select(Pep).where(Pep.id == pep_id, Pep.child_id.in_(visible_child_ids)))
    if pep is None or not may_read_pep(user, pep, roles_for_child(user, pep.child)):
        return None
    return pep
