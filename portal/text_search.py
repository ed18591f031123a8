"""Searching text typed by a person: their words are matched as they are, never as patterns."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern that matches ``text`` anywhere, with ``%``, ``_`` and the escape
    character itself escaped, so "100%" or "st_john" find exactly that. Use it with
    ``.like(pattern, escape=LIKE_ESCAPE)``."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
