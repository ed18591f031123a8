"""Error pages: GOV.UK-style sentences, never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db

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
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, advice = ERROR_PAGES.get(code, ERROR_PAGES[500])
    return render_template("errors/error.html", title=title, advice=detail or advice), code


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
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        if isinstance(error, HTTPException):
            return http_error(error)
        app.logger.exception("Unhandled error", exc_info=error)
        db.session.rollback()
        return render_error(InternalServerError.code)
