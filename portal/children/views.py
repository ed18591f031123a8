"""Children list and child record pages."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, g, render_template, request

from portal.auth import access
from portal.children.queries import find_visible_child, list_visible_children, roles_for_child
from portal.extensions import db
from portal.operations.audit import Actor
from portal.operations.children import record_child_record_viewed
from portal.operations.peps import open_pep_of
from portal.peps.permissions import may_start_pep

blueprint = Blueprint("children", __name__)


@blueprint.get("/children")
@access.signed_in
def list_children() -> str:
    """The children this person may see."""
    children = list_visible_children(db.session, g.user)
    return render_template("children/list.html", children=children)


@blueprint.get("/children/<uuid:child_id>")
@access.signed_in
def show_child(child_id: uuid.UUID) -> str:
    """One child's details and PEP history; 404 for a child this person may not see."""
    child = find_visible_child(db.session, g.user, child_id)
    if child is None:
        abort(404)
    record_child_record_viewed(db.session, Actor.for_user(g.user, request.remote_addr), child)
    roles = roles_for_child(g.user, child)
    return render_template(
        "children/show.html",
        child=child,
        my_roles=roles,
        may_start=may_start_pep(roles),
        open_pep=open_pep_of(db.session, child),
    )
