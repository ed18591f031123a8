"""Demo data: schools, children, users and PEPs that look like a real authority's. Idempotent.

Every PEP is started, answered and moved through its sign-off by the portal's own operations,
acted by the demo users: the designated teacher submits, the social worker approves (or
returns), the Virtual School reviewer quality-assures and signs off. So each record carries the
real sign-off table and history, and the audit trail says who did what. Answers come from
``forms.realistic_answers``, seeded from the child's reference: the same every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import choose_voice_band
from forms.completeness import has_answers
from forms.realistic_answers import (
    ChildStory,
    DemoPeople,
    circumstances_of,
    realistic_pep_answers,
)
from forms.schema import FormDefinition, SectionType
from portal.academic import Term, current_term, england_today, previous_term
from portal.form_registry import age_in_years, definition_for
from portal.models import (
    CareEpisode,
    Child,
    ChildEventKind,
    NoSchoolPlace,
    Pep,
    RoleGrant,
    School,
    SchoolPhase,
    User,
)
from portal.operations import audit
from portal.operations.audit import Actor
from portal.operations.child_events import (
    change_placement,
    move_school,
    record_child_event,
    record_leaving_care,
)
from portal.operations.demo_term_dates import seed_demo_term_dates
from portal.operations.meetings import (
    MeetingRequest,
    proposed_invitees,
    schedule_meeting,
    term_window,
)
from portal.operations.peps import start_pep
from portal.operations.timeliness import refresh_timeliness
from portal.operations.workflow import (
    QaEntry,
    qa_scale,
    record_quality_assurance,
    transition_pep,
)
from workflows.engine import Accepted
from workflows.pep import PepEvent, PepState
from workflows.pep_types import PepType
from workflows.quality import Judgement, load_qa_criteria
from workflows.roles import AUTHORITY_ROLES, Role

LONDON = ZoneInfo("Europe/London")

DEMO_DOMAIN = "demo.openpep.test"
HOME_AUTHORITY = "Demo County Council"
NEIGHBOURING_AUTHORITY = "Neighbouring Borough Council"
OUT_OF_AREA_AUTHORITY = "Northshire County Council"


@dataclass(frozen=True)
class DemoSchool:
    urn: str
    name: str
    phase: SchoolPhase
    local_authority: str = HOME_AUTHORITY
    establishment_type: str = "Academy converter"
    postcode: str = ""


@dataclass(frozen=True)
class DemoChild:
    reference: str
    first_name: str
    last_name: str
    year_group: int  # reception is 0, nursery -1, two-year-olds -2
    birth_month: int
    school_urn: str | None  # the school the child is on roll at now
    legal_status: str  # the SSDA903 code
    years_in_care: int
    current_pep: PepState | None  # this term's PEP, if one has been started
    earlier_signed_off_peps: int  # signed-off PEPs from earlier terms


SCHOOLS = (
    DemoSchool(
        "900101", "Little Acorns Nursery", SchoolPhase.EARLY_YEARS, establishment_type="Nursery"
    ),
    DemoSchool("900201", "Oakfield Primary School", SchoolPhase.PRIMARY),
    DemoSchool("900301", "Riverside Academy", SchoolPhase.SECONDARY),
    DemoSchool("900302", "Hillview School", SchoolPhase.SECONDARY, NEIGHBOURING_AUTHORITY),
    DemoSchool(
        "900401",
        "Northgate College",
        SchoolPhase.POST_16,
        establishment_type="Further education",
    ),
    DemoSchool(
        "900202",
        "St Anne's CE Primary School",
        SchoolPhase.PRIMARY,
        establishment_type="Voluntary aided school",
    ),
    DemoSchool("900501", "Westbrook Academy", SchoolPhase.SECONDARY, OUT_OF_AREA_AUTHORITY),
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
    # An unaccompanied asylum-seeking child of four, who came with her brother of 16
    DemoChild("DCC-1005", "Shilan", "Aziz", -1, 10, "900101", _S20, 1, _OFF, 2),
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
    # An unaccompanied asylum-seeking young person
    DemoChild("DCC-1406", "Dawit", "Tesfaye", 12, 2, "900401", _S20, 1, _SUB, 1),
    # Just entered care; no school place yet
    DemoChild("DCC-1501", "Jayden", "Scott", 5, 7, None, _S20, 0, None, 0),
    # Left care this term by adoption: previously looked after, earlier PEPs kept
    DemoChild("DCC-1601", "Poppy", "Harris", 2, 5, "900202", _PO, 2, None, 2),
    # Placed out of the authority's area, at a school there
    DemoChild("DCC-1602", "Alfie", "Ward", 8, 12, "900501", _FCO, 2, _APP, 2),
    # Changed school this year: Riverside to Hillview
    DemoChild("DCC-1603", "Erin", "Doyle", 10, 4, "900302", _FCO, 3, _D, 2),
)

# SSDA903 SEX (1 male, 2 female) and ETHNIC codes.
SEX_AND_ETHNICITY: dict[str, tuple[str, str]] = {
    "DCC-1001": ("2", "WBRI"),
    "DCC-1002": ("1", "BAFR"),
    "DCC-1003": ("2", "WOTH"),
    "DCC-1004": ("1", "APKN"),
    "DCC-1005": ("2", "WOTH"),  # Kurdish, from Iraq
    "DCC-1101": ("2", "WBRI"),
    "DCC-1102": ("1", "WBRI"),
    "DCC-1103": ("2", "ABAN"),
    "DCC-1104": ("1", "WBRI"),
    "DCC-1105": ("2", "WOTH"),
    "DCC-1106": ("1", "WBRI"),
    "DCC-1107": ("2", "WBRI"),
    "DCC-1108": ("1", "MWBC"),
    "DCC-1201": ("2", "WBRI"),
    "DCC-1202": ("1", "APKN"),
    "DCC-1203": ("2", "WBRI"),
    "DCC-1204": ("1", "WBRI"),
    "DCC-1205": ("2", "MWBC"),
    "DCC-1206": ("1", "WIRI"),
    "DCC-1207": ("2", "AIND"),
    "DCC-1208": ("1", "WBRI"),
    "DCC-1301": ("2", "WBRI"),
    "DCC-1302": ("1", "WBRI"),
    "DCC-1303": ("2", "WBRI"),
    "DCC-1304": ("1", "WROM"),
    "DCC-1401": ("2", "WBRI"),
    "DCC-1402": ("1", "WBRI"),
    "DCC-1403": ("2", "MOTH"),
    "DCC-1404": ("1", "BAFR"),
    "DCC-1405": ("2", "WBRI"),
    "DCC-1406": ("1", "BAFR"),
    "DCC-1501": ("1", "MWBC"),
    "DCC-1601": ("2", "WBRI"),
    "DCC-1602": ("1", "WBRI"),
    "DCC-1603": ("2", "WIRT"),
}
UASC = {"DCC-1406": "Tigrinya", "DCC-1005": "Kurdish Sorani"}
# The unaccompanied children who live in supported accommodation with a key worker; the others
# (Shilan, who is four) live with foster carers.
UASC_IN_SUPPORTED_ACCOMMODATION = frozenset({"DCC-1406"})
FIRST_LANGUAGES = {"DCC-1003": "Polish", "DCC-1105": "Polish", "DCC-1202": "Urdu"}

# Events in the demo children's lives, recorded through the life-event operations.
NO_SCHOOL_PLACE = {"DCC-1501": NoSchoolPlace.NOT_ON_ROLL}
LEFT_CARE = {"DCC-1601": "E11"}  # adopted: previously looked after
PLACED_OUT_OF_AREA = {"DCC-1602": OUT_OF_AREA_AUTHORITY}
CHANGED_SCHOOL = {"DCC-1603": "900301"}  # the school they left this year
# A secondary-school child suspended this term (the forms from version 3 on record it): Aiden,
# whose attendance is a concern and who has had three placements in the last year.
SUSPENDED_THIS_YEAR = frozenset({"DCC-1304"})
# The unaccompanied young person's key worker at their supported accommodation: named in their
# PEPs, without an account (the accommodation provider's staff do not sign in).
UASC_KEY_WORKER = "Lena Brooks"
UASC_KEY_WORKER_ROLE = "Key worker, supported accommodation"

# This term's drafts whose meeting their school has yet to book: due by the term's deadline,
# not late yet (every other draft's meeting is booked for the coming days).
MEETING_NOT_YET_BOOKED = frozenset({"DCC-1101", "DCC-1201"})

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
# Every other child's social worker.
SECOND_SOCIAL_WORKER_CASELOAD = tuple(
    child.reference for child in CHILDREN if child.reference not in SOCIAL_WORKER_CASELOAD
)
# Siblings living with the same foster carer.
CARER_CHILDREN = ("DCC-1102", "DCC-1201")
# The Virtual School adviser's children: no school place, previously looked after, out of
# area, and the two unaccompanied children.
ADVISER_CHILDREN = ("DCC-1501", "DCC-1601", "DCC-1602", "DCC-1406", "DCC-1005")


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
    DemoUser("vs.adviser", "Nadia Rahman", Role.VS_ADVISER, child_references=ADVISER_CHILDREN),
    DemoUser(
        "sw.north",
        "Rachel Dunn",
        Role.SOCIAL_WORKER,
        child_references=SECOND_SOCIAL_WORKER_CASELOAD,
    ),
    DemoUser("dt.littleacorns", "Karen Lloyd", Role.DESIGNATED_TEACHER, school_urn="900101"),
    DemoUser("dt.hillview", "Mark Ellison", Role.DESIGNATED_TEACHER, school_urn="900302"),
    DemoUser("dt.northgate", "Fiona Grant", Role.DESIGNATED_TEACHER, school_urn="900401"),
    DemoUser("dt.stannes", "Helen Carter", Role.DESIGNATED_TEACHER, school_urn="900202"),
    DemoUser("dt.westbrook", "Daniel Osei", Role.DESIGNATED_TEACHER, school_urn="900501"),
    # Sam Okoro's team manager, for the team's caseload: Rachel Dunn's children have none, so
    # a long-overdue PEP of theirs is escalated to the admins instead (both paths show).
    DemoUser(
        "sw.manager",
        "Grace Adeyemi",
        Role.SW_TEAM_MANAGER,
        child_references=SOCIAL_WORKER_CASELOAD,
    ),
    DemoUser("vs.head", "Paul Whitaker", Role.VS_HEAD),
)

SEED_ACTOR = Actor.system("demo seed")
# The child's views come through their own link; the seed stands in for the child.
CHILD_ACTOR = Actor.system("demo seed: the child's views, as given through their link")

# A form's placement answer as the SSDA903 return codes it: (PLACE, PLACE_PROVIDER).
PLACEMENT_CODES = {
    "foster_local_authority": ("U6", "PR1"),
    "foster_agency": ("U4", "PR4"),
    "kinship": ("U3", "PR1"),
    "childrens_home": ("K2", "PR4"),
    "placed_for_adoption": ("A5", "PR1"),
}
SUPPORTED_ACCOMMODATION = ("H5", "PR4")


def date_of_birth_for(year_group: int, birth_month: int, today: date) -> date:
    """A birthday that puts the child in `year_group` this academic year."""
    from portal.academic import academic_year_start

    cohort_start = academic_year_start(today) - 5 - year_group
    birth_year = cohort_start if birth_month >= 9 else cohort_start + 1
    return date(birth_year, birth_month, 14)


# --------------------------------------------------------------------------------------------
# The seed
# --------------------------------------------------------------------------------------------


def seed_demo_data(
    session: Session, today: date | None = None, settings: Mapping[str, Any] | None = None
) -> str:
    """Create whatever demo records are missing, identified by URN, reference and email."""
    today = today or england_today()
    settings = dict(settings or {})
    created = {"schools": 0, "children": 0, "users": 0, "role grants": 0, "peps": 0}

    schools = {s.urn: s for s in session.scalars(select(School))}
    for demo in SCHOOLS:
        if demo.urn not in schools:
            school = School(
                urn=demo.urn,
                name=demo.name,
                phase=demo.phase.value,
                local_authority=demo.local_authority,
                establishment_type=demo.establishment_type,
            )
            session.add(school)
            schools[demo.urn] = school
            created["schools"] += 1

    users = {u.email: u for u in session.scalars(select(User))}
    for demo in USERS:
        if demo.email not in users:
            user = User(email=demo.email, display_name=demo.display_name, active=True)
            session.add(user)
            users[demo.email] = user
            created["users"] += 1
    session.flush()

    children = {c.authority_reference: c for c in session.scalars(select(Child))}
    new_children: list[tuple[DemoChild, Child]] = []
    for demo in CHILDREN:
        if demo.reference in children:
            continue
        child = _create_child(session, demo, schools, today)
        children[demo.reference] = child
        new_children.append((demo, child))
        created["children"] += 1
    session.flush()

    created["role grants"] = _grant_roles(session, users, schools, children)
    if not any(created.values()):
        return "Demo data is already in place; nothing changed."
    audit.record(session, SEED_ACTOR, "demo.seeded", "database", None, created=created)
    session.commit()
    # The term dates first: a meeting is booked within its term, and deadlines count in them.
    seed_demo_term_dates(session)

    # Each PEP goes through the portal's operations, which commit as they go.
    cast = _Cast(users, schools, settings, today)
    for demo, child in new_children:
        created["peps"] += _live_the_childs_year(session, cast, demo, child, today)
    audit.record(session, SEED_ACTOR, "demo.peps_seeded", "database", None, peps=created["peps"])
    session.commit()
    refresh_timeliness(session, [child.id for child in children.values()], today)
    return "Demo data created: " + ", ".join(f"{count} {name}" for name, count in created.items())


def _create_child(
    session: Session, demo: DemoChild, schools: Mapping[str, School], today: date
) -> Child:
    """The child as the social-care system knows them: SSDA903 facts and episodes of care."""
    sex, ethnicity = SEX_AND_ETHNICITY.get(demo.reference, (None, None))
    # A child who changed school this year starts on roll at the school they left.
    school_urn = CHANGED_SCHOOL.get(demo.reference, demo.school_urn)
    entered_care = _entered_care_on(demo, today)
    child = Child(
        first_name=demo.first_name,
        last_name=demo.last_name,
        date_of_birth=date_of_birth_for(demo.year_group, demo.birth_month, today),
        authority_reference=demo.reference,
        upn=_upn(demo) if demo.year_group >= 0 else None,
        legal_status=demo.legal_status,
        date_entered_care=entered_care,
        current_school_id=schools[school_urn].id if school_urn else None,
        sex=sex,
        ethnicity=ethnicity,
        uasc=demo.reference in UASC,
    )
    session.add(child)
    session.flush()
    record_child_event(
        session,
        SEED_ACTOR.at(_acting_moment(min(entered_care, today), step=-6)),
        child,
        ChildEventKind.ENTERED_CARE,
        entered_care,
        legal_status=demo.legal_status,
    )
    for episode in _care_episodes(demo, child, entered_care, today):
        session.add(episode)
    return child


def _upn(demo: DemoChild) -> str:
    return f"A{900000000000 + int(demo.reference[-4:])}"


def _care_episodes(
    demo: DemoChild, child: Child, entered_care: date, today: date
) -> list[CareEpisode]:
    """One episode from coming into care; a second from a planned placement move, for a child
    who has moved placement in the last year."""
    circumstances = circumstances_of(_story(demo, child, today))
    place, provider = PLACEMENT_CODES.get(circumstances.placement_type, ("U6", "PR1"))
    if demo.reference in UASC_IN_SUPPORTED_ACCOMMODATION:
        place, provider = SUPPORTED_ACCOMMODATION
    need = "N8" if demo.reference in UASC else ("N1", "N4", "N5")[int(demo.reference[-1]) % 3]
    first = CareEpisode(
        child_id=child.id,
        started_on=entered_care,
        reason_new_episode="S",
        legal_status=demo.legal_status,
        category_of_need=need,
        placement_type=place,
        placement_provider=provider,
        home_postcode="DC1 4",
        placement_postcode="DC3 2",
    )
    moved_on = today - timedelta(days=200)
    if circumstances.placements_last_12_months < 2 or moved_on <= entered_care:
        return [first]
    first.placement_type, first.placement_provider = ("U6", "PR1")
    first.ended_on, first.reason_ended = moved_on, "X1"
    second = CareEpisode(
        child_id=child.id,
        started_on=moved_on,
        reason_new_episode="P",
        legal_status=demo.legal_status,
        category_of_need=need,
        placement_type=place,
        placement_provider=provider,
        home_postcode="DC1 4",
        placement_postcode="DC5 7",
    )
    return [first, second]


def _grant_roles(
    session: Session,
    users: Mapping[str, User],
    schools: Mapping[str, School],
    children: Mapping[str, Child],
) -> int:
    """Each demo user's roles, added where missing (so a later demo child gets its grants)."""
    added = 0
    for demo in USERS:
        user = users[demo.email]
        held = {(grant.role, grant.school_id, grant.child_id) for grant in user.grants}
        wanted: list[tuple[str, Any, Any]] = []
        if demo.role in AUTHORITY_ROLES:
            wanted.append((demo.role.value, None, None))
        elif demo.school_urn:
            wanted.append((demo.role.value, schools[demo.school_urn].id, None))
        for reference in demo.child_references:
            wanted.append((demo.role.value, None, children[reference].id))
        for role, school_id, child_id in wanted:
            if (role, school_id, child_id) in held:
                continue
            grant = RoleGrant(role=role, school_id=school_id, child_id=child_id)
            user.grants.append(grant)
            session.add(grant)
            audit.record(
                session,
                SEED_ACTOR,
                "demo.role_granted",
                "user",
                user.id,
                role=role,
                school_id=str(school_id) if school_id else None,
                child_id=str(child_id) if child_id else None,
            )
            added += 1
    return added


