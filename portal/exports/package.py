"""Rewriting a .docx package so the same document always gives the same bytes."""

from __future__ import annotations

import io
import zipfile

# Every member gets this timestamp (the earliest a zip can hold): python-docx stamps members
# with the time of writing, which would make two builds of the same PEP differ.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CONTENT_TYPES = "[Content_Types].xml"


def deterministic_package(package: bytes) -> bytes:
    """The same package with fixed member times, attributes and order (content types first)."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    # Word expects [Content_Types].xml first; the rest sorted so the order never depends on
    # the order python-docx happened to write parts in.
    order = sorted(members, key=lambda name: (name != CONTENT_TYPES, name))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # the same on every operating system
            info.external_attr = 0o600 << 16
            target.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()
