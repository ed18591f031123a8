"""The life of an import: upload, check into a preview, then commit whole or not at all.

A file is kept (in its `ImportRun`) from upload to commit, so the commit applies exactly the
file that was previewed, checked again against the records as they are at that moment. Checking
and committing may run in a background thread (the admin's page shows their progress); every
step is its own transaction, so a worker that dies mid-way leaves the records as they were.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from portal.imports import Plan, Problem
from portal.imports.reading import FileRefused, read_rows
from portal.imports.registry import importer_for
from portal.models import ImportKind, ImportRun, ImportStatus
from portal.models.base import utc_now
from portal.operations import audit
from portal.operations.audit import Actor

log = logging.getLogger(__name__)

# What a preview keeps to show: every problem and every change, up to these many (a file with
# more problems than this needs fixing at its source, and the page says so).
MOST_PROBLEMS_KEPT = 20_000
MOST_CHANGES_KEPT = 200_000
# Progress is written at most this often (rows), from its own short transaction.
PROGRESS_EVERY_ROWS = 250
# A check or commit that has not moved for this long has stopped (its worker went away).
STALLED_AFTER = timedelta(minutes=10)

WORKING_STATUSES = frozenset({ImportStatus.CHECKING, ImportStatus.COMMITTING})


@dataclass(frozen=True)
class ImportRefusal:
    """Why an import step could not be done, in words for the admin."""

    message: str


def megabytes(byte_count: int) -> str:
    return (
        f"{byte_count / 1_000_000:.0f} MB" if byte_count >= 1_000_000 else f"{byte_count:,} bytes"
    )


def upload_import(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    file_name: str,
    content: bytes,
    *,
    max_bytes: int,
) -> ImportRun | ImportRefusal:
    """Keep the uploaded file as a new run waiting to be checked; any earlier preview of the
    same kind that was never committed is discarded, so only the newest can be committed."""
    name = (file_name or "").strip() or "upload.csv"
    if not content:
        return ImportRefusal("The file is empty. Choose the CSV file you exported, and upload it.")
    if len(content) > max_bytes:
        audit.record(
            session,
            actor,
            "import.refused",
            "import",
            None,
            kind=kind.value,
            file_name=name,
            reason="too large",
            byte_size=len(content),
        )
        session.commit()
        return ImportRefusal(
            f"The file is {megabytes(len(content))}, more than the {megabytes(max_bytes)} an "
            "import can be. Split it into smaller files, or ask your administrator to raise "
            "the limit (OPENPEP_IMPORT_MAX_MB)."
        )
    for earlier in session.scalars(
        select(ImportRun).where(
            ImportRun.kind == kind.value, ImportRun.status == ImportStatus.PREVIEWED.value
        )
    ):
        earlier.status = ImportStatus.DISCARDED.value
        earlier.content = None
    run = ImportRun(
        kind=kind.value,
        status=ImportStatus.CHECKING.value,
        file_name=name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        byte_size=len(content),
        content=content,
        rows_done=0,
        outcome={},
        counts={},
        uploaded_by_id=actor.user.id if actor.user else None,
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "import.uploaded",
        "import",
        run.id,
        kind=kind.value,
        file_name=run.file_name,
        sha256=run.sha256,
        byte_size=run.byte_size,
    )
    session.commit()
    return run


def check_import(session: Session, _actor: Actor, run_id: uuid.UUID) -> None:
    """Read and check the run's file into its preview. Changes no records, only the run."""
    run = session.get(ImportRun, run_id)
    if run is None or run.status_enum is not ImportStatus.CHECKING:
        return
    try:
        plan = _read_and_check(session, run)
    except FileRefused as refusal:
        session.rollback()
        _finish(session, run_id, ImportStatus.REFUSED, refusal=str(refusal), drop_file=True)
        return
    except Exception:
        log.exception("Checking import %s failed", run_id)
        session.rollback()
        _finish(
            session,
            run_id,
            ImportStatus.FAILED,
            drop_file=True,
            refusal="The file could not be checked because of a problem on our side. Nothing "
            "was changed. Try again; if it happens again, tell your administrator.",
        )
        return
    session.rollback()  # the check only read; end its transaction before writing the outcome
    _finish(session, run_id, ImportStatus.PREVIEWED, outcome=preview_of(plan))


