"""Our seal on a file we write, so that it can be told ours from its own content when the record is lost.

An output folder's record (``.generated.json``) holds the SHA-256 of every file we wrote; a file whose hash is
not there is treated as edited by hand and never overwritten. When the record itself is damaged or emptied
(a disk that filled up, a program that truncated it), the files say for themselves: each carries a seal, the
SHA-256 of the rest of its bytes, where its format ignores it —

* .docx / .xlsx (ZIP packages): the ZIP archive comment (Word, Excel, WPS and LibreOffice ignore it and do not
  keep it when they save, so a file saved by them has no seal);
* .md: a last line ``<!-- … -->`` (an HTML comment, invisible when the text is shown);
* .pdf: a comment line after ``%%EOF`` (PDF readers skip it).

A file edited in any way no longer matches its seal. Any other kind of file is left as it is (no seal).
"""

from __future__ import annotations

import hashlib
import re
import struct

TAG = b"generator-seal:"
_EOCD = b"PK\x05\x06"
_MD = re.compile(rb"\n<!-- generator-seal:([0-9a-f]{64}) -->\n\Z")
_PDF = re.compile(rb"\n%generator-seal:([0-9a-f]{64})\n\Z")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _eocd(data: bytes) -> int:
    """Offset of a ZIP's end-of-central-directory record whose comment runs to the end of ``data``, or -1."""
    lowest = max(0, len(data) - 22 - 0xFFFF)
    at = data.rfind(_EOCD, lowest)
    while at >= 0:
        if at + 22 <= len(data):
            (length,) = struct.unpack("<H", data[at + 20:at + 22])
            if at + 22 + length == len(data):
                return at
        at = data.rfind(_EOCD, lowest, at)
    return -1


def seal(suffix: str, data: bytes) -> bytes:
    """``data`` with our seal, for a file of ``suffix`` (``.docx``…); unchanged for a kind we do not seal."""
    suffix = suffix.lower()
    if suffix in (".docx", ".xlsx"):
        at = _eocd(data)
        if at < 0 or data[at + 20:at + 22] != b"\0\0":  # not a ZIP, or one with a comment of its own
            return data
        comment = TAG + _digest(data).encode("ascii")
        return data[:at + 20] + struct.pack("<H", len(comment)) + comment
    if suffix == ".md":
        return data + b"\n<!-- generator-seal:" + _digest(data).encode("ascii") + b" -->\n"
    if suffix == ".pdf":
        return data + b"\n%generator-seal:" + _digest(data).encode("ascii") + b"\n"
    return data


def sealed(suffix: str, data: bytes) -> bool:
    """True when ``data`` carries our seal and is, but for it, exactly what we wrote."""
    suffix = suffix.lower()
    if suffix in (".docx", ".xlsx"):
        at = _eocd(data)
        if at < 0:
            return False
        comment = data[at + 22:]
        if not comment.startswith(TAG):
            return False
        original = data[:at + 20] + b"\0\0"
        return comment[len(TAG):].decode("ascii", "replace") == _digest(original)
    pattern = _MD if suffix == ".md" else _PDF if suffix == ".pdf" else None
    found = pattern.search(data) if pattern is not None else None
    return found is not None and found.group(1).decode("ascii") == _digest(data[:found.start()])
