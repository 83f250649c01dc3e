"""The attachment forms of a rendered report, as an Excel workbook built from the Word tables themselves.

``forms(document)`` reads the rendered document: after an attachment marker
(a line that reads ``附件1``, ``附件 2``…) come the form's title lines and unit
line, its tables (a lead table and a main table joined by an empty line count
as one form), and its notes (``注：``, ``说明：``). A new title after a form's
tables starts the next form of the same attachment (附件3 has one per project).

``workbook(forms)`` writes each form on a sheet of its own with the same
cells, merges (``gridSpan``, ``vMerge``), column widths (from the table grid),
alignment and bold headings; figures as the report prints them become Excel
numbers with the matching number format (``1813.15`` → 0.00, ``85.09%`` → 0.00%);
every sheet is printed on A4 in its section's orientation, fit to width, with
its header rows repeated. So a form a clerk adds, removes or redraws in Word
appears the same in Excel, and the two cannot drift. No form, no workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from .docx_package import W
from .docx_render import _child, restore
from .xlsx_write import Sheet, Styles, clean, package

TWIPS_PER_CM = 567
_MARKER = re.compile(r"^\s*附件\s*(\d*)\s*$")
_NOTE = re.compile(r"^\s*(注|说明|备注)\s*[:：]")
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")
_PERCENT = re.compile(r"^-?\d+(?:\.(\d+))?%$")
TABLE_FONT = ("仿宋_GB2312", 10.5, False)
HEAD_FONT = ("仿宋_GB2312", 10.5, True)
MARKER_FONT = ("黑体", 16, False)
TITLE_FONT = ("方正小标宋简体", 18, False)
NOTE_FONT = ("仿宋_GB2312", 12, False)
LINE_PT = 14
CHARS_PER_CM = 2.6  # 五号 CJK characters per cm of cell, margins allowed for
MAX_SHEET_NAME = 31


@dataclass
class Cell:
    text: str
    span: int
    vmerge: str | None  # restart | continue | None
    align: str  # left | center | right
    bold: bool


@dataclass
class Table:
    widths: list[float]  # cm
    rows: list[list[Cell]]
    header_rows: int  # rows marked to repeat


@dataclass
class Form:
    marker: str
    titles: list[str] = field(default_factory=list)
    unit_lines: list[str] = field(default_factory=list)  # "left\tright"
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    landscape: bool = False


_T, _BR, _TAB, _R = W + "t", W + "br", W + "tab", W + "r"


def _text(element: etree._Element) -> str:
    out = []
    for el in element.iter(_T, _BR, _TAB, _P):
        tag = el.tag
        if tag == _T:
            out.append(el.text or "")
        elif tag == _BR:
            out.append("\n")
        elif tag == _TAB:
            if el.getparent().tag == _R:  # a tab character (not a tab stop of the paragraph's properties)
                out.append("\t")
        elif tag == _P and out:  # a paragraph (inside this one: a text box)
            out.append("\n")
    return restore("".join(out)).strip("\n")


def _paragraph_text(p: etree._Element) -> str:
    return _text(p).strip()


_TCPR, _GRID_SPAN, _VMERGE, _P, _PPR, _JC, _B, _VAL = (W + "tcPr", W + "gridSpan", W + "vMerge", W + "p", W + "pPr",
                                                        W + "jc", W + "b", W + "val")
_TBL_GRID, _GRID_COL, _TR, _TRPR, _TBL_HEADER, _TC, _W_W = (W + "tblGrid", W + "gridCol", W + "tr", W + "trPr",
                                                            W + "tblHeader", W + "tc", W + "w")
_ALIGN = {"center": "center", "right": "right", "end": "right"}


def _cell(tc: etree._Element) -> Cell:
    span, vmerge, jc = 1, None, None
    texts = []
    properties = False
    for child in tc:
        tag = child.tag
        if tag == _P:
            texts.append(_text(child))
            if jc is None:
                ppr = _child(child, _PPR)
                if ppr is not None:
                    jc = _child(ppr, _JC)
        elif tag == _TCPR and not properties:  # (the first one, as Word reads it)
            properties = True
            gs, vm = _child(child, _GRID_SPAN), _child(child, _VMERGE)
            if gs is not None and (gs.get(_VAL) or "").isdigit():
                span = int(gs.get(_VAL))
            if vm is not None:
                vmerge = "restart" if vm.get(_VAL) == "restart" else "continue"
    align = _ALIGN.get(jc.get(_VAL) if jc is not None else "", "left")
    bold = any(b.get(_VAL) not in ("0", "false") for b in tc.iter(_B))
    return Cell("\n".join(t for t in texts if t) if len(texts) > 1 else (texts[0] if texts else ""), span, vmerge,
                align, bold)


def _table(tbl: etree._Element) -> Table:
    grid = _child(tbl, _TBL_GRID)
    widths = [int(float(c.get(_W_W) or 0)) / TWIPS_PER_CM for c in grid.iterchildren(_GRID_COL)] \
        if grid is not None else []
    rows, header_rows = [], 0
    for k, tr in enumerate(tbl.iterchildren(_TR)):
        trpr = _child(tr, _TRPR)
        if trpr is not None and _child(trpr, _TBL_HEADER) is not None and header_rows == k:
            header_rows += 1
        rows.append([_cell(tc) for tc in tr.iterchildren(_TC)])
    ncols = max((sum(c.span for c in row) for row in rows), default=0)
    if len(widths) < ncols:
        widths += [2.0] * (ncols - len(widths))
    return Table(widths[:ncols] if ncols else widths, rows, header_rows)


def _landscape(sect: etree._Element | None) -> bool:
    if sect is None:
        return False
    size = sect.find(W + "pgSz")
    if size is None:
        return False
    if size.get(W + "orient") == "landscape":
        return True
    try:
        return int(size.get(W + "w") or 0) > int(size.get(W + "h") or 0)
    except ValueError:
        return False


class FormReader:
    """Reads the forms from the body's elements as they come (``docx_render``'s visitor: a large report's
    body is never held whole); ``forms()`` then gives them."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        self.found: list[Form] = []
        self.pending: list[Form] = []  # forms whose section (orientation) is not known yet
        self.current: Form | None = None

    def element(self, child: etree._Element) -> None:
        if child.tag == W + "p":
            text = _paragraph_text(child)
            marker = _MARKER.match(text)
            current = self.current
            if marker:
                self.current = Form(marker=f"附件{marker.group(1)}")
                self.found.append(self.current)
                self.pending.append(self.current)
            elif current is not None and text:
                if _NOTE.match(text):
                    current.notes.append(text)
                elif current.tables:  # a title after the tables: the next form of this attachment
                    self.current = Form(marker=current.marker, titles=[text])
                    self.found.append(self.current)
                    self.pending.append(self.current)
                elif "\t" in _text(child) or len(text) > 40 or re.match(r"^(填报单位|单位)[:：]", text):
                    current.unit_lines.append(_text(child))
                else:
                    current.titles.append(text)
            sect = child.find(f"{W}pPr/{W}sectPr")
            if sect is not None:
                for form in self.pending:
                    form.landscape = _landscape(sect)
                self.pending = []
        elif child.tag == W + "tbl" and self.current is not None:
            self.current.tables.append(_table(child))
        elif child.tag == W + "sectPr":
            for form in self.pending:
                form.landscape = _landscape(child)
            self.pending = []

    def forms(self) -> list[Form]:
        return [f for f in self.found if f.tables or f.notes]