# --------------------------------------------------------------------------------------------
# A child's PEPs, through the real workflow
# --------------------------------------------------------------------------------------------


@dataclass
class _Cast:
    """The demo users who act on PEPs, found by role and school or child."""

    users: Mapping[str, User]
    schools: Mapping[str, School]
    settings: dict[str, Any]
    today: date

    def by_email(self, local_part: str) -> User:
        return self.users[f"{local_part}@{DEMO_DOMAIN}"]

    def designated_teacher(self, school_urn: str | None) -> User:
        for demo in USERS:
            if demo.role is Role.DESIGNATED_TEACHER and demo.school_urn == school_urn:
                return self.by_email(demo.email_local_part)
        # No school place: the Virtual School adviser completes the setting's part.
        return self.by_email("vs.adviser")

    def social_worker(self, reference: str) -> User:
        return self.by_email("sw" if reference in SOCIAL_WORKER_CASELOAD else "sw.north")

    def carer(self, reference: str) -> User | None:
        return self.by_email("carer") if reference in CARER_CHILDREN else None

    def reviewer(self) -> User:
        return self.by_email("reviewer")


def _story(
    demo: DemoChild,
    child: Child,
    on: date,
    *,
    out_of_area: bool = False,
    school: School | None = None,
    joined_school_on: date | None = None,
    people: DemoPeople | None = None,
    placement_started_on: date | None = None,
    suspended_this_year: bool = False,
) -> ChildStory:
    previous_school = _previous_school(demo)
    return ChildStory(
        reference=demo.reference,
        first_name=demo.first_name,
        date_of_birth=child.date_of_birth,
        year_group=child.year_group(on),
        sex=child.sex,
        legal_status=demo.legal_status,
        school_name=school.name if school else None,
        school_urn=school.urn if school else None,
        placed_out_of_area=out_of_area,
        placed_in_authority=PLACED_OUT_OF_AREA.get(demo.reference) if out_of_area else None,
        uasc=demo.reference in UASC,
        first_language=UASC.get(demo.reference) or FIRST_LANGUAGES.get(demo.reference),
        joined_school_on=joined_school_on,
        date_entered_care=child.date_entered_care,
        placement_started_on=placement_started_on,
        people=people,
        previous_school_name=previous_school.name if previous_school else None,
        previous_school_urn=previous_school.urn if previous_school else None,
        suspended_this_year=suspended_this_year,
    )


