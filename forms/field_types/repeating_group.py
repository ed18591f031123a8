"""A table people fill in row by row (targets, attendees, costs); each column is a field.

A group may show totals of a money column, copy rows from the last signed-off PEP (a prefill)
and, with ``fixed_rows``, take its rows only from that prefill.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wtforms import Form
from wtforms import fields as wtforms_fields
from wtforms.utils import unset_value

from forms.field_types.base import FieldDefinition, FieldReader, FieldType
from forms.field_types.reading import MappingReader, Place
from forms.field_types.values import is_answered


@dataclass(frozen=True)
class ComputedTotal:
    """A total the portal shows under a repeating group: the sum of one money column (in
    pounds) or one whole_number column (a plain count): the column's type says which."""

    key: str
    label: str
    column: str


@dataclass(frozen=True)
class RowPrefill:
    """Rows copied from the last signed-off PEP: ``columns`` pairs (this column, source column)."""

    section: str
    field: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class RepeatingGroupDefinition(FieldDefinition):
    """A table the person fills in row by row; each column is a field definition."""

    field_type = FieldType.REPEATING_GROUP
    columns: tuple[FieldDefinition, ...] = ()
    min_rows: int = 0
    max_rows: int = 40
    row_label: str = "Row"
    row_label_plural: str = "Rows"
    computed_totals: tuple[ComputedTotal, ...] = ()
    prefill: RowPrefill | None = None
    # Rows come only from the prefill: people answer about each row but cannot add or remove one.
    fixed_rows: bool = False

    def column(self, key: str) -> FieldDefinition:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def columns_by_key(self) -> Mapping[str, FieldDefinition]:
        return {column.key: column for column in self.columns}

    def shown_columns(self, row: Mapping[str, object]) -> frozenset[str]:
        """The keys of the columns shown in a row with these cells (its ``shown_if``s)."""
        from forms.conditions import shown_fields

        return frozenset(
            shown_fields({column.key: column.shown_if for column in self.columns}, row)
        )

    def total_is_money(self, total: ComputedTotal) -> bool:
        """Whether a computed total is in pounds (a money column) or a plain count."""
        return self.column(total.column).field_type is FieldType.MONEY


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_prefill(place: Place, raw: object) -> RowPrefill:
    mapping = MappingReader(place, raw, what="section, field and columns to copy")
    section = mapping.key_text("section")
    source_field = mapping.key_text("field")
    columns_place = place.key("columns")
    columns_raw = mapping.take("columns", required=True)
    columns_mapping = MappingReader(columns_place, columns_raw, what="this column: source column")
    pairs: list[tuple[str, str]] = []
    for column in list(columns_mapping.raw):
        source_column = columns_mapping.key_text(column)
        pairs.append((column, source_column))
    columns_mapping.finish()
    if not pairs:
        raise columns_place.error("must map at least one column")
    mapping.finish()
    return RowPrefill(section, source_field, tuple(pairs))


