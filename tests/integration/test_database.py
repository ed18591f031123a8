"""The migrations and the models agree, both databases behave the same, and the audit trail
cannot be rewritten. Every test here runs on SQLite and on PostgreSQL."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.extensions import db
from portal.models import AuditEvent, Base, Child, Pep, User
from portal.models.audit import AuditTrailIsAppendOnly

# Neither dialect can reflect an index on lower(email); a test below proves it exists instead.
EXPRESSION_INDEX_WARNINGS = [
    "ignore:Skipped unsupported reflection of expression-based index",
    "ignore:autogenerate skipping metadata-specified expression-based index",
]


@pytest.mark.filterwarnings(*EXPRESSION_INDEX_WARNINGS)
def test_migrations_and_models_agree(migrated_database):
    engine = create_engine(migrated_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


@pytest.mark.filterwarnings(*EXPRESSION_INDEX_WARNINGS)
def test_migrations_also_build_an_empty_sqlite_database(tmp_path):
    from portal.migrate import upgrade_to_latest

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade_to_latest(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_demo_seed_is_idempotent(seeded):
    from portal.operations.demo_seed import CHILDREN, seed_demo_data

    with seeded.app_context():
        children = db.session.scalar(select(db_count(Child)))
        peps = db.session.scalar(select(db_count(Pep)))
        assert children == len(CHILDREN)
        assert "nothing changed" in seed_demo_data(db.session)
        assert db.session.scalar(select(db_count(Child))) == children
        assert db.session.scalar(select(db_count(Pep))) == peps


def db_count(model):
    from sqlalchemy import func

    return func.count(model.id)


def test_demo_seed_spans_phases_and_states(seeded):
    with seeded.app_context():
        states = set(db.session.scalars(select(Pep.state)))
        assert {"draft", "submitted", "returned", "approved", "signed_off", "superseded"} <= states
        year_groups = {child.year_group() for child in db.session.scalars(select(Child))}
        assert min(year_groups) < 0 and max(year_groups) >= 12


def test_a_child_has_at_most_one_open_pep(seeded):
    with seeded.app_context():
        child = db.session.scalar(select(Child).where(Child.authority_reference == "DCC-1101"))
        db.session.add(Pep(child_id=child.id, academic_year=2030, term="autumn", state="draft"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_the_orm_refuses_to_change_an_audit_event(seeded):
    with seeded.app_context():
        audit_event = db.session.scalar(select(AuditEvent))
        audit_event.action = "rewritten"
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditEvent)))
        with pytest.raises(AuditTrailIsAppendOnly):
            db.session.commit()
        db.session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"]
)
def test_the_database_refuses_to_change_an_audit_event(seeded, statement):
    with seeded.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_every_time_read_back_is_aware_utc(seeded):
    """SQLite keeps no time zone; the portal's column type puts UTC back on every value."""
    with seeded.app_context():
        stored = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
        british_summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC).astimezone(
            ZoneInfo("Europe/London")
        )
        user = db.session.scalar(select(User).order_by(User.email).limit(1))
        user.last_signed_in_at_utc = british_summer
        db.session.commit()
        db.session.expire_all()
        assert user.last_signed_in_at_utc == british_summer
        assert user.last_signed_in_at_utc.tzinfo is UTC
        assert user.last_signed_in_at_utc.hour == 10
        for moment in db.session.scalars(select(AuditEvent.occurred_at_utc)):
            assert moment.tzinfo is UTC
            assert moment < datetime.now(UTC) + timedelta(minutes=1)
        # Comparison in SQL orders the same on both databases.
        later = db.session.scalar(
            select(AuditEvent.occurred_at_utc).where(AuditEvent.occurred_at_utc > stored).limit(1)
        )
        assert later is None or later > stored


def test_a_naive_time_is_refused_rather_than_guessed(seeded):
    with seeded.app_context():
        user = db.session.scalar(select(User).limit(1))
        user.last_signed_in_at_utc = datetime(2026, 11, 28, 9, 30)
        with pytest.raises(Exception, match="naive datetime"):
            db.session.commit()
        db.session.rollback()


def test_email_addresses_are_unique_whatever_their_case(seeded):
    with seeded.app_context():
        existing = db.session.scalar(select(User).limit(1))
        duplicate = User(email=existing.email.upper(), display_name="Someone Else")
        assert duplicate.email == existing.email
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # The database refuses it too, not only the model.
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO users (id, email, display_name, active, created_at_utc,"
                    " updated_at_utc) VALUES (:id, :email, 'X', true, :now, :now)"
                ),
                {
                    "id": "0" * 32,
                    "email": existing.email.upper(),
                    "now": "2026-11-28 09:00:00",
                },
            )
        db.session.rollback()
