"""Conditions on a field (``shown_if`` and ``required_if``): read, checked, evaluated, put in words.

A condition is a mapping naming an earlier ``field:`` and exactly one test (``equals``, ``in``,
``includes``, ``more_than``, ``answered``), or a compound ``{all: [...]}`` / ``{any: [...]}``.
Parsing raises :class:`ConditionSyntaxError` with a path relative to the condition (for example
``all[1].in``), so the loader can put the file and the place of the condition in front of it.

Conditions are evaluated over a section's answers (or a row's, for columns of a repeating
group), as stored (see forms/answers.py) or as typed values: whole numbers are ``int``,
percentages and money ``Decimal`` or their stored decimal strings, dates ``date`` or ISO strings,
yes/no ``bool``, choices ``str`` and checkboxes a list of option values. An unanswered field
(absent, None, blank text, no ticks, no rows) makes every test false except ``answered: false``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from forms.field_types.values import is_answered
from forms.schema import (
    CheckboxesDefinition,
    FieldDefinition,
    FieldType,
    MoneyDefinition,
    PercentageDefinition,
    RadiosDefinition,
    SelectDefinition,
    ShortTextDefinition,
    WholeNumberDefinition,
    YesNoDefinition,
)

__all__ = [
    "CONDITION_TESTS",
    "NUMBER_TYPES",
    "AllOf",
    "Answered",
    "AnyOf",
    "Condition",
    "ConditionSyntaxError",
    "Equals",
    "Includes",
    "IsOneOf",
    "MoreThan",
    "PartSyntaxError",
    "answer_date",
    "answer_number",
    "check_references",
    "describe",
    "describe_raw",
    "is_answered",
    "is_required_now",
    "join_path",
    "only_if_hint",
    "parse_condition",
    "read_field_key",
    "read_field_keys",
    "shown_fields",
    "without_hidden",
]

# The tests a leaf condition may make, in the order messages list them.
CONDITION_TESTS = ("equals", "in", "includes", "more_than", "answered")
_COMPOUNDS = ("all", "any")

NUMBER_TYPES = frozenset({FieldType.WHOLE_NUMBER, FieldType.MONEY, FieldType.PERCENTAGE})
_OPTION_TYPES = frozenset({FieldType.RADIOS, FieldType.SELECT})

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_STORED_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PartSyntaxError(ValueError):
    """A part of a definition (condition, check, calculation) is written wrongly.

    ``path`` is relative to the part ("" for the part itself); the loader puts the file and the
    part's own place in front, as FormDefinitionError messages do.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem

    def under(self, prefix: str) -> str:
        """The message with ``prefix`` (the part's own place) in front of the path."""
        return f"{join_path(prefix, self.path)}: {self.problem}"


class ConditionSyntaxError(PartSyntaxError):
    """A ``shown_if`` or ``required_if`` condition is written wrongly."""


def join_path(prefix: str, path: str) -> str:
    """``join_path("sections[3].fields[2].shown_if", "all[1].in")`` -> the full path."""
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


# --------------------------------------------------------------------------------------------
# Reading answers
# --------------------------------------------------------------------------------------------


def answer_number(value: object) -> Decimal | None:
    """A whole number, percentage or money answer as a Decimal; None if it is not a number.

    Whole numbers are stored as int, percentages and money as decimal strings ("92.5", "150.00")
    and typed as Decimal: all of them are read here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and _STORED_NUMBER.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def answer_date(value: object) -> date | None:
    """A date answer (stored as an ISO string, typed as a date); None if it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------------------------
# The conditions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equals:
    """``{field: F, equals: V}``: the answer is V (true/false, an option value, number or text)."""

    field: str
    value: bool | Decimal | str

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def holds(self, values: Mapping[str, object]) -> bool:
        answer = values.get(self.field)
        if not is_answered(answer):
            return False
        if isinstance(self.value, bool):
            return isinstance(answer, bool) and answer is self.value
        if isinstance(self.value, Decimal):
            number = answer_number(answer)
            return number is not None and number == self.value
        return isinstance(answer, str) and answer.strip() == self.value


@dataclass(frozen=True)
class IsOneOf:
    """``{field: F, in: [V, ...]}``: the chosen option is one of these."""

    field: str
    values: tuple[str, ...]

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def holds(self, values: Mapping[str, object]) -> bool:
        answer = values.get(self.field)
        return isinstance(answer, str) and answer in self.values


