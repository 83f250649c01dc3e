"""Small made-up workbooks for the stage tests, as ``read`` hands them to ``validate``: cells with addresses.

Labels are the workbook's own words (``"资产总额"``); each value may be ``(value, number_format)``. A field is
put at B(3 + its place in the sheet), a table row at row 3 + i with the columns A, B, C … in the schema's order,
so a test knows every cell's address without asking the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator import schema
from generator.read import RawCell, RawWorkbook

FILE = "2024.xlsx"
FIRST_ROW = 3


def _cell(value: Any, sheet: str, coord: str) -> RawCell:
    if isinstance(value, tuple):
        return RawCell(value[0], sheet, coord, value[1])
    return RawCell(value, sheet, coord)


def field_coord(sheet: schema.FieldsSheet, label: str) -> str:
    return f"B{FIRST_ROW + [f.label for f in sheet.fields].index(label)}"


def column_coord(sheet: schema.TableSheet, label: str, i: int) -> str:
    return f"{chr(ord('A') + [c.label for c in sheet.columns].index(label))}{FIRST_ROW + i}"


def workbook(basic: dict[str, Any] | None = None, finance: dict[str, Any] | None = None,
             indicators: list[dict[str, Any]] | None = None, orgs: list[dict[str, Any]] | None = None) -> RawWorkbook:
    """A workbook of the sheets given (基本信息 always: the year and the unit's name unless ``basic`` says)."""
    basic = {"年度": 2024, "单位全称": "桃源县甲镇人民政府", **(basic or {})}
    raw = RawWorkbook(Path("data") / FILE, FILE, [])
    for sheet, values in ((schema.BASIC, basic), (schema.FINANCE, finance)):
        if values is not None:
            raw.sheet_names.append(sheet.name)
            raw.fields[sheet.name] = {f.key: _cell(values[f.label], sheet.name, field_coord(sheet, f.label))
                                      for f in sheet.fields if f.label in values}
    for sheet, rows in ((schema.INDICATORS, indicators), (schema.ORGS, orgs)):
        if rows is not None:
            raw.sheet_names.append(sheet.name)
            raw.tables[sheet.name] = [{c.key: _cell(row[c.label], sheet.name, column_coord(sheet, c.label, i))
                                       for c in sheet.columns if c.label in row} for i, row in enumerate(rows)]
    return raw


def indicator(name: str, comparator: str | None, target: Any, actual: Any, weight: Any, unit: str = "次",
              level2: str = "数量指标", **more: Any) -> dict[str, Any]:
    """One row of 绩效指标 (产出指标) by its labels."""
    row = {"一级指标": "产出指标", "二级指标": level2, "三级指标": name, "年度指标值": target, "实际完成值": actual,
           "单位": unit, "分值": weight, "偏差原因分析及改进措施": "示意原因", **more}
    if comparator is not None:
        row["比较"] = comparator
    return row
