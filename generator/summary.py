"""The county summary: one row per unit of a batch, written in ``output/<year>/`` beside the units' folders.

Every figure comes from the unit's compute context (the same entries the
report prints), rounded half-up as the report rounds them; audit counts come
from ``report.findings``. Units that failed get a row too, with the reason,
so the bureau sees every unit it asked for. A figure a unit's workbook does not
give is left blank.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import ERROR, HINT
from .formats.xlsx_write import Sheet, Styles, package
from .formatting import round_half_up
from .layout import summary_name
from .messages import msg
from .names import lookup
from .pipeline import Report
from .write import Folder

BORDER_RGB = "FF999999"
TITLE_FONT = ("宋体", 14, True)
HEADER_FONT = ("宋体", 11, True)
CELL_FONT = ("宋体", 11, False)
HEADER_FILL = "BDD7EE"
FAILED_FILL = "F8CBAD"
TOTAL_FILL = "D9D9D9"
HEADER_ROW = 2
FIRST_ROW = 3
_PATHS: list[str] = []  # the context entries the columns read (a batch worker sends only these back)


def _ctx(report: Report, path: str) -> Any:
    try:
        return lookup(report.context, path)
    except KeyError:
        return None


def _entry(path: str, places: int | None = None) -> Callable[[Report], Any]:
    """A column reading the context entry ``path`` (rounded half-up to ``places``, as the report prints it)."""
    _PATHS.append(path)

    def value(report: Report) -> Any:
        found = _ctx(report, path)
        if places is None or found is None:
            return found
        return round_half_up(found, places)

    return value


def _money(path: str) -> Callable[[Report], Decimal | None]:
    return _entry(path, 2)


def summary_context(ctx: dict[str, Any]) -> dict[str, Any]:
    """The part of a unit's context the summary reads (what a batch worker sends back)."""
    out: dict[str, Any] = {}
    for path in _PATHS:
        try:
            value = lookup(ctx, path)
        except KeyError:
            continue
        *parents, leaf = path.split(".")
        target = out
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return out


def _findings(severity: str) -> Callable[[Report], int]:
    return lambda r: sum(1 for f in r.findings if f.severity == severity)


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    number_format: str
    value: Callable[[Report], Any]
    summed: bool = False  # add up in the 合计 row
    group: str = ""  # columns totalled together: over the units that state every one of them


COLUMNS: tuple[Column, ...] = (
    Column("单位文件夹", 16, "@", lambda r: r.unit),
    Column("单位", 30, "@", _entry("基本信息.单位全称")),
    Column("全年预算数（万元）", 14, "0.00", _money("预算.全年预算数"), summed=True, group="budget"),
    Column("全年执行数（万元）", 14, "0.00", _money("预算.执行数"), summed=True, group="budget"),
    Column("执行率", 10, "0.00%", _entry("预算.执行率", 4), group="budget"),
    Column("三公经费本年（元）", 14, "0.00", _money("三公经费.本年决算.合计"), summed=True, group="sangong"),
    Column("三公经费上年（元）", 14, "0.00", _money("三公经费.上年决算.合计"), summed=True, group="sangong"),
    Column("三公经费增减（元）", 14, "0.00", _money("三公经费.变动额"), summed=True, group="sangong"),
    Column("自评分", 10, "0.00", _money("自评.总分")),
    Column("评分规则", 16, "@", _entry("自评.评分规则")),  # 国家默认, or 县规则 and its name
    Column("未完成指标数", 12, "0", _entry("绩效指标.未完成个数", 0), summed=True),
    Column("审核错误数", 10, "0", _findings(ERROR), summed=True),
    Column("审核提示数", 10, "0", _findings(HINT), summed=True),
)
STATUS_HEADER = "状态"
STATUS_WIDTH = 30


