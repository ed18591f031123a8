"""Races and outages answer with sentences, never a 500, and nothing half-saves.

Races run on both databases (the `app` and `client_for` fixtures); the outage tests start a
PostgreSQL cluster of their own, so that they can stop it and start it again.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, func, select, text
from werkzeug.datastructures import MultiDict

from devtools.oidc_provider import OidcProvider
from devtools.postgres import (
    PostgresCluster,
    running_postgres,
    start_postgres_again,
    stop_postgres,
)
from portal import create_app
from portal.extensions import db
from portal.migrate import upgrade_to_latest
from portal.models import AuditEvent, Pep, PepRecord, User
from portal.operations.audit import Actor
from portal.operations.invites import (
    InviteOvertaken,
    create_invite,
    record_child_voice_note,
    save_through_invite,
)
from portal.operations.workflow import (
    QA_SECTION,
    Overtaken,
    QaEntry,
    qa_scale,
    record_quality_assurance,
    transition_pep,
)
from tests.conftest import DEMO_EMAILS, complete_oidc_sign_in, csrf_token_from, portal_config
from tests.integration.pep_helpers import form_fields, open_pep_id, section_url, stored_section
from workflows.engine import Accepted
from workflows.pep import PepEvent
from workflows.quality import load_qa_criteria
from workflows.roles import Role

SUBMITTED = "DCC-1102"  # Oliver: Oakfield, submitted, on the demo social worker's caseload
APPROVED = "DCC-1104"  # Jacob: Oakfield, approved, waiting for quality assurance
HARRY = "DCC-1106"  # Harry: Oakfield, draft
RACERS = 10
# "… by Alex Morgan at 10:42 on 27 November 2026."
AT_A_MOMENT = r" at \d\d:\d\d on \d{1,2} [A-Z][a-z]+ \d{4}\."


def all_at_once(requests: list[Callable[[], Any]]) -> list[Any]:
    """Run each request in its own thread, released together, and return what each answered."""
    start = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def run(index: int) -> None:
        start.wait()
        try:
            answers[index] = requests[index]()
        except Exception as error:  # a test client re-raises nothing, but be sure to report
            answers[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def qa_post(client: FlaskClient, pep_id: Any, decision: str, feedback: str) -> Callable[[], Any]:
    """A reviewer's quality assurance form, ready to send (its CSRF token read now)."""
    data = {
        "csrf_token": csrf_token_from(client, f"/peps/{pep_id}/quality-assurance"),
        "decision": decision,
        "feedback": feedback,
        "rating": "green",
        **{f"judgement-{c.key}": "met" for c in load_qa_criteria().criteria},
    }
    return lambda: client.post(f"/peps/{pep_id}/quality-assurance", data=data)


def event_post(client: FlaskClient, pep_id: Any, event_name: str, **form: str) -> Callable[[], Any]:
    data = {"csrf_token": csrf_token_from(client, f"/peps/{pep_id}"), **form}
    return lambda: client.post(f"/peps/{pep_id}/events/{event_name}", data=data)


def text_of(response: Any) -> str:
    assert not isinstance(response, Exception), response
    return response.get_data(as_text=True)


def count_audit(app: Flask, pep_id: Any, action: str, **details: str) -> int:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_id == str(pep_id), AuditEvent.action == action
            )
        ).all()
        return sum(1 for e in events if all(e.details.get(k) == v for k, v in details.items()))


def records_of(app: Flask, pep_id: Any) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(PepRecord).where(PepRecord.pep_id == pep_id)
        )


def state_of(app: Flask, pep_id: Any) -> str:
    with app.app_context():
        return db.session.get(Pep, pep_id).state


def assert_no_server_errors(responses: list[Any]) -> None:
    for response in responses:
        assert not isinstance(response, Exception), response
        assert response.status_code < 500, text_of(response)[:2000]
        assert "Internal Server Error" not in text_of(response)


# --------------------------------------------------------------------------------------------
# Races through the portal, many people at once
# --------------------------------------------------------------------------------------------


