"""WTForms field classes, one per field type of the schema.

Each field keeps its ``definition`` so a template can read everything the YAML says about it
(the maximum length for a character count, option hints, feelings pictures, a fact's source).
The fields read input leniently and report problems in plain English; range, length and required
rules are applied by validators built from the same definition (see ``forms.builder``).
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from wtforms import Form
from wtforms import fields as wtforms_fields
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value

from forms import messages
from forms.parsing import (
    DateInputError,
    clean_text,
    parse_date,
    parse_money,
    parse_percentage,
    parse_whole_number,
)
from forms.schema import (
    ChoiceDefinition,
    FactDefinition,
    FeelingsScaleDefinition,
    FieldDefinition,
    RepeatingGroupDefinition,
)
from forms.validation import is_answered

NUMERIC_INPUT_ATTRIBUTES = {"inputmode": "numeric", "spellcheck": "false"}
DECIMAL_INPUT_ATTRIBUTES = {"inputmode": "decimal", "spellcheck": "false"}
SELECT_PLACEHOLDER = "Select an option"


def format_date_for_people(value: date) -> str:
    """27 March 2026, the GOV.UK way of writing a date."""
    return f"{value.day} {value:%B %Y}"


def format_percentage(value: Decimal) -> str:
    """92.50 -> '92.5', 100.0 -> '100'."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def format_money(value: Decimal) -> str:
    """150 -> '150.00'."""
    if value == 0:
        value = Decimal(0)
    return format(value.quantize(Decimal("0.01")), "f")


