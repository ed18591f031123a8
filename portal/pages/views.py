"""Start page, accessibility statement, privacy notice, brand stylesheet and health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import access
from portal.extensions import db

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
@access.public
def home() -> str:
    """The start page, or the signed-in person's home."""
    return render_template("pages/home.html", user=g.get("user"))


@blueprint.get("/accessibility")
@access.public
def accessibility_statement() -> str:
    """The accessibility statement."""
    return render_template("pages/accessibility.html")


@blueprint.get("/privacy")
@access.public
def privacy_notice() -> str:
    """The privacy notice."""
    return render_template("pages/privacy.html")


@blueprint.get("/brand.css")
@access.public
def brand_stylesheet() -> Response:
    """The authority's brand colour, so no inline style is needed (the CSP forbids it)."""
    colour = current_app.config["BRAND_COLOUR"]
    css = f":root {{ --govuk-brand-colour: {colour}; }}\n"
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@blueprint.get("/healthz")
@access.public
def health() -> tuple[Response, int]:
    """Whether the portal can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="reachable"), 200
