"""A signed-off PEP shows the child's facts as they were signed off, on its pages and in its
record, and its record rebuilds byte for byte after the child's record or a signer's name
changes; an open PEP shows the year group of its own year on every page."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

import pytest
from flask import Flask
from sqlalchemy import select

from portal.exports.builder import build_pep_document
from portal.exports.trail import name_when_acting, pep_trail
from portal.extensions import db
from portal.models import Pep, PepRecord, User
from portal.operations import audit, staff
from portal.operations.audit import Actor
from tests.integration.clock import Clock
from tests.integration.pep_helpers import open_pep_id, section_url
from tests.integration.test_pep_snapshot import document_text, sign_off
from tests.integration.test_signoff import SUBMITTED

# What the children import might record about Oliver after his PEP is signed off: a corrected
# name, date of birth and UPN, a new reference, and a new episode of care after he came back.
CHANGED = {
    "first_name": "Olly",
    "last_name": "Brennan-Hughes",
    "date_of_birth": date(2018, 2, 3),
    "authority_reference": "DCC-9102",
    "upn": "Z999999999999",
    "date_entered_care": date(2027, 1, 11),
}
CHANGED_TEXTS = (
    "Olly",
    "Brennan-Hughes",
    "3 February 2018",
    "DCC-9102",
    "Z999999999999",
    "11 January 2027",
)
SIGNED_OFF_KEYS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "authority_reference",
    "upn",
    "date_entered_care",
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def change_the_childs_record(app: Flask, pep_id: uuid.UUID) -> None:
    with app.app_context():
        child = db.session.get(Pep, pep_id).child
        for name, value in CHANGED.items():
            setattr(child, name, value)
        db.session.commit()


class Stored(NamedTuple):
    sha256: str
    generated_at: datetime
    content: bytes


def stored_record(app: Flask, pep_id: uuid.UUID) -> Stored:
    with app.app_context():
        record = db.session.scalar(select(PepRecord).where(PepRecord.pep_id == pep_id))
        return Stored(record.sha256, record.generated_at_utc, bytes(record.content))


def rebuilt_sha256(app: Flask, pep_id: uuid.UUID, record: Stored) -> str:
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        rebuilt = build_pep_document(
            pep, settings=app.config, draft=False, generated_at=record.generated_at
        )
    return hashlib.sha256(rebuilt).hexdigest()


def answer_on_page(page: str, label: str) -> str:
    """The answer shown against `label` in the section's body (below its heading)."""
    body = page[page.index("</h1>") :]
    found = re.search(
        re.escape(label) + r'</dt>\s*<dd[^>]*>\s*<span class="openpep-answer">([^<]+)</span>', body
    )
    assert found is not None, f"no {label!r} row on the page"
    return found.group(1).strip()


def signed_off_answers(client: Any, pep_id: uuid.UUID) -> dict[str, str]:
    meeting = client.get(section_url(pep_id, "meeting_details")).get_data(as_text=True)
    about_me = client.get(section_url(pep_id, "about_me")).get_data(as_text=True)
    setting = client.get(section_url(pep_id, "education_setting")).get_data(as_text=True)
    return {
        "name": answer_on_page(meeting, "Child&#39;s name"),
        "date_of_birth": answer_on_page(meeting, "Date of birth"),
        "date_entered_care": answer_on_page(about_me, "Date the child came into care"),
        "reference": answer_on_page(about_me, "Local authority reference"),
        "upn": answer_on_page(setting, "Unique pupil number (UPN)"),
    }


def test_sign_off_keeps_who_the_pep_is_about(client_for: Any, seeded: Flask) -> None:
    pep_id = sign_off(client_for, seeded)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        child = pep.child
        assert {key: pep.snapshot[key] for key in SIGNED_OFF_KEYS} == {
            "first_name": child.first_name,
            "last_name": child.last_name,
            "date_of_birth": child.date_of_birth.isoformat(),
            "authority_reference": child.authority_reference,
            "upn": child.upn,
            "date_entered_care": child.date_entered_care.isoformat(),
        }


