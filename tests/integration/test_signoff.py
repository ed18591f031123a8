"""The sign-off process through the portal: submit, approve, return, quality-assure, lock."""

import pytest
from markupsafe import escape
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import AuditEvent, Child, Pep
from tests.conftest import DEMO_EMAILS, complete_oidc_sign_in, csrf_token_from, portal_config
from tests.integration.pep_helpers import form_fields, open_pep_id, section_url, stored_section
from workflows.quality import load_qa_criteria

SUBMITTED = "DCC-1102"  # Oliver: Oakfield, social worker's caseload, with the demo carer
APPROVED = "DCC-1104"  # Jacob: Oakfield, approved, waiting for quality assurance
DRAFT = "DCC-1106"  # Harry: Oakfield, draft with only some sections done
SIGNED_OFF = "DCC-1105"  # Sophie: this term's PEP is signed off


def state_of(app, pep_id):
    with app.app_context():
        return db.session.get(Pep, pep_id).state


def post_event(client, pep_id, event, reason=None):
    data = {"csrf_token": csrf_token_from(client, f"/peps/{pep_id}")}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/peps/{pep_id}/events/{event}", data=data)


def qa_form(client, pep_id, rating, decision, feedback="", judgement="met"):
    data = {
        "csrf_token": csrf_token_from(client, f"/peps/{pep_id}/quality-assurance"),
        "decision": decision,
        "feedback": feedback,
    }
    if rating:
        data["rating"] = rating
    for criterion in load_qa_criteria().criteria:
        data[f"judgement-{criterion.key}"] = judgement
    return client.post(f"/peps/{pep_id}/quality-assurance", data=data)


def test_social_worker_approves_and_reviewer_signs_off_then_the_record_is_locked(
    client_for, seeded
):
    pep_id = open_pep_id(seeded, SUBMITTED)
    social_worker = client_for("social_worker")
    assert "Approve" in social_worker.get(f"/peps/{pep_id}").get_data(as_text=True)
    response = post_event(social_worker, pep_id, "approved")
    assert response.status_code == 303
    assert state_of(seeded, pep_id) == "approved"

    reviewer = client_for("reviewer")
    page = reviewer.get(f"/peps/{pep_id}/quality-assurance").get_data(as_text=True)
    assert "Checks made by the portal" in page and "Child&#39;s views captured" in page
    response = qa_form(reviewer, pep_id, "green", "signed_off", "A strong plan.")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "signed_off"

    with seeded.app_context():
        child_id = db.session.get(Pep, pep_id).child_id
        states = dict(
            db.session.execute(select(Pep.id, Pep.state).where(Pep.child_id == child_id)).all()
        )
        assert list(states.values()).count("signed_off") == 1  # the earlier record was superseded
        assert "superseded" in states.values()

    history = social_worker.get(f"/peps/{pep_id}").get_data(as_text=True)
    assert "Approved by social worker" in history or "Approved" in history
    assert "Signed off" in history
    assert "Sam Okoro (Social worker)" in history
    assert "Alex Morgan (Virtual School reviewer)" in history

    # Locked: no route can change it.
    dt = client_for("dt_oakfield")
    fields = form_fields(
        dt.get(section_url(pep_id, "attendance_exclusions")).get_data(as_text=True)
    )
    assert 'id="section-form"' not in dt.get(section_url(pep_id, "attendance_exclusions")).get_data(
        as_text=True
    )
    saved = dt.post(
        section_url(pep_id, "attendance_exclusions"),
        data={"csrf_token": csrf_token_from(dt, "/children"), "version": "1", **dict(fields)},
    )
    assert saved.status_code == 403
    for who, event in [
        ("dt_oakfield", "resubmitted"),
        ("social_worker", "returned"),
        ("admin", "cancelled"),
    ]:
        client = client_for(who) if who != "dt_oakfield" else dt
        response = post_event(client, pep_id, event, reason="Trying to change the record")
        assert response.status_code == 400
        assert "signed off and cannot be changed" in response.get_data(as_text=True)
    assert qa_form(reviewer, pep_id, "red", "qa_returned", "x").status_code == 403
    assert state_of(seeded, pep_id) == "signed_off"