class DefinedField(wtforms_fields.Field):
    """Mixin: keeps the schema definition; read-only fields never take values from the browser."""

    definition: FieldDefinition

    def __init__(
        self,
        label: str | None = None,
        validators: Sequence[Callable[..., object]] | None = None,
        *,
        definition: FieldDefinition,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, **kwargs)
        self.definition = definition

    @property
    def ignores_browser_input(self) -> bool:
        return self.definition.read_only

    def process(
        self,
        formdata: Any,
        data: Any = unset_value,
        extra_filters: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        # A read-only value is whatever the portal stored; a tampered post cannot change it.
        if self.ignores_browser_input:
            formdata = None
        super().process(formdata, data, extra_filters)


def _clean_single_line(value: object) -> object:
    return clean_text(value, multiline=False) if isinstance(value, str) else value


def _clean_multiline(value: object) -> object:
    return clean_text(value, multiline=True) if isinstance(value, str) else value


class ShortTextField(DefinedField, wtforms_fields.StringField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("filters", (_clean_single_line,))
        super().__init__(*args, **kwargs)


class LongTextField(DefinedField, wtforms_fields.TextAreaField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("filters", (_clean_multiline,))
        super().__init__(*args, **kwargs)


class _TypedInputField(DefinedField, ABC):
    """A text input read into a typed value; what was typed is shown back if it was wrong.
    Each number type says how to read the text and what to tell a person who typed wrongly."""

    widget = wtforms_widgets.TextInput()
    input_attributes: dict[str, str] = NUMERIC_INPUT_ATTRIBUTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {**self.input_attributes, **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

    @abstractmethod
    def parse(self, text: str) -> object: ...

    @abstractmethod
    def invalid_message(self) -> str: ...

    def display(self, value: Any) -> str:
        return str(value)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        try:
            self.data = self.parse(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message()) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else self.display(self.data)


class WholeNumberField(_TypedInputField):
    def parse(self, text: str) -> int | None:
        return parse_whole_number(text)

    def invalid_message(self) -> str:
        definition = self.definition
        minimum = getattr(definition, "min_value", None)
        maximum = getattr(definition, "max_value", None)
        return messages.whole_number(definition.error_name, minimum, maximum)


class PercentageField(_TypedInputField):
    input_attributes = DECIMAL_INPUT_ATTRIBUTES

    def parse(self, text: str) -> Decimal | None:
        return parse_percentage(text)

    def invalid_message(self) -> str:
        return messages.percentage(self.definition.error_name)

    def display(self, value: Any) -> str:
        return format_percentage(value) if isinstance(value, Decimal) else str(value)


class MoneyField(_TypedInputField):
    input_attributes = DECIMAL_INPUT_ATTRIBUTES

    def parse(self, text: str) -> Decimal | None:
        return parse_money(text)

    def invalid_message(self) -> str:
        return messages.INVALID_MONEY

    def display(self, value: Any) -> str:
        return format_money(value) if isinstance(value, Decimal) else str(value)


class DateField(DefinedField):
    """Takes one ISO value (``<input type=date>``) or day, month and year sent under one name
    (the GOV.UK date input, as govuk-frontend-wtf's GovDateInput renders it)."""

    widget = wtforms_widgets.DateInput()
    # The boxes left empty when that is why the date could not be read ("day", "month", "year").
    problem_parts: tuple[str, ...] = ()

    @property
    def error_link_id(self) -> str:
        """The box an error links to: the first one left empty, else the day box (GOV.UK)."""
        return f"{self.id}-{self.problem_parts[0] if self.problem_parts else 'day'}"

    def process_formdata(self, valuelist: list[str]) -> None:
        self.problem_parts = ()
        if not valuelist:
            # GovDateInput unpacks raw_data into day, month and year: never leave it empty.
            self.raw_data = None
            return
        try:
            self.data = parse_date(list(valuelist))
        except DateInputError as problem:
            self.data = None
            if problem.missing:
                missing = list(problem.missing)
                if len(valuelist) == 3:
                    self.problem_parts = problem.missing
                raise ValueError(
                    messages.date_missing_parts(self.definition.error_name, missing)
                ) from None
            raise ValueError(messages.INVALID_DATE) from None
        if len(valuelist) != 3:
            # Read well from a single value: render from the date, in whichever widget.
            self.raw_data = None

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.isoformat()
        return " ".join(self.raw_data) if self.raw_data else ""


def _coerce_yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value == "yes":
        return True
    if value == "no":
        return False
    raise ValueError(value)


class _ChoiceMixin(DefinedField):
    """Choice fields leave "is it one of the options" to the shared answer rules, so a draft may
    leave them blank and a wrong value gets a plain-English message, not WTForms' own."""

    def pre_validate(self, form: Form) -> None:
        return None


class YesNoField(_ChoiceMixin, wtforms_fields.RadioField):
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


def _option_choices(definition: FieldDefinition) -> list[SelectChoice]:
    assert isinstance(definition, ChoiceDefinition)
    return [SelectChoice(option.value, option.label) for option in definition.options]


class _SingleChoiceMixin(_ChoiceMixin):
    def process_data(self, value: object) -> None:
        self.data = value if isinstance(value, str) and value else None

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = valuelist[0] or None


class RadiosField(_SingleChoiceMixin, wtforms_fields.RadioField):
    def __init__(self, *args: Any, definition: FieldDefinition, **kwargs: Any) -> None:
        kwargs.setdefault("choices", _option_choices(definition))
        super().__init__(*args, definition=definition, **kwargs)


class SelectField(_SingleChoiceMixin, wtforms_fields.SelectField):
    def __init__(self, *args: Any, definition: FieldDefinition, **kwargs: Any) -> None:
        # A blank first option, so nothing is chosen for the person without them noticing.
        kwargs.setdefault(
            "choices", [SelectChoice("", SELECT_PLACEHOLDER), *_option_choices(definition)]
        )
        super().__init__(*args, definition=definition, **kwargs)


class FeelingsScaleField(RadiosField):
    """Radios whose options each carry a picture key (``data-picture``) for the portal's images."""

    def __init__(self, *args: Any, definition: FieldDefinition, **kwargs: Any) -> None:
        assert isinstance(definition, FeelingsScaleDefinition)
        kwargs.setdefault(
            "choices",
            [
                SelectChoice(
                    option.value, option.label, render_kw={"data-picture": option.picture.value}
                )
                for option in definition.options
            ],
        )
        super().__init__(*args, definition=definition, **kwargs)

    @property
    def pictures(self) -> dict[str, str]:
        """Option value -> picture key."""
        assert isinstance(self.definition, FeelingsScaleDefinition)
        return {option.value: option.picture.value for option in self.definition.options}


class CheckboxesField(_ChoiceMixin, wtforms_fields.SelectMultipleField):
    widget = wtforms_widgets.ListWidget(prefix_label=False)
    option_widget = wtforms_widgets.CheckboxInput()

    def __init__(self, *args: Any, definition: FieldDefinition, **kwargs: Any) -> None:
        kwargs.setdefault("choices", _option_choices(definition))
        super().__init__(*args, definition=definition, **kwargs)

    def process_data(self, value: object) -> None:
        if isinstance(value, list | tuple):
            self.data = [item for item in value if isinstance(item, str)]
        else:
            self.data = []

    def process_formdata(self, valuelist: list[str]) -> None:
        # Without JavaScript an unticked box sends nothing; blanks come from hidden inputs.
        self.data = list(dict.fromkeys(value for value in valuelist if value))


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


class RowForm(Form):
    """One row of a repeating group. A blank row is skipped, not checked: people add a row and
    leave it, and the GOV.UK "add another" pattern drops it rather than complaining."""

    @property
    def is_blank(self) -> bool:
        return row_is_blank(self)

    def validate(self, extra_validators: Any = None) -> bool:
        if row_is_blank(self):
            for field in self:
                field.errors = []
            return True
        return super().validate(extra_validators)


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
