"""Changes in a child's life: each is a timeline event and an audit event, and changes who
sees the child."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.academic import england_today
from portal.children.queries import roles_for_child
from portal.codes import ssda903
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    NoSchoolPlace,
    Pep,
    RoleGrant,
    School,
    User,
)
from portal.models.base import utc_now
from portal.operations import child_events
from portal.operations.audit import Actor
from portal.peps.permissions import may_start_pep, pep_start_refusal
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import (
    form_fields,
    open_pep_id,
    post_form,
    replace_field,
    section_url,
    stored_section,
)
from workflows.roles import Role

ON = england_today()
# When the test began: the demo seed gives children a history of their own, and the tests
# look at what they themselves recorded.
started_at: list[datetime] = []


@pytest.fixture(autouse=True)
def remember_the_start() -> None:
    started_at[:] = [utc_now()]


def child_by_reference(reference: str) -> Child:
    return db.session.scalars(select(Child).where(Child.authority_reference == reference)).one()


def school_by_urn(urn: str) -> School:
    return db.session.scalars(select(School).where(School.urn == urn)).one()


def user_by_email(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def admin_actor() -> Actor:
    return Actor.for_user(user_by_email("admin@demo.openpep.test"), "127.0.0.1")


def events_of(child: Child) -> list[ChildEvent]:
    """The events recorded for the child since the test began."""
    return list(
        db.session.scalars(
            select(ChildEvent)
            .where(ChildEvent.child_id == child.id, ChildEvent.created_at_utc >= started_at[0])
            .order_by(ChildEvent.created_at_utc)
        )
    )


def audit_actions_for(child: Child) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.object_id == str(child.id),
                AuditEvent.occurred_at_utc >= started_at[0],
            )
            .order_by(AuditEvent.occurred_at_utc)
        )
    )


def case_holders(child: Child, role: Role) -> list[str]:
    return sorted(
        db.session.scalars(
            select(User.email)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(RoleGrant.child_id == child.id, RoleGrant.role == role.value)
        )
    )


def test_a_move_of_school_records_from_and_to_and_runs_once(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        riverside = school_by_urn("900301")
        event = child_events.move_school(db.session, admin_actor(), child, riverside, ON)
        assert event is not None
        again = child_events.move_school(db.session, admin_actor(), child, riverside, ON)
        assert again is None
        db.session.commit()

        child = child_by_reference("DCC-1101")
        assert child.current_school_id == riverside.id
        assert child.no_school_place is None
        (stored,) = events_of(child)
        assert stored.kind == ChildEventKind.SCHOOL_CHANGED.value
        assert stored.occurred_on == ON
        assert stored.details["from_school"] == "Oakfield Primary School"
        assert stored.details["from_urn"] == "900201"
        assert stored.details["to_school"] == "Riverside Academy"
        assert stored.details["to_urn"] == "900301"
        assert stored.recorded_by_description.startswith("Chris Byrne")
        assert audit_actions_for(child).count("child.school_changed") == 1


def test_no_school_place_needs_a_reason_and_a_school_clears_it(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        with pytest.raises(ValueError, match="reason"):
            child_events.move_school(db.session, admin_actor(), child, None, ON)
        event = child_events.move_school(
            db.session, admin_actor(), child, None, ON, no_school_place=NoSchoolPlace.NEET
        )
        assert event is not None and event.kind == ChildEventKind.NO_SCHOOL_PLACE.value
        assert event.details["no_school_place"] == "neet"
        assert event.details["to"] == "No school place: Not in education, employment or training"
        db.session.commit()
        child = child_by_reference("DCC-1101")
        assert child.current_school_id is None
        assert child.no_school_place == "neet"

        later = date(2026, 11, 20)
        event = child_events.move_school(
            db.session, admin_actor(), child, school_by_urn("900401"), later
        )
        assert event is not None
        assert event.details["from_no_school_place"] == "neet"
        db.session.commit()
        child = child_by_reference("DCC-1101")
        assert child.no_school_place is None
        assert child.current_school.urn == "900401"


def test_a_new_social_worker_replaces_the_old_one(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        assert case_holders(child, Role.SOCIAL_WORKER) == ["sw@demo.openpep.test"]
        newcomer = User(email="new.worker@example.test", display_name="Nia Worker")
        db.session.add(newcomer)
        db.session.flush()
        event = child_events.change_social_worker(db.session, admin_actor(), child, newcomer, ON)
        assert event is not None
        assert event.details["from"] == "Sam Okoro"
        assert event.details["to"] == "Nia Worker"
        assert (
            child_events.change_social_worker(db.session, admin_actor(), child, newcomer, ON)
            is None
        )
        db.session.commit()
        assert case_holders(child, Role.SOCIAL_WORKER) == ["new.worker@example.test"]
        # The old worker keeps the rest of their caseload.
        old_worker = user_by_email("sw@demo.openpep.test")
        assert any(grant.role == Role.SOCIAL_WORKER.value for grant in old_worker.grants)

        assert child_events.change_social_worker(db.session, admin_actor(), child, None, ON)
        db.session.commit()
        assert case_holders(child, Role.SOCIAL_WORKER) == []
        kinds = [event.kind for event in events_of(child)]
        assert kinds == [ChildEventKind.SOCIAL_WORKER_CHANGED.value] * 2


def test_a_new_carer_starts_on_the_day_of_the_change(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1102")
        assert case_holders(child, Role.CARER) == ["carer@demo.openpep.test"]
        new_carer = User(email="new.carer@example.test", display_name="Kim Carer")
        db.session.add(new_carer)
        db.session.flush()
        event = child_events.change_carer(db.session, admin_actor(), child, new_carer, ON)
        assert event is not None and event.kind == ChildEventKind.CARER_CHANGED.value
        db.session.commit()
        assert case_holders(child, Role.CARER) == ["new.carer@example.test"]
        grant = db.session.scalars(
            select(RoleGrant).where(RoleGrant.child_id == child.id, RoleGrant.role == "carer")
        ).one()
        assert grant.starts_on == ON
        # The previous carer still looks after the sibling.
        assert case_holders(child_by_reference("DCC-1201"), Role.CARER) == [
            "carer@demo.openpep.test"
        ]
        assert "child.carer_changed" in audit_actions_for(child)


def test_a_change_of_placement_starts_a_new_episode_with_labels(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        if child_events.current_care_episode(db.session, child) is None:
            db.session.add(
                CareEpisode(
                    child_id=child.id,
                    started_on=child.date_entered_care,
                    reason_new_episode="S",
                    legal_status="C2",
                    category_of_need="N1",
                    placement_type="U4",
                    placement_provider="PR1",
                )
            )
            db.session.commit()
        before = child_events.current_care_episode(db.session, child)
        assert before is not None and before.started_on < ON and before.ended_on is None
        before_id, before_type, before_status = (
            before.id,
            before.placement_type,
            before.legal_status,
        )
        event = child_events.change_placement(
            db.session,
            admin_actor(),
            child,
            ON,
            placement_type="U6",
            placement_provider="PR4",
            placement_postcode="B1 1AA",
            provider_ofsted_urn="SC123456",
            placed_in_authority="Birmingham City Council",
        )
        assert event is not None
        assert event.details["from_placement_type"] == before_type
        assert event.details["placement_type"] == "U6"
        codes = ssda903()
        assert event.details["placement_type_label"] == codes.placement_types["U6"]
        assert event.details["placement_provider_label"] == codes.placement_providers["PR4"]
        assert event.details["placed_in_authority"] == "Birmingham City Council"
        db.session.commit()

        child = child_by_reference("DCC-1101")
        assert child.placed_in_authority == "Birmingham City Council"
        ended = db.session.get(CareEpisode, before_id)
        assert (ended.ended_on, ended.reason_ended) == (ON, "X1")
        current = child_events.current_care_episode(db.session, child)
        assert current is not None and current.id != before_id
        assert (current.started_on, current.ended_on, current.reason_new_episode) == (ON, None, "P")
        assert (current.legal_status, current.placement_type) == (before_status, "U6")

        unchanged = child_events.change_placement(
            db.session,
            admin_actor(),
            child,
            ON,
            placement_type="U6",
            placement_provider="PR4",
            placement_postcode="B1 1AA",
            provider_ofsted_urn="SC123456",
            placed_in_authority="Birmingham City Council",
        )
        assert unchanged is None
        with pytest.raises(ValueError):
            child_events.change_placement(
                db.session,
                admin_actor(),
                child,
                ON,
                placement_type="Q9",
                placement_provider=None,
                placement_postcode=None,
                provider_ofsted_urn=None,
                placed_in_authority=None,
            )


@pytest.mark.parametrize(
    ("reason", "previously_looked_after"),
    [("E11", True), ("E12", True), ("E41", True), ("E45", True), ("E48", True), ("E13", False)],
)
def test_leaving_care_marks_previously_looked_after_from_the_code_list(
    seeded: Flask, reason: str, previously_looked_after: bool
) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        event = child_events.record_leaving_care(db.session, admin_actor(), child, ON, reason)
        assert event is not None and event.details["reason"] == reason
        repeated = child_events.record_leaving_care(db.session, admin_actor(), child, ON, reason)
        assert repeated is None
        db.session.commit()
        child = child_by_reference("DCC-1101")
        assert child.date_left_care == ON
        assert child.reason_left_care == reason
        assert child.previously_looked_after is previously_looked_after
        assert not child.in_care
        assert not child.has_pep_duty


@pytest.mark.parametrize("reason", ["X1", "E99", ""])
def test_leaving_care_refuses_a_code_that_does_not_leave_care(seeded: Flask, reason: str) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        with pytest.raises(ValueError):
            child_events.record_leaving_care(db.session, admin_actor(), child, ON, reason)
        db.session.rollback()
        assert child_by_reference("DCC-1101").date_left_care is None
        assert events_of(child_by_reference("DCC-1101")) == []


def test_a_change_of_legal_status_is_an_event(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        event = child_events.change_legal_status(db.session, admin_actor(), child, "V3", ON)
        assert event is not None
        assert event.details["from_legal_status"] == "C2"
        assert event.details["legal_status"] == "V3"
        db.session.commit()
        assert not child_by_reference("DCC-1101").has_pep_duty


# --- Through the admin pages, and what each change means for who sees what ---------------

OLIVER = "DCC-1102"  # Oakfield; the social worker's and the carer's; a submitted PEP and 3 earlier
HARRY = "DCC-1106"  # Oakfield; a draft PEP
ELLA = "DCC-1101"  # Oakfield; the social worker's; a draft PEP


def child_id_of(app: Flask, reference: str) -> uuid.UUID:
    with app.app_context():
        return child_by_reference(reference).id


def pep_ids_of(app: Flask, reference: str) -> list[uuid.UUID]:
    with app.app_context():
        child = child_by_reference(reference)
        return list(db.session.scalars(select(Pep.id).where(Pep.child_id == child.id)))


def date_fields(on: date) -> dict[str, str]:
    return {"on-day": str(on.day), "on-month": str(on.month), "on-year": str(on.year)}


def post_change(client: FlaskClient, child_id: uuid.UUID, page: str, **fields: str) -> Any:
    path = f"/admin/children/{child_id}/{page}"
    return client.post(path, data={"csrf_token": csrf_token_from(client, path), **fields})


def school_id_of(app: Flask, urn: str) -> str:
    with app.app_context():
        return str(school_by_urn(urn).id)


def sees(client: FlaskClient, child_id: uuid.UUID, pep_ids: list[uuid.UUID]) -> list[int]:
    """The answers to the child's page and each of their PEPs' pages."""
    paths = [f"/children/{child_id}", *(f"/peps/{pep_id}" for pep_id in pep_ids)]
    return [client.get(path).status_code for path in paths]


def test_a_new_school_sees_the_child_and_every_earlier_pep_and_the_old_one_nothing(
    client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    pep_ids = pep_ids_of(seeded, OLIVER)
    assert len(pep_ids) >= 4
    oakfield, riverside, admin = (
        client_for("dt_oakfield"),
        client_for("dt_riverside"),
        client_for("admin"),
    )
    assert set(sees(oakfield, child_id, pep_ids)) == {200}
    assert set(sees(riverside, child_id, pep_ids)) == {404}

    response = post_change(
        admin,
        child_id,
        "school",
        school_id=school_id_of(seeded, "900301"),
        **date_fields(england_today()),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/children/{child_id}"

    assert set(sees(riverside, child_id, pep_ids)) == {200}
    assert set(sees(oakfield, child_id, pep_ids)) == {404}
    assert OLIVER not in oakfield.get("/children").get_data(as_text=True)
    assert OLIVER in riverside.get("/children").get_data(as_text=True)

    page = admin.get(f"/children/{child_id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert "Changed school or setting" in timeline
    assert "Oakfield Primary School (URN 900201)" in timeline
    assert "Riverside Academy (URN 900301)" in timeline
    assert "Chris Byrne" in timeline


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "on-day", "Enter the date of the change"),
        ({"on-day": "31", "on-month": "2", "on-year": "2026"}, "on-day", "must be a real date"),
        ({"on-day": "1", "on-month": "1"}, "on-day", "must include a year"),
        ("future", "on-day", "must be today or in the past"),
        ("before care", "on-day", "must be on or after the day Oliver entered care"),
        ("closed", "school_id", "Oakfield Primary School is closed"),
        ("no reason", "no_school_place", "Select why the child has no school place"),
        ("same", "school_id", "This is already the child&#39;s school or setting"),
    ],
)
def test_a_change_of_school_is_refused_in_plain_words_and_changes_nothing(
    fields: Any, field: str, message: str, client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    oakfield_id = school_id_of(seeded, "900201")
    riverside_id = school_id_of(seeded, "900301")
    with seeded.app_context():
        entered_care = child_by_reference(OLIVER).date_entered_care
    posted: dict[str, str] = {"school_id": riverside_id, **date_fields(england_today())}
    if fields == "future":
        posted.update(date_fields(england_today() + timedelta(days=1)))
    elif fields == "before care":
        posted.update(date_fields(entered_care - timedelta(days=1)))
    elif fields == "closed":
        with seeded.app_context():
            school_by_urn("900201").status = "Closed"
            db.session.commit()
        posted["school_id"] = oakfield_id
    elif fields == "no reason":
        posted["school_id"] = "none"
    elif fields == "same":
        posted["school_id"] = oakfield_id
    else:
        posted = {"school_id": riverside_id, **fields}
    response = post_change(client_for("admin"), child_id, "school", **posted)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert f'href="#{field}"' in page
    assert message in page
    assert f'id="{field}"' in page
    with seeded.app_context():
        child = child_by_reference(OLIVER)
        assert child.current_school_id == uuid.UUID(oakfield_id)
        assert events_of(child) == []


def test_the_school_page_finds_schools_by_urn_or_name_and_records_no_school_place(
    client_for: Any, seeded: Flask
) -> None:
    admin = client_for("admin")
    child_id = child_id_of(seeded, OLIVER)
    by_name = admin.get(f"/admin/children/{child_id}/school?search=riverside")
    assert "Riverside Academy (URN 900301)" in by_name.get_data(as_text=True)
    by_urn = admin.get(f"/admin/children/{child_id}/school?search=900302").get_data(as_text=True)
    assert "Hillview School (URN 900302)" in by_urn
    assert "Riverside Academy" not in by_urn
    assert "No school or setting matches" in admin.get(
        f"/admin/children/{child_id}/school?search=nowhere"
    ).get_data(as_text=True)

    response = post_change(
        admin,
        child_id,
        "school",
        school_id="none",
        no_school_place="education_otherwise",
        **date_fields(england_today()),
    )
    assert response.status_code == 303
    page = admin.get(f"/children/{child_id}").get_data(as_text=True)
    assert "No school place: Receiving education otherwise than at school" in page
    assert "Left their school or setting with no new place" in page
    assert OLIVER not in client_for("dt_oakfield").get("/children").get_data(as_text=True)


def test_placement_carer_and_social_worker_pages_record_their_changes(
    client_for: Any, seeded: Flask
) -> None:
    admin = client_for("admin")
    child_id = child_id_of(seeded, OLIVER)
    with seeded.app_context():
        db.session.add(User(email="kim.carer@example.test", display_name="Kim Carer"))
        db.session.add(User(email="nia.worker@example.test", display_name="Nia Worker"))
        db.session.commit()
    today = england_today()

    refused = post_change(admin, child_id, "placement", **date_fields(today))
    assert refused.status_code == 400
    assert "Select the type of placement" in refused.get_data(as_text=True)
    assert "Select who provides the placement" in refused.get_data(as_text=True)
    placed = post_change(
        admin,
        child_id,
        "placement",
        placement_type="K2",
        placement_provider="PR4",
        placement_postcode="ls1 4ab",
        placed_in_authority="Leeds City Council",
        **date_fields(today),
    )
    assert placed.status_code == 303

    unknown = post_change(
        admin, child_id, "carer", email="nobody@example.test", **date_fields(today)
    )
    assert unknown.status_code == 400
    assert "No one has an account with the email address nobody@example.test" in (
        unknown.get_data(as_text=True)
    )
    assert (
        post_change(admin, child_id, "carer", email="Kim.Carer@example.test", **date_fields(today))
    ).status_code == 303
    assert (
        post_change(
            admin, child_id, "social-worker", email="nia.worker@example.test", **date_fields(today)
        )
    ).status_code == 303

    with seeded.app_context():
        child = child_by_reference(OLIVER)
        assert child.placed_in_authority == "Leeds City Council"
        assert case_holders(child, Role.CARER) == ["kim.carer@example.test"]
        assert case_holders(child, Role.SOCIAL_WORKER) == ["nia.worker@example.test"]
        assert [event.kind for event in events_of(child)] == [
            "placement_changed",
            "carer_changed",
            "social_worker_changed",
        ]
    page = admin.get(f"/children/{child_id}").get_data(as_text=True)
    codes = ssda903()
    expected = (
        f"{codes.placement_types['K2']} (K2), {codes.placement_providers['PR4']} (PR4), "
        "placed in Leeds City Council"
    )
    assert expected in page.replace("&#39;", "'")
    assert "Placed out of area, in" in page and "Jo Marsh" in page and "Kim Carer" in page
    # The previous carer and social worker no longer see Oliver.
    assert client_for("carer").get(f"/children/{child_id}").status_code == 404
    assert client_for("social_worker").get(f"/children/{child_id}").status_code == 404


def test_a_carer_sees_neither_the_timeline_nor_the_care_details(
    client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    with seeded.app_context():
        child = child_by_reference(OLIVER)
        child.uasc = True
        child_events.change_placement(
            db.session,
            admin_actor(),
            child,
            england_today(),
            placement_type="U4",
            placement_provider="PR1",
            placement_postcode=None,
            provider_ofsted_urn=None,
            placed_in_authority="Leeds City Council",
        )
        db.session.commit()
    carer_page = client_for("carer").get(f"/children/{child_id}").get_data(as_text=True)
    assert "Oakfield Primary School" in carer_page
    for care_detail in (
        "Changes in Oliver",
        "Leeds City Council",
        "Changed placement",
        "Legal status",
        "asylum",
        "Record a change",
    ):
        assert care_detail not in carer_page
    worker_page = client_for("social_worker").get(f"/children/{child_id}").get_data(as_text=True)
    assert "Leeds City Council" in worker_page and "Changed placement" in worker_page
    assert "Unaccompanied asylum-seeking child" in worker_page
    assert "Full care order (C2)" in worker_page
    assert "Record a change" not in worker_page  # the links are for admins


def make_adviser(app: Flask, email: str, *references: str) -> None:
    with app.app_context():
        adviser = User(email=email, display_name="Val Adviser")
        db.session.add(adviser)
        db.session.flush()
        for reference in references:
            db.session.add(
                RoleGrant(
                    user_id=adviser.id,
                    role=Role.VS_ADVISER.value,
                    child_id=child_by_reference(reference).id,
                )
            )
        db.session.commit()


def adviser_client(app: Flask, sign_in: Any, email: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


@pytest.mark.parametrize("reason", ["E11", "E13"])
def test_after_leaving_care_only_the_virtual_school_sees_the_child_and_no_pep_starts(
    reason: str, client_for: Any, seeded: Flask, sign_in: Any
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    pep_ids = pep_ids_of(seeded, OLIVER)
    make_adviser(seeded, "val.adviser@example.test", OLIVER)
    admin = client_for("admin")
    refused = post_change(
        admin, child_id, "leaving-care", reason="X1", **date_fields(england_today())
    )
    assert refused.status_code == 400
    assert "Select why the child left care" in refused.get_data(as_text=True)
    response = post_change(
        admin, child_id, "leaving-care", reason=reason, **date_fields(england_today())
    )
    assert response.status_code == 303

    for who in ("dt_oakfield", "social_worker", "carer"):
        assert set(sees(client_for(who), child_id, pep_ids)) == {404}, who
        assert OLIVER not in client_for(who).get("/children").get_data(as_text=True)
    adviser = adviser_client(seeded, sign_in, "val.adviser@example.test")
    for client in (admin, client_for("reviewer"), adviser):
        assert set(sees(client, child_id, pep_ids)) == {200}

    page = admin.get(f"/children/{child_id}").get_data(as_text=True)
    label = ssda903().reasons_episode_ceased[reason].label
    assert f"Left care on {england_today():%-d %B %Y}: {label} ({reason})." in page.replace(
        "&#39;", "'"
    )
    assert ("Previously looked after" in page) is (reason == "E11")
    assert "Start a PEP" not in page
    assert "no new PEP is due" in page
    assert "Record a change" not in page
    with seeded.app_context():
        child = child_by_reference(OLIVER)
        admin_user = user_by_email("admin@demo.openpep.test")
        roles = roles_for_child(admin_user, child)
        assert not may_start_pep(roles, child)
        assert "left care" in (pep_start_refusal(child, roles) or "")


def test_a_child_on_short_breaks_cannot_have_a_pep_started(client_for: Any, seeded: Flask) -> None:
    child_id = child_id_of(seeded, "DCC-1501")  # no PEP yet
    admin = client_for("admin")
    assert "Start a PEP" in admin.get(f"/children/{child_id}").get_data(as_text=True)
    with seeded.app_context():
        child = db.session.get(Child, child_id)
        child_events.change_legal_status(db.session, admin_actor(), child, "V4", england_today())
        db.session.commit()
    page = admin.get(f"/children/{child_id}").get_data(as_text=True).replace("&#39;", "'")
    assert "Start a PEP" not in page
    assert "a child on short breaks has no care plan of which a PEP is part" in page
    with seeded.app_context():
        child = db.session.get(Child, child_id)
        roles = roles_for_child(user_by_email("admin@demo.openpep.test"), child)
        assert not may_start_pep(roles, child)


def dt_section_post(client: FlaskClient, pep_id: uuid.UUID) -> Any:
    section = section_url(pep_id, "attendance_exclusions")
    data = form_fields(client.get(section).get_data(as_text=True))
    if not any(name == "csrf_token" for name, _ in data):
        data.append(("csrf_token", csrf_token_from(client, f"/peps/{pep_id}")))
    # Attendance in sessions that add up: attended and absences make the sessions possible.
    answers = {
        "sessions_possible_term": "100",
        "sessions_attended_term": "88",
        "authorised_absences_term": "8",
        "unauthorised_absences_term": "4",
        "sessions_possible_year": "100",
        "sessions_attended_year": "88",
        "authorised_absences_year": "8",
        "unauthorised_absences_year": "4",
        "suspensions_this_year": "no",
        "permanently_excluded": "no",
    }
    for name, value in answers.items():
        data = replace_field(data, name, value)
    return post_form(client, pep_id, "attendance_exclusions", [*data, ("action", "save")])


def test_for_a_child_with_no_school_place_the_adviser_completes_the_settings_sections(
    seeded: Flask, sign_in: Any
) -> None:
    make_adviser(seeded, "val.adviser@example.test", HARRY, ELLA)
    with seeded.app_context():
        harry = child_by_reference(HARRY)
        child_events.move_school(
            db.session,
            admin_actor(),
            harry,
            None,
            england_today(),
            no_school_place=NoSchoolPlace.NOT_ON_ROLL,
        )
        db.session.commit()
    harry_pep = open_pep_id(seeded, HARRY)
    ella_pep = open_pep_id(seeded, ELLA)
    adviser = adviser_client(seeded, sign_in, "val.adviser@example.test")

    assert 'id="section-form"' in adviser.get(
        section_url(harry_pep, "attendance_exclusions")
    ).get_data(as_text=True)
    assert dt_section_post(adviser, harry_pep).status_code == 303
    assert (
        stored_section(seeded, harry_pep, "attendance_exclusions").answers["sessions_attended_term"]
        == 88
    )
    assert "Submit PEP" in adviser.get(f"/peps/{harry_pep}").get_data(as_text=True)

    # Ella is on roll at Oakfield: her designated teacher completes these sections, not the adviser.
    ella_section = adviser.get(section_url(ella_pep, "attendance_exclusions")).get_data(
        as_text=True
    )
    assert 'id="section-form"' not in ella_section
    assert "Only the designated teacher can change this section." in ella_section
    assert dt_section_post(adviser, ella_pep).status_code == 403
    assert "Submit PEP" not in adviser.get(f"/peps/{ella_pep}").get_data(as_text=True)


def test_the_change_pages_are_for_admins_only(client_for: Any, seeded: Flask) -> None:
    child_id = child_id_of(seeded, OLIVER)
    client = client_for("dt_oakfield")
    response = client.post(
        f"/admin/children/{child_id}/school",
        data={
            "csrf_token": csrf_token_from(client, "/children"),
            "school_id": school_id_of(seeded, "900301"),
            **date_fields(england_today()),
        },
    )
    assert response.status_code == 403
    with seeded.app_context():
        assert events_of(child_by_reference(OLIVER)) == []
    assert client_for("admin").get(f"/admin/children/{uuid.uuid4()}/carer").status_code == 404


def test_the_change_pages_and_a_childs_timeline_pass_the_page_checks(
    client_for: Any, seeded: Flask
) -> None:
    from tests.integration.test_page_accessibility import assert_accessible

    admin = client_for("admin")
    child_id = child_id_of(seeded, OLIVER)
    for page in ("school?search=school", "placement", "carer", "social-worker", "leaving-care"):
        path = f"/admin/children/{child_id}/{page}"
        response = admin.get(path)
        assert response.status_code == 200, path
        assert_accessible(response.get_data(as_text=True), path)
        refused = admin.post(path, data={"csrf_token": csrf_token_from(admin, path)})
        assert refused.status_code == 400, path
        html = refused.get_data(as_text=True)
        assert_accessible(html, f"{path} with problems")
        for target in re.findall(r"govuk-error-summary__list.*?</ul>", html, re.S):
            for href in re.findall(r'href="#([^"]+)"', target):
                assert f'id="{href}"' in html, (path, href)
    post_change(
        admin,
        child_id,
        "school",
        school_id=school_id_of(seeded, "900301"),
        **date_fields(england_today()),
    )
    assert_accessible(admin.get(f"/children/{child_id}").get_data(as_text=True), "timeline")


@pytest.mark.parametrize(
    "day_month_year",
    [
        ("99999999999999999999", "1", "2026"),  # too large for a day: once a server error
        ("1", "99999999999999999999", "2026"),
        ("١٢", "1", "2026"),  # digits of another script
        ("31", "2", "2026"),  # no such day
    ],
)
def test_a_date_that_is_not_real_is_refused_in_plain_words_never_an_error_page(
    day_month_year: tuple[str, str, str], client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    oakfield_id = school_id_of(seeded, "900201")
    day, month, year = day_month_year
    response = post_change(
        client_for("admin"),
        child_id,
        "school",
        school_id=school_id_of(seeded, "900301"),
        **{"on-day": day, "on-month": month, "on-year": year},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page[page.index("govuk-error-summary") :]
    assert 'href="#on-day"' in summary
    assert "The date of the change must be a real date, like 27 3 2026" in summary
    assert 'id="on-day"' in page
    with seeded.app_context():
        child = child_by_reference(OLIVER)
        assert child.current_school_id == uuid.UUID(oakfield_id)
        assert events_of(child) == []


@pytest.mark.parametrize("search", ["%25", "_", "%5C"])
def test_the_school_search_finds_the_characters_typed_not_wildcards(
    search: str, client_for: Any, seeded: Flask
) -> None:
    child_id = child_id_of(seeded, OLIVER)
    page = client_for("admin").get(f"/admin/children/{child_id}/school?search={search}")
    assert "No school or setting matches" in page.get_data(as_text=True)
