"""Stage 1 — read: find a unit's workbook and pull raw cells out of it by the schema.

Nothing here interprets values: each cell comes back as a ``RawCell`` with its
value, number format, formula (if any) and address, so that later stages can
name the exact cell in every message. The user's workbook is opened read-only
and never saved.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .errors import Location, Problem, UserError
from .messages import msg

MAX_UNCOMPRESSED_MB = 200  # a unit's workbook is well under 5 MB; beyond this it is a zip bomb or the wrong file
MAX_FILE_MB = 50  # size on disk
MAX_MEMBERS = 2000  # parts in the zip package; Excel writes a few dozen
OLD_FORMATS = (".xls", ".et", ".ett", ".xlt")


@dataclass(frozen=True)
class RawCell:
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


def _check_container(path: Path) -> bool:
    """Refuse what is not a sane .xlsx; return whether any sheet holds formulas."""
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
            has_formula = False
            for info in infos:
                if info.filename.startswith("xl/worksheets/sheet"):
                    data = zf.read(info)
                    if b"<f>" in data or b"<f " in data:
                        has_formula = True
                        break
            return has_formula
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


def read_workbook(path: Path) -> RawWorkbook:
    """Open ``path`` and extract every schema cell. Structural problems are collected, not raised."""
    import openpyxl  # imported here: start-up of ``generate --help`` stays fast

    path = Path(path)
    has_formula = _check_container(path)
    try:
        with warnings.catch_warnings():  # openpyxl warns in English about features it drops; not our user's concern
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, data_only=True)
            wb_formulas = openpyxl.load_workbook(path, data_only=False) if has_formula else None
    except UserError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise UserError(msg("workbook_unreadable", name=path.name, detail=type(exc).__name__ + ": " + str(exc)[:200])) from None

    raw = RawWorkbook(path=path, file=path.name, sheet_names=list(wb.sheetnames))
    for sheet_schema in schema.SHEETS:
        if sheet_schema.name not in wb.sheetnames:
            if sheet_schema.name in schema.REQUIRED_SHEETS:
                raw.problems.append(Problem(Location(raw.file, sheet_schema.name),
                                            msg("sheet_missing", sheet=sheet_schema.name,
                                                names="、".join(wb.sheetnames))))
            continue
        ws = wb[sheet_schema.name]
        wsf = wb_formulas[sheet_schema.name] if wb_formulas is not None else None
        raw.merged[sheet_schema.name] = [str(r) for r in ws.merged_cells.ranges]
        reader = _SheetReader(raw, ws, wsf)
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

    def __init__(self, raw: RawWorkbook, ws, wsf):
        self.raw, self.ws, self.wsf = raw, ws, wsf
        # openpyxl keeps a worksheet's cells in ``_cells`` keyed by (row, column), both 1-based
        self.values: dict[tuple[int, int], Any] = {}
        for (r, c), cell in ws._cells.items():
            if cell.value is not None:
                self.values[(r - 1, c - 1)] = cell
        self.formulas: dict[tuple[int, int], str] = {}
        if wsf is not None:
            for (r, c), cell in wsf._cells.items():
                formula = _formula_text(cell.value)
                if formula:
                    self.formulas[(r - 1, c - 1)] = formula
        self.rows_used = sorted({r for r, _ in self.values} | {r for r, _ in self.formulas})

    def cell(self, row_idx: int, col_idx: int) -> RawCell:
        """0-based indices into the sheet."""
        from openpyxl.utils import get_column_letter

        coord = f"{get_column_letter(col_idx + 1)}{row_idx + 1}"
        c = self.values.get((row_idx, col_idx))
        value, fmt = (c.value, c.number_format) if c is not None else (None, "General")
        if c is None:
            styled = self.ws._cells.get((row_idx + 1, col_idx + 1))
            fmt = styled.number_format if styled is not None else "General"
        return RawCell(value, self.ws.title, coord, fmt or "General", self.formulas.get((row_idx, col_idx)))

    def _problem(self, coord: str | None, text: str) -> None:
        self.raw.problems.append(Problem(Location(self.raw.file, self.ws.title, coord), text))

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
