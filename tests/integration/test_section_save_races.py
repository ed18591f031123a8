"""A section's save writes its two rows only over the versions it read.

`save_section` writes the PEP and the section by statements of its own, each refusing a row
that changed since it was read. These tests make the change happen between the read and the
write, deterministically: one session loads the PEP, another saves (or moves the PEP on) and
commits, then the first saves from what it loaded. They run on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from forms.rows import PostedSection
from portal.extensions import db
from portal.form_registry import definition_for
from portal.models import AuditEvent, Pep, PepSection, User
from portal.operations.audit import Actor
from portal.operations.peps import (
    PepRefused,
    SectionConflict,
    SectionSaved,
    SectionWrite,
    _write_section,
    save_section,
)
from tests.conftest import DEMO_EMAILS
from tests.integration.pep_helpers import open_pep_id, stored_section
from workflows.pep import PepState
from workflows.roles import Role

HARRY = "DCC-1106"  # Harry: Oakfield, a draft PEP the Oakfield teacher owns
SECTION = "transitions_aspirations"
TEACHER = frozenset({Role.DESIGNATED_TEACHER})


@pytest.fixture
def two_sessions(seeded: Flask) -> Iterator[tuple[Session, Session]]:
    with seeded.app_context():
        maker = seeded.extensions["openpep_sessionmaker"]
        stale, other = maker(), maker()
        try:
            yield stale, other
        finally:
            stale.close()
            other.close()


def loaded(session: Session, pep_id: Any) -> tuple[User, Pep, PepSection]:
    """The teacher, the PEP and the section as one save reads them."""
    teacher = session.scalar(select(User).where(User.email == DEMO_EMAILS["dt_oakfield"]))
    pep = session.get(Pep, pep_id)
    stored = next(row for row in pep.sections if row.section_key == SECTION)
    return teacher, pep, stored


def save(session: Session, pep_id: Any, answers: dict[str, str], based_on: int, page: str) -> Any:
    """One save of the teacher's, from the page (one load of the form) named `page`."""
    teacher, pep, stored = loaded(session, pep_id)
    section = definition_for(pep).section(SECTION)
    posted = PostedSection(answers=dict(answers), carried=frozenset(answers), editor=page)
    return save_section(
        session,
        Actor.for_user(teacher, None),
        teacher,
        pep,
        section,
        TEACHER,
        posted,
        based_on,
        autosave=True,
        stored=stored,
    )


def saves_audited(app: Flask, pep_id: Any) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_id == str(pep_id), AuditEvent.action == "pep.section_saved")
        )


def test_a_save_that_lost_the_race_for_other_answers_is_merged_on_what_won(
    seeded: Flask, two_sessions: tuple[Session, Session]
) -> None:
    stale, other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    _teacher, pep, stored = loaded(stale, pep_id)  # read before the other save
    pep_version, section_version = pep.version, stored.version
    audited = saves_audited(seeded, pep_id)

    won = save(other, pep_id, {"aspirations": "Wants to be a vet"}, section_version, "tab 1")
    assert isinstance(won, SectionSaved)
    lost = save(stale, pep_id, {"enrichment": "Chess club"}, section_version, "tab 2")

    assert isinstance(lost, SectionSaved)
    saved = stored_section(seeded, pep_id, SECTION)
    assert saved.answers["aspirations"] == "Wants to be a vet"  # not undone by the later save
    assert saved.answers["enrichment"] == "Chess club"
    assert saved.version == section_version + 2
    assert saved.answer_versions["enrichment"] == section_version + 2
    with seeded.app_context():
        assert db.session.get(Pep, pep_id).version == pep_version + 2
    assert saves_audited(seeded, pep_id) == audited + 2


def test_a_save_that_lost_the_race_for_the_same_answer_saves_nothing(
    seeded: Flask, two_sessions: tuple[Session, Session]
) -> None:
    stale, other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    _teacher, _pep, stored = loaded(stale, pep_id)
    section_version = stored.version
    audited = saves_audited(seeded, pep_id)

    save(other, pep_id, {"aspirations": "Wants to be a vet"}, section_version, "tab 1")
    lost = save(stale, pep_id, {"aspirations": "Wants to be a pilot"}, section_version, "tab 2")

    assert isinstance(lost, SectionConflict)
    assert lost.answers_changed_since == ("aspirations",)
    saved = stored_section(seeded, pep_id, SECTION)
    assert saved.answers["aspirations"] == "Wants to be a vet"
    assert saved.version == section_version + 1
    assert saves_audited(seeded, pep_id) == audited + 1


