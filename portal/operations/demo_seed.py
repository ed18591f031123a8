"""Demo data: schools, children, users and PEPs for trying the portal. Idempotent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import choose_voice_band
from forms.phases import VoiceBand
from forms.samples import sample_answers
from forms.schema import FormDefinition, SectionType
from portal.academic import academic_year_start, current_term, previous_term
from portal.form_registry import age_in_years
from portal.models import Child, Pep, RoleGrant, School, SchoolPhase, User
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.peps import choose_form, create_pep
from portal.operations.records import store_signed_off_record
from workflows.pep import PepState
from workflows.roles import Role

DEMO_DOMAIN = "demo.openpep.test"
HOME_AUTHORITY = "Demo County Council"


@dataclass(frozen=True)
class DemoSchool:
    urn: str
    name: str
    phase: SchoolPhase
    local_authority: str = HOME_AUTHORITY


@dataclass(frozen=True)
class DemoChild:
    reference: str
    first_name: str
    last_name: str
    year_group: int  # reception is 0, nursery -1, two-year-olds -2
    birth_month: int
    school_urn: str | None
    legal_status: str  # the SSDA903 code
    years_in_care: int
    current_pep: PepState | None  # this term's PEP, if one has been started
    earlier_signed_off_peps: int  # signed-off PEPs from earlier terms


SCHOOLS = (
    DemoSchool("900101", "Little Acorns Nursery", SchoolPhase.EARLY_YEARS),
    DemoSchool("900201", "Oakfield Primary School", SchoolPhase.PRIMARY),
    DemoSchool("900301", "Riverside Academy", SchoolPhase.SECONDARY),
    DemoSchool("900302", "Hillview School", SchoolPhase.SECONDARY, "Neighbouring Borough Council"),
    DemoSchool("900401", "Northgate College", SchoolPhase.POST_16),
)

# SSDA903 legal statuses: section 20, interim care order, full care order, placement order.
_S20, _ICO, _FCO, _PO = ("V2", "C1", "C2", "E1")
_D, _SUB, _RET, _APP, _OFF = (
    PepState.DRAFT,
    PepState.SUBMITTED,
    PepState.RETURNED,
    PepState.APPROVED,
    PepState.SIGNED_OFF,
)

CHILDREN = (
    # Early years
    DemoChild("DCC-1001", "Ava", "Thompson", -2, 3, "900101", _ICO, 1, _D, 0),
    DemoChild("DCC-1002", "Leo", "Okafor", -1, 11, "900101", _FCO, 2, _SUB, 2),
    DemoChild("DCC-1003", "Maya", "Kowalska", -1, 6, "900101", _PO, 1, None, 1),
    DemoChild("DCC-1004", "Noah", "Ahmed", -1, 1, "900101", _S20, 1, _APP, 1),
    # Primary (Oakfield)
    DemoChild("DCC-1101", "Ella", "Brown", 0, 10, "900201", _FCO, 2, _D, 1),
    DemoChild("DCC-1102", "Oliver", "Brown", 2, 4, "900201", _FCO, 2, _SUB, 3),
    DemoChild("DCC-1103", "Amira", "Hussain", 1, 7, "900201", _ICO, 1, _RET, 0),
    DemoChild("DCC-1104", "Jacob", "Evans", 3, 2, "900201", _S20, 3, _APP, 4),
    DemoChild("DCC-1105", "Sophie", "Nowak", 4, 12, "900201", _FCO, 4, _OFF, 3),
    DemoChild("DCC-1106", "Harry", "Wilson", 5, 5, "900201", _FCO, 5, _D, 5),
    DemoChild("DCC-1107", "Isla", "Campbell", 6, 8, "900201", _PO, 2, None, 2),
    DemoChild("DCC-1108", "Tyler", "Green", 6, 9, "900201", _S20, 1, _SUB, 1),
    # Secondary (Riverside)
    DemoChild("DCC-1201", "Chloe", "Brown", 7, 2, "900301", _FCO, 2, _D, 2),
    DemoChild("DCC-1202", "Mohammed", "Ali", 8, 10, "900301", _FCO, 3, _SUB, 3),
    DemoChild("DCC-1203", "Grace", "Taylor", 9, 6, "900301", _ICO, 1, _RET, 1),
    DemoChild("DCC-1204", "Ethan", "Clarke", 10, 1, "900301", _FCO, 6, _APP, 5),
    DemoChild("DCC-1205", "Lily", "Robinson", 11, 4, "900301", _FCO, 4, _OFF, 4),
    DemoChild("DCC-1206", "Kai", "Murphy", 11, 11, "900301", _S20, 2, _D, 2),
    DemoChild("DCC-1207", "Zara", "Patel", 7, 7, "900301", _ICO, 1, _SUB, 0),
    DemoChild("DCC-1208", "Callum", "Reid", 9, 3, "900301", _FCO, 3, None, 3),
    # Secondary (Hillview, in a neighbouring authority)
    DemoChild("DCC-1301", "Freya", "Jones", 8, 9, "900302", _FCO, 2, _D, 2),
    DemoChild("DCC-1302", "Daniel", "Lewis", 10, 12, "900302", _S20, 1, _APP, 1),
    DemoChild("DCC-1303", "Ruby", "Walker", 11, 5, "900302", _FCO, 5, _OFF, 4),
    DemoChild("DCC-1304", "Aiden", "Hughes", 9, 2, "900302", _ICO, 1, _SUB, 1),
    # Post-16 (Northgate)
    DemoChild("DCC-1401", "Jade", "Morris", 12, 10, "900401", _FCO, 5, _D, 4),
    DemoChild("DCC-1402", "Ryan", "Cooper", 12, 3, "900401", _FCO, 3, _SUB, 3),
    DemoChild("DCC-1403", "Hannah", "Price", 13, 6, "900401", _S20, 2, _OFF, 4),
    DemoChild("DCC-1404", "Samuel", "Adeyemi", 13, 1, "900401", _FCO, 4, _RET, 5),
    DemoChild("DCC-1405", "Mia", "Bennett", 12, 8, "900401", _ICO, 1, _APP, 1),
    # Just entered care; no school place yet
    DemoChild("DCC-1501", "Jayden", "Scott", 5, 7, None, _S20, 0, None, 0),
)

SOCIAL_WORKER_CASELOAD = (
    "DCC-1002",
    "DCC-1101",
    "DCC-1102",
    "DCC-1103",
    "DCC-1105",
    "DCC-1201",
    "DCC-1203",
    "DCC-1207",
    "DCC-1302",
    "DCC-1304",
    "DCC-1402",
    "DCC-1501",
)
# Siblings living with the same foster carer.
CARER_CHILDREN = ("DCC-1102", "DCC-1201")


@dataclass(frozen=True)
class DemoUser:
    email_local_part: str
    display_name: str
    role: Role
    school_urn: str | None = None
    child_references: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.email_local_part}@{DEMO_DOMAIN}"


USERS = (
    DemoUser("dt.oakfield", "Priya Shah", Role.DESIGNATED_TEACHER, school_urn="900201"),
    DemoUser("dt.riverside", "Tom Fletcher", Role.DESIGNATED_TEACHER, school_urn="900301"),
    DemoUser("sw", "Sam Okoro", Role.SOCIAL_WORKER, child_references=SOCIAL_WORKER_CASELOAD),
    DemoUser("carer", "Jo Marsh", Role.CARER, child_references=CARER_CHILDREN),
    DemoUser("reviewer", "Alex Morgan", Role.REVIEWER),
    DemoUser("admin", "Chris Byrne", Role.ADMIN),
)


SEED_ACTOR = Actor.system("demo seed")


def date_of_birth_for(year_group: int, birth_month: int, today: date) -> date:
    """A birthday that puts the child in `year_group` this academic year."""
    cohort_start = academic_year_start(today) - 5 - year_group
    birth_year = cohort_start if birth_month >= 9 else cohort_start + 1
    return date(birth_year, birth_month, 14)


def seed_demo_data(
    session: Session, today: date | None = None, settings: Mapping[str, Any] | None = None
) -> str:
    """Create whatever demo records are missing, identified by URN, reference and email."""
    today = today or date.today()
    created = {"schools": 0, "children": 0, "users": 0, "peps": 0}

    schools = {s.urn: s for s in session.scalars(select(School))}
    for demo in SCHOOLS:
        if demo.urn not in schools:
            school = School(
                urn=demo.urn,
                name=demo.name,
                phase=demo.phase.value,
                local_authority=demo.local_authority,
            )
            session.add(school)
            schools[demo.urn] = school
            created["schools"] += 1
    session.flush()

    children = {c.authority_reference: c for c in session.scalars(select(Child))}
    for demo in CHILDREN:
        if demo.reference in children:
            continue
        child = Child(
            first_name=demo.first_name,
            last_name=demo.last_name,
            date_of_birth=date_of_birth_for(demo.year_group, demo.birth_month, today),
            authority_reference=demo.reference,
            upn=f"A{900000000000 + int(demo.reference[-4:])}" if demo.year_group >= 0 else None,
            legal_status=demo.legal_status,
            date_entered_care=today - timedelta(days=365 * demo.years_in_care + 40),
            current_school_id=schools[demo.school_urn].id if demo.school_urn else None,
        )
        session.add(child)
        session.flush()
        children[demo.reference] = child
        created["children"] += 1
        created["peps"] += _seed_peps(session, child, demo, today, settings or {})

    users = {u.email: u for u in session.scalars(select(User))}
    for demo in USERS:
        if demo.email in users:
            continue
        user = User(email=demo.email, display_name=demo.display_name, active=True)
        session.add(user)
        session.flush()
        if demo.role in (Role.REVIEWER, Role.ADMIN):
            session.add(RoleGrant(user_id=user.id, role=demo.role.value))
        elif demo.school_urn:
            school_id = schools[demo.school_urn].id
            session.add(RoleGrant(user_id=user.id, role=demo.role.value, school_id=school_id))
        for reference in demo.child_references:
            child_id = children[reference].id
            session.add(RoleGrant(user_id=user.id, role=demo.role.value, child_id=child_id))
        created["users"] += 1

    if not any(created.values()):
        return "Demo data is already in place; nothing changed."
    audit.record(
        session, Actor.system("demo seed"), "demo.seeded", "database", None, created=created
    )
    session.commit()
    return "Demo data created: " + ", ".join(f"{count} {name}" for name, count in created.items())


def _seed_peps(
    session: Session,
    child: Child,
    demo: DemoChild,
    today: date,
    settings: Mapping[str, Any],
) -> int:
    """Earlier terms' PEPs (the newest signed off, older ones superseded), then this term's,
    each made by the same code that starts a real PEP, with example answers."""
    definition = choose_form(child, today)
    band = choose_voice_band(age_in_years(child.date_of_birth, today), child.year_group(today))
    year, term = current_term(today)
    earlier = []
    for _ in range(demo.earlier_signed_off_peps):
        year, term = previous_term(year, term)
        earlier.append((year, term))
    previous: Pep | None = None
    for pep_year, pep_term in reversed(earlier):
        pep = create_pep(session, child, pep_year, pep_term, definition, PepState.SIGNED_OFF)
        _answer_sections(pep, definition, today, band, owners=None)
        # The record is made at sign-off, by the same code as a real sign-off, before any
        # later PEP supersedes it.
        store_signed_off_record(session, SEED_ACTOR, pep, settings)
        if previous is not None:
            previous.state = PepState.SUPERSEDED.value
        session.flush()
        previous = pep
    if demo.current_pep is not None:
        this_year, this_term = current_term(today)
        pep = create_pep(session, child, this_year, this_term, definition, demo.current_pep)
        # A draft has only the designated teacher's first sections; later states are complete.
        owners = {Role.DESIGNATED_TEACHER} if demo.current_pep == PepState.DRAFT else None
        _answer_sections(pep, definition, today, band, owners=owners, limit=3 if owners else None)
        if demo.current_pep == PepState.SIGNED_OFF:
            store_signed_off_record(session, SEED_ACTOR, pep, settings)
            if previous is not None:
                previous.state = PepState.SUPERSEDED.value
        session.flush()
    return len(earlier) + (demo.current_pep is not None)


def _answer_sections(
    pep: Pep,
    definition: FormDefinition,
    today: date,
    band: VoiceBand,
    *,
    owners: set[Role] | None,
    limit: int | None = None,
) -> None:
    answered = 0
    for section in definition.sections:
        if section.section_type is SectionType.QUALITY_ASSURANCE:
            continue
        if owners is not None and section.owner not in owners:
            continue
        if limit is not None and answered >= limit:
            break
        stored = pep.section(section.key)
        answers = sample_answers(section, today=today, band=band)
        carried = stored.answers
        # Rows carried over from the previous PEP (its targets) stay, and are evaluated: the
        # teacher marks each one achieved, partly or not yet, with evidence.
        for key, rows in carried.items():
            example = (answers.get(key) or [{}])[0]
            if isinstance(rows, list) and isinstance(example, dict):
                answers[key] = [{**example, **row} for row in rows]
        stored.answers = answers
        answered += 1
