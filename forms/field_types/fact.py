"""A read-only fact from the child's record (name, school, UPN...): shown, never stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from wtforms import fields as wtforms_fields
from wtforms import widgets as wtforms_widgets

from forms.field_types.base import DefinedField, FieldDefinition, FieldReader, FieldType
from forms.field_types.date import format_date_for_people


class FactSource(StrEnum):
    """Facts the portal reads from the child's record; a PEP shows them but never stores them."""

    CHILD_NAME = "child_name"
    DATE_OF_BIRTH = "date_of_birth"
    SCHOOL_NAME = "school_name"
    YEAR_GROUP = "year_group"
    LEGAL_STATUS = "legal_status"
    DATE_ENTERED_CARE = "date_entered_care"
    UPN = "upn"
    LOCAL_AUTHORITY_REFERENCE = "local_authority_reference"

    @property
    def label(self) -> str:
        return FACT_SOURCE_LABELS[self]


FACT_SOURCE_LABELS: dict[FactSource, str] = {
    FactSource.CHILD_NAME: "name",
    FactSource.DATE_OF_BIRTH: "date of birth",
    FactSource.SCHOOL_NAME: "school",
    FactSource.YEAR_GROUP: "year group",
    FactSource.LEGAL_STATUS: "legal status",
    FactSource.DATE_ENTERED_CARE: "date they came into care",
    FactSource.UPN: "unique pupil number",
    FactSource.LOCAL_AUTHORITY_REFERENCE: "local authority reference",
}


@dataclass(frozen=True, kw_only=True)
class FactDefinition(FieldDefinition):
    """A read-only fact from the child's record, supplied by the portal each time it is shown."""

    field_type = FieldType.FACT
    source: FactSource = FactSource.CHILD_NAME

    @property
    def stores_answer(self) -> bool:
        return False

    @property
    def source_label(self) -> str:
        return f"From the child's record: {self.source.label}"


def read_fact(reader: FieldReader) -> FactDefinition:
    if reader.in_group:
        raise reader.place.key("type").error("a fact cannot be a column of a repeating group")
    if reader.required:
        raise reader.place.key("required").error(
            "a fact cannot be required: it comes from the child's record"
        )
    if reader.required_if is not None:
        raise reader.place.key("required_if").error(
            "a fact cannot be required: it comes from the child's record"
        )
    source = reader.mapping.choice("source", FactSource, what="fact source")
    return FactDefinition(**reader.common(FactDefinition), source=source)


class FactWidget(wtforms_widgets.TextInput):
    """Shows a fact in a read-only box (its source is the field's description). The portal
    usually injects a widget that shows it as plain text instead."""

    def __call__(self, field: wtforms_fields.Field, **kwargs: Any) -> Any:
        kwargs.setdefault("readonly", True)
        return super().__call__(field, **kwargs)


class FactField(DefinedField):
    widget = FactWidget()

    @property
    def ignores_browser_input(self) -> bool:
        return True

    @property
    def source_label(self) -> str:
        assert isinstance(self.definition, FactDefinition)
        return self.definition.source_label

    def _value(self) -> str:
        if self.data is None or self.data == "":
            return "Not recorded"
        if isinstance(self.data, date):
            return format_date_for_people(self.data)
        return str(self.data)
