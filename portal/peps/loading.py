"""Loading exactly what one PEP page needs: a section page shows one section, never the others."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from portal.children.queries import roles_for_child, visible_children
from portal.models import Child, Pep, PepSection, User
from portal.peps.permissions import may_read_pep


class PepWithSection(NamedTuple):
    """A PEP (with its child and school) and the saved answers of one of its sections."""

    pep: Pep
    stored: PepSection | None  # None only when the PEP has no row for that section


# The part of the query that is the same for everyone, built once: a section page and every
# autosave ask it, and building its joins and loader options each time cost a tenth of a save.
PEP_WITH_ONE_SECTION = (
    select(Pep, PepSection)
    .join(
        PepSection,
        (PepSection.pep_id == Pep.id) & (PepSection.section_key == bindparam("section_key")),
        isouter=True,
    )
    .options(
        joinedload(Pep.child),
        lazyload(Pep.sections),
        # Who last saved the section is shown, but not what else that person may do.
        joinedload(PepSection.last_saved_by).lazyload(User.grants),
    )
    .where(Pep.id == bindparam("pep_id"))
)


def find_visible_pep_section(
    session: Session, user: User, pep_id: uuid.UUID, section_key: str
) -> PepWithSection | None:
    """The PEP and one section's saved row, in one query, or None when the PEP does not exist,
    its child is not visible, or it is from before a carer's placement began (the same answer
    for each, as `portal.peps.queries.find_visible_pep` gives).

    The PEP's other sections are not loaded: touching `pep.sections` would load them all. The
    section's row is None when the PEP has none by that key (an unknown key: the caller decides
    between "no such page" and a fault)."""
    visible_child_ids = visible_children(user).with_only_columns(Child.id)
    row = session.execute(
        PEP_WITH_ONE_SECTION.where(Pep.child_id.in_(visible_child_ids)),
        {"pep_id": pep_id, "section_key": section_key},
    ).first()
    if row is None:
        return None
    pep, stored = row
    if not may_read_pep(user, pep, roles_for_child(user, pep.child)):
        return None
    return PepWithSection(pep, stored)