def _previous_school(demo: DemoChild) -> DemoSchool | None:
    """The demo school a child who changed school this year left, so their educational history
    names it rather than an invented one."""
    urn = CHANGED_SCHOOL.get(demo.reference)
    return next((school for school in SCHOOLS if school.urn == urn), None)


def _term_starts(academic_year: int, term: Term) -> date:
    """The first day of a term, as `portal.academic.current_term` divides the year."""
    return {
        Term.AUTUMN: date(academic_year, 9, 1),
        Term.SPRING: date(academic_year + 1, 1, 1),
        Term.SUMMER: date(academic_year + 1, 4, 1),
    }[term]


@dataclass(frozen=True)
class _Meeting:
    academic_year: int
    term: Term
    meeting_date: date
    # The days the people act on it (the submission, approval and sign-off), for the rules
    # that judge dates "not in the past" and the meeting "not in the future".
    acted_on: date
    # The day the audit trail records those acts: a few days after the meeting, never after
    # today (this term's open PEPs are judged valid today but were acted on when they were).
    recorded_on: date
    # The day the social worker started the PEP (a draft's meeting was booked that day too).
    started_on: date


def _working_days_after(day: date, count: int) -> date:
    """`count` weekdays after `day` (before it, for a negative count): the story's own
    arithmetic, a day's margin either side of any bank holiday."""
    step = 1 if count >= 0 else -1
    for _ in range(abs(count)):
        day += timedelta(days=step)
        while day.weekday() >= 5:
            day += timedelta(days=step)
    return day


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _newly_in_care(demo: DemoChild) -> bool:
    """A child who came into care within the portal's records, whose first PEP in the story is
    their initial PEP (every other child was in care, with PEPs kept elsewhere, before the
    authority started using the portal). Jayden, who has no PEP yet, has his own story."""
    return demo.years_in_care == 1