@dataclass(frozen=True)
class Includes:
    """``{field: F, includes: V}``: V is among the ticked options of a checkboxes field."""

    field: str
    value: str

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def holds(self, values: Mapping[str, object]) -> bool:
        answer = values.get(self.field)
        return isinstance(answer, list | tuple) and self.value in answer


@dataclass(frozen=True)
class MoreThan:
    """``{field: F, more_than: N}``: a number above N."""

    field: str
    value: Decimal

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def holds(self, values: Mapping[str, object]) -> bool:
        number = answer_number(values.get(self.field))
        return number is not None and number > self.value


@dataclass(frozen=True)
class Answered:
    """``{field: F, answered: true}`` (or false): whether the field has an answer."""

    field: str
    answered: bool

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset({self.field})

    def holds(self, values: Mapping[str, object]) -> bool:
        return is_answered(values.get(self.field)) is self.answered


@dataclass(frozen=True)
class AllOf:
    """``{all: [...]}``: every one of the conditions holds."""

    conditions: tuple[Condition, ...]

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset().union(*(part.referenced_fields for part in self.conditions))

    def holds(self, values: Mapping[str, object]) -> bool:
        return all(part.holds(values) for part in self.conditions)


@dataclass(frozen=True)
class AnyOf:
    """``{any: [...]}``: at least one of the conditions holds."""

    conditions: tuple[Condition, ...]

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset().union(*(part.referenced_fields for part in self.conditions))

    def holds(self, values: Mapping[str, object]) -> bool:
        return any(part.holds(values) for part in self.conditions)


Leaf = Equals | IsOneOf | Includes | MoreThan | Answered
Condition = Leaf | AllOf | AnyOf


# --------------------------------------------------------------------------------------------
# Reading a condition from YAML
# --------------------------------------------------------------------------------------------


def describe_raw(value: object) -> str:
    """A value written in YAML, as a message about it shows it."""
    if isinstance(value, bool):
        # YAML 1.1 reads yes, no, on and off as true and false.
        return f"{str(value).lower()} (put quotes around yes, no, on and off)"
    return repr(value)


def read_field_key(value: object, path: str, error: type[PartSyntaxError]) -> str:
    """A field key named in YAML (by a check or a calculation), or ``error`` at ``path``."""
    if not isinstance(value, str) or not _SNAKE_CASE.fullmatch(value):
        raise error(path, f"must be a field key, not {describe_raw(value)}")
    return value


def read_field_keys(
    value: object, name: str, *, minimum: int, error: type[PartSyntaxError]
) -> tuple[str, ...]:
    """A list of at least ``minimum`` different field keys named in YAML under ``name``."""
    if not isinstance(value, list):
        raise error(name, f"must be a list of field keys, not {describe_raw(value)}")
    if len(value) < minimum:
        raise error(
            name,
            "must list at least one field"
            if minimum == 1
            else f"must list at least {minimum} fields",
        )
    keys = tuple(
        read_field_key(item, f"{name}[{number}]", error) for number, item in enumerate(value)
    )
    for number, key in enumerate(keys):
        if key in keys[:number]:
            raise error(
                f"{name}[{number}]", f"duplicate field {key!r} (also {name}[{keys.index(key)}])"
            )
    return keys


