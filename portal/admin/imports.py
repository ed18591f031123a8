"""Admin: import staff, schools or children from a file; preview, then commit or discard."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only
from werkzeug.wrappers import Response as BaseResponse

from portal.admin import blueprint
from portal.admin.listing import csv_download, page_count, page_number
from portal.auth import access
from portal.extensions import db, htmx
from portal.imports.jobs import run_step
from portal.models import ImportKind, ImportRun, ImportStatus, User
from portal.operations import imports as import_operations
from portal.operations.audit import Actor
from portal.operations.imports import (
    ImportRefusal,
    apply_import,
    check_import,
    commit_import,
    discard_import,
    give_up_stalled_import,
    megabytes,
    record_import_problems_downloaded,
    record_import_viewed,
)
from workflows.roles import Role

RUNS_PAGE_SIZE = 20
ROWS_PAGE_SIZE = 100
CHANGE_FILTERS = ("new", "changed", "closed", "left")

# What each kind of file looks like, for the upload page.
FILE_GUIDANCE = {
    ImportKind.STAFF: "A CSV file (UTF-8), one row for each role a person holds: Email, Name, "
    "Role, School URN, Child reference, Starts on. It adds people and roles and never takes a "
    "role away: take a role away on the person's page.",
    ImportKind.SCHOOLS: "The establishment extract from Get Information About Schools, as you "
    "downloaded it (all schools in England, or a filtered extract).",
    ImportKind.CHILDREN: "A CSV file (UTF-8) in the shape of the SSDA903 return, one row for "
    "each episode of care, with the columns a PEP needs added (FORENAME, SURNAME, SCHOOL_URN, "
    "SW_EMAIL, UASC, PLACED_LA, NO_SCHOOL_PLACE).",
}


def raise_upload_limit_for_imports() -> None:
    """Before the CSRF check reads the form: the upload page may take a file up to the import
    limit (plus room for the form around it); every other page keeps the small limit."""
    if request.endpoint == "admin.upload_import":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + 64 * 1024


def _actor() -> Actor:
    return Actor.for_user(g.user, request.remote_addr)


def _run_or_404(run_id: uuid.UUID) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        abort(404)
    return run


@blueprint.get("/imports")
@access.roles(Role.ADMIN)
def list_imports() -> str:
    """Upload a file, and the imports made so far, newest first."""
    return _imports_page()


def _imports_page(
    errors: dict[str, str] | None = None, chosen_kind: str | None = None, status: int = 200
) -> Any:
    total = db.session.scalar(select(func.count()).select_from(ImportRun)) or 0
    page = min(page_number(), page_count(total, RUNS_PAGE_SIZE))
    # A row shows the file, its kind, when and by whom, and a status from the counts: the
    # outcome (every change and problem) and the file itself stay in the database.
    runs = list(
        db.session.scalars(
            select(ImportRun)
            .options(
                load_only(
                    ImportRun.kind,
                    ImportRun.status,
                    ImportRun.file_name,
                    ImportRun.counts,
                    ImportRun.created_at_utc,
                ),
                joinedload(ImportRun.uploaded_by).load_only(User.display_name),
                joinedload(ImportRun.committed_by).load_only(User.display_name),
            )
            .order_by(ImportRun.created_at_utc.desc(), ImportRun.id)
            .limit(RUNS_PAGE_SIZE)
            .offset((page - 1) * RUNS_PAGE_SIZE)
        )
    )
    body = render_template(
        "admin/imports/list.html",
        runs=runs,
        page=page,
        pages=page_count(total, RUNS_PAGE_SIZE),
        total=total,
        kinds=list(ImportKind),
        guidance=FILE_GUIDANCE,
        errors=errors or {},
        chosen_kind=chosen_kind,
        max_size=megabytes(current_app.config["IMPORT_MAX_BYTES"]),
    )
    return body, status


@blueprint.post("/imports")
@access.roles(Role.ADMIN)
def upload_import() -> Any:
    """Keep the file and start checking it; the import's page shows the progress."""
    kind_text = request.form.get("kind", "")
    errors: dict[str, str] = {}
    kind = ImportKind(kind_text) if kind_text in {k.value for k in ImportKind} else None
    if kind is None:
        errors["kind"] = "Select what the file holds"
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors["file"] = "Select a CSV file to upload"
    if errors or kind is None or upload is None:
        return _imports_page(errors, kind_text, 400)
    limit = current_app.config["IMPORT_MAX_BYTES"]
    content = upload.stream.read(limit + 1)
    outcome = import_operations.upload_import(
        db.session, _actor(), kind, upload.filename or "", content, max_bytes=limit
    )
    if isinstance(outcome, ImportRefusal):
        return _imports_page({"file": outcome.message}, kind_text, 400)
    run_step(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        check_import,
        outcome.id,
        user_id=g.user.id,
        client_address=request.remote_addr,
    )
    return redirect(url_for("admin.show_import", run_id=outcome.id), 303)


