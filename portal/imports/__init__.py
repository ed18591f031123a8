"""Imports: a file is read and checked into a preview, then committed whole or not at all.

Each kind of import (staff, schools, children) is an `Importer`: it names its columns and
encodings, checks the rows against the database into a `Plan`, and applies a plan. Reading,
refusing whole files, progress, preview, commit and audit are shared (`reading`, and
`portal.operations.imports`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from portal.models import ImportKind

ChangeAction = Literal["new", "changed", "unchanged", "closed", "left"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one cell or row, in plain words: what is wrong and what to do."""

    row: int | None  # the spreadsheet's row number (the header is row 1); None: the whole file
    column: str | None
    problem: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "problem": self.problem, "fix": self.fix}


@dataclass(frozen=True)
class RowChange:
    """What one row will do (preview) or did (commit) to the records."""

    row: int
    reference: str  # the row's own reference: an email, a URN, a child's CHILD reference
    action: ChangeAction
    summary: str  # "New school: Oak Primary (URN 100001)"
    # column or fact -> (before, after), for changed rows
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "reference": self.reference,
            "action": self.action,
            "summary": self.summary,
            "fields": {name: list(pair) for name, pair in self.fields.items()},
        }


@dataclass
class Plan:
    """What a checked file would change. Importers subclass it to carry what `apply` needs."""

    problems: list[Problem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for change in self.changes:
            counted[change.action] = counted.get(change.action, 0) + 1
        counted["problems"] = len(self.problems)
        return counted


Rows = Iterable[tuple[int, dict[str, str]]]
Progress = Callable[[int], None]


class Importer(Protocol):
    """One kind of import."""

    kind: ImportKind
    # Encodings accepted, tried in order (UTF-8 first; GIAS downloads are Windows-1252).
    encodings: tuple[str, ...]
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...]  # read when present; any other column is ignored

    def check(self, session: Session, rows: Rows, progress: Progress) -> Plan:
        """Read every row, list every problem, and work out each row's change. Changes nothing."""
        ...

    def apply(self, session: Session, actor: Any, plan: Plan) -> None:
        """Make the plan's changes in the session (the caller commits once, or rolls back)."""
        ...
