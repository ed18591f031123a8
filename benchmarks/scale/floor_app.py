"""The floor: the least a Flask app must do to show a PEP section or save one, with none of the
portal's machinery, to measure how near bare Flask's throughput any Flask portal could come.

Served by the same gunicorn as the portal (floor.py), on the same database, answering the same
requests with the same cookies:

- `GET /peps/<pep>/sections/<section>`: the Flask session cookie, one statement for the session
  with its person and grants and the PEP with its child and section, the person's sight of the
  child, the read audit's INSERT, a CSRF token, and a page of the portal's size with the
  section's answers in it (a pre-built page: the floor of rendering is writing bytes).
- `POST` of the same path (an autosave): the same read, Flask-WTF's CSRF check, the answers
  typed into text boxes merged into the stored ones, and in one transaction the PEP moved on,
  the section written and the audit row inserted, each UPDATE conditional on the version read,
  as the portal's save is, sent as one pipeline (one round trip); the answer carries the
  section's new version as the portal's does.

No ORM, no WTForms, no templates, no validation against the form's definition, one psycopg
connection per worker: what it leaves out is what the portal does on top. It is a measuring
instrument, not a second portal: nothing outside benchmarks/ imports it.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import psycopg
from flask import Flask, abort, request, session
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf

from portal.operations.sessions import token_hash

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
app.config.update(SESSION_COOKIE_NAME="openpep_session", WTF_CSRF_TIME_LIMIT=None)
IDLE = timedelta(minutes=30)
# The portal's section page is about this long (floor.py passes the real page's length).
PAGE_BYTES = int(os.environ.get("BENCH_FLOOR_PAGE_BYTES", "20000"))
PADDING = "<!-- " + "x" * max(0, PAGE_BYTES - 400) + " -->"

# The session with its person and grants, and the PEP with its child and section: one statement,
# one round trip (the portal sends two).
SESSION_AND_SECTION = """
WITH person AS (
    SELECT s.user_id, s.csrf_secret, s.ended_at_utc, s.ends_by_utc, s.last_seen_at_utc, u.active,
           u.display_name, u.email,
           array_agg(g.role || '|' || coalesce(g.school_id::text, '') || '|'
                     || coalesce(g.child_id::text, '')) FILTER (WHERE g.id IS NOT NULL) AS grants
    FROM user_sessions s JOIN users u ON u.id = s.user_id
    LEFT JOIN role_grants g ON g.user_id = u.id
    WHERE s.token_hash = %s
    GROUP BY s.id, u.id
)
SELECT person.*, p.version, p.state, c.id::text, c.current_school_id::text, c.date_left_care,
       s.id, s.version, s.answers, s.answer_versions, s.answer_editors
FROM person
LEFT JOIN peps p ON p.id = %s
LEFT JOIN children c ON c.id = p.child_id
LEFT JOIN pep_sections s ON s.pep_id = p.id AND s.section_key = %s
"""
INSERT_AUDIT = """
INSERT INTO audit_events (id, occurred_at_utc, actor_user_id, actor_description, action,
                          object_type, object_id, client_address, details)
VALUES (%s, %s, %s, %s, %s, 'pep', %s, %s, %s)
"""

_connection: psycopg.Connection[Any] | None = None


def connection() -> psycopg.Connection[Any]:
    """One connection per worker, opened after gunicorn forks it."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connection = psycopg.connect(url, autocommit=True)
    return _connection