def commit_import(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRefusal | None:
    """Claim the previewed run for committing, or say why it cannot be. The commit itself is
    `apply_import` (in the background or not)."""
    run = session.get(ImportRun, run_id)
    if run is None:
        return ImportRefusal("There is no such import.")
    if run.status_enum is not ImportStatus.PREVIEWED:
        return ImportRefusal(_not_waiting(run))
    if run.counts.get("problems"):
        return ImportRefusal(
            "This file has problems, so nothing can be imported from it. Fix them in the file "
            "and upload it again."
        )
    claimed = session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == ImportStatus.PREVIEWED.value)
        .values(
            status=ImportStatus.COMMITTING.value,
            committed_by_id=actor.user.id if actor.user else None,
            rows_done=0,
            updated_at_utc=utc_now(),
        )
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(run)
        return ImportRefusal(_not_waiting(run))
    audit.record(session, actor, "import.commit_started", "import", run_id, kind=run.kind)
    session.commit()
    return None


def apply_import(session: Session, actor: Actor, run_id: uuid.UUID) -> None:
    """Check the file again against the records as they are now and make every change in one
    transaction; on any failure nothing changes and the run says so."""
    run = session.get(ImportRun, run_id)
    if run is None or run.status_enum is not ImportStatus.COMMITTING:
        return
    kind = run.kind
    try:
        plan = _read_and_check(session, run)
        if plan.problems:
            session.rollback()
            # The records changed since the preview (someone else's import, say): show the
            # problems as they are now, and let the admin decide again.
            _finish(session, run_id, ImportStatus.PREVIEWED, outcome=preview_of(plan))
            return
        importer_for(ImportKind(kind)).apply(session, actor, plan)
        preview = preview_of(plan)
        run = session.get(ImportRun, run_id)
        assert run is not None
        run.status = ImportStatus.COMMITTED.value
        _keep_outcome(run, preview)
        run.content = None
        run.committed_at_utc = utc_now()
        run.rows_done = run.rows_total or 0
        audit.record(
            session,
            actor,
            "import.committed",
            "import",
            run_id,
            kind=kind,
            file_name=run.file_name,
            sha256=run.sha256,
            counts=preview["counts"],
        )
        session.commit()
    except Exception:
        log.exception("Committing import %s failed", run_id)
        session.rollback()
        _finish(
            session,
            run_id,
            ImportStatus.FAILED,
            drop_file=True,
            refusal="The import could not be finished because of a problem on our side. "
            "Nothing was changed. Upload the file again; if it happens again, tell your "
            "administrator.",
        )
        audit.record(session, actor, "import.failed", "import", run_id, kind=kind)
        session.commit()


def discard_import(session: Session, actor: Actor, run_id: uuid.UUID) -> ImportRefusal | None:
    """The admin chose not to commit: the file is dropped and nothing changes."""
    run = session.get(ImportRun, run_id)
    if run is None:
        return ImportRefusal("There is no such import.")
    if run.status_enum is not ImportStatus.PREVIEWED:
        return ImportRefusal(_not_waiting(run))
    run.status = ImportStatus.DISCARDED.value
    run.content = None
    audit.record(session, actor, "import.discarded", "import", run_id, kind=run.kind)
    session.commit()
    return None


def give_up_stalled_import(session: Session, run: ImportRun, now: datetime | None = None) -> bool:
    """A check or commit whose worker went away (a restart, say) never finishes: after a
    while it is marked as stopped. Its transaction died with it, so nothing was changed."""
    if run.status_enum not in WORKING_STATUSES:
        return False
    if (now or utc_now()) - run.updated_at_utc < STALLED_AFTER:
        return False
    stopped = session.execute(
        update(ImportRun)
        .where(ImportRun.id == run.id, ImportRun.status == run.status)
        .values(
            status=ImportStatus.FAILED.value,
            content=None,
            refusal="This import stopped before it finished (the service may have restarted). "
            "Nothing was changed. Upload the file again.",
            updated_at_utc=utc_now(),
        )
    )
    session.commit()
    session.refresh(run)
    return bool(stopped.rowcount)  # type: ignore[attr-defined]


