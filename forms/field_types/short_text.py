"""A single line of text, optionally matching a pattern (a URN, a UKPRN)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms import fields as wtforms_fields

from forms import messages
from forms.field_types.base import DefinedField, FieldDefinition, FieldReader, FieldType
from forms.field_types.values import clean_text


@dataclass(frozen=True, kw_only=True)
class ShortTextDefinition(FieldDefinition):
    field_type = FieldType.SHORT_TEXT
    can_be_read_only = True
    max_length: int = 200
    # An optional full-match regular expression, for references such as a URN or UKPRN.
    pattern: str = ""
    pattern_message: str = ""
    example: str = ""

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if not isinstance(value, str):
            return messages.enter(self.error_name)
        if len(value) > self.max_length:
            return messages.too_long(self.error_name, self.max_length)
        if self.pattern and not re.fullmatch(self.pattern, value):
            return self.pattern_message
        return None


def read_short_text(reader: FieldReader) -> ShortTextDefinition:
    mapping = reader.mapping
    max_length = mapping.whole_number("max_length", default=200, minimum=1)
    pattern = mapping.text("pattern", required=False)
    pattern_message = mapping.text("pattern_message", required=False)
    example = mapping.text("example", required=False)
    if pattern:
        try:
            compiled = re.compile(pattern)
        except re.error as problem:
            raise mapping.place.key("pattern").error(
                f"is not a valid regular expression: {problem}"
            ) from None
        if not pattern_message:
            raise mapping.place.key("pattern_message").error(
                "is required when a pattern is given: say what a right answer looks like"
            )
        if not example:
            raise mapping.place.key("example").error(
                "is required when a pattern is given: an answer that matches it"
            )
        if not compiled.fullmatch(example):
            raise mapping.place.key("example").error(f"{example!r} does not match the pattern")
    elif pattern_message or example:
        name = "pattern_message" if pattern_message else "example"
        raise mapping.place.key(name).error("only makes sense with a pattern")
    assert max_length is not None
    return ShortTextDefinition(
        **reader.common(ShortTextDefinition),
        max_length=max_length,
        pattern=pattern,
        pattern_message=pattern_message,
        example=example,
    )


def _clean_single_line(value: object) -> object:
    return clean_text(value, multiline=False) if isinstance(value, str) else value


class ShortTextField(DefinedField, wtforms_fields.StringField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("filters", (_clean_single_line,))
        super().__init__(*args, **kwargs)