def read_repeating_group(reader: FieldReader) -> RepeatingGroupDefinition:
    mapping = reader.mapping
    place = reader.place
    if reader.in_group:
        raise place.key("type").error("a repeating group cannot be a column of another group")
    if reader.required:
        raise place.key("required").error("use min_rows to require rows in a repeating group")
    columns: list[FieldDefinition] = []
    seen: dict[str, int] = {}
    for number, (column_place, raw) in enumerate(mapping.items("columns")):
        column = reader.read_column(column_place, raw)
        if column.key in seen:
            raise column_place.key("key").error(
                f"duplicate column key {column.key!r} (also columns[{seen[column.key]}])"
            )
        seen[column.key] = number
        columns.append(column)
    check_conditions(place.key("columns"), columns)
    min_rows = mapping.whole_number("min_rows", default=0, minimum=0)
    max_rows = mapping.whole_number("max_rows", default=40, minimum=1)
    assert min_rows is not None and max_rows is not None
    if min_rows > max_rows:
        raise place.key("min_rows").error(f"must not be more than max_rows ({max_rows})")
    row_label = mapping.text("row_label")
    row_label_plural = mapping.text("row_label_plural", required=False) or f"{row_label}s"
    totals: list[ComputedTotal] = []
    for total_place, raw in mapping.items("computed_totals", required=False):
        total_mapping = MappingReader(total_place, raw, what="a total with key, label and column")
        total = ComputedTotal(
            key=total_mapping.key_text("key"),
            label=total_mapping.text("label"),
            column=total_mapping.key_text("column"),
        )
        total_mapping.finish()
        if total.column not in seen:
            raise total_place.key("column").error(f"no column {total.column!r} in this group")
        column_type = columns[seen[total.column]].field_type
        if column_type not in (FieldType.MONEY, FieldType.WHOLE_NUMBER):
            raise total_place.key("column").error(
                f"must name a money or whole_number column; {total.column!r} is {column_type}"
            )
        totals.append(total)
    prefill = None
    if mapping.has("prefill"):
        prefill = read_prefill(place.key("prefill"), mapping.take("prefill", required=True))
        for column_key, _source in prefill.columns:
            if column_key not in seen:
                raise (
                    place.key("prefill")
                    .key("columns")
                    .key(column_key)
                    .error(f"no column {column_key!r} in this group")
                )
    fixed_rows = mapping.flag("fixed_rows")
    if fixed_rows and prefill is None:
        raise place.key("fixed_rows").error("needs a prefill: fixed rows come from the prefill")
    if fixed_rows and min_rows:
        raise place.key("min_rows").error("cannot be used with fixed_rows")
    return RepeatingGroupDefinition(
        **reader.common(RepeatingGroupDefinition),
        columns=tuple(columns),
        min_rows=min_rows,
        max_rows=max_rows,
        row_label=row_label,
        row_label_plural=row_label_plural,
        computed_totals=tuple(totals),
        prefill=prefill,
        fixed_rows=fixed_rows,
    )


def check_conditions(place: Place, fields: Sequence[FieldDefinition]) -> None:
    """Each field's ``shown_if`` and ``required_if`` refer only to fields (or sibling columns)
    declared before it, of a type that fits the test; ``place`` is the list's place."""
    from forms.conditions import check_references

    keys = [definition.key for definition in fields]
    for number, definition in enumerate(fields):
        before = {earlier.key: earlier for earlier in fields[:number]}
        for name in ("shown_if", "required_if"):
            condition = getattr(definition, name)
            if condition is None:
                continue
            problems = check_references(condition, before, fields_after=keys[number:])
            if problems:
                path, problem = problems[0]
                raise place.index(number).key(name).part_error(path, problem)


# --------------------------------------------------------------------------------------------
# WTForms: rows and the table
# --------------------------------------------------------------------------------------------

ROW_ID_KEY = "row_id"
_ROW_ID = re.compile(r"[0-9a-z]{1,32}", re.ASCII)
_ROW_PLACE = re.compile(r"[0-9]{1,4}", re.ASCII)


def is_row_id(value: object) -> bool:
    """A row's stable identity: short, lower-case ASCII letters and digits only."""
    return isinstance(value, str) and _ROW_ID.fullmatch(value) is not None


class RowIdField(wtforms_fields.HiddenField):
    """The stable identity of a row of a repeating group, carried in a hidden input so that
    saving and removing rows never depends on their positions. Anything that is not a row id
    reads as no id (a new row)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0] if valuelist and is_row_id(valuelist[0]) else None

    def process_data(self, value: object) -> None:
        self.data = value if is_row_id(value) else None


def field_is_blank(field: wtforms_fields.Field) -> bool:
    """Nothing typed, chosen or prefilled, and nothing that failed to read."""
    return not field.process_errors and not is_answered(field.data)


def answer_fields_of_row(row_form: Form) -> Iterator[wtforms_fields.Field]:
    """A row's cells: every field of the row form but its row id."""
    return (field for field in row_form if not isinstance(field, RowIdField))


def row_is_blank(row_form: Form) -> bool:
    return all(field_is_blank(field) for field in answer_fields_of_row(row_form))


