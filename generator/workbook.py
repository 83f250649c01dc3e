"""Stage 1 — read: find a unit's workbook and pull raw cells out of it by the schema.

Nothing here interprets values: each cell comes back as a ``RawCell`` with its
value, number format, formula (if any) and address, so that later stages can
name the exact cell in every message. The user's workbook is opened read-only
and never saved.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import schema
from .errors import Location, Problem, UserError
from .messages import msg
from .sheetml import column as _column_letters

MAX_UNCOMPRESSED_MB = 200  # a unit's workbook is well under 5 MB; beyond this it is a zip bomb or the wrong file
MAX_FILE_MB = 50  # size on disk
MAX_MEMBERS = 2000  # parts in the zip package; Excel writes a few dozen
OLD_FORMATS = (".xls", ".et", ".ett", ".xlt")


class RawCell(NamedTuple):  # a named tuple: a workbook has a thousand of them, made in a few microseconds
    value: Any
    sheet: str
    coord: str
    number_format: str = "General"
    formula: str | None = None

    def location(self, file: str) -> Location:
        return Location(file, self.sheet, self.coord)


@dataclass
class RawWorkbook:
    path: Path
    file: str
    sheet_names: list[str]
    fields: dict[str, dict[str, RawCell | None]] = field(default_factory=dict)  # sheet -> key -> cell
    grids: dict[str, dict[str, dict[str, RawCell | None]]] = field(default_factory=dict)  # sheet -> row -> col -> cell
    tables: dict[str, list[dict[str, RawCell]]] = field(default_factory=dict)  # sheet -> records
    label_cells: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet, key) -> label cell coord
    merged: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------- locating


def is_lock_file(path: Path) -> bool:
    return path.name.startswith("~$")


def workbook_candidates(folder: Path) -> list[Path]:
    """Workbook-like files in ``folder`` (lock files left out), to list when the wanted one is missing."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in (".xlsx", ".xlsm") + OLD_FORMATS and p.is_file() and not is_lock_file(p))


def find_workbook(data_dir: Path, year: int, unit: str | None = None) -> Path:
    """``DATA/YEAR.xlsx`` for one unit, or ``DATA/<unit>/YEAR.xlsx`` when ``unit`` is given."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(msg("data_dir_missing", path=data_dir))
    folder = data_dir
    if unit is not None:
        folder = data_dir / unit
        if not folder.is_dir():
            names = "、".join(u for u, _ in list_units(data_dir, year)) or msg("list_none")
            raise UserError(msg("unit_missing", unit=unit, path=data_dir, names=names))
    target = folder / f"{year}.xlsx"
    if target.is_file():
        return target
    for ext in OLD_FORMATS:
        old = folder / f"{year}{ext}"
        if old.is_file():
            raise UserError(msg("xls_format", name=old))
    present = workbook_candidates(folder)
    found = (msg("workbook_found_list", names="、".join(p.name for p in present))
             if present else msg("workbook_found_none"))
    raise UserError(msg("workbook_missing", year=year, path=target, found=found))


def list_units(data_dir: Path, year: int) -> list[tuple[str, Path]]:
    """Sub-folders of ``data_dir`` that hold ``YEAR.xlsx``, as (unit, path), sorted."""
    out = []
    for sub in sorted(Path(data_dir).iterdir()):
        if sub.is_dir() and not sub.name.startswith((".", "~$")):
            candidate = sub / f"{year}.xlsx"
            if candidate.is_file() or any((sub / f"{year}{e}").is_file() for e in OLD_FORMATS):
                out.append((sub.name, candidate))
    return out


# --------------------------------------------------------------------------- opening


def _check_container(path: Path) -> tuple[bool, dict[str, bytes] | None]:
    """Refuse what is not a sane .xlsx; return whether any sheet holds formulas, and the parts.

    The parts (name → bytes) are read here, once, when the workbook is small
    enough for the fast reader (``MAX_FAST_MB`` uncompressed); else None.
    """
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
    if not zipfile.is_zipfile(path):
        raise UserError(msg("not_xlsx", name=name))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_MB * 1024 * 1024 or len(infos) > MAX_MEMBERS:
                raise UserError(msg("too_large", name=name, size=total // (1024 * 1024), limit=MAX_UNCOMPRESSED_MB))
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                raise UserError(msg("not_xlsx", name=name))
            parts = {i.filename: zf.read(i) for i in infos} if total <= MAX_FAST_MB * 1024 * 1024 else None
            for info in infos:
                if info.filename.startswith("xl/worksheets/sheet"):
                    data = parts[info.filename] if parts is not None else zf.read(info)
                    if b"<f>" in data or b"<f " in data:
                        return True, parts
            return False, parts
    except zipfile.BadZipFile:
        raise UserError(msg("not_xlsx", name=name)) from None


def _looks_encrypted(path: Path) -> bool:
    """An OLE2 file holding an ``EncryptedPackage`` stream is a password-protected .xlsx."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_MB * 1024 * 1024)
    return marker in data


