"""The migrations and the models agree, and the audit trail cannot be rewritten."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.extensions import db
from portal.models import AuditEvent, Base, Child, Pep
from portal.models.audit import AuditTrailIsAppendOnly


def test_migrations_and_models_agree_on_postgresql(migrated_database):
    engine = create_engine(migrated_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_also_build_an_empty_sqlite_database(tmp_path):
    from portal.migrate import upgrade_to_latest

    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    upgrade_to_latest(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_demo_seed_is_idempotent(seeded):
    from portal.operations.demo_seed import seed_demo_data

    with seeded.app_context():
        children = db.session.scalar(select(db_count(Child)))
        peps = db.session.scalar(select(db_count(Pep)))
        assert children == 30
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
