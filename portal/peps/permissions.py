"""Who may do what to a PEP, decided in one place next to the model."""

from __future__ import annotations

from forms.schema import SectionDefinition, SectionType
from portal.models import Pep
from workflows.pep import PepState
from workflows.roles import Role

# While the designated teacher is drafting (or fixing a returned PEP), each party completes
# its own sections; after submission the sign-off process decides what may change.
EDITABLE_STATES = frozenset({PepState.DRAFT, PepState.RETURNED})
STARTING_ROLES = frozenset({Role.SOCIAL_WORKER, Role.DESIGNATED_TEACHER, Role.ADMIN})


def section_refusal(pep: Pep, section: SectionDefinition, roles: frozenset[Role]) -> str | None:
    """Why this person may not change this section now, or None when they may."""
    if section.owner not in roles:
        return f"Only the {section.owner.label.lower()} can change this section."
    if section.section_type is SectionType.CHILD_VOICE:
        return "The child's views are given by the child, through their own link."
    if section.section_type is SectionType.QUALITY_ASSURANCE:
        return "The Virtual School completes this section after the PEP is approved."
    if pep.state_enum not in EDITABLE_STATES:
        return f"This PEP is {pep.state_enum.label.lower()}, so its answers cannot be changed."
    return None


def may_edit_section(pep: Pep, section: SectionDefinition, roles: frozenset[Role]) -> bool:
    return section_refusal(pep, section, roles) is None


def may_start_pep(roles: frozenset[Role]) -> bool:
    return bool(roles & STARTING_ROLES)


def may_choose_form(roles: frozenset[Role]) -> bool:
    """A Virtual School admin can override the form chosen from the child's age."""
    return Role.ADMIN in roles
