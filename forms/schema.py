"""PEP forms as data: load the YAML definitions, check every part, hand out frozen typed objects.

A definition file is ``<key>.v<version>.yaml`` in ``forms/definitions``. Any problem raises
:class:`FormDefinitionError` naming the file and the path inside it, for example
``school_age.v1.yaml: sections[3].fields[2].max_length: must be a whole number above 0``.
A PEP stores the (key, version) of its form; old versions stay loadable beside new ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import wtforms
import yaml

from forms import messages
from forms.phases import (
    Phase,
    VoiceBand,
    choose_pep_form,
    choose_voice_band,
)
from workflows.roles import STAFF_READERS, Role

__all__ = [
    "DEFAULT_DIRECTORY",
    "ChoiceDefinition",
    "ComputedTotal",
    "FactSource",
    "FeelingOption",
    "FieldDefinition",
    "FieldType",
    "FormDefinition",
    "FormDefinitionError",
    "FormRegistry",
    "Option",
    "Phase",
    "Picture",
    "RepeatingGroupDefinition",
    "RowPrefill",
    "SectionDefinition",
    "SectionType",
    "UnknownFormError",
    "VoiceBand",
    "choose_pep_form",
    "choose_voice_band",
    "load_definition",
    "load_definitions",
    "section_readers",
]

DEFAULT_DIRECTORY = Path(__file__).parent / "definitions"

_Choice = TypeVar("_Choice", bound=StrEnum)

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_FILE_NAME = re.compile(r"(?P<key>.+)\.v(?P<version>[0-9]+)\.ya?ml")

# Who reads a section when its definition says nothing more: the people who work on the PEP
# for the authority and the school read every section (workflows.roles.STAFF_READERS). The carer
# and the child read only the sections they own, unless a section lists them in `readers:` or the
# form shares the section with carers (`carers_read:`).
# The roles `readers:` may name: staff read everything already.
WIDENING_READERS = frozenset({Role.CARER, Role.CHILD})

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


class FormDefinitionError(ValueError):
    """A definition file is wrong; the message names the file and the path inside it."""


class UnknownFormError(LookupError):
    """No loaded definition has the requested key (and version)."""


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


class SectionType(StrEnum):
    STANDARD = "standard"
    # The PEP's "my views" section: the answers come from the separate child's-voice form.
    CHILD_VOICE = "child_voice"
    # The Virtual School's rating and feedback; the QA feature supplies its contents.
    QUALITY_ASSURANCE = "quality_assurance"


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


class Picture(StrEnum):
    """Pictures a feelings scale can show; the portal maps each to an image and its alt text."""

    VERY_HAPPY = "very_happy"
    HAPPY = "happy"
    OKAY = "okay"
    SAD = "sad"
    VERY_SAD = "very_sad"
    NOT_SURE = "not_sure"


# --------------------------------------------------------------------------------------------
# The definition objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One answer a person can choose: ``value`` is stored, ``label`` is shown."""

    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class FeelingOption(Option):
    picture: Picture = Picture.OKAY


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

    @property
    def type(self) -> FieldType:
        return self.field_type

    @property
    def stores_answer(self) -> bool:
        """Facts are shown, not stored: everything else is part of the section's answers."""
        return True


@dataclass(frozen=True, kw_only=True)
class ShortTextDefinition(FieldDefinition):
    field_type = FieldType.SHORT_TEXT
    can_be_read_only = True
    max_length: int = 200
    # An optional full-match regular expression, for references such as a URN or UKPRN.
    pattern: str = ""
    pattern_message: str = ""
    example: str = ""


@dataclass(frozen=True, kw_only=True)
class LongTextDefinition(FieldDefinition):
    field_type = FieldType.LONG_TEXT
    can_be_read_only = True
    max_length: int = 5000


@dataclass(frozen=True, kw_only=True)
class WholeNumberDefinition(FieldDefinition):
    field_type = FieldType.WHOLE_NUMBER
    can_be_read_only = True
    min_value: int | None = None
    max_value: int | None = None


@dataclass(frozen=True, kw_only=True)
class PercentageDefinition(FieldDefinition):
    field_type = FieldType.PERCENTAGE
    can_be_read_only = True
    decimal_places: int = 2


