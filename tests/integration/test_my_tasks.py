"""My tasks: worked out in the database a page at a time, by the same rules as each PEP's roles,
grouped by kind of task and sorted, reading only the page's own sections."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from forms.completeness import SectionStatus, pep_completeness
from portal.children.queries import roles_for_child, visible_children
from portal.extensions import db
from portal.form_registry import definition_for, form_registry
from portal.models import Child, Pep, PepSection, RoleGrant, School, User
from portal.peps.permissions import may_read_pep
from portal.peps.queries import TaskKind, task_counts, task_page
from portal.peps.signoff import describe_tasks
from tests.conftest import DEMO_EMAILS
from tests.integration.sql_statements import statements_sent
from tests.integration.test_page_accessibility import assert_accessible
from tests.integration.test_query_counts import add_children
from tests.integration.test_signoff import post_event
from workflows.pep import OPEN_STATES, PepState
from workflows.roles import Role

ADVISER_EMAIL = "vs.adviser@demo.openpep.test"
EVERYONE = (*DEMO_EMAILS.values(), ADVISER_EMAIL)
# Words the rules give a social worker or carer whose own sections are all complete: the row
# stays (a page's rows are chosen in the database, where answers are not read).
NOTHING_LEFT = "Check your completed sections before the PEP meeting"


def tasks_by_the_rules(user: User) -> set[tuple[uuid.UUID, str]]:
    """The tasks each open PEP gives this person, worked out one PEP at a time from the roles
    they hold for its child: the rules My tasks keeps."""
    children = visible_children(user).with_only_columns(Child.id)
    peps = db.session.scalars(
        select(Pep).where(Pep.child_id.in_(children), Pep.state.in_([s.value for s in OPEN_STATES]))
    )
    tasks = set()
    for pep in peps:
        roles = roles_for_child(user, pep.child)
        if not may_read_pep(user, pep, roles):
            continue  # a carer's PEP of a term before the placement began
        state = pep.state_enum
        if Role.REVIEWER in roles and state is PepState.APPROVED:
            tasks.add((pep.id, "Quality-assure and sign off"))
        if Role.SOCIAL_WORKER in roles and state is PepState.SUBMITTED:
            tasks.add((pep.id, "Check and approve, or return"))
        if state in (PepState.DRAFT, PepState.RETURNED):
            answers = {s.section_key: s.answers for s in pep.sections}
            for role in roles & {Role.DESIGNATED_TEACHER, Role.SOCIAL_WORKER, Role.CARER}:
                statuses = pep_completeness(definition_for(pep), answers, owner=role)
                left = [k for k, s in statuses.items() if s is not SectionStatus.COMPLETED]
                if left:
                    tasks.add((pep.id, f"Complete {len(left)} section{'s' * (len(left) != 1)}"))
                elif role is Role.DESIGNATED_TEACHER:
                    verb = "Resubmit" if state is PepState.RETURNED else "Submit"
                    tasks.add((pep.id, f"{verb} after the PEP meeting"))
    return tasks


def tasks_in_the_database(app: Flask, user: User) -> list[tuple[uuid.UUID, str]]:
    """Every page of My tasks for this person, as pages are built."""
    total = sum(task_counts(db.session, user).values())
    found = []
    with app.test_request_context():
        for page in range(1, total // 50 + 2):
            rows = task_page(db.session, user, kind=None, sort="waiting", page=page, per_page=50)
            found += [(task.row.pep_id, task.what) for task in describe_tasks(rows)]
    assert len(found) == total
    return found


NEW_PLACEMENT = "EDGE-NEWCARER"
PLACEMENT_STARTS = date(2026, 9, 1)


def add_edge_cases(app: Flask) -> None:
    """A child with no school place the adviser completes for, with a draft; a child who left
    care from Oakfield with a draft nobody is asked to work on; and an Oakfield child placed
    with the demo carer from 1 September 2026, whose draft for the summer before is not the
    carer's to see."""
    with app.app_context():
        definition = form_registry().latest("school_age")
        adviser = db.session.scalar(select(User).where(User.email == ADVISER_EMAIL))
        oakfield = db.session.scalar(select(School).where(School.urn == "900201"))
        carer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        for reference, school, left_care in (
            ("EDGE-NOPLACE", None, None),
            ("EDGE-LEFT", oakfield, date(2026, 10, 1)),
            (NEW_PLACEMENT, oakfield, None),
        ):
            child = Child(
                id=uuid.uuid4(),
                first_name="Edge",
                last_name=reference,
                date_of_birth=date(2014, 3, 3),
                authority_reference=reference,
                legal_status="C2",
                date_entered_care=date(2021, 1, 1),
                current_school_id=school.id if school else None,
                no_school_place="not_on_roll" if school is None else None,
                date_left_care=left_care,
                reason_left_care="E11" if left_care else None,
            )
            db.session.add(child)
            db.session.add(RoleGrant(role=Role.VS_ADVISER.value, child_id=child.id, user=adviser))
            if reference == NEW_PLACEMENT:
                db.session.add(
                    RoleGrant(
                        role=Role.CARER.value,
                        child_id=child.id,
                        user=carer,
                        starts_on=PLACEMENT_STARTS,
                    )
                )
            pep = Pep(
                id=uuid.uuid4(),
                child_id=child.id,
                # The summer 2025/26 term ended the day before the new placement began.
                academic_year=2025 if reference == NEW_PLACEMENT else 2026,
                term="summer" if reference == NEW_PLACEMENT else "autumn",
                state=PepState.DRAFT.value,
                form_key=definition.key,
                form_version=definition.version,
            )
            db.session.add(pep)
            db.session.add_all(
                PepSection(pep_id=pep.id, section_key=s.key, answers={})
                for s in definition.sections
            )
        db.session.commit()


