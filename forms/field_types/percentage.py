"""A percentage from 0 to 100, with up to a set number of decimal places."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from forms import messages
from forms.field_types.base import (
    DECIMAL_INPUT_ATTRIBUTES,
    FieldDefinition,
    FieldReader,
    FieldType,
    TypedInputField,
)
from forms.field_types.values import decimal_places

PERCENTAGE_MINIMUM = Decimal(0)
PERCENTAGE_MAXIMUM = Decimal(100)

_PERCENTAGE = re.compile(r"[+-]?(?:[0-9]{1,6}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})")


@dataclass(frozen=True, kw_only=True)
class PercentageDefinition(FieldDefinition):
    field_type = FieldType.PERCENTAGE
    can_be_read_only = True
    decimal_places: int = 2

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if not isinstance(value, Decimal):
            return messages.percentage(self.error_name)
        if not value.is_finite() or not PERCENTAGE_MINIMUM <= value <= PERCENTAGE_MAXIMUM:
            return messages.percentage(self.error_name)
        if decimal_places(value) > self.decimal_places:
            return messages.percentage_places(self.error_name, self.decimal_places)
        return None


def read_percentage(reader: FieldReader) -> PercentageDefinition:
    places = reader.mapping.whole_number("decimal_places", default=2, minimum=0)
    assert places is not None
    if places > 4:
        raise reader.place.key("decimal_places").error("must be from 0 to 4")
    return PercentageDefinition(**reader.common(PercentageDefinition), decimal_places=places)


def parse_percentage(text: str) -> Decimal | None:
    """'92.5', '92.5%' -> Decimal('92.5'); blank -> None; anything else raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().removesuffix("%").replace(" ", "")
    if not _PERCENTAGE.fullmatch(compact):
        raise ValueError(text)
    return Decimal(compact)


def format_percentage(value: Decimal) -> str:
    """92.50 -> '92.5', 100.0 -> '100'."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


class PercentageField(TypedInputField):
    input_attributes = DECIMAL_INPUT_ATTRIBUTES

    def parse(self, text: str) -> Decimal | None:
        return parse_percentage(text)

    def invalid_message(self) -> str:
        return messages.percentage(self.definition.error_name)

    def display(self, value: Any) -> str:
        return format_percentage(value) if isinstance(value, Decimal) else str(value)