_LABEL_NOISE = re.compile(r"[\s\u3000:：*＊]|（[^）]*）|\([^)]*\)")


def normalize_label(text: Any) -> str:
    return _LABEL_NOISE.sub("", str(text)) if text is not None else ""


def read_workbook(path: Path, fast: bool = True) -> RawWorkbook:
    """Open ``path`` and extract every schema cell. Structural problems are collected, not raised.

    A workbook without formulas is read straight from its XML (``_open_fast``);
    anything that reader does not handle exactly as openpyxl does (dates,
    formulas, unusual parts) is read by openpyxl, as is every workbook when
    ``fast`` is False.
    """
    path = Path(path)
    has_formula, parts = _check_container(path)
    opened = _open_fast(parts, _SCHEMA_SHEETS) if fast and not has_formula and parts is not None else None
    sheet_names, sheets = opened if opened is not None else _open_openpyxl(path, has_formula)

    raw = RawWorkbook(path=path, file=path.name, sheet_names=list(sheet_names))
    for sheet_schema in schema.SHEETS:
        if sheet_schema.name not in sheets:
            if sheet_schema.name in schema.REQUIRED_SHEETS:
                raw.problems.append(Problem(Location(raw.file, sheet_schema.name),
                                            msg("sheet_missing", sheet=sheet_schema.name,
                                                names="、".join(sheet_names))))
            continue
        sheet = sheets[sheet_schema.name]
        raw.merged[sheet_schema.name] = sheet.merged
        reader = _SheetReader(raw, sheet)
        if sheet_schema.kind == "fields":
            raw.fields[sheet_schema.name] = reader.fields(sheet_schema)
        elif sheet_schema.kind == "grid":
            raw.grids[sheet_schema.name] = reader.grid(sheet_schema)
        else:
            raw.tables[sheet_schema.name] = reader.table(sheet_schema)
    return raw


_SCHEMA_SHEETS = frozenset(s.name for s in schema.SHEETS)


@dataclass
class _Sheet:
    """One opened sheet: its cells by 1-based (row, column), each with ``value`` and ``number_format``."""

    title: str
    cells: dict[tuple[int, int], Any]
    merged: list[str]  # merged ranges ("B3:B4"), top to bottom, left to right
    formula_cells: dict[tuple[int, int], Any] | None = None  # cells read with formulas (``value`` is "=…")


def _open_openpyxl(path: Path, has_formula: bool) -> tuple[list[str], dict[str, _Sheet]]:
    import openpyxl  # imported here: start-up of ``generate --help`` stays fast

    try:
        with warnings.catch_warnings():  # openpyxl warns in English about features it drops; not our user's concern
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True)
            wb_formulas = openpyxl.load_workbook(path, data_only=False) if has_formula else None
    except UserError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise UserError(msg("workbook_unreadable", name=path.name, detail=type(exc).__name__ + ": " + str(exc)[:200])) from None
    sheets = {}
    for name in wb.sheetnames:
        ws = wb[name]
        if not hasattr(ws, "_cells"):  # a chart sheet: no cells
            continue
        ranges = sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col, r.max_row, r.max_col))
        sheets[name] = _Sheet(name, ws._cells, [str(r) for r in ranges],
                              wb_formulas[name]._cells if wb_formulas is not None else None)
    return list(wb.sheetnames), sheets


