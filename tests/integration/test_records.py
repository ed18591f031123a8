"""The signed-off record: made once at sign-off, the same bytes on every download, verifiable
by rebuilding, and unchangeable."""

import hashlib
import io

import pytest
from docx import Document
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from portal.exports.builder import build_pep_document
from portal.extensions import db
from portal.models import AuditEvent, Pep, PepRecord
from portal.models.record import RecordIsUnchangeable
from tests.integration.pep_helpers import open_pep_id
from tests.integration.test_signoff import SUBMITTED, post_event, qa_form


def sign_off(client_for, app):
    pep_id = open_pep_id(app, SUBMITTED)
    assert post_event(client_for("social_worker"), pep_id, "approved").status_code == 303
    assert qa_form(client_for("reviewer"), pep_id, "green", "signed_off", "Good").status_code == 303
    return pep_id


def stored_record(app, pep_id):
    with app.app_context():
        record = db.session.scalar(select(PepRecord).where(PepRecord.pep_id == pep_id))
        return record.sha256, bytes(record.content), record.generated_at_utc, record.file_name


def test_sign_off_stores_the_record_and_every_download_returns_those_bytes(client_for, seeded):
    pep_id = sign_off(client_for, seeded)
    sha, content, _, file_name = stored_record(seeded, pep_id)
    assert hashlib.sha256(content).hexdigest() == sha
    assert file_name == "PEP-DCC-1102-autumn-2026.docx" or file_name.startswith("PEP-DCC-1102-")
    assert "Oliver" not in file_name

    dt = client_for("dt_oakfield")
    page = dt.get(f"/peps/{pep_id}").get_data(as_text=True)
    assert sha in page
    assert "Download the signed-off record (Word)" in page
    first = dt.get(f"/peps/{pep_id}/export/record.docx")
    second = client_for("social_worker").get(f"/peps/{pep_id}/export/record.docx")
    # The record holds every section: a carer cannot download it.
    assert client_for("carer").get(f"/peps/{pep_id}/export/record.docx").status_code == 403
    for response in (first, second):
        assert response.status_code == 200
        assert response.data == content
        assert "no-store" in response.headers["Cache-Control"]
        assert file_name in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(content))
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    assert "OFFICIAL-SENSITIVE" in header and "DRAFT" not in header
    with seeded.app_context():
        downloads = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pep.exported")
        ).all()
        assert [d.details["draft"] for d in downloads] == [False, False]
        assert all(d.details["sha256"] == sha for d in downloads)
        assert (
            db.session.scalar(
                select(func.count()).where(
                    AuditEvent.action == "pep.record_stored", AuditEvent.object_id == str(pep_id)
                )
            )
            == 1
        )


def test_the_record_can_be_verified_by_rebuilding_it(client_for, seeded):
    pep_id = sign_off(client_for, seeded)
    sha, content, generated_at, _ = stored_record(seeded, pep_id)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        rebuilt = build_pep_document(
            pep, settings=seeded.config, draft=False, generated_at=generated_at
        )
    assert hashlib.sha256(rebuilt).hexdigest() == sha
    assert rebuilt == content


def test_the_record_is_unchangeable(client_for, seeded):
    pep_id = sign_off(client_for, seeded)
    with seeded.app_context():
        record = db.session.scalar(select(PepRecord).where(PepRecord.pep_id == pep_id))
        record.sha256 = "0" * 64
        with pytest.raises(RecordIsUnchangeable):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(DBAPIError, match="cannot be changed"):
            db.session.execute(text("UPDATE pep_records SET byte_size = 1"))
        db.session.rollback()
        with pytest.raises(DBAPIError, match="cannot be changed"):
            db.session.execute(text("DELETE FROM pep_records"))
        db.session.rollback()


def test_the_demo_seeds_signed_off_peps_carry_their_record(seeded):
    with seeded.app_context():
        once_signed_off = db.session.scalar(
            select(func.count()).select_from(Pep).where(Pep.state.in_(["signed_off", "superseded"]))
        )
        records = db.session.scalars(select(PepRecord)).all()
        assert len(records) == once_signed_off > 0
        for record in records[:5]:
            assert hashlib.sha256(record.content).hexdigest() == record.sha256


def test_an_open_pep_has_no_record_yet(client_for, seeded):
    pep_id = open_pep_id(seeded, SUBMITTED)
    assert client_for("admin").get(f"/peps/{pep_id}/export/record.docx").status_code == 404


def test_records_are_refused_to_people_who_cannot_see_the_child(client_for, seeded):
    pep_id = sign_off(client_for, seeded)
    assert client_for("dt_riverside").get(f"/peps/{pep_id}/export/record.docx").status_code == 404
    anonymous = seeded.test_client().get(f"/peps/{pep_id}/export/record.docx")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")
