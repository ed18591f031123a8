"""Answers as people read them: dates in words, money in pounds, options by their labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from forms.answers import AnswerFormatError, decode_answer, stored_rows
from forms.fields import format_date_for_people, format_money, format_percentage
from forms.schema import (
    ChoiceDefinition,
    FactDefinition,
    FieldDefinition,
    PercentageDefinition,
    RepeatingGroupDefinition,
    SectionDefinition,
)

NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class DisplayRow:
    """One question and its answer; a table's rows are lists of cells."""

    key: str
    label: str
    text: str
    table_headers: tuple[str, ...] = ()
    table_rows: tuple[tuple[str, ...], ...] = ()
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
    for definition in section.fields:
        if isinstance(definition, FactDefinition):
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
                    table_rows=tuple(
                        tuple(
                            display_value(column, row.get(column.key))
                            for column in definition.columns
                        )
                        for row in group_rows
                    ),
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
