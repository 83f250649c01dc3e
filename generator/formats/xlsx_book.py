"""Helpers that make the clerk's input workbook safe to fill and to print (openpyxl).

The workbook a clerk fills in Excel or WPS (the example, next year's, a new
unit's) is laid out by ``xlsx_writer``; these functions add what keeps it
usable, each taking an openpyxl Worksheet and cell ranges (``"B3:B20"``, or
several: ``"B3:B20 D3:D20"`` or a list):

* ``protect``: the sheet is protected without a password, so labels cannot be
  typed over, and only the input ranges stay editable (unlocked);
* ``validate_number`` / ``validate_percent`` / ``validate_date`` /
  ``validate_text_length``: a data validation with a Chinese input prompt and
  the error alert on; ``validate_kind`` picks one by the schema's kind;
* ``validate_list``: a drop-down list with the error alert on; a list longer
  than Excel's 255 characters goes to a hidden sheet (``选项``) and the
  validation refers to its range through a defined name;
* ``format_dates``: date cells shown as dates (``yyyy/m/d``);
* ``print_setup``: A4 in the sheet's orientation, fit to the page width,
  title rows repeated, margins and a page-number footer;
* ``freeze_header``: the header rows stay in view;
* ``fit_row_heights``: rows with wrapped text tall enough to show it
  (the estimate of ``sheetml.row_height``).

The saved workbook validates against the ECMA-376 schemas (tests/ooxml.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl.workbook.defined_name import DefinedName
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from . import xlsx_write as sheetml

Ranges = str | Iterable[str]

LIST_SHEET = "选项"  # the hidden sheet holding drop-down lists too long to type into a validation
DATE_FORMAT = "yyyy/m/d"
PAGE_FOOTER = "第 &P 页，共 &N 页"
MAX_PROMPT_TITLE = 32  # Excel's limits for a validation's texts
MAX_PROMPT = 255
MAX_ERROR = 225
UNLOCKED = Protection(locked=False)
DEFAULT_ALLOWED = ("formatColumns", "formatRows")  # a protected sheet still lets the clerk widen columns and rows


# ------------------------------------------------------------------------ ranges


def _ranges(cells: Ranges) -> list[str]:
    """The ranges as a list (``"B3:B20 D3"`` → [``B3:B20``, ``D3``]); a whole column or row is refused."""
    parts = cells.split() if isinstance(cells, str) else [p for c in cells for p in c.split()]
    for part in parts:
        min_col, min_row, max_col, max_row = range_boundaries(part)
        if min_row is None or max_row is None or min_col is None or max_col is None:
            raise ValueError(f"a bounded range is needed, not {part!r}")
    return parts


def _cells(ws: Worksheet, cells: Ranges) -> Iterable[Any]:
    for part in _ranges(cells):
        min_col, min_row, max_col, max_row = range_boundaries(part)
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
            yield from row


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ------------------------------------------------------------------------ protection


def unlock(ws: Worksheet, cells: Ranges) -> None:
    """Leave these cells editable when the sheet is protected."""
    for cell in _cells(ws, cells):
        cell.protection = UNLOCKED


def protect(ws: Worksheet, input_ranges: Ranges, allow: Sequence[str] = DEFAULT_ALLOWED) -> None:
    """Protect the sheet without a password; only ``input_ranges`` stay editable.

    Every other cell is locked (openpyxl's default): labels, units and help
    texts cannot be typed over. ``allow`` names what users may still do
    (``formatColumns``, ``formatRows``, ``insertRows``, ``sort``, ``autoFilter``…);
    Excel's 审阅 → 撤消工作表保护 lifts it without asking for a password.
    """
    unlock(ws, input_ranges)
    p = ws.protection
    p.sheet = p.objects = p.scenarios = True
    for name in allow:
        if not hasattr(p, name):
            raise ValueError(f"unknown protection option {name!r}")
        setattr(p, name, False)  # (an attribute set to true is what a protected sheet forbids)


# ------------------------------------------------------------------------ validations


def _add(ws: Worksheet, dv: DataValidation, cells: Ranges) -> DataValidation:
    for part in _ranges(cells):
        dv.add(part)
    ws.add_data_validation(dv)
    return dv


def _rule(kind: str, operator: str | None, formula1: str | None, formula2: str | None, prompt: str,
          title: str, error: str, error_title: str, allow_blank: bool = True) -> DataValidation:
    return DataValidation(type=kind, operator=operator, formula1=formula1, formula2=formula2,
                          allow_blank=allow_blank, showInputMessage=True, showErrorMessage=True,
                          promptTitle=_clip(title, MAX_PROMPT_TITLE), prompt=_clip(prompt, MAX_PROMPT),
                          errorTitle=_clip(error_title, MAX_PROMPT_TITLE), error=_clip(error, MAX_ERROR),
                          errorStyle="stop")


def _formula(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return str(sheetml.serial(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _show(value: Any, percent: bool = False) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}/{value.month}/{value.day}"
    if percent:
        return format((Decimal(str(value)) * 100).normalize(), "f") + "%"
    return format(Decimal(str(value)).normalize(), "f")


def _bounds(minimum: Any, maximum: Any, kind: str, percent: bool = False) -> tuple[str, str, str | None, str]:
    """(operator, formula1, formula2, the bounds in words) of a number or date rule."""
    if minimum is not None and maximum is not None:
        return ("between", _formula(minimum), _formula(maximum),
                f"，介于 {_show(minimum, percent)} 与 {_show(maximum, percent)} 之间")
    if minimum is not None:
        return "greaterThanOrEqual", _formula(minimum), None, f"，不小于 {_show(minimum, percent)}"
    if maximum is not None:
        return "lessThanOrEqual", _formula(maximum), None, f"，不大于 {_show(maximum, percent)}"
    low, high = sheetml._ANY[kind]
    return "between", low, high, ""


def validate_number(ws: Worksheet, cells: Ranges, prompt: str, minimum: Any = None, maximum: Any = None,
                    whole: bool = False, title: str = "请输入数字", error: str | None = None) -> DataValidation:
    """Only numbers (whole numbers when ``whole``), optionally between ``minimum`` and ``maximum``."""
    kind = "whole" if whole else "decimal"
    operator, f1, f2, words = _bounds(minimum, maximum, kind)
    what = "整数" if whole else "数字"
    error = error or f"这里只能填写{what}{words}。请不要输入“万元”“元”等文字或空格。"
    return _add(ws, _rule(kind, operator, f1, f2, prompt, title, error, "数字不正确"), cells)


def validate_percent(ws: Worksheet, cells: Ranges, prompt: str, minimum: Any = 0, maximum: Any = None,
                     title: str = "请输入百分数", error: str | None = None) -> DataValidation:
    """A percentage, stored as a fraction (95% is 0.95): a decimal rule, by default not below 0."""
    operator, f1, f2, words = _bounds(minimum, maximum, "decimal", percent=True)
    error = error or f"这里只能填写百分数{words}，如 95%（不要输入 95）。"
    return _add(ws, _rule("decimal", operator, f1, f2, prompt, title, error, "百分数不正确"), cells)


def validate_date(ws: Worksheet, cells: Ranges, prompt: str, minimum: dt.date | None = None,
                  maximum: dt.date | None = None, title: str = "请输入日期", error: str | None = None,
                  number_format: str = DATE_FORMAT) -> DataValidation:
    """Only dates (optionally between two), and the cells shown as dates (``yyyy/m/d``)."""
    operator, f1, f2, words = _bounds(minimum, maximum, "date")
    error = error or f"这里只能填写日期{words}，如 2025/9/15。"
    format_dates(ws, cells, number_format)
    return _add(ws, _rule("date", operator, f1, f2, prompt, title, error, "日期不正确"), cells)


def validate_text_length(ws: Worksheet, cells: Ranges, prompt: str, maximum: int, title: str = "填写说明",
                         error: str | None = None) -> DataValidation:
    """Text of at most ``maximum`` characters."""
    error = error or f"这里最多填写 {maximum} 个字。"
    return _add(ws, _rule("textLength", "lessThanOrEqual", str(maximum), None, prompt, title, error, "文字过长"),
                cells)


def validate_list(ws: Worksheet, cells: Ranges, choices: Sequence[str], prompt: str, title: str = "请从列表选择",
                  error: str | None = None) -> DataValidation:
    """A drop-down list; anything else typed is refused (error alert on).

    A list that does not fit Excel's 255 characters (or has a choice with a
    comma) is written to the hidden sheet ``选项`` and referred to through a
    defined name; the same list is written once per workbook.
    """
    choices = [str(c) for c in choices]
    if not choices:
        raise ValueError("a drop-down list needs choices")
    try:
        formula1 = sheetml.list_formula(choices)
    except ValueError:
        formula1 = _list_range(ws, choices)
    shown = "、".join(choices)
    error = error or _clip("请从下拉列表中选择。可选：" + shown, MAX_ERROR)
    return _add(ws, _rule("list", None, formula1, None, prompt, title, error, "不在列表中"), cells)


def _list_range(ws: Worksheet, choices: list[str]) -> str:
    """The defined name of the column of ``LIST_SHEET`` holding ``choices`` (written there if new)."""
    wb = ws.parent
    if LIST_SHEET in wb.sheetnames:
        lists = wb[LIST_SHEET]
    else:
        lists = wb.create_sheet(LIST_SHEET)
        lists.sheet_state = "hidden"
        lists.protection.sheet = True
    for col in range(1, lists.max_column + 1):
        existing = [lists.cell(row=r, column=col).value for r in range(1, len(choices) + 2)]
        if existing[:len(choices)] == choices and existing[len(choices)] is None:
            return _list_name(wb, col)
    col = 1 if lists.max_column == 1 and lists.cell(row=1, column=1).value is None else lists.max_column + 1
    for r, choice in enumerate(choices, start=1):
        lists.cell(row=r, column=col, value=choice)
    letter = get_column_letter(col)
    name = _list_name(wb, col)
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(LIST_SHEET)}!${letter}$1:${letter}${len(choices)}")
    lists.column_dimensions[letter].width = min(60, max(10, max(len(c) for c in choices) * 2))
    return name


def _list_name(wb: Any, col: int) -> str:
    return f"选项_{get_column_letter(col)}"


KIND_PROMPTS = {
    "wan": "请输入金额（万元），保留两位小数，如 12.50。",
    "yuan": "请输入金额（元），保留两位小数，如 1250.00。",
    "area": "请输入面积（平方米）。",
    "score": "请输入分数，如 8.50。",
    "count": "请输入整数。",
    "year": "请输入四位年份，如 2025。",
    "percent": "请输入百分数，如 95%（不要输入 95）。",
    "date": "请输入日期，如 2025/9/15。",
}


def validate_kind(ws: Worksheet, cells: Ranges, kind: str, prompt: str | None = None) -> DataValidation | None:
    """The validation for a schema kind (wan, yuan, area, score, count, year, percent, date); None for text kinds."""
    if kind not in KIND_PROMPTS:
        return None
    prompt = prompt or KIND_PROMPTS[kind]
    if kind == "percent":
        return validate_percent(ws, cells, prompt)
    if kind == "date":
        return validate_date(ws, cells, prompt)
    if kind == "count":
        return validate_number(ws, cells, prompt, minimum=0, whole=True)
    if kind == "year":
        return validate_number(ws, cells, prompt, minimum=1990, maximum=2100, whole=True, title="请输入年份")
    if kind in ("area", "score"):
        return validate_number(ws, cells, prompt, minimum=0)
    return validate_number(ws, cells, prompt)  # money may be negative (an adjustment, a decrease)


# ------------------------------------------------------------------------ formats, view, print


def format_dates(ws: Worksheet, cells: Ranges, number_format: str = DATE_FORMAT) -> None:
    """Show the cells as dates (a date typed or stored there keeps its value)."""
    for cell in _cells(ws, cells):
        cell.number_format = number_format


def freeze_header(ws: Worksheet, header_rows: int, columns: int = 0) -> None:
    """Keep the first ``header_rows`` rows (and ``columns`` columns) in view when scrolling."""
    ws.freeze_panes = ws.cell(row=header_rows + 1, column=columns + 1).coordinate


def print_setup(ws: Worksheet, landscape: bool = False, title_rows: tuple[int, int] | int | None = None,
                fit_width: bool = True, footer: str | None = PAGE_FOOTER,
                margins: tuple[float, ...] = sheetml.MARGINS) -> None:
    """A4 in the given orientation, all columns on the page width (as many pages down as needed),
    ``title_rows`` (a row, or first and last) repeated on every page, margins and a page-number footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        if ws.sheet_properties.pageSetUpPr is None:
            ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        else:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows is not None:
        first, last = (title_rows, title_rows) if isinstance(title_rows, int) else title_rows
        ws.print_title_rows = f"{first}:{last}"
    left, right, top, bottom, header, foot = margins
    ws.page_margins = PageMargins(left=left, right=right, top=top, bottom=bottom, header=header, footer=foot)
    ws.print_options.horizontalCentered = True
    if footer:
        ws.oddFooter.center.text = footer


def fit_row_heights(ws: Worksheet, min_row: int = 1, max_row: int | None = None) -> None:
    """Make rows with wrapped text tall enough to show it (``sheetml.row_height``); a taller row is kept.

    Widths are the sheet's column widths (merged cells: the sum over the merge);
    a cell merged down over several rows is left to those rows' heights.
    """
    merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}

    def width(col: int) -> float:
        dim = ws.column_dimensions.get(get_column_letter(col))
        return dim.width if dim is not None and dim.width else sheetml.DEFAULT_COL_WIDTH

    for row in ws.iter_rows(min_row=min_row, max_row=max_row or ws.max_row):
        cells = []
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            span = merged.get((cell.row, cell.column))
            if span is not None and span.max_row > span.min_row:
                continue
            last = span.max_col if span is not None else cell.column
            cells.append((cell.value, sum(width(c) for c in range(cell.column, last + 1)), cell.font.sz or 11))
        if not cells:
            continue
        r = row[0].row
        need = sheetml.row_height(cells)
        current = ws.row_dimensions[r].height or sheetml.DEFAULT_ROW_HEIGHT
        if need > current + 1.5:
            ws.row_dimensions[r].height = need
