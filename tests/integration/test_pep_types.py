"""A PEP's type: proposed by the child's situation, chosen on the start page, saved and audited,
a type not on the list refused, and shown on the PEP page, My tasks, the child's page and the
Word document's cover."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import lxml.html
from sqlalchemy import select

from portal.exports.builder import build_pep_document
from portal.extensions import db
from portal.models import AuditEvent, Child, ChildEvent, Pep, PepRecord
from portal.operations.peps import proposed_pep_type
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import page
from tests.unit.exports.docx_reading import open_docx, table_rows
from workflows.pep_types import PepType

ISLA = "DCC-1107"  # Oakfield, no open PEP, two signed-off PEPs from earlier terms
JAYDEN = "DCC-1501"  # entered care with no school place and has no PEP


def child_id(app, reference: str) -> uuid.UUID:
    with app.app_context():
        return db.session.scalar(select(Child.id).where(Child.authority_reference == reference))


def proposal_for(app, reference: str) -> PepType:
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        return proposed_pep_type(db.session, child).pep_type


def peps_started_days_ago(app, reference: str, days: int) -> None:
    """Isla's PEPs as if started `days` ago, after every change the demo data records."""
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        for pep in db.session.scalars(select(Pep).where(Pep.child_id == child.id)):
            pep.created_at_utc = datetime.now(UTC) - timedelta(days=days)
        db.session.commit()


def record_event(app, reference: str, kind: str, days_ago: int) -> None:
    with app.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == reference))
        db.session.add(
            ChildEvent(
                child_id=child.id,
                kind=kind,
                occurred_on=date.today() - timedelta(days=days_ago),
                details={},
                recorded_by_description="A test",
            )
        )
        db.session.commit()


def checked_type(html: str) -> list[str]:
    document = lxml.html.document_fromstring(html)
    return document.xpath("//input[@name='pep_type'][@checked]/@value")


def start(client, the_child_id, **fields):
    path = f"/children/{the_child_id}/peps/new"
    html = page(client, path)
    term = re.search(r'name="term" type="radio" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_token_from(client, path), "term": term, **fields}
    return client.post(f"/children/{the_child_id}/peps", data=data)


def test_the_childs_situation_proposes_the_type(seeded):
    # No PEP since entering care: the initial PEP (Jayden, in the issue).
    assert proposal_for(seeded, JAYDEN) is PepType.INITIAL
    # Isla's latest PEP started after every change in her life: the termly review.
    peps_started_days_ago(seeded, ISLA, 30)
    assert proposal_for(seeded, ISLA) is PepType.TERMLY
    # A change before the latest PEP does not count; one after it does, the latest winning.
    record_event(seeded, ISLA, "placement_changed", 40)
    assert proposal_for(seeded, ISLA) is PepType.TERMLY
    record_event(seeded, ISLA, "placement_changed", 10)
    assert proposal_for(seeded, ISLA) is PepType.CHANGE_OF_PLACEMENT
    record_event(seeded, ISLA, "school_changed", 5)
    assert proposal_for(seeded, ISLA) is PepType.CHANGE_OF_SCHOOL
    # Leaving a school with no new place is a change of setting too.
    record_event(seeded, ISLA, "no_school_place", 8)
    assert proposal_for(seeded, ISLA) is PepType.CHANGE_OF_SCHOOL
    # Coming back into care after the latest PEP: the initial PEP again.
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == ISLA))
        child.date_entered_care = date.today() - timedelta(days=2)
        db.session.commit()
    assert proposal_for(seeded, ISLA) is PepType.INITIAL


def test_the_start_page_chooses_the_proposal_and_the_choice_is_saved_and_audited(
    seeded, client_for
):
    admin = client_for("admin")
    jayden = child_id(seeded, JAYDEN)
    html = page(admin, f"/children/{jayden}/peps/new")
    assert checked_type(html) == ["initial"]
    assert "What type of PEP is this?" in html
    assert "Entered care on" in html and "so we suggest: Initial PEP (entering care)" in html
    # A link may ask for another type; the page chooses it.
    asked = page(admin, f"/children/{jayden}/peps/new?pep_type=change_of_placement")
    assert checked_type(asked) == ["change_of_placement"]
    assert checked_type(page(admin, f"/children/{jayden}/peps/new?pep_type=nonsense")) == [
        "initial"
    ]

    isla = child_id(seeded, ISLA)
    response = start(admin, isla, pep_type="change_of_school")
    assert response.status_code == 303
    pep_id = uuid.UUID(response.headers["Location"].rsplit("/", 1)[-1])
    with seeded.app_context():
        assert db.session.get(Pep, pep_id).pep_type == "change_of_school"
        started = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "pep.started", AuditEvent.object_id == str(pep_id)
            )
        )
        assert started.details["pep_type"] == "change_of_school"


