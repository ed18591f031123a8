"""Load the signed-in user for each request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Flask, g, session

from portal.extensions import db
from portal.models import User

SESSION_USER_KEY = "user_id"


@dataclass(frozen=True)
class SignedInPerson:
    """What the page layout shows about the signed-in person, copied when they are loaded: a
    page about a failure must render without going back to the database."""

    display_name: str


def load_signed_in_user() -> None:
    """Set g.user from the session; a deactivated user is signed out at once."""
    g.user = None
    g.signed_in_person = None
    raw_id = session.get(SESSION_USER_KEY)
    if not raw_id:
        return
    try:
        user_id = uuid.UUID(raw_id)
    except (ValueError, TypeError):
        session.clear()
        return
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return
    g.user = user
    g.signed_in_person = SignedInPerson(user.display_name)


def init_app(app: Flask) -> None:
    app.before_request(load_signed_in_user)
