"""Migration 0011 changes tables other tables point at (schools), which SQLite can only do by
rebuilding them: an authority's existing children, grants and PEPs come through intact, and
legal statuses kept as names become their SSDA903 codes."""

import uuid

from sqlalchemy import create_engine, text

from portal.migrate import alembic_config, upgrade_to_latest


def _upgrade_to(engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_a_cohort_stored_before_the_codes_migrates_intact(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    _upgrade_to(engine, "0010")
    school_id, child_id, user_id = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    stamp = "2026-11-01 09:00:00"
    with engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(
            text(
                "INSERT INTO schools (id, urn, name, phase, local_authority, created_at_utc,"
                " updated_at_utc) VALUES (:id, '100001', 'Oak School', 'primary', 'Demo',"
                " :t, :t)"
            ),
            {"id": school_id, "t": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO children (id, first_name, last_name, date_of_birth,"
                " authority_reference, legal_status, date_entered_care, current_school_id,"
                " created_at_utc, updated_at_utc) VALUES (:id, 'Ava', 'Stone', '2016-03-01',"
                " 'R-1', 'placement_order', '2024-01-05', :school, :t, :t)"
            ),
            {"id": child_id, "school": school_id, "t": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO users (id, email, display_name, active, created_at_utc,"
                " updated_at_utc) VALUES (:id, 'dt@example.org', 'Dee Tee', 1, :t, :t)"
            ),
            {"id": user_id, "t": stamp},
        )
        connection.execute(
            text(
                "INSERT INTO role_grants (id, user_id, role, school_id, created_at_utc,"
                " updated_at_utc) VALUES (:id, :user, 'designated_teacher', :school, :t, :t)"
            ),
            {"id": uuid.uuid4().hex, "user": user_id, "school": school_id, "t": stamp},
        )

    upgrade_to_latest(engine)

    with engine.connect() as connection:
        child = connection.execute(
            text("SELECT legal_status, current_school_id, uasc FROM children")
        ).one()
        school = connection.execute(text("SELECT urn, status, source FROM schools")).one()
        grants = connection.execute(text("SELECT count(*) FROM role_grants")).scalar_one()
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()
    assert child.legal_status == "E1"
    assert uuid.UUID(str(child.current_school_id)).hex == school_id
    assert not child.uasc
    assert tuple(school) == ("100001", "Open", "gias")
    assert grants == 1


def test_two_deploys_migrating_at_once_both_finish_on_postgresql(postgres_url):
    """Two instances of a deploy run `flask migrate` at the same moment: the second waits for
    the first (an advisory lock), then finds the schema up to date. Without the lock, both
    create the same tables and one fails."""
    import threading

    from tests.conftest import database_url_for, run_on_server

    name = "openpep_two_migrations"
    run_on_server(
        postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
    engines = [create_engine(database_url_for(postgres_url, name)) for _ in range(2)]
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def migrate(engine) -> None:
        start.wait()
        try:
            upgrade_to_latest(engine)
        except BaseException as error:  # the test reports it below
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == []
        with engines[0].connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(version) == 1
    finally:
        for engine in engines:
            engine.dispose()
        run_on_server(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
