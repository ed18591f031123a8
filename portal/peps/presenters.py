"""Answers as people read them: dates in words, money in pounds, options by their labels.

Also what a section page needs beyond each field's own definition: a conditional question's
condition (for the script that hides it) and its "Answer this only if ..." hint (for people
without the script), a calculated figure for the answers so far, and the groups' totals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from flask import Flask

from forms.answers import AnswerFormatError, computed_totals, decode_answer, stored_rows
from forms.conditions import (
    AllOf,
    Answered,
    AnyOf,
    Condition,
    Equals,
    Includes,
    IsOneOf,
    MoreThan,
    only_if_hint,
)
from forms.field_types.calculated import CalculatedDefinition
from forms.fields import format_date_for_people, format_money, format_percentage
from forms.schema import (
    ChoiceDefinition,
    ComputedTotal,
    FactDefinition,
    FieldDefinition,
    PercentageDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
)
from portal.peps.field_markup import render_field

NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class DisplayRow:
    """One question and its answer; a table's rows are lists of cells."""

    key: str
    label: str
    text: str
    table_headers: tuple[str, ...] = ()
    # A cell of a column not asked in that row (its shown_if is false) is None: nothing to list.
    table_rows: tuple[tuple[str | None, ...], ...] = ()
    source: str = ""


def display_value(definition: FieldDefinition, stored: object) -> str:
    if stored is None or stored == "" or stored == []:
        return NOT_ANSWERED
    try:
        value = decode_answer(definition, stored)
    except (AnswerFormatError, ValueError, TypeError):
        return str(stored)
    if isinstance(definition, ChoiceDefinition):
        labels = {option.value: option.label for option in definition.options}
        if isinstance(value, list):
            return ", ".join(labels.get(item, item) for item in value) or NOT_ANSWERED
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date_for_people(value)
    if isinstance(value, Decimal):
        if isinstance(definition, PercentageDefinition):
            return format_percentage(value)
        return format_money(value)
    return str(value)


def display_rows(
    section: SectionDefinition, answers: dict[str, object], facts: dict[str, object]
) -> list[DisplayRow]:
    rows: list[DisplayRow] = []
    # A question not asked for these answers (its shown_if is false) is not listed at all.
    shown = section.shown_keys(answers)
    for definition in section.fields:
        if definition.key not in shown:
            continue
        if isinstance(definition, CalculatedDefinition):
            rows.append(
                DisplayRow(
                    definition.key,
                    definition.label,
                    definition.display(answers, section.fields_by_key),
                )
            )
        elif isinstance(definition, FactDefinition):
            value = facts.get(definition.source.value)
            text = format_date_for_people(value) if isinstance(value, date) else str(value or "")
            rows.append(
                DisplayRow(
                    definition.key,
                    definition.label,
                    text or NOT_ANSWERED,
                    source=f"From the child's record ({definition.source.label})",
                )
            )
        elif isinstance(definition, RepeatingGroupDefinition):
            try:
                group_rows = stored_rows(definition, answers.get(definition.key))
            except AnswerFormatError:
                group_rows = []
            rows.append(
                DisplayRow(
                    definition.key,
                    definition.label,
                    f"{len(group_rows)} {definition.row_label_plural.lower()}"
                    if len(group_rows) != 1
                    else f"1 {definition.row_label.lower()}",
                    table_headers=tuple(column.label for column in definition.columns),
                    table_rows=tuple(shown_cells(definition, row) for row in group_rows),
                )
            )
        else:
            rows.append(
                DisplayRow(
                    definition.key,
                    definition.label,
                    display_value(definition, answers.get(definition.key)),
                )
            )
    return rows


def shown_cells(group: RepeatingGroupDefinition, row: Mapping[str, Any]) -> tuple[str | None, ...]:
    """A table row's cells as people read them; None where the column is not asked in this row."""
    shown = group.shown_columns(row)
    return tuple(
        display_value(column, row.get(column.key)) if column.key in shown else None
        for column in group.columns
    )


def total_text(group: RepeatingGroupDefinition, total: ComputedTotal, amount: Decimal) -> str:
    """A group's computed total: pounds and pence for a money column, a count for whole numbers."""
    if group.total_is_money(total):
        return f"£{amount:,.2f}"
    return str(int(amount))


# --------------------------------------------------------------------------------------------
# The section page
# --------------------------------------------------------------------------------------------


