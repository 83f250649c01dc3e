"""Lay out a clerk's workbook from the schema: the example, next year's (``generate init``), a new
unit's (``generate new-unit``).

The layout is what the reader expects: sheet title in row 1, headers in row 2,
data from row 3; labels in column A of field sheets, values under the header
“内容”. Input cells are yellow (orange: to fill for the new year) and stay
editable; labels, units and help are locked by sheet protection without a
password (审阅 › 撤消工作表保护 lifts it). Number, percentage and date cells carry
data validation with an input prompt; choice columns, 比较 and the 一级/二级指标
vocabulary are drop-downs with the error alert on. Each sheet prints on A4,
fit to width, its header repeated.

A last sheet, 模板字段, lists every name a template may use with what it will
print for this workbook: a formula on the cell itself where the name is one
cell (it follows what the clerk types), else the value when the workbook was
written. The reader never reads it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname

from . import schema
from .fields import FIELD_HEADERS, field_rows
from .formats import xlsx_book as xb
from .messages import msg

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: type here
TODO_FILL = PatternFill("solid", fgColor="F8CBAD")  # orange: to fill for the new year
LABEL_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_FILL = PatternFill("solid", fgColor="BDD7EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name="宋体", size=14, bold=True)
LABEL_FONT = Font(name="宋体", size=11, bold=True)
HELP_FONT = Font(name="宋体", size=9, italic=True, color="666666")
CELL_FONT = Font(name="宋体", size=11)
WRAP = Alignment(wrap_text=True, vertical="top")
SPARE_ROWS = 200  # editable rows below a table's data, for the clerk to add lines
ALLOW = ("formatColumns", "formatRows", "insertRows", "deleteRows", "sort", "autoFilter")
NUMBER_FORMATS = {"wan": "0.00", "yuan": "0.00", "area": "0.00", "score": "0.00", "count": "0", "year": "0",
                  "percent": "0.00%", "date": "yyyy/m/d"}


def _value_format(value: Any, unit: str) -> str | None:
    if not isinstance(value, (Decimal, int, float)) or isinstance(value, bool):
        return None
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if unit.strip() == "%":
        places = max(0, places - 2)
        return "0%" if places == 0 else "0." + "0" * places + "%"
    return "0" if places == 0 else "0." + "0" * places


def _excel(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def input_cell(cell, kind: str = "text", todo: bool = False) -> None:
    """A cell the clerk types into: yellow (orange when ``todo``), bordered, its number format by ``kind``."""
    cell.fill = TODO_FILL if todo else INPUT_FILL
    cell.border = BORDER
    cell.font = CELL_FONT
    cell.alignment = WRAP
    if kind in NUMBER_FORMATS and cell.number_format == "General":
        cell.number_format = NUMBER_FORMATS[kind]


def put_title(ws, text: str) -> None:
    """The sheet's title in row 1."""
    ws.cell(row=1, column=1, value=text).font = TITLE_FONT
    ws.row_dimensions[1].height = 24


def put_header(ws, labels: list[str]) -> None:
    """The column headers in the header row (``schema.HEADER_ROW``)."""
    for j, label in enumerate(labels, start=1):
        c = ws.cell(row=schema.HEADER_ROW, column=j, value=label)
        c.font = LABEL_FONT
        c.fill = HEADER_FILL
        c.border = BORDER
        c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    xb.freeze_header(ws, schema.HEADER_ROW)


def _validate(ws, ref: str, f: schema.Field, unit: str = "") -> None:
    if f.choices:
        xb.validate_list(ws, ref, list(f.choices), msg("wb_prompt_choice", choices="、".join(f.choices)))
    elif f.kind == "comparator":
        xb.validate_list(ws, ref, ["=", "≥", "≤", ">", "<", "达到", "超过", "以上", "以下", "不低于", "不超过"],
                         msg("wb_prompt_comparator"))
    elif f.kind in ("wan", "yuan", "area", "score", "count", "year", "percent", "date"):
        xb.validate_kind(ws, ref, f.kind)


