"""Error messages in the GOV.UK style: plain English that says what to do.

Every message about a field is built from that field's ``error_name``: the noun phrase a person
would use for it ("the date of the PEP meeting", "attendance this term").
"""

import re
from decimal import Decimal

# Fixed examples, as the GOV.UK patterns use, so every form gives the same one.
INVALID_DATE = "Enter a real date, like 27 3 2026"
INVALID_MONEY = "Enter an amount of money, like 150 or 150.50"
SELECT_YES_OR_NO = "Select yes or no"

_UNIT_MARKER = re.compile(r"\s*\((?:%|£)\)$")


def sentence_start(phrase: str) -> str:
    """Capitalise the first letter only: 'the outcome' becomes 'The outcome', 'SDQ' stays."""
    return phrase[:1].upper() + phrase[1:]


def default_error_name(label: str) -> str:
    """Turn a label into the phrase used in error messages: 'Date of birth' -> 'date of birth'."""
    # "Attendance this term (%)" -> "attendance this term": the unit is for the input, not prose.
    phrase = _UNIT_MARKER.sub("", label.strip()).rstrip("?:.").strip()
    first_word = phrase.split(" ", 1)[0]
    # Acronyms and names keep their capitals: 'SDQ score', 'PP+ amount', 'UKPRN'.
    keeps_capitals = first_word.isupper() or (len(first_word) > 1 and first_word[1].isupper())
    if keeps_capitals:
        return phrase
    return phrase[:1].lower() + phrase[1:]


def enter(error_name: str) -> str:
    return f"Enter {error_name}"


def select(error_name: str) -> str:
    return f"Select {error_name}"


def too_long(error_name: str, max_length: int) -> str:
    return f"{sentence_start(error_name)} must be {max_length:,} characters or fewer"


def whole_number(error_name: str, minimum: int | None, maximum: int | None) -> str:
    """The message for anything that is not a whole number in range, when both ends are known."""
    if minimum is not None and maximum is not None:
        return f"Enter {error_name} as a whole number from {minimum:,} to {maximum:,}"
    return f"Enter {error_name} as a whole number, like 3"


def number_at_least(error_name: str, minimum: int) -> str:
    return f"{sentence_start(error_name)} must be {minimum:,} or more"


def number_at_most(error_name: str, maximum: int) -> str:
    return f"{sentence_start(error_name)} must be {maximum:,} or fewer"


def percentage(error_name: str) -> str:
    return f"Enter {error_name} as a number from 0 to 100"


def percentage_places(error_name: str, decimal_places: int) -> str:
    if decimal_places == 0:
        return f"Enter {error_name} as a whole number from 0 to 100"
    places = "decimal place" if decimal_places == 1 else "decimal places"
    return f"{sentence_start(error_name)} must have {decimal_places} {places} or fewer"


def format_pounds(amount: Decimal) -> str:
    """£1,500 for whole pounds, £1,500.50 otherwise."""
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    return f"£{amount:,.2f}"


def money_at_least(error_name: str, minimum: Decimal) -> str:
    return f"{sentence_start(error_name)} must be {format_pounds(minimum)} or more"


def money_at_most(error_name: str, maximum: Decimal) -> str:
    return f"{sentence_start(error_name)} must be {format_pounds(maximum)} or less"


def date_missing_parts(error_name: str, missing: list[str]) -> str:
    """GOV.UK date pattern: 'Date of the PEP meeting must include a month and year'."""
    return f"{sentence_start(error_name)} must include a {' and '.join(missing)}"


def date_not_in_future(error_name: str) -> str:
    return f"{sentence_start(error_name)} must be today or in the past"


def date_not_in_past(error_name: str) -> str:
    return f"{sentence_start(error_name)} must be today or in the future"


def not_an_option(error_name: str) -> str:
    return f"Select one of the options given for {error_name}"


def too_many_selected(error_name: str, maximum: int) -> str:
    """'Select no more than 3 reasons for the suspension' (from 'the reasons for the
    suspension': a count reads without the article)."""
    phrase = re.sub(r"^(?:the|your|their|any)\s+", "", error_name.strip(), flags=re.IGNORECASE)
    return f"Select no more than {maximum:,} {phrase}"


def too_few_rows(row_label: str, row_label_plural: str, minimum: int) -> str:
    if minimum == 1:
        return f"Add at least one {row_label.lower()}"
    return f"Add at least {minimum} {row_label_plural.lower()}"


def too_many_rows(row_label_plural: str, maximum: int) -> str:
    return f"You can add up to {maximum} {row_label_plural.lower()}"


def in_row(row_label: str, row_number: int, message: str) -> str:
    """Give a message about one row of a table its place: 'Target 2: Enter the outcome'."""
    return f"{row_label} {row_number}: {message}"
