"""Downloading a PEP as a Word document: every download is in the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from portal.exports.builder import build_pep_document, export_file_name, sha256_of
from portal.exports.trail import pep_trail
from portal.models import Pep, PepRecord
from portal.operations import audit
from portal.operations.audit import Actor


@dataclass(frozen=True)
class Export:
    document: bytes
    file_name: str
    sha256: str
    draft: bool


def record_download(session: Session, actor: Actor, pep: Pep, export: Export) -> None:
    """Audit one download (draft or stored record) inside the caller's transaction."""
    audit.record_at_once(
        session,
        actor,
        "pep.exported",
        "pep",
        pep.id,
        draft=export.draft,
        sha256=export.sha256,
        file_name=export.file_name,
    )


def export_draft(
    session: Session,
    actor: Actor,
    pep: Pep,
    settings: Mapping[str, Any],
    now: datetime | None = None,
    readable: frozenset[str] | None = None,
) -> Export:
    """Build a draft of the PEP as it stands now (only the `readable` sections when given),
    record the download, and commit."""
    document = build_pep_document(
        pep,
        settings=settings,
        draft=True,
        generated_at=now or datetime.now(UTC),
        trail=pep_trail(session, pep),
        readable=readable,
    )
    export = Export(document, export_file_name(pep, draft=True), sha256_of(document), True)
    record_download(session, actor, pep, export)
    session.commit()
    return export


def download_record(session: Session, actor: Actor, pep: Pep) -> Export | None:
    """The stored record's exact bytes (never rebuilt), with the download audited."""
    record = session.scalar(
        # The bytes are deferred on the model (lists of records never need them): one query.
        select(PepRecord).options(undefer(PepRecord.content)).where(PepRecord.pep_id == pep.id)
    )
    if record is None:
        return None
    export = Export(record.content, record.file_name, record.sha256, False)
    record_download(session, actor, pep, export)
    session.commit()
    return export