def _fields_sheet(ws, sheet: schema.FieldsSheet, values: dict[str, Any], todo: set[str]) -> list[str]:
    put_title(ws, sheet.title)
    put_header(ws, ["项目", "内容", "单位", "填写说明"])
    inputs = []
    for i, f in enumerate(sheet.fields, start=schema.FIRST_DATA_ROW):
        label = ws.cell(row=i, column=1, value=f.label)
        label.font, label.fill, label.border = LABEL_FONT, LABEL_FILL, BORDER
        value = values.get(f.zh)
        c = ws.cell(row=i, column=2, value=_excel(value))
        input_cell(c, f.kind, todo=f"{sheet.name}.{f.zh}" in todo)
        if f.kind in ("wan", "yuan", "area") and isinstance(value, Decimal):
            c.number_format = "0.00"
        _validate(ws, c.coordinate, f)
        inputs.append(c.coordinate)
        ws.cell(row=i, column=3, value=f.unit).font = CELL_FONT
        help_text = (msg("wb_required") if f.required else msg("wb_optional")) + f.help
        ws.cell(row=i, column=4, value=help_text).font = HELP_FONT
        if f.kind == "longtext":
            ws.row_dimensions[i].height = 60
    for col, width in zip("ABCD", (26, 60, 8, 60)):
        ws.column_dimensions[col].width = width
    xb.print_setup(ws, landscape=False, title_rows=schema.HEADER_ROW)
    return inputs


def _grid_sheet(ws, sheet: schema.GridSheet, values: dict[str, dict[str, Any]], todo: set[str]) -> list[str]:
    put_title(ws, sheet.title)
    put_header(ws, ["项目"] + [f"{c.label}（{sheet.unit}）" for c in sheet.columns])
    inputs = []
    for i, r in enumerate(sheet.rows, start=schema.FIRST_DATA_ROW):
        label = ws.cell(row=i, column=1, value=r.label)
        label.font, label.fill, label.border = LABEL_FONT, LABEL_FILL, BORDER
        for j, c in enumerate(sheet.columns, start=2):
            value = (values.get(c.zh) or {}).get(r.zh)
            cell = ws.cell(row=i, column=j, value=_excel(value))
            input_cell(cell, sheet.cell_kind, todo=f"{sheet.name}.{c.zh}.{r.zh}" in todo)
            inputs.append(cell.coordinate)
    last_row = schema.FIRST_DATA_ROW + len(sheet.rows) - 1
    ref = f"B{schema.FIRST_DATA_ROW}:{get_column_letter(len(sheet.columns) + 1)}{last_row}"
    xb.validate_kind(ws, ref, sheet.cell_kind)
    ws.column_dimensions["A"].width = 30
    for j in range(2, len(sheet.columns) + 2):
        ws.column_dimensions[get_column_letter(j)].width = 18
    xb.print_setup(ws, landscape=False, title_rows=schema.HEADER_ROW)
    return [ref]


def _table_sheet(ws, sheet: schema.TableSheet, rows: list[dict[str, Any]], todo: set[str]) -> list[str]:
    put_title(ws, sheet.title)
    put_header(ws, [f"{c.label}（{c.unit}）" if c.unit else c.label for c in sheet.columns])
    n = len(rows)
    for i, row in enumerate(rows):
        r = schema.FIRST_DATA_ROW + i
        unit = str(row.get("单位") or "")
        for j, f in enumerate(sheet.columns, start=1):
            value = row.get(f.zh)
            cell = ws.cell(row=r, column=j, value=_excel(value))
            input_cell(cell, f.kind, todo=f"{sheet.name}.{i}.{f.zh}" in todo)
            if f.kind == "value":
                number_format = _value_format(value, unit)
                if number_format:
                    cell.number_format = number_format
            elif f.kind in ("wan", "score") and isinstance(value, Decimal):
                cell.number_format = "0.00"
    first, last = schema.FIRST_DATA_ROW, schema.FIRST_DATA_ROW + n + SPARE_ROWS
    for r in range(first + n, last + 1):  # spare yellow rows where clerks add lines
        for j, f in enumerate(sheet.columns, start=1):
            input_cell(ws.cell(row=r, column=j), f.kind)
    for j, f in enumerate(sheet.columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = f.width
        ref = f"{letter}{first}:{letter}{last}"
        if f.key in ("level1", "level2") and sheet.name in ("绩效指标", "项目指标"):
            names = list(schema.VOCABULARY) if f.key == "level1" else \
                list(dict.fromkeys(n for v in schema.VOCABULARY.values() for n in v))
            dv = xb.validate_list(ws, ref, names, msg("wb_prompt_level", label=f.label))
            dv.errorStyle = "warning"  # a local term can still be kept after the warning
            dv.error = msg("wb_error_level", label=f.label)
        else:
            _validate(ws, ref, f)
    xb.print_setup(ws, landscape=len(sheet.columns) > 6, title_rows=schema.HEADER_ROW)
    return [f"A{first}:{get_column_letter(len(sheet.columns))}{last}"]


def _instructions(ws, notes: list[str]) -> None:
    ws.column_dimensions["A"].width = 110
    lines = [(msg("wb_instructions_title"), TITLE_FONT)] + [(line, None) for line in
                                                             msg("wb_instructions").split("\n")]
    lines += [(f"      {{{name}}} = {{{full}}}", None) for name, full in schema.PLACEHOLDER_ALIASES.items()
              if name != full]
    lines += [(n, None) for n in notes]
    for i, (text, font) in enumerate(lines, start=1):
        c = ws.cell(row=i, column=1, value=text)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = font or CELL_FONT
    xb.print_setup(ws, landscape=False)


def write_workbook(path: Path, data: dict[str, Any], notes: list[str] | None = None,
                   todo: set[str] | None = None) -> None:
    """Write ``data`` (keyed like validated data: ``data["财务"]["资产总额"]``) to a new workbook at ``path``.

    ``todo`` holds names (``财务.资产总额``, ``三公经费.本年决算.合计``, ``项目.0.上年决算数``)
    to colour orange as "fill in for the new year".
    """
    todo = todo or set()
    wb = Workbook()
    ws = wb.active
    ws.title = schema.INSTRUCTIONS_SHEET
    _instructions(ws, notes or [])
    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.name)
        values = data.get(sheet.name)
        if sheet.kind == "fields":
            inputs = _fields_sheet(ws, sheet, values or {}, todo)
        elif sheet.kind == "grid":
            inputs = _grid_sheet(ws, sheet, values or {}, todo)
        else:
            if sheet.name == "句子覆盖" and isinstance(values, dict):
                values = [{"句子": k, "覆盖内容": v} for k, v in values.items()]
            inputs = _table_sheet(ws, sheet, values or [], todo)
        xb.protect(ws, inputs, allow=ALLOW)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="generator-wb-") as tmp:
        first = Path(tmp) / path.name
        wb.save(first)
        _add_fields_sheet(first)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_target = path.with_name(path.name + ".tmp")
        tmp_target.write_bytes(first.read_bytes())
        tmp_target.replace(path)


