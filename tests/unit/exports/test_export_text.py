"""Hostile text made safe for a document, and documents made reproducible: pure parts."""

import io
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from portal.exports.package import FIXED_ZIP_TIME, deterministic_package
from portal.exports.text import clean_text, reads_right_to_left


def test_control_characters_go_and_everything_else_stays():
    assert clean_text("a\x00b\x01c\x0bd\x1fe\ufffef") == "abcdef"
    assert clean_text("tab\there\nnew line\r") == "tab\there\nnew line\r"
    assert clean_text("😀 مرحبا שלום 中文") == "😀 مرحبا שלום 中文"
    assert clean_text("lone \ud800 surrogate") == "lone  surrogate"
    assert clean_text(42) == "42"


@given(st.text())
def test_cleaned_text_is_always_xml_1_0(text):
    cleaned = clean_text(text)
    for character in cleaned:
        code = ord(character)
        assert (
            code in (0x9, 0xA, 0xD)
            or 0x20 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or (code >= 0x10000)
        )


def test_right_to_left_is_judged_by_the_first_strong_character():
    assert reads_right_to_left("مرحبا، أنا أحب الرسم")
    assert reads_right_to_left("123 שלום")
    assert not reads_right_to_left("Hello مرحبا")
    assert not reads_right_to_left("😀 123")


def _package(members, when):
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as package:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=when)
            package.writestr(info, data)
    return output.getvalue()


def test_the_package_is_the_same_whenever_and_in_whatever_order_it_was_written():
    members = [("word/document.xml", b"<w/>"), ("[Content_Types].xml", b"<t/>"), ("a.xml", b"a")]
    first = deterministic_package(_package(members, (2026, 1, 2, 3, 4, 6)))
    second = deterministic_package(_package(list(reversed(members)), (2027, 5, 6, 7, 8, 10)))
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert package.namelist()[0] == "[Content_Types].xml"
        assert {info.date_time for info in package.infolist()} == {FIXED_ZIP_TIME}
        assert package.read("a.xml") == b"a"
