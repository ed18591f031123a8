"""The term a PEP is started for follows the term dates the child's school keeps: a spring term
that runs into April is still spring there. Without term dates, or in a holiday, the month says."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, select

from portal.academic import Term, term_label
from portal.extensions import db
from portal.models import Child, Pep, RoleGrant, TermDate, User
from tests.conftest import DEMO_EMAILS, csrf_token_from
from tests.integration.clock import Clock
from tests.integration.pep_helpers import page
from workflows.roles import Role

ISLA = "DCC-1107"  # Oakfield, no open PEP
# Easter 2028 falls on 16 April: the spring term of 2027/28 runs to Friday 7 April.
SPRING_ENDS = date(2028, 4, 7)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def offered_terms(client, child_id) -> list[str]:
    html = page(client, f"/children/{child_id}/peps/new")
    return re.findall(r'name="term" type="radio" value="([^"]+)"', html)


def add_spring_term(app, school_id) -> None:
    """Spring 2027/28 to 7 April, for the school or (replacing the demo's dates) the authority."""
    with app.app_context():
        db.session.execute(
            delete(TermDate).where(
                TermDate.academic_year == 2027,
                TermDate.term == "spring",
                TermDate.school_id.is_(None)
                if school_id is None
                else TermDate.school_id == school_id,
            )
        )
        db.session.add(
            TermDate(
                school_id=school_id,
                academic_year=2027,
                term="spring",
                starts_on=date(2028, 1, 4),
                ends_on=SPRING_ENDS,
                half_term_starts_on=date(2028, 2, 14),
                half_term_ends_on=date(2028, 2, 18),
                inset_days=[],
            )
        )
        db.session.commit()


@pytest.mark.parametrize("whose", ["authority", "school"])
def test_a_pep_started_in_a_spring_term_running_into_april_is_for_spring(
    whose, seeded, client_for, clock
):
    with seeded.app_context():
        isla = db.session.scalar(select(Child).where(Child.authority_reference == ISLA))
        child_id, school_id = isla.id, isla.current_school_id
    teacher = client_for("dt_oakfield")
    clock.day = date(2028, 4, 3)
    # The demo's term dates end that spring in March: April is the summer term's.
    assert offered_terms(teacher, child_id)[0] == "2027-summer"

    add_spring_term(seeded, school_id if whose == "school" else None)
    offered = offered_terms(teacher, child_id)
    assert offered == ["2027-spring", "2027-summer", "2028-autumn"]
    path = f"/children/{child_id}/peps/new"
    assert term_label(2027, Term.SPRING) in page(teacher, path)
    # The Easter holiday, after the term's last day: the summer term comes next.
    clock.day = date(2028, 4, 10)
    assert offered_terms(teacher, child_id)[0] == "2027-summer"

    clock.day = date(2028, 4, 3)
    response = teacher.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": csrf_token_from(teacher, path), "term": "2027-spring"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with seeded.app_context():
        pep = db.session.scalar(select(Pep).where(Pep.child_id == child_id, Pep.state == "draft"))
        assert (pep.academic_year, pep.term) == (2027, "spring")


@pytest.mark.parametrize(
    ("placed_on", "reads"), [(date(2028, 4, 3), True), (date(2028, 4, 10), False)]
)
def test_a_carer_placed_while_a_spring_term_runs_into_april_reads_that_terms_pep(
    placed_on, reads, seeded, client_for, clock
):
    """The spring PEP started in its last week is the new carer's to read, and listed for
    them, where the term dates run spring to 7 April; placed in the holiday after, it is not
    (the summer term's PEP will be)."""
    with seeded.app_context():
        isla = db.session.scalar(select(Child).where(Child.authority_reference == ISLA))
        child_id, school_id = isla.id, isla.current_school_id
        carer = db.session.scalar(select(User).where(User.email == DEMO_EMAILS["carer"]))
        db.session.add(
            RoleGrant(
                user_id=carer.id, role=Role.CARER.value, child_id=child_id, starts_on=placed_on
            )
        )
        db.session.commit()
    add_spring_term(seeded, school_id)
    clock.day = date(2028, 4, 3)
    teacher = client_for("dt_oakfield")
    path = f"/children/{child_id}/peps/new"
    page(teacher, path)
    started = teacher.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": csrf_token_from(teacher, path), "term": "2027-spring"},
    )
    assert started.status_code == 303
    with seeded.app_context():
        pep_id = db.session.scalar(
            select(Pep.id).where(Pep.child_id == child_id, Pep.state == "draft")
        )
    carer_client = client_for("carer")
    assert carer_client.get(f"/peps/{pep_id}").status_code == (200 if reads else 404)
    tasks = carer_client.get("/tasks").get_data(as_text=True)
    assert (str(pep_id) in tasks) is reads