@pytest.fixture
def larger(seeded: Flask) -> Flask:
    add_children(seeded, 120)
    add_edge_cases(seeded)
    return seeded


@pytest.mark.parametrize("email", EVERYONE)
def test_each_person_gets_the_tasks_their_roles_give(larger, email):
    with larger.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        by_the_rules = tasks_by_the_rules(user)
        found = tasks_in_the_database(larger, user)
    assert len(found) == len(set(found)), "a task is listed twice"
    assert {task for task in found if task[1] != NOTHING_LEFT} == by_the_rules


def test_the_adviser_completes_for_a_child_with_no_school_place_and_not_one_who_left_care(larger):
    with larger.app_context():
        adviser = db.session.scalar(select(User).where(User.email == ADVISER_EMAIL))
        found = tasks_in_the_database(larger, adviser)
        references = {db.session.get(Pep, pep_id).child.authority_reference for pep_id, _ in found}
    assert "EDGE-NOPLACE" in references
    assert "EDGE-LEFT" not in references


def test_a_carer_is_given_no_task_on_a_pep_from_before_the_placement(larger, client_for):
    with larger.app_context():
        carer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        teacher = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["dt_oakfield"]))
        child = db.session.scalar(select(Child).where(Child.authority_reference == NEW_PLACEMENT))
        pep_id = db.session.scalar(select(Pep.id).where(Pep.child_id == child.id))
        carers = {task_pep for task_pep, _ in tasks_in_the_database(larger, carer)}
        teachers = {task_pep for task_pep, _ in tasks_in_the_database(larger, teacher)}
    assert pep_id not in carers
    assert pep_id in teachers  # the school still completes it
    # Listed, it would open a page the carer is refused.
    assert client_for("carer").get(f"/peps/{pep_id}").status_code == 404


def _task_children(page: str) -> list[str]:
    return re.findall(r'<th scope="row" class="govuk-table__header openpep-answer">([^<]+)<', page)


def test_my_tasks_pages_fifty_at_a_time(larger, client_for):
    client = client_for("social_worker")
    first = client.get("/tasks").get_data(as_text=True)
    with larger.app_context():
        sw = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["social_worker"]))
        total = sum(task_counts(db.session, sw).values())
    pages = -(-total // 50)
    assert total > 50
    assert f"{total:,} tasks, page 1 of {pages}" in first
    seen = []
    for number in range(1, pages + 1):
        page = client.get(f"/tasks?page={number}").get_data(as_text=True)
        rows = page.count('<tr class="govuk-table__row">') - 1  # less the heading row
        assert rows == (50 if number < pages else total - 50 * (pages - 1))
        seen += re.findall(r'href="(/peps/[^"]+)"', page)
    assert len(seen) == total
    # A page past the end shows the last page; a page that is not a number shows the first.
    assert f"page {pages} of {pages}" in client.get("/tasks?page=999").get_data(as_text=True)
    assert "page 1 of" in client.get("/tasks?page=x1").get_data(as_text=True)


def test_my_tasks_shows_one_kind_at_a_time(larger, client_for):
    client = client_for("social_worker")
    page = client.get("/tasks?kind=approve").get_data(as_text=True)
    links = re.findall(r'<a class="govuk-link" href="/peps/[^"]+">([^<]+)<', page)
    assert links and set(links) == {"Check and approve, or return"}
    assert 'href="/tasks?kind=complete"' in page
    # A kind that does not exist shows every task.
    everything = client.get("/tasks?kind=nonsense").get_data(as_text=True)
    assert "<strong>All tasks (" in everything
    reviewer_page = client_for("reviewer").get("/tasks?kind=approve").get_data(as_text=True)
    assert "No task of this kind is waiting for you" in reviewer_page


def test_my_tasks_sorts_by_child_name_and_by_term(larger, client_for):
    client = client_for("dt_oakfield")
    names = _task_children(client.get("/tasks?sort=child").get_data(as_text=True))
    surnames = [(name.split()[-1].lower(), name.split()[0].lower()) for name in names]
    assert surnames == sorted(surnames)
    by_waiting = _task_children(client.get("/tasks").get_data(as_text=True))
    assert by_waiting != names
    term_page = client.get("/tasks?sort=term").get_data(as_text=True)
    assert '<option value="term" selected>' in term_page


def test_my_tasks_reads_only_the_sections_of_its_own_page(larger, client_for):
    reviewer = client_for("reviewer")
    social_worker = client_for("social_worker")
    with statements_sent(larger) as reviewer_statements:
        reviewer.get("/tasks")
    with statements_sent(larger) as approving_statements:
        social_worker.get("/tasks?kind=approve")
    # Quality assurance and approval need no answers at all.
    assert not any("pep_sections" in s for s in reviewer_statements)
    assert not any("pep_sections" in s for s in approving_statements)


def test_the_kinds_are_counted_for_the_person(larger):
    with larger.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        admin = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["admin"]))
        approved = db.session.scalar(
            select(func.count()).select_from(Pep).where(Pep.state == "approved")
        )
        assert task_counts(db.session, reviewer) == {TaskKind.QUALITY_ASSURANCE: approved}
        assert task_counts(db.session, admin) == {}