def test_a_signed_off_peps_pages_keep_the_childs_facts_its_record_shows(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    reviewer = client_for("reviewer")
    before = signed_off_answers(reviewer, pep_id)
    record_text = document_text(stored_record(seeded, pep_id).content)
    assert before["date_entered_care"] in record_text and before["upn"] in record_text

    change_the_childs_record(seeded, pep_id)

    # The PEP's pages say what was signed off, as its record does.
    assert signed_off_answers(reviewer, pep_id) == before
    record_text = document_text(stored_record(seeded, pep_id).content)
    for text in CHANGED_TEXTS:
        assert text not in record_text


def test_a_snapshot_taken_before_these_facts_were_kept_shows_todays(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        pep.snapshot = {
            key: value for key, value in pep.snapshot.items() if key not in SIGNED_OFF_KEYS
        }
        db.session.commit()
    change_the_childs_record(seeded, pep_id)

    shown = signed_off_answers(client_for("reviewer"), pep_id)
    assert shown == {
        "name": "Olly Brennan-Hughes",
        "date_of_birth": "3 February 2018",
        "date_entered_care": "11 January 2027",
        "reference": "DCC-9102",
        "upn": "Z999999999999",
    }
    # What the older snapshot did keep still stands.
    page = client_for("reviewer").get(section_url(pep_id, "education_setting"))
    assert answer_on_page(page.get_data(as_text=True), "School") == "Oakfield Primary School"


def test_a_record_still_verifies_by_rebuilding_after_the_signers_are_renamed(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    record = stored_record(seeded, pep_id)
    with seeded.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.openpep.test"))
        actor = Actor.for_user(admin, "127.0.0.1")
        old_names = []
        for email in ("reviewer@demo.openpep.test", "sw@demo.openpep.test"):
            person = db.session.scalar(select(User).where(User.email == email))
            old_names.append(person.display_name)
            # An ordinary admin change months later: each marries and changes their name.
            assert staff.rename(db.session, actor, person, person.display_name + "-Smith")
        db.session.commit()

    # README: the stored record is verified by rebuilding it.
    assert rebuilt_sha256(seeded, pep_id, record) == record.sha256
    text = document_text(record.content)
    for name in old_names:
        assert name in text and f"{name}-Smith" not in text


def test_a_record_still_verifies_by_rebuilding_after_the_childs_record_changes(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    record = stored_record(seeded, pep_id)
    change_the_childs_record(seeded, pep_id)
    assert rebuilt_sha256(seeded, pep_id, record) == record.sha256


def test_a_trail_row_without_the_name_when_acting_names_the_person_today(
    client_for: Any, seeded: Flask
) -> None:
    pep_id = sign_off(client_for, seeded)
    with seeded.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "reviewer@demo.openpep.test"))
        signed_off_as = reviewer.display_name
        # A row that does not describe the person as Actor.for_user does (as a description cut
        # short at the column's length does not) says nothing of the name they had.
        audit.record(
            db.session,
            Actor(reviewer, f"{signed_off_as} <reviewer@demo.openpe"),
            "pep.transition",
            "pep",
            pep_id,
            event="qa_returned",
            target="returned",
        )
        reviewer.display_name = "Dr Renamed Reviewer"
        db.session.commit()
        trail = pep_trail(db.session, db.session.get(Pep, pep_id))
    signed, described_oddly = trail[-2:]
    assert signed.event == "signed_off" and signed.who == signed_off_as
    assert described_oddly.who == "Dr Renamed Reviewer"


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("Ana Lee <ana@example.test> (Virtual School reviewer)", "Ana Lee"),
        ("Ana <Lee> Jones <ana@example.test> (no role)", "Ana <Lee> Jones"),
        ("Ana Lee <ana@example.test> (Carer, Social worker)", "Ana Lee"),
        ("Ana Lee <ana@exam", None),  # cut short at the column's length
        ("System: import", None),
        ("Carer (invite link)", None),
    ],
)
def test_the_name_a_person_acted_under_is_read_from_the_audit_row(
    description: str, name: str | None
) -> None:
    assert name_when_acting(description) == name


def test_a_peps_year_group_is_the_same_on_its_page_and_in_its_draft(
    client_for: Any, seeded: Flask, clock: Clock
) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        # The autumn PEP is still waiting for approval when the next school year begins.
        clock.day = date(pep.academic_year + 1, 9, 15)
        expected = pep.child.year_group_label(date(pep.academic_year, 9, 1))
        assert pep.child.year_group_label(clock.day) != expected
    reviewer = client_for("reviewer")
    page = reviewer.get(section_url(pep_id, "education_setting")).get_data(as_text=True)
    caption = page[page.index('id="pep-facts"') :]
    assert expected in caption[: caption.index("</span>")]
    assert answer_on_page(page, "Year group") == expected
    draft = document_text(reviewer.get(f"/peps/{pep_id}/export/draft.docx").data)
    assert f"Year group | {expected}" in draft
