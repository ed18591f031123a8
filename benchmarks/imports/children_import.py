"""Time the children (SSDA903) import of 10,000 episode rows on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.imports.children_import [--rows 10000] [--seed 2026] [--write]

Writes a seeded file of `--rows` episode rows shaped like a social-care system's SSDA903 export
(see ssda903_file.py: about 3,400 children, UTF-8), then, on a fresh migrated database of each
kind holding the 400 schools and 80 social workers the file names:
  1. read + check the file into a database with no children (every child new);
  2. apply + commit it (children, episodes, social worker grants, timeline and audit events in
     bulk inserts);
  3. read + check the same file again (every child unchanged), and apply + commit that (it
     changes nothing);
  4. read + check and apply + commit a file a week later, in which one child in twenty changed
     school, social worker or placement, or left care (each through its life event).
SQLite is a temporary file; PostgreSQL is a throwaway cluster started the way the tests start
one (devtools.postgres.running_postgres, fsync off), or OPENPEP_TEST_DATABASE_URL's server.
`--write` records the figures, the machine, the date and the exact command in
benchmarks/imports/RESULTS-children.md. Not collected by pytest (testpaths is tests/).
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from benchmarks.imports.ssda903_file import (
    AS_OF,
    SCHOOL_URNS,
    SOCIAL_WORKER_EMAILS,
    file_bytes,
    generated_rows,
)
from devtools.postgres import running_postgres
from portal.imports.reading import read_rows
from portal.migrate import upgrade_to_latest
from portal.models import CareEpisode, Child, ChildEvent, School, User
from portal.operations.audit import Actor
from portal.operations.importers.children import IMPORTER, ChildrenPlan

RESULTS = Path(__file__).resolve().parent / "RESULTS-children.md"
ACTOR = Actor.system("children import benchmark")
DATABASE = "openpep_bench_children"


def check(session: Session, content: bytes) -> ChildrenPlan:
    _, rows = read_rows(
        content,
        encodings=IMPORTER.encodings,
        required_columns=IMPORTER.required_columns,
        optional_columns=IMPORTER.optional_columns,
    )
    plan = IMPORTER.check(session, rows, lambda done: None)
    if plan.problems:
        raise SystemExit(f"the file has problems: {plan.problems[:3]}")
    return plan


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def apply_and_commit(session: Session, plan: ChildrenPlan) -> None:
    IMPORTER.apply(session, ACTOR, plan)
    session.commit()


def add_schools_and_staff(session: Session) -> None:
    for urn in SCHOOL_URNS:
        session.add(
            School(urn=urn, name=f"School {urn}", phase="primary", local_authority="Testshire")
        )
    for email in SOCIAL_WORKER_EMAILS:
        session.add(User(email=email, display_name=email.split("@")[0].replace(".", " ")))
    session.commit()


def event_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChildEvent)) or 0


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


def week_later(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One child in twenty with a change: a new school, a new social worker, a new placement
    (their open episode ends X1 and a new one starts), or leaving care (E4A)."""
    by_child: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_child.setdefault(row["CHILD"], []).append(dict(row))
    moved_on = (AS_OF + timedelta(days=7)).strftime("%d/%m/%Y")
    edited: list[dict[str, str]] = []
    for number, (_reference, child_rows) in enumerate(by_child.items()):
        latest = child_rows[-1]
        still_in_care = not latest["DEC"]
        change = number % 80 if still_in_care else -1
        if change == 0 and latest["SCHOOL_URN"]:
            school = SCHOOL_URNS[(SCHOOL_URNS.index(latest["SCHOOL_URN"]) + 1) % 400]
            for row in child_rows:
                row["SCHOOL_URN"] = school
        elif change == 20:
            worker = SOCIAL_WORKER_EMAILS[(SOCIAL_WORKER_EMAILS.index(latest["SW_EMAIL"]) + 1) % 80]
            for row in child_rows:
                row["SW_EMAIL"] = worker
        elif change == 40:
            latest["DEC"], latest["REC"] = moved_on, "X1"
            new_place = "K2" if latest["PLACE"] != "K2" else "U4"
            child_rows.append(
                {
                    **latest,
                    "DECOM": moved_on,
                    "RNE": "P",
                    "PLACE": new_place,
                    "PLACE_PROVIDER": "PR4",
                    "URN": "SC900001" if new_place == "K2" else "",
                    "DEC": "",
                    "REC": "",
                }
            )
        elif change == 60:
            latest["DEC"], latest["REC"] = moved_on, "E4A"
        edited.extend(child_rows)
    return edited


