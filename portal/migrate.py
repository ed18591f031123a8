"""Run the Alembic migrations from code (the CLI, the demo and the tests share this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

# An arbitrary constant naming the advisory lock migrations take on PostgreSQL.
MIGRATION_LOCK = 0x0E_9E9_0011

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logging"] = False
    if engine is not None:
        config.attributes["database_url"] = engine.url.render_as_string(hide_password=False)
    return config


def upgrade_to_latest(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _upgrade_sqlite(engine)
        return
    with engine.begin() as connection:
        # Two deploys migrating at once: the second waits for the first, then finds nothing
        # left to do (the lock ends with the transaction).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        _upgrade(engine, connection)


def _upgrade(engine: Engine, connection: Connection) -> None:
    config = alembic_config(engine)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class ForeignKeysBroken(RuntimeError):
    """A migration left rows pointing at rows that do not exist; it was rolled back."""


def _upgrade_sqlite(engine: Engine) -> None:
    """SQLite changes a column by rebuilding its table, and dropping a table that other tables
    point at fails while foreign keys are enforced. SQLite's own procedure for this: switch
    enforcement off (outside the transaction: it cannot change inside one), migrate in one
    transaction, check every foreign key before committing, and switch enforcement back on."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                _upgrade(engine, connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise ForeignKeysBroken(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
