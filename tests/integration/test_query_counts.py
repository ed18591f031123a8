"""No page's SQL grows with the cohort: every page a person reaches, as each kind of user, runs
the same number of queries on the demo data and after 200 more children with two PEPs each."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.children.queries import find_visible_child, roles_for_child
from portal.extensions import db
from portal.form_registry import definition_for, form_registry
from portal.models import Child, Pep, PepSection, RoleGrant, School, User
from portal.peps.permissions import may_read_section
from portal.peps.queries import find_visible_pep
from tests.conftest import DEMO_EMAILS
from tests.integration.sql_statements import statements_sent
from workflows.pep import OPEN_STATES, PepState
from workflows.roles import Role

OAKFIELD_URN = "900201"
MORE_CHILDREN = 200
# The open PEP each added child has, in turn: drafts, submitted and approved ones.
OPEN_STATES_IN_TURN = (PepState.DRAFT, PepState.SUBMITTED, PepState.APPROVED)
# Checked on its own, so that a failure there names the list that grew.
CHILDREN_LIST = "/children"


def _pages_for(app: Flask, who: str) -> list[str]:
    """Every GET page this person reaches on the demo data: home, tasks, a child, one of the
    child's open PEPs and a section of it they may read, the QA page for the reviewer and the
    admin area for the admin."""
    pages = ["/", "/tasks"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_EMAILS[who]))
        assert user is not None
        open_peps = db.session.scalars(
            select(Pep)
            .join(Child)
            .where(Pep.state.in_([state.value for state in OPEN_STATES]))
            .order_by(Child.authority_reference)
        ).all()
        pep = next(p for p in open_peps if find_visible_pep(db.session, user, p.id) is not None)
        assert find_visible_child(db.session, user, pep.child_id) is not None
        roles = roles_for_child(user, pep.child)
        definition = definition_for(pep)
        section = next(
            s
            for s in definition.sections
            if may_read_section(definition, s, roles) and s.section_type.value == "standard"
        )
        pages += [
            f"/children/{pep.child_id}",
            f"/peps/{pep.id}",
            f"/peps/{pep.id}/sections/{section.key}",
        ]
        if who == "reviewer":
            approved = next(p for p in open_peps if p.state == PepState.APPROVED.value)
            pages.append(f"/peps/{approved.id}/quality-assurance")
        if who == "admin":
            pages += _admin_pages(app)
    return pages


def _admin_pages(app: Flask) -> list[str]:
    """The admin area's GET pages that name no record, and one school's page."""
    pages = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        and "GET" in (rule.methods or set())
        and not rule.arguments
        and not rule.rule.endswith((".csv", "/export", "/download"))
        and "export" not in rule.endpoint
    )
    school = db.session.scalar(select(School).where(School.urn == OAKFIELD_URN))
    assert school is not None
    return [*pages, f"/admin/schools/{school.id}"]


def _count_pages(app: Flask, client: FlaskClient, pages: list[str]) -> dict[str, int]:
    counts = {}
    for path in pages:
        client.get(path)  # the first visit may fill a cache: count the second
        with statements_sent(app) as statements:
            response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        counts[path] = len(statements)
    return counts


def add_children(app: Flask, how_many: int) -> None:
    """Children at Oakfield Primary in the social worker's caseload, each with last year's
    signed-off PEP and this year's open one (a draft, submitted or approved)."""
    now = datetime.now(UTC)
    with app.app_context():
        definition = form_registry().latest("school_age")
        school = db.session.scalar(select(School).where(School.urn == OAKFIELD_URN))
        social_worker = db.session.scalar(
            select(User).where(User.email == DEMO_EMAILS["social_worker"])
        )
        assert school is not None and social_worker is not None
        for number in range(how_many):
            child = Child(
                id=uuid.uuid4(),
                first_name=f"Added{number:03d}",
                last_name="Cohort",
                date_of_birth=date(2016, 1 + number % 12, 1 + number % 28),
                authority_reference=f"ADD-{number:04d}",
                legal_status="C2",
                date_entered_care=date(2022, 5, 1),
                current_school_id=school.id,
            )
            db.session.add(child)
            db.session.add(
                RoleGrant(role=Role.SOCIAL_WORKER.value, child_id=child.id, user=social_worker)
            )
            for year, state in (
                (2025, PepState.SIGNED_OFF),
                (2026, OPEN_STATES_IN_TURN[number % len(OPEN_STATES_IN_TURN)]),
            ):
                pep = Pep(
                    id=uuid.uuid4(),
                    child_id=child.id,
                    academic_year=year,
                    term="autumn",
                    state=state.value,
                    form_key=definition.key,
                    form_version=definition.version,
                    created_at_utc=now - timedelta(minutes=number),
                    updated_at_utc=now - timedelta(minutes=number),
                    # As an approval sets it (every PEP that passed approval has one).
                    approved_at_utc=(
                        now - timedelta(minutes=number)
                        if state in (PepState.APPROVED, PepState.SIGNED_OFF)
                        else None
                    ),
                )
                db.session.add(pep)
                db.session.add_all(
                    PepSection(pep_id=pep.id, section_key=section.key, answers={})
                    for section in definition.sections
                )
        db.session.commit()


def _growth(small: dict[str, int], large: dict[str, int]) -> str:
    lines = [f"{path}: {small[path]} -> {large[path]}" for path in small]
    return "query counts at the demo size -> after more children:\n" + "\n".join(lines)


USERS = ("admin", "reviewer", "dt_oakfield", "social_worker", "carer")


def test_no_page_runs_more_queries_for_a_larger_cohort(seeded, client_for):
    clients = {who: client_for(who) for who in USERS}
    pages = {who: _pages_for(seeded, who) for who in USERS}
    small = {who: _count_pages(seeded, clients[who], pages[who]) for who in USERS}
    add_children(seeded, MORE_CHILDREN)
    large = {who: _count_pages(seeded, clients[who], pages[who]) for who in USERS}
    grown = {who: _growth(small[who], large[who]) for who in USERS if small[who] != large[who]}
    assert not grown, "\n\n".join(f"{who}\n{report}" for who, report in grown.items())


def test_the_children_list_does_not_grow_with_the_cohort(seeded, client_for):
    clients = {who: client_for(who) for who in USERS}
    small = {who: _count_pages(seeded, clients[who], [CHILDREN_LIST]) for who in USERS}
    add_children(seeded, MORE_CHILDREN)
    large = {who: _count_pages(seeded, clients[who], [CHILDREN_LIST]) for who in USERS}
    grown = {who: _growth(small[who], large[who]) for who in USERS if small[who] != large[who]}
    assert not grown, "\n\n".join(f"{who}\n{report}" for who, report in grown.items())


def test_a_pep_page_reads_its_child_with_the_pep_and_its_answers_once(seeded, client_for):
    client = client_for("dt_oakfield")
    pep_page, section_page = _pages_for(seeded, "dt_oakfield")[3:5]
    for path in (pep_page, section_page):
        client.get(path)
        with statements_sent(seeded) as sent:
            assert client.get(path).status_code == 200
        statements = [" ".join(statement.split()) for statement in sent]
        alone = [s for s in statements if s.startswith("SELECT children.")]
        # The task list reads every section's answers; a section page only its own, in the
        # PEP's own query: either way, once.
        sections = [s for s in statements if "pep_sections.answers" in s]
        grants = [s for s in statements if "role_grants" in s]
        assert not alone, f"{path} loads the child on its own"
        assert len(sections) == 1, f"{path} loads the answers {len(sections)} times"
        assert len(grants) == 1, f"{path} loads role grants {len(grants)} times"