def _first_pep_term(demo: DemoChild, today: date) -> tuple[int, Term]:
    year, term = current_term(today)
    for _ in range(demo.earlier_signed_off_peps):
        year, term = previous_term(year, term)
    return year, term


def _entered_care_on(demo: DemoChild, today: date) -> date:
    """The day the child entered care: for a child new to care, shortly before the initial
    PEP, so the care plan and the PEP are on time (Ava this month, with her meeting booked;
    Amira and Zara this term, their PEPs submitted; the others early in an earlier term)."""
    if not _newly_in_care(demo):
        return today - timedelta(days=365 * demo.years_in_care + 40)
    rng = random.Random(f"{demo.reference}:entered care")  # noqa: S311  # nosec B311
    if demo.earlier_signed_off_peps == 0 and demo.current_pep is PepState.DRAFT:
        return _working_days_after(today, -rng.randint(7, 9))
    if demo.earlier_signed_off_peps == 0:
        return _working_days_after(today, -rng.randint(14, 17))
    year, term = _first_pep_term(demo, today)
    return _weekday_on_or_after(_term_starts(year, term) + timedelta(days=rng.randint(8, 30)))


def _meetings(demo: DemoChild, entered_care: date, today: date) -> list[_Meeting]:
    """Earlier terms' PEP meetings, oldest first, then this term's (if a PEP is started).

    Each PEP is started a few weeks before its meeting (an initial PEP two working days after
    the child entered care) and signed off within days of it. This term's PEPs that are
    submitted, approved or returned had their meeting within the last two weeks, so sign-off
    is not yet due; a draft's meeting is booked for the coming days or weeks."""
    rng = random.Random(f"{demo.reference}:meetings")  # noqa: S311  # nosec B311
    year, term = _first_pep_term(demo, today)
    terms: list[tuple[int, Term]] = []
    for _ in range(demo.earlier_signed_off_peps):
        terms.append((year, term))
        year, term = _next_term(year, term)
    initial = _newly_in_care(demo)
    meetings = []
    for number, (year, term) in enumerate(terms):
        if initial and number == 0:
            started = _working_days_after(entered_care, 2)
            meeting = _working_days_after(entered_care, rng.randint(9, 13))
        else:
            meeting = _weekday_on_or_after(
                _term_starts(year, term) + timedelta(days=rng.randint(28, 60))
            )
            started = _weekday_on_or_before(meeting - timedelta(days=rng.randint(15, 30)))
        acted_on = _working_days_after(meeting, rng.randint(2, 5))
        meetings.append(_Meeting(year, term, meeting, acted_on, acted_on, started))
    if demo.current_pep is not None:
        year, term = current_term(today)
        term_start = _term_starts(year, term)
        first_in_care = initial and not terms
        if demo.current_pep is PepState.DRAFT:
            # Booked for the coming days, before the term's deadline where the term allows.
            meeting = _working_days_after(today, rng.randint(2, 4))
            if first_in_care:
                # The initial PEP's meeting, within 20 working days of entering care.
                meeting = _working_days_after(entered_care, rng.randint(13, 16))
            started = max(term_start, _working_days_after(today, -rng.randint(5, 12)))
            if first_in_care:
                started = _working_days_after(entered_care, 2)
            meetings.append(_Meeting(year, term, meeting, today, min(today, started), started))
            return meetings
        meeting = _working_days_after(today, -rng.randint(3, 7))
        started = _weekday_on_or_before(meeting - timedelta(days=rng.randint(15, 30)))
        if first_in_care:
            started = _working_days_after(entered_care, 2)
            meeting = max(_working_days_after(entered_care, 10), _working_days_after(today, -7))
        started = max(term_start, started)
        # This term's open PEPs must still be valid today, when people next act on them.
        recorded_on = min(_working_days_after(meeting, rng.randint(1, 2)), today)
        meetings.append(_Meeting(year, term, meeting, today, recorded_on, started))
    return meetings


