"""The one way a PEP becomes a Word document, for drafts and for the signed-off record."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import object_session

from portal.exports.content import gather_content, term_slug
from portal.exports.docx_writer import render_document
from portal.exports.trail import TrailEntry, pep_trail
from portal.models import Pep

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def build_pep_document(
    pep: Pep,
    *,
    settings: Mapping[str, Any],
    draft: bool,
    generated_at: datetime,
    trail: Sequence[TrailEntry] | None = None,
    readable: frozenset[str] | None = None,
) -> bytes:
    """The PEP as .docx bytes. Pure given its inputs: the same PEP, trail, settings, `draft`
    and `generated_at` always give byte-identical output (so a record can be rebuilt to verify
    it). Without `trail`, the PEP's audit trail is read through the PEP's own session; only the
    entries up to `generated_at` are used. With `readable`, only those sections are included."""
    if trail is None:
        session = object_session(pep)
        trail = pep_trail(session, pep) if session is not None else []
    content = gather_content(
        pep, trail, settings=settings, draft=draft, generated_at=generated_at, readable=readable
    )
    return render_document(content)


def sha256_of(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


def export_file_name(pep: Pep, *, draft: bool) -> str:
    """ "PEP-DCC-1106-autumn-2026-DRAFT.docx": the child's reference and the term, never the
    child's name (file names end up in email subjects and download folders)."""
    reference = "".join(
        character if character.isascii() and (character.isalnum() or character in "-_") else "-"
        for character in pep.child.authority_reference
    )
    suffix = "-DRAFT" if draft else ""
    return f"PEP-{reference}-{term_slug(pep)}{suffix}.docx"