@dataclass(frozen=True, kw_only=True)
class MoneyDefinition(FieldDefinition):
    field_type = FieldType.MONEY
    can_be_read_only = True
    min_value: Decimal = Decimal("0.00")
    max_value: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class DateDefinition(FieldDefinition):
    field_type = FieldType.DATE
    can_be_read_only = True
    not_in_future: bool = False
    not_in_past: bool = False


@dataclass(frozen=True, kw_only=True)
class YesNoDefinition(FieldDefinition):
    field_type = FieldType.YES_NO
    answer_verb = "Select"


@dataclass(frozen=True, kw_only=True)
class ChoiceDefinition(FieldDefinition):
    """A question answered by choosing from ``options``."""

    answer_verb = "Select"
    options: tuple[Option, ...] = ()

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(option.value for option in self.options)

    def option_label(self, value: str) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        raise KeyError(value)


@dataclass(frozen=True, kw_only=True)
class RadiosDefinition(ChoiceDefinition):
    field_type = FieldType.RADIOS


@dataclass(frozen=True, kw_only=True)
class CheckboxesDefinition(ChoiceDefinition):
    field_type = FieldType.CHECKBOXES


@dataclass(frozen=True, kw_only=True)
class SelectDefinition(ChoiceDefinition):
    field_type = FieldType.SELECT


@dataclass(frozen=True, kw_only=True)
class FeelingsScaleDefinition(ChoiceDefinition):
    field_type = FieldType.FEELINGS_SCALE
    options: tuple[FeelingOption, ...] = ()


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


@dataclass(frozen=True)
class ComputedTotal:
    """A total the portal shows under a repeating group: the sum of one money column."""

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


@dataclass(frozen=True, kw_only=True)
class SectionDefinition:
    """One part of a PEP, owned by the role that completes it."""

    key: str
    title: str
    owner: Role
    description: str
    section_type: SectionType = SectionType.STANDARD
    fields: tuple[FieldDefinition, ...] = ()
    # Child's-voice form sections: which age band this section serves.
    band: VoiceBand | None = None
    # PEP "my views" sections: which child's-voice form (and version) holds the answers.
    voice_form: str | None = None
    voice_form_version: int | None = None
    # Roles beyond the staff and the owner who may read this section (`readers:`).
    readers: frozenset[Role] = frozenset()
    # Linked by load_definitions once every file is loaded.
    voice_definition: FormDefinition | None = field(default=None, compare=False, repr=False)

    def get_field(self, key: str) -> FieldDefinition:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    @property
    def answer_fields(self) -> tuple[FieldDefinition, ...]:
        """The fields whose answers are stored (everything but facts)."""
        return tuple(candidate for candidate in self.fields if candidate.stores_answer)

    @property
    def counts_towards_completeness(self) -> bool:
        """Quality assurance happens after submission, so it never holds up the submitter."""
        return self.section_type is not SectionType.QUALITY_ASSURANCE

    def voice_section(self, band: VoiceBand | str) -> SectionDefinition:
        """For a "my views" section: the child's-voice section for ``band``."""
        if self.voice_definition is None:
            raise UnknownFormError(
                f"section {self.key!r} has no linked child's-voice form: "
                "load definitions with load_definitions() so references are linked"
            )
        return self.voice_definition.section_for_band(band)


@dataclass(frozen=True, kw_only=True)
class FormDefinition:
    key: str
    version: int
    title: str
    phase: Phase
    description: str
    sections: tuple[SectionDefinition, ...]
    # The authority's choice, per form: further sections a carer may read (`carers_read:`).
    carers_read: frozenset[str] = frozenset()

    @property
    def file_name(self) -> str:
        return f"{self.key}.v{self.version}.yaml"

    def section(self, key: str) -> SectionDefinition:
        for candidate in self.sections:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def section_for_band(self, band: VoiceBand | str) -> SectionDefinition:
        for candidate in self.sections:
            if candidate.band is not None and candidate.band == band:
                return candidate
        raise KeyError(band)

    def sections_owned_by(self, role: Role) -> tuple[SectionDefinition, ...]:
        return tuple(candidate for candidate in self.sections if candidate.owner is role)

    def sections_readable_by(self, roles: frozenset[Role]) -> tuple[SectionDefinition, ...]:
        return tuple(
            candidate for candidate in self.sections if section_readers(self, candidate) & roles
        )