def test_ten_reviewers_signing_off_at_once_make_one_sign_off_and_one_record(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, APPROVED)
    reviewers = [client_for("reviewer") for _ in range(RACERS)]
    requests = [
        qa_post(client, pep_id, "signed_off", f"Feedback from reviewer {index}")
        for index, client in enumerate(reviewers)
    ]

    responses = all_at_once(requests)

    assert_no_server_errors(responses)
    winners = [i for i, r in enumerate(responses) if r.status_code == 303]
    assert len(winners) == 1, [r.status_code for r in responses]
    assert state_of(seeded, pep_id) == "signed_off"
    assert count_audit(seeded, pep_id, "pep.transition", event="signed_off") == 1
    assert records_of(seeded, pep_id) == 1
    # Only the winner's quality assurance was kept: no loser's answers were saved.
    assert count_audit(seeded, pep_id, "pep.qa_saved") == 1
    qa = stored_section(seeded, pep_id, QA_SECTION).answers
    assert qa["feedback"] == f"Feedback from reviewer {winners[0]}"
    for index, response in enumerate(responses):
        if index in winners:
            continue
        assert response.status_code in (403, 409), response.status_code
        page = text_of(response)
        assert re.search("This PEP was signed off by Alex Morgan" + AT_A_MOMENT, page), page
        assert "There is a problem" in page


