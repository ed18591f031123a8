"""/messages: the signed-in person's own emails, newest first, each readable in full."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, g, render_template, request
from flask.blueprints import BlueprintSetupState
from sqlalchemy import func, select

from portal.admin.listing import page_count, page_number
from portal.auth import access
from portal.extensions import db
from portal.models import Email, EmailStatus
from portal.operations.audit import Actor
from portal.operations.emails import record_email_read

blueprint = Blueprint("messages", __name__)

MESSAGES_PER_PAGE = 20


@blueprint.get("/messages")
@access.signed_in
def list_messages() -> str:
    """The emails sent to this person, newest first, a page at a time (two queries)."""
    mine = Email.recipient_id == g.user.id
    total = db.session.scalar(select(func.count(Email.id)).where(mine)) or 0
    pages = page_count(total, MESSAGES_PER_PAGE)
    page = min(page_number(), pages)
    rows = db.session.execute(
        select(Email.id, Email.subject, Email.status, Email.created_at_utc, Email.sent_at_utc)
        .where(mine)
        .order_by(Email.created_at_utc.desc(), Email.id.desc())
        .limit(MESSAGES_PER_PAGE)
        .offset((page - 1) * MESSAGES_PER_PAGE)
    ).all()
    return render_template(
        "messages/list.html",
        messages=rows,
        statuses=EmailStatus,
        total=total,
        page=page,
        pages=pages,
    )


@blueprint.get("/messages/<uuid:email_id>")
@access.signed_in
def show_message(email_id: uuid.UUID) -> str:
    """One email in full. Another person's email is "not found": nobody reads anyone else's,
    nor learns that it exists."""
    email = db.session.scalar(
        select(Email).where(Email.id == email_id, Email.recipient_id == g.user.id)
    )
    if email is None:
        abort(404)
    record_email_read(db.session, Actor.for_user(g.user, request.remote_addr), email)
    paragraphs = [part.strip() for part in email.body_text.split("\n\n") if part.strip()]
    # Only the portal's own links become links: words quoted in an email (a reason for
    # returning a PEP) stay text, whatever they look like.
    base_url = current_app.config.get("BASE_URL")
    return render_template(
        "messages/show.html",
        email=email,
        paragraphs=paragraphs,
        page=page_number(),
        link_prefix=f"{base_url}/" if base_url else None,
    )


@blueprint.record_once
def _say_whether_email_is_set_up(state: BlueprintSetupState) -> None:
    """At startup in production, say plainly when emails will be recorded but not sent."""
    app = state.app
    reason = app.config.get("EMAIL_NOT_SET_UP_REASON")
    if reason and app.config.get("OPENPEP_ENV") == "production":
        app.logger.warning("%s Set OPENPEP_SMTP_HOST and OPENPEP_MAIL_FROM to send them.", reason)
