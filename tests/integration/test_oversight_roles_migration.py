"""Migration 0020: the database accepts a social work team manager's grant for a child and a
Virtual School head's across the authority, refuses either in the wrong scope, and going back
removes those grants before restoring the old check (SQLite rebuilds the table; PostgreSQL
changes the check in place)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.migrate import alembic_config
from portal.models import Child, User
from workflows.roles import Role


def _migrate(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command

    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # SQLite rebuilds role_grants; foreign keys pointing at it are checked afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        with connection.begin():
            config = alembic_config(engine)
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)


def _person_and_child(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    with Session(engine) as session:
        person = User(email="manager@example.gov.uk", display_name="Morgan Lake")
        child = Child(
            first_name="Test",
            last_name="Child",
            date_of_birth=date(2015, 5, 1),
            authority_reference="TEST-0020",
            legal_status="C2",
            date_entered_care=date(2024, 1, 8),
        )
        session.add_all([person, child])
        session.commit()
        return person.id, child.id


def _grant(
    connection: Connection, user_id: uuid.UUID, role: Role, child_id: uuid.UUID | None
) -> None:
    # Raw SQL, as an older copy of the portal would write it: only the database's check judges.
    as_text = _id_as_stored(connection)
    connection.execute(
        text(
            "INSERT INTO role_grants (id, user_id, role, school_id, child_id, created_at_utc,"
            " updated_at_utc) VALUES (:id, :user_id, :role, NULL, :child_id, :t, :t)"
        ),
        {
            "id": as_text(uuid.uuid4()),
            "user_id": as_text(user_id),
            "role": role.value,
            "child_id": as_text(child_id) if child_id else None,
            "t": "2026-11-28 09:00:00+00:00",
        },
    )


def _id_as_stored(connection: Connection) -> Callable[[uuid.UUID], str]:
    # SQLAlchemy keeps a UUID as 32 hex digits on SQLite and as a uuid on PostgreSQL.
    if connection.dialect.name == "sqlite":
        return lambda value: value.hex
    return str


def _accepted(engine: Engine, user_id: uuid.UUID, role: Role, child_id: uuid.UUID | None) -> bool:
    with engine.connect() as connection:
        try:
            with connection.begin():
                _grant(connection, user_id, role, child_id)
        except IntegrityError:
            return False
    return True


def _roles_held(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(text("SELECT role FROM role_grants")))


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_two_oversight_roles_have_their_scopes_and_going_back_removes_them(
    migrated_database,
):
    engine = create_engine(migrated_database)
    try:
        person, child = _person_and_child(engine)
        # The team manager: for a child, as the social worker is; never authority-wide.
        assert _accepted(engine, person, Role.SW_TEAM_MANAGER, child)
        assert not _accepted(engine, person, Role.SW_TEAM_MANAGER, None)
        # The head: across the authority, as the reviewers are; never for one child.
        assert _accepted(engine, person, Role.VS_HEAD, None)
        assert not _accepted(engine, person, Role.VS_HEAD, child)
        assert _accepted(engine, person, Role.SOCIAL_WORKER, child)
        assert _roles_held(engine) == {"sw_team_manager", "vs_head", "social_worker"}

        _migrate(engine, "downgrade", "0019")
        # Their grants could not stand under the old check: they went; the others stay.
        assert _roles_held(engine) == {"social_worker"}
        assert not _accepted(engine, person, Role.VS_HEAD, None)
        assert not _accepted(engine, person, Role.SW_TEAM_MANAGER, child)
        assert _accepted(engine, person, Role.REVIEWER, None)

        _migrate(engine, "upgrade", "head")
        assert _accepted(engine, person, Role.VS_HEAD, None)
        assert _roles_held(engine) == {"social_worker", "reviewer", "vs_head"}
    finally:
        engine.dispose()
