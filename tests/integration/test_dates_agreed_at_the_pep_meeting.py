"""A date agreed at the PEP meeting stays valid after the meeting: an action due six days after
the meeting, written up four days after it, does not stop the designated teacher submitting or
the social worker approving eleven days after it. A date before the meeting is still refused,
saying which meeting."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from markupsafe import escape

from forms.fields import format_date_for_people
from portal.extensions import db
from portal.models import Pep
from tests.conftest import csrf_token_from
from tests.integration.clock import Clock
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    page,
    post_form,
    replace_field,
    section_url,
)

OLIVER = "DCC-1102"  # Oakfield, the social worker's caseload; every section complete


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def written_up_pep(seeded) -> dict:
    """Oliver's PEP back in draft, as it is while the teacher writes it up after the meeting,
    with the meeting date the PEP holds."""
    pep_id = open_pep_id(seeded, OLIVER)
    with seeded.app_context():
        pep = db.session.get(Pep, uuid.UUID(str(pep_id)))
        pep.state = "draft"
        db.session.commit()
        meeting_date = pep.meeting_date
        answers = pep.section("meeting_details").answers
    assert meeting_date is not None
    assert answers.get("meeting_date") == meeting_date.isoformat()  # the one meeting date
    return {"id": pep_id, "meeting_date": meeting_date}


def state_of(app, pep_id) -> str:
    with app.app_context():
        return db.session.get(Pep, pep_id).state


def deadline_of(app, pep_id) -> str:
    with app.app_context():
        pep = db.session.get(Pep, pep_id)
        return pep.section("actions_agreed").answers["actions"][0]["deadline"]


def task_status(task_list_html: str, pep_id, section_key: str) -> str:
    """The status the PEP's task list shows beside one section."""
    for item in re.findall(r'<li class="govuk-task-list__item.*?</li>', task_list_html, re.S):
        if f'/peps/{pep_id}/sections/{section_key}"' in item:
            status = re.search(r'class="govuk-task-list__status[^"]*"[^>]*>(.*?)</div>', item, re.S)
            assert status is not None, item
            return re.sub(r"<[^>]+>", "", status.group(1)).strip()
    raise AssertionError(f"no task for {section_key}")


def post_event(client, pep_id, event: str):
    data = {"csrf_token": csrf_token_from(client, f"/peps/{pep_id}")}
    return client.post(f"/peps/{pep_id}/events/{event}", data=data)


def save_first_deadline(client, pep_id, day: date):
    data = form_fields(page(client, section_url(pep_id, "actions_agreed")))
    assert any(name == "actions-0-deadline" for name, _value in data)
    data = replace_field(data, "actions-0-deadline", str(day.day), str(day.month), str(day.year))
    return post_form(client, pep_id, "actions_agreed", data)


def test_an_agreed_deadline_that_has_passed_does_not_stop_submission_or_approval(
    seeded, client_for, clock, written_up_pep
):
    pep_id, meeting = written_up_pep["id"], written_up_pep["meeting_date"]
    teacher = client_for("dt_oakfield")

    clock.day = meeting + timedelta(days=4)
    agreed = meeting + timedelta(days=6)
    assert save_first_deadline(teacher, pep_id, agreed).status_code == 303
    assert deadline_of(seeded, pep_id) == agreed.isoformat()

    # A week after the deadline agreed, nobody has touched it: the task list still counts the
    # section complete, and saving it again as it stands is accepted.
    clock.day = meeting + timedelta(days=11)
    assert task_status(page(teacher, f"/peps/{pep_id}"), pep_id, "actions_agreed") == "Completed"
    assert save_first_deadline(teacher, pep_id, agreed).status_code == 303
    response = post_event(teacher, pep_id, "submitted")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "submitted"

    response = post_event(client_for("social_worker"), pep_id, "approved")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "approved"
    assert deadline_of(seeded, pep_id) == agreed.isoformat()


def test_a_deadline_before_the_meeting_is_refused_naming_the_meeting(
    seeded, client_for, clock, written_up_pep
):
    pep_id, meeting = written_up_pep["id"], written_up_pep["meeting_date"]
    teacher = client_for("dt_oakfield")
    clock.day = meeting + timedelta(days=11)
    before = deadline_of(seeded, pep_id)

    response = save_first_deadline(teacher, pep_id, meeting - timedelta(days=1))
    assert response.status_code == 400
    message = (
        "Action 1: The deadline must be on or after the PEP meeting on "
        f"{format_date_for_people(meeting)}"
    )
    assert str(escape(message)) in response.get_data(as_text=True)
    assert deadline_of(seeded, pep_id) == before  # not saved

    # The meeting day itself is fine, long after it.
    assert save_first_deadline(teacher, pep_id, meeting).status_code == 303
    assert deadline_of(seeded, pep_id) == meeting.isoformat()
