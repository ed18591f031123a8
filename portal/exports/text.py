"""Making any stored text safe for a Word document without changing what the person wrote."""

from __future__ import annotations

import re
import unicodedata

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except surrogates and
# U+FFFE/U+FFFF; python-docx refuses anything else. C0/C1 controls and DEL are invisible junk
# (pasted from other systems), so they go too. Emoji and every script stay as typed.
_NOT_IN_A_DOCUMENT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_RIGHT_TO_LEFT = frozenset({"R", "AL"})
_LEFT_TO_RIGHT = frozenset({"L"})


def clean_text(value: object) -> str:
    """`value` as text a document can hold: XML-invalid characters removed, nothing else."""
    text = value if isinstance(value, str) else str(value)
    return _NOT_IN_A_DOCUMENT.sub("", text)


def reads_right_to_left(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left (Arabic, Hebrew...).

    Word and LibreOffice lay out each paragraph in one base direction; a paragraph written in
    Arabic must be marked right-to-left or its punctuation lands on the wrong side.
    """
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in _RIGHT_TO_LEFT:
            return True
        if direction in _LEFT_TO_RIGHT:
            return False
    return False
