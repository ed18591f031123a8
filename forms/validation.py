"""The rules an answer must meet, on typed values, shared by the WTForms validators and by the
completeness check on stored answers, so a form and its task-list status can never disagree.

Typed values: ``str`` for text and choices, ``int`` for whole numbers, ``Decimal`` for
percentages and money, ``date`` for dates, ``bool`` for yes/no, ``list[str]`` for checkboxes.
Repeating groups are checked row by row by the callers, column by column through these rules.
"""

import re
from datetime import date
from decimal import Decimal

from forms import messages
from forms.schema import (
    CheckboxesDefinition,
    ChoiceDefinition,
    DateDefinition,
    FieldDefinition,
    LongTextDefinition,
    MoneyDefinition,
    PercentageDefinition,
    ShortTextDefinition,
    WholeNumberDefinition,
    YesNoDefinition,
)

PERCENTAGE_MINIMUM = Decimal(0)
PERCENTAGE_MAXIMUM = Decimal(100)


def is_answered(value: object) -> bool:
    """Whether a typed value counts as an answer: blank text and empty lists do not."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _text_problem(definition: ShortTextDefinition | LongTextDefinition, value: str) -> str | None:
    if len(value) > definition.max_length:
        return messages.too_long(definition.error_name, definition.max_length)
    if (
        isinstance(definition, ShortTextDefinition)
        and definition.pattern
        and not re.fullmatch(definition.pattern, value)
    ):
        return definition.pattern_message
    return None


def _whole_number_problem(definition: WholeNumberDefinition, value: int) -> str | None:
    minimum, maximum = definition.min_value, definition.max_value
    below = minimum is not None and value < minimum
    above = maximum is not None and value > maximum
    if not (below or above):
        return None
    if minimum is not None and maximum is not None:
        return messages.whole_number(definition.error_name, minimum, maximum)
    if below and minimum is not None:
        return messages.number_at_least(definition.error_name, minimum)
    assert maximum is not None
    return messages.number_at_most(definition.error_name, maximum)


def _percentage_problem(definition: PercentageDefinition, value: Decimal) -> str | None:
    if not value.is_finite() or not PERCENTAGE_MINIMUM <= value <= PERCENTAGE_MAXIMUM:
        return messages.percentage(definition.error_name)
    if _decimal_places(value) > definition.decimal_places:
        return messages.percentage_places(definition.error_name, definition.decimal_places)
    return None


def _money_problem(definition: MoneyDefinition, value: Decimal) -> str | None:
    if not value.is_finite() or _decimal_places(value) > 2:
        return messages.INVALID_MONEY
    if value < definition.min_value:
        return messages.money_at_least(definition.error_name, definition.min_value)
    if definition.max_value is not None and value > definition.max_value:
        return messages.money_at_most(definition.error_name, definition.max_value)
    return None


def _date_problem(definition: DateDefinition, value: date, today: date) -> str | None:
    if definition.not_in_future and value > today:
        return messages.date_not_in_future(definition.error_name)
    if definition.not_in_past and value < today:
        return messages.date_not_in_past(definition.error_name)
    return None


def answer_problem(definition: FieldDefinition, value: object, *, today: date) -> str | None:
    """What is wrong with an answered value, as a GOV.UK-style message; None if nothing is.

    A value of the wrong Python type is a problem too: it can only come from tampered or
    corrupted storage, and saying which kind of answer is expected is the useful message.
    """
    match definition:
        case ShortTextDefinition() | LongTextDefinition():
            if not isinstance(value, str):
                return messages.enter(definition.error_name)
            return _text_problem(definition, value)
        case WholeNumberDefinition():
            if isinstance(value, bool) or not isinstance(value, int):
                return messages.whole_number(
                    definition.error_name, definition.min_value, definition.max_value
                )
            return _whole_number_problem(definition, value)
        case PercentageDefinition():
            if not isinstance(value, Decimal):
                return messages.percentage(definition.error_name)
            return _percentage_problem(definition, value)
        case MoneyDefinition():
            if not isinstance(value, Decimal):
                return messages.INVALID_MONEY
            return _money_problem(definition, value)
        case DateDefinition():
            if not isinstance(value, date):
                return messages.INVALID_DATE
            return _date_problem(definition, value, today)
        case YesNoDefinition():
            return None if isinstance(value, bool) else messages.SELECT_YES_OR_NO
        case CheckboxesDefinition():
            if not isinstance(value, list) or any(
                choice not in definition.option_values for choice in value
            ):
                return messages.not_an_option(definition.error_name)
            return None
        case ChoiceDefinition():
            if value not in definition.option_values:
                return messages.not_an_option(definition.error_name)
            return None
    return None
