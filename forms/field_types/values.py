"""Small helpers on what people type and on typed answers, shared by several field types."""

from __future__ import annotations

import re
from decimal import Decimal

# Characters XML 1.0 cannot hold (C0 controls except tab and newline, lone surrogates, U+FFFE and
# U+FFFF) plus DEL and the C1 controls, which nobody types on purpose. Removing them keeps the
# Word export (lxml refuses them) and the audit trail safe. Carriage returns are handled apart.
_UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?")
_WHITESPACE_RUN = re.compile(r"\s+")


def clean_text(text: str, *, multiline: bool) -> str:
    """Remove characters that cannot be stored or exported; trim the ends.

    Line breaks become ``\\n`` so that character counts match what the person sees; a single-line
    answer has its line breaks and tabs turned into spaces.
    """
    text = _UNWANTED_CHARACTERS.sub("", _LINE_BREAKS.sub("\n", text))
    if not multiline:
        text = _WHITESPACE_RUN.sub(" ", text)
    return text.strip()


def is_answered(value: object) -> bool:
    """Whether a stored or typed value counts as an answer: blank text and empty lists do not."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
