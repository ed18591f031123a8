"""Load the signed-in user for each request, from the server-side session (auth/sessions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class SignedInPerson:
    """What the page layout shows about the signed-in person, copied when they are loaded: a
    page about a failure must render without going back to the database."""

    display_name: str
    is_admin: bool = False  # the layout offers the admin area


def init_app(app: Flask) -> None:
    from portal.auth import sessions

    sessions.init_app(app)