def run_on(database_url: str, first: bytes, later: bytes) -> dict[str, Any]:
    engine = create_engine(database_url)
    upgrade_to_latest(engine)
    figures: dict[str, Any] = {}
    with Session(engine) as session:
        add_schools_and_staff(session)
        figures["check_new"], plan = timed(lambda: check(session, first))
        figures["commit_new"], _ = timed(lambda: apply_and_commit(session, plan))
        figures["new"] = plan.counts().get("new", 0)
        figures["episodes"] = session.scalar(select(func.count()).select_from(CareEpisode))
        events = event_count(session)
        figures["check_same"], same = timed(lambda: check(session, first))
        figures["commit_same"], _ = timed(lambda: apply_and_commit(session, same))
        figures["unchanged"] = same.counts().get("unchanged", 0)
        figures["events_after_same"] = event_count(session) - events
        events = event_count(session)
        figures["check_later"], later_plan = timed(lambda: check(session, later))
        figures["commit_later"], _ = timed(lambda: apply_and_commit(session, later_plan))
        counts = later_plan.counts()
        figures["changed"] = counts.get("changed", 0) + counts.get("left", 0)
        figures["events_later"] = event_count(session) - events
        figures["children"] = session.scalar(select(func.count()).select_from(Child))
        figures["server"] = (
            session.scalar(text("select version()"))
            if engine.dialect.name == "postgresql"
            else f"SQLite {session.scalar(text('select sqlite_version()'))}"
        )
    engine.dispose()
    return figures


@contextmanager
def postgres_database() -> Iterator[str]:
    configured = os.environ.get("OPENPEP_TEST_DATABASE_URL")
    if configured:
        yield from _fresh_database(configured)
        return
    with running_postgres() as cluster:
        yield from _fresh_database(cluster.url)


def _fresh_database(server_url: str) -> Iterator[str]:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
        admin.dispose()


def report(rows: int, megabytes: float, results: dict[str, dict[str, Any]], command: str) -> str:
    lines = [
        "# Children import (SSDA903): 10,000 episode rows",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()} (shared with other work while it ran)",
        f"- Command: `{command}`",
        f"- File: {rows:,} episode rows, {megabytes:.1f} MB, UTF-8 (benchmarks/imports/"
        "ssda903_file.py, seeded)",
        "",
        "Seconds, wall clock. *Check* is reading the file and checking every row against the "
        "database (a handful of queries: the children, their episodes and social workers, the "
        "schools and the people the file names); *commit* is applying the plan and committing "
        "(new children, episodes, grants and events in bulk inserts; each change to a known "
        "child through its life event).",
        "",
        "| Step | " + " | ".join(results) + " |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
    ]
    steps = [
        ("Check, no children yet (all new)", "check_new"),
        ("Commit, all new", "commit_new"),
        ("Check the same file again (all unchanged)", "check_same"),
        ("Commit the same file again (changes nothing)", "commit_same"),
        ("Check, a week later (one child in twenty changed)", "check_later"),
        ("Commit, a week later", "commit_later"),
    ]
    for label, key in steps:
        lines.append(f"| {label} | " + " | ".join(f"{r[key]:.2f}" for r in results.values()) + " |")
    lines += ["", "Counts, as a check that each run did the work:", ""]
    for name, figures in results.items():
        lines.append(
            f"- {name} ({figures['server'].split(' on ')[0]}): {figures['new']:,} new children "
            f"with {figures['episodes']:,} episodes; {figures['unchanged']:,} unchanged on the "
            f"second import, which recorded {figures['events_after_same']} events; "
            f"{figures['changed']:,} children changed a week later, recording "
            f"{figures['events_later']:,} timeline events; {figures['children']:,} children "
            "stored."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    arguments = parser.parse_args()
    rows = list(generated_rows(arguments.rows, arguments.seed))
    first = file_bytes(rows)
    later = file_bytes(week_later(rows))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as directory:
        results["SQLite"] = run_on(f"sqlite:///{directory}/bench.sqlite3", first, later)
    with postgres_database() as url:
        results["PostgreSQL"] = run_on(url, first, later)
    command = ".venv/bin/python -m benchmarks.imports.children_import " + " ".join(sys.argv[1:])
    text_report = report(arguments.rows, len(first) / 1_000_000, results, command.strip())
    print(text_report)
    if arguments.write:
        RESULTS.write_text(text_report, encoding="utf-8")


if __name__ == "__main__":
    main()