def forms(document: etree._Element) -> list[Form]:
    """The forms of a rendered main document (parsed whole)."""
    body = document.find(W + "body")
    if body is None:
        return []
    reader = FormReader()
    for child in body:
        reader.element(child)
    return reader.forms()


def _sheet_names(found: list[Form]) -> list[str]:
    counts: dict[str, int] = {}
    for form in found:
        counts[form.marker] = counts.get(form.marker, 0) + 1
    seen: dict[str, int] = {}
    names = []
    for form in found:
        seen[form.marker] = seen.get(form.marker, 0) + 1
        if counts[form.marker] > 1:
            name = f"{form.marker}-{seen[form.marker]}"
        else:
            title = re.sub(r"^\d{4}年度?", "", form.titles[0]) if form.titles else ""
            name = f"{form.marker} {title}".strip()
        name = re.sub(r"[\[\]:*?/\\]", "", name)[:MAX_SHEET_NAME]
        base, k = name, 2
        while name in names:
            name = f"{base[:MAX_SHEET_NAME - 3]}-{k}"
            k += 1
        names.append(name)
    return names


def _value(text: str) -> tuple[Any, str]:
    """A figure as an Excel number with its format; other text as it is."""
    m = _NUMBER.match(text)
    if m and len(text) <= 16:
        places = len(m.group(1) or "")
        return Decimal(text), "0" if not places else "0." + "0" * places
    m = _PERCENT.match(text)
    if m and len(text) <= 16:
        places = len(m.group(1) or "")
        return Decimal(text[:-1]) / 100, ("0" if not places else "0." + "0" * places) + "%"
    return clean(text) or None, "General"


_NARROW = re.compile("[\u0000-\u2e7f]")


