"""Migration 0023: PEPs waiting for approval keep the wait they had (their last change stands
for their submission), other PEPs have no submission time, and going back drops the column."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from portal.models import Child, Pep
from tests.integration.test_oversight_roles_migration import _migrate

CHANGED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _peps(session: Session) -> dict[str, uuid.UUID]:
    """A submitted PEP and a draft, one child each, both last changed at CHANGED."""
    ids: dict[str, uuid.UUID] = {}
    for number, state in enumerate(("submitted", "draft")):
        pep = Pep(
            child=Child(
                first_name="Test",
                last_name=f"Child {number}",
                date_of_birth=date(2015, 5, 1),
                authority_reference=f"TEST-0023-{number}",
                legal_status="C2",
                date_entered_care=date(2024, 1, 8),
            ),
            academic_year=2026,
            term="autumn",
            state=state,
            form_key="school_age",
            form_version=3,
            updated_at_utc=CHANGED,
        )
        session.add(pep)
        session.flush()
        ids[state] = pep.id
    session.commit()
    return ids


def test_peps_waiting_for_approval_keep_their_wait_and_going_back_drops_the_column(
    migrated_database,
):
    engine = create_engine(migrated_database)
    try:
        with Session(engine) as session:
            ids = _peps(session)
        _migrate(engine, "downgrade", "0022")
        assert "submitted_at_utc" not in {c["name"] for c in inspect(engine).get_columns("peps")}

        _migrate(engine, "upgrade", "head")
        with Session(engine) as session:
            submitted_at = {
                state: session.get(Pep, pep_id).submitted_at_utc for state, pep_id in ids.items()
            }
        assert submitted_at == {"submitted": CHANGED, "draft": None}
    finally:
        engine.dispose()
