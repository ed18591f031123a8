"""Downloading a PEP as a Word document through the portal, and what a reader sees in it."""

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.exports.builder import build_pep_document
from portal.exports.samples import sample_pep
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import AuditEvent, Child, Pep
from tests.integration.pep_helpers import open_pep_id
from tests.integration.test_signoff import post_event, qa_form
from tests.unit.exports.docx_reading import (
    all_text,
    headings,
    open_docx,
    pdf_pages,
    table_after_heading,
    table_rows,
)
from tests.unit.exports.hostile import ARABIC, hostile_pep
from workflows.roles import Role

OLIVER = "DCC-1102"  # Oakfield, the social worker's caseload, with the demo carer; submitted
HARRY = "DCC-1106"  # Oakfield, a draft with only some sections done


def draft_url(pep_id):
    return f"/peps/{pep_id}/export/draft.docx"


def expected_file_name(app, pep_id):
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        return f"PEP-{pep.child.authority_reference}-{pep.term}-{pep.academic_year}-DRAFT.docx"


@pytest.mark.parametrize("who", ["dt_oakfield", "social_worker", "carer", "reviewer", "admin"])
def test_everyone_who_can_see_the_pep_downloads_a_draft(who, client_for, seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    response = client_for(who).get(draft_url(pep_id))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{expected_file_name(seeded, pep_id)}"'
    assert "Oliver" not in disposition and "Brown" not in disposition
    assert "no-store" in response.headers["Cache-Control"]
    document = open_docx(response.data)
    with seeded.app_context():
        definition = definition_for(db.session.get(Pep, pep_id))
        # A carer's draft holds only the sections a carer may read.
        shown = (
            definition.sections_readable_by(frozenset({Role.CARER}))
            if who == "carer"
            else definition.sections
        )
        titles = [s.title for s in shown]
    assert headings(document)[: len(titles)] == titles
    assert "Oliver Brown" in all_text(document)


def test_a_teacher_at_another_school_gets_not_found(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    assert client_for("dt_riverside").get(draft_url(pep_id)).status_code == 404


def test_anonymous_visitors_and_invite_link_holders_are_sent_to_sign_in(seeded):
    # Invite links (child, carer) never give a session user, so they are anonymous here.
    pep_id = open_pep_id(seeded, HARRY)
    response = seeded.test_client().get(draft_url(pep_id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_every_download_is_in_the_audit_log_with_the_hash_of_the_bytes(client_for, seeded):
    pep_id = open_pep_id(seeded, HARRY)
    response = client_for("dt_oakfield").get(draft_url(pep_id))
    with seeded.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "pep.exported", AuditEvent.object_id == str(pep_id)
            )
        )
    assert event is not None and event.actor_user_id is not None
    assert event.details["draft"] is True
    assert event.details["sha256"] == hashlib.sha256(response.data).hexdigest()


def test_a_pep_from_the_database_builds_to_the_same_bytes_twice(seeded):
    pep_id = open_pep_id(seeded, OLIVER)
    when = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        first = build_pep_document(pep, settings=seeded.config, draft=False, generated_at=when)
        db.session.expire_all()
        pep = db.session.get(Pep, pep_id)
        second = build_pep_document(pep, settings=seeded.config, draft=False, generated_at=when)
    assert first == second


def test_after_sign_off_the_document_shows_who_signed_and_libreoffice_shows_the_draft_marking(
    client_for, seeded
):
    pep_id = open_pep_id(seeded, OLIVER)
    assert post_event(client_for("social_worker"), pep_id, "approved").status_code == 303
    reviewer = client_for("reviewer")
    response = qa_form(reviewer, pep_id, "green", "signed_off", "A strong plan for Oliver.")
    assert response.status_code == 303

    data = reviewer.get(draft_url(pep_id)).data
    document = open_docx(data)
    rows = table_rows(table_after_heading(document, "Sign-off"))
    # The demo's designated teacher submitted it through the workflow, so it stands too.
    assert [row[:2] for row in rows[1:]] == [
        ["Designated teacher", "Priya Shah"],
        ["Social worker", "Sam Okoro"],
        ["Virtual School reviewer", "Alex Morgan"],
    ]
    assert rows[2][3] == "I have checked this PEP and approve it."
    text = all_text(document)
    assert "Green: Meets every criterion; a good plan." in text
    assert "A strong plan for Oliver." in text
    history = table_rows(table_after_heading(document, "Appendix: history of this PEP"))
    assert [row[0] for row in history[1:]] == [
        "Started",
        "Submitted",
        "Approved by social worker",
        "Signed off",
    ]
    targets = table_rows(table_after_heading(document, "Targets"))
    with seeded.app_context():
        stored = next(
            s for s in db.session.get(Pep, pep_id).sections if s.section_key == "smart_targets"
        )
        assert len(targets) == 1 + len(stored.answers["targets"])
        child = db.session.scalar(select(Child).where(Child.authority_reference == OLIVER))
        child_name = child.full_name
    assert "Total Pupil Premium Plus for these targets: £" in text

    # One LibreOffice run for both documents: it is the slow part.
    hostile, _ = hostile_pep()
    hostile_data = build_pep_document(
        hostile,
        settings={"AUTHORITY_NAME": "Testshire County Council"},
        draft=True,
        generated_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        trail=sample_pep()[1],
    )
    pages, hostile_pages = pdf_pages(data, hostile_data)
    assert child_name in pages[0] and "Personal Education Plan" in pages[0]
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert "DRAFT: not the signed-off record" in page, number
        assert "OFFICIAL-SENSITIVE" in page, number
        assert f"Page {number} of {len(pages)}" in page, number
    assert len(hostile_pages) > 10  # the 50,000-character answer runs over many pages
    assert all("DRAFT: not the signed-off record" in page for page in hostile_pages)
    assert "Target 40" in "".join(hostile_pages)
    assert ARABIC.split()[0] in "".join(hostile_pages).replace("\u200f", "")
