"""Watching the SQL the application sends, for tests that hold a page's queries constant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from portal.extensions import db


@contextmanager
def on_each_statement(app: Flask, note: Callable[..., None]) -> Iterator[None]:
    """Call `note` with SQLAlchemy's before_cursor_execute arguments (the connection, the
    cursor, the statement, ...) for every statement the application sends inside the block."""
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the application sends inside the block, in order."""
    statements: list[str] = []

    def note(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with on_each_statement(app, note):
        yield statements
