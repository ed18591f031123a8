"""Checks across the fields of a section (a section's ``checks:``): read, checked, applied.

Each check compares answers the fields alone cannot: absences no more than the sessions
possible, parts adding up to a whole, a review date not before a start date. A check is
skipped unless every field it names is shown and answered: a missing answer is the required
rule's business, not the check's. Parsing raises :class:`CheckSyntaxError` with a path relative
to the check (for example ``fields[1]``), for the loader to put its own place in front of.

Answers are read as stored or typed (see forms/conditions.py): numbers as int, Decimal or stored
decimal strings, dates as ``date`` or ISO strings, repeating groups as lists of row mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from forms.conditions import (
    NUMBER_TYPES,
    PartSyntaxError,
    answer_date,
    answer_number,
    describe_raw,
    is_answered,
    read_field_key,
    read_field_keys,
)
from forms.schema import FieldDefinition, FieldType, RepeatingGroupDefinition

__all__ = [
    "CHECK_KINDS",
    "Check",
    "CheckFailure",
    "CheckSyntaxError",
    "ColumnTotalNotMoreThan",
    "NotBefore",
    "NotMoreThan",
    "SumEquals",
    "SumNotMoreThan",
    "check_references",
    "parse_check",
    "section_failures",
]


class CheckSyntaxError(PartSyntaxError):
    """A section's check is written wrongly."""


@dataclass(frozen=True)
class CheckFailure:
    """A check that failed: the error is shown against ``field`` and in the error summary."""

    field: str
    message: str


# A comparison's other side: another field's key, or a fixed number.
Limit = str | Decimal


def _limit_fields(limit: Limit) -> tuple[str, ...]:
    return (limit,) if isinstance(limit, str) else ()


def _limit_value(limit: Limit, values: Mapping[str, object]) -> Decimal | None:
    return answer_number(values.get(limit)) if isinstance(limit, str) else limit


def _all_shown_and_answered(
    keys: tuple[str, ...], values: Mapping[str, object], shown: set[str] | frozenset[str]
) -> bool:
    return all(key in shown and is_answered(values.get(key)) for key in keys)


def _numbers(keys: tuple[str, ...], values: Mapping[str, object]) -> list[Decimal] | None:
    numbers: list[Decimal] = []
    for key in keys:
        number = answer_number(values.get(key))
        if number is None:
            # A value that is not a number is the field's own rule's business: skip the check.
            return None
        numbers.append(number)
    return numbers


@dataclass(frozen=True)
class NotMoreThan:
    """``field`` is no more than ``than`` (another field or a number)."""

    field: str
    than: Limit
    message: str

    @property
    def named_fields(self) -> tuple[str, ...]:
        return (self.field, *_limit_fields(self.than))

    def failure(
        self, values: Mapping[str, object], shown: set[str] | frozenset[str]
    ) -> CheckFailure | None:
        if not _all_shown_and_answered(self.named_fields, values, shown):
            return None
        value, limit = answer_number(values.get(self.field)), _limit_value(self.than, values)
        if value is None or limit is None or value <= limit:
            return None
        return CheckFailure(self.field, self.message)


@dataclass(frozen=True)
class SumEquals:
    """``fields`` add up to exactly ``equals`` (another field or a number)."""

    fields: tuple[str, ...]
    equals: Limit
    message: str

    @property
    def named_fields(self) -> tuple[str, ...]:
        return (*self.fields, *_limit_fields(self.equals))

    def failure(
        self, values: Mapping[str, object], shown: set[str] | frozenset[str]
    ) -> CheckFailure | None:
        if not _all_shown_and_answered(self.named_fields, values, shown):
            return None
        numbers, total = _numbers(self.fields, values), _limit_value(self.equals, values)
        if numbers is None or total is None or sum(numbers, Decimal(0)) == total:
            return None
        return CheckFailure(self.fields[0], self.message)


@dataclass(frozen=True)
class SumNotMoreThan:
    """``fields`` add up to no more than ``than`` (another field or a number)."""

    fields: tuple[str, ...]
    than: Limit
    message: str

    @property
    def named_fields(self) -> tuple[str, ...]:
        return (*self.fields, *_limit_fields(self.than))

    def failure(
        self, values: Mapping[str, object], shown: set[str] | frozenset[str]
    ) -> CheckFailure | None:
        if not _all_shown_and_answered(self.named_fields, values, shown):
            return None
        numbers, limit = _numbers(self.fields, values), _limit_value(self.than, values)
        if numbers is None or limit is None or sum(numbers, Decimal(0)) <= limit:
            return None
        return CheckFailure(self.fields[0], self.message)


