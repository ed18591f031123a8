"""A read's audit row (written as one INSERT, not through the session's flush) is the same row
an operation's change would record: who, when, what, from where, with only the details given."""

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.operations import audit
from portal.operations.audit import Actor


def _row(event_id) -> AuditEvent:
    return db.session.execute(select(AuditEvent).where(AuditEvent.id == event_id)).scalar_one()


def test_a_read_records_the_same_row_a_change_would(seeded: Flask):
    with seeded.app_context():
        person = db.session.execute(
            select(User).where(User.email == "dt.oakfield@demo.openpep.test")
        ).scalar_one()
        actor = Actor.for_user(person, "127.0.0.1").at(datetime(2026, 10, 5, 9, 30, tzinfo=UTC))
        details = {"child_id": "c-1", "part": "section", "section": None}
        changed = audit.record(db.session, actor, "pep.viewed", "pep", "p-1", **details)
        audit.record_at_once(db.session, actor, "pep.viewed", "pep", "p-1", **details)
        db.session.commit()
        events = (
            db.session.execute(select(AuditEvent).where(AuditEvent.object_id == "p-1"))
            .scalars()
            .all()
        )
        assert len(events) == 2
        read = next(event for event in events if event.id != changed.id)

        def described(event: AuditEvent) -> tuple:
            return (
                event.occurred_at_utc,
                event.actor_user_id,
                event.actor_description,
                event.action,
                event.object_type,
                event.object_id,
                event.client_address,
                event.details,
            )

        assert described(read) == described(_row(changed.id))
        assert read.occurred_at_utc == datetime(2026, 10, 5, 9, 30, tzinfo=UTC)
        assert read.details == {"child_id": "c-1", "part": "section"}  # None is left out
        assert read.actor_user_id == person.id


def test_a_read_by_no_one_signed_in_names_them_so(seeded: Flask):
    with seeded.app_context():
        audit.record_at_once(
            db.session, Actor.anonymous("127.0.0.2"), "import.viewed", "import", "r-1", kind="x"
        )
        db.session.commit()
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.object_id == "r-1")
        ).scalar_one()
        assert (event.actor_user_id, event.actor_description, event.client_address) == (
            None,
            "Not signed in",
            "127.0.0.2",
        )
        assert event.occurred_at_utc is not None and event.details == {"kind": "x"}
