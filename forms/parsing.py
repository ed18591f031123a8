"""Read what people type into typed values, forgiving the ways people write numbers and dates.

Pure functions: the WTForms fields call them, and so can anything else that reads typed input.
Each lives with its field type in ``forms.field_types``; this module gathers them in one place.
"""

from forms.field_types.date import EARLIEST_YEAR, DateInputError, parse_date
from forms.field_types.money import parse_money
from forms.field_types.percentage import parse_percentage
from forms.field_types.values import clean_text
from forms.field_types.whole_number import parse_whole_number

__all__ = [
    "EARLIEST_YEAR",
    "DateInputError",
    "clean_text",
    "parse_date",
    "parse_money",
    "parse_percentage",
    "parse_whole_number",
]
