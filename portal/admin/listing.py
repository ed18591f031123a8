"""What every admin list does the same way: the page asked for, how many pages there are, the
filters kept in the address, and the list downloaded as CSV that is safe in a spreadsheet.
Every CSV download in the portal is made by `csv_download`."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Self, TypeVar

from flask import Response, request

from forms.parsing import clean_text
from portal.children.history import neutralise_cell

# A page number longer than this is not a page anyone asked for: show the first.
MOST_PAGE_DIGITS = 6

# Excel reads a CSV file as Windows-1252 unless it starts with UTF-8's byte order mark, and
# garbles every name outside it ("Zoë" becomes "ZoÃ«"). Every download starts with the mark.
UTF8_BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def search_text(text: str) -> str:
    """What a person typed into a search box, as one line without control characters: a NUL
    (%00 in an address) would otherwise reach the database, which refuses it."""
    return clean_text(text, multiline=False).strip()


def page_number(argument: str = "page") -> int:
    """The page asked for in the query string; the first page for anything else."""
    text = request.args.get(argument, "1")
    if not text.isascii() or not text.isdigit() or len(text) > MOST_PAGE_DIGITS:
        return 1
    return max(1, int(text))


def page_count(total: int, page_size: int) -> int:
    """How many pages ``total`` rows fill, and always at least one (an empty list is a page)."""
    return max(1, -(-total // page_size))


Row = TypeVar("Row")


def page_within(
    read_page: Callable[[int], tuple[list[Row], int]], page: int, page_size: int
) -> tuple[list[Row], int, int]:
    """A page of a list read with its total in one go: a page past the last (an old link, a
    list that shrank, a number typed in) is read again as the last page, as every list shows,
    rather than as an empty list that says nothing was ever recorded. Rows, total, page."""
    rows, total = read_page(page)
    last = page_count(total, page_size)
    if page > last:
        page = last
        rows, total = read_page(page)
    return rows, total, page


def csv_download(
    filename: str, headers: Iterable[object], rows: Iterable[Iterable[object]]
) -> Response:
    """A CSV file to download: UTF-8 with a byte order mark (so Excel reads names in any
    script), every cell neutralised (a cell beginning ``=``, ``+``, ``-``, ``@``... is not run
    as a formula when opened), one line ending, and never cached."""
    output = io.StringIO()
    output.write(UTF8_BOM)
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow([neutralise_cell(str(cell)) for cell in headers])
    for row in rows:
        writer.writerow([neutralise_cell(str(cell)) for cell in row])
    response = Response(output.getvalue(), content_type=CSV_CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclasses.dataclass(frozen=True)
class ListFilters:
    """A list's filters, read from the query string and written back into links.

    A subclass is a frozen dataclass whose fields are its filters; ``ARGUMENTS`` names each
    field's query-string argument. ``from_args`` keeps only the values ``allowed`` accepts, and
    ``query_args`` leaves out empty values and the default sort, so links stay short."""

    ARGUMENTS: ClassVar[dict[str, str]] = {}
    DEFAULT_SORT: ClassVar[str] = "name"
    # Free text is cut to this many characters (or a field's own limit in LONGEST).
    MOST_CHARACTERS: ClassVar[int] = 200
    LONGEST: ClassVar[dict[str, int]] = {}

    @classmethod
    def allowed(cls, field: str) -> Iterable[str] | None:
        """The values a field may take; None for free text."""
        return None

    @classmethod
    def from_args(cls, args: Any) -> Self:
        values: dict[str, str] = {}
        for field, argument in cls.ARGUMENTS.items():
            text = args.get(argument, "")
            allowed = cls.allowed(field)
            if allowed is None:
                # Control characters (a NUL, which PostgreSQL refuses in text) are dropped.
                values[field] = search_text(text)[: cls.LONGEST.get(field, cls.MOST_CHARACTERS)]
            elif text in allowed:
                values[field] = text
            else:
                values[field] = cls.DEFAULT_SORT if field == "sort" else ""
        return cls(**values)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            argument: getattr(self, field) for field, argument in self.ARGUMENTS.items()
        }
        if values.get("sort") == self.DEFAULT_SORT:
            values["sort"] = ""
        values.update(changes)
        return {key: value for key, value in values.items() if value}

    def audit_details(self) -> dict[str, str]:
        return {f"filter_{key}": value for key, value in self.query_args().items()}
