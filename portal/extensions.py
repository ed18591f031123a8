"""Module-level extensions, bound to an application in create_app()."""

from __future__ import annotations

import select
from typing import Any

from flask import Flask, current_app
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

# Longer than any request, shorter than the idle timeouts of common firewalls and proxies.
POOL_RECYCLE_SECONDS = 1800


class Database:
    """An engine per application, and a session scoped to the application context.

    The engine lives on the app (not on this object) so that tests may create several
    apps against different databases in one process.
    """

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(self._new_session)

    def init_app(self, app: Flask) -> None:
        url: str = app.config["DATABASE_URL"]
        # No pool_pre_ping: it costs a round trip to the database every time a request takes a
        # connection. A connection the server has closed (a restart, an idle timeout) is found
        # without one when it is taken (_refuse_closed_connection), and none is kept longer
        # than POOL_RECYCLE_SECONDS, for closures that send nothing (a firewall's, say).
        options: dict[str, Any] = {"pool_recycle": POOL_RECYCLE_SECONDS}
        if url.startswith("sqlite"):
            # Wait for a writer rather than fail at once: SQLite has one writer at a time.
            options = {"connect_args": {"check_same_thread": False, "timeout": 15}}
        engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _configure_sqlite_connection)
        else:
            event.listen(engine, "checkout", _refuse_closed_connection)
        app.extensions["openpep_engine"] = engine
        app.extensions["openpep_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["openpep_engine"]

    def _new_session(self) -> Session:
        return current_app.extensions["openpep_sessionmaker"]()

    def _remove_session(self, _exception: BaseException | None) -> None:
        self.session.remove()


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand the pool back a connection the server has closed, so that it connects afresh.

    An idle connection's socket has nothing to read until the server ends it: PostgreSQL then
    sends a last error ("terminating connection") and closes, so a socket that is readable (or
    gone) at checkout belongs to a dead connection. Checking is one poll of the socket, not a
    round trip; at worst a live connection with an unasked-for message is replaced.
    """
    try:
        socket_number = dbapi_connection.fileno()
    except Exception as error:  # psycopg raises once the connection is closed
        raise DisconnectionError("the connection is closed") from error
    poller = select.poll()
    poller.register(socket_number, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise DisconnectionError("the server closed the connection")


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Make SQLite behave as PostgreSQL does where the portal relies on it: foreign keys
    enforced, readers never blocked by a writer (WAL), and a writer that waits its turn."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    if _database_file(dbapi_connection):  # an in-memory database has no file and no WAL
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _database_file(dbapi_connection: Any) -> str:
    cursor = dbapi_connection.cursor()
    try:
        rows = cursor.execute("PRAGMA database_list").fetchall()
    finally:
        cursor.close()
    return next((row[2] for row in rows if row[1] == "main"), "") or ""


db = Database()
csrf = CSRFProtect()
htmx = HTMX()
