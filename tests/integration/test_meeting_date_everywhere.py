"""The PEP meeting date is one value: typed into the meeting details section it becomes the
PEP's, shown on the PEP page, the meeting page and the Word record; it must fall in the PEP's
term; and reading the meeting page is audited."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import lxml.html
from sqlalchemy import select

from forms.fields import format_date_for_people
from portal.extensions import db
from portal.models import AuditEvent, Pep
from tests.integration import test_meetings
from tests.integration.pep_helpers import form_fields, page, post_form, replace_field, section_url
from tests.integration.test_meetings import post_meeting
from tests.unit.exports.docx_reading import open_docx, table_rows

# The meeting tests' fixtures: the portal sending email through a real SMTP server on loopback,
# and Chloe's open PEP moved to next year's autumn term (every date chosen is in the future).
smtp_sink = test_meetings.smtp_sink
app = test_meetings.app
chloe_pep = test_meetings.chloe_pep


def date_parts(day: date | None) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year)) if day else ("", "", "")


def save_meeting_date(client, pep_id, day, **answers):
    data = form_fields(page(client, section_url(pep_id, "meeting_details")))
    data = replace_field(data, "meeting_date", *date_parts(day))
    if day:
        # The next PEP meeting may not be before this one (a check across the section's
        # fields), and the fixture has moved the PEP a year on from its demo answers: the next
        # meeting is set a term after the day chosen so only the meeting date is in question.
        data = replace_field(data, "next_pep_date", *date_parts(day + timedelta(weeks=13)))
    for name, value in answers.items():
        data = replace_field(data, name, value)
    return post_form(client, pep_id, "meeting_details", data)


def stored(application, pep_id):
    with application.app_context():
        pep = db.session.get(Pep, uuid.UUID(str(pep_id)))
        return pep.meeting_date, pep.section("meeting_details").answers


def cover_meeting_date(client, pep_id) -> str:
    response = client.get(f"/peps/{pep_id}/export/draft.docx")
    assert response.status_code == 200
    rows = table_rows(open_docx(response.data).tables[0])
    return dict(row for row in rows if len(row) == 2)["PEP meeting date"]


def pep_page_meeting_link(client, pep_id) -> tuple[str, str]:
    document = lxml.html.document_fromstring(page(client, f"/peps/{pep_id}"))
    paragraph = document.get_element_by_id("pep-meeting")
    link = paragraph.xpath(".//a")[0]
    return " ".join(link.text_content().split()), link.get("href")


def test_a_date_saved_in_the_section_is_the_peps_everywhere(seeded, client_for, chloe_pep):
    teacher = client_for("dt_riverside")
    pep_id = chloe_pep["id"]
    day = chloe_pep["meeting_date"]
    assert save_meeting_date(teacher, pep_id, day).status_code == 303
    meeting_date, answers = stored(seeded, pep_id)
    assert meeting_date == day and answers["meeting_date"] == day.isoformat()

    text, href = pep_page_meeting_link(teacher, pep_id)
    assert text == f"PEP meeting: {day:%A} {format_date_for_people(day)}"
    assert href == f"/peps/{pep_id}/meeting"
    assert cover_meeting_date(teacher, pep_id) == format_date_for_people(day)

    # A meeting arranged for that day, then the section moved by hand: the PEP follows the
    # section, and the meeting page says the two disagree, naming the section's date.
    assert post_meeting(client_for("social_worker"), chloe_pep).status_code == 303
    moved = day + timedelta(days=3)
    assert save_meeting_date(teacher, pep_id, moved).status_code == 303
    assert stored(seeded, pep_id)[0] == moved
    assert pep_page_meeting_link(teacher, pep_id)[0].endswith(format_date_for_people(moved))
    assert cover_meeting_date(teacher, pep_id) == format_date_for_people(moved)
    meeting_page = lxml.html.document_fromstring(page(teacher, f"/peps/{pep_id}/meeting"))
    warning = " ".join(meeting_page.get_element_by_id("dates-disagree").text_content().split())
    assert format_date_for_people(moved) in warning

    # Clearing the section's date clears the PEP's: the link offers to arrange one.
    assert save_meeting_date(teacher, pep_id, None).status_code in (303, 400)
    assert stored(seeded, pep_id)[0] is None
    assert pep_page_meeting_link(teacher, pep_id)[0] == "Arrange the PEP meeting"


def test_a_date_outside_the_peps_term_is_refused_naming_the_term(seeded, client_for, chloe_pep):
    teacher = client_for("dt_riverside")
    pep_id = chloe_pep["id"]
    window = chloe_pep["window"]
    before_date, before_answers = stored(seeded, pep_id)
    for outside in (window.starts_on - timedelta(days=1), window.ends_on + timedelta(days=1)):
        response = save_meeting_date(teacher, pep_id, outside, meeting_venue="The school library")
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        sentence = (
            f"The date of the PEP meeting must be in the PEP&#39;s term: {window.name} runs from "
            f"{format_date_for_people(window.starts_on)} to "
            f"{format_date_for_people(window.ends_on)}"
        )
        assert sentence in html
        assert 'href="#meeting_date-day"' in html
        meeting_date, answers = stored(seeded, pep_id)
        # The date is not saved, nor the PEP's changed; the rest of the section is saved.
        assert meeting_date == before_date
        assert answers.get("meeting_date") == before_answers.get("meeting_date")
        assert answers["meeting_venue"] == "The school library"
    # The first and last days of the term are in it.
    for inside in (window.starts_on, window.ends_on):
        assert save_meeting_date(teacher, pep_id, inside).status_code == 303
        assert stored(seeded, pep_id)[0] == inside


def test_reading_the_meeting_page_is_audited(seeded, client_for, chloe_pep):
    carer = client_for("carer")
    pep_id = chloe_pep["id"]
    assert carer.get(f"/peps/{pep_id}/meeting").status_code == 200
    with seeded.app_context():
        viewed = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "pep.viewed", AuditEvent.object_id == str(pep_id)
            )
        ).all()
        assert [event.details["part"] for event in viewed] == ["meeting"]
    # A page that is not shown (no such PEP for this person) writes nothing.
    assert client_for("dt_oakfield").get(f"/peps/{pep_id}/meeting").status_code == 404
    with seeded.app_context():
        count = len(
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "pep.viewed", AuditEvent.object_id == str(pep_id)
                )
            ).all()
        )
        assert count == 1
