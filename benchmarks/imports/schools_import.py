"""Time the GIAS schools import of a full-size extract on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.imports.schools_import [--rows 50000] [--seed 2026]
        [--repetitions 3] [--write]

Writes a seeded extract of `--rows` rows shaped like the real download (see gias_extract.py:
Windows-1252, the real 139-column header), then, on a fresh migrated database of each kind:
  1. read + check the file into an empty database (every row new);
  2. apply + commit it (batched executemany inserts);
  3. read + check the same file again (every row unchanged: the same file twice changes
     nothing);
  4. read + check and apply + commit an extract in which every tenth school changed.
Each run starts from a fresh database; the report gives the fastest of `--repetitions` runs
for each step (the machine is shared, so slower runs measure the neighbours), with the load
average before and after. SQLite is a temporary file; PostgreSQL is a throwaway cluster
started the way the tests start one (devtools.postgres.running_postgres, fsync off), or
OPENPEP_TEST_DATABASE_URL's server.
`--write` records the figures, the machine, the date and the exact command in
benchmarks/imports/RESULTS-schools.md. Not collected by pytest (testpaths is tests/).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from benchmarks.imports.gias_extract import GIAS_COLUMNS, extract_bytes, generated_rows
from devtools.postgres import running_postgres
from portal.imports.reading import read_rows
from portal.migrate import upgrade_to_latest
from portal.models import School
from portal.operations.audit import Actor
from portal.operations.importers.schools import IMPORTER, SchoolsPlan

RESULTS = Path(__file__).resolve().parent / "RESULTS-schools.md"
ACTOR = Actor.system("schools import benchmark")
NAME_COLUMN = GIAS_COLUMNS.index("EstablishmentName")


def check(session: Session, content: bytes) -> SchoolsPlan:
    _, rows = read_rows(
        content,
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    plan = IMPORTER.check(session, rows, lambda done: None)
    if plan.problems:
        raise SystemExit(f"the extract has problems: {plan.problems[:3]}")
    return plan


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def apply_and_commit(session: Session, plan: SchoolsPlan) -> None:
    IMPORTER.apply(session, ACTOR, plan)
    session.commit()


def run_on(database_url: str, extract: bytes, changed: bytes) -> dict[str, Any]:
    engine = create_engine(database_url)
    upgrade_to_latest(engine)
    figures: dict[str, Any] = {}
    with Session(engine) as session:
        figures["check_new"], plan = timed(lambda: check(session, extract))
        figures["commit_new"], _ = timed(lambda: apply_and_commit(session, plan))
        figures["new"] = plan.counts().get("new", 0)
        figures["check_same"], same = timed(lambda: check(session, extract))
        session.rollback()
        figures["unchanged"] = same.counts().get("unchanged", 0)
        figures["check_changed"], plan = timed(lambda: check(session, changed))
        figures["commit_changed"], _ = timed(lambda: apply_and_commit(session, plan))
        figures["changed"] = plan.counts().get("changed", 0)
        figures["stored"] = session.scalar(select(func.count()).select_from(School))
        figures["server"] = (
            session.scalar(text("select version()"))
            if engine.dialect.name == "postgresql"
            else f"SQLite {session.scalar(text('select sqlite_version()'))}"
        )
    engine.dispose()
    return figures


@contextmanager
def postgres_server() -> Iterator[str]:
    """OPENPEP_TEST_DATABASE_URL's server, or a throwaway cluster as the tests start one."""
    configured = os.environ.get("OPENPEP_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with running_postgres() as cluster:
        yield cluster.url


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS openpep_bench_schools WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE openpep_bench_schools"))
    try:
        yield server_url.rsplit("/", 1)[0] + "/openpep_bench_schools"
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE openpep_bench_schools WITH (FORCE)"))
        admin.dispose()


def changed_extract(rows: int, seed: int) -> bytes:
    """The same extract with every tenth school renamed."""
    edited = []
    for index, row in enumerate(generated_rows(rows, seed)):
        if index % 10 == 0:
            row[NAME_COLUMN] = row[NAME_COLUMN] + " (renamed)"
        edited.append(row)
    return extract_bytes(edited)


STEPS = (
    ("Check, empty database (all new)", "check_new"),
    ("Commit, all new", "commit_new"),
    ("Check the same file again (all unchanged)", "check_same"),
    ("Check, one school in ten renamed", "check_changed"),
    ("Commit, one school in ten renamed", "commit_changed"),
)


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each step's fastest time over the runs; the counts of the first (they are all equal)."""
    best = dict(runs[0])
    for _, key in STEPS:
        best[key] = min(run[key] for run in runs)
    return best


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )


def report(
    rows: int,
    megabytes: float,
    results: dict[str, dict[str, Any]],
    command: str,
    repetitions: int,
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
) -> str:
    load_text = " and ".join(f"{load[0]:.1f}" for load in loads)
    lines = [
        "# Schools import (GIAS): a full-size extract",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; shared with other work while it ran (one-minute load "
        f"average {load_text} before and after)",
        f"- Command: `{command}`",
        f"- File: {rows:,} rows, {len(GIAS_COLUMNS)} columns, {megabytes:.1f} MB, Windows-1252",
        "",
        f"Seconds, wall clock, the fastest of {repetitions} runs each from a fresh database. "
        "*Check* is reading the file and checking every row against the database (one query "
        "for the existing schools); *commit* is applying the plan in batches and committing.",
        "",
        "| Step | " + " | ".join(results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
    ]
    for label, key in STEPS:
        lines.append(f"| {label} | " + " | ".join(f"{r[key]:.2f}" for r in results.values()) + " |")
    lines += ["", "Counts, as a check that each run did the work:", ""]
    for name, figures in results.items():
        lines.append(
            f"- {name} ({figures['server'].split(' on ')[0]}): {figures['new']:,} new, "
            f"{figures['unchanged']:,} unchanged on the second check, {figures['changed']:,} "
            f"changed, {figures['stored']:,} schools stored."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    arguments = parser.parse_args()
    extract = extract_bytes(generated_rows(arguments.rows, arguments.seed))
    changed = changed_extract(arguments.rows, arguments.seed)
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {"SQLite": [], "PostgreSQL": []}
    with postgres_server() as server_url:
        for _ in range(arguments.repetitions):
            with tempfile.TemporaryDirectory() as directory:
                url = f"sqlite:///{directory}/bench.sqlite3"
                runs["SQLite"].append(run_on(url, extract, changed))
            with fresh_database(server_url) as url:
                runs["PostgreSQL"].append(run_on(url, extract, changed))
    results = {name: fastest(figures) for name, figures in runs.items()}
    command = ".venv/bin/python -m benchmarks.imports.schools_import " + " ".join(sys.argv[1:])
    text_report = report(
        arguments.rows, len(extract) / 1_000_000, results, command.strip(),
        arguments.repetitions, (load_before, os.getloadavg()),
    )  # fmt: skip
    print(text_report)
    if arguments.write:
        RESULTS.write_text(text_report, encoding="utf-8")


if __name__ == "__main__":
    main()
