"""Reading an uploaded CSV file row by row, refusing whole files in plain English."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection). Cells
# are stored as the text they are; every export neutralises them (portal.spreadsheets).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_CHUNK = 1 << 16


class FileRefused(ValueError):
    """The whole file cannot be imported; the message says why and what to do."""


def refuse_unreadable_formats(content: bytes) -> None:
    """Files that are not CSV text at all, named for what they are."""
    if not content.strip():
        raise FileRefused("The file is empty. Choose the CSV file you exported, and upload it.")
    if content.startswith(b"PK\x03\x04"):
        raise FileRefused(
            "The file is an Excel workbook, not a CSV file. In Excel, choose File, Save As, "
            "and 'CSV UTF-8 (Comma delimited)', then upload that file."
        )
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(
            "The file is saved as UTF-16 ('Unicode text'). Save it as 'CSV UTF-8 (Comma "
            "delimited)' and upload it again."
        )
    if b"\x00" in content[:_CHUNK]:
        raise FileRefused("The file is not a CSV text file. Upload the CSV file you exported.")


def choose_encoding(content: bytes, encodings: Sequence[str]) -> str:
    """The first accepted encoding the whole file decodes in, checked in chunks (no copy)."""
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            for start in range(0, len(content), _CHUNK):
                decoder.decode(content[start : start + _CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    if encodings == ("utf-8-sig",):
        raise FileRefused(
            "The file is not saved as UTF-8, so names with accents would be read wrongly. In "
            "Excel, choose File, Save As, and 'CSV UTF-8 (Comma delimited)', then upload it."
        )
    names = " or ".join("UTF-8" if e.startswith("utf-8") else e.upper() for e in encodings)
    raise FileRefused(f"The file is not in {names}. Download it again, and upload it unchanged.")


def read_rows(
    content: bytes,
    *,
    encodings: Sequence[str],
    required_columns: Sequence[str],
    optional_columns: Sequence[str] = (),
) -> tuple[int, Iterator[tuple[int, dict[str, str]]]]:
    """The number of data rows, and the rows one at a time as {column: text} with only the
    columns asked for (extra columns are dropped as each row is read, so a 60 MB extract with
    130 columns never sits in memory as dictionaries). Row numbers are the spreadsheet's: the
    header is row 1. Raises FileRefused for a file that cannot be read at all."""
    refuse_unreadable_formats(content)
    encoding = choose_encoding(content, encodings)
    header = next(csv.reader(_text(content, encoding)), None)
    if not header:
        raise FileRefused("The file has no heading row. The first row must name the columns.")
    names = [name.strip() for name in header]
    missing = [column for column in required_columns if column not in names]
    if missing:
        listed = ", ".join(missing)
        raise FileRefused(
            f"The file has no column {listed}. The first row must name every column: "
            f"{', '.join(required_columns)}. Check you chose the right file."
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise FileRefused(
            f"The column {', '.join(repeated)} appears more than once. Keep one, and upload "
            "the file again."
        )
    wanted = {
        name: names.index(name) for name in (*required_columns, *optional_columns) if name in names
    }
    reader = csv.reader(_text(content, encoding))
    next(reader)
    rows_total = sum(1 for row in reader if _has_text(row))

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        reader = csv.reader(_text(content, encoding))
        next(reader)
        # Numbered as a spreadsheet shows them: a cell with a line break is still one row.
        for number, row in enumerate(reader, start=2):
            if _has_text(row):
                yield number, {n: row[i] if i < len(row) else "" for n, i in wanted.items()}

    return rows_total, rows()


def _has_text(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)


def _text(content: bytes, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
