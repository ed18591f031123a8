"""Making the statutory record when a PEP is signed off."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.exports.builder import build_pep_document, export_file_name, sha256_of
from portal.models import Pep, PepRecord
from portal.operations import audit
from portal.operations.audit import Actor


def store_signed_off_record(
    session: Session, actor: Actor, pep: Pep, settings: Mapping[str, Any]
) -> PepRecord:
    """Build the PEP's document once, keep its bytes and SHA-256; never build it again.

    The caller commits, so the record lands in the same transaction as the sign-off itself.
    """
    existing = session.scalar(select(PepRecord).where(PepRecord.pep_id == pep.id))
    if existing is not None:
        return existing
    session.flush()  # the sign-off event must be in the trail the document is built from
    generated_at = datetime.now(UTC)
    content = build_pep_document(pep, settings=settings, draft=False, generated_at=generated_at)
    record = PepRecord(
        pep_id=pep.id,
        file_name=export_file_name(pep, draft=False),
        sha256=sha256_of(content),
        byte_size=len(content),
        content=content,
        generated_at_utc=generated_at,
    )
    session.add(record)
    audit.record(
        session,
        actor,
        "pep.record_stored",
        "pep",
        pep.id,
        sha256=record.sha256,
        byte_size=record.byte_size,
    )
    return record