def _lines(text: str, width_cm: float) -> int:
    """Lines the text takes in a cell ``width_cm`` wide: a CJK character is 1 wide, others 0.55."""
    if not text:
        return 1
    per_line = max(1, int(width_cm * CHARS_PER_CM)) * 100
    total = 0
    for part in text.split("\n"):
        wide = len(_NARROW.sub("", part))
        total += max(1, -(-(100 * wide + 55 * (len(part) - wide)) // per_line))
    return total


def _write(sheet: Sheet, form: Form) -> None:
    styles = sheet.styles
    widths = max((t.widths for t in form.tables), key=len, default=[16.0])
    ncols = len(widths)
    sheet.widths = tuple(widths)
    r = 1
    sheet.put(r, 1, form.marker, styles.xf(MARKER_FONT))
    r += 1
    title_xf = styles.xf(TITLE_FONT, align=("center", "center", True))
    for line in form.titles:
        sheet.put(r, 1, clean(line), title_xf)
        if ncols > 1:
            sheet.merge(r, 1, r, ncols)
        sheet.heights[r] = 28 * _lines(line, sum(widths) * 0.55)
        r += 1
    for line in form.unit_lines:
        left, _, right = line.partition("\t")
        sheet.put(r, 1, clean(left.strip()) or None, styles.xf(NOTE_FONT))
        if right.strip():
            sheet.put(r, ncols, clean(right.strip()), styles.xf(NOTE_FONT, align=("right", "", False)))
        r += 1
    first_table_row = r
    for table in form.tables:
        if sheet.print_titles is None and table.header_rows:
            sheet.print_titles = r + table.header_rows - 1
        r = _write_table(sheet, table, r)
    note_xf = styles.xf(NOTE_FONT, align=("", "top", True))
    for note in form.notes:
        sheet.put(r, 1, clean(note), note_xf)
        if ncols > 1:
            sheet.merge(r, 1, r, ncols)
        sheet.heights[r] = LINE_PT * _lines(note, sum(widths) * 1.15) + 6
        r += 1
    sheet.landscape = form.landscape
    sheet.print_area = (ncols, max(r - 1, first_table_row))


def _write_table(sheet: Sheet, table: Table, first: int) -> int:
    styles = sheet.styles
    xfs: dict[tuple[str, bool, str], int] = {}
    # where each cell sits in the grid, and the vertical merges
    placed: list[list[tuple[int, Cell]]] = []
    for row in table.rows:
        col, cells = 1, []
        for cell in row:
            cells.append((col, cell))
            col += cell.span
        placed.append(cells)
    restart_end: dict[tuple[int, int], int] = {}
    open_merges: dict[tuple[int, int], int] = {}  # (col, span) → row index of its restart
    for i, cells in enumerate(placed):
        seen = set()
        for col, cell in cells:
            key = (col, cell.span)
            if cell.vmerge == "restart":
                open_merges[key] = i
                restart_end[(i, col)] = i
            elif cell.vmerge == "continue" and key in open_merges:
                restart_end[(open_merges[key], col)] = i
            seen.add(key)
            if cell.vmerge != "continue" and cell.vmerge != "restart":
                open_merges.pop(key, None)
    covered = {(k, col) for (i, col), last in restart_end.items() for k in range(i + 1, last + 1)}
    for i, cells in enumerate(placed):
        r = first + i
        lines = 1
        for col, cell in cells:
            value, number_format = _value(cell.text) if (i, col) not in covered else (None, "General")
            key = (cell.align, cell.bold, number_format)
            xf = xfs.get(key)
            if xf is None:
                xf = xfs[key] = styles.xf(HEAD_FONT if cell.bold else TABLE_FONT, border=True,
                                          align=(cell.align, "center", True), number_format=number_format)
            sheet.put(r, col, value, xf)
            last = restart_end.get((i, col), i)
            if last > i or cell.span > 1:
                for rr in range(r, first + last + 1):
                    for cc in range(col, col + cell.span):
                        if rr != r or cc != col:
                            sheet.put(rr, cc, None, xf)
                if (i, col) not in covered:
                    sheet.merge(r, col, first + last, col + cell.span - 1)
            if (i, col) not in covered and last == i and cell.text:
                width = sum(table.widths[col - 1: col - 1 + cell.span])
                lines = max(lines, _lines(cell.text, width))
        sheet.heights[r] = max(18, LINE_PT * lines + 4)
    return first + len(placed)


def workbook(found: list[Form]) -> bytes | None:
    """The forms as .xlsx bytes, one sheet each; None when there is no form."""
    if not found:
        return None
    styles = Styles()
    sheets = []
    for name, form in zip(_sheet_names(found), found):
        sheet = Sheet(name, styles)
        _write(sheet, form)
        sheets.append(sheet)
    return package(sheets, styles)