def test_ten_social_workers_approving_at_once_make_one_approval(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    workers = [client_for("social_worker") for _ in range(RACERS)]
    responses = all_at_once([event_post(client, pep_id, "approved") for client in workers])

    assert_no_server_errors(responses)
    assert [r.status_code for r in responses].count(303) == 1
    assert state_of(seeded, pep_id) == "approved"
    assert count_audit(seeded, pep_id, "pep.transition", event="approved") == 1
    for response in responses:
        if response.status_code == 303:
            continue
        assert response.status_code in (400, 409)
        page = text_of(response)
        assert re.search("This PEP was approved by Sam Okoro" + AT_A_MOMENT, page), page


def test_returning_and_approving_at_once_keep_exactly_one(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    transitions_before = count_audit(seeded, pep_id, "pep.transition")
    requests = []
    for index in range(RACERS):
        client = client_for("social_worker")
        if index % 2:
            requests.append(event_post(client, pep_id, "approved"))
        else:
            requests.append(event_post(client, pep_id, "returned", reason=f"Change {index}"))
    responses = all_at_once(requests)

    assert_no_server_errors(responses)
    assert [r.status_code for r in responses].count(303) == 1
    assert state_of(seeded, pep_id) in ("approved", "returned")
    assert count_audit(seeded, pep_id, "pep.transition") == transitions_before + 1
    for response in responses:
        if response.status_code != 303:
            assert re.search(
                "This PEP was (approved|returned to the designated teacher) by Sam Okoro"
                + AT_A_MOMENT,
                text_of(response),
            )


def test_saving_quality_assurance_while_another_reviewer_signs_off(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, APPROVED)
    requests = [qa_post(client_for("reviewer"), pep_id, "signed_off", "Signed off as it is")]
    requests += [
        qa_post(client_for("reviewer"), pep_id, "save", f"Still checking {index}")
        for index in range(RACERS - 1)
    ]
    responses = all_at_once(requests)

    assert_no_server_errors(responses)
    succeeded = [i for i, r in enumerate(responses) if r.status_code == 303]
    assert succeeded
    # Each success kept its quality assurance once; no loser kept anything.
    assert count_audit(seeded, pep_id, "pep.qa_saved") == len(succeeded)
    feedback = stored_section(seeded, pep_id, QA_SECTION).answers["feedback"]
    if state_of(seeded, pep_id) == "signed_off":
        assert 0 in succeeded
        # Nothing landed after the sign-off: the record's quality assurance is the signer's.
        assert feedback == "Signed off as it is"
        assert records_of(seeded, pep_id) == 1
    else:
        assert 0 not in succeeded
        assert state_of(seeded, pep_id) == "approved"
        assert records_of(seeded, pep_id) == 0
        assert feedback in {f"Still checking {i - 1}" for i in succeeded}
    for index, response in enumerate(responses):
        if index in succeeded:
            continue
        page = text_of(response)
        assert response.status_code in (403, 409)
        assert re.search(r"by Alex Morgan" + AT_A_MOMENT, page) or re.search(
            r"Alex Morgan saved quality assurance for this PEP" + AT_A_MOMENT, page
        ), page
        assert "quality assurance was not saved" in page or "cannot be saved" in page


# --------------------------------------------------------------------------------------------
# The same races, made certain: two sessions that both read the PEP before either writes
# --------------------------------------------------------------------------------------------


def two_sessions(app: Flask) -> tuple[Any, Any]:
    maker = app.extensions["openpep_sessionmaker"]
    return maker(), maker()


def user_in(session: Any, who: str) -> User:
    return session.scalar(select(User).where(User.email == DEMO_EMAILS[who]))


def quality_assurance_by(
    session: Any,
    reviewer: User,
    pep: Pep,
    entry: QaEntry,
    scale: Any,
    settings: Any,
    event: PepEvent | None = None,
) -> Any:
    """A reviewer's quality assurance through the operation, in their own session."""
    return record_quality_assurance(
        session,
        Actor.for_user(reviewer, None),
        reviewer,
        pep,
        frozenset({Role.REVIEWER}),
        entry,
        scale,
        settings,
        decision=event,
    )


def transition_by(
    session: Any,
    user: User,
    pep: Pep,
    roles: frozenset[Role],
    event: PepEvent,
    settings: Any,
    reason: str | None = None,
) -> Any:
    """One person's event on a PEP through the operation, in their own session."""
    return transition_pep(
        session, Actor.for_user(user, None), user, pep, roles, event, settings, reason=reason
    )


def green_entry(feedback: str) -> QaEntry:
    return QaEntry("green", {c.key: "met" for c in load_qa_criteria().criteria}, feedback)


def test_a_sign_off_that_loses_the_race_keeps_none_of_its_quality_assurance(
    app: Flask, seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, APPROVED)
    scale, _ = qa_scale(app.config)
    with app.app_context():
        first, second = two_sessions(app)
        try:
            first_reviewer, second_reviewer = (
                user_in(first, "reviewer"),
                user_in(second, "reviewer"),
            )
            first_pep, second_pep = first.get(Pep, pep_id), second.get(Pep, pep_id)
            assert first_pep.state == second_pep.state == "approved"  # both pages show it open

            won = quality_assurance_by(
                first,
                first_reviewer,
                first_pep,
                green_entry("The first reviewer's feedback"),
                scale,
                app.config,
                PepEvent.SIGNED_OFF,
            )
            lost = quality_assurance_by(
                second,
                second_reviewer,
                second_pep,
                green_entry("The second reviewer's feedback"),
                scale,
                app.config,
                PepEvent.SIGNED_OFF,
            )
        finally:
            first.close()
            second.close()

    assert isinstance(won, Accepted)
    assert isinstance(lost, Overtaken)
    assert re.fullmatch(
        "This PEP was signed off by Alex Morgan"
        + AT_A_MOMENT
        + " Your quality assurance was not saved.",
        lost.reasons[0],
    ), lost.reasons
    qa = stored_section(seeded, pep_id, QA_SECTION).answers
    assert qa["feedback"] == "The first reviewer's feedback"
    assert count_audit(seeded, pep_id, "pep.qa_saved") == 1
    assert count_audit(seeded, pep_id, "pep.transition", event="signed_off") == 1
    assert records_of(seeded, pep_id) == 1


def test_saving_quality_assurance_after_a_sign_off_it_did_not_see_saves_nothing(
    app: Flask, seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, APPROVED)
    scale, _ = qa_scale(app.config)
    with app.app_context():
        first, second = two_sessions(app)
        try:
            signer, saver = user_in(first, "reviewer"), user_in(second, "reviewer")
            signed_pep, saved_pep = first.get(Pep, pep_id), second.get(Pep, pep_id)
            assert signed_pep.state == saved_pep.state == "approved"
            won = quality_assurance_by(
                first,
                signer,
                signed_pep,
                green_entry("Signed off"),
                scale,
                app.config,
                PepEvent.SIGNED_OFF,
            )
            lost = quality_assurance_by(
                second,
                saver,
                saved_pep,
                green_entry("Saved after the sign-off"),
                scale,
                app.config,
            )
        finally:
            first.close()
            second.close()
    assert isinstance(won, Accepted) and isinstance(lost, Overtaken)
    assert stored_section(seeded, pep_id, QA_SECTION).answers["feedback"] == "Signed off"
    assert count_audit(seeded, pep_id, "pep.qa_saved") == 1


def test_a_transition_that_loses_the_race_saves_nothing_and_says_who_won(
    app: Flask, seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    with app.app_context():
        first, second = two_sessions(app)
        try:
            approver, returner = user_in(first, "social_worker"), user_in(second, "social_worker")
            approved_pep, returned_pep = first.get(Pep, pep_id), second.get(Pep, pep_id)
            assert approved_pep.state == returned_pep.state == "submitted"
            won = transition_by(
                first,
                approver,
                approved_pep,
                frozenset({Role.SOCIAL_WORKER}),
                PepEvent.APPROVED,
                app.config,
            )
            lost = transition_by(
                second,
                returner,
                returned_pep,
                frozenset({Role.SOCIAL_WORKER}),
                PepEvent.RETURNED,
                app.config,
                reason="Add the new school's URN",
            )
        finally:
            first.close()
            second.close()
    assert isinstance(won, Accepted)
    assert isinstance(lost, Overtaken)
    assert re.fullmatch(
        "This PEP was approved by Sam Okoro" + AT_A_MOMENT + " Nothing you sent was saved.",
        lost.reasons[0],
    )
    assert state_of(seeded, pep_id) == "approved"
    assert count_audit(seeded, pep_id, "pep.transition", event="returned") == 0
    assert count_audit(seeded, pep_id, "pep.transition", event="approved") == 1


def test_a_note_racing_a_cancellation_is_refused_and_not_saved(app: Flask, seeded: Flask) -> None:
    pep_id = open_pep_id(seeded, HARRY)
    with app.app_context():
        first, second = two_sessions(app)
        try:
            admin, teacher = user_in(first, "admin"), user_in(second, "dt_oakfield")
            cancelled_pep, noted_pep = first.get(Pep, pep_id), second.get(Pep, pep_id)
            won = transition_by(
                first,
                admin,
                cancelled_pep,
                frozenset({Role.ADMIN}),
                PepEvent.CANCELLED,
                app.config,
                reason="Left care",
            )
            with pytest.raises(InviteOvertaken) as refused:
                record_child_voice_note(
                    second,
                    Actor.for_user(teacher, None),
                    noted_pep,
                    frozenset({Role.DESIGNATED_TEACHER}),
                    "Drawn with his key adult",
                )
        finally:
            first.close()
            second.close()
    assert isinstance(won, Accepted)
    assert re.fullmatch(
        "This PEP was cancelled by Chris Byrne" + AT_A_MOMENT + " The note was not saved.",
        str(refused.value),
    )
    with app.app_context():
        assert db.session.get(Pep, pep_id).child_voice_note is None
    assert count_audit(seeded, pep_id, "pep.child_voice_note_saved") == 0


def test_a_link_holders_save_racing_a_cancellation_saves_nothing(app: Flask, seeded: Flask) -> None:
    pep_id = open_pep_id(seeded, HARRY)
    with app.app_context():
        from portal.form_registry import definition_for

        setup = app.extensions["openpep_sessionmaker"]()
        teacher = user_in(setup, "dt_oakfield")
        pep = setup.get(Pep, pep_id)
        section = definition_for(pep).section("carers_views")
        invite_id = create_invite(
            setup,
            Actor.for_user(teacher, None),
            teacher,
            pep,
            section,
            frozenset({Role.DESIGNATED_TEACHER}),
        ).invite.id
        setup.close()

        first, second = two_sessions(app)
        try:
            admin = user_in(first, "admin")
            cancelled_pep = first.get(Pep, pep_id)
            from portal.models import ContributionInvite

            invite = second.get(ContributionInvite, invite_id)
            assert invite.pep.state == "draft"  # the holder's page was open
            transition_by(
                first,
                admin,
                cancelled_pep,
                frozenset({Role.ADMIN}),
                PepEvent.CANCELLED,
                app.config,
                reason="Left care",
            )
            before = dict(stored_section(app, pep_id, "carers_views").answers)
            field = section.answer_fields[0]
            with pytest.raises(InviteOvertaken):
                save_through_invite(
                    second,
                    Actor(None, "Carer (invite link)"),
                    invite,
                    section,
                    {field.key: "Written at the moment it was cancelled"},
                )
        finally:
            first.close()
            second.close()
    assert stored_section(seeded, pep_id, "carers_views").answers == before
    assert state_of(seeded, pep_id) == "cancelled"


# --------------------------------------------------------------------------------------------
# Free text with characters a database cannot store
# --------------------------------------------------------------------------------------------

NUL_TEXT = "Add the\x00 new school's URN\x07"
CLEAN_TEXT = "Add the new school's URN"


def latest_audit(app: Flask, pep_id: Any, action: str) -> AuditEvent:
    with app.app_context():
        return db.session.scalar(
            select(AuditEvent)
            .where(AuditEvent.object_id == str(pep_id), AuditEvent.action == action)
            .order_by(AuditEvent.occurred_at_utc.desc())
            .limit(1)
        )


def test_a_return_reason_with_a_nul_character_is_stored_without_it(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, SUBMITTED)
    response = event_post(client_for("social_worker"), pep_id, "returned", reason=NUL_TEXT)()
    assert response.status_code == 303, text_of(response)[:2000]
    assert latest_audit(seeded, pep_id, "pep.transition").details["reason"] == CLEAN_TEXT


def test_a_cancellation_reason_with_only_control_characters_asks_for_a_reason(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, HARRY)
    response = event_post(client_for("admin"), pep_id, "cancelled", reason="\x00\x00 ")()
    assert response.status_code == 400
    assert "Enter a reason for cancelling the PEP" in text_of(response)
    assert state_of(seeded, pep_id) == "draft"


@pytest.mark.parametrize("decision", ["save", "qa_returned", "signed_off"])
def test_quality_assurance_feedback_with_a_nul_character_is_stored_without_it(
    decision: str, client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, APPROVED)
    response = qa_post(client_for("reviewer"), pep_id, decision, NUL_TEXT)()
    assert response.status_code == 303, text_of(response)[:2000]
    answers = stored_section(seeded, pep_id, QA_SECTION).answers
    # A return keeps its feedback apart, for when the PEP comes back (see test_signoff).
    kept = answers["returned"] if decision == "qa_returned" else answers
    assert kept["feedback"] == CLEAN_TEXT


@pytest.mark.parametrize(
    ("path", "field", "column"),
    [
        ("/note", "note", "child_voice_note"),
        ("/absent-reason", "absent_reason", "child_voice_absent_reason"),
    ],
)
def test_staff_notes_with_a_nul_character_are_stored_without_it(
    path: str, field: str, column: str, client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, HARRY)
    client = client_for("dt_oakfield")
    token = csrf_token_from(client, f"/peps/{pep_id}/contributions")
    response = client.post(
        f"/peps/{pep_id}/contributions{path}", data={"csrf_token": token, field: NUL_TEXT}
    )
    assert response.status_code == 303, text_of(response)[:2000]
    with seeded.app_context():
        assert getattr(db.session.get(Pep, pep_id), column) == CLEAN_TEXT


def test_creating_a_link_for_a_section_named_with_a_nul_character_is_refused_plainly(
    client_for: Callable[[str], FlaskClient], seeded: Flask
) -> None:
    pep_id = open_pep_id(seeded, HARRY)
    client = client_for("dt_oakfield")
    token = csrf_token_from(client, f"/peps/{pep_id}/contributions")
    response = client.post(
        f"/peps/{pep_id}/contributions", data={"csrf_token": token, "section_key": "my_\x00views"}
    )
    assert response.status_code == 400
    assert "Choose who the link is for" in text_of(response)


# --------------------------------------------------------------------------------------------
# Outages: a PostgreSQL cluster of this module's own, stopped and started again
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresCluster]:
    with running_postgres() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def outage_app(own_postgres: PostgresCluster, oidc_provider: OidcProvider) -> Iterator[Flask]:
    from portal.operations.demo_seed import seed_demo_data

    engine = create_engine(own_postgres.url)
    upgrade_to_latest(engine)
    engine.dispose()
    application = create_app(portal_config(own_postgres.url, oidc_provider))
    with application.app_context():
        seed_demo_data(db.session, settings=application.config)
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def signed_in_teacher(outage_app: Flask, oidc_provider: OidcProvider) -> FlaskClient:
    client = outage_app.test_client()
    response = complete_oidc_sign_in(client, oidc_provider, DEMO_EMAILS["dt_oakfield"])
    assert response.status_code == 302
    return client


def assert_error_page_in_the_layout(response: Any, status: int, title: str) -> str:
    page = text_of(response)
    assert response.status_code == status, page[:2000]
    assert title in page
    assert "<html" in page and "Testshire County Council" in page  # the normal layout
    assert "Accessibility statement" in page and "Skip to main content" in page
    assert "Internal Server Error" not in page and "Traceback" not in page
    return page


def test_pages_answer_in_the_layout_while_the_database_is_down_and_work_after(
    outage_app: Flask, own_postgres: PostgresCluster, signed_in_teacher: FlaskClient
) -> None:
    client = signed_in_teacher
    pep_id = open_pep_id(outage_app, HARRY)
    path = section_url(pep_id, "transitions_aspirations")
    form = form_fields(text_of(client.get(path)))

    stop_postgres(own_postgres)
    try:
        for page_path in ("/children", f"/peps/{pep_id}", path, "/tasks"):
            response = client.get(page_path)
            page = assert_error_page_in_the_layout(
                response, 503, "Sorry, the service is unavailable"
            )
            assert "The service is not available right now" in page
            assert response.headers["Retry-After"].isdigit()
        boosted = client.get(
            f"/peps/{pep_id}", headers={"HX-Request": "true", "HX-Boosted": "true"}
        )
        assert_error_page_in_the_layout(boosted, 503, "Sorry, the service is unavailable")

        autosave = client.post(
            path,
            data=MultiDict([*form, ("autosave", "1")]),
            headers={"HX-Request": "true", "HX-Target": "autosave-status"},
        )
        fragment = text_of(autosave)
        assert autosave.status_code == 503
        assert "Not saved: the service is not available right now." in fragment
        assert "Your typing is still on this page; try again or press Save." in fragment
        assert "<html" not in fragment and "Testshire County Council" not in fragment
        assert 'id="section-version"' not in fragment  # nothing was saved: keep the version

        # A plain (no-JavaScript) save gets the page, not the fragment.
        plain = client.post(path, data=MultiDict([*form, ("action", "save")]))
        assert_error_page_in_the_layout(plain, 503, "Sorry, the service is unavailable")
        assert client.get("/healthz").status_code == 503
        # Someone not signed in is sent to sign in, as ever: nothing asked the database.
        for page_path in (path, f"/peps/{pep_id}"):
            anonymous = outage_app.test_client().get(page_path)
            assert anonymous.status_code == 302, text_of(anonymous)[:2000]
            assert "/login" in anonymous.headers["Location"]
    finally:
        start_postgres_again(own_postgres)

    # The same person, still signed in, carries on once the database is back.
    assert client.get(f"/peps/{pep_id}").status_code == 200
    saved = client.post(
        path,
        data=MultiDict([*form, ("autosave", "1")]),
        headers={"HX-Request": "true", "HX-Target": "autosave-status"},
    )
    assert saved.status_code == 200, text_of(saved)[:2000]


def test_a_database_lost_in_the_middle_of_a_request_still_gets_the_error_page(
    outage_app: Flask, own_postgres: PostgresCluster, signed_in_teacher: FlaskClient
) -> None:
    """The person is loaded, then the database goes: the error page must not need them again."""
    client = signed_in_teacher
    pep_id = open_pep_id(outage_app, HARRY)
    engine = outage_app.extensions["openpep_engine"]
    stopped = threading.Event()

    def stop_before_reading_the_pep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not stopped.is_set() and "FROM peps" in statement:
            stopped.set()
            stop_postgres(own_postgres)

    event.listen(engine, "before_cursor_execute", stop_before_reading_the_pep)
    try:
        response = client.get(f"/peps/{pep_id}")
    finally:
        event.remove(engine, "before_cursor_execute", stop_before_reading_the_pep)
        if stopped.is_set():
            start_postgres_again(own_postgres)
    assert stopped.is_set()
    page = assert_error_page_in_the_layout(response, 503, "Sorry, the service is unavailable")
    assert "Signed in as Priya Shah" in page  # the layout's copy, not a trip to the database
    assert client.get(f"/peps/{pep_id}").status_code == 200


def test_an_autosave_when_the_database_goes_mid_save_says_not_saved(
    outage_app: Flask, own_postgres: PostgresCluster, signed_in_teacher: FlaskClient
) -> None:
    client = signed_in_teacher
    pep_id = open_pep_id(outage_app, HARRY)
    path = section_url(pep_id, "transitions_aspirations")
    form = form_fields(text_of(client.get(path)))
    before = stored_section(outage_app, pep_id, "transitions_aspirations").answers
    engine = outage_app.extensions["openpep_engine"]
    stopped = threading.Event()

    def stop_before_writing(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not stopped.is_set() and statement.lstrip().upper().startswith("UPDATE"):
            stopped.set()
            stop_postgres(own_postgres)

    event.listen(engine, "before_cursor_execute", stop_before_writing)
    try:
        typed = [(k, v) for k, v in form if k != "aspirations"]
        response = client.post(
            path,
            data=MultiDict(
                [*typed, ("aspirations", "Typed as the database went"), ("autosave", "1")]
            ),
            headers={"HX-Request": "true", "HX-Target": "autosave-status"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", stop_before_writing)
        if stopped.is_set():
            start_postgres_again(own_postgres)
    assert stopped.is_set()
    fragment = text_of(response)
    assert response.status_code == 503
    assert "Not saved: the service is not available right now." in fragment
    assert "<html" not in fragment
    assert stored_section(outage_app, pep_id, "transitions_aspirations").answers == before


def test_pooled_connections_the_server_ended_are_replaced_without_an_error(
    outage_app: Flask, own_postgres: PostgresCluster, signed_in_teacher: FlaskClient
) -> None:
    """An administrator (or a failover) ends every connection the portal holds in its pool:
    the next requests take fresh ones and answer as usual, with no error page."""
    client = signed_in_teacher
    pep_id = open_pep_id(outage_app, HARRY)
    for _ in range(3):  # more than one connection in the pool
        assert client.get(f"/peps/{pep_id}").status_code == 200
    killer = create_engine(own_postgres.url)
    with killer.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
        ).scalar_one()
    killer.dispose()
    assert ended >= 1
    for path in (f"/peps/{pep_id}", "/children", "/tasks"):
        response = client.get(path)
        assert response.status_code == 200, text_of(response)[:2000]