def test_a_type_not_on_the_list_is_refused_with_a_sentence(seeded, client_for):
    admin = client_for("admin")
    isla = child_id(seeded, ISLA)
    for nonsense in ("annual", "Termly", "termly; DROP TABLE peps"):
        response = start(admin, isla, pep_type=nonsense)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Select the type of PEP" in html and 'href="#pep_type"' in html
    with seeded.app_context():
        assert (
            db.session.scalar(select(Pep).where(Pep.child_id == isla, Pep.state == "draft")) is None
        )


def test_the_type_is_shown_wherever_the_pep_is(seeded, client_for):
    admin = client_for("admin")
    isla = child_id(seeded, ISLA)
    response = start(admin, isla, pep_type="change_of_placement")
    pep_id = response.headers["Location"].rsplit("/", 1)[-1]
    label = "Change of placement"

    pep_page = lxml.html.document_fromstring(page(admin, f"/peps/{pep_id}"))
    assert pep_page.get_element_by_id("pep-type").text_content() == f"Type: {label}"

    # Isla's designated teacher has the PEP to complete: the row names its type.
    teacher = client_for("dt_oakfield")
    tasks = lxml.html.document_fromstring(page(teacher, "/tasks?sort=child"))
    rows = [
        " ".join(row.text_content().split())
        for row in tasks.xpath("//tbody/tr")
        if "Isla Campbell" in row.text_content()
    ]
    assert rows and all(label in row for row in rows)

    child_page = lxml.html.document_fromstring(page(admin, f"/children/{isla}"))
    history = [
        " ".join(row.text_content().split())
        for row in child_page.xpath("//table[caption[contains(., 'PEP history')]]/tbody/tr")
    ]
    assert label in history[0]
    assert all("Termly review" in row for row in history[1:])  # PEPs from before types

    draft = admin.get(f"/peps/{pep_id}/export/draft.docx")
    assert draft.status_code == 200
    cover = dict(row for row in table_rows(open_docx(draft.data).tables[0]) if len(row) == 2)
    assert cover["Type of PEP"] == label


def test_a_change_since_the_latest_pep_offers_a_new_pep_of_its_type(seeded, client_for):
    admin = client_for("admin")
    isla = child_id(seeded, ISLA)
    peps_started_days_ago(seeded, ISLA, 30)
    child_page = lxml.html.document_fromstring(page(admin, f"/children/{isla}"))
    assert not child_page.xpath("//*[@id='new-pep-due']")  # the termly review: nothing to say
    record_event(seeded, ISLA, "school_changed", 5)
    child_page = lxml.html.document_fromstring(page(admin, f"/children/{isla}"))
    due = child_page.get_element_by_id("new-pep-due")
    assert "A new PEP is due: start a change of school or setting PEP" in " ".join(
        due.text_content().split()
    )
    href = due.xpath(".//a/@href")[0]
    assert href == f"/children/{isla}/peps/new?pep_type=change_of_school"
    assert checked_type(page(admin, href)) == ["change_of_school"]
    # Once the PEP is started, the child's page no longer offers one.
    assert start(admin, isla, pep_type="change_of_school").status_code == 303
    child_page = lxml.html.document_fromstring(page(admin, f"/children/{isla}"))
    assert not child_page.xpath("//*[@id='new-pep-due']")


def test_the_peps_other_pages_name_its_type_under_the_childs_name(seeded, client_for):
    admin = client_for("admin")
    response = start(admin, child_id(seeded, ISLA), pep_type="after_exclusion")
    pep_id = response.headers["Location"].rsplit("/", 1)[-1]
    for path in (f"/peps/{pep_id}/sections/meeting_details", f"/peps/{pep_id}/meeting"):
        document = lxml.html.document_fromstring(page(admin, path))
        caption = document.xpath("//span[contains(@class, 'govuk-caption-l')]")[0].text_content()
        assert "After a permanent exclusion" in caption, path


def test_a_stored_record_is_served_as_stored_and_only_new_documents_name_a_new_type(
    seeded, client_for
):
    with seeded.app_context():
        record = db.session.scalar(select(PepRecord).order_by(PepRecord.generated_at_utc).limit(1))
        assert record is not None
        pep_id, stored_bytes = record.pep_id, record.content
        # The PEP's type changed after its record was made (as for every PEP from before
        # types were recorded, which became termly reviews).
        db.session.get(Pep, pep_id).pep_type = "change_of_school"
        db.session.commit()
    admin = client_for("admin")
    response = admin.get(f"/peps/{pep_id}/export/record.docx")
    assert response.status_code == 200
    assert response.data == stored_bytes  # byte for byte: the record is never rebuilt
    stored_cover = dict(
        row for row in table_rows(open_docx(stored_bytes).tables[0]) if len(row) == 2
    )
    assert stored_cover.get("Type of PEP") != "Change of school or setting"
    with seeded.app_context():
        pep = db.session.get(Pep, pep_id)
        rebuilt = build_pep_document(
            pep, settings=seeded.config, draft=True, generated_at=datetime.now(UTC)
        )
    cover = dict(row for row in table_rows(open_docx(rebuilt).tables[0]) if len(row) == 2)
    assert cover["Type of PEP"] == "Change of school or setting"
