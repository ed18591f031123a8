"""Migration 0021: approved PEPs keep their place in the reviewers' queue (their last change
stands for their approval), other PEPs have no approval time, the queue's index is keyed by
the approval, and going back restores the old index with its predicate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.orm import Session

from portal.models import Child, Pep
from tests.integration.test_oversight_roles_migration import _migrate


def _peps(engine: Engine) -> dict[str, uuid.UUID]:
    """An approved PEP changed after its approval, and a draft, for one child each."""
    changed = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    ids: dict[str, uuid.UUID] = {}
    with Session(engine) as session:
        for number, state in enumerate(("approved", "draft")):
            child = Child(
                first_name="Test",
                last_name=f"Child {number}",
                date_of_birth=date(2015, 5, 1),
                authority_reference=f"TEST-0021-{number}",
                legal_status="C2",
                date_entered_care=date(2024, 1, 8),
            )
            pep = Pep(
                child=child,
                academic_year=2026,
                term="autumn",
                state=state,
                form_key="school_age",
                form_version=3,
                updated_at_utc=changed,
            )
            session.add(pep)
            session.flush()
            ids[state] = pep.id
        session.commit()
    return ids


def _approved_at(engine: Engine) -> dict[str, datetime | None]:
    with Session(engine) as session:
        return {pep.state: pep.approved_at_utc for pep in session.query(Pep)}


def _index_predicates(engine: Engine) -> dict[str, str]:
    """The partial indexes of peps by name, each with the SQL that makes it."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            )
        else:
            rows = connection.execute(
                text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'peps'")
            )
        return {name: sql or "" for name, sql in rows}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_approved_peps_keep_their_place_and_going_back_restores_the_old_index(
    migrated_database,
):
    engine = create_engine(migrated_database)
    try:
        _peps(engine)  # written now, then taken back to before 0021
        _migrate(engine, "downgrade", "0020")
        assert "approved_at_utc" not in {c["name"] for c in inspect(engine).get_columns("peps")}
        old = _index_predicates(engine)["ix_peps_approved_by_waiting"]
        assert "updated_at_utc" in old and "approved" in old

        _migrate(engine, "upgrade", "head")
        approved_at = _approved_at(engine)
        assert approved_at["approved"] == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        assert approved_at["draft"] is None
        indexes = _index_predicates(engine)
        assert "ix_peps_approved_by_waiting" not in indexes
        assert "approved_at_utc" in indexes["ix_peps_approved_by_approval"]
        assert "approved" in indexes["ix_peps_approved_by_approval"].split("WHERE")[1]

        _migrate(engine, "downgrade", "0020")
        indexes = _index_predicates(engine)
        assert "ix_peps_approved_by_approval" not in indexes
        assert "WHERE" in indexes["ix_peps_approved_by_waiting"]
        # The other partial index of peps survives the column's going.
        assert "WHERE" in indexes["uq_peps_one_open_per_child"]
        _migrate(engine, "upgrade", "head")
    finally:
        engine.dispose()