def _add_fields_sheet(path: Path) -> None:
    """模板字段: every name, how to write it, what it prints (a formula where it is one cell), where from."""
    from .pipeline import load

    try:
        _, ctx, _ = load(path, None)
    except Exception:  # a workbook not yet filled (a new unit) still gets the sheet, from its empty context
        from .compute import compute
        from .read import read_workbook
        from .validate import validate

        ctx = compute(validate(read_workbook(path), None)[0])
    wb = load_workbook(path)
    ws = wb.create_sheet(schema.FIELDS_SHEET)
    put_title(ws, msg("wb_fields_title"))
    put_header(ws, list(FIELD_HEADERS))
    r = schema.FIRST_DATA_ROW
    for row in field_rows(ctx):
        if row.kind in ("对象",):
            continue
        formula = _live(row, wb) if len(row.cells) == 1 else None
        values = [row.name, row.tag or "", formula if formula is not None else row.value, row.meaning,
                  row.source.replace(f"{path.name} › ", "")]
        for j, value in enumerate(values, start=1):
            c = ws.cell(row=r, column=j, value=value)
            c.font, c.border, c.alignment = CELL_FONT, BORDER, WRAP
        r += 1
    for col, width in zip("ABCDE", (34, 40, 24, 50, 24)):
        ws.column_dimensions[col].width = width
    xb.print_setup(ws, landscape=True, title_rows=schema.HEADER_ROW)
    xb.protect(ws, [], allow=ALLOW)
    wb.save(path)


def _live(row: Any, wb: Any) -> str | None:
    """A formula showing the cell as the tag prints it, where the name is exactly one workbook cell."""
    parts = row.cells[0].split(" › ")
    if len(parts) != 3 or parts[1] not in wb.sheetnames or "[]" in row.name:
        return None
    if row.name != "年度" and row.name.split(".")[0] != parts[1]:
        return None  # a figure worked out from the cell (上年度, 预算.执行数…): its value, not the cell
    ref = f"{quote_sheetname(parts[1])}!{parts[2]}"
    tag = row.tag
    if "|万元" in tag or "|元" in tag or "|分数" in tag:
        return f'=IF(ISBLANK({ref}),"",TEXT({ref},"0.00"))'
    if "|百分比" in tag:
        return f'=IF(ISBLANK({ref}),"",TEXT({ref},"0.00%"))'
    if "|个数" in tag:
        return f'=IF(ISBLANK({ref}),"",TEXT({ref},"0"))'
    if "|日期" in tag:
        return f'=IF(ISBLANK({ref}),"",TEXT({ref},"yyyy年m月d日"))'
    if row.kind == "文字":
        return f'=IF(ISBLANK({ref}),"",{ref})'
    return None
