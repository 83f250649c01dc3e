"""Stage 1 — read: find a unit's workbook and pull its cells out by the schema.

Nothing here interprets values: each cell comes back as a ``RawCell`` with its
value, number format, formula (if any) and address, so that later stages can
name the exact cell in every message. The clerk's workbook is opened read-only
and never saved. The file format itself is ``formats.xlsx_read``'s business.
"""

from __future__ import annotations

import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from . import schema
from .errors import Location, Problem, UserError
from .formats.xlsx_read import OLD_FORMATS, Book, Sheet, open_book
from .formats.xlsx_write import column as column_letters
from .layout import (LOCK_FILE_PREFIX, WORKBOOK_SUFFIX, check_unit_path, is_single_layout, is_unit_folder,
                     unit_data_dir, workbook_path, workbook_with_suffix)
from .messages import msg


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
    notices: list[Problem] = field(default_factory=list)  # accepted as read, worth telling (a renamed sheet)


# --------------------------------------------------------------------------- locating


def is_lock_file(path: Path) -> bool:
    return path.name.startswith(LOCK_FILE_PREFIX)


def check_regular(path: Path, what: str = "workbook") -> None:
    """Refuse a dangling link, a FIFO or a device where a file is expected, naming it as such."""
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise UserError(msg("path_dangling_link", path=path)) from None
        raise
    if not stat.S_ISREG(st.st_mode):
        mode = st.st_mode
        key = ("path_fifo" if stat.S_ISFIFO(mode) else "path_directory" if stat.S_ISDIR(mode)
               else "path_socket" if stat.S_ISSOCK(mode)
               else "path_device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "path_not_regular")
        raise UserError(msg(key, path=path))


def workbook_candidates(folder: Path) -> list[Path]:
    """Workbook-like files in ``folder`` (lock files left out), to list when the wanted one is missing."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in (WORKBOOK_SUFFIX, ".xlsm") + OLD_FORMATS and not is_lock_file(p))


def find_workbook(data_dir: Path, year: int, unit: str | None = None) -> Path:
    """``DATA/YEAR.xlsx`` for one unit, or ``DATA/<unit>/YEAR.xlsx`` when ``unit`` is given."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(msg("data_dir_missing", path=data_dir))
    if unit is not None:
        check_unit_path(unit)
    folder = unit_data_dir(data_dir, unit)
    if unit is not None:
        if not folder.is_dir():
            names = "、".join(u for u, _ in list_units(data_dir, year)) or msg("list_none")
            raise UserError(msg("unit_missing", unit=unit, path=data_dir, names=names))
    target = workbook_path(data_dir, year, unit)
    if target.is_symlink() and not target.exists():
        raise UserError(msg("path_dangling_link", path=target))
    if target.exists():
        check_regular(target)
        return target
    for ext in OLD_FORMATS:
        old = workbook_with_suffix(folder, year, ext)
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
        if is_unit_folder(sub):
            candidate = workbook_path(data_dir, year, sub.name)
            if candidate.exists() or candidate.is_symlink() or any(workbook_with_suffix(sub, year, e).is_file()
                                                                   for e in OLD_FORMATS):
                out.append((sub.name, candidate))
    return out


def find_units(data_dir: Path, year: int, unit: str | None) -> list[tuple[str, Path]] | None:
    """The units of a county folder, or None when this is a one-unit run.

    One-unit run: ``unit`` is given, or ``DATA/YEAR.xlsx`` exists, or there is
    no unit sub-folder (then ``find_workbook`` explains what is missing).
    """
    data_dir = Path(data_dir)
    if unit is not None or not data_dir.is_dir() or is_single_layout(data_dir, year):
        return None
    return list_units(data_dir, year) or None


def lock_file_notice(workbook: Path) -> Problem | None:
    """Excel/WPS keep ``~$2024.xlsx`` beside a workbook that is open: its unsaved edits are not in the file."""
    lock = workbook.with_name(LOCK_FILE_PREFIX + workbook.name)
    if lock.exists():
        return Problem(Location(workbook.name), msg("notice_lock_file", name=workbook.name, lock=lock.name))
    return None


# --------------------------------------------------------------------------- reading

_LABEL_NOISE = re.compile(r"[\s\u3000:：*＊]|（[^）]*）|\([^)]*\)")


def normalize_label(text: Any) -> str:
    return _LABEL_NOISE.sub("", unicodedata.normalize("NFKC", str(text))) if text is not None else ""


def _sheet_key(name: str) -> str:
    """A sheet name as a clerk means it: full-width characters and spaces do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


_SCHEMA_SHEETS = {_sheet_key(s.name): s for s in schema.SHEETS}


def read_workbook(path: Path) -> RawWorkbook:
    """Open ``path`` and extract every schema cell. Structural problems are collected, not raised."""
    path = Path(path)
    matched: dict[str, str] = {}  # schema sheet name -> the workbook's name for it

    def select(names: list[str]) -> list[str]:
        for actual in names:
            wanted = _SCHEMA_SHEETS.get(_sheet_key(actual))
            if wanted is not None and wanted.name not in matched:
                matched[wanted.name] = actual
        return list(matched.values())

    return _extract(path, open_book(path, select), matched)


def _extract(path: Path, book: Book, matched: dict[str, str]) -> RawWorkbook:
    raw = RawWorkbook(path=path, file=path.name, sheet_names=list(book.sheet_names))
    for sheet_schema in schema.SHEETS:
        actual = matched.get(sheet_schema.name)
        if actual is None or actual not in book.sheets:
            if sheet_schema.name in schema.REQUIRED_SHEETS:
                raw.problems.append(Problem(Location(raw.file, sheet_schema.name),
                                            msg("sheet_missing", sheet=sheet_schema.name,
                                                names="、".join(book.sheet_names))))
            continue
        if actual != sheet_schema.name:
            raw.notices.append(Problem(Location(raw.file, actual),
                                       msg("notice_sheet_renamed", actual=actual, expected=sheet_schema.name)))
        sheet = book.sheets[actual]
        raw.merged[sheet_schema.name] = sheet.merged
        reader = _SheetReader(raw, sheet, sheet_schema.name)
        if sheet_schema.kind == "fields":
            raw.fields[sheet_schema.name] = reader.fields(sheet_schema)
        elif sheet_schema.kind == "grid":
            raw.grids[sheet_schema.name] = reader.grid(sheet_schema)
        else:
            raw.tables[sheet_schema.name] = reader.table(sheet_schema)
    return raw


class _SheetReader:
    """Reads one sheet through its non-empty cells only.

    A sheet whose used range is huge (a stray value in row 1,000,000, a style
    applied to a whole column) costs no more than its filled cells.
    """

    def __init__(self, raw: RawWorkbook, sheet: Sheet, name: str):
        self.raw, self.sheet, self.title = raw, sheet, sheet.title
        self.name = name  # the schema's name of the sheet (cells are located under the workbook's own)
        # cells keyed by 0-based (row, column)
        self.values = {(r - 1, c - 1): cell for (r, c), cell in sheet.cells.items() if cell.value is not None}
        self.formulas = {(r - 1, c - 1): f for (r, c), f in sheet.formulas.items()}
        self.rows_used = sorted({r for r, _ in self.values} | {r for r, _ in self.formulas})

    def cell(self, row_idx: int, col_idx: int) -> RawCell:
        coord = f"{column_letters(col_idx + 1)}{row_idx + 1}"
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

    def fields(self, sheet: schema.FieldsSheet) -> dict[str, RawCell | None]:
        labels = self._label_rows()
        value_col = self._header_columns().get("内容", 1)  # the header names the value column (B when laid out by us)
        out: dict[str, RawCell | None] = {}
        for f in sheet.fields:
            i = labels.get(normalize_label(f.label))
            if i is None:
                out[f.key] = None
                if f.required:
                    self._problem(None, msg("row_missing", label=f.label))
                continue
            out[f.key] = self.cell(i, value_col)
            self.raw.label_cells[(sheet.name, f.key)] = f"A{i + 1}"
        self._shifted_column(sheet, out, value_col)
        return out

    def _shifted_column(self, sheet: schema.FieldsSheet, cells: dict[str, RawCell | None], value_col: int) -> None:
        """Every value cell empty but the column beside it holding values (not the units laid out there):
        a column was probably inserted."""
        rows = [(int(re.sub(r"\D", "", cells[f.key].coord)) - 1, f.unit) for f in sheet.fields
                if cells.get(f.key) is not None]
        if len(rows) < 3 or any(self.values.get((r, value_col)) is not None for r, _ in rows):
            return
        beside = [r for r, unit in rows if (c := self.values.get((r, value_col + 1))) is not None
                  and str(c.value).strip() != unit]
        if len(beside) * 2 >= len(rows):
            first = column_letters(value_col + 1)
            self._problem(f"{first}{min(r for r, _ in rows) + 1}", msg("column_shifted", column=first,
                                                           next=column_letters(value_col + 2)))

    def grid(self, sheet: schema.GridSheet) -> dict[str, dict[str, RawCell | None]]:
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
                continue
            out[r.key] = {c.key: (self.cell(i, j) if j is not None else None) for c, j in
                          ((c, col_idx[c.key]) for c in sheet.columns)}
        return out

    def table(self, sheet: schema.TableSheet) -> list[dict[str, RawCell]]:
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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_unit_name(path: Path) -> tuple[str, str] | None:
    """(基本信息 › 单位全称 as typed, its cell as ``file › sheet › cell``) read from that sheet alone, or None when
    the workbook or the cell cannot be read (its own run says why)."""
    path = Path(path)
    matched: dict[str, str] = {}
    key = _sheet_key(schema.BASIC.name)

    def select(names: list[str]) -> list[str]:
        found = next((n for n in names if _sheet_key(n) == key), None)
        if found is not None:
            matched[schema.BASIC.name] = found
        return [found] if found is not None else []

    try:
        book = open_book(path, select)
        actual = matched.get(schema.BASIC.name)
        if actual is None or actual not in book.sheets:
            return None
        raw = RawWorkbook(path=path, file=path.name, sheet_names=list(book.sheet_names))
        cell = _SheetReader(raw, book.sheets[actual], schema.BASIC.name).fields(schema.BASIC).get("name")
    except (UserError, OSError, ValueError):
        return None
    if cell is None or not isinstance(cell.value, str) or not cell.value.strip():
        return None
    return cell.value.strip(), str(cell.location(path.name))