@blueprint.get("/imports/<uuid:run_id>")
@access.roles(Role.ADMIN)
def show_import(run_id: uuid.UUID) -> Any:
    """Progress while the file is checked or committed; then its preview or its outcome."""
    run = _run_or_404(run_id)
    give_up_stalled_import(db.session, run)
    polled = bool(htmx) and not htmx.boosted and request.headers.get("HX-Target") == "import-status"
    if polled:
        # The progress shows only the run and its counts: the outcome is not read, and the
        # poll is not recorded as a reading of the preview.
        context = _status_context(run)
        response = Response(render_template("admin/imports/_status.html", **context))
        if not context["working"]:
            # Finished: the whole page changes (preview, buttons), so load it afresh.
            response.headers["HX-Refresh"] = "true"
    else:
        # The preview names children and staff: who read it is recorded.
        record_import_viewed(db.session, _actor(), run)
        response = Response(render_template("admin/imports/show.html", **_preview_context(run)))
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_context(run: ImportRun) -> dict[str, Any]:
    return {
        "run": run,
        "counts": run.counts,
        "working": run.status_enum in (ImportStatus.CHECKING, ImportStatus.COMMITTING),
    }


def _preview_context(run: ImportRun) -> dict[str, Any]:
    outcome = run.outcome or {}
    problems = outcome.get("problems", [])
    action = request.args.get("show", "")
    changes = outcome.get("changes", [])
    if action in CHANGE_FILTERS:
        changes = [change for change in changes if change["action"] == action]
    problems_page, changes_page = page_number("problems_page"), page_number("changes_page")
    return {
        **_status_context(run),
        "problems": problems[(problems_page - 1) * ROWS_PAGE_SIZE : problems_page * ROWS_PAGE_SIZE],
        "problems_total": len(problems),
        "problems_cut": outcome.get("problems_cut", 0),
        "problems_page": problems_page,
        "problems_pages": page_count(len(problems), ROWS_PAGE_SIZE),
        "changes": changes[(changes_page - 1) * ROWS_PAGE_SIZE : changes_page * ROWS_PAGE_SIZE],
        "changes_total": len(changes),
        "changes_cut": outcome.get("changes_cut", 0),
        "changes_page": changes_page,
        "changes_pages": page_count(len(changes), ROWS_PAGE_SIZE),
        "change_filter": action if action in CHANGE_FILTERS else "",
    }


@blueprint.post("/imports/<uuid:run_id>/commit")
@access.roles(Role.ADMIN)
def commit_import_run(run_id: uuid.UUID) -> BaseResponse:
    """Make every change in the preview, all in one go, or none."""
    _run_or_404(run_id)
    refusal = commit_import(db.session, _actor(), run_id)
    if refusal is not None:
        flash(refusal.message, "error")
        return redirect(url_for("admin.show_import", run_id=run_id), 303)
    run_step(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        apply_import,
        run_id,
        user_id=g.user.id,
        client_address=request.remote_addr,
    )
    return redirect(url_for("admin.show_import", run_id=run_id), 303)


@blueprint.post("/imports/<uuid:run_id>/discard")
@access.roles(Role.ADMIN)
def discard_import_run(run_id: uuid.UUID) -> BaseResponse:
    """Drop the file without importing anything."""
    _run_or_404(run_id)
    refusal = discard_import(db.session, _actor(), run_id)
    if refusal is not None:
        flash(refusal.message, "error")
    else:
        flash("The file was discarded. Nothing was imported.", "success")
    return redirect(url_for("admin.show_import", run_id=run_id), 303)


@blueprint.get("/imports/<uuid:run_id>/problems.csv")
@access.roles(Role.ADMIN)
def download_import_problems(run_id: uuid.UUID) -> Response:
    """Every problem found, to fix the file with; every cell safe to open in a spreadsheet."""
    run = _run_or_404(run_id)
    problems = (run.outcome or {}).get("problems", [])
    filename = f"import-problems-{run.kind}-{run.created_at_utc:%Y%m%d-%H%M}.csv"
    record_import_problems_downloaded(db.session, _actor(), run, len(problems))
    return csv_download(
        filename,
        ("Row", "Column", "What is wrong", "What to do"),
        (
            (
                problem["row"] if problem["row"] is not None else "Whole file",
                problem["column"] or "",
                problem["problem"],
                problem["fix"],
            )
            for problem in problems
        ),
    )
