"""The social work team manager and the Virtual School head oversee: signed in through the demo
provider, each reads the children, PEPs, sections and Word records in their scope (the team's
caseload; the whole authority) and changes nothing: no section, no approval, no sign-off, no new
PEP, no meeting. The team manager sees no child outside the caseload."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, Pep
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import open_pep_id, post_form, section_url, stored_section

OVERSEERS = ("team_manager", "vs_head")
SUBMITTED = "DCC-1102"  # Oliver: Sam Okoro's caseload, submitted, waiting for his approval
DRAFT = "DCC-1101"  # Ella: Sam Okoro's caseload, a draft
SIGNED_OFF = "DCC-1105"  # Sophie: Sam Okoro's caseload, this term's PEP signed off
NO_PEP = "DCC-1501"  # Jayden: Sam Okoro's caseload, in care with no PEP yet
OTHER_TEAM = "DCC-1104"  # Jacob: Rachel Dunn's caseload, approved, waiting for QA


def child_id(app: Flask, reference: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Child.id).where(Child.authority_reference == reference))
        assert found is not None
        return found


def pep_state(app: Flask, pep_id: uuid.UUID) -> str:
    with app.app_context():
        return db.session.get(Pep, pep_id).state


def signed_off_pep_id(app: Flask, reference: str) -> uuid.UUID:
    with app.app_context():
        return db.session.scalar(
            select(Pep.id)
            .join(Child, Child.id == Pep.child_id)
            .where(Child.authority_reference == reference, Pep.state == "signed_off")
            .limit(1)
        )


def token(client: FlaskClient) -> str:
    return csrf_token_from(client, "/children")


@pytest.mark.parametrize("who", OVERSEERS)
def test_they_read_a_childs_page_pep_sections_and_word_records(who, client_for, seeded):
    client = client_for(who)
    child_page = client.get(f"/children/{child_id(seeded, DRAFT)}")
    assert child_page.status_code == 200
    pep_id = open_pep_id(seeded, DRAFT)
    pep_page = client.get(f"/peps/{pep_id}")
    assert pep_page.status_code == 200
    # Every section is listed, the social worker's and the school's alike; none is theirs.
    html = pep_page.get_data(as_text=True)
    assert (
        section_url(pep_id, "about_me") in html and section_url(pep_id, "meeting_details") in html
    )
    section = client.get(section_url(pep_id, "about_me"))
    assert section.status_code == 200
    assert 'id="section-form"' not in section.get_data(as_text=True)
    assert client.get(f"/peps/{pep_id}/export/draft.docx").status_code == 200
    signed_off = signed_off_pep_id(seeded, SIGNED_OFF)
    record = client.get(f"/peps/{signed_off}/export/record.docx")
    assert record.status_code == 200 and record.data.startswith(b"PK")


@pytest.mark.parametrize("who", OVERSEERS)
@pytest.mark.parametrize("section_key", ["about_me", "meeting_details", "quality_assurance"])
def test_they_cannot_change_any_section(who, section_key, client_for, seeded):
    client = client_for(who)
    pep_id = open_pep_id(seeded, DRAFT)
    before = stored_section(seeded, pep_id, section_key)
    response = post_form(
        client,
        pep_id,
        section_key,
        [("csrf_token", token(client)), ("version", str(before.version)), ("action", "save")],
    )
    assert response.status_code == 403
    assert stored_section(seeded, pep_id, section_key).answers == before.answers


@pytest.mark.parametrize("who", OVERSEERS)
def test_they_cannot_approve_or_return_a_pep(who, client_for, seeded):
    client = client_for(who)
    pep_id = open_pep_id(seeded, SUBMITTED)
    assert ">Approve<" not in client.get(f"/peps/{pep_id}").get_data(as_text=True)
    approve = client.post(f"/peps/{pep_id}/events/approved", data={"csrf_token": token(client)})
    assert approve.status_code == 400
    assert "social worker" in approve.get_data(as_text=True)
    returned = client.post(
        f"/peps/{pep_id}/events/returned",
        data={"csrf_token": token(client), "reason": "Please add the targets."},
    )
    assert returned.status_code == 400
    assert pep_state(seeded, pep_id) == "submitted"


def test_the_head_cannot_quality_assure_or_sign_off(client_for, seeded):
    client = client_for("vs_head")
    pep_id = open_pep_id(seeded, OTHER_TEAM)
    assert client.get(f"/peps/{pep_id}").status_code == 200  # reads it, as the head of all
    assert client.get(f"/peps/{pep_id}/quality-assurance").status_code == 403
    signed = client.post(
        f"/peps/{pep_id}/quality-assurance",
        data={"csrf_token": token(client), "decision": "signed_off", "rating": "green"},
    )
    assert signed.status_code == 403
    assert client.post(
        f"/peps/{pep_id}/events/signed_off", data={"csrf_token": token(client)}
    ).status_code in (400, 403)
    assert pep_state(seeded, pep_id) == "approved"


@pytest.mark.parametrize("who", OVERSEERS)
def test_they_cannot_start_a_pep_or_arrange_a_meeting(who, client_for, seeded):
    client = client_for(who)
    jayden = child_id(seeded, NO_PEP)
    assert client.get(f"/children/{jayden}").status_code == 200
    assert client.get(f"/children/{jayden}/peps/new").status_code == 403
    started = client.post(
        f"/children/{jayden}/peps", data={"csrf_token": token(client), "term": "2026-autumn"}
    )
    assert started.status_code == 403
    with seeded.app_context():
        assert db.session.scalar(select(Pep.id).where(Pep.child_id == jayden)) is None
    assert client.get(f"/peps/{open_pep_id(seeded, DRAFT)}/meeting/arrange").status_code == 403


@pytest.mark.parametrize("who", OVERSEERS)
def test_nothing_waits_for_them_in_my_tasks(who, client_for, seeded):
    page = client_for(who).get("/tasks")
    assert page.status_code == 200
    assert "Nothing is waiting for you." in page.get_data(as_text=True)


def test_the_team_manager_sees_nothing_of_a_child_outside_the_caseload(client_for, seeded):
    client = client_for("team_manager")
    assert client.get(f"/children/{child_id(seeded, OTHER_TEAM)}").status_code == 404
    pep_id = open_pep_id(seeded, OTHER_TEAM)
    assert client.get(f"/peps/{pep_id}").status_code == 404
    assert client.get(section_url(pep_id, "about_me")).status_code == 404
    assert client.get(f"/peps/{pep_id}/export/draft.docx").status_code == 404
    assert OTHER_TEAM not in client.get("/children").get_data(as_text=True)
