"""A date, read the forgiving way people type dates; optionally not in the future, or not
before the PEP meeting (not in the past while the PEP has no meeting date)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from wtforms import widgets as wtforms_widgets

from forms import messages
from forms.field_types.base import DefinedField, FieldDefinition, FieldReader, FieldType

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DATE_SEPARATORS = re.compile(r"[\s/.\-]+")
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")

# Dates before this are typing mistakes on a child's PEP, not real dates.
EARLIEST_YEAR = 1900

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


@dataclass(frozen=True, kw_only=True)
class DateDefinition(FieldDefinition):
    field_type = FieldType.DATE
    can_be_read_only = True
    not_in_future: bool = False
    not_in_past: bool = False

    def answer_problem(
        self, value: object, *, today: date, meeting_date: date | None = None
    ) -> str | None:
        """``not_in_past`` is judged against the earlier of today and the PEP meeting
        (``meeting_date``). Once the meeting has happened, a date agreed at it stays valid
        however long after it the PEP is written up, approved or resubmitted. Before it, the
        date is judged against today: the social worker's next care plan review may rightly
        fall before a meeting still to come. ``not_in_future`` is always judged on today."""
        if not isinstance(value, date):
            return messages.INVALID_DATE
        if self.not_in_future and value > today:
            return messages.date_not_in_future(self.error_name)
        if self.not_in_past:
            earliest = earliest_agreed_day(today, meeting_date)
            if value < earliest:
                if earliest == today:
                    return messages.date_not_in_past(self.error_name)
                return date_before_meeting(self.error_name, earliest)
        return None


def earliest_agreed_day(today: date, meeting_date: date | None) -> date:
    """The earliest day a date that must not be in the past may fall on: the PEP meeting once
    it has happened, today until then (and while the PEP has no meeting date)."""
    if meeting_date is not None and meeting_date < today:
        return meeting_date
    return today


def read_date(reader: FieldReader) -> DateDefinition:
    not_in_future = reader.mapping.flag("not_in_future")
    not_in_past = reader.mapping.flag("not_in_past")
    if not_in_future and not_in_past:
        raise reader.place.key("not_in_past").error(
            "cannot be combined with not_in_future: only today would be allowed"
        )
    return DateDefinition(
        **reader.common(DateDefinition), not_in_future=not_in_future, not_in_past=not_in_past
    )


class DateInputError(ValueError):
    """A date that could not be read; ``missing`` names the empty parts (day, month, year)."""

    def __init__(self, missing: tuple[str, ...] = ()) -> None:
        super().__init__("missing parts" if missing else "not a real date")
        self.missing = missing


def _month_number(text: str) -> int:
    if _DAY_OR_MONTH.fullmatch(text):
        return int(text)
    try:
        return _MONTH_NAMES[text.lower()]
    except KeyError:
        raise DateInputError() from None


def parse_date(values: list[str]) -> date | None:
    """Read a date from one ISO value ('2026-03-27'), one typed value ('27/3/2026') or three
    values (day, month, year), as the GOV.UK date input sends them.

    All blank -> None. Some parts blank -> DateInputError naming them. Otherwise not a real date
    -> DateInputError.
    """
    parts = [value.strip() for value in values]
    if not any(parts):
        return None
    if len(parts) == 1:
        iso = _ISO_DATE.fullmatch(parts[0])
        if iso:
            year_text, month_text, day_text = iso.groups()
            parts = [day_text, month_text, year_text]
        else:
            parts = _DATE_SEPARATORS.split(parts[0])
    if len(parts) != 3:
        raise DateInputError()
    missing = tuple(
        name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
    )
    if missing:
        raise DateInputError(missing)
    day_text, month_text, year_text = parts
    if not _DAY_OR_MONTH.fullmatch(day_text) or not _YEAR.fullmatch(year_text):
        raise DateInputError()
    year = int(year_text)
    if year < EARLIEST_YEAR:
        raise DateInputError()
    try:
        return date(year, _month_number(month_text), int(day_text))
    except ValueError:
        raise DateInputError() from None


def format_date_for_people(value: date) -> str:
    """27 March 2026, the GOV.UK way of writing a date."""
    return f"{value.day} {value:%B %Y}"


def date_before_meeting(error_name: str, meeting_date: date) -> str:
    """'The deadline must be on or after the PEP meeting on 1 October 2026'."""
    return (
        f"{messages.sentence_start(error_name)} must be on or after the PEP meeting on "
        f"{format_date_for_people(meeting_date)}"
    )


class DateField(DefinedField):
    """Takes one ISO value (``<input type=date>``) or day, month and year sent under one name
    (the GOV.UK date input, as govuk-frontend-wtf's GovDateInput renders it)."""

    widget = wtforms_widgets.DateInput()
    # The boxes left empty when that is why the date could not be read ("day", "month", "year").
    problem_parts: tuple[str, ...] = ()

    @property
    def error_link_id(self) -> str:
        """The box an error links to: the first one left empty, else the day box (GOV.UK)."""
        return f"{self.id}-{self.problem_parts[0] if self.problem_parts else 'day'}"

    def process_formdata(self, valuelist: list[str]) -> None:
        self.problem_parts = ()
        if not valuelist:
            # GovDateInput unpacks raw_data into day, month and year: never leave it empty.
            self.raw_data = None
            return
        try:
            self.data = parse_date(list(valuelist))
        except DateInputError as problem:
            self.data = None
            if problem.missing:
                missing = list(problem.missing)
                if len(valuelist) == 3:
                    self.problem_parts = problem.missing
                raise ValueError(
                    messages.date_missing_parts(self.definition.error_name, missing)
                ) from None
            raise ValueError(messages.INVALID_DATE) from None
        if len(valuelist) != 3:
            # Read well from a single value: render from the date, in whichever widget.
            self.raw_data = None

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.isoformat()
        return " ".join(self.raw_data) if self.raw_data else ""
