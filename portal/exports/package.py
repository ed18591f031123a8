"""Writing a .docx package so the same document always gives the same bytes."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Every member gets this timestamp (the earliest a zip can hold): python-docx stamps members
# with the time of writing, which would make two builds of the same PEP differ.
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CONTENT_TYPES = "[Content_Types].xml"

# The zip records below are laid out exactly as Python's zipfile writes them for a member
# written with writestr(ZipInfo(name, FIXED_ZIP_TIME), compress_type=ZIP_DEFLATED) and the
# attributes in deterministic_package, so both ways give the same bytes (a test holds them
# to it). Writing them here lets a member that never changes be compressed once per process.
_VERSION = 20  # zipfile's default "version needed to extract" and "made by"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_DOS_DATE = (FIXED_ZIP_TIME[0] - 1980) << 9 | FIXED_ZIP_TIME[1] << 5 | FIXED_ZIP_TIME[2]
_DOS_TIME = FIXED_ZIP_TIME[3] << 11 | FIXED_ZIP_TIME[4] << 5 | FIXED_ZIP_TIME[5] // 2
_EXTERNAL_ATTRIBUTES = 0o600 << 16  # rw for the owner, the same on every operating system


@dataclass(frozen=True)
class PackedMember:
    """One member of the package, already compressed."""

    name: str
    crc: int
    size: int
    compressed: bytes


def packed(name: str, data: bytes) -> PackedMember:
    """`data` deflated as zipfile deflates it (default level, raw stream)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    return PackedMember(name, zlib.crc32(data), len(data), compressed)


def package_order(names: Iterable[str]) -> list[str]:
    """Word expects [Content_Types].xml first; the rest sorted so the order never depends on
    the order python-docx happened to write parts in."""
    return sorted(names, key=lambda name: (name != CONTENT_TYPES, name))


def write_package(members: Mapping[str, PackedMember]) -> bytes:
    """The zip of `members` in package order, with fixed times and attributes."""
    output = io.BytesIO()
    directory = []
    for name in package_order(members):
        member = members[name]
        encoded = name.encode("ascii")  # part names in a .docx are ASCII
        offset = output.tell()
        output.write(
            _LOCAL_HEADER.pack(
                b"PK\x03\x04",
                _VERSION,
                0,
                0,
                zipfile.ZIP_DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                member.crc,
                len(member.compressed),
                member.size,
                len(encoded),
                0,
            )
        )
        output.write(encoded)
        output.write(member.compressed)
        directory.append(
            _CENTRAL_HEADER.pack(
                b"PK\x01\x02",
                _VERSION,
                0,  # made on MS-DOS: create_system 0
                _VERSION,
                0,
                0,
                zipfile.ZIP_DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                member.crc,
                len(member.compressed),
                member.size,
                len(encoded),
                0,
                0,
                0,
                0,
                _EXTERNAL_ATTRIBUTES,
                offset,
            )
            + encoded
        )
    start = output.tell()
    for entry in directory:
        output.write(entry)
    size = output.tell() - start
    output.write(
        _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(directory), len(directory), size, start, 0)
    )
    return output.getvalue()


def deterministic_package(package: bytes) -> bytes:
    """The same package with fixed member times, attributes and order (content types first)."""
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in package_order(members):
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # the same on every operating system
            info.external_attr = _EXTERNAL_ATTRIBUTES
            target.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()
