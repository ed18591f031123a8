"""Error pages: GOV.UK-style sentences, never a stack trace.

An error page needs nothing: it renders with the database down and no user loaded (the layout
reads only what was copied when the person was loaded). An autosave that fails gets the status
line's words, never a whole page to swap into the form.
"""

from __future__ import annotations

import contextlib

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db

SERVICE_UNAVAILABLE = 503
ERROR_PAGES = {
    400: (
        "Sorry, there is a problem with that request",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have permission to see this page",
        "If you think you should, ask your Virtual School admin.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted it, check you copied the entire address.",
    ),
    405: ("Sorry, that cannot be done here", "Go back and use the buttons on the page."),
    413: ("That was too much to send at once", "Go back and try again with less."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Anything you saved before this happened has been kept.",
    ),
    SERVICE_UNAVAILABLE: (
        "Sorry, the service is unavailable",
        "The service is not available right now. Try again in a few minutes. "
        "Anything you saved before this happened has been kept.",
    ),
}

# Why an autosave failed, in the words the status line uses ("Not saved: …").
AUTOSAVE_FAILURES = {
    400: "the page had expired.",
    403: "this section can no longer be changed here.",
    404: "this section could not be found.",
    413: "there was too much to save at once.",
    429: "there were too many attempts.",
    500: "there is a problem with the service.",
    SERVICE_UNAVAILABLE: "the service is not available right now.",
}
AUTOSAVE_TARGET = "autosave-status"
# How long to wait before trying again when the database is away (a restart takes seconds).
RETRY_AFTER_SECONDS = 30


def _is_fragment_request() -> bool:
    """An htmx request for part of a page (not a boosted page load or a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def _is_autosave() -> bool:
    if not _is_fragment_request():
        return False
    if request.headers.get("HX-Target") == AUTOSAVE_TARGET:
        return True
    try:  # the form may be the very thing that failed (too large, say)
        return request.method == "POST" and request.form.get("autosave") == "1"
    except Exception:
        return False


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    """The error as a page in the layout, or as the words for the part of a page that asked."""
    title, advice = ERROR_PAGES.get(code, ERROR_PAGES[500])
    if _is_autosave():
        reason = AUTOSAVE_FAILURES.get(code, AUTOSAVE_FAILURES[500])
        return render_template("errors/_autosave_failed.html", reason=reason), code
    if _is_fragment_request():
        return render_template("errors/_fragment.html", title=title, advice=advice), code
    try:
        return render_template("errors/error.html", title=title, advice=detail or advice), code
    except Exception:  # the last resort must not fail as well: a page that needs nothing at all
        return render_template("errors/plain.html", title=title, advice=detail or advice), code


def database_unavailable(error: BaseException) -> bool:
    """Whether the database could not be reached (down, restarting, or out of connections)."""
    if isinstance(error, OperationalError | PoolTimeoutError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _forget_the_failed_transaction() -> None:
    """Roll back what the request did; with the database gone even that may fail."""
    try:
        db.session.rollback()
    except Exception:
        with contextlib.suppress(Exception):
            db.session.close()


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            "The form had expired or was sent from somewhere else. Go back, refresh the page "
            "and try again. Nothing you saved before has been lost.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        if error.code == 413 and request.endpoint == "admin.upload_import":
            limit = app.config["IMPORT_MAX_BYTES"] / 1_000_000
            return render_error(
                413,
                f"The file is larger than the {limit:.0f} MB an import can be. Split it into "
                "smaller files, or ask your administrator to raise the limit "
                "(OPENPEP_IMPORT_MAX_MB). Nothing was imported.",
            )
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int, dict[str, str]] | tuple[str, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        _forget_the_failed_transaction()
        if database_unavailable(error):
            app.logger.error("The database is not available: %s", error)
            page, status = render_error(SERVICE_UNAVAILABLE)
            return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
        app.logger.exception("Unhandled error", exc_info=error)
        return render_error(InternalServerError.code)
