"""The rules an answer must meet, on typed values, shared by the WTForms validators and by the
completeness check on stored answers, so a form and its task-list status can never disagree.

Typed values: ``str`` for text and choices, ``int`` for whole numbers, ``Decimal`` for
percentages and money, ``date`` for dates, ``bool`` for yes/no, ``list[str]`` for checkboxes.
Repeating groups are checked row by row by the callers, column by column through these rules.
Each field type says what it accepts (``answer_problem`` on its definition, in
``forms.field_types``).
"""

from datetime import date

from forms.field_types.base import FieldDefinition
from forms.field_types.choices import CheckboxesDefinition, ChoiceDefinition
from forms.field_types.date import DateDefinition
from forms.field_types.long_text import LongTextDefinition
from forms.field_types.money import MoneyDefinition
from forms.field_types.percentage import (
    PERCENTAGE_MAXIMUM,
    PERCENTAGE_MINIMUM,
    PercentageDefinition,
)
from forms.field_types.short_text import ShortTextDefinition
from forms.field_types.values import decimal_places, is_answered
from forms.field_types.whole_number import WholeNumberDefinition
from forms.field_types.yes_no import YesNoDefinition

# Besides its own names, this module still offers those it has long made available.
__all__ = [
    "PERCENTAGE_MAXIMUM",
    "PERCENTAGE_MINIMUM",
    "CheckboxesDefinition",
    "ChoiceDefinition",
    "DateDefinition",
    "FieldDefinition",
    "LongTextDefinition",
    "MoneyDefinition",
    "PercentageDefinition",
    "ShortTextDefinition",
    "WholeNumberDefinition",
    "YesNoDefinition",
    "answer_problem",
    "decimal_places",
    "is_answered",
]

# Kept under its earlier name for code that used it.
_decimal_places = decimal_places


def answer_problem(definition: FieldDefinition, value: object, *, today: date) -> str | None:
    """What is wrong with an answered value, as a GOV.UK-style message; None if nothing is.

    A value of the wrong Python type is a problem too: it can only come from tampered or
    corrupted storage, and saying which kind of answer is expected is the useful message.
    """
    return definition.answer_problem(value, today=today)