def _next_term(academic_year: int, term: Term) -> tuple[int, Term]:
    if term is Term.AUTUMN:
        return academic_year, Term.SPRING
    if term is Term.SPRING:
        return academic_year, Term.SUMMER
    return academic_year + 1, Term.AUTUMN


def _live_the_childs_year(
    session: Session, cast: _Cast, demo: DemoChild, child: Child, today: date
) -> int:
    """The child's PEPs term by term, with the changes in their life on the days they happened."""
    meetings = _meetings(demo, child.date_entered_care, today)
    changes = sorted(_life_changes(demo, today), key=lambda change: change[0])
    previous_answers: dict[str, dict[str, Any]] = {}
    for number, meeting in enumerate(meetings):
        while changes and changes[0][0] <= meeting.meeting_date:
            _on, change = changes.pop(0)
            change(session, cast, child)
        is_current = number == len(meetings) - 1 and demo.current_pep is not None
        state = demo.current_pep if is_current and demo.current_pep else PepState.SIGNED_OFF
        previous_answers = _one_pep(
            session,
            cast,
            demo,
            child,
            meeting,
            state,
            pep_number=number,
            previous_answers=previous_answers,
        )
    for _on, change in changes:
        change(session, cast, child)
    session.commit()
    return len(meetings)


_Change = Callable[[Session, "_Cast", Child], object]