def person_and_section(pep_id: uuid.UUID, section_key: str) -> tuple[Any, ...]:
    """(person's user id, csrf, ..., display name, email, grants, then the PEP and section), or
    401 or 404 as the portal would answer."""
    raw_id = session.get("sid")
    if not raw_id:
        abort(401)
    row = (
        connection()
        .execute(SESSION_AND_SECTION, (token_hash(str(raw_id)), pep_id, section_key))
        .fetchone()
    )
    now = datetime.now(UTC)
    if row is None or row[2] is not None or not row[5] or now >= row[3] or now - row[4] >= IDLE:
        abort(401)
    # Flask-WTF signs and checks tokens with the session's value, as the portal's sessions do.
    dict.__setitem__(session._get_current_object(), "csrf_token", row[1])  # type: ignore[attr-defined]
    if row[14] is None:
        abort(404)
    child_id, school_id, left_care = row[11], row[12], row[13]
    for grant in row[8] or ():
        role, grant_school, grant_child = grant.split("|")
        if left_care is None and (
            (role == "designated_teacher" and grant_school == school_id)
            or (role in {"social_worker", "carer"} and grant_child == child_id)
        ):
            return row
    abort(404)


def audit_values(person: tuple[Any, ...], action: str, pep_id: uuid.UUID, **details: Any) -> Any:
    return (
        uuid.uuid4(),
        datetime.now(UTC),
        person[0],
        f"{person[6]} <{person[7]}>",
        action,
        str(pep_id),
        request.remote_addr,
        json.dumps(details),
    )


@app.get("/peps/<uuid:pep_id>/sections/<section_key>")
def section_page(pep_id: uuid.UUID, section_key: str) -> str:
    row = person_and_section(pep_id, section_key)
    connection().execute(INSERT_AUDIT, audit_values(row, "pep.viewed", pep_id, section=section_key))
    answers = "".join(
        f"<dt>{escape(str(key))}</dt><dd>{escape(str(value))}</dd>"
        for key, value in (row[16] or {}).items()
    )
    return (
        f'<!DOCTYPE html><html lang="en"><body><form method="post">'
        f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">'
        f'<input type="hidden" name="version" id="section-version" value="{row[15]}">'
        f"<dl>{answers}</dl></form>{PADDING}</body></html>"
    )


@app.post("/peps/<uuid:pep_id>/sections/<section_key>")
def autosave(pep_id: uuid.UUID, section_key: str) -> tuple[str, int] | str:
    row = person_and_section(pep_id, section_key)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except CSRFError:
        abort(400)
    pep_version, section_id, section_version = row[9], row[14], row[15]
    if row[10] != "draft" or request.form.get("version") != str(section_version):
        return "conflict", 409
    answers, versions, editors = dict(row[16] or {}), dict(row[17] or {}), dict(row[18] or {})
    new_version = section_version + 1
    changed = []
    # Only text answers: the floor knows no definitions, so it leaves other kinds alone.
    for key, value in request.form.items():
        if isinstance(answers.get(key), str) and answers[key] != value:
            answers[key], versions[key], editors[key] = value, new_version, str(row[0])
            changed.append(key)
    now = datetime.now(UTC)
    database = connection()
    # BEGIN, the two UPDATEs, the audit INSERT and COMMIT sent together: one round trip.
    with database.pipeline(), database.transaction():
        moved = database.execute(
            "UPDATE peps SET version = %s, updated_at_utc = %s WHERE id = %s AND version = %s",
            (pep_version + 1, now, pep_id, pep_version),
        )
        written = database.execute(
            "UPDATE pep_sections SET answers = %s, answer_versions = %s, answer_editors = %s,"
            " version = %s, last_saved_by_id = %s, last_saved_at_utc = %s"
            " WHERE id = %s AND version = %s",
            (
                json.dumps(answers),
                json.dumps(versions),
                json.dumps(editors),
                new_version,
                row[0],
                now,
                section_id,
                section_version,
            ),
        )
        database.execute(
            INSERT_AUDIT,
            audit_values(row, "pep.section_saved", pep_id, section=section_key, fields=changed),
        )
    # Read after the pipeline has synced (a row count is known only once its answer came).
    if moved.rowcount != 1 or written.rowcount != 1:
        raise RuntimeError("the floor's autosave lost a race")
    return (
        f'<p id="autosave-status">Saved at {now:%H:%M}</p>'
        f'<input type="hidden" name="version" id="section-version" value="{new_version}">'
    )