@dataclass(frozen=True)
class Extra:
    """Columns a caller adds after 状态 (the web's review season: state, version, 复核分, grade), their values by
    unit folder, and a note written under the table (when it was made, of which versions)."""

    headers: tuple[str, ...]
    widths: tuple[int, ...]
    formats: tuple[str, ...]
    values: dict[str, list[Any]]
    note: str | None = None


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
    """合计 over the units that were generated and state every figure of a column's group (a blank is not 0);
    the rate is recomputed from the sums of the same units; the status cell says whom a total leaves out."""
    ok = [r for r in reports if r.error is None]
    row: list[Any] = [msg("summary_total"), None]
    notes: list[str] = []
    groups: dict[str, list[Column]] = {}
    for column in COLUMNS[2:]:
        groups.setdefault(column.group or column.header, []).append(column)
    covered: dict[str, list[Report]] = {}
    for key, columns in groups.items():
        covered[key] = [r for r in ok if all(c.value(r) is not None for c in columns)]
        if not any(c.summed or c.header == "执行率" for c in columns) or len(covered[key]) == len(ok):
            continue
        names = "、".join(c.header for c in columns)
        missing = "、".join(str(r.unit or r.unit_name) for r in ok if r not in covered[key])
        notes.append(msg("summary_total_covers", columns=names, covered=len(covered[key]), count=len(ok),
                         missing=missing) if covered[key] else msg("summary_total_none", columns=names))
    for column in COLUMNS[2:]:
        units = covered[column.group or column.header]
        row.append(sum(column.value(r) for r in units) if column.summed and units else None)
    budget, executed = row[2], row[3]
    rate_index = next(i for i, c in enumerate(COLUMNS) if c.header == "执行率")
    row[rate_index] = round_half_up(executed / budget, 4) if budget and executed is not None else None
    return row + ["；".join(notes) or None]


def build_summary(year: int, reports: Sequence[Report], extra: Extra | None = None) -> bytes:
    """The summary workbook as .xlsx bytes: title, header, one row per unit, 合计.

    Printed landscape, all columns on one page width, the header repeated on
    every page; the header and the first two columns stay in view when scrolling.
    """
    styles = Styles(border_rgb=BORDER_RGB)
    ws = Sheet("汇总", styles)
    headers = [c.header for c in COLUMNS] + [STATUS_HEADER] + list(extra.headers if extra else ())
    formats = [c.number_format for c in COLUMNS] + ["@"] + list(extra.formats if extra else ())
    ws.put(1, 1, msg("summary_title", year=year), styles.xf(TITLE_FONT, align=("center", "", False)))
    ws.merge(1, 1, 1, len(headers))
    header_xf = styles.xf(HEADER_FONT, border=True, align=("center", "center", True), fill=HEADER_FILL)
    for j, header in enumerate(headers, start=1):
        ws.put(HEADER_ROW, j, header, header_xf)
    rows = summary_rows(reports)
    if extra:
        rows = [row + (extra.values.get(r.unit) or [None] * len(extra.headers)) for r, row in zip(reports, rows)]
    for i, (report, values) in enumerate(zip(reports, rows, strict=True)):
        _write_row(ws, FIRST_ROW + i, values, formats, FAILED_FILL if report.error is not None else None)
    last = FIRST_ROW + len(rows)
    _write_row(ws, last, total_row(reports) + [None] * len(extra.headers if extra else ()), formats, TOTAL_FILL,
               bold=True)
    if extra and extra.note:
        ws.put(last + 2, 1, extra.note, styles.xf(CELL_FONT))
    ws.char_widths = tuple(c.width for c in COLUMNS) + (STATUS_WIDTH,) + tuple(extra.widths if extra else ())
    ws.heights[HEADER_ROW] = 32
    ws.freeze = (FIRST_ROW, 3)
    ws.landscape = ws.fit_width = True
    ws.print_titles = HEADER_ROW
    ws.autofilter = (HEADER_ROW, 1, HEADER_ROW + len(rows), len(headers))
    return package([ws], styles)


def _write_row(ws: Sheet, row: int, values: list[Any], formats: list[str], fill: str | None,
               bold: bool = False) -> None:
    for j, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        align = ("", "top", True) if j == len(values) else None
        xf = ws.styles.xf(HEADER_FONT if bold else CELL_FONT, border=True, align=align,
                          number_format=number_format if value is not None else "General", fill=fill)
        ws.put(row, j, value, xf)


def write_summary(year: int, reports: Sequence[Report], folder: Folder, force: bool = False,
                  extra: Extra | None = None) -> tuple[Path, list[str]]:
    """Write the summary in the year folder this run holds (``layout.summary_path``): (path, notices)."""
    path = folder.path / summary_name(year)
    notices = folder.write({path: build_summary(year, reports, extra)}, force=force)
    return path, notices
