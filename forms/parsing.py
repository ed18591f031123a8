"""Read what people type into typed values, forgiving the ways people write numbers and dates.

Pure functions: the WTForms fields call them, and so can anything else that reads typed input.
"""

import re
from datetime import date
from decimal import Decimal

# Characters XML 1.0 cannot hold (C0 controls except tab and newline, lone surrogates, U+FFFE and
# U+FFFF) plus DEL and the C1 controls, which nobody types on purpose. Removing them keeps the
# Word export (lxml refuses them) and the audit trail safe. Carriage returns are handled apart.
_UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?")
_WHITESPACE_RUN = re.compile(r"\s+")

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,15}")
_PERCENTAGE = re.compile(r"[+-]?(?:[0-9]{1,6}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})")
_MONEY = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{1,2})?|\.[0-9]{1,2})")
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


def clean_text(text: str, *, multiline: bool) -> str:
    """Remove characters that cannot be stored or exported; trim the ends.

    Line breaks become ``\\n`` so that character counts match what the person sees; a single-line
    answer has its line breaks and tabs turned into spaces.
    """
    text = _UNWANTED_CHARACTERS.sub("", _LINE_BREAKS.sub("\n", text))
    if not multiline:
        text = _WHITESPACE_RUN.sub(" ", text)
    return text.strip()


class DateInputError(ValueError):
    """A date that could not be read; ``missing`` names the empty parts (day, month, year)."""

    def __init__(self, missing: tuple[str, ...] = ()) -> None:
        super().__init__("missing parts" if missing else "not a real date")
        self.missing = missing


def parse_whole_number(text: str) -> int | None:
    """'1,200' -> 1200; blank -> None; anything else raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().replace(",", "").replace(" ", "")
    if not _WHOLE_NUMBER.fullmatch(compact):
        raise ValueError(text)
    return int(compact)


def parse_percentage(text: str) -> Decimal | None:
    """'92.5', '92.5%' -> Decimal('92.5'); blank -> None; anything else raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().removesuffix("%").replace(" ", "")
    if not _PERCENTAGE.fullmatch(compact):
        raise ValueError(text)
    return Decimal(compact)


def parse_money(text: str) -> Decimal | None:
    """'£1,500.5' -> Decimal('1500.50'); blank -> None; more than pence raises ValueError."""
    if not text.strip():
        return None
    compact = text.strip().replace(",", "").replace(" ", "")
    sign = ""
    if compact[:1] in ("-", "+"):
        sign, compact = compact[0], compact[1:]
    compact = sign + compact.removeprefix("£")
    if not _MONEY.fullmatch(compact):
        raise ValueError(text)
    return Decimal(compact).quantize(Decimal("0.01"))


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
