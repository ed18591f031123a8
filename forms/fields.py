"""WTForms field classes, one per field type of the schema.

Each field keeps its ``definition`` so a template can read everything the YAML says about it
(the maximum length for a character count, option hints, feelings pictures, a fact's source).
The fields read input leniently and report problems in plain English; range, length and required
rules are applied by validators built from the same definition (see ``forms.builder``).
Each class lives with its field type in ``forms.field_types``; this module gathers them.
"""

from forms.field_types.base import (
    DECIMAL_INPUT_ATTRIBUTES,
    NUMERIC_INPUT_ATTRIBUTES,
    ChoiceInputField,
    DefinedField,
    FieldDefinition,
    TypedInputField,
)
from forms.field_types.calculated import CalculatedDefinition, CalculatedField, CalculatedWidget
from forms.field_types.choices import (
    SELECT_PLACEHOLDER,
    CheckboxesField,
    ChoiceDefinition,
    FeelingsScaleDefinition,
    FeelingsScaleField,
    RadiosField,
    SelectField,
)
from forms.field_types.date import DateField, DateInputError, format_date_for_people, parse_date
from forms.field_types.fact import FactDefinition, FactField, FactWidget
from forms.field_types.long_text import LongTextField
from forms.field_types.money import MoneyField, format_money, parse_money
from forms.field_types.percentage import PercentageField, format_percentage, parse_percentage
from forms.field_types.repeating_group import (
    ROW_ID_KEY,
    RepeatingGroupDefinition,
    RepeatingGroupField,
    RowForm,
    RowIdField,
    answer_fields_of_row,
    field_is_blank,
    is_row_id,
    row_is_blank,
)
from forms.field_types.short_text import ShortTextField
from forms.field_types.values import clean_text, is_answered
from forms.field_types.whole_number import WholeNumberField, parse_whole_number
from forms.field_types.yes_no import YesNoField

# Besides its own names, this module still offers those it has long made available.
__all__ = [
    "DECIMAL_INPUT_ATTRIBUTES",
    "NUMERIC_INPUT_ATTRIBUTES",
    "ROW_ID_KEY",
    "SELECT_PLACEHOLDER",
    "CalculatedDefinition",
    "CalculatedField",
    "CalculatedWidget",
    "CheckboxesField",
    "ChoiceDefinition",
    "ChoiceInputField",
    "DateField",
    "DateInputError",
    "DefinedField",
    "FactDefinition",
    "FactField",
    "FactWidget",
    "FeelingsScaleDefinition",
    "FeelingsScaleField",
    "FieldDefinition",
    "LongTextField",
    "MoneyField",
    "PercentageField",
    "RadiosField",
    "RepeatingGroupDefinition",
    "RepeatingGroupField",
    "RowForm",
    "RowIdField",
    "SelectField",
    "ShortTextField",
    "TypedInputField",
    "WholeNumberField",
    "YesNoField",
    "answer_fields_of_row",
    "clean_text",
    "field_is_blank",
    "format_date_for_people",
    "format_money",
    "format_percentage",
    "is_answered",
    "is_row_id",
    "parse_date",
    "parse_money",
    "parse_percentage",
    "parse_whole_number",
    "row_is_blank",
]

# The base classes' earlier private names.
_TypedInputField = TypedInputField
_ChoiceMixin = ChoiceInputField
