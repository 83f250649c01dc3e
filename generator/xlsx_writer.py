"""Lay out a clerk's workbook from the schema (used for the example and for ``--init``).

The layout is what the reader expects: sheet title in row 1, headers in row 2,
data from row 3; labels in column A of field sheets. Input cells are yellow,
labels grey, units and help text beside them; choice columns get drop-downs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import schema

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

NUMBER_FORMATS = {"wan": "0.00", "yuan": "0.00", "area": "0.00", "score": "0.00", "count": "0", "year": "0",
                  "percent": "0.00%", "date": "yyyy/m/d"}


def _value_format(value: Any, unit: str) -> str | None:
    if not isinstance(value, (Decimal, int, float)):
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
    return value


def _style_input(cell, kind: str = "text", todo: bool = False) -> None:
    cell.fill = TODO_FILL if todo else INPUT_FILL
    cell.border = BORDER
    cell.font = CELL_FONT
    cell.alignment = WRAP
    if kind in NUMBER_FORMATS and cell.number_format == "General":
        cell.number_format = NUMBER_FORMATS[kind]


def _title(ws, text: str, width: int) -> None:
    ws.cell(row=1, column=1, value=text).font = TITLE_FONT
    ws.row_dimensions[1].height = 24


def _header(ws, labels: list[str]) -> None:
    for j, label in enumerate(labels, start=1):
        c = ws.cell(row=schema.HEADER_ROW, column=j, value=label)
        c.font = LABEL_FONT
        c.fill = HEADER_FILL
        c.border = BORDER
        c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    ws.freeze_panes = ws.cell(row=schema.FIRST_DATA_ROW, column=1)


def _fields_sheet(ws, sheet: schema.FieldsSheet, values: dict[str, Any], todo: set[str]) -> None:
    _title(ws, sheet.title, 4)
    _header(ws, ["项目", "内容", "单位", "填写说明"])
    for i, f in enumerate(sheet.fields, start=schema.FIRST_DATA_ROW):
        label = ws.cell(row=i, column=1, value=f.label)
        label.font, label.fill, label.border = LABEL_FONT, LABEL_FILL, BORDER
        value = values.get(f.key)
        c = ws.cell(row=i, column=2, value=_excel(value))
        _style_input(c, f.kind, todo=f"{sheet.name}.{f.key}" in todo)
        if f.kind in ("wan", "yuan", "area") and isinstance(value, Decimal):
            c.number_format = "0.00"
        ws.cell(row=i, column=3, value=f.unit).font = CELL_FONT
        help_text = ("必填。" if f.required else "选填。") + f.help
        ws.cell(row=i, column=4, value=help_text).font = HELP_FONT
        if f.kind == "longtext":
            ws.row_dimensions[i].height = 60
    for col, width in zip("ABCD", (26, 60, 8, 60)):
        ws.column_dimensions[col].width = width


def _grid_sheet(ws, sheet: schema.GridSheet, values: dict[str, dict[str, Any]], todo: set[str]) -> None:
    _title(ws, sheet.title, len(sheet.columns) + 1)
    _header(ws, ["项目"] + [f"{c.label}（{sheet.unit}）" for c in sheet.columns])
    for i, r in enumerate(sheet.rows, start=schema.FIRST_DATA_ROW):
        label = ws.cell(row=i, column=1, value=r.label)
        label.font, label.fill, label.border = LABEL_FONT, LABEL_FILL, BORDER
        for j, c in enumerate(sheet.columns, start=2):
            value = values.get(r.key, {}).get(c.key)
            cell = ws.cell(row=i, column=j, value=_excel(value))
            _style_input(cell, sheet.cell_kind, todo=f"{sheet.name}.{r.key}.{c.key}" in todo)
    ws.column_dimensions["A"].width = 30
    for j in range(2, len(sheet.columns) + 2):
        ws.column_dimensions[get_column_letter(j)].width = 18


def _table_sheet(ws, sheet: schema.TableSheet, rows: list[dict[str, Any]], todo: set[str]) -> None:
    _title(ws, sheet.title, len(sheet.columns))
    headers = [f"{c.label}（{c.unit}）" if c.unit else c.label for c in sheet.columns]
    _header(ws, headers)
    n = max(len(rows), 1)
    for i in range(n):
        row = rows[i] if i < len(rows) else {}
        r = schema.FIRST_DATA_ROW + i
        unit = str(row.get("unit") or "")
        for j, f in enumerate(sheet.columns, start=1):
            value = row.get(f.key)
            cell = ws.cell(row=r, column=j, value=_excel(value))
            _style_input(cell, f.kind, todo=f"{sheet.name}.{i}.{f.key}" in todo)
            if f.kind == "value":
                fmt = _value_format(value, unit)
                if fmt:
                    cell.number_format = fmt
            elif f.kind in ("wan", "score") and isinstance(value, Decimal):
                cell.number_format = "0.00"
    # spare yellow rows so clerks see where to add lines
    for r in range(schema.FIRST_DATA_ROW + n, schema.FIRST_DATA_ROW + n + 5):
        for j, f in enumerate(sheet.columns, start=1):
            _style_input(ws.cell(row=r, column=j), f.kind)
    last = schema.FIRST_DATA_ROW + n + 200
    for j, f in enumerate(sheet.columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = f.width
        if f.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(f.choices) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="请从下拉列表选择",
                                error="可选：" + "、".join(f.choices))
            dv.add(f"{letter}{schema.FIRST_DATA_ROW}:{letter}{last}")
            ws.add_data_validation(dv)
        elif f.kind == "comparator":
            dv = DataValidation(type="list", formula1='"=,≥,≤,>,<,达到,超过,以上,以下"', allow_blank=True,
                                showErrorMessage=False)
            dv.add(f"{letter}{schema.FIRST_DATA_ROW}:{letter}{last}")
            ws.add_data_validation(dv)


def _instructions(ws, notes: list[str]) -> None:
    ws.column_dimensions["A"].width = 110
    lines = [
        ("填写说明", TITLE_FONT),
        ("本工作簿是生成《部门整体支出绩效自评报告》及三张附表的唯一数据来源。报告中的每个数字和每段年度文字都取自这里。", None),
        ("1. 只在黄色格子中填写；灰色为标签，请勿修改标签文字（程序按标签查找数据）。可以在表格末尾增加行。", None),
        ("2. 金额：“财务”“基础数据”“项目”表单位为万元，“三公经费”表单位为元，均保留两位小数。", None),
        ("3. 百分数请输入为百分数格式，如 95%（不要输入 95）。日期请输入为日期，如 2025/9/15。", None),
        ("4. 请勿合并单元格；请勿在数字格中输入“万元”“元”等文字。", None),
        ("5. 绩效指标：一行一个三级指标。“比较”填 =、≥、≤、>、<，或“达到”“超过”“以上”等；定性指标（指标值为文字）留空，并在“评价等级”选择达成/部分达成/未达成。", None),
        ("6. 得分自动计算：≥ 类按 实际/目标，≤ 类按 目标/实际，均不超过分值；定性指标按评价等级；填写“手工得分”则以手工为准，并在自评表中标注。", None),
        ("7. 文字内容：一行一段。“栏目”从下拉列表选择，同一栏目的多段按表中顺序排列。内容中可以用下列占位符引用数据，生成时自动填入，保证文字与表格一致：", None),
    ]
    lines += [(f"      {{{name}}}", None) for name in schema.PLACEHOLDERS]
    lines += [
        ("8. 句子覆盖：程序根据数据自动生成的句子（如“三公经费支出未超过去年”、各类指标的汇总句），如需改写，在“句子覆盖”表对应行填写覆盖内容。各类指标的句子名称为“二级指标名称（目标）”或“二级指标名称（完成）”，如“质量指标（完成）”。", None),
        ("9. 核对数据：绩效指标的“核对数据”列可填写上面的占位符名称（不带花括号），审核时会比对该指标实际值与对应数据。", None),
        ("10. 填好后运行：generate --year 年度。程序会先审核数据，发现问题会指出具体单元格。", None),
    ]
    lines += [(n, None) for n in notes]
    for i, (text, font) in enumerate(lines, start=1):
        c = ws.cell(row=i, column=1, value=text)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        c.font = font or CELL_FONT


def write_workbook(path: Path, data: dict[str, Any], notes: list[str] | None = None,
                   todo: set[str] | None = None) -> None:
    """Write ``data`` (shaped like validated data) to a new workbook at ``path``.

    ``todo`` holds cell paths (``sheet.key`` / ``sheet.row.col`` / ``sheet.i.key``)
    to colour orange as "fill in for the new year".
    """
    todo = todo or set()
    wb = Workbook()
    ws = wb.active
    ws.title = schema.INSTRUCTIONS_SHEET
    _instructions(ws, notes or [])
    sources = {
        "基本信息": data.get("basic", {}), "财务": data.get("finance", {}), "楼堂馆所及节约": data.get("other", {}),
        "三公经费": data.get("sangong", {}), "基础数据": data.get("base_data", {}),
        "机构": data.get("orgs", []), "人员编制": data.get("staff", []), "绩效指标": data.get("indicators", []),
        "项目": data.get("projects", []), "项目指标": data.get("project_indicators", []),
        "文字内容": data.get("texts", []), "句子覆盖": data.get("overrides", []),
    }
    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "fields":
            _fields_sheet(ws, sheet, sources[sheet.name], todo)
        elif sheet.kind == "grid":
            _grid_sheet(ws, sheet, sources[sheet.name], todo)
        else:
            _table_sheet(ws, sheet, sources[sheet.name], todo)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    wb.save(tmp)
    tmp.replace(path)


def date_value(d: dt.date | None) -> dt.datetime | None:
    return dt.datetime(d.year, d.month, d.day) if d else None
