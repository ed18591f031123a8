"""EXPLAIN (ANALYZE, BUFFERS) of the queries behind the children list, My tasks, a child's
PEP history, history and timeline, and the admin's schools and staff lists, as the portal's own
query functions write them today, with the indexes they use.

    .venv/bin/python -m benchmarks.scale.explain --database-url URL [--output FILE]

The statements are not copied here: each query function is called (found by name in
portal/children/queries.py and portal/peps/queries.py, whichever exist in the code being
measured), the SQL it sends is captured with its parameters, and each statement is explained.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import is_dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

# Functions that answer one page of a list, preferred to those that load a whole list.
CHILDREN_LIST_FUNCTIONS = (
    "children_page",
    "children_list_page",
    "list_children_page",
    "visible_children_page",
    "list_visible_children",
)
MY_TASKS_FUNCTIONS = ("task_counts", "task_page", "tasks_page", "my_tasks_page")
ADMIN_LIST_FUNCTIONS = (
    ("portal.admin.schools", "schools_page"),
    ("portal.admin.staff", "staff_page"),
)


@contextmanager
def captured_sql(session: Session) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def argument_for(module: ModuleType, parameter: inspect.Parameter, known: dict[str, Any]) -> Any:
    """A plain value for one parameter of a query function: the first page, no filters."""
    if parameter.name in known:
        return known[parameter.name]
    annotation = parameter.annotation
    if isinstance(annotation, str) and "None" in [p.strip() for p in annotation.split("|")[1:]]:
        return None  # no filter
    if isinstance(annotation, str):
        annotation = getattr(module, annotation.split("|")[0].strip(), None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation))
    if isinstance(annotation, type) and is_dataclass(annotation):
        return annotation()  # a filter with every field at its default: no filter
    if parameter.default is not inspect.Parameter.empty:
        return parameter.default
    raise TypeError(f"cannot fill {parameter.name}")


def call_query(module: ModuleType, name: str, known: dict[str, Any]) -> Any:
    function: Callable[..., Any] = getattr(module, name)
    arguments = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is not inspect.Parameter.empty and parameter.name not in known:
            continue
        arguments[parameter.name] = argument_for(module, parameter, known)
    return function(**arguments)


def explain(session: Session, statement: str, parameters: Any) -> str:
    rows = session.connection().exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
    )
    return "\n".join(row[0] for row in rows)


def indexes_used(session: Session, plans: list[str]) -> list[tuple[str, str]]:
    # "Index Scan using x", "Index Only Scan using x", "Bitmap Index Scan on x".
    found_names = re.findall(r"(?: using |Bitmap Index Scan on )(\w+)", "\n".join(plans))
    names = sorted(set(found_names))
    found = []
    for name in names:
        definition = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": name}
        )
        found.append((name, definition or "(not an index)"))
    return found


def section(session: Session, title: str, call: Callable[[], Any], source: str) -> str:
    session.rollback()
    with captured_sql(session) as statements:
        started = time.perf_counter()
        call()
        elapsed = (time.perf_counter() - started) * 1000
    session.rollback()
    lines = [
        f"### {title}",
        "",
        f"From `{source}`: {len(statements)} statement(s), {elapsed:.0f} ms in all "
        "(Python included).",
        "",
    ]
    plans = []
    shown = statements[:6]
    for number, (statement, parameters) in enumerate(shown, start=1):
        plan = explain(session, statement, parameters)
        plans.append(plan)
        total = re.search(r"Execution Time: ([\d.]+) ms", plan)
        lines += [
            f"Statement {number} (execution {total.group(1) if total else '?'} ms):",
            "",
            "```sql",
            statement.strip(),
            "```",
            "",
            "```",
            plan,
            "```",
            "",
        ]
    if len(statements) > len(shown):
        lines += [
            f"({len(statements) - len(shown)} more statements of the same call not shown.)",
            "",
        ]
    used = indexes_used(session, plans)
    seq_scans = sorted({t for plan in plans for t in re.findall(r"Seq Scan on (\w+)", plan)})
    lines += ["Indexes the plans use:", ""]
    lines += [f"- `{name}`: `{definition}`" for name, definition in used] or ["- none"]
    if seq_scans:
        lines += ["", f"Sequential scans of: {', '.join(f'`{t}`' for t in seq_scans)}."]
    lines.append("")
    return "\n".join(lines)


def report(database_url: str) -> str:
    from portal import create_app
    from portal.children import queries as children_queries
    from portal.config import demo_provider
    from portal.extensions import db
    from portal.models import Child, Pep, User
    from portal.peps import queries as pep_queries

    app = create_app(
        {
            "TESTING": True,
            "OPENPEP_ENV": "test",
            "SECRET_KEY": "benchmark-explain-" + "x" * 32,
            "DATABASE_URL": database_url,
            "OIDC_PROVIDERS": (demo_provider(),),
        }
    )
    parts = []
    with app.test_request_context("/"):
        session = db.session
        counts = {
            "children": session.scalar(text("SELECT count(*) FROM children")),
            "peps": session.scalar(text("SELECT count(*) FROM peps")),
            "pep_sections": session.scalar(text("SELECT count(*) FROM pep_sections")),
            "audit_events": session.scalar(text("SELECT count(*) FROM audit_events")),
        }
        parts.append(
            "Rows: " + ", ".join(f"{table} {count:,}" for table, count in counts.items()) + "\n"
        )
        people = {
            "admin": "admin.0000",
            "reviewer": "reviewer.0000",
            "designated teacher": None,
            "social worker": "sw.00000",
        }
        teacher = session.scalar(
            text(
                "SELECT u.email FROM role_grants g JOIN users u ON u.id = g.user_id JOIN children c"
                " ON c.current_school_id = g.school_id WHERE g.role = 'designated_teacher'"
                " GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1"
            )
        )
        people["designated teacher"] = teacher.split("@")[0]
        for kind, local_part in people.items():
            user = session.scalar(select(User).where(User.email.like(f"{local_part}@%")))
            known = {
                "session": session,
                "user": user,
                "page": 1,
                "per_page": 50,
                "today": date.today(),
            }
            name = next(n for n in CHILDREN_LIST_FUNCTIONS if hasattr(children_queries, n))
            parts.append(
                section(
                    session,
                    f"Children list, as {kind} ({user.email})",
                    lambda name=name, known=known: call_query(
                        children_queries, name, {**known, "sort": "name"}
                    ),
                    f"portal.children.queries.{name}",
                )
            )
            for name in [n for n in MY_TASKS_FUNCTIONS if hasattr(pep_queries, n)]:
                parts.append(
                    section(
                        session,
                        f"My tasks ({name}), as {kind} ({user.email})",
                        lambda name=name, known=known: call_query(
                            pep_queries, name, {**known, "sort": "waiting"}
                        ),
                        f"portal.peps.queries.{name}",
                    )
                )
        # A child with five years of PEPs: the PEP history on their page.
        child_id = session.scalar(
            select(Pep.child_id).group_by(Pep.child_id).order_by(text("count(*) DESC")).limit(1)
        )

        def pep_history() -> None:
            child = session.get(Child, child_id)
            assert child is not None
            list(child.peps)

        parts.append(
            section(
                session,
                "A child's PEP history (the child's page)",
                pep_history,
                "portal.models.Child.peps",
            )
        )
        if hasattr(children_queries, "child_history_page"):
            parts.append(
                section(
                    session,
                    "A child's history (audit trail, first page)",
                    lambda: children_queries.child_history_page(
                        session, session.get(Child, child_id), 1, 50
                    ),
                    "portal.children.queries.child_history_page",
                )
            )
        if hasattr(children_queries, "child_timeline_page"):
            parts.append(
                section(
                    session,
                    "A child's timeline (life events, first page)",
                    lambda: children_queries.child_timeline_page(
                        session, session.get(Child, child_id), 1, 50
                    ),
                    "portal.children.queries.child_timeline_page",
                )
            )
        # The admin's own lists (schools, staff), first page, no filters.
        for module_name, name in ADMIN_LIST_FUNCTIONS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            if not hasattr(module, name):
                continue
            known = {"session": session, "page": 1}
            parts.append(
                section(
                    session,
                    f"Admin list ({name})",
                    lambda module=module, name=name, known=known: call_query(module, name, known),
                    f"{module_name}.{name}",
                )
            )
        session.rollback()
    with app.app_context():
        db.engine.dispose()
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("OPENPEP_BENCH_DATABASE_URL"))
    parser.add_argument("--output", type=Path)
    arguments = parser.parse_args()
    result = report(arguments.database_url)
    if arguments.output:
        arguments.output.write_text(result)
    else:
        print(result)


if __name__ == "__main__":
    main()
