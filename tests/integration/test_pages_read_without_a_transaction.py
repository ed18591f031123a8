"""A section page and a PEP's task list (`reads_only` views) run without a transaction: each
statement is its own, so the BEGIN and COMMIT round trips are not sent. What they write is
still written (the read audit, the session's last-seen time), every other page and every save
keeps its transaction, and the pooled connection goes back to transactions afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, UserSession
from tests.conftest import csrf_token_from
from tests.integration.pep_helpers import post_form
from tests.integration.sql_statements import on_each_statement
from tests.integration.test_query_counts import _pages_for


def _in_autocommit(dbapi_connection: Any) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.isolation_level is None
    return bool(dbapi_connection.autocommit)


@contextmanager
def autocommit_of_each_statement(app) -> Iterator[list[tuple[str, bool]]]:
    """Each statement sent inside the block, with whether its connection was in autocommit."""
    seen: list[tuple[str, bool]] = []

    def note(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement, _in_autocommit(connection.connection.dbapi_connection)))

    with on_each_statement(app, note):
        yield seen


def _a_section_page(app) -> str:
    return next(p for p in _pages_for(app, "dt_oakfield") if "/sections/" in p)


def _last_seen_moved_back(app, by: timedelta) -> tuple[object, datetime]:
    """Move the newest open session's last-seen time back; its id and the time it now has."""
    with app.app_context():
        row = db.session.scalars(
            select(UserSession)
            .where(UserSession.ended_at_utc.is_(None))
            .order_by(UserSession.created_at_utc.desc())
        ).first()
        row.last_seen_at_utc -= by
        db.session.commit()
        return row.id, row.last_seen_at_utc


def _views_recorded(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "pep.viewed")
        )


def test_a_section_page_and_a_task_list_send_no_begin_and_still_audit_the_read(seeded, client_for):
    client = client_for("dt_oakfield")
    section_page = _a_section_page(seeded)
    task_list = section_page.split("/sections/")[0]
    for page in (section_page, task_list):
        before = _views_recorded(seeded)
        with autocommit_of_each_statement(seeded) as seen:
            assert client.get(page).status_code == 200
        assert seen and all(autocommit for _statement, autocommit in seen), (page, seen)
        assert any(statement.startswith("INSERT INTO audit_events") for statement, _ in seen)
        assert _views_recorded(seeded) == before + 1, page


def test_other_pages_and_saves_keep_their_transaction(seeded, client_for):
    client = client_for("dt_oakfield")
    section_page = _a_section_page(seeded)
    # A pooled connection has just served a page without a transaction.
    token = csrf_token_from(client, section_page)
    with autocommit_of_each_statement(seeded) as seen:
        assert client.get("/tasks").status_code == 200
        pep_id, key = section_page.split("/")[2], section_page.split("/")[4]
        saved = post_form(client, pep_id, key, {"csrf_token": token, "action": "save"})
        assert saved.status_code in (200, 302, 303), saved.status_code
    assert seen and not any(autocommit for _statement, autocommit in seen), seen


def test_a_section_page_notes_that_the_person_is_still_there(seeded, client_for):
    client = client_for("dt_oakfield")
    section_page = _a_section_page(seeded)
    session_id, stale = _last_seen_moved_back(seeded, timedelta(minutes=5))
    before = _views_recorded(seeded)
    assert client.get(section_page).status_code == 200
    with seeded.app_context():
        assert db.session.get(UserSession, session_id).last_seen_at_utc > stale
    assert _views_recorded(seeded) == before + 1


def test_a_session_that_timed_out_on_a_section_page_is_ended_in_one_transaction(seeded, client_for):
    """Its end and the audit event of it are two rows: both are written, in a transaction."""
    client = client_for("dt_oakfield")
    section_page = _a_section_page(seeded)
    session_id, _stale = _last_seen_moved_back(seeded, timedelta(days=1))
    with autocommit_of_each_statement(seeded) as seen:
        answer = client.get(section_page)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    writes = [(s, autocommit) for s, autocommit in seen if not s.startswith("SELECT")]
    assert any(s.startswith("UPDATE user_sessions") for s, _ in writes), writes
    assert any(s.startswith("INSERT INTO audit_events") for s, _ in writes), writes
    assert not any(autocommit for _s, autocommit in writes), writes
    with seeded.app_context():
        ended = db.session.get(UserSession, session_id)
        assert ended.ended_at_utc is not None and ended.ended_why == "idle_timeout"
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "session.ended")
        ).all()
        assert any(event.details.get("session_id") == str(session_id) for event in events)
