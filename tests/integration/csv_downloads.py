"""Reading the portal's CSV downloads as Excel does: UTF-8 that starts with a byte order mark,
without which Excel reads the file as Windows-1252 and garbles every name outside it."""

from __future__ import annotations

import csv
import io

from werkzeug.test import TestResponse

UTF8_BOM = b"\xef\xbb\xbf"


def csv_text(response: TestResponse) -> str:
    """The body of a CSV download as text, once it is known to be one Excel reads as UTF-8."""
    assert response.status_code == 200, response.status
    assert response.mimetype == "text/csv"
    assert response.mimetype_params.get("charset") == "utf-8", response.content_type
    body = response.get_data()
    assert body.startswith(UTF8_BOM), body[:20]
    return body.decode("utf-8-sig")


def csv_rows(response: TestResponse) -> list[list[str]]:
    """The download's rows, the heading row first."""
    return list(csv.reader(io.StringIO(csv_text(response))))


def csv_records(response: TestResponse) -> list[dict[str, str]]:
    """Each row after the heading row as {heading: cell}."""
    return list(csv.DictReader(io.StringIO(csv_text(response))))
