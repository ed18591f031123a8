"""A figure worked out from other answers of the section (an absence rate): shown, never stored.

The calculation itself (``forms.calculations``) is pure; this module reads the field, checks
it is neither required, read-only nor conditional, and gives it a WTForms field that shows
the figure and never takes a value from the browser.

A figure has no ``shown_if`` of its own: it is shown exactly when every question it is worked
out from is shown (``SectionDefinition.shown_keys``), so a child with no nursery place is never
shown an absence rate built from questions nobody asked. ``inputs_shown_if`` gives the same
rule as one condition, for the page's script to hide and reveal the figure with its inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wtforms import fields as wtforms_fields
from wtforms import widgets as wtforms_widgets

from forms.field_types.base import DefinedField, FieldDefinition, FieldReader, FieldType

if TYPE_CHECKING:
    # forms.calculations and forms.conditions read field definitions, so they are imported
    # where they are used.
    from forms.calculations import PercentageCalculation
    from forms.conditions import Condition


@dataclass(frozen=True, kw_only=True)
class CalculatedDefinition(FieldDefinition):
    """A figure worked out wherever the section is shown (section page, read view, Word record)."""

    field_type = FieldType.CALCULATED
    calculation: PercentageCalculation

    @property
    def stores_answer(self) -> bool:
        return False

    @property
    def referenced_fields(self) -> frozenset[str]:
        return self.calculation.referenced_fields

    def display(self, values: Mapping[str, object], fields: Mapping[str, FieldDefinition]) -> str:
        """What the field shows for these answers ("12.5% - Persistent absence (...)")."""
        return self.calculation.display(values, fields)

    def inputs_shown_if(self, fields: Mapping[str, FieldDefinition]) -> Condition | None:
        """When the figure is shown, as one condition: every input's own ``shown_if`` holds
        (each different condition once, inputs in the calculation's order); None when no input
        has a condition. Evaluated with hidden questions' answers counting as unanswered, as
        conditions always are, this holds exactly when every input is shown."""
        from forms.conditions import AllOf

        conditions: list[Condition] = []
        for key in self.calculation.inputs:
            definition = fields.get(key)
            condition = definition.shown_if if definition is not None else None
            if condition is not None and condition not in conditions:
                conditions.append(condition)
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else AllOf(tuple(conditions))


def read_calculated(reader: FieldReader) -> CalculatedDefinition:
    from forms.calculations import CALCULATION_KEYS, CalculationSyntaxError, parse_calculation

    place = reader.place
    if reader.in_group:
        raise place.key("type").error("a calculated field cannot be a column of a repeating group")
    if reader.required:
        raise place.key("required").error(
            "a calculated field cannot be required: it is worked out, not answered"
        )
    for name in ("shown_if", "required_if"):
        if getattr(reader, name) is not None:
            raise place.key(name).error(
                "a calculated field has no conditions: it is shown when every question it "
                "is worked out from is shown"
            )
    raw_calculation = {
        name: reader.mapping.take(name, required=False) for name in sorted(CALCULATION_KEYS)
    }
    try:
        calculation = parse_calculation(raw_calculation)
    except CalculationSyntaxError as problem:
        raise place.part_error(problem.path, problem.problem) from None
    return CalculatedDefinition(**reader.common(CalculatedDefinition), calculation=calculation)


class CalculatedWidget(wtforms_widgets.TextInput):
    """Shows the figure in a read-only box; the portal usually shows it as plain text instead."""

    def __call__(self, field: wtforms_fields.Field, **kwargs: Any) -> Any:
        kwargs.setdefault("readonly", True)
        return super().__call__(field, **kwargs)


class CalculatedField(DefinedField):
    """The figure itself comes from ``CalculatedDefinition.display`` over the section's answers;
    the field only ever holds what the portal gives it and never reads the browser's post."""

    widget = CalculatedWidget()

    @property
    def ignores_browser_input(self) -> bool:
        return True

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)
