"""A PEP keeps the child's facts as they were when it was signed off: after the child moves
school and their legal status changes, its pages and its record still show the old ones."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

from docx import Document
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import Child, Pep, PepRecord, School, User
from portal.operations import child_events
from portal.operations.audit import Actor
from tests.integration.pep_helpers import open_pep_id, section_url
from tests.integration.test_signoff import SUBMITTED, post_event, qa_form


def sign_off(client_for: Any, app: Flask) -> uuid.UUID:
    pep_id = open_pep_id(app, SUBMITTED)
    assert post_event(client_for("social_worker"), pep_id, "approved").status_code == 303
    assert qa_form(client_for("reviewer"), pep_id, "green", "signed_off", "Good").status_code == 303
    return pep_id


def move_and_change_status(app: Flask) -> None:
    """Oliver moves to Riverside Academy and his legal status becomes a placement order."""
    with app.app_context():
        child = db.session.scalars(
            select(Child).where(Child.authority_reference == SUBMITTED)
        ).one()
        admin = db.session.scalars(
            select(User).where(User.email == "admin@demo.openpep.test")
        ).one()
        actor = Actor.for_user(admin, "127.0.0.1")
        riverside = db.session.scalars(select(School).where(School.urn == "900301")).one()
        assert child_events.move_school(db.session, actor, child, riverside, date.today())
        assert child_events.change_legal_status(db.session, actor, child, "E1", date.today())
        db.session.commit()


def document_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    texts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(texts)


def test_sign_off_fixes_the_childs_facts_on_the_pep(client_for: Any, seeded: Flask) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    with seeded.app_context():
        assert db.session.get(Pep, pep_id).snapshot is None
    sign_off(client_for, seeded)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        snapshot = pep.snapshot
        assert snapshot["school_name"] == "Oakfield Primary School"
        assert snapshot["school_urn"] == "900201"
        assert snapshot["no_school_place"] is None
        assert snapshot["legal_status"] == "C2"
        assert snapshot["legal_status_label"] == "Full care order (C2)"
        assert snapshot["year_group"] == pep.child.year_group_label(date(pep.academic_year, 9, 1))
        assert snapshot["social_worker"] == "Sam Okoro"
        assert snapshot["carer"] == "Jo Marsh"
        assert snapshot["uasc"] is False
        assert snapshot["placed_in_authority"] is None


def test_a_signed_off_pep_shows_the_old_school_year_group_and_status_after_a_move(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        year_group = pep.snapshot["year_group"]
        record_before = bytes(
            db.session.scalars(select(PepRecord.content).where(PepRecord.pep_id == pep_id)).one()
        )
    move_and_change_status(seeded)

    reviewer = client_for("reviewer")
    section = reviewer.get(section_url(pep_id, "meeting_details")).get_data(as_text=True)
    facts = section[section.index('id="pep-facts"') :]
    facts = facts[: facts.index("</span>")]
    assert "Oakfield Primary School" in facts
    assert year_group in facts
    assert "Full care order (C2)" in facts
    assert "Riverside" not in facts and "Placement order" not in facts

    # The record stored at sign-off, downloaded after the move, says what was true then.
    response = client_for("admin").get(f"/peps/{pep_id}/export/record.docx")
    assert response.status_code == 200
    assert response.data == record_before
    text = document_text(response.data)
    assert "Oakfield Primary School" in text
    assert year_group in text
    assert "Full care order (C2)" in text
    assert "Riverside Academy" not in text
    assert "Placement order" not in text

    # The PEP it superseded keeps the facts it was signed off with too.
    with seeded.app_context():
        superseded = db.session.scalars(
            select(Pep).where(Pep.child_id == pep.child_id, Pep.state == "superseded")
        ).all()
        fixed = [earlier.id for earlier in superseded if earlier.snapshot]
    for earlier_id in fixed:
        page = reviewer.get(section_url(earlier_id, "meeting_details")).get_data(as_text=True)
        caption = page[page.index('id="pep-facts"') :]
        assert "Riverside" not in caption[: caption.index("</span>")]


def test_an_open_pep_shows_todays_facts(client_for: Any, seeded: Flask) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    move_and_change_status(seeded)
    page = client_for("admin").get(section_url(pep_id, "meeting_details")).get_data(as_text=True)
    facts = page[page.index('id="pep-facts"') :]
    facts = facts[: facts.index("</span>")]
    assert "Riverside Academy" in facts
    assert "Placement order granted (E1)" in facts
    draft = client_for("admin").get(f"/peps/{pep_id}/export/draft.docx")
    text = document_text(draft.data)
    assert "Riverside Academy" in text and "Placement order granted (E1)" in text


def test_a_carer_is_not_shown_the_legal_status(client_for: Any, seeded: Flask) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    carer = client_for("carer")
    page = carer.get(section_url(pep_id, "carers_views")).get_data(as_text=True)
    facts = page[page.index('id="pep-facts"') :]
    facts = facts[: facts.index("</span>")]
    assert "Oakfield Primary School" in facts
    assert "Full care order" not in facts
    draft = carer.get(f"/peps/{pep_id}/export/draft.docx")
    assert draft.status_code == 200
    assert "Full care order" not in document_text(draft.data)
