"""The annotated workbook: a copy of the clerk's workbook with the audit's findings marked on it.

``annotate(source, findings, title)`` returns the bytes of a copy of the
workbook (the source is only read) in which

* every cell a finding names is filled — red for an error (错误), yellow for a
  hint (提示); a cell named by both is red — and carries the finding's message
  as a comment (author 审核; a comment already on the cell is kept and the
  messages appended to it);
* a first sheet 审核结果 lists the findings, errors first: 序号, 类别, 工作表,
  单元格 (a hyperlink to the cell), 说明 — under a title row and a header row
  that stays in view and is repeated on every printed page. A cell of a sheet
  the workbook does not have is listed, not linked. An existing 审核结果
  sheet (from an earlier run) is replaced.

A finding is a plain record: an object with attributes, a mapping with keys,
or a tuple, of ``severity`` ("错误" / "提示"), ``message`` and ``cells``, a list
of (sheet name, cell coordinate like "C7" or a range "C7:D9").
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink

from ..errors import ERROR, HINT
from . import xlsx_book
from .xlsx_comment import RANK, Finding, comment_text, record

RESULTS_SHEET = "审核结果"
AUTHOR = "审核"
HEADERS = ("序号", "类别", "工作表", "单元格", "说明")
WIDTHS = (6, 8, 18, 10, 72)
ERROR_FILL = PatternFill("solid", fgColor="FF7C80")  # red: the input workbook's own fills are pale yellow/orange/grey
HINT_FILL = PatternFill("solid", fgColor="FFFF00")  # yellow
HEADER_FILL = PatternFill("solid", fgColor="BDD7EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name="宋体", size=14, bold=True)
HEADER_FONT = Font(name="宋体", size=11, bold=True)
CELL_FONT = Font(name="宋体", size=11)
LINK_FONT = Font(name="宋体", size=11, color="0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="top", wrap_text=True)
HEADER_ROW = 2
COMMENT_WIDTH = 260  # points


def _bounds(coord: str) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of a cell or bounded range, or None for anything else."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(coord)
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return min_col, min_row, max_col, max_row


FieldsSheet = tuple[str, str, Sequence[str], Sequence[Sequence[Any]]]  # (sheet name, title, headers, rows)


def annotate(source: Path | bytes, findings: Iterable[Any], title: str, fields: FieldsSheet | None = None) -> bytes:
    """The annotated copy of the workbook ``source`` (a path or .xlsx bytes) as .xlsx bytes.

    ``fields``: a sheet (name, title, headers, rows) written last in place of one of that name — the 模板字段
    sheet, with what each name prints for this workbook as this run found it.
    """
    data = Path(source).read_bytes() if not isinstance(source, (bytes, bytearray)) else bytes(source)
    with warnings.catch_warnings():  # openpyxl warns in English about extensions it does not keep
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data))
    records = sorted((record(f) for f in findings), key=lambda f: RANK[f.severity])  # stable: errors first
    if RESULTS_SHEET in wb.sheetnames:
        wb.remove(wb[RESULTS_SHEET])
    _drop_earlier_notes(wb)
    _mark_cells(wb, records)
    _results_sheet(wb, records, title)
    if fields is not None:
        _fields_sheet(wb, *fields)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet(wb: Any, name: str) -> Any:
    """The worksheet called ``name``, or None (no such sheet, or a chart sheet)."""
    if name not in wb.sheetnames:
        return None
    ws = wb[name]
    return ws if hasattr(ws, "_cells") else None


def _drop_earlier_notes(wb: Any) -> None:
    """A workbook annotated before: the comments (and parts of comments) an earlier run added are taken out.

    (The fills an earlier run gave are kept: the cell's own fill is not known any more.)
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                comment = cell.comment
                if comment is None:
                    continue
                text = comment.text or ""
                if text.startswith(_NOTE_HEAD):
                    cell.comment = None
                elif "\n" + _NOTE_HEAD in text:
                    kept = Comment(text[:text.index("\n" + _NOTE_HEAD)], comment.author)
                    kept.width, kept.height = comment.width, comment.height
                    cell.comment = kept


_NOTE_HEAD = AUTHOR + "：\n"  # the first line of what this module writes into a comment


def _mark_cells(wb: Any, records: list[Finding]) -> None:
    """Fill and comment each cell named by a finding: the worst severity's fill, every message in the comment."""
    marks: dict[tuple[str, int, int], tuple[str, list[str]]] = {}  # (sheet, row, col) → (severity, messages)
    for f in records:
        for sheet, coord in f.cells:
            ws, bounds = _sheet(wb, sheet), _bounds(coord)
            if ws is None or bounds is None:
                continue
            min_col, min_row, max_col, max_row = bounds
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    r0, c0 = _top_left(ws, r, c)
                    key = (sheet, r0, c0)
                    severity, messages = marks.get(key, (HINT, []))
                    text = comment_text(f.severity, f.message)  # a long message cut (xlsx_comment)
                    if text not in messages:
                        messages.append(text)
                    marks[key] = (ERROR if ERROR in (severity, f.severity) else HINT, messages)
    for (sheet, r, c), (severity, messages) in marks.items():
        cell = wb[sheet].cell(row=r, column=c)
        cell.fill = ERROR_FILL if severity == ERROR else HINT_FILL
        body = "\n".join(messages)
        old = cell.comment
        if old is not None and old.text:
            text = old.text.rstrip("\n") + "\n" + _NOTE_HEAD + body
            author = old.author or AUTHOR
        else:
            text, author = _NOTE_HEAD + body, AUTHOR
        comment = Comment(text, author)
        comment.width = COMMENT_WIDTH
        lines = sum(max(1, -(-len(line) // 18)) for line in text.split("\n"))  # ~18 characters a line
        comment.height = min(400, 16 * lines + 12)
        cell.comment = comment


def _top_left(ws: Any, row: int, col: int) -> tuple[int, int]:
    """The cell that holds a merged range's value and comment, for any cell of the range."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return rng.min_row, rng.min_col
    return row, col


def _results_sheet(wb: Any, records: list[Finding], title: str) -> None:
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False  # (two selected tabs would open as a group)
    ws = wb.create_sheet(RESULTS_SHEET, 0)
    wb.active = 0
    ws.sheet_view.tabSelected = True
    ncols = len(HEADERS)
    errors = sum(1 for f in records if f.severity == ERROR)
    head = ws.cell(row=1, column=1, value=title)
    head.font, head.alignment = TITLE_FONT, Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.row_dimensions[1].height = 30
    for j, label in enumerate(HEADERS, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=label)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
    for j, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    r = HEADER_ROW + 1
    for number, f in enumerate(records, start=1):
        refs = list(f.cells) or [("", "")]
        first = r
        for sheet, coord in refs:
            _result_row(ws, wb, r, number, f, sheet, coord, first=(r == first))
            r += 1
        if r - first > 1:
            for col in (1, 2, 5):  # one finding, several cells: its number, kind and message span them
                ws.merge_cells(start_row=first, start_column=col, end_row=r - 1, end_column=col)
    if not records:
        c = ws.cell(row=r, column=1, value="未发现问题。")
        c.font = CELL_FONT
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        r += 1
    summary = ws.cell(row=r + 1, column=1, value=f"共 {len(records)} 条：错误 {errors} 条，提示 {len(records) - errors} 条。"
                      "点击单元格可转到工作表中标出的格子（红色为错误，黄色为提示，说明见批注）。")
    summary.font, summary.alignment = CELL_FONT, WRAP
    ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=ncols)
    xlsx_book.freeze_header(ws, HEADER_ROW)
    xlsx_book.print_setup(ws, landscape=True, title_rows=HEADER_ROW)
    xlsx_book.fit_row_heights(ws, min_row=HEADER_ROW + 1)


def _result_row(ws: Any, wb: Any, r: int, number: int, f: Finding, sheet: str, coord: str, first: bool) -> None:
    fill = ERROR_FILL if f.severity == ERROR else HINT_FILL
    values = (number, f.severity, sheet or None, coord or None, f.message) if first else \
        (None, None, sheet or None, coord or None, None)
    for j, value in enumerate(values, start=1):
        c = ws.cell(row=r, column=j, value=value)
        c.font, c.border = CELL_FONT, BORDER
        c.alignment = WRAP if j == 5 else CENTER
    ws.cell(row=r, column=2).fill = fill
    target = _sheet(wb, sheet) if sheet else None
    if target is not None and _bounds(coord) is not None:
        link = ws.cell(row=r, column=4)
        location = f"{quote_sheetname(sheet)}!{coord}"
        link.hyperlink = Hyperlink(ref=link.coordinate, location=location, tooltip=f"转到 {sheet} {coord}")
        link.font = LINK_FONT


FIELD_WIDTHS = (34, 40, 24, 50, 24)


def _fields_sheet(wb: Any, name: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain sheet of values (no formulas: what this run printed), replacing one of the same name, last."""
    if name in wb.sheetnames:
        wb.remove(wb[name])
    ws = wb.create_sheet(name)
    ws.cell(row=1, column=1, value=title).font = TITLE_FONT
    for j, label in enumerate(headers, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=label)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
    for i, values in enumerate(rows, start=HEADER_ROW + 1):
        for j, value in enumerate(values, start=1):
            c = ws.cell(row=i, column=j, value=value)
            c.font, c.border, c.alignment = CELL_FONT, BORDER, WRAP
    for j, width in enumerate(FIELD_WIDTHS[:len(headers)], start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    xlsx_book.freeze_header(ws, HEADER_ROW)
    xlsx_book.print_setup(ws, landscape=True, title_rows=HEADER_ROW)
    xlsx_book.protect(ws, [])
