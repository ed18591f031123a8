"""Children list and child record pages, and a child's history for subject access requests."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, g, render_template, request

from portal.admin.listing import page_count, page_number
from portal.auth import access
from portal.children.history import history_csv, history_row
from portal.children.queries import (
    child_history_page,
    child_history_query,
    child_timeline_page,
    find_visible_child,
    list_visible_children,
    roles_for_child,
)
from portal.codes import ssda903
from portal.extensions import db
from portal.form_registry import pep_child_facts, pep_year_start
from portal.models import Child, Pep
from portal.operations.audit import Actor
from portal.operations.children import record_child_record_viewed
from portal.operations.peps import open_pep_of
from portal.operations.views_audit import (
    record_child_history_exported,
    record_child_history_viewed,
)
from portal.peps.permissions import (
    may_read_pep,
    may_start_pep,
    pep_start_refusal,
    reads_everything,
)
from workflows.roles import Role

blueprint = Blueprint("children", __name__)

HISTORY_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 20


@blueprint.get("/children")
@access.signed_in
def list_children() -> str:
    """The children this person may see."""
    children = list_visible_children(db.session, g.user)
    return render_template("children/list.html", children=children)


@blueprint.get("/children/<uuid:child_id>")
@access.signed_in
def show_child(child_id: uuid.UUID) -> str:
    """One child's details, PEP history and timeline; 404 for a child this person may not see."""
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    record_child_record_viewed(db.session, Actor.for_user(g.user, request.remote_addr), child)
    roles = roles_for_child(g.user, child)
    staff = reads_everything(roles)
    page = page_number()
    # The timeline is care history (placements, legal status): staff only, like the care details.
    events, total = (
        child_timeline_page(db.session, child, page, TIMELINE_PAGE_SIZE) if staff else ([], 0)
    )
    return render_template(
        "children/show.html",
        child=child,
        # A carer sees the PEPs from the start of the placement on, and not the care details.
        peps=[pep for pep in child.peps if may_read_pep(g.user, pep, roles)],
        staff=staff,
        is_admin=Role.ADMIN in roles,
        my_roles=roles,
        may_start=may_start_pep(roles, child),
        start_refusal=pep_start_refusal(child, roles) if staff else None,
        open_pep=open_pep_of(db.session, child),
        left_care_reason=_left_care_reason(child),
        timeline=events,
        timeline_total=total,
        timeline_page=page,
        timeline_pages=page_count(total, TIMELINE_PAGE_SIZE),
    )


def _left_care_reason(child: Child) -> str | None:
    if child.reason_left_care is None:
        return None
    reason = ssda903().reasons_episode_ceased.get(child.reason_left_care)
    label = reason.label if reason else "Reason"
    return f"{label} ({child.reason_left_care})"


@blueprint.app_template_global("pep_caption_facts")
def pep_caption_facts(pep: Pep) -> list[str]:
    """The child's facts a PEP's pages show under its name: fixed at sign-off for a
    signed-off PEP, today's otherwise; the legal status (a care detail) for staff only."""
    facts = pep_child_facts(pep, on=pep_year_start(pep))
    shown = [str(facts["school_name"]), str(facts["year_group"])]
    user = g.get("user")
    if user is not None and reads_everything(roles_for_child(user, pep.child)):
        shown.append(str(facts["legal_status"]))
    return shown


def _child_or_404(child_id: uuid.UUID) -> Child:
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    return child


@blueprint.get("/children/<uuid:child_id>/history")
@access.roles(Role.ADMIN)
def child_history(child_id: uuid.UUID) -> str:
    """Everything that happened to this child's records, newest first (subject access)."""
    child = _child_or_404(child_id)
    page = page_number()
    events, total = child_history_page(db.session, child, page, HISTORY_PAGE_SIZE)
    rows = [history_row(event) for event in events]
    pages = page_count(total, HISTORY_PAGE_SIZE)
    actor = Actor.for_user(g.user, request.remote_addr)
    record_child_history_viewed(db.session, actor, child, page)
    return render_template(
        "children/history.html",
        child=child,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
    )


@blueprint.get("/children/<uuid:child_id>/history.csv")
@access.roles(Role.ADMIN)
def child_history_csv(child_id: uuid.UUID) -> Response:
    """The whole history as CSV, every cell safe to open in a spreadsheet."""
    child = _child_or_404(child_id)
    events = list(db.session.scalars(child_history_query(db.session, child)))
    body = history_csv(events)
    reference = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in child.authority_reference
    )
    record_child_history_exported(
        db.session, Actor.for_user(g.user, request.remote_addr), child, len(events)
    )
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="history-{reference}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
