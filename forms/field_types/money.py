"""An amount in pounds and pence, optionally between a minimum and a maximum."""

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

_MONEY = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{1,2})?|\.[0-9]{1,2})")


@dataclass(frozen=True, kw_only=True)
class MoneyDefinition(FieldDefinition):
    field_type = FieldType.MONEY
    can_be_read_only = True
    min_value: Decimal = Decimal("0.00")
    max_value: Decimal | None = None

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if not isinstance(value, Decimal):
            return messages.INVALID_MONEY
        if not value.is_finite() or decimal_places(value) > 2:
            return messages.INVALID_MONEY
        if value < self.min_value:
            return messages.money_at_least(self.error_name, self.min_value)
        if self.max_value is not None and value > self.max_value:
            return messages.money_at_most(self.error_name, self.max_value)
        return None


def read_money(reader: FieldReader) -> MoneyDefinition:
    minimum = reader.mapping.money("min")
    maximum = reader.mapping.money("max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise reader.place.key("min").error(f"must not be more than max ({maximum})")
    return MoneyDefinition(
        **reader.common(MoneyDefinition),
        min_value=minimum if minimum is not None else Decimal("0.00"),
        max_value=maximum,
    )


def parse_money(text: str) -> Decimal | None:
    """'£1,500.5' -> Decimal('1500.50'); blank -> None; more than pence raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().replace(",", "").replace(" ", "")
    sign = ""
    if compact[:1] in ("-", "+"):
        sign, compact = compact[0], compact[1:]
    compact = sign + compact.removeprefix("£")
    if not _MONEY.fullmatch(compact):
        raise ValueError(text)
    return Decimal(compact).quantize(Decimal("0.01"))


def format_money(value: Decimal) -> str:
    """150 -> '150.00'."""
    if value == 0:
        value = Decimal(0)
    return format(value.quantize(Decimal("0.01")), "f")


class MoneyField(TypedInputField):
    input_attributes = DECIMAL_INPUT_ATTRIBUTES

    def parse(self, text: str) -> Decimal | None:
        return parse_money(text)

    def invalid_message(self) -> str:
        return messages.INVALID_MONEY

    def display(self, value: Any) -> str:
        return format_money(value) if isinstance(value, Decimal) else str(value)
