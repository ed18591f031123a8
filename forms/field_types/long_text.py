"""Several lines of text, up to a maximum length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms import fields as wtforms_fields

from forms import messages
from forms.field_types.base import DefinedField, FieldDefinition, FieldReader, FieldType
from forms.field_types.values import clean_text


@dataclass(frozen=True, kw_only=True)
class LongTextDefinition(FieldDefinition):
    field_type = FieldType.LONG_TEXT
    can_be_read_only = True
    max_length: int = 5000

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if not isinstance(value, str):
            return messages.enter(self.error_name)
        if len(value) > self.max_length:
            return messages.too_long(self.error_name, self.max_length)
        return None


def read_long_text(reader: FieldReader) -> LongTextDefinition:
    max_length = reader.mapping.whole_number("max_length", default=5000, minimum=1)
    assert max_length is not None
    return LongTextDefinition(**reader.common(LongTextDefinition), max_length=max_length)


def _clean_multiline(value: object) -> object:
    return clean_text(value, multiline=True) if isinstance(value, str) else value


class LongTextField(DefinedField, wtforms_fields.TextAreaField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("filters", (_clean_multiline,))
        super().__init__(*args, **kwargs)
