"""Which reader reads which field type: one line per type.

A new field type is a module in this package (its definition, reader, rules and WTForms field),
a member of ``FieldType`` and one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from forms.field_types.base import FieldDefinition, FieldReader, FieldType
from forms.field_types.calculated import read_calculated
from forms.field_types.choices import (
    read_checkboxes,
    read_feelings_scale,
    read_radios,
    read_select,
)
from forms.field_types.date import read_date
from forms.field_types.fact import read_fact
from forms.field_types.long_text import read_long_text
from forms.field_types.money import read_money
from forms.field_types.percentage import read_percentage
from forms.field_types.reading import Place
from forms.field_types.repeating_group import read_repeating_group
from forms.field_types.short_text import read_short_text
from forms.field_types.whole_number import read_whole_number
from forms.field_types.yes_no import read_yes_no

FieldReading = Callable[[FieldReader], FieldDefinition]

FIELD_READERS: dict[FieldType, FieldReading] = {
    FieldType.SHORT_TEXT: read_short_text,
    FieldType.LONG_TEXT: read_long_text,
    FieldType.WHOLE_NUMBER: read_whole_number,
    FieldType.PERCENTAGE: read_percentage,
    FieldType.MONEY: read_money,
    FieldType.DATE: read_date,
    FieldType.YES_NO: read_yes_no,
    FieldType.RADIOS: read_radios,
    FieldType.CHECKBOXES: read_checkboxes,
    FieldType.SELECT: read_select,
    FieldType.FEELINGS_SCALE: read_feelings_scale,
    FieldType.FACT: read_fact,
    FieldType.REPEATING_GROUP: read_repeating_group,
    FieldType.CALCULATED: read_calculated,
}


def read_field(place: Place, raw: object, *, in_group: bool) -> FieldDefinition:
    """Read one field mapping: its common keys, then its type's own; refuse any other key."""
    reader = FieldReader(place, raw, in_group=in_group, read_column=_read_column)
    definition = FIELD_READERS[reader.field_type](reader)
    reader.mapping.finish()
    return definition


def _read_column(place: Place, raw: object) -> FieldDefinition:
    return read_field(place, raw, in_group=True)