def test_a_save_over_a_section_changed_since_it_was_read_saves_nothing_of_it(
    seeded: Flask, two_sessions: tuple[Session, Session]
) -> None:
    """Every writer of a section moves its PEP on too, so the PEP's version usually decides a
    race; the section's own version is checked as well, should a write ever move it alone."""
    stale, other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    _teacher, pep, stored = loaded(stale, pep_id)
    pep_version, section_version = pep.version, stored.version
    audited = saves_audited(seeded, pep_id)
    other.execute(
        update(PepSection)
        .where(PepSection.id == stored.id)
        .values(version=PepSection.version + 1, answers={**stored.answers, "enrichment": "Chess"})
    )
    other.commit()

    result = save(stale, pep_id, {"aspirations": "Wants to be a pilot"}, section_version, "tab")

    # Refused, then merged again on the row as it now is: the answer changed since is kept.
    assert isinstance(result, SectionSaved)
    saved = stored_section(seeded, pep_id, SECTION)
    assert saved.answers["enrichment"] == "Chess"
    assert saved.answers["aspirations"] == "Wants to be a pilot"
    assert saved.version == section_version + 2
    with seeded.app_context():
        assert db.session.get(Pep, pep_id).version == pep_version + 1  # moved once, not twice
    assert saves_audited(seeded, pep_id) == audited + 1


def test_a_save_racing_a_submission_is_refused_and_saves_nothing(
    seeded: Flask, two_sessions: tuple[Session, Session]
) -> None:
    stale, other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    _teacher, _pep, stored = loaded(stale, pep_id)
    before = dict(stored.answers)
    audited = saves_audited(seeded, pep_id)

    # The PEP moves on (as a submission does) after the save read it.
    submitted = other.get(Pep, pep_id)
    submitted.state = PepState.SUBMITTED.value
    other.commit()

    with pytest.raises(PepRefused):
        save(stale, pep_id, {"aspirations": "Wants to be a pilot"}, stored.version, "tab 2")
    assert stored_section(seeded, pep_id, SECTION).answers == before
    assert saves_audited(seeded, pep_id) == audited


def test_the_rows_a_save_loaded_show_what_it_wrote(
    seeded: Flask, two_sessions: tuple[Session, Session]
) -> None:
    """The page answering a save is drawn from the rows the save loaded: they carry the new
    versions, answers and editor, and a later flush in the same session writes nothing."""
    session, _other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    teacher, pep, stored = loaded(session, pep_id)
    pep_version, section_version = pep.version, stored.version

    result = save(session, pep_id, {"aspirations": "Wants to be a vet"}, section_version, "tab")

    assert isinstance(result, SectionSaved)
    assert result.section is stored
    assert stored.version == section_version + 1 and pep.version == pep_version + 1
    assert stored.answers["aspirations"] == "Wants to be a vet"
    assert stored.answer_versions["aspirations"] == section_version + 1
    assert stored.answer_editors["aspirations"] == "tab"
    assert stored.last_saved_by is teacher and stored.last_saved_by_id == teacher.id
    assert pep.updated_at_utc == stored.last_saved_at_utc == stored.updated_at_utc
    assert not session.dirty
    # The next save from the same loaded rows writes over the version it now holds.
    again = save(session, pep_id, {"enrichment": "Chess club"}, stored.version, "tab")
    assert isinstance(again, SectionSaved)
    assert stored_section(seeded, pep_id, SECTION).version == section_version + 2


def test_a_saves_two_updates_write_no_index_entries_on_postgresql(
    seeded: Flask, two_sessions: tuple[Session, Session], database_backend: str
) -> None:
    """No column a save writes is in an index of its table, and each page of pep_sections
    keeps room (fillfactor, migration 0022): PostgreSQL makes both UPDATEs HOT updates, which
    write no index entries. Counted inside the transaction (pg_stat_xact_user_tables), so the
    count is exact, not the statistics' delayed total."""
    if database_backend != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    session, _other = two_sessions
    pep_id = open_pep_id(seeded, HARRY)
    teacher, pep, stored = loaded(session, pep_id)
    written = SectionWrite(
        answers={**stored.answers, "aspirations": "Wants to be a vet"},
        answer_versions={**(stored.answer_versions or {}), "aspirations": stored.version + 1},
        answer_editors={**(stored.answer_editors or {}), "aspirations": "tab"},
        saved_by=teacher,
        saved_at_utc=datetime.now(UTC),
        meeting_date=pep.meeting_date,
    )
    assert _write_section(session, pep, stored, written)
    counts = {
        name: (updates, hot)
        for name, updates, hot in session.execute(
            text(
                "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE relname IN ('peps', 'pep_sections')"
            )
        )
    }
    room = session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'pep_sections'"))
    session.rollback()
    assert counts == {"peps": (1, 1), "pep_sections": (1, 1)}
    # The demo's pages have room anyway; a full authority's are loaded with a fifth free.
    assert room == ["fillfactor=80"]
