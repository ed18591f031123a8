"""Who may do what to a PEP, decided in one place next to the model."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from forms.fields import format_date_for_people
from forms.schema import (
    STAFF_READERS,
    FormDefinition,
    SectionDefinition,
    SectionType,
    section_readers,
)
from portal.academic import Term
from portal.extensions import db
from portal.models import Child, Pep, User
from portal.timeliness.calendars import calendar_for_school
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


def pep_start_refusal(child: Child, roles: frozenset[Role]) -> str | None:
    """Why no PEP can be started for this child by this person, or None when it can."""
    if child.date_left_care is not None:
        left_on = format_date_for_people(child.date_left_care)
        if child.previously_looked_after:
            return (
                f"{child.full_name} left care on {left_on} and is previously looked after. "
                "The Virtual School advises on their education; no new PEP is due."
            )
        return f"{child.full_name} left care on {left_on}, so no new PEP is due."
    if not child.has_pep_duty:
        return (
            f"{child.full_name}'s legal status is {child.legal_status_label}: a child on "
            "short breaks has no care plan of which a PEP is part, so no PEP is due."
        )
    if not roles & STARTING_ROLES:
        return (
            "Only the child's social worker, designated teacher or a Virtual School admin "
            "can start a PEP."
        )
    return None


def may_start_pep(roles: frozenset[Role], child: Child | None = None) -> bool:
    """Whether this person may start a PEP; with the child, whether one is due at all (not
    after the child left care, nor on a short-break legal status)."""
    if child is not None:
        return pep_start_refusal(child, roles) is None
    return bool(roles & STARTING_ROLES)


def may_choose_form(roles: frozenset[Role]) -> bool:
    """A Virtual School admin can override the form chosen from the child's age."""
    return Role.ADMIN in roles


# --------------------------------------------------------------------------------------------
# Reading: the form definition says who reads each section (forms.schema.section_readers);
# a carer reads only from the start of their placement; the signed-off record is for staff.
# --------------------------------------------------------------------------------------------


def reads_everything(roles: frozenset[Role]) -> bool:
    """Staff read every section of every PEP of a child they may see, as they always have."""
    return bool(roles & STAFF_READERS)


def may_read_section(
    definition: FormDefinition, section: SectionDefinition, roles: frozenset[Role]
) -> bool:
    return bool(section_readers(definition, section) & roles)


def readable_sections(
    definition: FormDefinition, roles: frozenset[Role]
) -> tuple[SectionDefinition, ...]:
    return definition.sections_readable_by(roles)


def may_download_record(roles: frozenset[Role]) -> bool:
    """The signed-off statutory record holds every section: staff only."""
    return reads_everything(roles)


# A school's recorded term can end either side of the day `term_ends_on` gives it: a spring term
# runs into April when Easter is late and ends in March when it is early; an autumn term ends
# before Christmas, a summer term in July. For a carer's placement beginning within these weeks
# of that day, the recorded term dates decide; further off, they could not change the answer.
EARLY_TERM_END = timedelta(weeks=9)
LATE_TERM_END = timedelta(days=28)


def term_ends_on(academic_year: int, term: Term) -> date:
    """The last day of a term, as `portal.academic.current_term` divides the year."""
    if term is Term.AUTUMN:
        return date(academic_year, 12, 31)
    if term is Term.SPRING:
        return date(academic_year + 1, 3, 31)
    return date(academic_year + 1, 8, 31)


def placement_start(user: User, pep: Pep) -> date | None:
    """The earliest day this carer's grant for the PEP's child reaches back to."""
    starts = [
        grant.placement_start
        for grant in user.grants
        if Role(grant.role) is Role.CARER and grant.child_id == pep.child_id
    ]
    return min(starts) if starts else None


def may_read_pep(user: User, pep: Pep, roles: frozenset[Role]) -> bool:
    """Staff: any PEP of a child they may see. A carer: PEPs of terms ending on or after the
    start of the child's placement with them, never the years before it."""
    if reads_everything(roles):
        return True
    if Role.CARER not in roles:
        return False
    start = placement_start(user, pep)
    return start is not None and term_reaches(
        pep.child_id, pep.academic_year, Term(pep.term), start
    )


def recorded_term_end(child_id: uuid.UUID, academic_year: int, term: Term) -> date | None:
    """The last day of a term by the term dates the child's school follows (its own, else the
    authority's: `calendar_for_school`); None where none are recorded."""
    child = db.session.get(Child, child_id)
    if child is None:
        return None
    recorded = calendar_for_school(db.session, child.current_school_id).term(
        academic_year, term.value
    )
    return recorded.ends_on if recorded is not None else None


def recorded_end_may_decide(academic_year: int, term: Term, start: date) -> bool:
    """Whether a placement beginning on `start` is near enough the term's end by the month
    (`term_ends_on`) for the term dates the child's school follows to decide `term_reaches`:
    from EARLY_TERM_END before that day to LATE_TERM_END after it."""
    ends = term_ends_on(academic_year, term)
    return ends - EARLY_TERM_END < start <= ends + LATE_TERM_END


def term_reaches(child_id: uuid.UUID, academic_year: int, term: Term, start: date) -> bool:
    """Whether a term ends on or after `start` (a carer's placement start): by the term dates
    the child's school follows where they are recorded, which may end the term before or after
    the day `term_ends_on` gives it; else by that day. Only a start near that day
    (`recorded_end_may_decide`) costs a query."""
    ends = term_ends_on(academic_year, term)
    if not recorded_end_may_decide(academic_year, term, start):
        return ends >= start
    recorded = recorded_term_end(child_id, academic_year, term)
    return (recorded if recorded is not None else ends) >= start
