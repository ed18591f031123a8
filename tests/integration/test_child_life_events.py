"""Changes in a child's life: each is a timeline event and an audit event, and changes who
sees the child."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    CareEpisode,
    Child,
    ChildEvent,
    ChildEventKind,
    NoSchoolPlace,
    RoleGrant,
    School,
    User,
)
from portal.operations import child_events
from portal.operations.audit import Actor
from workflows.roles import Role

ON = date(2026, 11, 2)


def child_by_reference(reference: str) -> Child:
    return db.session.scalars(select(Child).where(Child.authority_reference == reference)).one()


def school_by_urn(urn: str) -> School:
    return db.session.scalars(select(School).where(School.urn == urn)).one()


def user_by_email(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def admin_actor() -> Actor:
    return Actor.for_user(user_by_email("admin@demo.openpep.test"), "127.0.0.1")


def events_of(child: Child) -> list[ChildEvent]:
    return list(
        db.session.scalars(
            select(ChildEvent)
            .where(ChildEvent.child_id == child.id)
            .order_by(ChildEvent.created_at_utc)
        )
    )


def audit_actions_for(child: Child) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_id == str(child.id))
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
        db.session.add(
            CareEpisode(
                child_id=child.id,
                started_on=date(2025, 1, 6),
                reason_new_episode="S",
                legal_status="C2",
                category_of_need="N1",
                placement_type="U4",
                placement_provider="PR1",
            )
        )
        db.session.commit()
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
        assert event.details["from_placement_type"] == "U4"
        assert event.details["placement_type"] == "U6"
        assert event.details["placement_type_label"] == (
            "Foster placement with other foster carer, not long term or fostering for adoption"
        )
        assert event.details["placement_provider_label"] == "Private provision"
        assert event.details["placed_in_authority"] == "Birmingham City Council"
        db.session.commit()

        child = child_by_reference("DCC-1101")
        assert child.placed_in_authority == "Birmingham City Council"
        episodes = list(
            db.session.scalars(
                select(CareEpisode)
                .where(CareEpisode.child_id == child.id)
                .order_by(CareEpisode.started_on)
            )
        )
        assert [(e.started_on, e.ended_on, e.reason_ended) for e in episodes] == [
            (date(2025, 1, 6), ON, "X1"),
            (ON, None, None),
        ]
        assert (episodes[1].legal_status, episodes[1].placement_type) == ("C2", "U6")
        assert episodes[1].reason_new_episode == "P"

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
        assert db.session.scalar(select(func.count()).select_from(ChildEvent)) == 0


def test_a_change_of_legal_status_is_an_event(seeded: Flask) -> None:
    with seeded.app_context():
        child = child_by_reference("DCC-1101")
        event = child_events.change_legal_status(db.session, admin_actor(), child, "V3", ON)
        assert event is not None
        assert event.details["from_legal_status"] == "C2"
        assert event.details["legal_status"] == "V3"
        db.session.commit()
        assert not child_by_reference("DCC-1101").has_pep_duty