def section_readers(form: FormDefinition, section: SectionDefinition) -> frozenset[Role]:
    """Every role that may read this section: staff, its owner, and whoever it is shared with."""
    readers = STAFF_READERS | {section.owner} | section.readers
    if section.key in form.carers_read:
        readers |= {Role.CARER}
    return frozenset(readers)


# --------------------------------------------------------------------------------------------
# Reading YAML with a path for every problem
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping_without_duplicates(
    loader: _StrictLoader, node: yaml.MappingNode
) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:
            continue  # unhashable keys are reported by the normal constructor
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


@dataclass(frozen=True)
class _Place:
    """Where in which file a value sits, for error messages."""

    file_name: str
    path: str = ""

    def key(self, name: str) -> _Place:
        return _Place(self.file_name, f"{self.path}.{name}" if self.path else name)

    def index(self, number: int) -> _Place:
        return _Place(self.file_name, f"{self.path}[{number}]")

    def error(self, problem: str) -> FormDefinitionError:
        where = f"{self.file_name}: {self.path}" if self.path else self.file_name
        return FormDefinitionError(f"{where}: {problem}")


def _describe(value: object) -> str:
    if isinstance(value, bool):
        # YAML 1.1 reads yes, no, on and off as true and false.
        return f"{str(value).lower()} (put quotes around yes, no, on and off)"
    return repr(value)


