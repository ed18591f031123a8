"""Reading uploaded files: encodings chosen from the bytes, whole files refused in plain
words, only the columns asked for kept, and rows numbered as a spreadsheet shows them."""

import pytest

from portal.imports.reading import FileRefused, choose_encoding, read_rows

UTF8_ONLY = ("utf-8-sig",)
GIAS = ("utf-8-sig", "cp1252")


def rows_of(content: bytes, encodings=UTF8_ONLY, required=("A",), optional=()):
    total, rows = read_rows(
        content, encodings=encodings, required_columns=required, optional_columns=optional
    )
    return total, list(rows)


def test_a_windows_1252_file_is_read_as_such_when_utf8_fails():
    content = "URN,EstablishmentName\n100001,St Mary\u2019s Église\n".encode("cp1252")
    assert choose_encoding(content, GIAS) == "cp1252"
    _, rows = rows_of(content, GIAS, ("URN", "EstablishmentName"))
    assert rows == [(2, {"URN": "100001", "EstablishmentName": "St Mary\u2019s Église"})]


def test_a_utf8_file_is_read_as_utf8_even_where_windows_1252_is_accepted():
    content = "URN,EstablishmentName\n100001,Zoë\u2019s School\n".encode()
    assert choose_encoding(content, GIAS) == "utf-8-sig"
    assert rows_of(content, GIAS, ("URN",), ("EstablishmentName",))[1][0][1] == {
        "URN": "100001",
        "EstablishmentName": "Zoë\u2019s School",
    }


def test_a_byte_order_mark_is_not_part_of_the_first_column_name():
    _, rows = rows_of("\ufeffA,B\nx,y\n".encode(), required=("A", "B"))
    assert rows == [(2, {"A": "x", "B": "y"})]


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do():
    with pytest.raises(FileRefused, match=r"not saved as UTF-8.*CSV UTF-8"):
        rows_of("A\nZoë\n".encode("cp1252"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty"),
        (b"   \n  ", "The file is empty"),
        (b"PK\x03\x04\x14\x00", "Excel workbook"),
        ("A\nx\n".encode("utf-16"), "UTF-16"),
        (b"A\x00B\x00", "not a CSV text file"),
        (b"B,C\n1,2\n", "The file has no column A"),
        (b"A,A\n1,2\n", "The column A appears more than once"),
    ],
)
def test_files_that_cannot_be_read_are_refused_whole(content, words):
    with pytest.raises(FileRefused, match=words):
        rows_of(content)


def test_extra_columns_are_dropped_and_missing_cells_are_blank():
    _, rows = rows_of(b"X,A,Y,B\n1,2,3\n", required=("A",), optional=("B", "Z"))
    assert rows == [(2, {"A": "2", "B": ""})]


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_rows_are_skipped():
    content = b'A,B\n1,2\n\n,\n3,"two\nlines"\n4,5\n'
    total, rows = rows_of(content, required=("A", "B"))
    assert total == 3
    assert [number for number, _ in rows] == [2, 5, 6]
    assert rows[1][1]["B"] == "two\nlines"


def test_formula_cells_are_read_as_the_text_they_are():
    content = b'A,B\n=1+2,"=HYPERLINK(""http://x"",""y"")"\n+1,@SUM(A1)\n-1,\tx\n'
    _, rows = rows_of(content, required=("A", "B"))
    assert [row for _, row in rows] == [
        {"A": "=1+2", "B": '=HYPERLINK("http://x","y")'},
        {"A": "+1", "B": "@SUM(A1)"},
        {"A": "-1", "B": "\tx"},
    ]