def test_return_needs_a_reason_and_the_teacher_fixes_and_resubmits(client_for, seeded):
    pep_id = open_pep_id(seeded, SUBMITTED)
    social_worker = client_for("social_worker")
    refused = post_event(social_worker, pep_id, "returned", reason="  ")
    assert refused.status_code == 400
    assert "Enter a reason for returning the PEP" in refused.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "submitted"

    response = post_event(social_worker, pep_id, "returned", reason="Add the new school's URN")
    assert response.status_code == 303
    assert state_of(seeded, pep_id) == "returned"
    dt = client_for("dt_oakfield")
    page = dt.get(f"/peps/{pep_id}").get_data(as_text=True)
    assert "Add the new school&#39;s URN" in page
    assert "Returned by social worker" in page
    assert post_event(dt, pep_id, "resubmitted").status_code == 303
    assert state_of(seeded, pep_id) == "submitted"


def test_submitting_an_incomplete_pep_is_refused_with_reasons(client_for, seeded):
    pep_id = open_pep_id(seeded, DRAFT)
    dt = client_for("dt_oakfield")
    response = post_event(dt, pep_id, "submitted")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "You cannot submit" in page
    with seeded.app_context():
        title = definition_for(db.session.get(Pep, pep_id)).section("attendance_exclusions").title
    assert escape(f'section "{title}" is not complete') in page
    assert state_of(seeded, pep_id) == "draft"
    with seeded.app_context():
        refused = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pep.transition_refused")
        )
        assert refused.details["event"] == "submitted" and refused.details["reasons"]


@pytest.mark.parametrize(
    ("who", "event"),
    [
        ("carer", "approved"),
        ("dt_oakfield", "approved"),
        ("reviewer", "approved"),
        ("social_worker", "cancelled"),
    ],
)
def test_the_wrong_person_is_refused(who, event, client_for, seeded):
    pep_id = open_pep_id(seeded, SUBMITTED)
    response = post_event(client_for(who), pep_id, event, reason="because")
    assert response.status_code == 400
    assert state_of(seeded, pep_id) == "submitted"


def test_a_red_rating_must_be_returned_not_signed_off(client_for, seeded):
    pep_id = open_pep_id(seeded, APPROVED)
    reviewer = client_for("reviewer")
    response = qa_form(reviewer, pep_id, "red", "signed_off", "Targets are vague")
    assert response.status_code == 400
    assert "must be returned with feedback, not signed off" in response.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "approved"
    assert stored_section(seeded, pep_id, "quality_assurance").answers["rating"] == "red"  # kept
    response = qa_form(reviewer, pep_id, "red", "qa_returned", "Make each target measurable")
    assert response.status_code == 303
    assert state_of(seeded, pep_id) == "returned"
    page = client_for("dt_oakfield").get(f"/peps/{pep_id}").get_data(as_text=True)
    assert "Make each target measurable" in page


def test_a_pep_returned_by_quality_assurance_is_judged_afresh_when_it_comes_back(
    client_for, seeded
):
    """The return's rating, judgements and feedback are shown to the reviewer when the PEP
    comes back, but not carried into the next decision or the signed-off record."""
    pep_id = open_pep_id(seeded, SUBMITTED)
    dt, social_worker = client_for("dt_oakfield"), client_for("social_worker")
    reviewer = client_for("reviewer")
    assert post_event(social_worker, pep_id, "approved").status_code == 303
    asked = "Make each target measurable.\nAdd the reading age."
    returned = qa_form(reviewer, pep_id, "amber", "qa_returned", asked)
    assert returned.status_code == 303
    assert state_of(seeded, pep_id) == "returned"
    qa = stored_section(seeded, pep_id, "quality_assurance").answers
    assert "rating" not in qa and "feedback" not in qa and "judgements" not in qa
    assert qa["returned"]["rating"] == "amber" and qa["returned"]["feedback"] == asked

    assert "Make each target measurable." in dt.get(f"/peps/{pep_id}").get_data(as_text=True)
    assert post_event(dt, pep_id, "resubmitted").status_code == 303
    assert post_event(social_worker, pep_id, "approved").status_code == 303

    page = reviewer.get(f"/peps/{pep_id}/quality-assurance").get_data(as_text=True)
    assert "This PEP was returned with feedback on " in page and "rated Amber" in page
    assert "Make each target measurable.<br>Add the reading age." in page
    assert "checked" not in page  # no rating or judgement carried over
    assert asked.splitlines()[0] not in page.split('id="feedback"')[1].split("</textarea>")[0]
    # Signing off at once, as the page comes, is refused: the PEP has not been rated again.
    data = {
        "csrf_token": csrf_token_from(reviewer, f"/peps/{pep_id}/quality-assurance"),
        "decision": "signed_off",
        "feedback": "",
    }
    assert reviewer.post(f"/peps/{pep_id}/quality-assurance", data=data).status_code == 400
    assert state_of(seeded, pep_id) == "approved"

    signed = qa_form(reviewer, pep_id, "green", "signed_off", "Measurable targets now.")
    assert signed.status_code == 303
    assert state_of(seeded, pep_id) == "signed_off"
    qa = stored_section(seeded, pep_id, "quality_assurance").answers
    assert (qa["rating"], qa["feedback"]) == ("green", "Measurable targets now.")


