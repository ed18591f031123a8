"""Downloading a PEP as a Word document."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, current_app, g, request

from portal.auth import access
from portal.children.queries import roles_for_child
from portal.exports.builder import DOCX_MIMETYPE
from portal.extensions import db
from portal.form_registry import definition_for
from portal.operations.audit import Actor
from portal.operations.exports import Export, export_draft
from portal.operations.exports import download_record as record_export
from portal.peps.permissions import may_download_record, readable_sections, reads_everything
from portal.peps.queries import find_visible_pep

blueprint = Blueprint("exports", __name__)


def docx_response(export: Export) -> Response:
    """An attachment nobody caches: the file holds sensitive personal data."""
    response = Response(export.document, mimetype=DOCX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-SHA256"] = export.sha256
    return response


@blueprint.get("/peps/<uuid:pep_id>/export/draft.docx")
@access.signed_in
def download_draft(pep_id: uuid.UUID) -> Response:
    """A draft of the PEP as it stands, for anyone who may see it (invite links cannot): a
    carer's draft holds only the sections a carer may read."""
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    roles = roles_for_child(g.user, pep.child)
    readable = None
    if not reads_everything(roles):
        readable = frozenset(s.key for s in readable_sections(definition_for(pep), roles))
    export = export_draft(
        db.session,
        Actor.for_user(g.user, request.remote_addr),
        pep,
        current_app.config,
        readable=readable,
    )
    return docx_response(export)


@blueprint.get("/peps/<uuid:pep_id>/export/record.docx")
@access.signed_in
def download_record(pep_id: uuid.UUID) -> Response:
    """The signed-off record: the bytes stored at sign-off, whatever has changed since. It
    holds every section, so only staff who read every section may download it."""
    pep = find_visible_pep(db.session, g.user, pep_id)
    if pep is None:
        abort(404)
    if not may_download_record(roles_for_child(g.user, pep.child)):
        abort(403)
    export = record_export(db.session, Actor.for_user(g.user, request.remote_addr), pep)
    if export is None:
        abort(404)
    return docx_response(export)
