"""An admin may choose which PEP form a PEP starts on: only PEP forms, never the child's views."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Child, Pep
from tests.conftest import csrf_token_from


def start_form(client, child_id):
    html = client.get(f"/children/{child_id}/peps/new").get_data(as_text=True)
    term = re.search(r'name="term" type="radio" value="([^"]+)"', html).group(1)
    return csrf_token_from(client, f"/children/{child_id}/peps/new"), term


def child_without_an_open_pep(app):
    with app.app_context():
        return db.session.scalar(select(Child.id).where(Child.authority_reference == "DCC-1501"))


def pep_count(app, child_id):
    with app.app_context():
        return db.session.scalar(select(func.count(Pep.id)).where(Pep.child_id == child_id))


def test_an_admin_cannot_start_a_pep_on_the_childs_views_form(seeded, client_for):
    client = client_for("admin")
    child_id = child_without_an_open_pep(seeded)
    before = pep_count(seeded, child_id)
    token, term = start_form(client, child_id)
    response = client.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": token, "term": term, "form_key": "child_voice"},
    )
    assert response.status_code == 400
    assert "Choose a PEP form from the list." in response.get_data(as_text=True)
    assert pep_count(seeded, child_id) == before


@pytest.mark.parametrize("form_key", ["early_years", "post_16"])
def test_an_admin_can_start_a_pep_on_another_pep_form(seeded, client_for, form_key):
    client = client_for("admin")
    child_id = child_without_an_open_pep(seeded)
    token, term = start_form(client, child_id)
    response = client.post(
        f"/children/{child_id}/peps",
        data={"csrf_token": token, "term": term, "form_key": form_key},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    with seeded.app_context():
        pep = db.session.scalar(
            select(Pep).where(Pep.child_id == child_id, Pep.form_key == form_key)
        )
        assert pep is not None
