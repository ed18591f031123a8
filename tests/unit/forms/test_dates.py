"""The GOV.UK date reader: every way three boxes can be wrong is a sentence, never an error."""

from __future__ import annotations

from datetime import date

import pytest

from forms.dates import DateReading, read_date_boxes


def boxes(day: str = "", month: str = "", year: str = "") -> dict[str, str]:
    return {"on-day": day, "on-month": month, "on-year": year}


def test_a_real_date_is_read() -> None:
    assert read_date_boxes(boxes("7", "03", "2026"), "on", "of the change") == DateReading(
        date(2026, 3, 7)
    )


def test_spaces_around_the_numbers_do_not_matter() -> None:
    assert read_date_boxes(boxes(" 31 ", "8 ", " 2025"), "on", "it closed").on == date(2025, 8, 31)


def test_blank_boxes_ask_for_the_date_and_say_they_were_blank() -> None:
    reading = read_date_boxes({}, "on", "of the change")
    assert reading == DateReading(None, "Enter the date of the change", blank=True)
    assert read_date_boxes(boxes(" ", "", " "), "on", "of the change").blank


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (boxes("1", "1"), "The date of the change must include a year"),
        (boxes("1"), "The date of the change must include a month and year"),
        (boxes("", "2", "2026"), "The date of the change must include a day"),
    ],
)
def test_missing_boxes_are_named(typed: dict[str, str], message: str) -> None:
    assert read_date_boxes(typed, "on", "of the change") == DateReading(None, message)


@pytest.mark.parametrize(
    "typed",
    [
        boxes("31", "2", "2026"),  # no 31st of February
        boxes("29", "2", "2025"),  # not a leap year
        boxes("1", "13", "2026"),
        boxes("0", "1", "2026"),
        boxes("99999999999999999999", "1", "2026"),  # too large for any date: not an overflow
        boxes("1", "99999999999999999999", "2026"),
        boxes("1", "1", "99999999999999999999"),
        boxes("١٢", "1", "2026"),  # Arabic-Indic digits
        boxes("1", "\uff11", "2026"),  # full-width digits
        boxes("1", "1", "\uff12\uff10\uff12\uff16"),
        boxes("1", "1", "26"),
        boxes("1", "1", "1850"),
        boxes("first", "1", "2026"),
        boxes("-1", "1", "2026"),
        boxes("1.5", "1", "2026"),
    ],
)
def test_anything_but_a_real_date_is_a_plain_sentence(typed: dict[str, str]) -> None:
    reading = read_date_boxes(typed, "on", "the setting closed")
    assert reading == DateReading(
        None, "The date the setting closed must be a real date, like 27 3 2026"
    )


def test_a_leap_day_is_a_real_date() -> None:
    assert read_date_boxes(boxes("29", "2", "2028"), "on", "x").on == date(2028, 2, 29)
