"""Reading .xlsx workbooks: container checks, a fast reader, and openpyxl for what it does not handle.

``open_book`` is the one entry point. It refuses, with a message naming the file
and the part, what is not a sane workbook — an old .xls, an encrypted file, a
zip bomb, a part out of proportion (a sheet holding a 190 MB comment), damaged
compressed data or a bad CRC, XML with entity declarations — before parsing
anything large. It then reads the wanted sheets straight from their XML
(``_fast_book``): values as openpyxl gives them with ``data_only=True``
(numbers as int or float, dates as datetime in a date format, strings, booleans,
error codes as text), each cell's number format, merged ranges (the cells a
range covers emptied, as openpyxl does) and each formula's text. Strict Open XML
workbooks are read by mapping their namespaces to the transitional ones.

openpyxl (the library path this mirrors, ``_openpyxl_book``) reads what the
fast reader leaves alone (``_NotPlain``: unusual cell types, merged ranges too
large to expand). ``tests/test_xlsx_read.py`` checks the two agree cell for
cell; the openpyxl versions that was proved against are pinned in pyproject.toml.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..messages import msg
from .xlsx_write import column as column_letters, column_index

MAX_FILE_MB = 50  # size on disk; a unit's workbook is well under 5 MB
MAX_TOTAL_MB = 200  # all parts uncompressed
MAX_PART_MB = 40  # one part uncompressed: a sheet of a few thousand rows is a few MB
MAX_MEMBERS = 2000  # parts in the package; Excel writes a few dozen
OLD_FORMATS = (".xls", ".et", ".ett", ".xlt")

_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
# Strict Open XML (ISO 29500 strict) → transitional: the same elements in other namespaces
_STRICT = tuple((a.encode(), b.encode()) for a, b in (
    ("http://purl.oclc.org/ooxml/spreadsheetml/main", "http://schemas.openxmlformats.org/spreadsheetml/2006/main"),
    ("http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
     "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"),
    ("http://purl.oclc.org/ooxml/officeDocument/relationships",
     "http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
    ("http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
     "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"),
    ("http://purl.oclc.org/ooxml/officeDocument/customProperties",
     "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"),
    ("http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
     "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"),
    ("http://purl.oclc.org/ooxml/officeDocument/sharedTypes",
     "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes"),
    ("http://purl.oclc.org/ooxml/officeDocument/math", "http://schemas.openxmlformats.org/officeDocument/2006/math"),
    ("http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing",
     "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"),
    ("http://purl.oclc.org/ooxml/drawingml/chart", "http://schemas.openxmlformats.org/drawingml/2006/chart"),
    ("http://purl.oclc.org/ooxml/drawingml/main", "http://schemas.openxmlformats.org/drawingml/2006/main"),
))
_CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})\Z")
_RANGE_REF = re.compile(r"([A-Z]{1,3}[1-9][0-9]{0,6})(?::([A-Z]{1,3}[1-9][0-9]{0,6}))?\Z")
# the number formats Excel numbers itself (ECMA-376 §18.8.30), as openpyxl names them
_BUILTIN_FORMATS = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 5: '"$"#,##0_);("$"#,##0)',
    6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0_);(#,##0)", 38: "#,##0_);[Red](#,##0)", 39: "#,##0.00_);(#,##0.00)", 40: "#,##0.00_);[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)', 42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)', 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0",
    48: "##0.0E+0", 49: "@",
}
# openpyxl's test for a date or time format (openpyxl.styles.numbers.is_date_format), and its conversion
_DATE_STRIP = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CHAR = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
MAX_MERGED_CELLS = 100_000  # larger merged ranges: only the cells present are emptied


class Cell:
    __slots__ = ("value", "number_format")

    def __init__(self, value: Any, number_format: str) -> None:
        self.value, self.number_format = value, number_format

    def __repr__(self) -> str:
        return f"Cell({self.value!r}, {self.number_format!r})"


_EMPTY = Cell(None, "General")


@dataclass
class Sheet:
    """One sheet: cells by 1-based (row, column), merged ranges ("B3:B4"), formula texts by (row, column)."""

    title: str
    cells: dict[tuple[int, int], Cell]
    merged: list[str]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass
class Book:
    sheet_names: list[str]
    sheets: dict[str, Sheet]  # the wanted sheets that hold cells
    strict: bool = False  # a Strict Open XML workbook (read through namespace mapping)


class _NotPlain(Exception):
    """Something the fast reader leaves to openpyxl."""


class _BadString(Exception):
    """A cell naming a shared string the workbook does not hold."""

    def __init__(self, sheet: str, cell: str, index: str):
        super().__init__(f"{sheet}!{cell}: {index}")
        self.sheet, self.cell, self.index = sheet, cell, index


# --------------------------------------------------------------------------- the container


def open_book(path: Path, select: Callable[[list[str]], Iterable[str]] | None = None) -> Book:
    """Check ``path`` and read its sheets: those ``select`` picks from the sheet names (all when None)."""
    path = Path(path)
    name = path.name
    if path.suffix.lower() in OLD_FORMATS:
        raise UserError(msg("xls_format", name=name))
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UserError(msg("workbook_unreadable", name=name, detail=exc.strerror or str(exc))) from None
    if size > MAX_FILE_MB * 1024 * 1024:
        raise UserError(msg("too_large", name=name, size=size // (1024 * 1024), limit=MAX_FILE_MB))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # OLE2 container: an encrypted .xlsx or an old .xls renamed
        raise UserError(msg("encrypted", name=name) if _looks_encrypted(path) else msg("xls_format", name=name))
    if not head.startswith(b"PK"):
        raise UserError(msg("not_xlsx", name=name))
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _read_parts(zf, name)
    except zipfile.BadZipFile:
        raise UserError(msg("not_xlsx", name=name)) from None
    if "xl/workbook.xml" not in parts:
        raise UserError(msg("not_xlsx", name=name))
    strict = _STRICT[0][0] in parts["xl/workbook.xml"][:4000]
    parts.strict = strict
    try:
        return _fast_book(parts, select, strict)
    except _BadString as exc:
        raise UserError(msg("workbook_bad_string", name=name, sheet=exc.sheet, cell=exc.cell,
                            index=exc.index[:20])) from None
    except _NotPlain:
        clipped = _clip_merges(parts)
        return _openpyxl_book(io.BytesIO(_package(parts)) if strict or clipped else path, select, name)


CHUNK = 1024 * 1024  # a part is checked this much at a time, never held whole
_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _read_parts(zf: zipfile.ZipFile, name: str) -> "_Parts":
    """Every part of the package checked as it is decompressed, a chunk at a time (its declared and its real
    size bounded, its CRC, no entity declaration in its XML); the parts, read again only when used."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UserError(msg("too_large_parts", name=name, count=len(infos), limit=MAX_MEMBERS))
    total = 0
    limit = MAX_PART_MB * 1024 * 1024
    for info in infos:  # the declared sizes first (zipfile stops at a part's declared size: they bound it all)
        if info.file_size > limit:
            raise UserError(msg("too_large_part", name=name, part=_part_label(zf, info.filename),
                                size=info.file_size // (1024 * 1024), limit=MAX_PART_MB))
    declared = sum(i.file_size for i in infos)
    if declared > MAX_TOTAL_MB * 1024 * 1024:
        raise UserError(msg("too_large", name=name, size=declared // (1024 * 1024), limit=MAX_TOTAL_MB))
    for info in infos:
        if info.is_dir():
            continue
        xml = info.filename.endswith((".xml", ".rels", ".vml"))
        size, tail = 0, b""
        try:
            with zf.open(info) as fh:
                while chunk := fh.read(CHUNK):  # the declared size may lie: counted as it comes
                    size += len(chunk)
                    if size > limit:
                        raise UserError(msg("too_large_part", name=name, part=_part_label(zf, info.filename),
                                            size=size // (1024 * 1024), limit=MAX_PART_MB))
                    if xml and any(m in chunk or m in tail + chunk[:len(m)] for m in _MARKERS):
                        raise UserError(msg("workbook_entities", name=name, part=_part_label(zf, info.filename)))
                    tail = chunk[-len(_MARKERS[0]):]
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            detail = msg("damaged_crc") if "CRC" in str(exc) else msg("damaged_deflate", kind=type(exc).__name__)
            raise UserError(msg("workbook_part_damaged", name=name, part=_part_label(zf, info.filename),
                                detail=detail)) from None
        total += size
        if total > MAX_TOTAL_MB * 1024 * 1024:
            raise UserError(msg("too_large", name=name, size=total // (1024 * 1024), limit=MAX_TOTAL_MB))
    return _Parts(zf.filename, [i.filename for i in infos if not i.is_dir()])


class _Parts(Mapping):
    """The checked parts of a package by name, each decompressed when asked for (so a part the reader does not
    use is never in memory); a Strict Open XML one's XML given in transitional namespaces when ``strict``; a part
    given a new content (``parts[name] = data``) keeps it."""

    def __init__(self, path: str, names: list[str], strict: bool = False) -> None:
        self.path, self.names, self.strict = path, dict.fromkeys(names), strict
        self.changed: dict[str, bytes] = {}

    def __setitem__(self, part: str, data: bytes) -> None:
        self.names[part] = None
        self.changed[part] = data

    def __getitem__(self, part: str) -> bytes:
        if part in self.changed:
            return self.changed[part]
        if part not in self.names:
            raise KeyError(part)
        with zipfile.ZipFile(self.path) as zf:
            data = zf.read(part)
        return _unstrict(data) if self.strict and part.endswith((".xml", ".rels")) else data

    def __contains__(self, part: object) -> bool:
        return part in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _part_label(zf: zipfile.ZipFile, part: str) -> str:
    """A part named for the clerk: ``xl/worksheets/sheet2.xml（工作表“基本信息”）`` when it is a sheet whose name
    the (small, undamaged) workbook part tells; else the part name alone."""
    try:
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        infos = {i.filename: i for i in zf.infolist()}
        if part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels") or any(
                infos[n].file_size > 1024 * 1024 for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")):
            return part
        book = etree.fromstring(_unstrict(zf.read("xl/workbook.xml")), parser)
        rels = etree.fromstring(_unstrict(zf.read("xl/_rels/workbook.xml.rels")), parser)
        targets = {r.get("Id"): (r.get("Target") or "") for r in rels}
        for sheet in book.iter(_M + "sheet"):
            target = targets.get(sheet.get(_R_ID), "")
            if (target.lstrip("/") if target.startswith("/") else "xl/" + target) == part:
                return msg("part_of_sheet", part=part, sheet=sheet.get("name"))
    except Exception:  # noqa: BLE001 - only a nicer name; the part's own name is enough
        pass
    return part


def transitional(path: Path) -> bytes | None:
    """A Strict Open XML workbook as the same workbook in transitional namespaces (what openpyxl reads, for the
    annotated copy); None for a transitional one."""
    try:
        with zipfile.ZipFile(path) as zf:
            try:  # (the workbook part says which; the rest is read only for a Strict one)
                with zf.open("xl/workbook.xml") as fh:
                    head = fh.read(4000)
            except KeyError:
                return None
            if _STRICT[0][0] not in head:
                return None
            parts = _read_parts(zf, Path(path).name)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError):
        return None
    parts.strict = True
    return _package(parts)


def _package(parts: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _unstrict(data: bytes) -> bytes:
    for strict, transitional in _STRICT:
        data = data.replace(strict, transitional)
    return data


def _looks_encrypted(path: Path) -> bool:
    """An OLE2 file holding an ``EncryptedPackage`` stream is a password-protected .xlsx."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_MB * 1024 * 1024)
    return marker in data


# --------------------------------------------------------------------------- the fast reader


def _fast_book(parts: dict[str, bytes], select: Callable[[list[str]], Iterable[str]] | None, strict: bool) -> Book:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)

    def part(part_name: str):
        try:
            return etree.fromstring(parts[part_name], parser)
        except KeyError:
            raise _NotPlain(part_name) from None
        except etree.XMLSyntaxError:
            raise _NotPlain(part_name) from None

    book = part("xl/workbook.xml")
    properties = book.find(_M + "workbookPr")
    date1904 = properties.get("date1904") if properties is not None else None
    epoch = _EPOCH_1904 if date1904 and date1904 not in ("false", "f", "0") else _EPOCH_1900
    targets = {}
    rels = part("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in parts else []
    for rel in rels:
        target = rel.get("Target") or ""
        if ".." in target or rel.get("TargetMode") == "External":
            continue
        target_name = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = (rel.get("Type") or "", target_name)
    by_type = {kind.rsplit("/", 1)[-1]: target_name for kind, target_name in targets.values()}
    shared: list[str] = []
    if "sharedStrings" in by_type:
        for si in part(by_type["sharedStrings"]).iter(_M + "si"):
            shared.append(_text_content(si).replace("x005F_", ""))
    formats = _cell_formats(part(by_type["styles"])) if "styles" in by_type else ["General"]
    entries = [(entry.get("name"), targets.get(entry.get(_R_ID), ("", ""))) for entry in book.iter(_M + "sheet")]
    names = [title for title, _ in entries]
    wanted = set(select(names)) if select is not None else set(names)
    sheets = {}
    for title, (kind, target_name) in entries:
        if kind.endswith("/worksheet") and title in wanted:  # (a chart or dialog sheet has no cells)
            sheets[title] = _fast_sheet(title, part(target_name), shared, formats, epoch)
    return Book(names, sheets, strict)


def _cell_formats(styles) -> list[str]:
    """The number format of each cell style index (``s``), as openpyxl resolves it."""
    custom = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(_M + "numFmt")}
    xfs = styles.find(_M + "cellXfs")
    out = []
    for xf in (xfs if xfs is not None else ()):
        fmt_id = int(xf.get("numFmtId", 0))
        if fmt_id in custom:
            out.append(custom[fmt_id])
        elif fmt_id < 164:
            out.append(_BUILTIN_FORMATS.get(fmt_id, "General"))
        else:
            raise _NotPlain(f"numFmtId {fmt_id}")
    return out or ["General"]


def _text_content(node) -> str:
    """Text of a shared or inline string: its ``t`` plus the ``t`` of each rich-text run (phonetic runs left out)."""
    plain, runs = None, []
    for child in node:
        if child.tag == _M + "t":
            plain = child.text
        elif child.tag == _M + "r":
            t = child.find(_M + "t")
            if t is not None and t.text is not None:
                runs.append(t.text)
    return (plain or "") + "".join(runs)


def is_date_format(number_format: str) -> bool:
    return _DATE_CHAR.search(_DATE_STRIP.sub("", number_format.split(";")[0])) is not None


def _from_excel(value: float, epoch: dt.datetime, number_format: str) -> Any:
    """A date-formatted number as openpyxl (``from_excel``) gives it: datetime, time or timedelta."""
    if _TIMEDELTA.search(number_format.split(";")[0]):
        td = dt.timedelta(days=value)
        if td.microseconds:
            td = dt.timedelta(seconds=td.total_seconds() // 1, microseconds=round(td.microseconds, -3))
        return td
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        minutes, seconds = divmod(diff.seconds, 60)
        hours, minutes = divmod(minutes, 60)
        return dt.time(hours, minutes, seconds, diff.microseconds)
    if 0 < value < 60 and epoch == _EPOCH_1900:
        day += 1
    return epoch + dt.timedelta(days=day) + diff


def _iso_date(text: str) -> Any:
    from openpyxl.utils.datetime import from_ISO8601

    try:
        return from_ISO8601(text)
    except (ValueError, TypeError):
        raise _NotPlain("date") from None


_REFS: dict[str, tuple[int, int]] = {}  # "B7" → (7, 2): the same addresses recur in every sheet and workbook
MAX_REFS = 100_000


def _cell_key(ref: str | None) -> tuple[int, int]:
    key = _REFS.get(ref) if ref else None
    if key is not None:
        return key
    m = _CELL_REF.match(ref or "")
    if m is None:
        raise _NotPlain("cell without address")
    key = (int(m.group(2)), column_index(m.group(1)))
    if len(_REFS) < MAX_REFS:
        _REFS[ref] = key
    return key


def _split_ref(ref: str) -> tuple[int, int]:
    m = _CELL_REF.match(ref)
    return int(m.group(2)), column_index(m.group(1))


def _fast_sheet(title: str, root, shared: list[str], formats: list[str], epoch: dt.datetime) -> Sheet:
    cells: dict[tuple[int, int], Cell] = {}
    formulas: dict[tuple[int, int], str] = {}
    dates: set[str] = set()  # number formats known to show dates, and known not to
    numbers: set[str] = set()
    data = root.find(_M + "sheetData")
    v_tag, is_tag, t_tag, f_tag = _M + "v", _M + "is", _M + "t", _M + "f"
    style_formats = {str(i): f for i, f in enumerate(formats)}
    shared_formulas: dict[str, Any] = {}  # si → the master formula's translator (Excel's formula filled down)
    for c in (data.iter(_M + "c") if data is not None else ()):
        key = _cell_key(c.get("r"))
        style = c.get("s")
        fmt = style_formats.get(style) if style else formats[0]
        if fmt is None:
            raise _NotPlain("style index")
        value = None
        kind = c.get("t", "n")
        if len(c):  # a cell with no child is empty (styled only)
            v = None
            for child in c:
                tag = child.tag
                if tag == v_tag:
                    v = child.text
                elif tag == f_tag:
                    formulas[key] = _formula(child, key, shared_formulas)
                elif tag == is_tag and kind == "inlineStr":
                    value = (child[0].text or "") if len(child) == 1 and child[0].tag == t_tag \
                        else _text_content(child)
            if kind != "inlineStr" and v:
                if kind == "n":
                    value = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
                    if fmt in dates or (fmt not in numbers and is_date_format(fmt)):
                        dates.add(fmt)
                        try:
                            value = _from_excel(value, epoch, fmt)
                        except (OverflowError, ValueError):  # openpyxl: outside the dates, an error cell
                            value = "#VALUE!"
                    else:
                        numbers.add(fmt)
                elif kind == "s":
                    try:
                        value = shared[int(v)]
                    except (IndexError, ValueError):
                        raise _BadString(title, c.get("r") or "", v) from None
                elif kind == "b":
                    value = bool(int(v))
                elif kind in ("str", "e"):
                    value = v
                elif kind == "d":  # an ISO 8601 date (Strict Open XML writes dates so), as openpyxl reads it
                    value = _iso_date(v)
                else:
                    raise _NotPlain(f"cell type {kind}")
        elif kind not in ("n", "s", "str", "e", "b", "inlineStr", "d"):
            raise _NotPlain("cell type")
        cells[key] = Cell(value, fmt)
    merged: dict[tuple[int, int, int, int], None] = {}
    used_rows = max((r for r, _ in cells), default=0)
    used_cols = max((col for _, col in cells), default=0)
    for mc in root.iter(_M + "mergeCell"):
        m = _RANGE_REF.match(mc.get("ref") or "")
        if m is None:
            raise _NotPlain("merge range")
        (r1, c1), (r2, c2) = _split_ref(m.group(1)), _split_ref(m.group(2) or m.group(1))
        if r1 > r2 or c1 > c2:
            raise _NotPlain("merge range")
        merged[(r1, c1, r2, c2)] = None
        # as openpyxl does: the top-left cell is created if missing, every other cell of the range is emptied —
        # a large range within the used range (a whole column merged, A1:A1048576 as Excel stores it, touches
        # only the rows in use)
        cells.setdefault((r1, c1), _EMPTY)
        last_row, last_col = r2, c2
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_MERGED_CELLS:
            last_row, last_col = min(r2, max(used_rows, r1)), min(c2, max(used_cols, c1))
        if (last_row - r1 + 1) * (last_col - c1 + 1) > MAX_MERGED_CELLS:
            inside = [k for k in cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2 and k != (r1, c1)]
        else:
            inside = [(r, col) for r in range(r1, last_row + 1) for col in range(c1, last_col + 1)
                      if (r, col) != (r1, c1)]
        for key in inside:
            cells[key] = _EMPTY
            formulas.pop(key, None)
    return Sheet(title, cells, _merged_list(list(merged)), formulas)


def _formula(f, key: tuple[int, int], shared: dict[str, Any]) -> str:
    """A cell's formula text as openpyxl reads it: a shared formula's master translated to this cell (Excel
    stores a formula filled down a column once, with ``t="shared"``, and only its group index in the others)."""
    text = "=" + (f.text or "")
    if f.get("t") != "shared":
        return text
    si = f.get("si")
    coordinate = f"{column_letters(key[1])}{key[0]}"
    master = shared.get(si)
    if master is not None:  # (as openpyxl: the group's first formula wins)
        try:
            return master.translate_formula(coordinate)
        except Exception:  # noqa: BLE001 - a formula openpyxl's translator cannot parse: its own text
            return master.formula
    if text != "=":
        from openpyxl.formula.translate import Translator

        shared[si] = Translator(text, origin=coordinate)
    return text


_MERGE_REF = re.compile(rb'(<(?:\w+:)?mergeCell\b[^>]*?\bref=")([A-Z]{1,3}[1-9][0-9]{0,6}):([A-Z]{1,3}[1-9][0-9]{0,6})"')
_CELL_ADDRESS = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([1-9][0-9]{0,6})"')


def _clip_merges(parts: dict[str, bytes]) -> bool:
    """For openpyxl, which makes a cell object for every cell of a merged range: a large range (a whole column,
    ``A1:A1048576``) clipped to the cells the sheet holds, in place. Whether any part changed."""
    changed = False
    for name in list(parts):  # (a sheet's part read when it is one: the others are never decompressed here)
        if not name.startswith("xl/worksheets/") or b"mergeCell" not in (data := parts[name]):
            continue
        last_row = last_col = 0
        for m in _CELL_ADDRESS.finditer(data):
            last_row = max(last_row, int(m.group(2)))
            last_col = max(last_col, column_index(m.group(1).decode()))

        def clip(m: re.Match) -> bytes:
            (r1, c1), (r2, c2) = _split_ref(m.group(2).decode()), _split_ref(m.group(3).decode())
            if (r2 - r1 + 1) * (c2 - c1 + 1) <= MAX_MERGED_CELLS:
                return m.group(0)
            r2, c2 = max(r1, min(r2, last_row)), max(c1, min(c2, last_col))
            return m.group(1) + m.group(2) + b":" + f"{column_letters(c2)}{r2}".encode() + b'"'

        clipped = _MERGE_REF.sub(clip, data)
        if clipped != data:
            parts[name], changed = clipped, True
    return changed


def clip_large_merges(data: bytes) -> bytes:
    """A workbook (bytes) with its large merged ranges clipped to the used cells (``_clip_merges``), for a path
    through openpyxl; the same bytes when there is none."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if not any(n.startswith("xl/worksheets/") and b"mergeCell" in zf.read(n) for n in zf.namelist()):
                return data
            parts = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError):
        return data
    return _package(parts) if _clip_merges(parts) else data


def _merged_list(ranges: list[tuple[int, int, int, int]]) -> list[str]:
    """Merged ranges as openpyxl names them ("A1" for a one-cell range), top to bottom, left to right."""
    out = []
    for r1, c1, r2, c2 in sorted(ranges):
        first = f"{column_letters(c1)}{r1}"
        out.append(first if (r1, c1) == (r2, c2) else f"{first}:{column_letters(c2)}{r2}")
    return out


# --------------------------------------------------------------------------- the library path


def _openpyxl_book(path: Path | io.BytesIO, select: Callable[[list[str]], Iterable[str]] | None,
                   name: str | None = None) -> Book:
    import openpyxl

    name = name or Path(path).name

    try:
        with warnings.catch_warnings():  # openpyxl warns in English about features it drops
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True)
            if isinstance(path, io.BytesIO):
                path.seek(0)
            wb_formulas = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise UserError(msg("workbook_unreadable", name=name,
                            detail=type(exc).__name__ + ": " + str(exc)[:200])) from None
    wanted = set(select(list(wb.sheetnames))) if select is not None else set(wb.sheetnames)
    sheets = {}
    for title in wb.sheetnames:
        ws = wb[title]
        if not hasattr(ws, "_cells") or title not in wanted:
            continue
        ranges = sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col, r.max_row, r.max_col))
        cells = {key: Cell(c.value, c.number_format) for key, c in ws._cells.items()}
        formulas = {}
        for key, c in wb_formulas[title]._cells.items():
            text = _formula_text(c.value)
            if text:
                formulas[key] = text
        sheets[title] = Sheet(title, cells, [str(r) for r in ranges], formulas)
    return Book(list(wb.sheetnames), sheets)


def _formula_text(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("="):
        return value
    if value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        return getattr(value, "text", None) or str(value)
    return None