def condition_data(condition: Condition) -> dict[str, Any]:
    """A condition as the JSON the page's script evaluates: the same shape as in the YAML."""
    match condition:
        case AllOf(conditions=parts):
            return {"all": [condition_data(part) for part in parts]}
        case AnyOf(conditions=parts):
            return {"any": [condition_data(part) for part in parts]}
        case Equals(field=key, value=value):
            return {"field": key, "equals": _json_value(value)}
        case IsOneOf(field=key, values=values):
            return {"field": key, "in": list(values)}
        case Includes(field=key, value=value):
            return {"field": key, "includes": value}
        case MoreThan(field=key, value=value):
            return {"field": key, "more_than": _json_value(value)}
        case Answered(field=key, answered=answered):
            return {"field": key, "answered": answered}
    raise TypeError(f"not a condition: {condition!r}")  # pragma: no cover


def _json_value(value: bool | Decimal | str) -> bool | int | float | str:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return value


def _compact_json(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class SectionPage:
    """What a section page's fields need beyond their own definitions: the section's fields by
    key (for the words of conditions and calculations), the answers on the page so far and the
    keys of the fields shown for them."""

    section: SectionDefinition
    values: Mapping[str, object]

    @property
    def fields_by_key(self) -> Mapping[str, FieldDefinition]:
        return self.section.fields_by_key

    @cached_property
    def shown_keys(self) -> frozenset[str]:
        """Worked out once, and only for a page with a figure to place: most pages have none."""
        return self.section.shown_keys(self.values)

    def shown_if_json(self, definition: FieldDefinition) -> str:
        """The field's shown_if as JSON for its wrapper's data attribute ("" when it has none)."""
        condition = definition.shown_if
        return _compact_json(condition_data(condition)) if condition is not None else ""

    def only_if_hint(
        self, definition: FieldDefinition, columns: Iterable[FieldDefinition] | None = None
    ) -> str:
        """ "Answer this only if ...", for people whose browser does not hide the question.
        ``columns`` are the sibling columns when the field is a column of a repeating group."""
        condition = definition.shown_if
        if condition is None:
            return ""
        fields = (
            {column.key: column for column in columns}
            if columns is not None
            else self.fields_by_key
        )
        return only_if_hint(condition, fields)

    def figure_shown_if_json(self, definition: CalculatedDefinition) -> str:
        """When the figure is shown, as JSON for the script: every input's condition holds
        ("" when its inputs are always asked), so it hides and reveals with its inputs."""
        condition = definition.inputs_shown_if(self.fields_by_key)
        return _compact_json(condition_data(condition)) if condition is not None else ""

    def figure_is_hidden(self, definition: CalculatedDefinition) -> bool:
        """Whether a question the figure is worked out from is hidden for the answers on the
        page, so the figure starts hidden too (with or without the script)."""
        return definition.key not in self.shown_keys

    def calculated_text(self, definition: CalculatedDefinition) -> str:
        """The figure for the answers on the page so far, or what it still needs."""
        return definition.display(self.values, self.fields_by_key)

    def calculated_json(self, definition: CalculatedDefinition) -> str:
        """The calculation for the page's script, which works the figure out again as people
        type: the same inputs, rounding and bands, and the words for a figure not worked out
        (an input unanswered) and for one that cannot be (every input answered, the denominator
        0)."""
        calculation = definition.calculation
        return _compact_json(
            {
                "calculation": "percentage",
                "numerator": list(calculation.numerator),
                "denominator": calculation.denominator,
                "decimal_places": calculation.decimal_places,
                "bands": [
                    {"at_least": _json_value(band.at_least), "label": band.label}
                    for band in calculation.bands
                ],
                "otherwise": calculation.otherwise,
                "not_worked_out": calculation.not_worked_out(self.fields_by_key),
                "nothing_to_divide": calculation.nothing_to_divide(self.fields_by_key),
            }
        )


def section_page(form: Any) -> SectionPage:
    """The helper for a bound section form (its class carries the section definition)."""
    return SectionPage(section=form.section, values=form.data)


def total_rows(section: SectionDefinition, answers: Mapping[str, object]) -> list[tuple[str, str]]:
    """Each computed total of the section's groups, labelled, as people read it."""
    amounts = computed_totals(section, answers)
    return [
        (total.label, total_text(group, total, amounts[total.key]))
        for group in section.fields
        if isinstance(group, RepeatingGroupDefinition)
        for total in group.computed_totals
        if total.key in amounts
    ]


def register_template_helpers(app: Flask) -> None:
    """Make the section page helpers available to every template, with the fields' markup."""
    app.jinja_env.globals.setdefault("section_page", section_page)
    app.jinja_env.globals.setdefault("section_total_rows", total_rows)
    app.jinja_env.globals.setdefault("render_field", render_field)
