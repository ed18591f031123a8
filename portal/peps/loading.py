"""Loading exactly what one PEP page needs: a section page shows one section, never the others."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from portal.children.queries import roles_for_child
from portal.models import Pep, PepSection, User
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

    Who may see the child is decided from the child the query brings back
    (`roles_for_child`; `may_read_pep` refuses a person with no role), not by a filter in
    the query. The rule is the same as
    `visible_children`'s (`tests/integration/test_visibility_rules_agree.py` holds them to it),
    and one statement for everyone is built and cached once, where a per-person filter was
    built, keyed and compiled again on every section page and autosave.

    The PEP's other sections are not loaded: touching `pep.sections` would load them all. The
    section's row is None when the PEP has none by that key (an unknown key: the caller decides
    between "no such page" and a fault)."""
    row = session.execute(
        PEP_WITH_ONE_SECTION, {"pep_id": pep_id, "section_key": section_key}
    ).first()
    if row is None:
        return None
    pep, stored = row
    if not may_read_pep(user, pep, roles_for_child(user, pep.child)):
        return None
    return PepWithSection(pep, stored)
