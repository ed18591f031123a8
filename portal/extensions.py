"""Module-level extensions, bound to an application in create_app()."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

# Longer than any request, shorter than the idle timeouts of common firewalls and proxies.
POOL_RECYCLE_SECONDS = 1800
# A connection idle longer than this is asked "SELECT 1" when taken from the pool: a load
# balancer or a database failover may drop it silently (Azure's load balancer after about 4
# minutes, AWS's after 350 s), and a silent drop leaves nothing on the socket to poll.
IDLE_PING_SECONDS = 60
# TCP keepalives, so that a connection dropped while in use is found within about two minutes
# rather than when TCP gives up (libpq's parameters, passed through by psycopg).
POSTGRES_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 60,
    "keepalives_interval": 10,
    "keepalives_count": 5,
}


class Database:
    """An engine per application, and a session scoped to the application context.

    The engine lives on the app (not on this object) so that tests may create several
    apps against different databases in one process.
    """

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(self._new_session)

    def init_app(self, app: Flask) -> None:
        url: str = app.config["DATABASE_URL"]
        # Dead pooled connections are found at checkout without a round trip each time
        # (_refuse_dead_connection), and none is kept longer than POOL_RECYCLE_SECONDS.
        options: dict[str, Any] = {
            "pool_recycle": POOL_RECYCLE_SECONDS,
            "connect_args": dict(POSTGRES_KEEPALIVES),
        }
        if url.startswith("sqlite"):
            # Wait for a writer rather than fail at once: SQLite has one writer at a time.
            options = {"connect_args": {"check_same_thread": False, "timeout": 15}}
        engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _configure_sqlite_connection)
        else:
            event.listen(engine, "checkin", _note_idle_since)
            event.listen(engine, "checkout", _refuse_dead_connection(engine.dialect.do_ping))
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


View = TypeVar("View", bound=Callable[..., Any])
# The mark `reads_only` leaves on a view function.
READS_ONLY_MARK = "openpep_reads_only"
AUTOCOMMIT_METHODS = frozenset({"GET", "HEAD"})


def reads_only(view: View) -> View:
    """Mark a view whose GET changes nothing but by single statements, each whole by itself:
    the read audit's one INSERT, and `touch_session`'s one UPDATE (which commits, so what
    follows it runs in a transaction as usual). Ending a timed-out session writes two rows:
    `end_session` gives the connection back first, so that they are written in a transaction.

    Such a request runs without a transaction (`autocommit_reads`): a transaction there bought
    nothing but a BEGIN and a COMMIT, two round trips of five on a section page, each waking
    the database server. Put it between the route and the access rule, so that the function
    the route calls carries the mark."""
    setattr(view, READS_ONLY_MARK, True)
    return view


def autocommit_reads() -> None:
    """Before anything reads the database (`load_signed_in_user` calls it before the session
    row, the first statement): a GET of a `reads_only` view runs in autocommit,
    each statement its own transaction. Reads see what they saw before: on PostgreSQL each
    statement of a read-committed transaction already took its own snapshot. The pool puts
    the connection back to the usual level when the request gives it back."""
    if request.method not in AUTOCOMMIT_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, READS_ONLY_MARK, False):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    """Remember when a connection went back to the pool."""
    record.info["idle_since"] = time.monotonic()


def _refuse_dead_connection(ping: Callable[[Any], Any]) -> Callable[[Any, Any, Any], None]:
    """A checkout guard that hands the pool back a dead connection, so that it connects afresh.

    No pool_pre_ping: it costs a round trip every time a request takes a connection. Instead:
    an idle connection's socket has nothing to read until the server ends it (PostgreSQL then
    sends a last error, "terminating connection", and closes), so a socket that is readable (or
    gone) at checkout belongs to a dead connection: one poll, no round trip. A connection idle
    longer than IDLE_PING_SECONDS may have been dropped silently by something between, so only
    then is it pinged.
    """

    def refuse_dead_connection(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        try:
            socket_number = dbapi_connection.fileno()
        except Exception as error:  # psycopg raises once the connection is closed
            raise DisconnectionError("the connection is closed") from error
        poller = select.poll()
        poller.register(socket_number, select.POLLIN | select.POLLERR | select.POLLHUP)
        if poller.poll(0):
            raise DisconnectionError("the server closed the connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_SECONDS:
            try:
                ping(dbapi_connection)
            except Exception as error:
                raise DisconnectionError("the connection did not answer") from error
            record.info["idle_since"] = None

    return refuse_dead_connection


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
