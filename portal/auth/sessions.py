"""Server-side sessions seen from a request: the cookie carries only a random session id.

Everything else about a signed-in session (who, since when, the provider's ID token, the value
CSRF tokens are signed with) lives in its `user_sessions` row, so ending the row ends the
session: an old cookie, and a CSRF token taken from one of its pages, are worth nothing after.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.extensions import autocommit_reads, db
from portal.models import User, UserSession
from portal.operations.sessions import SessionEnd, end_session, token_hash, touch_session
from workflows.roles import Role

SESSION_ID_KEY = "sid"
# Flask-WTF keeps the value it signs CSRF tokens with under this key of the Flask session.
CSRF_SECRET_KEY = "csrf_token"  # noqa: S105 - a session key, not a secret
# Why the last session ended, for the sign-in page to say.
ENDED_WHY_KEY = "session_ended_why"
# The id of a session that timed out (or whose account was switched off), kept in the cookie so
# that "Sign out" pressed later, from any page, can still end the provider's session too.
ENDED_SESSION_KEY = "ended_sid"
# Sent with every signed-in answer, so the timeout warning counts from the server's view.
SECONDS_LEFT_HEADER = "X-OpenPEP-Session-Seconds"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Before the end, the page warns the person and offers more time (WCAG 2.2.1).
WARNING_SECONDS = 120

ENDED_SENTENCES = {
    SessionEnd.SIGNED_OUT: "You signed out.",
    SessionEnd.IDLE: "You were signed out because you had not used the service for {idle}.",
    SessionEnd.MAX_LIFETIME: "You were signed out because you had been signed in for {max}.",
    SessionEnd.ACCOUNT_SWITCHED_OFF: "You were signed out because your account was switched off.",
}


@dataclass(frozen=True)
class SessionTimes:
    idle: timedelta
    max_lifetime: timedelta

    @classmethod
    def of(cls, app: Flask) -> SessionTimes:
        return cls(
            idle=timedelta(minutes=float(app.config["SESSION_IDLE_MINUTES"])),
            max_lifetime=timedelta(hours=float(app.config["SESSION_MAX_HOURS"])),
        )

    @property
    def touch_every(self) -> timedelta:
        """How stale `last_seen` may get before a request writes it again."""
        return min(timedelta(seconds=60), self.idle / 4)

    @property
    def warning(self) -> timedelta:
        return min(timedelta(seconds=WARNING_SECONDS), self.idle / 2)


class SessionIdCookie(SecureCookieSessionInterface):
    """The Flask cookie, less what the server keeps: a signed-in cookie holds the session id
    (and, before sign-in, the sign-in's own state), never the CSRF value."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        held = {}
        if SESSION_ID_KEY in session and CSRF_SECRET_KEY in session:
            # dict methods: leave the session's "modified" flag alone.
            held[CSRF_SECRET_KEY] = dict.pop(session, CSRF_SECRET_KEY)
        try:
            super().save_session(app, session, response)
        finally:
            dict.update(session, held)


def duration_words(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} hours"
    if minutes >= 1:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    seconds = round(span.total_seconds())
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def ended_sentence(why: str | None) -> str | None:
    if why is None or why not in set(SessionEnd):
        return None
    times = SessionTimes.of(current_app)
    return ENDED_SENTENCES[SessionEnd(why)].format(
        idle=duration_words(times.idle), max=duration_words(times.max_lifetime)
    )


def why_it_ends(row: UserSession, now: datetime, times: SessionTimes) -> SessionEnd | None:
    """Why a session found by its cookie must end now, or None while it may go on."""
    if not row.user.active:
        return SessionEnd.ACCOUNT_SWITCHED_OFF
    if now >= row.ends_by_utc:
        return SessionEnd.MAX_LIFETIME
    if now - row.last_seen_at_utc >= times.idle:
        return SessionEnd.IDLE
    return None


def remember_deadline(row: UserSession) -> None:
    """Note when the session ends if the person does nothing more, as a plain value: an error
    page (the database down, the row expired by a rollback) must still render."""
    times = SessionTimes.of(current_app)
    g.session_deadline = min(row.last_seen_at_utc + times.idle, row.ends_by_utc)


def seconds_left() -> int | None:
    """Until this request's session ends if the person does nothing more."""
    deadline = g.get("session_deadline")
    if deadline is None:
        return None
    # Rounded up: a page told 0 seconds finds the session ended when it asks again.
    return max(0, math.ceil((deadline - datetime.now(UTC)).total_seconds()))


# Built once: every signed-in request asks it, and building the statement and its loader
# options again each time cost as much as reading the row.
SESSION_WITH_PERSON = (
    select(UserSession)
    .options(joinedload(UserSession.user).joinedload(User.grants))
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def session_row_for(raw_id: str) -> UserSession | None:
    """The session row with its person and their role grants, in one query: every signed-in
    request needs all three (the grants decide what the page may show)."""
    return (
        db.session.execute(SESSION_WITH_PERSON, {"token_hash": token_hash(raw_id)})
        .unique()
        .scalar_one_or_none()
    )


def begin(raw_id: str) -> None:
    """Bind this browser to a session just started: a new cookie, nothing from before."""
    session.clear()
    session.permanent = True
    session[SESSION_ID_KEY] = raw_id


def load_signed_in_user() -> Response | tuple[str, int] | None:
    """Set g.user from the server-side session the cookie names; end it when its time is up.

    Runs before Flask-WTF's CSRF check, so the CSRF value it checks against is the session
    row's: once the session ends, tokens from its pages are refused.
    """
    from portal.auth.current_user import SignedInPerson

    g.user = None
    g.signed_in_person = None
    g.user_session = None
    g.session_deadline = None
    raw_id = session.get(SESSION_ID_KEY)
    if not raw_id:
        if request.endpoint == "auth.logout" and session.get(ENDED_SESSION_KEY):
            return _sign_out_after_the_end(str(session[ENDED_SESSION_KEY]))
        # No database work for someone not signed in: the page's access rule sends them to
        # sign in, even while the database is down.
        return None
    # The session row is the request's first statement: whether it needs a transaction at all
    # is decided before it (portal/extensions.py).
    autocommit_reads()
    row = session_row_for(str(raw_id))
    now = datetime.now(UTC)
    times = SessionTimes.of(current_app)
    if row is None:  # not a session this portal started: nothing to say about it
        why: str | None = None
    elif row.ended_at_utc is not None:
        why = row.ended_why or SessionEnd.SIGNED_OUT
    else:
        ending = why_it_ends(row, now, times)
        if ending is None:
            if request.endpoint != "auth.session_status":  # asking is not using the service
                touch_session(db.session, row, not_within=times.touch_every)
            g.user = row.user
            g.user_session = row
            g.signed_in_person = SignedInPerson(
                row.user.display_name, is_admin=row.user.has_authority_role(Role.ADMIN)
            )
            remember_deadline(row)
            # dict method: the cookie need not be written again for it (see SessionIdCookie).
            dict.__setitem__(session._get_current_object(), CSRF_SECRET_KEY, row.csrf_secret)
            return None
        end_session(db.session, row, ending, request.remote_addr)
        why = ending
    session.clear()
    if why is not None:
        session[ENDED_WHY_KEY] = str(why)
        if row is not None and why != SessionEnd.SIGNED_OUT:
            session[ENDED_SESSION_KEY] = str(raw_id)
    if request.method in SAFE_METHODS:
        return None  # the page's own access rule sends the person to sign in
    return _signed_out_answer(why, row)


def _sign_out_after_the_end(raw_id: str) -> Response:
    """ "Sign out" pressed after the session ended without one (a timeout noticed by another
    request first, the sign-in page's own button): end the provider's session as signing out
    would have. Answered before the CSRF check, as every ended session's write is: the portal's
    session is over, so there is nothing here a forged request could change."""
    from portal.auth.views import sign_out_at_provider

    autocommit_reads()
    row = session_row_for(raw_id)
    session.clear()
    return sign_out_at_provider(row if row is not None and row.ended_at_utc else None)


def _signed_out_answer(why: str | None, row: UserSession | None) -> Response | tuple[str, int]:
    """A write from a page whose session has ended: say so plainly, never a 500 or a bare 400."""
    if request.endpoint == "auth.logout":
        if row is not None and why != SessionEnd.SIGNED_OUT:
            # Timed out or switched off here, perhaps not at the provider: the person asked to
            # sign out, so end that one too (signing out already did, where it was signed out).
            from portal.auth.views import sign_out_at_provider

            return sign_out_at_provider(row)
        return redirect(url_for("auth.signed_out"))
    sentence = ended_sentence(why) or "You have been signed out."
    headers = request.headers
    fragment = (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )
    if fragment:
        return render_template("auth/_signed_out_status.html", sentence=sentence), 401
    return render_template("auth/session_ended.html", sentence=sentence), 401


def add_seconds_left(response: Response) -> Response:
    left = seconds_left()
    if left is not None and g.get("signed_in_person") is not None:
        response.headers[SECONDS_LEFT_HEADER] = str(left)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionIdCookie()
    # First of all before-request functions: before Flask-WTF's CSRF check (see above).
    app.before_request_funcs.setdefault(None, []).insert(0, load_signed_in_user)
    app.after_request(add_seconds_left)

    @app.context_processor
    def session_timeout() -> dict[str, Any]:
        times = SessionTimes.of(app)
        # What the accessibility statement says, from the settings in force.
        limits = {
            "session_idle_words": duration_words(times.idle),
            "session_max_words": duration_words(times.max_lifetime),
            "session_warning_words": duration_words(times.warning),
        }
        left = seconds_left()
        if left is None or g.get("signed_in_person") is None:
            return {"session_timeout": None, **limits}
        return {
            **limits,
            "session_timeout": {
                "seconds_left": left,
                "warning_seconds": int(times.warning.total_seconds()),
            },
        }
