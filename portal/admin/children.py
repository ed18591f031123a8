"""Admin: changes in a child's life (school or setting, placement, carer, social worker,
leaving care), each recorded on a date and shown in the child's timeline."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from portal.academic import england_today
from portal.admin import blueprint
from portal.admin.listing import search_text
from portal.auth import access
from portal.codes import ssda903
from portal.extensions import db
from portal.models import Child, NoSchoolPlace
from portal.operations import child_events
from portal.operations.audit import Actor
from workflows.roles import Role

ChangeOperation = Callable[[Session, Actor, Child, Mapping[str, str], date], dict[str, str]]


def _child_or_404(child_id: uuid.UUID) -> Child:
    child = db.session.get(Child, child_id)
    if child is None:
        abort(404)
    return child


def _record_change(
    child_id: uuid.UUID, template: str, operation: ChangeOperation, **context: Any
) -> Response | tuple[str, int] | str:
    """Show the change's page; on POST make the change and go back to the child, or show the
    page again with what to put right (nothing is changed then)."""
    child = _child_or_404(child_id)
    problems: dict[str, str] = {}
    if request.method == "POST":
        actor = Actor.for_user(g.user, request.remote_addr)
        problems = operation(db.session, actor, child, request.form, england_today())
        if not problems:
            return redirect(url_for("children.show_child", child_id=child.id), 303)
    page = render_template(
        template,
        child=child,
        problems=problems,
        error_list=[{"text": text, "href": f"#{field}"} for field, text in problems.items()],
        posted=request.form,
        **context,
    )
    return (page, 400) if problems else page


@blueprint.route("/children/<uuid:child_id>/school", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def change_school(child_id: uuid.UUID) -> Response | tuple[str, int] | str:
    """Record a change of school or setting, or that the child has no school place."""
    search = search_text(request.values.get("search") or "")[:200]
    return _record_change(
        child_id,
        "admin/children/school.html",
        child_events.change_school_of_child,
        search=search,
        schools=child_events.find_schools(db.session, search),
        no_school_reasons=list(NoSchoolPlace),
    )


@blueprint.route("/children/<uuid:child_id>/placement", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def change_placement(child_id: uuid.UUID) -> Response | tuple[str, int] | str:
    """Record a change of placement: its type, provider and where it is."""
    codes = ssda903()
    return _record_change(
        child_id,
        "admin/children/placement.html",
        child_events.change_placement_of_child,
        placement_types=codes.placement_types,
        placement_providers=codes.placement_providers,
    )


@blueprint.route("/children/<uuid:child_id>/carer", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def change_carer(child_id: uuid.UUID) -> Response | tuple[str, int] | str:
    """Record that the child lives with another carer."""
    return _record_change(
        child_id,
        "admin/children/person.html",
        child_events.change_carer_of_child,
        role=Role.CARER,
        form_action="admin.change_carer",
        date_question="When did they begin looking after the child?",
    )


@blueprint.route("/children/<uuid:child_id>/social-worker", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def change_social_worker(child_id: uuid.UUID) -> Response | tuple[str, int] | str:
    """Record that another social worker holds the child's case."""
    return _record_change(
        child_id,
        "admin/children/person.html",
        child_events.change_social_worker_of_child,
        role=Role.SOCIAL_WORKER,
        form_action="admin.change_social_worker",
        date_question="When did they take on the case?",
    )


@blueprint.route("/children/<uuid:child_id>/leaving-care", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def record_leaving_care(child_id: uuid.UUID) -> Response | tuple[str, int] | str:
    """Record that the child left care, and why (the SSDA903 reason)."""
    return _record_change(
        child_id,
        "admin/children/leaving_care.html",
        child_events.record_leaving_care_of_child,
        reasons=child_events.leaving_care_reasons(),
    )
