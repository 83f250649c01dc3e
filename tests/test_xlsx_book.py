"""Helpers for the clerk's input workbook (generator/xlsx_book.py, issue 13 item 6), read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree
from openpyxl.styles import Alignment

from conftest import EXAMPLE
from generator import load
from generator.formats import xlsx_book as xb

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHOICES = ["达成", "部分达成", "未达成"]
LONG_CHOICES = [f"第{i}个很长的下拉选项名称" for i in range(1, 41)]  # 40 × 12 characters: over 255


def clerk_book() -> openpyxl.Workbook:
    """A small input workbook: title, header, labels in A, inputs in B; a table sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "基本信息"
    ws["A1"] = "基本信息（黄色格子为填写项）"
    ws["A2"], ws["B2"] = "项目", "内容"
    for r, (label, value) in enumerate([("单位全称", "某镇人民政府"), ("预算数（万元）", 12.5), ("执行率", 0.9),
                                        ("填报日期", dt.datetime(2025, 3, 1)), ("人数", 12), ("评价等级", "达成"),
                                        ("说明", "很长的说明" * 30)], start=3):
        ws.cell(row=r, column=1, value=label)
        ws.cell(row=r, column=2, value=value)
    ws["B9"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 30
    table = wb.create_sheet("绩效指标")
    table.append(["绩效指标"])
    table.append(["一级", "二级", "等级"])
    table.append(["产出指标", "数量指标", "达成"])
    return wb


def prepare(wb: openpyxl.Workbook) -> None:
    ws = wb["基本信息"]
    xb.protect(ws, ["B3:B9"])
    xb.validate_number(ws, "B4", "请输入预算数（万元）", minimum=0)
    xb.validate_percent(ws, "B5", "请输入执行率，如 95%", maximum=1)
    xb.validate_date(ws, "B6", "请输入填报日期", minimum=dt.date(2024, 1, 1))
    xb.validate_number(ws, "B7", "请输入人数", minimum=0, whole=True)
    xb.validate_list(ws, "B8", CHOICES, "请选择评价等级")
    xb.print_setup(ws, landscape=False, title_rows=2)
    xb.freeze_header(ws, 2)
    xb.fit_row_heights(ws)
    table = wb["绩效指标"]
    xb.protect(table, "A3:C200", allow=("formatColumns", "formatRows", "insertRows"))
    xb.validate_list(table, "C3:C200", LONG_CHOICES, "请选择")
    xb.validate_list(table, "B3:B200", LONG_CHOICES, "请选择")  # the same long list: written once
    xb.print_setup(table, landscape=True, title_rows=(1, 2))
    xb.freeze_header(table, 2, columns=1)


def saved(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def data() -> bytes:
    wb = clerk_book()
    prepare(wb)
    return saved(wb)


@pytest.fixture(scope="module")
def wb(data) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _rules(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def test_labels_locked_inputs_unlocked_no_password(wb, data):
    ws = wb["基本信息"]
    assert ws.protection.sheet and ws.protection.objects
    assert all(ws.cell(row=r, column=2).protection.locked is False for r in range(3, 10))
    assert all(ws.cell(row=r, column=1).protection.locked is not False for r in range(1, 10))
    assert ws["B2"].protection.locked is not False  # the header stays locked
    assert ws.protection.formatColumns is False and ws.protection.formatRows is False  # may widen columns
    assert wb["绩效指标"].protection.insertRows is False
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sp = etree.fromstring(zf.read("xl/worksheets/sheet1.xml")).find(M + "sheetProtection")
    assert sp.get("sheet") == "1"
    assert not any(sp.get(a) for a in ("password", "hashValue", "saltValue", "algorithmName"))


def test_number_percent_date_validations_have_prompts_and_error_alerts(wb):
    rules = _rules(wb["基本信息"])
    money, pct, date, count = rules["B4"], rules["B5"], rules["B6"], rules["B7"]
    assert (money.type, money.operator, money.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert money.prompt == "请输入预算数（万元）" and money.promptTitle
    assert "数字" in money.error and "不小于 0" in money.error
    assert (pct.type, pct.formula1, pct.formula2) == ("decimal", "0", "1")
    assert "百分数" in pct.error and "100%" in pct.error
    assert date.type == "date" and date.operator == "greaterThanOrEqual" and date.formula1 == "45292"  # 2024-01-01
    assert "日期" in date.error and "2024/1/1" in date.error
    assert count.type == "whole" and "整数" in count.error
    for dv in rules.values():
        assert dv.showErrorMessage and dv.showInputMessage and dv.errorStyle in (None, "stop")
        assert dv.prompt and dv.error and dv.errorTitle


def test_dates_are_shown_as_dates(wb):
    cell = wb["基本信息"]["B6"]
    assert cell.number_format == "yyyy/m/d" and cell.value == dt.datetime(2025, 3, 1) and cell.is_date


def test_short_list_typed_in_long_list_on_a_hidden_sheet(wb):
    short = _rules(wb["基本信息"])["B8"]
    assert short.type == "list" and short.formula1 == '"达成,部分达成,未达成"' and short.showErrorMessage
    long_rules = _rules(wb["绩效指标"])
    assert set(long_rules) == {"C3:C200", "B3:B200"}
    names = {r.formula1 for r in long_rules.values()}
    assert len(names) == 1  # one list, written once
    name = names.pop()
    assert wb["选项"].sheet_state == "hidden"
    defined = wb.defined_names[name]
    sheet, cells = list(defined.destinations)[0]
    assert sheet == "选项"
    assert [c.value for row in wb[sheet][cells.replace("$", "")] for c in row] == LONG_CHOICES
    assert all(r.showErrorMessage and r.type == "list" for r in long_rules.values())


def test_print_setup_and_frozen_header(wb):
    ws, table = wb["基本信息"], wb["绩效指标"]
    for sheet, orientation in ((ws, "portrait"), (table, "landscape")):
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == orientation
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.print_title_rows == "$2:$2" and table.print_title_rows == "$1:$2"
    assert ws.freeze_panes == "A3" and table.freeze_panes == "B3"


def test_wrapped_rows_grow(wb):
    ws = wb["基本信息"]
    # 150 CJK characters in a 30-unit column: about 17 characters of 11 pt a line, 9 lines
    assert ws.row_dimensions[9].height >= 8 * 11 * 1.2
    assert ws.row_dimensions[3].height is None


def test_unbounded_ranges_and_bad_options_refused():
    ws = clerk_book()["基本信息"]
    with pytest.raises(ValueError):
        xb.protect(ws, "B:B")
    with pytest.raises(ValueError):
        xb.protect(ws, "B3:B9", allow=("noSuchThing",))
    with pytest.raises(ValueError):
        xb.validate_list(ws, "B3", [], "空")


def test_kinds_pick_their_rule():
    ws = clerk_book()["基本信息"]
    assert xb.validate_kind(ws, "B3", "text") is None
    assert xb.validate_kind(ws, "B4", "wan").type == "decimal"
    assert xb.validate_kind(ws, "B5", "percent").type == "decimal"
    assert xb.validate_kind(ws, "B6", "date").type == "date"
    assert xb.validate_kind(ws, "B7", "count").type == "whole"
    assert all(dv.prompt for dv in ws.data_validations.dataValidation)


def test_prepared_example_workbook_reads_the_same(tmp_path: Path):
    """The example workbook with its labels locked, inputs validated and print set up gives the same data."""
    source = tmp_path / "data" / "2024.xlsx"
    source.parent.mkdir()
    shutil.copy(EXAMPLE, source)
    before = load(source, 2024)[0]
    wb = openpyxl.load_workbook(source)
    basic = wb["基本信息"]
    last = basic.max_row
    xb.protect(basic, f"B3:B{last}")
    xb.validate_date(basic, f"B{last + 1}:B{last + 2}", "请输入日期")
    for ws in wb.worksheets[1:]:
        xb.print_setup(ws, landscape=ws.max_column > 4, title_rows=2)
        xb.freeze_header(ws, 2)
    xb.validate_list(wb["绩效指标"], "A3:A200", LONG_CHOICES, "请选择")
    wb.save(source)
    assert load(source, 2024)[0] == before
