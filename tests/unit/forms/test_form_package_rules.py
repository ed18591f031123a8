"""forms/ is pure: it imports only the standard library, wtforms, yaml and workflows.roles."""

import ast
import sys
from pathlib import Path

import forms

FORMS_DIRECTORY = Path(forms.__file__).parent
ALLOWED_THIRD_PARTY = {"wtforms", "yaml"}
ALLOWED_PROJECT = ("forms", "workflows.roles")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_forms_imports_nothing_but_the_allowed_modules():
    offenders = {}
    for path in sorted(FORMS_DIRECTORY.rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in ALLOWED_THIRD_PARTY
                or module == "forms"
                or module.startswith("forms.")
                or module in ALLOWED_PROJECT
            )
            if not allowed:
                offenders.setdefault(path.name, []).append(module)
    assert offenders == {}


def test_every_definition_file_is_named_after_its_key_and_version(registry):
    names = sorted(path.name for path in (FORMS_DIRECTORY / "definitions").iterdir())
    assert names == sorted(definition.file_name for definition in registry)
