"""Reading a date from the three boxes of a GOV.UK date input (``name-day``, ``name-month``,
``name-year``), with the error message the GOV.UK pattern gives for each way it can be wrong."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from forms.messages import date_missing_parts
from forms.parsing import DateInputError, parse_date

BOXES = ("day", "month", "year")

# PEPs are English: "today" is the day in England, whatever the computer's clock says (a
# server on UTC is a day behind between midnight and 01:00 in summer).
ENGLAND = ZoneInfo("Europe/London")


def today_in_england() -> date:
    """The day in England now: what forms judge on when no day is given."""
    return datetime.now(ENGLAND).date()


@dataclass(frozen=True)
class DateReading:
    """The date read, or the sentence saying what is wrong; ``blank`` when nothing was typed
    (the caller decides whether a blank date is a problem)."""

    on: date | None
    problem: str | None = None
    blank: bool = False


def read_date_boxes(values: Mapping[str, str], name: str, what: str) -> DateReading:
    """The date typed into the boxes named ``name``; ``what`` finishes "the date ...", like
    "of the change" or "the setting closed". Anything that is not a real date (letters, digits
    of other scripts, numbers too large for a day, month or year, the 31st of February) is a
    problem in plain words, never an exception."""
    boxes = [values.get(f"{name}-{box}") or "" for box in BOXES]
    try:
        on = parse_date(boxes)
    except DateInputError as error:
        if error.missing:
            return DateReading(None, date_missing_parts(f"the date {what}", list(error.missing)))
        return DateReading(None, f"The date {what} must be a real date, like 27 3 2026")
    if on is None:
        return DateReading(None, f"Enter the date {what}", blank=True)
    return DateReading(on)