@dataclass(frozen=True)
class ColumnTotalNotMoreThan:
    """The total of ``column`` over the rows of repeating group ``group`` is no more than
    ``than``. Blank cells count as nothing; the check is skipped when the group has no rows."""

    group: str
    column: str
    than: Limit
    message: str

    @property
    def named_fields(self) -> tuple[str, ...]:
        return (self.group, *_limit_fields(self.than))

    def failure(
        self, values: Mapping[str, object], shown: set[str] | frozenset[str]
    ) -> CheckFailure | None:
        if not _all_shown_and_answered(self.named_fields, values, shown):
            return None
        rows = values.get(self.group)
        limit = _limit_value(self.than, values)
        if not isinstance(rows, list | tuple) or limit is None:
            return None
        total = Decimal(0)
        for row in rows:
            cell = row.get(self.column) if isinstance(row, Mapping) else None
            number = answer_number(cell)
            if number is not None:
                total += number
        return CheckFailure(self.group, self.message) if total > limit else None


@dataclass(frozen=True)
class NotBefore:
    """Date ``field`` is on or after date ``than`` (another date field)."""

    field: str
    than: str
    message: str

    @property
    def named_fields(self) -> tuple[str, ...]:
        return (self.field, self.than)

    def failure(
        self, values: Mapping[str, object], shown: set[str] | frozenset[str]
    ) -> CheckFailure | None:
        if not _all_shown_and_answered(self.named_fields, values, shown):
            return None
        day, earliest = answer_date(values.get(self.field)), answer_date(values.get(self.than))
        if day is None or earliest is None or day >= earliest:
            return None
        return CheckFailure(self.field, self.message)


Check = NotMoreThan | SumEquals | SumNotMoreThan | ColumnTotalNotMoreThan | NotBefore


def section_failures(
    checks: tuple[Check, ...] | list[Check],
    values: Mapping[str, object],
    shown: set[str] | frozenset[str],
) -> list[CheckFailure]:
    """Every failing check of a section, in the order the checks are written."""
    return [failure for check in checks if (failure := check.failure(values, shown))]


# --------------------------------------------------------------------------------------------
# Reading a check from YAML
# --------------------------------------------------------------------------------------------


class _Reader:
    """One check mapping being read; ``finish`` rejects keys the kind does not take."""

    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw = raw
        self.known = {"check", "message"}

    def take(self, name: str) -> object:
        self.known.add(name)
        value = self.raw.get(name)
        if value is None:
            raise CheckSyntaxError(name, "is required")
        return value

    def key(self, name: str) -> str:
        return _field_key(self.take(name), name)

    def keys(self, name: str) -> tuple[str, ...]:
        return read_field_keys(self.take(name), name, minimum=2, error=CheckSyntaxError)

    def limit(self, name: str) -> Limit:
        value = self.take(name)
        if isinstance(value, str):
            return _field_key(value, name)
        if not isinstance(value, bool) and isinstance(value, int | float):
            number = Decimal(str(value))
            if number.is_finite():
                return number
        raise CheckSyntaxError(name, f"must be a field key or a number, not {describe_raw(value)}")

    def message(self) -> str:
        value = self.raw.get("message")
        if value is None:
            raise CheckSyntaxError("message", "is required: say in plain English what to fix")
        if not isinstance(value, str):
            raise CheckSyntaxError("message", f"must be text, not {describe_raw(value)}")
        if not value.strip():
            raise CheckSyntaxError("message", "must not be blank")
        return value.strip()

    def finish(self) -> None:
        for name in self.raw:
            if name not in self.known:
                allowed = ", ".join(sorted(self.known))
                raise CheckSyntaxError(str(name), f"unknown key (allowed here: {allowed})")


def _field_key(value: object, path: str) -> str:
    return read_field_key(value, path, CheckSyntaxError)


def _read_not_more_than(reader: _Reader) -> Check:
    return NotMoreThan(reader.key("field"), reader.limit("than"), reader.message())


def _read_sum_equals(reader: _Reader) -> Check:
    return SumEquals(reader.keys("fields"), reader.limit("equals"), reader.message())


def _read_sum_not_more_than(reader: _Reader) -> Check:
    return SumNotMoreThan(reader.keys("fields"), reader.limit("than"), reader.message())


def _read_column_total(reader: _Reader) -> Check:
    return ColumnTotalNotMoreThan(
        reader.key("group"), reader.key("column"), reader.limit("than"), reader.message()
    )