def _life_changes(demo: DemoChild, today: date) -> list[tuple[date, _Change]]:
    """The demo child's changes of school, placement and care, each by its life-event
    operation, with the day it happened."""
    reference = demo.reference
    changes: list[tuple[date, _Change]] = []
    if reference in CHANGED_SCHOOL:
        moved_on = _move_day(today)
        changes.append(
            (
                moved_on,
                lambda session, cast, child: move_school(
                    session,
                    _seed_on(moved_on),
                    child,
                    cast.schools[demo.school_urn or ""],
                    moved_on,
                ),
            )
        )
    if reference in PLACED_OUT_OF_AREA:
        placed_on = _out_of_area_day(today)
        place, provider = PLACEMENT_CODES["foster_agency"]
        changes.append(
            (
                placed_on,
                lambda session, _cast, child: change_placement(
                    session,
                    _seed_on(placed_on),
                    child,
                    placed_on,
                    placement_type=place,
                    placement_provider=provider,
                    placement_postcode="NS4 1",
                    provider_ofsted_urn="SC482913",
                    placed_in_authority=PLACED_OUT_OF_AREA[reference],
                ),
            )
        )
    if reference in NO_SCHOOL_PLACE:
        changes.append(
            (
                today - timedelta(days=40),
                lambda session, _cast, child: move_school(
                    session,
                    _seed_on(child.date_entered_care),
                    child,
                    None,
                    child.date_entered_care,
                    no_school_place=NO_SCHOOL_PLACE[reference],
                ),
            )
        )
    if reference in LEFT_CARE:
        left_on = today - timedelta(days=30)
        changes.append(
            (
                left_on,
                lambda session, _cast, child: record_leaving_care(
                    session, _seed_on(left_on), child, left_on, LEFT_CARE[reference]
                ),
            )
        )
    return changes


def _seed_on(day: date) -> Actor:
    """The seed recording a change in the child's life on the day it happened."""
    return SEED_ACTOR.at(_acting_moment(day, step=-5))


def _reviewing_officer_in(key_people: Mapping[str, Any]) -> tuple[str, str]:
    """The independent reviewing officer the key people section names, with their address."""
    for person in key_people.get("people") or ():
        if person.get("role") == "independent_reviewing_officer" and person.get("email"):
            return str(person.get("name") or ""), str(person["email"])
    return "", ""


def _book_meeting(
    session: Session,
    cast: _Cast,
    pep: Pep,
    teacher: User,
    meeting: _Meeting,
    key_people: Mapping[str, Any],
) -> None:
    """The designated teacher books a draft's meeting the day it was started, through the
    meetings operation: the invitations go out (to the independent reviewing officer the key
    people section names too) and timeliness shows the meeting booked."""
    booked_on = meeting.recorded_on
    window = term_window(session, pep)
    meeting_date = min(meeting.meeting_date, _weekday_on_or_before(window.ends_on))
    if meeting_date <= booked_on:
        return  # too late in the term to book one: the PEP shows as due
    proposed = proposed_invitees(session, pep)
    iro_name, iro_email = _reviewing_officer_in(key_people)
    request = MeetingRequest(
        meeting_date=meeting_date,
        starts_at=time(15, 30),
        ends_at=time(16, 30),
        place=f"{pep.child.current_school.name}, meeting room" if pep.child.current_school else "",
        online_link="" if pep.child.current_school else "https://meet.demo.openpep.test/pep",
        contributions_due_on=max(booked_on, meeting_date - timedelta(days=3)),
        invitee_keys=[person.key for person in proposed if person.ticked and person.key != "iro"],
        iro_name=iro_name,
        iro_email=iro_email,
    )
    schedule_meeting(
        session,
        Actor.for_user(teacher, None).at(_acting_moment(booked_on, step=-1)),
        teacher,
        pep,
        frozenset({Role.DESIGNATED_TEACHER}),
        request,
        today=booked_on,
        settings=cast.settings or None,
    )


def _out_of_area_day(today: date) -> date:
    return today - timedelta(days=150)


def _move_day(today: date) -> date:
    """The day the child who changed school this year moved: early in the autumn term."""
    year, _term = current_term(today)
    return date(year, 10, 5) if date(year, 10, 5) < today else today - timedelta(days=20)


