"""`flask --app portal import KIND FILE [--commit]`: the same import as the admin pages, for
automation (a nightly export from the social-care system, say). Without --commit it only
checks and prints the preview; with it, it commits when the file has no problems."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from portal.extensions import db
from portal.models import ImportKind, ImportRun, ImportStatus
from portal.operations.audit import Actor
from portal.operations.imports import (
    ImportRefusal,
    apply_import,
    check_import,
    commit_import,
    upload_import,
)

MOST_LINES_PRINTED = 50
# Control characters in a cell (an escape sequence, say) must not reach the terminal as such.
_CONTROL_CHARACTERS = {code: "\ufffd" for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))}


def printable(value: object) -> str:
    """A cell's text as it can be printed safely: control characters shown as \ufffd."""
    return str(value).translate(_CONTROL_CHARACTERS)


def register_import_commands(app: Flask) -> None:
    @app.cli.command("import")
    @click.argument("kind", type=click.Choice([kind.value for kind in ImportKind]))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--commit", is_flag=True, help="Commit the import when it has no problems.")
    def import_command(kind: str, file: Path, commit: bool) -> None:
        """Check a file of staff, schools or children, and commit it with --commit."""
        actor = Actor.system(f"flask import {kind} {file.name}")
        content = file.read_bytes()
        outcome = upload_import(
            db.session,
            actor,
            ImportKind(kind),
            file.name,
            content,
            max_bytes=app.config["IMPORT_MAX_BYTES"],
        )
        if isinstance(outcome, ImportRefusal):
            raise click.ClickException(outcome.message)
        run_id = outcome.id
        check_import(db.session, actor, run_id)
        run = _reloaded(run_id)
        if run.status_enum is not ImportStatus.PREVIEWED:
            raise click.ClickException(run.refusal or "The file could not be checked.")
        _print_preview(run)
        if (run.counts or {}).get("problems"):
            raise click.ClickException("Nothing was imported: fix the problems and run it again.")
        if not commit:
            click.echo("Nothing was changed. Run it again with --commit to import the file.")
            return
        refusal = commit_import(db.session, actor, run_id)
        if refusal is not None:
            raise click.ClickException(refusal.message)
        apply_import(db.session, actor, run_id)
        run = _reloaded(run_id)
        if run.status_enum is not ImportStatus.COMMITTED:
            if run.status_enum is ImportStatus.PREVIEWED:
                _print_preview(run)
            raise click.ClickException(run.refusal or "Nothing was imported: the records changed.")
        click.echo(f"Imported: {_counts_text(run)}.")


def _reloaded(run_id: object) -> ImportRun:
    db.session.expire_all()
    run = db.session.get(ImportRun, run_id)
    assert run is not None
    return run


def _counts_text(run: ImportRun) -> str:
    counts = run.counts or {}
    return ", ".join(f"{count:,} {action}" for action, count in counts.items())


def _print_preview(run: ImportRun) -> None:
    click.echo(printable(f"{run.file_name}: {run.rows_total or 0:,} rows; {_counts_text(run)}."))
    for problem in run.outcome.get("problems", [])[:MOST_LINES_PRINTED]:
        where = f"row {problem['row']}" if problem["row"] is not None else "the whole file"
        column = f", column {problem['column']}" if problem["column"] else ""
        text = f"  Problem in {where}{column}: {problem['problem']} {problem['fix']}"
        click.echo(printable(text))
    for change in run.outcome.get("changes", [])[:MOST_LINES_PRINTED]:
        click.echo(printable(f"  Row {change['row']} ({change['reference']}): {change['summary']}"))
    shown = MOST_LINES_PRINTED
    more = len(run.outcome.get("problems", [])) + len(run.outcome.get("changes", [])) - 2 * shown
    if more > 0:
        click.echo("  ...and more: see the import's page in the admin area for every row.")
