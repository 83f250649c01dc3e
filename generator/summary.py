"""The county summary: one row per unit of a batch, written next to the reports.

Every figure comes from the unit's compute context (the same entries the
report prints), rounded half-up as the report rounds them; audit counts come
from ``report.findings``. Units that failed get a row too, with the reason,
so the bureau sees every unit it asked for.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .formatting import round_half_up
from .messages import msg
from .pipeline import Report
from .write import write_outputs

SEVERITY_ERROR = "错误"
SEVERITY_HINT = "提示"

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name="宋体", size=14, bold=True)
HEADER_FONT = Font(name="宋体", size=11, bold=True)
CELL_FONT = Font(name="宋体", size=11)
HEADER_FILL = PatternFill("solid", fgColor="BDD7EE")
FAILED_FILL = PatternFill("solid", fgColor="F8CBAD")
TOTAL_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_ROW = 2
FIRST_ROW = 3


def _ctx(report: Report, path: str) -> Any:
    value: Any = report.context
    for part in path.split("."):
        value = value[part]
    return value


def _money(path: str) -> Callable[[Report], Decimal]:
    return lambda r: round_half_up(_ctx(r, path), 2)


def _findings(severity: str) -> Callable[[Report], int]:
    return lambda r: sum(1 for f in getattr(r, "findings", None) or [] if getattr(f, "severity", None) == severity)


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    number_format: str
    value: Callable[[Report], Any]
    summed: bool = False  # add up in the 合计 row


COLUMNS: tuple[Column, ...] = (
    Column("单位文件夹", 16, "@", lambda r: r.unit),
    Column("单位", 30, "@", lambda r: _ctx(r, "unit.name")),
    Column("全年预算数（万元）", 14, "0.00", _money("budget.full_year"), summed=True),
    Column("全年执行数（万元）", 14, "0.00", _money("budget.executed"), summed=True),
    Column("执行率", 10, "0.00%", lambda r: round_half_up(_ctx(r, "budget.execution_rate"), 4)),
    Column("三公经费本年（元）", 14, "0.00", _money("sangong.actual.total"), summed=True),
    Column("三公经费上年（元）", 14, "0.00", _money("sangong.prev_actual.total"), summed=True),
    Column("三公经费增减（元）", 14, "0.00", _money("sangong.change"), summed=True),
    Column("自评分", 10, "0.00", _money("score.total")),
    Column("未完成指标数", 12, "0", lambda r: int(_ctx(r, "indicators.unmet_count")), summed=True),
    Column("审核错误数", 10, "0", _findings(SEVERITY_ERROR), summed=True),
    Column("审核提示数", 10, "0", _findings(SEVERITY_HINT), summed=True),
)
STATUS_HEADER = "状态"
STATUS_WIDTH = 30


def summary_path(out_dir: Path, year: int) -> Path:
    return Path(out_dir) / str(year) / f"{msg('summary_title', year=year)}.xlsx"


def summary_rows(reports: Sequence[Report]) -> list[list[Any]]:
    """One row per unit: the COLUMNS values then the status; failed units have only folder and status."""
    rows = []
    for report in reports:
        if report.error is not None:
            reason = "；".join(line.strip().rstrip("：:") for line in report.error.splitlines() if line.strip())
            reason = reason if len(reason) <= 300 else reason[:299] + "…"
            rows.append([report.unit] + [None] * (len(COLUMNS) - 1) + [msg("summary_status_failed", reason=reason)])
        else:
            rows.append([column.value(report) for column in COLUMNS] + [msg("summary_status_ok")])
    return rows


def total_row(reports: Sequence[Report]) -> list[Any]:
    """合计 over the units that were generated; the rate is recomputed from the sums."""
    ok = [r for r in reports if r.error is None]
    row: list[Any] = [msg("summary_total"), None]
    for column in COLUMNS[2:]:
        row.append(sum(column.value(r) for r in ok) if column.summed and ok else None)
    budget, executed = row[2], row[3]
    rate_index = next(i for i, c in enumerate(COLUMNS) if c.header == "执行率")
    row[rate_index] = round_half_up(executed / budget, 4) if ok and budget else None
    return row + [None]


def build_summary(year: int, reports: Sequence[Report]) -> bytes:
    """The summary workbook as .xlsx bytes: title, header, one row per unit, 合计."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    headers = [c.header for c in COLUMNS] + [STATUS_HEADER]
    formats = [c.number_format for c in COLUMNS] + ["@"]
    ws.cell(1, 1, msg("summary_title", year=year)).font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(HEADER_ROW, j, header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = summary_rows(reports)
    for i, (report, values) in enumerate(zip(reports, rows, strict=True)):
        _write_row(ws, FIRST_ROW + i, values, formats, FAILED_FILL if report.error is not None else None)
    _write_row(ws, FIRST_ROW + len(rows), total_row(reports), formats, TOTAL_FILL, bold=True)
    for j, width in enumerate([c.width for c in COLUMNS] + [STATUS_WIDTH], start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(FIRST_ROW, 3)
    # printed: landscape, all columns on one page width, header repeated on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{HEADER_ROW + len(rows)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_row(ws, row: int, values: list[Any], formats: list[str], fill: PatternFill | None,
               bold: bool = False) -> None:
    for j, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        cell = ws.cell(row, j, value)
        cell.border = BORDER
        cell.font = HEADER_FONT if bold else CELL_FONT
        if value is not None:
            cell.number_format = number_format
        if fill is not None:
            cell.fill = fill
        if j == len(values):
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_summary(year: int, reports: Sequence[Report], out_dir: Path, force: bool = False) -> tuple[Path, list[str]]:
    """Write the summary atomically next to the reports (hand-edit protected like them): (path, notices)."""
    path = summary_path(out_dir, year)
    notices = write_outputs({path: build_summary(year, reports)}, force=force)
    return path, notices