class _Mapping:
    """A YAML mapping being read: each read consumes a key; ``finish`` rejects any left over."""

    def __init__(self, place: _Place, raw: object, *, what: str) -> None:
        if not isinstance(raw, Mapping):
            raise place.error(f"must be a mapping of keys to values ({what}), not {_describe(raw)}")
        for name in raw:
            if not isinstance(name, str):
                raise place.error(f"key {_describe(name)} must be text")
        self.place = place
        self.raw: Mapping[str, object] = raw
        self.unread = set(raw)
        self.known: set[str] = set()

    def has(self, name: str) -> bool:
        self.known.add(name)
        return name in self.raw

    def take(self, name: str, *, required: bool) -> object:
        self.known.add(name)
        self.unread.discard(name)
        if name not in self.raw or self.raw[name] is None:
            if required:
                raise self.place.key(name).error("is required")
            return None
        return self.raw[name]

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.take(name, required=required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.place.key(name).error(f"must be text, not {_describe(value)}")
        if required and not value.strip():
            raise self.place.key(name).error("must not be blank")
        return value.strip()

    def key_text(self, name: str) -> str:
        value = self.text(name)
        if not _SNAKE_CASE.fullmatch(value):
            raise self.place.key(name).error(
                f"must be snake_case (lower-case letters, digits and underscores), not {value!r}"
            )
        return value

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self.take(name, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.place.key(name).error(f"must be true or false, not {_describe(value)}")
        return value

    def whole_number(
        self, name: str, *, default: int | None = None, minimum: int | None = None
    ) -> int | None:
        value = self.take(name, required=False)
        if value is None:
            return default
        problem = "must be a whole number"
        if minimum == 1:
            problem += " above 0"
        elif minimum is not None:
            problem += f" of {minimum} or more"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.place.key(name).error(f"{problem}, not {_describe(value)}")
        if minimum is not None and value < minimum:
            raise self.place.key(name).error(problem)
        return value

    def money(self, name: str) -> Decimal | None:
        value = self.take(name, required=False)
        if value is None:
            return None
        problem = f"must be an amount in pounds, like 150 or 150.50, not {_describe(value)}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.place.key(name).error(problem)
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise self.place.key(name).error(problem) from None
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise self.place.key(name).error(problem)
        return amount.quantize(Decimal("0.01"))

    def items(self, name: str, *, required: bool = True) -> list[tuple[_Place, object]]:
        value = self.take(name, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.place.key(name).error(f"must be a list, not {_describe(value)}")
        if required and not value:
            raise self.place.key(name).error("must list at least one item")
        return [(self.place.key(name).index(number), item) for number, item in enumerate(value)]

    def choice(self, name: str, enum: type[_Choice], *, what: str) -> _Choice:
        value = self.text(name)
        try:
            return enum(value)
        except ValueError:
            known = ", ".join(member.value for member in enum)
            raise self.place.key(name).error(f"unknown {what} {value!r} (known: {known})") from None

    def finish(self) -> None:
        if self.unread:
            name = sorted(self.unread)[0]
            allowed = ", ".join(sorted(self.known))
            raise self.place.key(name).error(f"unknown key (allowed here: {allowed})")


# --------------------------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------------------------

_COMMON_FIELD_KEYS = ("key", "type", "label", "hint", "required", "error_name", "required_message")


class _FieldReader:
    """Reads one field mapping; the per-type readers below add their own keys."""

    def __init__(self, place: _Place, raw: object, *, in_group: bool) -> None:
        self.mapping = _Mapping(place, raw, what="a field")
        self.place = place
        self.in_group = in_group
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

    def common(self, definition_class: type[FieldDefinition]) -> dict[str, Any]:
        if self.read_only and not definition_class.can_be_read_only:
            raise self.place.key("read_only").error(f"{self.field_type} fields cannot be read-only")
        if self.read_only and self.required:
            raise self.place.key("required").error(
                "a read-only field cannot be required: nobody could answer it"
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
        }


def _read_short_text(reader: _FieldReader) -> FieldDefinition:
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


def _read_long_text(reader: _FieldReader) -> FieldDefinition:
    max_length = reader.mapping.whole_number("max_length", default=5000, minimum=1)
    assert max_length is not None
    return LongTextDefinition(**reader.common(LongTextDefinition), max_length=max_length)


def _read_whole_number(reader: _FieldReader) -> FieldDefinition:
    minimum = reader.mapping.whole_number("min")
    maximum = reader.mapping.whole_number("max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise reader.place.key("min").error(f"must not be more than max ({maximum})")
    return WholeNumberDefinition(
        **reader.common(WholeNumberDefinition), min_value=minimum, max_value=maximum
    )


def _read_percentage(reader: _FieldReader) -> FieldDefinition:
    places = reader.mapping.whole_number("decimal_places", default=2, minimum=0)
    assert places is not None
    if places > 4:
        raise reader.place.key("decimal_places").error("must be from 0 to 4")
    return PercentageDefinition(**reader.common(PercentageDefinition), decimal_places=places)


def _read_money(reader: _FieldReader) -> FieldDefinition:
    minimum = reader.mapping.money("min")
    maximum = reader.mapping.money("max")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise reader.place.key("min").error(f"must not be more than max ({maximum})")
    return MoneyDefinition(
        **reader.common(MoneyDefinition),
        min_value=minimum if minimum is not None else Decimal("0.00"),
        max_value=maximum,
    )


def _read_date(reader: _FieldReader) -> FieldDefinition:
    not_in_future = reader.mapping.flag("not_in_future")
    not_in_past = reader.mapping.flag("not_in_past")
    if not_in_future and not_in_past:
        raise reader.place.key("not_in_past").error(
            "cannot be combined with not_in_future: only today would be allowed"
        )
    return DateDefinition(
        **reader.common(DateDefinition), not_in_future=not_in_future, not_in_past=not_in_past
    )


def _read_yes_no(reader: _FieldReader) -> FieldDefinition:
    common = reader.common(YesNoDefinition)
    if not reader.required_message:
        common["required_message"] = messages.SELECT_YES_OR_NO
    return YesNoDefinition(**common)


def _read_options(reader: _FieldReader, *, with_pictures: bool) -> tuple[Option, ...]:
    entries = reader.mapping.items("options", required=False)
    if not reader.mapping.has("options") or not entries:
        raise reader.place.key("options").error(
            f"is required for {reader.field_type} fields: list at least 2 options"
        )
    if len(entries) < 2:
        raise reader.place.key("options").error("must list at least 2 options")
    options: list[Option] = []
    seen: dict[str, int] = {}
    for number, (place, raw) in enumerate(entries):
        mapping = _Mapping(place, raw, what="an option with a value and a label")
        value = mapping.key_text("value")
        if value in seen:
            raise place.key("value").error(
                f"duplicate option value {value!r} (also options[{seen[value]}])"
            )
        seen[value] = number
        label = mapping.text("label")
        hint = mapping.text("hint", required=False)
        if with_pictures:
            picture = mapping.choice("picture", Picture, what="picture")
            mapping.finish()
            options.append(FeelingOption(value, label, hint, picture))
        else:
            mapping.finish()
            options.append(Option(value, label, hint))
    return tuple(options)


def _read_choice(
    definition_class: type[ChoiceDefinition],
) -> Callable[[_FieldReader], FieldDefinition]:
    def read(reader: _FieldReader) -> FieldDefinition:
        with_pictures = definition_class is FeelingsScaleDefinition
        options = _read_options(reader, with_pictures=with_pictures)
        return definition_class(**reader.common(definition_class), options=options)

    return read


def _read_fact(reader: _FieldReader) -> FieldDefinition:
    if reader.in_group:
        raise reader.place.key("type").error("a fact cannot be a column of a repeating group")
    if reader.required:
        raise reader.place.key("required").error(
            "a fact cannot be required: it comes from the child's record"
        )
    source = reader.mapping.choice("source", FactSource, what="fact source")
    return FactDefinition(**reader.common(FactDefinition), source=source)


def _read_prefill(place: _Place, raw: object) -> RowPrefill:
    mapping = _Mapping(place, raw, what="section, field and columns to copy")
    section = mapping.key_text("section")
    source_field = mapping.key_text("field")
    columns_place = place.key("columns")
    columns_raw = mapping.take("columns", required=True)
    columns_mapping = _Mapping(columns_place, columns_raw, what="this column: source column")
    pairs: list[tuple[str, str]] = []
    for column in list(columns_mapping.raw):
        source_column = columns_mapping.key_text(column)
        pairs.append((column, source_column))
    columns_mapping.finish()
    if not pairs:
        raise columns_place.error("must map at least one column")
    mapping.finish()
    return RowPrefill(section, source_field, tuple(pairs))


def _read_repeating_group(reader: _FieldReader) -> FieldDefinition:
    mapping = reader.mapping
    place = reader.place
    if reader.in_group:
        raise place.key("type").error("a repeating group cannot be a column of another group")
    if reader.required:
        raise place.key("required").error("use min_rows to require rows in a repeating group")
    columns: list[FieldDefinition] = []
    seen: dict[str, int] = {}
    for number, (column_place, raw) in enumerate(mapping.items("columns")):
        column = _read_field(column_place, raw, in_group=True)
        if column.key in seen:
            raise column_place.key("key").error(
                f"duplicate column key {column.key!r} (also columns[{seen[column.key]}])"
            )
        seen[column.key] = number
        columns.append(column)
    min_rows = mapping.whole_number("min_rows", default=0, minimum=0)
    max_rows = mapping.whole_number("max_rows", default=40, minimum=1)
    assert min_rows is not None and max_rows is not None
    if min_rows > max_rows:
        raise place.key("min_rows").error(f"must not be more than max_rows ({max_rows})")
    row_label = mapping.text("row_label")
    row_label_plural = mapping.text("row_label_plural", required=False) or f"{row_label}s"
    totals: list[ComputedTotal] = []
    for total_place, raw in mapping.items("computed_totals", required=False):
        total_mapping = _Mapping(total_place, raw, what="a total with key, label and column")
        total = ComputedTotal(
            key=total_mapping.key_text("key"),
            label=total_mapping.text("label"),
            column=total_mapping.key_text("column"),
        )
        total_mapping.finish()
        if total.column not in seen:
            raise total_place.key("column").error(f"no column {total.column!r} in this group")
        column_type = columns[seen[total.column]].field_type
        if column_type is not FieldType.MONEY:
            raise total_place.key("column").error(
                f"must name a money column; {total.column!r} is {column_type}"
            )
        totals.append(total)
    prefill = None
    if mapping.has("prefill"):
        prefill = _read_prefill(place.key("prefill"), mapping.take("prefill", required=True))
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


_FIELD_READERS: dict[FieldType, Callable[[_FieldReader], FieldDefinition]] = {
    FieldType.SHORT_TEXT: _read_short_text,
    FieldType.LONG_TEXT: _read_long_text,
    FieldType.WHOLE_NUMBER: _read_whole_number,
    FieldType.PERCENTAGE: _read_percentage,
    FieldType.MONEY: _read_money,
    FieldType.DATE: _read_date,
    FieldType.YES_NO: _read_yes_no,
    FieldType.RADIOS: _read_choice(RadiosDefinition),
    FieldType.CHECKBOXES: _read_choice(CheckboxesDefinition),
    FieldType.SELECT: _read_choice(SelectDefinition),
    FieldType.FEELINGS_SCALE: _read_choice(FeelingsScaleDefinition),
    FieldType.FACT: _read_fact,
    FieldType.REPEATING_GROUP: _read_repeating_group,
}


def _read_field(place: _Place, raw: object, *, in_group: bool) -> FieldDefinition:
    reader = _FieldReader(place, raw, in_group=in_group)
    definition = _FIELD_READERS[reader.field_type](reader)
    reader.mapping.finish()
    return definition


# --------------------------------------------------------------------------------------------
# Sections and forms
# --------------------------------------------------------------------------------------------


def _read_section(place: _Place, raw: object, *, phase: Phase) -> SectionDefinition:
    mapping = _Mapping(place, raw, what="a section")
    key = mapping.key_text("key")
    title = mapping.text("title")
    owner = mapping.choice("owner", Role, what="owner role")
    description = mapping.text("description")
    section_type = SectionType.STANDARD
    if mapping.has("type"):
        section_type = mapping.choice("type", SectionType, what="section type")
    band = None
    if mapping.has("band"):
        if phase is not Phase.CHILD_VOICE:
            raise place.key("band").error("only child's-voice forms have bands")
        band = mapping.choice("band", VoiceBand, what="voice band")
    elif phase is Phase.CHILD_VOICE:
        raise place.key("band").error("is required in a child's-voice form")

    voice_form = None
    voice_form_version = None
    if section_type is SectionType.CHILD_VOICE:
        voice_form = mapping.key_text("voice_form")
        voice_form_version = mapping.whole_number("voice_form_version", minimum=1)
        if voice_form_version is None:
            raise place.key("voice_form_version").error("is required")
        if owner is not Role.CHILD:
            raise place.key("owner").error("a child's-voice section belongs to the child")
    elif mapping.has("voice_form") or mapping.has("voice_form_version"):
        name = "voice_form" if mapping.has("voice_form") else "voice_form_version"
        raise place.key(name).error("only sections of type child_voice refer to a voice form")

    fields: list[FieldDefinition] = []
    seen: dict[str, int] = {}
    field_entries = mapping.items("fields", required=section_type is SectionType.STANDARD)
    if section_type is SectionType.CHILD_VOICE and field_entries:
        raise place.key("fields").error(
            "a child_voice section has no fields of its own: they come from the voice form"
        )
    for number, (field_place, raw_field) in enumerate(field_entries):
        definition = _read_field(field_place, raw_field, in_group=False)
        if definition.key in seen:
            raise field_place.key("key").error(
                f"duplicate field key {definition.key!r} in this section "
                f"(also fields[{seen[definition.key]}])"
            )
        seen[definition.key] = number
        fields.append(definition)
    for number, definition in enumerate(fields):
        if not isinstance(definition, RepeatingGroupDefinition):
            continue
        for total_number, total in enumerate(definition.computed_totals):
            if total.key in seen:
                raise (
                    place.key("fields")
                    .index(number)
                    .key("computed_totals")
                    .index(total_number)
                    .key("key")
                    .error(f"{total.key!r} is already a field key in this section")
                )
            seen[total.key] = number
    readers = _read_roles(place, mapping, "readers")
    mapping.finish()
    return SectionDefinition(
        key=key,
        title=title,
        owner=owner,
        description=description,
        section_type=section_type,
        fields=tuple(fields),
        band=band,
        voice_form=voice_form,
        voice_form_version=voice_form_version,
        readers=readers,
    )


def _read_roles(place: _Place, mapping: _Mapping, name: str) -> frozenset[Role]:
    """A section's `readers:`: the carer or the child (staff read every section already)."""
    roles: set[Role] = set()
    for role_place, raw in mapping.items(name, required=False):
        known = ", ".join(sorted(role.value for role in WIDENING_READERS))
        if not isinstance(raw, str) or raw not in {role.value for role in WIDENING_READERS}:
            raise role_place.error(
                f"unknown reader {raw!r} (staff read every section; a section may add: {known})"
            )
        roles.add(Role(raw))
    return frozenset(roles)


def _read_carers_read(
    place: _Place, mapping: _Mapping, sections: list[SectionDefinition]
) -> frozenset[str]:
    """The form's `carers_read:`: keys of sections carers may read besides their own."""
    keys = {section.key for section in sections}
    chosen: set[str] = set()
    for key_place, raw in mapping.items("carers_read", required=False):
        if not isinstance(raw, str) or raw not in keys:
            raise key_place.error(f"no section {raw!r}")
        chosen.add(raw)
    return frozenset(chosen)


def _check_child_voice_form(place: _Place, sections: list[SectionDefinition]) -> None:
    bands_seen: dict[VoiceBand, int] = {}
    for number, section in enumerate(sections):
        section_place = place.key("sections").index(number)
        assert section.band is not None
        if section.band in bands_seen:
            raise section_place.key("band").error(
                f"band {section.band.value!r} already has a section "
                f"(sections[{bands_seen[section.band]}])"
            )
        bands_seen[section.band] = number
        if section.owner is not Role.CHILD:
            raise section_place.key("owner").error("the child's voice belongs to the child")
        if section.section_type is not SectionType.STANDARD:
            raise section_place.key("type").error("a child's-voice form has standard sections")
    missing = [band.value for band in VoiceBand if band not in bands_seen]
    if missing:
        raise place.key("sections").error(f"needs a section for each band; missing {missing}")


def _check_prefills(place: _Place, sections: list[SectionDefinition]) -> None:
    """A prefill copies rows from the same form's sections on the last PEP: check they exist."""
    by_key = {section.key: section for section in sections}
    for section_number, section in enumerate(sections):
        for field_number, definition in enumerate(section.fields):
            if not isinstance(definition, RepeatingGroupDefinition) or not definition.prefill:
                continue
            prefill = definition.prefill
            prefill_place = (
                place.key("sections").index(section_number).key("fields").index(field_number)
            ).key("prefill")
            source_section = by_key.get(prefill.section)
            if source_section is None:
                raise prefill_place.key("section").error(f"no section {prefill.section!r}")
            try:
                source = source_section.get_field(prefill.field)
            except KeyError:
                raise prefill_place.key("field").error(
                    f"no field {prefill.field!r} in section {prefill.section!r}"
                ) from None
            if not isinstance(source, RepeatingGroupDefinition):
                raise prefill_place.key("field").error("must name a repeating group")
            for column_key, source_key in prefill.columns:
                column_place = prefill_place.key("columns").key(column_key)
                try:
                    source_column = source.column(source_key)
                except KeyError:
                    raise column_place.error(
                        f"no column {source_key!r} in {prefill.section}.{prefill.field}"
                    ) from None
                column = definition.column(column_key)
                if type(column) is not type(source_column):
                    raise column_place.error(
                        f"{column.field_type} column cannot take {source_column.field_type} answers"
                    )
                if not column.read_only:
                    raise column_place.error(
                        "a prefilled column must be read_only: it records the earlier answer"
                    )


def _parse_definition(file_name: str, raw: object) -> FormDefinition:
    place = _Place(file_name)
    mapping = _Mapping(place, raw, what="a form definition")
    key = mapping.key_text("key")
    version = mapping.whole_number("version", minimum=1)
    if version is None:
        raise place.key("version").error("is required")
    title = mapping.text("title")
    phase = mapping.choice("phase", Phase, what="phase")
    description = mapping.text("description", required=False)
    sections: list[SectionDefinition] = []
    seen: dict[str, int] = {}
    for number, (section_place, raw_section) in enumerate(mapping.items("sections")):
        section = _read_section(section_place, raw_section, phase=phase)
        if section.key in seen:
            raise section_place.key("key").error(
                f"duplicate section key {section.key!r} (also sections[{seen[section.key]}])"
            )
        seen[section.key] = number
        sections.append(section)
    carers_read = _read_carers_read(place, mapping, sections)
    mapping.finish()
    if phase is Phase.CHILD_VOICE:
        _check_child_voice_form(place, sections)
    _check_prefills(place, sections)
    expected_name = f"{key}.v{version}.yaml"
    if file_name != expected_name:
        raise place.error(
            f"key {key!r} and version {version} do not match the file name "
            f"(expected {expected_name})"
        )
    return FormDefinition(
        key=key,
        version=version,
        title=title,
        phase=phase,
        description=description,
        sections=tuple(sections),
        carers_read=carers_read,
    )


def load_definition(path: Path | str) -> FormDefinition:
    """Load and check one definition file. References to other files are not linked."""
    path = Path(path)
    file_name = path.name
    if not _FILE_NAME.fullmatch(file_name):
        raise FormDefinitionError(
            f"{file_name}: the file name must be <key>.v<version>.yaml, like school_age.v1.yaml"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise FormDefinitionError(f"{file_name}: cannot be read: {problem}") from None
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise FormDefinitionError(
            f"{file_name}: {where}: not valid YAML: {problem.problem}"
        ) from None
    except yaml.YAMLError as problem:
        raise FormDefinitionError(f"{file_name}: not valid YAML: {problem}") from None
    if raw is None:
        raise FormDefinitionError(f"{file_name}: the file is empty")
    return _parse_definition(file_name, raw)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------


class FormRegistry:
    """Every loaded definition, by key and version; a stored (key, version) always resolves."""

    def __init__(self, definitions: Iterable[FormDefinition]) -> None:
        self._by_key_and_version: dict[tuple[str, int], FormDefinition] = {}
        for definition in definitions:
            identity = (definition.key, definition.version)
            if identity in self._by_key_and_version:
                raise FormDefinitionError(
                    f"{definition.file_name}: form {definition.key!r} version "
                    f"{definition.version} is defined twice"
                )
            self._by_key_and_version[identity] = definition

    def get(self, key: str, version: int) -> FormDefinition:
        try:
            return self._by_key_and_version[(key, version)]
        except KeyError:
            raise UnknownFormError(f"no form {key!r} version {version} is loaded") from None

    def latest(self, key: str) -> FormDefinition:
        versions = self.versions(key)
        if not versions:
            raise UnknownFormError(f"no form {key!r} is loaded")
        return self._by_key_and_version[(key, versions[-1])]

    def versions(self, key: str) -> tuple[int, ...]:
        return tuple(sorted(version for known, version in self._by_key_and_version if known == key))

    def form_keys(self) -> tuple[str, ...]:
        return tuple(sorted({key for key, _version in self._by_key_and_version}))

    def pep_form_for(self, age_years: int, year_group: int | None) -> FormDefinition:
        """The latest version of the PEP form that suits a child of this age and year group."""
        return self.latest(choose_pep_form(age_years, year_group))

    def __iter__(self) -> Iterator[FormDefinition]:
        return iter(
            self._by_key_and_version[identity] for identity in sorted(self._by_key_and_version)
        )

    def __len__(self) -> int:
        return len(self._by_key_and_version)

    def __contains__(self, identity: object) -> bool:
        return identity in self._by_key_and_version


def _link_voice_forms(definitions: dict[tuple[str, int], FormDefinition]) -> None:
    """Give each "my views" section the child's-voice definition it refers to."""
    for identity, definition in list(definitions.items()):
        linked: list[SectionDefinition] = []
        for number, section in enumerate(definition.sections):
            if section.section_type is not SectionType.CHILD_VOICE:
                linked.append(section)
                continue
            assert section.voice_form is not None and section.voice_form_version is not None
            target = definitions.get((section.voice_form, section.voice_form_version))
            place = _Place(definition.file_name, f"sections[{number}]")
            if target is None:
                raise place.key("voice_form").error(
                    f"no form {section.voice_form!r} version {section.voice_form_version} is loaded"
                )
            if target.phase is not Phase.CHILD_VOICE:
                raise place.key("voice_form").error(
                    f"{target.file_name} is a {target.phase} form, not a child's-voice form"
                )
            linked.append(replace(section, voice_definition=target))
        definitions[identity] = replace(definition, sections=tuple(linked))


def load_definitions(directory: Path | str = DEFAULT_DIRECTORY) -> FormRegistry:
    """Load every ``*.yaml`` definition in ``directory``, check them, and link their references."""
    directory = Path(directory)
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not paths:
        raise FormDefinitionError(f"{directory}: no form definitions (*.yaml) found")
    definitions: dict[tuple[str, int], FormDefinition] = {}
    for path in paths:
        definition = load_definition(path)
        definitions[(definition.key, definition.version)] = definition
    _link_voice_forms(definitions)
    return FormRegistry(definitions.values())
