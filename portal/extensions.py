"""Module-level extensions, bound to an application in create_app()."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    """An engine per application, and a session scoped to the application context.

    The engine lives on the app (not on this object) so that tests may create several
    apps against different databases in one process.
    """

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(self._new_session)

    def init_app(self, app: Flask) -> None:
        url: str = app.config["DATABASE_URL"]
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options = {"connect_args": {"check_same_thread": False}}
        engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(engine, "connect", _enable_sqlite_foreign_keys)
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


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


db = Database()
csrf = CSRFProtect()
htmx = HTMX()