def _read_not_before(reader: _Reader) -> Check:
    return NotBefore(reader.key("field"), reader.key("than"), reader.message())


_READERS: dict[str, Callable[[_Reader], Check]] = {
    "not_more_than": _read_not_more_than,
    "sum_equals": _read_sum_equals,
    "sum_not_more_than": _read_sum_not_more_than,
    "column_total_not_more_than": _read_column_total,
    "not_before": _read_not_before,
}
CHECK_KINDS = tuple(_READERS)


def parse_check(raw: object) -> Check:
    """A check read from its YAML mapping; raises CheckSyntaxError naming what is wrong."""
    if not isinstance(raw, Mapping):
        raise CheckSyntaxError(
            "", f"must be a mapping of keys to values (a check), not {describe_raw(raw)}"
        )
    for name in raw:
        if not isinstance(name, str):
            raise CheckSyntaxError("", f"key {describe_raw(name)} must be text")
    kind = raw.get("check")
    if kind is None:
        raise CheckSyntaxError("check", f"is required (one of: {', '.join(CHECK_KINDS)})")
    if not isinstance(kind, str) or kind not in _READERS:
        raise CheckSyntaxError("check", f"unknown check {kind!r} (known: {', '.join(CHECK_KINDS)})")
    reader = _Reader(raw)
    check = _READERS[kind](reader)
    reader.finish()
    return check


# --------------------------------------------------------------------------------------------
# Checking what a check refers to
# --------------------------------------------------------------------------------------------


def check_references(check: Check, fields: Mapping[str, FieldDefinition]) -> list[tuple[str, str]]:
    """Every (path, problem) with the fields a check names; empty when all is well.

    ``fields`` are the section's top-level fields by key. Compared fields must be numbers
    (whole_number, money, percentage); ``not_before`` compares date fields; a column total needs
    a repeating group and one of its number columns.
    """
    match check:
        case NotMoreThan():
            return _numeric("field", check.field, fields) + _numeric_limit(
                "than", check.than, fields
            )
        case SumEquals():
            return _numeric_list(check.fields, fields) + _numeric_limit(
                "equals", check.equals, fields
            )
        case SumNotMoreThan():
            return _numeric_list(check.fields, fields) + _numeric_limit("than", check.than, fields)
        case ColumnTotalNotMoreThan():
            return _column(check, fields) + _numeric_limit("than", check.than, fields)
        case NotBefore():
            return _date("field", check.field, fields) + _date("than", check.than, fields)
    return []  # pragma: no cover - every kind is matched above


def _missing(key: str) -> str:
    return f"no field {key!r} in this section"


def _numeric(path: str, key: str, fields: Mapping[str, FieldDefinition]) -> list[tuple[str, str]]:
    definition = fields.get(key)
    if definition is None:
        return [(path, _missing(key))]
    if definition.field_type not in NUMBER_TYPES:
        return [
            (
                path,
                f"must name a whole_number, money or percentage field; "
                f"{key!r} is {definition.field_type}",
            )
        ]
    return []


def _numeric_limit(
    path: str, limit: Limit, fields: Mapping[str, FieldDefinition]
) -> list[tuple[str, str]]:
    return _numeric(path, limit, fields) if isinstance(limit, str) else []


def _numeric_list(
    keys: tuple[str, ...], fields: Mapping[str, FieldDefinition]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for number, key in enumerate(keys):
        problems += _numeric(f"fields[{number}]", key, fields)
    return problems


def _date(path: str, key: str, fields: Mapping[str, FieldDefinition]) -> list[tuple[str, str]]:
    definition = fields.get(key)
    if definition is None:
        return [(path, _missing(key))]
    if definition.field_type is not FieldType.DATE:
        return [(path, f"must name a date field; {key!r} is {definition.field_type}")]
    return []


def _column(
    check: ColumnTotalNotMoreThan, fields: Mapping[str, FieldDefinition]
) -> list[tuple[str, str]]:
    group = fields.get(check.group)
    if group is None:
        return [("group", _missing(check.group))]
    if not isinstance(group, RepeatingGroupDefinition):
        return [
            ("group", f"must name a repeating_group field; {check.group!r} is {group.field_type}")
        ]
    try:
        column = group.column(check.column)
    except KeyError:
        return [("column", f"no column {check.column!r} in group {check.group!r}")]
    if column.field_type not in NUMBER_TYPES:
        return [
            (
                "column",
                f"must name a whole_number, money or percentage column; "
                f"{check.column!r} is {column.field_type}",
            )
        ]
    return []