def _one_pep(
    session: Session,
    cast: _Cast,
    demo: DemoChild,
    child: Child,
    meeting: _Meeting,
    state: PepState,
    *,
    pep_number: int,
    previous_answers: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Start one PEP, answer it as its people would, and take it to ``state``."""
    school = child.current_school
    school_urn = school.urn if school else None
    joined_on = _move_day(cast.today) if demo.reference in CHANGED_SCHOOL else None
    if joined_on is not None and (
        school_urn != demo.school_urn or joined_on > meeting.meeting_date
    ):
        joined_on = None  # still at the school they will leave
    teacher = cast.designated_teacher(school_urn)
    social_worker = cast.social_worker(demo.reference)
    carer = cast.carer(demo.reference)
    started_by = Actor.for_user(social_worker, None).at(_acting_moment(meeting.started_on, step=-3))
    is_initial = pep_number == 0 and _newly_in_care(demo)
    pep_type = PepType.INITIAL if is_initial else PepType.TERMLY
    if joined_on is not None and state is not PepState.SIGNED_OFF:
        pep_type = PepType.CHANGE_OF_SCHOOL  # Erin's new PEP, at her new school
    pep = start_pep(
        session,
        started_by,
        child,
        frozenset({Role.SOCIAL_WORKER}),
        meeting.academic_year,
        meeting.term,
        today=meeting.meeting_date,
        pep_type=pep_type,
    )
    if started_by.acting_at_utc is not None:
        # The record's own timestamp says the day the story started it, as its audit event does.
        pep.created_at_utc = started_by.acting_at_utc.astimezone(UTC)
    definition = definition_for(pep)
    people = DemoPeople(
        designated_teacher=teacher.display_name,
        social_worker=social_worker.display_name,
        carer=carer.display_name if carer else _carer_name(demo),
        carer_role=(
            UASC_KEY_WORKER_ROLE
            if carer is None and demo.reference in UASC_IN_SUPPORTED_ACCOMMODATION
            else "Foster carer"
        ),
        virtual_school_adviser=(
            cast.by_email("vs.adviser").display_name if demo.reference in ADVISER_CHILDREN else None
        ),
    )
    episode_start = _placement_start(session, child)
    story = _story(
        demo,
        child,
        meeting.meeting_date,
        out_of_area=(
            demo.reference in PLACED_OUT_OF_AREA
            and meeting.meeting_date >= _out_of_area_day(cast.today)
        ),
        school=school,
        joined_school_on=joined_on,
        people=people,
        placement_started_on=episode_start,
        # Only this school year's PEPs: the suspensions are this year's, not last year's.
        suspended_this_year=(
            demo.reference in SUSPENDED_THIS_YEAR
            and meeting.academic_year == current_term(cast.today)[0]
        ),
    )
    band = choose_voice_band(
        age_in_years(child.date_of_birth, meeting.meeting_date),
        child.year_group(meeting.meeting_date),
    )
    prefilled = {section.section_key: dict(section.answers) for section in pep.sections}
    answers = realistic_pep_answers(
        definition,
        story,
        band=band,
        meeting_date=meeting.meeting_date,
        valid_on=meeting.acted_on,
        pep_number=pep_number,
        previous_answers=previous_answers,
        prefilled=prefilled,
    )
    if state is PepState.DRAFT:
        # A draft has only the designated teacher's first sections.
        owned = [s.key for s in definition.sections if s.owner is Role.DESIGNATED_TEACHER]
        answers = {key: value for key, value in answers.items() if key in owned[:3]}
        if demo.reference in MEETING_NOT_YET_BOOKED and "meeting_details" in answers:
            answers["meeting_details"] = {
                key: value
                for key, value in answers["meeting_details"].items()
                if key != "meeting_date"
            }
    owners = {Role.DESIGNATED_TEACHER: teacher, Role.SOCIAL_WORKER: social_worker}
    if carer is not None:
        owners[Role.CARER] = carer
    _save_answers(
        session, pep, definition, answers, owners, _acting_moment(meeting.started_on, step=-2)
    )
    if state is PepState.DRAFT and demo.reference not in MEETING_NOT_YET_BOOKED:
        _book_meeting(session, cast, pep, teacher, meeting, answers.get("key_people", {}))
    _take_to(session, cast, pep, state, teacher, social_worker, meeting, demo)
    return answers


def _carer_name(demo: DemoChild) -> str:
    if demo.reference in UASC_IN_SUPPORTED_ACCOMMODATION:
        return UASC_KEY_WORKER
    return circumstances_of(
        ChildStory(
            demo.reference,
            demo.first_name,
            date(2000, 1, 1),
            demo.year_group,
            uasc=demo.reference in UASC,
        )
    ).carer_names


def _placement_start(session: Session, child: Child) -> date | None:
    return session.scalar(
        select(CareEpisode.started_on)
        .where(CareEpisode.child_id == child.id)
        .order_by(CareEpisode.started_on.desc())
        .limit(1)
    )


def _save_answers(
    session: Session,
    pep: Pep,
    definition: FormDefinition,
    answers: Mapping[str, Mapping[str, Any]],
    owners: Mapping[Role, User],
    moment: datetime,
) -> None:
    """Each section's answers, saved as its owner would save them, with its audit event, on the
    day the story says."""
    for section in definition.sections:
        if section.key not in answers:
            continue
        stored = pep.section(section.key)
        values = dict(answers[section.key])
        if not has_answers(section, values):
            continue
        owner = owners.get(section.owner)
        stored.answers = values
        stored.answer_versions = {key: stored.version + 1 for key in values}
        stored.last_saved_by_id = owner.id if owner else None
        stored.last_saved_at_utc = moment.astimezone(UTC)
        # Recorded as the seed's own action, on the owner's behalf: these answers were not
        # typed by the person, and the portal's own section saves stay distinguishable.
        audit.record(
            session,
            (CHILD_ACTOR if section.section_type is SectionType.CHILD_VOICE else SEED_ACTOR).at(
                moment
            ),
            "demo.section_answered",
            "pep",
            pep.id,
            section=section.key,
            on_behalf_of=owner.display_name if owner else section.owner.label,
            fields=sorted(values),
        )
    session.commit()


_RETURN_REASONS = {
    "DCC-1103": (
        "Please add Amira's reading and phonics assessment results to the attainment table, "
        "and make the speech and language target measurable."
    ),
    "DCC-1404": (
        "The targets need dates and the careers section should say what Samuel applied for. "
        "Please update and resubmit."
    ),
}
_QA_RETURN_FEEDBACK = (
    "The child's voice is strong, but the targets are not yet SMART: say how often each "
    "intervention happens and what success will look like. Please link the Pupil Premium Plus "
    "request to the targets it serves."
)


def _take_to(
    session: Session,
    cast: _Cast,
    pep: Pep,
    state: PepState,
    teacher: User,
    social_worker: User,
    meeting: _Meeting,
    demo: DemoChild,
) -> None:
    """Move the PEP through the sign-off process to ``state``, acted by its people."""
    if state is PepState.DRAFT:
        return
    teacher_roles = frozenset({Role.DESIGNATED_TEACHER})
    day = meeting.acted_on
    recorded_on = meeting.recorded_on
    _act(
        session,
        cast,
        teacher,
        pep,
        teacher_roles,
        PepEvent.SUBMITTED,
        day,
        recorded_on=recorded_on,
        step=0,
    )
    if state is PepState.SUBMITTED:
        return
    social_worker_roles = frozenset({Role.SOCIAL_WORKER})
    if state is PepState.RETURNED and demo.reference in _RETURN_REASONS:
        reason = _RETURN_REASONS[demo.reference]
        _act(
            session,
            cast,
            social_worker,
            pep,
            social_worker_roles,
            PepEvent.RETURNED,
            day,
            reason,
            recorded_on=recorded_on,
            step=1,
        )
        return
    _act(
        session,
        cast,
        social_worker,
        pep,
        social_worker_roles,
        PepEvent.APPROVED,
        day,
        recorded_on=recorded_on,
        step=1,
    )
    if state is PepState.APPROVED:
        return
    reviewer = cast.reviewer()
    scale, threshold = qa_scale(cast.settings)
    passing = [key for key in scale.keys if scale.passes(key, threshold)]
    failing = [key for key in scale.keys if key not in passing]
    criteria = load_qa_criteria().criteria
    rng = random.Random(f"{demo.reference}:{pep.term_label}:qa")  # noqa: S311  # nosec B311
    if state is PepState.RETURNED:
        judgements = {c.key: Judgement.PARTLY_MET.value for c in criteria}
        entry = QaEntry(failing[0] if failing else None, judgements, _QA_RETURN_FEEDBACK)
        decision = PepEvent.QA_RETURNED
    else:
        judgements = {
            c.key: rng.choice(
                (Judgement.MET.value, Judgement.MET.value, Judgement.PARTLY_MET.value)
            )
            for c in criteria
        }
        rating = passing[0] if rng.random() < 0.6 or len(passing) == 1 else passing[1]
        feedback = rng.choice(
            (
                "A good plan: the child's views clearly shape the targets.",
                "Clear, measurable targets linked to Pupil Premium Plus. Next time, record "
                "the careers advice given.",
                "Well evidenced review of last term's targets. Please invite the carer to "
                "contribute earlier next term.",
            )
        )
        entry = QaEntry(rating, judgements, feedback)
        decision = PepEvent.SIGNED_OFF
    outcome = record_quality_assurance(
        session,
        Actor.for_user(reviewer, None).at(_acting_moment(meeting.recorded_on, step=2)),
        reviewer,
        pep,
        frozenset({Role.REVIEWER}),
        entry,
        scale,
        cast.settings,
        decision=decision,
    )
    if not isinstance(outcome, Accepted):
        raise RuntimeError(f"The demo seed could not {decision.action}: {outcome}")


def _acting_moment(day: date, step: int) -> datetime:
    """When the story's people act on a PEP that day: from ten in the morning, UK time, a few
    minutes apart, so the audit trail, the sign-off table and timeliness all read the day the
    story says, not the day the seed ran."""
    return datetime.combine(day, time(10, 0), tzinfo=LONDON) + timedelta(minutes=7 * step)


def _act(
    session: Session,
    cast: _Cast,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    event: PepEvent,
    day: date,
    reason: str | None = None,
    *,
    recorded_on: date,
    step: int,
) -> None:
    outcome = transition_pep(
        session,
        Actor.for_user(user, None).at(_acting_moment(recorded_on, step)),
        user,
        pep,
        roles,
        event,
        cast.settings,
        reason=reason,
        today=day,
    )
    if not isinstance(outcome, Accepted):
        raise RuntimeError(f"The demo seed could not {event.action}: {outcome}")