# --------------------------------------------------------------------------- the fast reader

_M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
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


class _Cell:
    __slots__ = ("value", "number_format")

    def __init__(self, value: Any, number_format: str) -> None:
        self.value, self.number_format = value, number_format


MAX_FAST_MB = 20  # larger workbooks (uncompressed) are left to openpyxl's streaming parser


class _NotPlain(Exception):
    """Something the fast reader leaves to openpyxl."""


def _open_fast(parts: dict[str, bytes],
               wanted: frozenset[str] | None = None) -> tuple[list[str], dict[str, _Sheet]] | None:
    """Read a formula-free workbook's sheets straight from its XML, as openpyxl (``data_only``) reads them.

    Values, number formats and merged ranges come out as openpyxl gives them:
    numbers as int or float (datetime, time or timedelta in a date or time
    format), shared and inline strings as plain text, booleans, error codes as
    text; the cells a merged range covers emptied. Returns None, and openpyxl
    reads the file, for anything else: a ``t="d"`` cell, a cell without its
    address, a chart sheet, parts not where Excel puts them, a DOCTYPE, a
    damaged part, sheets larger than ``MAX_FAST_MB``. openpyxl spends most of
    its time building style objects the reader never looks at.

    ``parts`` are the file's parts (name → bytes) as ``_check_container`` read
    them; only the sheets named in ``wanted`` (all when None) are read.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        def part(name: str):
            data = parts[name]
            if b"<!DOCTYPE" in data[:2000] or b"<!ENTITY" in data:
                raise _NotPlain(name)
            return etree.fromstring(data, parser)

        book = part("xl/workbook.xml")
        properties = book.find(_M + "workbookPr")
        date1904 = properties.get("date1904") if properties is not None else None
        epoch = _EPOCH_1904 if date1904 and date1904 not in ("false", "f", "0") else _EPOCH_1900
        targets = {}
        for rel in part("xl/_rels/workbook.xml.rels"):
            target = rel.get("Target") or ""
            if ".." in target or rel.get("TargetMode") == "External":
                continue
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets[rel.get("Id")] = (rel.get("Type") or "", name)
        by_type = {kind: name for kind, name in targets.values()}
        # openpyxl reads these two from where Excel puts them (and the content types), not the relationships
        if by_type.get(_REL_TYPE + "styles") != "xl/styles.xml" or \
                by_type.get(_REL_TYPE + "sharedStrings", "xl/sharedStrings.xml") != "xl/sharedStrings.xml":
            return None
        shared = []
        if _REL_TYPE + "sharedStrings" in by_type:
            for si in part("xl/sharedStrings.xml").iter(_M + "si"):
                shared.append(_text_content(si).replace("x005F_", ""))
        formats = _cell_formats(part("xl/styles.xml"))
        names, sheets = [], {}
        for entry in book.iter(_M + "sheet"):
            kind, name = targets[entry.get(_R_ID)]
            if kind != _REL_TYPE + "worksheet":
                return None
            title = entry.get("name")
            names.append(title)
            if wanted is None or title in wanted:  # (the instructions sheet is not read)
                sheets[title] = _fast_sheet(title, part(name), shared, formats, epoch)
    except Exception:  # anything unusual or damaged: openpyxl reads it and words the error
        return None
    return names, sheets


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


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _is_date_format(number_format: str) -> bool:
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


def _fast_sheet(title: str, root, shared: list[str], formats: list[str], epoch: dt.datetime) -> _Sheet:
    cells: dict[tuple[int, int], _Cell] = {}
    dates: set[str] = set()  # number formats known to show dates, and known not to
    numbers: set[str] = set()
    data = root.find(_M + "sheetData")
    v_tag, is_tag, t_tag = _M + "v", _M + "is", _M + "t"
    refs = _REFS
    style_formats = {str(i): f for i, f in enumerate(formats)}
    for c in (data.iter(_M + "c") if data is not None else ()):
        ref = c.get("r")
        key = refs.get(ref)
        if key is None:
            key = _cell_key(ref)
        style = c.get("s")
        fmt = (style_formats.get(style) or formats[int(style)]) if style else formats[0]
        value = None
        if len(c):  # a cell with no child is empty (styled only)
            kind = c.get("t", "n")
            first = c[0]  # (indexing: find() goes through lxml's path machinery on every call)
            if kind == "inlineStr":
                node = first if first.tag == is_tag else c.find(is_tag)
                if node is not None and len(node) == 1 and node[0].tag == t_tag:
                    value = node[0].text or ""  # = _text_content(node), the usual one-run string
                else:
                    value = _text_content(node) if node is not None else None
            else:
                value = (first.text if first.tag == v_tag else c.findtext(v_tag)) or None
                if value is not None:
                    if kind == "n":
                        value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                        if fmt in dates or (fmt not in numbers and _is_date_format(fmt)):
                            dates.add(fmt)
                            try:
                                value = _from_excel(value, epoch, fmt)
                            except (OverflowError, ValueError):  # openpyxl: outside the dates, an error cell
                                value = "#VALUE!"
                        else:
                            numbers.add(fmt)
                    elif kind == "s":
                        value = shared[int(value)]
                    elif kind == "b":
                        value = bool(int(value))
                    elif kind not in ("str", "e"):
                        raise _NotPlain(f"cell type {kind}")
        elif c.get("t") not in (None, "n", "s", "str", "e", "b", "inlineStr"):
            raise _NotPlain("cell type")
        cells[key] = _Cell(value, fmt)
    merged: dict[tuple[int, int, int, int], None] = {}
    for mc in root.iter(_M + "mergeCell"):
        m = _RANGE_REF.match(mc.get("ref") or "")
        if m is None:
            raise _NotPlain("merge range")
        (r1, c1), (r2, c2) = _split_ref(m.group(1)), _split_ref(m.group(2) or m.group(1))
        if r1 > r2 or c1 > c2 or (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_MERGED_CELLS:
            raise _NotPlain("merge range")
        merged[(r1, c1, r2, c2)] = None
        # as openpyxl does: the top-left cell is created if missing, every other cell of the range is
        # emptied (value and format)
        cells.setdefault((r1, c1), _EMPTY)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    cells[(r, c)] = _EMPTY
    return _Sheet(title, cells, _merged_list(list(merged)))


_REFS: dict[str, tuple[int, int]] = {}  # "B7" → (7, 2): the same addresses recur in every sheet and workbook
MAX_REFS = 100_000


def _cell_key(ref: str | None) -> tuple[int, int]:
    """(row, column) of a cell address, remembered for the next sheet (up to ``MAX_REFS`` addresses)."""
    m = _CELL_REF.match(ref or "")
    if m is None:
        raise _NotPlain("cell without address")
    key = (int(m.group(2)), _column_index(m.group(1)))
    if len(_REFS) < MAX_REFS:
        _REFS[ref] = key
    return key


MAX_MERGED_CELLS = 100_000  # larger merged ranges are left to openpyxl
_EMPTY = _Cell(None, "General")


def _split_ref(ref: str) -> tuple[int, int]:
    m = _CELL_REF.match(ref)
    return int(m.group(2)), _column_index(m.group(1))


def _merged_list(ranges: list[tuple[int, int, int, int]]) -> list[str]:
    """Merged ranges as openpyxl names them ("A1" for a one-cell range), top to bottom, left to right."""
    out = []
    for r1, c1, r2, c2 in sorted(ranges):
        first = f"{_column_letters(c1)}{r1}"
        out.append(first if (r1, c1) == (r2, c2) else f"{first}:{_column_letters(c2)}{r2}")
    return out




class _SheetReader:
    """Reads one sheet through its non-empty cells only.

    A sheet whose used range is huge (a stray value in row 1,000,000, a style
    applied to a whole column) costs no more than its filled cells.
    """

    def __init__(self, raw: RawWorkbook, sheet: _Sheet):
        self.raw, self.sheet, self.title = raw, sheet, sheet.title
        # cells keyed by (row, column), both 1-based
        self.values: dict[tuple[int, int], Any] = {
            (r - 1, c - 1): cell for (r, c), cell in sheet.cells.items() if cell.value is not None}
        self.formulas: dict[tuple[int, int], str] = {}
        if sheet.formula_cells is not None:
            for (r, c), cell in sheet.formula_cells.items():
                formula = _formula_text(cell.value)
                if formula:
                    self.formulas[(r - 1, c - 1)] = formula
        self.rows_used = sorted({r for r, _ in self.values} | {r for r, _ in self.formulas})

    def cell(self, row_idx: int, col_idx: int) -> RawCell:
        """0-based indices into the sheet."""
        coord = f"{_column_letters(col_idx + 1)}{row_idx + 1}"
        c = self.values.get((row_idx, col_idx))
        if c is not None:
            value, fmt = c.value, c.number_format
        else:
            styled = self.sheet.cells.get((row_idx + 1, col_idx + 1))
            value, fmt = None, (styled.number_format if styled is not None else "General")
        formula = self.formulas.get((row_idx, col_idx)) if self.formulas else None
        return RawCell(value, self.title, coord, fmt or "General", formula)

    def _problem(self, coord: str | None, text: str) -> None:
        self.raw.problems.append(Problem(Location(self.raw.file, self.title, coord), text))

    def _label_rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i in self.rows_used:
            cell = self.values.get((i, 0))
            if i >= schema.FIRST_DATA_ROW - 1 and cell is not None:
                key = normalize_label(cell.value)
                if key and key not in out:
                    out[key] = i
        return out

    def _header_columns(self) -> dict[str, int]:
        header_idx = schema.HEADER_ROW - 1
        out: dict[str, int] = {}
        for (r, j), cell in sorted(self.values.items()):
            if r == header_idx:
                out.setdefault(normalize_label(cell.value), j)
        return out

    def fields(self, sheet) -> dict[str, RawCell | None]:
        labels = self._label_rows()
        out: dict[str, RawCell | None] = {}
        for f in sheet.fields:
            i = labels.get(normalize_label(f.label))
            if i is None:
                out[f.key] = None
                if f.required:
                    self._problem(None, msg("row_missing", label=f.label))
                continue
            out[f.key] = self.cell(i, 1)
            self.raw.label_cells[(sheet.name, f.key)] = f"A{i + 1}"
        return out

    def grid(self, sheet) -> dict[str, dict[str, RawCell | None]]:
        labels = self._label_rows()
        cols = self._header_columns()
        col_idx = {}
        for c in sheet.columns:
            j = cols.get(normalize_label(c.label))
            if j is None:
                self._problem(None, msg("column_missing", row=schema.HEADER_ROW, label=c.label))
            col_idx[c.key] = j
        out: dict[str, dict[str, RawCell | None]] = {}
        for r in sheet.rows:
            i = labels.get(normalize_label(r.label))
            if i is None:
                out[r.key] = {c.key: None for c in sheet.columns}
                if r.required:
                    self._problem(None, msg("row_missing", label=r.label))
                continue
            out[r.key] = {c.key: (self.cell(i, j) if j is not None else None) for c, j in
                          ((c, col_idx[c.key]) for c in sheet.columns)}
        return out

    def table(self, sheet) -> list[dict[str, RawCell]]:
        cols = self._header_columns()
        col_idx: dict[str, int] = {}
        for c in sheet.columns:
            j = cols.get(normalize_label(c.label))
            if j is None:
                if c.required:
                    self._problem(None, msg("column_missing", row=schema.HEADER_ROW, label=c.label))
                continue
            col_idx[c.key] = j
        records = []
        for i in self.rows_used:
            if i < schema.FIRST_DATA_ROW - 1:
                continue
            rec = {key: self.cell(i, j) for key, j in col_idx.items()}
            if all(_blank(c.value) and not c.formula for c in rec.values()):
                continue
            records.append(rec)
        return records


def _formula_text(value: Any) -> str | None:
    """The formula of a cell read with ``data_only=False``, or None."""
    if isinstance(value, str) and value.startswith("="):
        return value
    if value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        return getattr(value, "text", None) or str(value)
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