def _yaml_number(value: object) -> Decimal | None:
    """A number written in YAML (int or float, never true/false) as an exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = Decimal(str(value))
    return number if number.is_finite() else None


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def parse_condition(raw: object) -> Condition:
    """A condition read from its YAML value; raises ConditionSyntaxError naming what is wrong."""
    return _parse(raw, "")


def _parse(raw: object, path: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise ConditionSyntaxError(
            path,
            "must be a mapping with field: and one test "
            f"({', '.join(CONDITION_TESTS)}), or all: or any:, not {describe_raw(raw)}",
        )
    for name in raw:
        if not isinstance(name, str):
            raise ConditionSyntaxError(path, f"key {describe_raw(name)} must be text")
    compounds = [name for name in _COMPOUNDS if name in raw]
    if compounds:
        return _parse_compound(raw, compounds[0], path)
    allowed = ", ".join(sorted(("field", *CONDITION_TESTS)))
    for name in raw:
        if name not in ("field", *CONDITION_TESTS):
            raise ConditionSyntaxError(_join(path, name), f"unknown key (allowed here: {allowed})")
    field_key = raw.get("field")
    if field_key is None:
        raise ConditionSyntaxError(_join(path, "field"), "is required")
    if not isinstance(field_key, str):
        raise ConditionSyntaxError(
            _join(path, "field"), f"must be text, not {describe_raw(field_key)}"
        )
    if not _SNAKE_CASE.fullmatch(field_key):
        raise ConditionSyntaxError(
            _join(path, "field"), f"must be the key of a field, not {field_key!r}"
        )
    tests = [name for name in CONDITION_TESTS if name in raw]
    if not tests:
        raise ConditionSyntaxError(
            path, f"needs one test beside field: ({', '.join(CONDITION_TESTS)})"
        )
    if len(tests) > 1:
        raise ConditionSyntaxError(
            _join(path, tests[1]),
            f"a condition makes one test; this one also has {tests[0]}: "
            "combine conditions with all: or any:",
        )
    test = tests[0]
    return _LEAF_READERS[test](field_key, raw[test], _join(path, test))


def _parse_compound(raw: Mapping[str, object], name: str, path: str) -> Condition:
    if len(raw) > 1:
        other = sorted(key for key in raw if key != name)[0]
        raise ConditionSyntaxError(
            _join(path, other),
            f"unknown key (a condition with {name}: has nothing else beside it)",
        )
    items = raw[name]
    here = _join(path, name)
    if not isinstance(items, list):
        raise ConditionSyntaxError(here, f"must be a list of conditions, not {describe_raw(items)}")
    if len(items) < 2:
        raise ConditionSyntaxError(here, "must list at least 2 conditions")
    parts = tuple(_parse(item, f"{here}[{number}]") for number, item in enumerate(items))
    return AllOf(parts) if name == "all" else AnyOf(parts)


def _read_equals(field_key: str, value: object, path: str) -> Condition:
    if isinstance(value, bool):
        return Equals(field_key, value)
    number = _yaml_number(value)
    if number is not None:
        return Equals(field_key, number)
    if isinstance(value, str) and value.strip():
        return Equals(field_key, value.strip())
    raise ConditionSyntaxError(
        path, f"must be true, false, a number, an option value or text, not {describe_raw(value)}"
    )


def _read_in(field_key: str, value: object, path: str) -> Condition:
    if not isinstance(value, list):
        raise ConditionSyntaxError(
            path, f"must be a list of option values, not {describe_raw(value)}"
        )
    if not value:
        raise ConditionSyntaxError(path, "must list at least one option value")
    seen: dict[str, int] = {}
    for number, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConditionSyntaxError(
                f"{path}[{number}]", f"must be an option value, not {describe_raw(item)}"
            )
        if item in seen:
            raise ConditionSyntaxError(
                f"{path}[{number}]", f"duplicate option value {item!r} (also {path}[{seen[item]}])"
            )
        seen[item] = number
    return IsOneOf(field_key, tuple(value))


def _read_includes(field_key: str, value: object, path: str) -> Condition:
    if not isinstance(value, str) or not value.strip():
        raise ConditionSyntaxError(path, f"must be an option value, not {describe_raw(value)}")
    return Includes(field_key, value)


def _read_more_than(field_key: str, value: object, path: str) -> Condition:
    number = _yaml_number(value)
    if number is None:
        raise ConditionSyntaxError(path, f"must be a number, not {describe_raw(value)}")
    return MoreThan(field_key, number)


def _read_answered(field_key: str, value: object, path: str) -> Condition:
    if not isinstance(value, bool):
        raise ConditionSyntaxError(path, f"must be true or false, not {describe_raw(value)}")
    return Answered(field_key, value)


_LEAF_READERS: dict[str, Callable[[str, object, str], Condition]] = {
    "equals": _read_equals,
    "in": _read_in,
    "includes": _read_includes,
    "more_than": _read_more_than,
    "answered": _read_answered,
}


# --------------------------------------------------------------------------------------------
# Checking what a condition refers to
# --------------------------------------------------------------------------------------------


def check_references(
    condition: Condition,
    fields_before: Mapping[str, FieldDefinition],
    *,
    fields_after: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """Every (path, problem) with what the condition refers to; empty when all is well.

    ``fields_before`` are the fields (or sibling columns) declared before the field carrying the
    condition; ``fields_after`` the keys of that field itself and those after it, so a reference
    to them is reported as "declared later" rather than unknown. Referring only to earlier
    fields also rules out cycles.
    """
    return _references(condition, fields_before, frozenset(fields_after), "")


def _references(
    condition: Condition,
    fields_before: Mapping[str, FieldDefinition],
    fields_after: frozenset[str],
    path: str,
) -> list[tuple[str, str]]:
    if isinstance(condition, AllOf | AnyOf):
        here = _join(path, "all" if isinstance(condition, AllOf) else "any")
        problems: list[tuple[str, str]] = []
        for number, part in enumerate(condition.conditions):
            problems += _references(part, fields_before, fields_after, f"{here}[{number}]")
        return problems
    definition = fields_before.get(condition.field)
    if definition is None:
        if condition.field in fields_after:
            problem = (
                f"field {condition.field!r} is declared after this one (or is this one): "
                "a condition may only refer to fields declared before it"
            )
        else:
            problem = f"no field {condition.field!r} before this one"
        return [(_join(path, "field"), problem)]
    if not definition.stores_answer:
        return [
            (
                _join(path, "field"),
                f"{definition.field_type} field {condition.field!r} stores no answer, "
                "so a condition cannot refer to it",
            )
        ]
    return _leaf_fit(condition, definition, path)


def _leaf_fit(condition: Leaf, definition: FieldDefinition, path: str) -> list[tuple[str, str]]:
    field_type = definition.field_type
    name = repr(condition.field)
    match condition:
        case Answered():
            return []
        case Equals(value=bool()):
            if isinstance(definition, YesNoDefinition):
                return []
            return [
                (
                    _join(path, "equals"),
                    f"true or false only fits a yes_no field; {name} is {field_type}",
                )
            ]
        case Equals(value=Decimal() as number):
            if field_type not in NUMBER_TYPES:
                return [
                    (
                        _join(path, "equals"),
                        f"a number only fits a whole_number, money or percentage field; "
                        f"{name} is {field_type}",
                    )
                ]
            if isinstance(definition, WholeNumberDefinition) and number != number.to_integral():
                return [(_join(path, "equals"), f"must be a whole number: {name} is whole_number")]
            return []
        case Equals(value=str() as text):
            if isinstance(definition, RadiosDefinition | SelectDefinition):
                return _option_problems(definition, (text,), _join(path, "equals"), listed=False)
            if isinstance(definition, ShortTextDefinition):
                return []
            return [
                (
                    _join(path, "equals"),
                    f"text only fits a radios, select or short_text field; {name} is {field_type}",
                )
            ]
        case IsOneOf(values=values):
            if isinstance(definition, RadiosDefinition | SelectDefinition):
                return _option_problems(definition, values, _join(path, "in"), listed=True)
            return [
                (_join(path, "in"), f"only fits a radios or select field; {name} is {field_type}")
            ]
        case Includes(value=value):
            if isinstance(definition, CheckboxesDefinition):
                return _option_problems(definition, (value,), _join(path, "includes"), listed=False)
            return [
                (_join(path, "includes"), f"only fits a checkboxes field; {name} is {field_type}")
            ]
        case MoreThan():
            if field_type in NUMBER_TYPES:
                return []
            return [
                (
                    _join(path, "more_than"),
                    f"only fits a whole_number, money or percentage field; {name} is {field_type}",
                )
            ]
    return []  # pragma: no cover - every leaf is matched above


def _option_problems(
    definition: RadiosDefinition | SelectDefinition | CheckboxesDefinition,
    values: tuple[str, ...],
    path: str,
    *,
    listed: bool,
) -> list[tuple[str, str]]:
    known = ", ".join(definition.option_values)
    return [
        (
            f"{path}[{number}]" if listed else path,
            f"{definition.key!r} has no option {value!r} (its options: {known})",
        )
        for number, value in enumerate(values)
        if value not in definition.option_values
    ]


# --------------------------------------------------------------------------------------------
# Which fields are shown
# --------------------------------------------------------------------------------------------


def shown_fields(
    shown_if_by_key: Mapping[str, Condition | None], values: Mapping[str, object]
) -> set[str]:
    """The keys of ``shown_if_by_key`` (in declaration order) that are shown for ``values``.

    A field without a condition is shown. A hidden field's answer counts as unanswered for the
    fields after it, so hiding a controlling question hides what depends on it too. Conditions
    refer only to earlier fields, so one pass in declaration order settles everything.
    """
    shown: set[str] = set()
    hidden: set[str] = set()
    for key, condition in shown_if_by_key.items():
        if condition is None or condition.holds(_Without(values, hidden)):
            shown.add(key)
        else:
            hidden.add(key)
    return shown


def without_hidden(
    shown_if_by_key: Mapping[str, Condition | None], values: Mapping[str, object]
) -> dict[str, object]:
    """``values`` with the answers of hidden fields dropped, as a section is saved: a PEP never
    keeps an answer to a question that was not asked. Keys not in ``shown_if_by_key`` are kept.
    """
    shown = shown_fields(shown_if_by_key, values)
    return {
        key: value for key, value in values.items() if key not in shown_if_by_key or key in shown
    }


def is_required_now(
    *,
    required: bool,
    required_if: Condition | None,
    shown: bool,
    visible_values: Mapping[str, object],
) -> bool:
    """Whether a field must be answered: only when shown, and then when ``required: true`` or
    its ``required_if`` holds. ``visible_values`` are the answers without hidden fields' ones
    (see :func:`without_hidden`), so a hidden controller counts as unanswered here too."""
    if not shown:
        return False
    return required or (required_if is not None and required_if.holds(visible_values))


class _Without(Mapping[str, object]):
    """``values`` as seen with the hidden fields' answers left out, without copying them."""

    def __init__(self, values: Mapping[str, object], hidden: set[str]) -> None:
        self._values = values
        self._hidden = hidden

    def __getitem__(self, key: str) -> object:
        if key in self._hidden:
            raise KeyError(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._values if key not in self._hidden)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# --------------------------------------------------------------------------------------------
