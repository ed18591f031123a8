"""Only portal/operations/ changes state: no other module of the portal adds, deletes, flushes or
commits through a session, or builds an INSERT, UPDATE or DELETE. (Reading is everywhere.)"""

import ast
from pathlib import Path

import portal

PORTAL = Path(portal.__file__).parent
OPERATIONS = PORTAL / "operations"
WRITING_METHODS = {"add", "add_all", "delete", "merge", "flush", "commit", "bulk_save_objects"}
WRITING_STATEMENTS = {"insert", "update", "delete"}
# Running migrations is schema work, not a use case: it commits its own transaction.
NOT_USE_CASES = {PORTAL / "migrate.py"}


def writes_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("sqlalchemy")
        ):
            found += [f"imports {a.name}" for a in node.names if a.name in WRITING_STATEMENTS]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITING_METHODS
            and "session" in ast.unparse(node.func.value)
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node.func)}")
    return found


def test_no_module_outside_operations_changes_state():
    offenders = {}
    for path in sorted(PORTAL.rglob("*.py")):
        if OPERATIONS in path.parents or path in NOT_USE_CASES:
            continue
        if found := writes_in(path):
            offenders[str(path.relative_to(PORTAL))] = found
    assert offenders == {}


def test_the_check_finds_a_write_where_there_is_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import update\n"
        "def f(session, db):\n    session.add(1)\n    db.session.commit()\n    {1}.add(2)\n"
    )
    assert writes_in(sample) == [
        "imports update",
        "line 3: session.add",
        "line 4: db.session.commit",
    ]
