"""A yes or no question, stored as true or false."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from wtforms import fields as wtforms_fields
from wtforms.fields.choices import SelectChoice

from forms import messages
from forms.field_types.base import ChoiceInputField, FieldDefinition, FieldReader, FieldType


@dataclass(frozen=True, kw_only=True)
class YesNoDefinition(FieldDefinition):
    field_type = FieldType.YES_NO
    answer_verb = "Select"

    def answer_problem(self, value: object, *, today: date) -> str | None:
        return None if isinstance(value, bool) else messages.SELECT_YES_OR_NO


def read_yes_no(reader: FieldReader) -> YesNoDefinition:
    common = reader.common(YesNoDefinition)
    if not reader.required_message:
        common["required_message"] = messages.SELECT_YES_OR_NO
    return YesNoDefinition(**common)


def _coerce_yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value == "yes":
        return True
    if value == "no":
        return False
    raise ValueError(value)


class YesNoField(ChoiceInputField, wtforms_fields.RadioField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [SelectChoice("yes", "Yes"), SelectChoice("no", "No")])
        kwargs["coerce"] = _coerce_yes_no
        super().__init__(*args, **kwargs)

    def process_data(self, value: object) -> None:
        try:
            self.data = None if value is None else _coerce_yes_no(value)
        except ValueError:
            self.data = None

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        if not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = _coerce_yes_no(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(messages.SELECT_YES_OR_NO) from None
