"""A whole number, optionally between a minimum and a maximum."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from forms import messages
from forms.field_types.base import FieldDefinition, FieldReader, FieldType, TypedInputField

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,15}")


@dataclass(frozen=True, kw_only=True)
class WholeNumberDefinition(FieldDefinition):
    field_type = FieldType.WHOLE_NUMBER
    can_be_read_only = True
    min_value: int | None = None
    max_value: int | None = None

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return messages.whole_number(self.error_name, self.min_value, self.max_value)
        minimum, maximum = self.min_value, self.max_value
        below = minimum is not None and value < minimum
        above = maximum is not None and value > maximum
        if not (below or above):
            return None
        if minimum is not None and maximum is not None:
            return messages.whole_number(self.error_name, minimum, maximum)
        if below and minimum is not None:
            return messages.number_at_least(self.error_name, minimum)
        assert maximum is not None
        return messages.number_at_most(self.error_name, maximum)


def read_whole_number(reader: FieldReader) -> WholeNumberDefinition:
    minimum = reader.mapping.whole_number("min")
    maximum = reader.mapping.whole_number("max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise reader.place.key("min").error(f"must not be more than max ({maximum})")
    return WholeNumberDefinition(
        **reader.common(WholeNumberDefinition), min_value=minimum, max_value=maximum
    )


def parse_whole_number(text: str) -> int | None:
    """'1,200' -> 1200; blank -> None; anything else raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().replace(",", "").replace(" ", "")
    if not _WHOLE_NUMBER.fullmatch(compact):
        raise ValueError(text)
    return int(compact)


class WholeNumberField(TypedInputField):
    def parse(self, text: str) -> int | None:
        return parse_whole_number(text)

    def invalid_message(self) -> str:
        definition = self.definition
        minimum = getattr(definition, "min_value", None)
        maximum = getattr(definition, "max_value", None)
        return messages.whole_number(definition.error_name, minimum, maximum)
