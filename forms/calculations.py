"""Calculated fields (type ``calculated``): worked out from other answers, shown, never stored.

The one calculation so far is ``percentage``: the sum of the ``numerator`` fields as a
percentage of the ``denominator`` field, rounded half-up to ``decimal_places``, with the label
of the first band (highest first) the rounded percentage reaches, or ``otherwise``::

    calculation: percentage
    numerator: [authorised_absences_term, unauthorised_absences_term]
    denominator: sessions_possible_term
    decimal_places: 1
    bands:
      - {at_least: 50, label: Severe absence (50% or more of sessions missed)}
      - {at_least: 10, label: Persistent absence (10% or more of sessions missed)}
    otherwise: Not persistently absent

The band is judged on the rounded percentage, the one people see, so "10.0%" never sits beside
"not persistently absent". Until every input is answered the field says what it still needs;
with every input answered and a denominator of 0 (a child who started the day before the
meeting had no sessions yet) it says there is no percentage, rather than that it is waiting.

Parsing raises :class:`CalculationSyntaxError` with a path relative
to the field mapping (for example ``bands[1].at_least``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from forms.conditions import (
    NUMBER_TYPES,
    PartSyntaxError,
    answer_number,
    describe_raw,
    read_field_key,
    read_field_keys,
)
from forms.schema import FieldDefinition

__all__ = [
    "CALCULATION_KEYS",
    "MAX_DECIMAL_PLACES",
    "Band",
    "CalculationResult",
    "CalculationSyntaxError",
    "PercentageCalculation",
    "check_references",
    "parse_calculation",
]

# The keys of a calculated field's mapping that belong to its calculation; the loader reads the
# rest (key, type, label, hint) as for any field.
CALCULATION_KEYS = frozenset(
    {"calculation", "numerator", "denominator", "decimal_places", "bands", "otherwise"}
)
CALCULATION_KINDS = ("percentage",)
MAX_DECIMAL_PLACES = 4
DEFAULT_DECIMAL_PLACES = 1

_HUNDRED = Decimal(100)


class CalculationSyntaxError(PartSyntaxError):
    """A calculated field's calculation is written wrongly."""


@dataclass(frozen=True)
class Band:
    """A percentage of ``at_least`` or more is labelled ``label``."""

    at_least: Decimal
    label: str


@dataclass(frozen=True)
class CalculationResult:
    """A worked-out percentage and the label of its band ("" when the calculation has none)."""

    percentage: Decimal
    band_label: str


@dataclass(frozen=True)
class PercentageCalculation:
    numerator: tuple[str, ...]
    denominator: str
    decimal_places: int
    bands: tuple[Band, ...]
    otherwise: str

    @property
    def inputs(self) -> tuple[str, ...]:
        """The questions it is worked out from, in order: the numerator's, then the
        denominator."""
        return (*self.numerator, self.denominator)

    @property
    def referenced_fields(self) -> frozenset[str]:
        return frozenset(self.inputs)

    def band_label(self, percentage: Decimal) -> str:
        """The label of the first band (highest first) ``percentage`` reaches, or ``otherwise``."""
        for band in self.bands:
            if percentage >= band.at_least:
                return band.label
        return self.otherwise

    def result(self, values: Mapping[str, object]) -> CalculationResult | None:
        """The percentage and its band; None while an input is unanswered or the denominator is
        not above 0."""
        parts = [answer_number(values.get(key)) for key in self.numerator]
        whole = answer_number(values.get(self.denominator))
        if whole is None or whole <= 0 or any(part is None for part in parts):
            return None
        total = sum((part for part in parts if part is not None), Decimal(0))
        exact = total / whole * _HUNDRED
        percentage = exact.quantize(Decimal(1).scaleb(-self.decimal_places), ROUND_HALF_UP)
        return CalculationResult(percentage, self.band_label(percentage))

    def has_nothing_to_divide(self, values: Mapping[str, object]) -> bool:
        """Every input is answered and the denominator is 0: no percentage can ever be worked
        out from these answers, so there is nothing more to wait for."""
        whole = answer_number(values.get(self.denominator))
        return whole == 0 and all(
            answer_number(values.get(key)) is not None for key in self.numerator
        )

    def display(self, values: Mapping[str, object], fields: Mapping[str, FieldDefinition]) -> str:
        """What the field shows: "12.5% - Persistent absence (...)", that there is no
        percentage (the denominator is 0), or what it still needs."""
        outcome = self.result(values)
        if outcome is None:
            if self.has_nothing_to_divide(values):
                return self.nothing_to_divide(fields)
            return self.not_worked_out(fields)
        shown = f"{outcome.percentage}%"
        return f"{shown} - {outcome.band_label}" if outcome.band_label else shown

    def not_worked_out(self, fields: Mapping[str, FieldDefinition]) -> str:
        """The text shown until every input is answered (and the denominator is above 0)."""
        labels = [_label(key, fields) for key in self.inputs]
        needs = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
        return f"Not worked out yet: it needs {needs}"

    def nothing_to_divide(self, fields: Mapping[str, FieldDefinition]) -> str:
        """The text shown when every input is answered and the denominator is 0."""
        return f"{_label(self.denominator, fields)} is 0, so there is no percentage to work out"


