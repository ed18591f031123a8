"""No PEP is started for a child who left care or is on short breaks: the start page and the
start itself say why; a signed-off PEP's page keeps the facts it was signed off with."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask

from portal.extensions import db
from portal.models import Child
from portal.operations import child_events
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import section_url
from tests.integration.test_child_life_events import admin_actor, child_id_of
from tests.integration.test_pep_snapshot import move_and_change_status, sign_off


def test_the_start_page_says_why_no_pep_is_due_after_leaving_care(
    client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, "DCC-1501")
    admin = client_for("admin")
    assert admin.get(f"/children/{child_id}/peps/new").status_code == 200
    with seeded.app_context():
        child = db.session.get(Child, child_id)
        child_events.record_leaving_care(db.session, admin_actor(), child, date.today(), "E43")
        db.session.commit()
    page = admin.get(f"/children/{child_id}/peps/new")
    assert page.status_code == 400
    assert "no new PEP is due" in page.get_data(as_text=True)
    token = csrf_token_from(admin, "/children")
    started = admin.post(f"/children/{child_id}/peps", data={"csrf_token": token, "term": "x"})
    assert started.status_code == 400


def test_a_signed_off_peps_page_keeps_its_facts(client_for: Any, seeded: Flask) -> None:
    pep_id = sign_off(client_for, seeded)
    move_and_change_status(seeded)
    reviewer = client_for("reviewer")
    page = reviewer.get(f"/peps/{pep_id}").get_data(as_text=True)
    facts = page[page.index('id="pep-facts"') :]
    facts = facts[: facts.index("</span>")]
    assert "Oakfield Primary School" in facts and "Full care order (C2)" in facts
    assert "Riverside" not in reviewer.get(section_url(pep_id, "meeting_details")).get_data(
        as_text=True
    )