def test_qa_returned_without_feedback_is_refused(client_for, seeded):
    pep_id = open_pep_id(seeded, APPROVED)
    response = qa_form(client_for("reviewer"), pep_id, "amber", "qa_returned", "")
    assert response.status_code == 400
    assert state_of(seeded, pep_id) == "approved"


@pytest.mark.parametrize(
    ("decision", "state"), [("signed_off", "signed_off"), ("qa_returned", "returned")]
)
def test_long_feedback_the_form_takes_goes_with_either_decision(
    decision, state, client_for, seeded
):
    """Feedback may be 5,000 characters: a reviewer who writes more than a reason's 2,000 can
    still sign off or return, and more than 5,000 is refused in plain words, keeping nothing."""
    pep_id = open_pep_id(seeded, APPROVED)
    reviewer = client_for("reviewer")
    too_long = qa_form(reviewer, pep_id, "green", decision, "x" * 5001)
    assert too_long.status_code == 400
    assert "Feedback must be 5,000 characters or fewer" in too_long.get_data(as_text=True)
    assert state_of(seeded, pep_id) == "approved"
    feedback = "The targets are measurable and the plan for phonics is clear. " * 40
    assert 2000 < len(feedback) < 5000
    response = qa_form(reviewer, pep_id, "green", decision, feedback)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert state_of(seeded, pep_id) == state


def test_the_authority_can_choose_the_ofsted_scale(migrated_database, oidc_provider, seeded):
    app = create_app(
        portal_config(migrated_database, oidc_provider, QA_SCALE="ofsted", QA_THRESHOLD="good")
    )
    client = app.test_client()
    complete_oidc_sign_in(client, oidc_provider, DEMO_EMAILS["reviewer"])
    pep_id = open_pep_id(app, APPROVED)
    page = client.get(f"/peps/{pep_id}/quality-assurance").get_data(as_text=True)
    assert "Requires improvement" in page and "Outstanding" in page
    response = qa_form(client, pep_id, "requires_improvement", "signed_off", "Nearly")
    assert response.status_code == 400
    assert qa_form(client, pep_id, "good", "signed_off", "Good plan").status_code == 303
    with app.app_context():
        db.engine.dispose()


def test_cancel_needs_a_reason_and_keeps_the_pep(client_for, seeded):
    pep_id = open_pep_id(seeded, DRAFT)
    admin = client_for("admin")
    assert post_event(admin, pep_id, "cancelled", reason="").status_code == 400
    assert (
        post_event(admin, pep_id, "cancelled", reason="Left care: returned home").status_code == 303
    )
    assert state_of(seeded, pep_id) == "cancelled"
    assert "Left care: returned home" in admin.get(f"/peps/{pep_id}").get_data(as_text=True)


def test_only_reviewers_reach_quality_assurance(client_for, seeded):
    pep_id = open_pep_id(seeded, APPROVED)
    for who in ("dt_oakfield", "social_worker", "admin"):
        assert client_for(who).get(f"/peps/{pep_id}/quality-assurance").status_code == 403


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("social_worker", "Check and approve, or return"),
        ("reviewer", "Quality-assure and sign off"),
        ("dt_oakfield", "Complete"),
        ("carer", "Complete 1 section"),
    ],
)
def test_my_tasks_lists_what_is_waiting(who, expected, client_for):
    page = client_for(who).get("/tasks").get_data(as_text=True)
    assert expected in page


def test_my_tasks_shows_only_visible_children(client_for, seeded):
    page = client_for("dt_riverside").get("/tasks").get_data(as_text=True)
    with seeded.app_context():
        oakfield_names = [
            c.full_name
            for c in db.session.scalars(select(Child))
            if c.current_school and c.current_school.urn == "900201"
        ]
    assert not any(name in page for name in oakfield_names)