def preview_of(plan: Plan) -> dict[str, object]:
    """What the preview page shows: counts, every problem, and every row that changes
    something (unchanged rows are only counted)."""
    changes = [change for change in plan.changes if change.action != "unchanged"]
    return {
        "counts": plan.counts(),
        "problems": [problem.as_dict() for problem in plan.problems[:MOST_PROBLEMS_KEPT]],
        "problems_cut": max(0, len(plan.problems) - MOST_PROBLEMS_KEPT),
        "changes": [change.as_dict() for change in changes[:MOST_CHANGES_KEPT]],
        "changes_cut": max(0, len(changes) - MOST_CHANGES_KEPT),
    }


def _read_and_check(session: Session, run: ImportRun) -> Plan:
    importer = importer_for(run.kind_enum)
    content = run.content
    if content is None:
        raise FileRefused("The file is no longer kept. Upload it again.")
    rows_total, rows = read_rows(
        content,
        encodings=importer.encodings,
        required_columns=importer.required_columns,
        optional_columns=importer.optional_columns,
    )
    engine = session.get_bind()
    run_id = run.id
    _write_progress(engine, run_id, 0, rows_total)
    last_written = [0]

    def progress(rows_done: int) -> None:
        if rows_done - last_written[0] >= PROGRESS_EVERY_ROWS:
            last_written[0] = rows_done
            _write_progress(engine, run_id, rows_done, None)

    plan = importer.check(session, rows, progress)
    if rows_total == 0 and not plan.problems:
        plan.problems.append(
            Problem(
                None,
                None,
                "The file has a heading row but no rows below it.",
                "Export the file again with its rows, and upload it.",
            )
        )
    _write_progress(engine, run_id, rows_total, None)
    return plan


def _write_progress(engine: object, run_id: uuid.UUID, rows_done: int, total: int | None) -> None:
    """Progress from its own connection, so the page sees it while the check goes on."""
    values: dict[str, object] = {"rows_done": rows_done, "updated_at_utc": utc_now()}
    if total is not None:
        values["rows_total"] = total
    assert isinstance(engine, Engine)
    with engine.begin() as connection:
        connection.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))


def _finish(
    session: Session,
    run_id: uuid.UUID,
    status: ImportStatus,
    *,
    outcome: dict[str, object] | None = None,
    refusal: str | None = None,
    drop_file: bool = False,
) -> None:
    run = session.get(ImportRun, run_id)
    if run is None:
        return
    run.status = status.value
    if outcome is not None:
        _keep_outcome(run, outcome)
    run.refusal = refusal
    if drop_file:
        run.content = None
    session.commit()


def _keep_outcome(run: ImportRun, outcome: dict[str, object]) -> None:
    """The preview, and its counts apart, so a list of imports never reads the preview."""
    run.outcome = outcome
    counts = outcome.get("counts", {})
    run.counts = dict(counts) if isinstance(counts, dict) else {}


def record_import_viewed(session: Session, actor: Actor, run: ImportRun) -> None:
    """Who read an import's preview (it names children and staff); committed on its own, as a
    read changes nothing else."""
    audit.record_at_once(session, actor, "import.viewed", "import", run.id, kind=run.kind)
    session.commit()


def record_import_problems_downloaded(
    session: Session, actor: Actor, run: ImportRun, rows: int
) -> None:
    """Who downloaded an import's problems (they quote the file's cells), and how many."""
    audit.record(
        session, actor, "import.problems_downloaded", "import", run.id, kind=run.kind, rows=rows
    )
    session.commit()


def _not_waiting(run: ImportRun) -> str:
    status = run.status_enum
    if status is ImportStatus.COMMITTED:
        who = run.committed_by.display_name if run.committed_by else "someone"
        when = (
            run.committed_at_utc.strftime(" on %d %B %Y at %H:%M UTC")
            if run.committed_at_utc
            else ""
        )
        return f"This import was already committed by {who}{when}."
    if status is ImportStatus.COMMITTING:
        return "This import is being committed now. Wait for it to finish."
    if status is ImportStatus.DISCARDED:
        return "This preview was discarded or replaced by a newer upload. Upload the file again."
    if status is ImportStatus.CHECKING:
        return "The file is still being checked. Wait for the preview."
    return "This import cannot be committed. Upload the file again."