@pytest.mark.parametrize("who", ["social_worker", "dt_oakfield", "reviewer", "admin"])
def test_my_tasks_passes_the_page_checks_with_its_kinds_sorts_and_pages(who, larger, client_for):
    client = client_for(who)
    for path in ("/tasks", "/tasks?kind=complete&sort=child&page=2", "/tasks?kind=approve"):
        response = client.get(path)
        assert response.status_code == 200
        assert_accessible(response.get_data(as_text=True), f"{path} as {who}")


def test_the_reviewers_queue_is_read_from_approved_peps_in_the_order_they_waited(larger):
    """The reviewer's count reads the PEPs alone (an index of approved PEPs answers it) and the
    first page lists the approved PEPs that have waited longest, oldest first."""
    with larger.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        db.session.expire_all()
        reviewer.grants  # noqa: B018 - loaded before the statements are watched
        with statements_sent(larger) as counting:
            task_counts(db.session, reviewer)
        assert len(counting) == 1
        assert "children" not in counting[0]
        with larger.test_request_context():
            rows = task_page(db.session, reviewer, kind=None, sort="waiting", page=1, per_page=50)
        waited = [row.waiting_since for row in rows]
        oldest = list(
            db.session.scalars(
                select(Pep.approved_at_utc)
                .where(Pep.state == PepState.APPROVED.value)
                .order_by(Pep.approved_at_utc)
                .limit(50)
            )
        )
    assert rows and {row.kind for row in rows} == {TaskKind.QUALITY_ASSURANCE}
    assert None not in waited
    assert waited == sorted(waited) == oldest


def test_a_reviewers_saved_notes_keep_the_pep_in_its_place_in_the_queue(larger, client_for):
    """The queue waits from each PEP's approval: quality assurance saved without a decision
    changes the PEP (and its last change) but not how long it has waited."""
    reviewer_client = client_for("reviewer")
    with larger.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["reviewer"]))
        with larger.test_request_context():
            first = task_page(db.session, reviewer, kind=None, sort="waiting", page=1, per_page=5)
        longest = first[0]
        approved_at = db.session.get(Pep, longest.pep_id).approved_at_utc
    assert longest.waiting_since == approved_at

    page = reviewer_client.get(f"/peps/{longest.pep_id}/quality-assurance")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    saved = reviewer_client.post(
        f"/peps/{longest.pep_id}/quality-assurance",
        data={"csrf_token": token.group(1), "feedback": "Targets need dates.", "action": "save"},
    )
    assert saved.status_code in (200, 303), saved.get_data(as_text=True)[:500]

    with larger.app_context():
        pep = db.session.get(Pep, longest.pep_id)
        assert pep.updated_at_utc > approved_at  # the save changed the PEP
        assert pep.approved_at_utc == approved_at
        with larger.test_request_context():
            again = task_page(db.session, reviewer, kind=None, sort="waiting", page=1, per_page=5)
    assert [row.pep_id for row in again] == [row.pep_id for row in first]


def test_an_approval_starts_the_reviewers_wait(seeded, client_for):
    """The social worker's approval sets the time the reviewers' queue waits from."""
    social_worker = client_for("social_worker")
    with seeded.app_context():
        pep = db.session.scalar(select(Pep).where(Pep.state == PepState.SUBMITTED.value))
        pep_id = pep.id
        assert pep.approved_at_utc is None
    response = post_event(social_worker, pep_id, "approved")
    assert response.status_code in (200, 303)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        assert pep.state == PepState.APPROVED.value
        assert pep.approved_at_utc is not None
        assert abs((pep.approved_at_utc - pep.updated_at_utc).total_seconds()) < 5


def test_a_pep_approved_without_an_approval_time_is_listed_as_not_known(seeded, client_for):
    """A PEP approved by a copy of the portal older than approval times (while a release
    migrates) has none: the reviewer's list still answers, and says so."""
    with seeded.app_context():
        db.session.execute(
            update(Pep)
            .where(Pep.state == PepState.APPROVED.value)
            .values(approved_at_utc=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    response = client_for("reviewer").get("/tasks")
    assert response.status_code == 200
    assert "Waiting since</span>Not known</td>" in response.get_data(as_text=True)
