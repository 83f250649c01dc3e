"""A minimal zip writer for the packages we produce (.docx, .xlsx), with reusable compressed members.

``zipfile`` compresses every member on every write. A report package is
mostly parts that do not change from one unit to the next (styles, theme,
settings, numbering…); ``Member.deflated`` compresses such a part once and the
same compressed bytes are written into every package. The output is an
ordinary zip archive — the layout ``zipfile`` writes (local headers, data,
central directory; no data descriptors, no zip64) — with raw DEFLATE at
zlib's default level, as ``zipfile.ZIP_DEFLATED`` does, and a fixed
timestamp, so the same parts always give the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s4H2HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # 2.0: DEFLATE
_UNIX = 3 << 8  # "made by" a Unix system (permissions in the external attributes)
_DOS_TIME, _DOS_DATE = 0, (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01 00:00, the zip epoch
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_UTF8_NAME = 0x800
DEFLATED = 8
LIMIT = 0xFFFFFFFF - 1  # beyond 4 GB zip64 would be needed; no report comes near


@dataclass(frozen=True)
class Member:
    """One part, ready to be written: its name, CRC-32, sizes and DEFLATE-compressed bytes."""

    name: str
    crc: int
    size: int
    compressed: bytes

    @classmethod
    def deflated(cls, name: str, data: bytes) -> "Member":
        packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return cls(name, zlib.crc32(data), len(data), packer.compress(data) + packer.flush())


def build(members: list[Member]) -> bytes:
    """The zip archive holding ``members`` in this order."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        name = m.name.encode("utf-8")
        flags = 0 if m.name.isascii() else _UTF8_NAME
        if offset > LIMIT or m.size > LIMIT or len(m.compressed) > LIMIT:
            raise ValueError(f"{m.name}: package too large for a plain zip")
        header = _LOCAL.pack(b"PK\x03\x04", _VERSION, flags, DEFLATED, _DOS_TIME, _DOS_DATE, m.crc,
                             len(m.compressed), m.size, len(name), 0)
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION | _UNIX, _VERSION, flags, DEFLATED, _DOS_TIME,
                                     _DOS_DATE, m.crc, len(m.compressed), m.size, len(name), 0, 0, 0, 0,
                                     _FILE_MODE, offset) + name)
        out += (header, name, m.compressed)
        offset += len(header) + len(name) + len(m.compressed)
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end


def package(parts: dict[str, "bytes | Member"]) -> bytes:
    """Zip ``parts`` (name → bytes, or a Member compressed earlier for that name), in this order."""
    return build([data if isinstance(data, Member) else Member.deflated(name, data) for name, data in parts.items()])