def forget_answer(field: wtforms_fields.Field) -> None:
    """Drop what a hidden field holds and any error about it: a question that was not asked
    has no answer to save and nothing to complain about. The field is marked so that a save
    does not carry its blank over a saved answer: whether the saved answer stays is decided by
    the answers the save leaves (a controlling answer typed wrongly keeps its saved value, and
    with it what it reveals)."""
    field.hidden_by_conditions = True
    field.errors = []
    field.process_errors = []
    if isinstance(field, wtforms_fields.FieldList):
        for entry in field.entries:
            for cell in answer_fields_of_row(entry.form):
                forget_answer(cell)
        return
    if isinstance(field, wtforms_fields.FormField):
        return
    field.raw_data = []
    field.data = [] if isinstance(field, wtforms_fields.SelectMultipleField) else None


class RowForm(Form):
    """One row of a repeating group. A blank row is skipped, not checked: people add a row and
    leave it, and the GOV.UK "add another" pattern drops it rather than complaining.

    A cell whose column's ``shown_if`` does not hold for the row is not checked and its value is
    dropped; ``condition_values`` (the row's shown cells) is what ``required_if`` reads."""

    # Set by the form builder: the group this row belongs to (None: no column conditions).
    group_definition: RepeatingGroupDefinition | None = None
    condition_values: Mapping[str, object] = {}

    @property
    def is_blank(self) -> bool:
        return row_is_blank(self)

    def typed_values(self) -> dict[str, object]:
        """The row's cells as typed, a cell that could not be read counting as unanswered."""
        return {
            field.short_name: None if field.process_errors else field.data
            for field in answer_fields_of_row(self)
        }

    def validate(self, extra_validators: Any = None) -> bool:
        if row_is_blank(self):
            for field in self:
                field.errors = []
            return True
        group = self.group_definition
        if group is None:
            return super().validate(extra_validators)
        values = self.typed_values()
        shown = group.shown_columns(values)
        self.condition_values = {key: value for key, value in values.items() if key in shown}
        super().validate(extra_validators)
        for field in answer_fields_of_row(self):
            if field.short_name not in shown:
                forget_answer(field)
        return not any(field.errors for field in self)


class RepeatingGroupField(wtforms_fields.FieldList):
    """A FieldList of RowForm rows that keeps its definition; fixed rows come only from storage."""

    def __init__(
        self,
        unbound_field: Any,
        label: str | None = None,
        validators: Sequence[Callable[..., object]] | None = None,
        *,
        definition: RepeatingGroupDefinition,
        **kwargs: Any,
    ) -> None:
        super().__init__(unbound_field, label, validators, **kwargs)
        self.definition = definition

    # The places ("attendees-<place>-name") the post used for each entry, in entry order.
    # WTForms renumbers the entries 0, 1, 2... after reading them; a save must look up what
    # was posted under the names it really had.
    posted_places: list[int]

    def process(
        self,
        formdata: Any,
        data: Any = unset_value,
        extra_filters: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        if not self.definition.fixed_rows:
            if data is not unset_value and data:
                data = list(data)[: self.definition.max_rows]
            places = sorted(set(self._extract_indices(self.name, formdata))) if formdata else []
            if self.max_entries:
                places = places[: self.max_entries]
            self.posted_places = places
            super().process(formdata, data, extra_filters)
            return
        # Fixed rows (such as last PEP's targets): exactly the stored rows, in their order, each
        # taking the person's answers from the post; posted extra rows are ignored.
        self.last_index = -1
        self.entries = []
        rows = [] if data is unset_value or not data else list(data)
        self.object_data = rows
        for row in rows[: self.definition.max_rows]:
            self._add_entry(formdata, row)
        self.posted_places = list(range(len(self.entries)))

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        # WTForms tests places with str.isdigit(), which "²" passes and int() then refuses.
        offset = len(prefix) + 1
        for name in formdata:
            if name.startswith(prefix + self._separator):
                place = name[offset:].split(self._field_separator, 1)[0]
                if _ROW_PLACE.fullmatch(place):
                    yield int(place)

    def non_blank_entries(self) -> Iterator[wtforms_fields.FormField]:
        return (entry for entry in self.entries if not row_is_blank(entry.form))
