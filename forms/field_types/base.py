"""What every field type shares: the list of types, the definition every question has, the
reader of the keys every field mapping may hold, and the WTForms base classes.

A field type's own module (``forms.field_types.<type>``) builds on these; the registry
(``forms.field_types.registry``) says which reader reads which type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import wtforms
from wtforms import Form
from wtforms import fields as wtforms_fields
from wtforms import widgets as wtforms_widgets
from wtforms.utils import unset_value

from forms import messages
from forms.field_types.reading import MappingReader, Place

if TYPE_CHECKING:
    # forms.conditions reads field definitions, so it is imported where conditions are read.
    from forms.conditions import Condition


class FieldType(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    WHOLE_NUMBER = "whole_number"
    PERCENTAGE = "percentage"
    MONEY = "money"
    DATE = "date"
    YES_NO = "yes_no"
    RADIOS = "radios"
    CHECKBOXES = "checkboxes"
    SELECT = "select"
    REPEATING_GROUP = "repeating_group"
    FEELINGS_SCALE = "feelings_scale"
    FACT = "fact"
    CALCULATED = "calculated"


# A field key becomes an attribute of a WTForms form class and a keyword argument of its
# constructor, so it must not shadow what WTForms already uses there. Keys starting filter_ or
# validate_ would be picked up by WTForms as inline filters or validators of another field.
RESERVED_FIELD_KEYS = frozenset(
    {name for name in dir(wtforms.Form) if not name.startswith("_")}
    | {"formdata", "obj", "prefix", "data", "meta", "extra_filters", "section", "draft"}
    # Each row of a repeating group carries its stable identity under this key.
    | {"row_id"}
)
RESERVED_FIELD_PREFIXES = ("filter_", "validate_")


@dataclass(frozen=True, kw_only=True)
class FieldDefinition:
    """What every question has. ``error_name`` and ``required_message`` are always filled in."""

    field_type: ClassVar[FieldType]
    # "Enter" for things people type, "Select" for things people choose.
    answer_verb: ClassVar[str] = "Enter"
    # Whether the field's value can be fixed by the portal and shown but not changed.
    can_be_read_only: ClassVar[bool] = False

    key: str
    label: str
    hint: str = ""
    required: bool = False
    read_only: bool = False
    error_name: str = ""
    required_message: str = ""
    # Shown only when this holds (over the section's answers, or the row's for a column).
    shown_if: Condition | None = None
    # Required (when shown) only when this holds; ``required: true`` means whenever shown.
    required_if: Condition | None = None

    @property
    def is_conditional(self) -> bool:
        return self.shown_if is not None or self.required_if is not None

    @property
    def type(self) -> FieldType:
        return self.field_type

    @property
    def stores_answer(self) -> bool:
        """Facts are shown, not stored: everything else is part of the section's answers."""
        return True

    def answer_problem(self, value: object, *, today: date) -> str | None:
        """What is wrong with an answered typed value (``forms.validation.answer_problem``).

        Each field type that stores an answer says what it accepts; a value of the wrong Python
        type is a problem too (it can only come from tampered or corrupted storage)."""
        return None


# --------------------------------------------------------------------------------------------
# Reading the keys every field has
# --------------------------------------------------------------------------------------------

# The keys any field mapping may hold, whatever its type; a type's reader reads its own keys.
COMMON_FIELD_KEYS = (
    "key",
    "type",
    "label",
    "hint",
    "required",
    "error_name",
    "required_message",
    "shown_if",
    "required_if",
)

ReadColumn = Callable[[Place, object], FieldDefinition]


class FieldReader:
    """Reads one field mapping's common keys; the type's reader then reads its own keys.

    ``read_column`` reads a column of a repeating group with the same registry of readers."""

    def __init__(
        self, place: Place, raw: object, *, in_group: bool, read_column: ReadColumn
    ) -> None:
        self.mapping = MappingReader(place, raw, what="a field")
        self.place = place
        self.in_group = in_group
        self.read_column = read_column
        self.key = self.mapping.key_text("key")
        if self.key in RESERVED_FIELD_KEYS or self.key.startswith(RESERVED_FIELD_PREFIXES):
            raise place.key("key").error(
                f"{self.key!r} is reserved by the form library; choose another key"
            )
        self.field_type = self.mapping.choice("type", FieldType, what="field type")
        self.label = self.mapping.text("label")
        self.hint = self.mapping.text("hint", required=False)
        self.required = self.mapping.flag("required")
        self.read_only = self.mapping.flag("read_only")
        self.error_name = self.mapping.text("error_name", required=False) or (
            messages.default_error_name(self.label)
        )
        self.required_message = self.mapping.text("required_message", required=False)
        self.shown_if = self._condition("shown_if")
        self.required_if = self._condition("required_if")

    def _condition(self, name: str) -> Condition | None:
        """A ``shown_if`` or ``required_if`` as written; what it refers to is checked once the
        whole section (or group) is read, since it names other fields."""
        from forms.conditions import PartSyntaxError, parse_condition

        raw = self.mapping.take(name, required=False)
        if raw is None:
            return None
        try:
            return parse_condition(raw)
        except PartSyntaxError as problem:
            raise self.place.key(name).part_error(problem.path, problem.problem) from None

    def common(self, definition_class: type[FieldDefinition]) -> dict[str, Any]:
        """The constructor arguments every definition takes, checked against its type."""
        if self.read_only and not definition_class.can_be_read_only:
            raise self.place.key("read_only").error(f"{self.field_type} fields cannot be read-only")
        if self.read_only and self.required:
            raise self.place.key("required").error(
                "a read-only field cannot be required: nobody could answer it"
            )
        if self.required_if is not None and self.read_only:
            raise self.place.key("required_if").error(
                "a read-only field cannot be required: nobody could answer it"
            )
        if self.required_if is not None and self.required:
            raise self.place.key("required_if").error(
                "the field is already required whenever it is shown (required: true): "
                "remove one of them"
            )
        required_message = self.required_message or (
            f"{definition_class.answer_verb} {self.error_name}"
        )
        return {
            "key": self.key,
            "label": self.label,
            "hint": self.hint,
            "required": self.required,
            "read_only": self.read_only,
            "error_name": self.error_name,
            "required_message": required_message,
            "shown_if": self.shown_if,
            "required_if": self.required_if,
        }


# --------------------------------------------------------------------------------------------
# WTForms base classes
# --------------------------------------------------------------------------------------------

NUMERIC_INPUT_ATTRIBUTES = {"inputmode": "numeric", "spellcheck": "false"}
DECIMAL_INPUT_ATTRIBUTES = {"inputmode": "decimal", "spellcheck": "false"}


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


class TypedInputField(DefinedField, ABC):
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


class ChoiceInputField(DefinedField):
    """Choice fields leave "is it one of the options" to the shared answer rules, so a draft may
    leave them blank and a wrong value gets a plain-English message, not WTForms' own."""

    def pre_validate(self, form: Form) -> None:
        return None
