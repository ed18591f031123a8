"""The children list reads a constant number of SQL statements whatever the cohort: each kind
of user opens it on the demo data and again after 200 more children with PEPs arrive at the
designated teacher's school and in the social worker's caseload. No N+1 can come back."""

from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, Pep, RoleGrant, School, User
from tests.conftest import DEMO_EMAILS
from tests.integration.sql_statements import statements_sent
from workflows.pep import PepState
from workflows.roles import Role

MORE_CHILDREN = 200
OAKFIELD_URN = "900201"


def statements_of(app: Flask, client: FlaskClient, url: str) -> list[str]:
    """Every SQL statement the request sends, in order."""
    with statements_sent(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


def add_children_with_peps(app: Flask, count: int) -> None:
    """Half at the designated teacher's school, half in the social worker's caseload (and so
    everyone's for a reviewer or admin), each with a signed-off PEP and a draft."""
    with app.app_context():
        session = db.session
        oakfield = session.scalar(select(School).where(School.urn == OAKFIELD_URN))
        worker = session.scalar(select(User).where(User.email == DEMO_EMAILS["social_worker"]))
        today = date.today()
        for number in range(count):
            at_oakfield = number % 2 == 0
            child = Child(
                first_name=f"Guard{number:03d}",
                last_name="Cohort",
                date_of_birth=today - timedelta(days=3000 + number * 7),
                authority_reference=f"GRD-{number:04d}",
                legal_status="C2",
                date_entered_care=today - timedelta(days=700),
                current_school_id=oakfield.id if at_oakfield else None,
                no_school_place=None if at_oakfield else "not_on_roll",
            )
            session.add(child)
            session.flush()
            if not at_oakfield:
                session.add(
                    RoleGrant(user_id=worker.id, role=Role.SOCIAL_WORKER.value, child_id=child.id)
                )
            for year, term, state in (
                (today.year - 2, "summer", PepState.SIGNED_OFF),
                (today.year - 1, "autumn", PepState.DRAFT),
            ):
                session.add(
                    Pep(
                        child_id=child.id,
                        academic_year=year,
                        term=term,
                        state=state.value,
                        form_key="school_age",
                        form_version=1,
                    )
                )
        session.commit()


WHO = ["admin", "reviewer", "dt_oakfield", "social_worker", "carer"]


def test_the_list_reads_the_same_number_of_statements_whatever_the_cohort(app, client_for) -> None:
    clients = {who: client_for(who) for who in WHO}
    urls = ["/children", "/children?sort=latest_pep", "/children?state=draft&sort=year_group"]
    for client in clients.values():
        client.get("/children")  # anything loaded once per process is loaded now
    before = {
        (who, url): statements_of(app, client, url)
        for who, client in clients.items()
        for url in urls
    }
    add_children_with_peps(app, MORE_CHILDREN)
    for who, client in clients.items():
        for url in urls:
            after = statements_of(app, client, url)
            assert len(after) == len(before[who, url]), (who, url, after)
            # A row never reads a PEP's sections or answers.
            assert not [s for s in after if "pep_section" in s], (who, url)


@pytest.mark.parametrize("who", ["dt_oakfield", "social_worker", "admin"])
def test_a_page_shows_fifty_children_once_the_cohort_grows(app, client_for, who) -> None:
    client = client_for(who)
    add_children_with_peps(app, MORE_CHILDREN)
    html = client.get("/children").get_data(as_text=True)
    assert html.count('<tr class="govuk-table__row">') - 1 == 50  # the header row, then 50
    assert "page 1 of" in html
