"""Running an import's long steps (checking, committing) away from the request.

In the web app they run in a background thread, and the admin's page shows their progress
from the database (any worker can show it); the CLI and tests can run them in place. A step
that dies with its worker leaves the records unchanged (each step is one transaction) and is
later marked as stopped (`give_up_stalled_import`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import User
from portal.operations.audit import Actor

Step = Callable[[Session, Actor, uuid.UUID], None]


def run_step(
    app: Flask,
    step: Step,
    run_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    client_address: str | None,
    actor_description: str | None = None,
) -> None:
    if app.config.get("IMPORTS_IN_BACKGROUND", True):
        thread = threading.Thread(
            target=_run_in_app_context,
            args=(app, step, run_id, user_id, client_address, actor_description),
            name=f"import-{run_id}",
            daemon=True,
        )
        thread.start()
    else:
        _run(step, run_id, user_id, client_address, actor_description)


def _run_in_app_context(
    app: Flask,
    step: Step,
    run_id: uuid.UUID,
    user_id: uuid.UUID | None,
    client_address: str | None,
    actor_description: str | None,
) -> None:
    with app.app_context():
        try:
            _run(step, run_id, user_id, client_address, actor_description)
        finally:
            db.session.remove()


def _run(
    step: Step,
    run_id: uuid.UUID,
    user_id: uuid.UUID | None,
    client_address: str | None,
    actor_description: str | None,
) -> None:
    # The person is loaded again in this thread's own session, never shared across threads.
    user = db.session.get(User, user_id) if user_id else None
    if user is not None:
        actor = Actor.for_user(user, client_address)
    else:
        actor = Actor.system(actor_description or "import")
    step(db.session, actor, run_id)