# Conditions in words
# --------------------------------------------------------------------------------------------


def only_if_hint(condition: Condition, fields: Mapping[str, FieldDefinition]) -> str:
    """The hint a conditional field carries when JavaScript does not hide it."""
    return f"Answer this only if {describe(condition, fields)}"


def describe(condition: Condition, fields: Mapping[str, FieldDefinition]) -> str:
    """The condition in plain English, using the fields' labels and option labels:
    '"Special educational needs status" is "SEN support" or "EHCP"'."""
    return _words(condition, fields, nested=False)


def _words(condition: Condition, fields: Mapping[str, FieldDefinition], *, nested: bool) -> str:
    if isinstance(condition, AllOf | AnyOf):
        joiner = " and " if isinstance(condition, AllOf) else " or "
        text = joiner.join(_words(part, fields, nested=True) for part in condition.conditions)
        # Brackets only where a compound sits inside another, so "and" and "or" never blur.
        return f"({text})" if nested else text
    definition = fields.get(condition.field)
    label = f'"{definition.label if definition else condition.field}"'
    match condition:
        case Answered(answered=True):
            return f"{label} is answered"
        case Answered(answered=False):
            return f"{label} is not answered"
        case Equals(value=bool() as yes):
            return f'{label} is "{"Yes" if yes else "No"}"'
        case Equals(value=Decimal() as number):
            return f"{_number_words(number, definition)} is entered for {label}"
        case Equals(value=str() as value):
            return f'{label} is "{_option_label(definition, value)}"'
        case IsOneOf(values=values):
            labels = [f'"{_option_label(definition, value)}"' for value in values]
            return f"{label} is {_or_list(labels)}"
        case Includes(value=value):
            return f'"{_option_label(definition, value)}" is selected for {label}'
        case MoreThan(value=number):
            return f"more than {_number_words(number, definition)} is entered for {label}"
    return label  # pragma: no cover - every leaf is matched above


def _option_label(definition: FieldDefinition | None, value: str) -> str:
    options = getattr(definition, "options", ())
    for option in options:
        if option.value == value:
            return str(option.label)
    return value


def _number_words(number: Decimal, definition: FieldDefinition | None) -> str:
    text = "0" if number == 0 else format(number.normalize(), "f")
    if isinstance(definition, MoneyDefinition):
        return (
            f"£{number.quantize(Decimal('0.01'))}" if number != number.to_integral() else f"£{text}"
        )
    if isinstance(definition, PercentageDefinition):
        return f"{text}%"
    return text


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"