def _label(key: str, fields: Mapping[str, FieldDefinition]) -> str:
    definition = fields.get(key)
    return f'"{definition.label if definition else key}"'


# --------------------------------------------------------------------------------------------
# Reading a calculation from YAML
# --------------------------------------------------------------------------------------------


def _field_key(value: object, path: str) -> str:
    return read_field_key(value, path, CalculationSyntaxError)


def _text(value: object, path: str) -> str:
    if value is None:
        raise CalculationSyntaxError(path, "is required")
    if not isinstance(value, str):
        raise CalculationSyntaxError(path, f"must be text, not {describe_raw(value)}")
    if not value.strip():
        raise CalculationSyntaxError(path, "must not be blank")
    return value.strip()


def parse_calculation(raw: Mapping[str, object]) -> PercentageCalculation:
    """The calculation of a calculated field's mapping, reading only CALCULATION_KEYS (the
    loader reads and checks the field's other keys); raises CalculationSyntaxError."""
    kind = raw.get("calculation")
    if kind is None:
        raise CalculationSyntaxError(
            "calculation", f"is required (one of: {', '.join(CALCULATION_KINDS)})"
        )
    if kind not in CALCULATION_KINDS:
        raise CalculationSyntaxError(
            "calculation",
            f"unknown calculation {describe_raw(kind)} (known: {', '.join(CALCULATION_KINDS)})",
        )
    numerator = _numerator(raw.get("numerator"))
    if raw.get("denominator") is None:
        raise CalculationSyntaxError("denominator", "is required")
    denominator = _field_key(raw.get("denominator"), "denominator")
    decimal_places = _decimal_places(raw.get("decimal_places"))
    bands = _bands(raw.get("bands"))
    otherwise = raw.get("otherwise")
    if bands:
        otherwise_text = _text(otherwise, "otherwise")
    elif otherwise is not None:
        raise CalculationSyntaxError("otherwise", "only makes sense with bands")
    else:
        otherwise_text = ""
    return PercentageCalculation(numerator, denominator, decimal_places, bands, otherwise_text)


def _numerator(value: object) -> tuple[str, ...]:
    if value is None:
        raise CalculationSyntaxError("numerator", "is required")
    return read_field_keys(value, "numerator", minimum=1, error=CalculationSyntaxError)


def _decimal_places(value: object) -> int:
    if value is None:
        return DEFAULT_DECIMAL_PLACES
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_DECIMAL_PLACES
    ):
        raise CalculationSyntaxError(
            "decimal_places",
            f"must be a whole number from 0 to {MAX_DECIMAL_PLACES}, not {describe_raw(value)}",
        )
    return value


def _bands(value: object) -> tuple[Band, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CalculationSyntaxError("bands", f"must be a list of bands, not {describe_raw(value)}")
    bands: list[Band] = []
    for number, item in enumerate(value):
        place = f"bands[{number}]"
        if not isinstance(item, Mapping):
            raise CalculationSyntaxError(
                place, f"must be a mapping with at_least: and label:, not {describe_raw(item)}"
            )
        for name in item:
            if name not in ("at_least", "label"):
                raise CalculationSyntaxError(
                    f"{place}.{name}", "unknown key (allowed here: at_least, label)"
                )
        at_least = item.get("at_least")
        if at_least is None:
            raise CalculationSyntaxError(f"{place}.at_least", "is required")
        if isinstance(at_least, bool) or not isinstance(at_least, int | float):
            threshold = None
        else:
            threshold = Decimal(str(at_least))
        if threshold is None or not threshold.is_finite() or not 0 < threshold <= _HUNDRED:
            raise CalculationSyntaxError(
                f"{place}.at_least",
                f"must be a percentage above 0 and at most 100, not {describe_raw(at_least)}",
            )
        if bands and threshold >= bands[-1].at_least:
            raise CalculationSyntaxError(
                f"{place}.at_least",
                f"list bands highest first: {at_least} must be below "
                f"bands[{number - 1}].at_least ({bands[-1].at_least})",
            )
        bands.append(Band(threshold, _text(item.get("label"), f"{place}.label")))
    return tuple(bands)


# --------------------------------------------------------------------------------------------
# Checking what a calculation refers to
# --------------------------------------------------------------------------------------------


def check_references(
    calculation: PercentageCalculation, fields: Mapping[str, FieldDefinition]
) -> list[tuple[str, str]]:
    """Every (path, problem) with the fields a calculation uses; empty when all is well.

    ``fields`` are the section's fields by key; each input must be a whole_number, money or
    percentage field (the calculation is shown wherever the section is, so inputs may come
    before or after it).
    """
    places = [(f"numerator[{number}]", key) for number, key in enumerate(calculation.numerator)]
    places.append(("denominator", calculation.denominator))
    problems: list[tuple[str, str]] = []
    for path, key in places:
        definition = fields.get(key)
        if definition is None:
            problems.append((path, f"no field {key!r} in this section"))
        elif definition.field_type not in NUMBER_TYPES:
            problems.append(
                (
                    path,
                    f"must name a whole_number, money or percentage field; "
                    f"{key!r} is {definition.field_type}",
                )
            )
    return problems
