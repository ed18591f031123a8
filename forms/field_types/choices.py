"""Questions answered by choosing from listed options: radios, a select, checkboxes and the
child's feelings scale (radios with a picture on each option). They share ChoiceDefinition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from wtforms import fields as wtforms_fields
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice

from forms import messages
from forms.field_types.base import ChoiceInputField, FieldDefinition, FieldReader, FieldType
from forms.field_types.reading import MappingReader

SELECT_PLACEHOLDER = "Select an option"


class Picture(StrEnum):
    """Pictures a feelings scale can show; the portal maps each to an image and its alt text."""

    VERY_HAPPY = "very_happy"
    HAPPY = "happy"
    OKAY = "okay"
    SAD = "sad"
    VERY_SAD = "very_sad"
    NOT_SURE = "not_sure"


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

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if value not in self.option_values:
            return messages.not_an_option(self.error_name)
        return None


@dataclass(frozen=True, kw_only=True)
class RadiosDefinition(ChoiceDefinition):
    field_type = FieldType.RADIOS


@dataclass(frozen=True, kw_only=True)
class CheckboxesDefinition(ChoiceDefinition):
    field_type = FieldType.CHECKBOXES
    # At most this many options may be ticked (None: any number).
    max_selected: int | None = None

    def answer_problem(self, value: object, *, today: date) -> str | None:
        if not isinstance(value, list) or any(choice not in self.option_values for choice in value):
            return messages.not_an_option(self.error_name)
        if self.max_selected is not None and len(set(value)) > self.max_selected:
            return messages.too_many_selected(self.error_name, self.max_selected)
        return None


@dataclass(frozen=True, kw_only=True)
class SelectDefinition(ChoiceDefinition):
    field_type = FieldType.SELECT


@dataclass(frozen=True, kw_only=True)
class FeelingsScaleDefinition(ChoiceDefinition):
    field_type = FieldType.FEELINGS_SCALE
    options: tuple[FeelingOption, ...] = ()


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_options(reader: FieldReader, *, with_pictures: bool) -> tuple[Option, ...]:
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
        mapping = MappingReader(place, raw, what="an option with a value and a label")
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


def read_choice(
    definition_class: type[ChoiceDefinition],
) -> Callable[[FieldReader], FieldDefinition]:
    """The reader of one choice type: its options, with pictures for a feelings scale."""

    def read(reader: FieldReader) -> FieldDefinition:
        with_pictures = definition_class is FeelingsScaleDefinition
        options = read_options(reader, with_pictures=with_pictures)
        return definition_class(**reader.common(definition_class), options=options)

    return read


read_radios = read_choice(RadiosDefinition)


def read_checkboxes(reader: FieldReader) -> FieldDefinition:
    """Checkboxes: options, and perhaps ``max_selected`` (from 1 to the number of options)."""
    options = read_options(reader, with_pictures=False)
    max_selected = reader.mapping.whole_number("max_selected", minimum=1)
    if max_selected is not None and max_selected > len(options):
        raise reader.place.key("max_selected").error(
            f"must be from 1 to {len(options)} (the number of options), not {max_selected}"
        )
    return CheckboxesDefinition(
        **reader.common(CheckboxesDefinition), options=options, max_selected=max_selected
    )


read_select = read_choice(SelectDefinition)
read_feelings_scale = read_choice(FeelingsScaleDefinition)


# --------------------------------------------------------------------------------------------
# WTForms fields
# --------------------------------------------------------------------------------------------


def _option_choices(definition: FieldDefinition) -> list[SelectChoice]:
    assert isinstance(definition, ChoiceDefinition)
    return [SelectChoice(option.value, option.label) for option in definition.options]


class _SingleChoiceField(ChoiceInputField):
    def process_data(self, value: object) -> None:
        self.data = value if isinstance(value, str) and value else None

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            self.data = valuelist[0] or None


class RadiosField(_SingleChoiceField, wtforms_fields.RadioField):
    def __init__(self, *args: Any, definition: FieldDefinition, **kwargs: Any) -> None:
        kwargs.setdefault("choices", _option_choices(definition))
        super().__init__(*args, definition=definition, **kwargs)


class SelectField(_SingleChoiceField, wtforms_fields.SelectField):
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


class CheckboxesField(ChoiceInputField, wtforms_fields.SelectMultipleField):
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
