"""The clerk's input workbook (issue 13 item 6), as workbook_layout.write_workbook lays it out for the example,
``--init`` and ``--new-unit``: labels locked under a sheet protection without a password, input cells unlocked,
validations with input prompts, drop-downs with the error alert on, dates as dates, print setup."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.cell_range import CellRange

from conftest import EXAMPLE, ROOT
from generator import schema
from generator.cli import main

YELLOW, ORANGE, GREY = "00FFF2CC", "00F8CBAD", "00D9D9D9"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, openpyxl.Workbook]:
    """The three kinds of workbook we write: the example (built afresh), next year's, a new unit's."""
    root = tmp_path_factory.mktemp("books")
    built = root / "example.xlsx"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_example.py"), str(built)], check=True, cwd=ROOT,
                   capture_output=True, timeout=120)
    shutil.copytree(ROOT / "templates", root / "templates")
    (root / "data").mkdir()
    shutil.copy(EXAMPLE, root / "data" / "2024.xlsx")
    base = ["--data", str(root / "data"), "--templates", str(root / "templates")]
    assert CliRunner().invoke(main, ["init", "--year", "2025", "--data", base[1]]).exit_code == 0
    assert CliRunner().invoke(main, ["new-unit", "新镇", "--year", "2024", *base]).exit_code == 0
    return {"example": openpyxl.load_workbook(built), "init": openpyxl.load_workbook(root / "data" / "2025.xlsx"),
            "new": openpyxl.load_workbook(root / "data" / "新镇" / "2024.xlsx")}


def validation_at(ws, coord: str):
    """The data validation covering ``coord``, or None."""
    for dv in ws.data_validations.dataValidation:
        if any(coord in CellRange(str(r)) for r in dv.sqref.ranges):
            return dv
    return None


def input_cells(ws):
    """The value cells of a sheet as the schema lays them out (a table: its first rows)."""
    sheet = schema.SHEETS_BY_NAME[ws.title]
    first = schema.FIRST_DATA_ROW
    if sheet.kind == "fields":
        return [(f, ws.cell(row=first + i, column=2)) for i, f in enumerate(sheet.fields)]
    if sheet.kind == "grid":
        return [(sheet, ws.cell(row=first + i, column=2 + j)) for i in range(len(sheet.rows))
                for j in range(len(sheet.columns))]
    return [(f, ws.cell(row=first + i, column=1 + j)) for i in range(5) for j, f in enumerate(sheet.columns)]


@pytest.mark.parametrize("kind", ["example", "init", "new"])
def test_labels_locked_inputs_unlocked_no_password(books, kind: str) -> None:
    wb = books[kind]
    for sheet in schema.SHEETS:
        ws = wb[sheet.name]
        assert ws.protection.sheet and not ws.protection.password, ws.title  # 审阅 › 撤消工作表保护 lifts it
        assert ws["A1"].protection.locked and ws.cell(row=schema.HEADER_ROW, column=1).protection.locked
        if sheet.kind in ("fields", "grid"):
            label = ws.cell(row=schema.FIRST_DATA_ROW, column=1)
            assert label.protection.locked and label.fill.fgColor.rgb == GREY
        for _, cell in input_cells(ws):
            assert not cell.protection.locked, (ws.title, cell.coordinate)
            assert cell.fill.fgColor.rgb in (YELLOW, ORANGE), (ws.title, cell.coordinate)
        if sheet.kind == "table":  # clerks may add rows: insert and delete rows stay allowed
            assert not ws.protection.insertRows and not ws.protection.deleteRows


@pytest.mark.parametrize("kind", ["example", "init", "new"])
def test_number_and_date_cells_are_validated_with_prompts(books, kind: str) -> None:
    wb = books[kind]
    for sheet in schema.SHEETS:
        ws = wb[sheet.name]
        for f, cell in input_cells(ws):
            field_kind = f.cell_kind if sheet.kind == "grid" else f.kind
            dv = validation_at(ws, cell.coordinate)
            if field_kind in ("wan", "yuan", "area", "score"):
                assert dv is not None and dv.type == "decimal", (ws.title, cell.coordinate)
            elif field_kind in ("count", "year"):
                assert dv is not None and dv.type == "whole", (ws.title, cell.coordinate)
            elif field_kind == "date":
                assert dv is not None and dv.type == "date", (ws.title, cell.coordinate)
                assert "yy" in cell.number_format  # shown as a date
            else:
                continue
            assert dv.showInputMessage and dv.prompt and dv.promptTitle, (ws.title, cell.coordinate)
            assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.error, (ws.title, cell.coordinate)
    basic = wb["基本信息"]
    rows = {c.value: c.row for c in basic["A"] if c.value}
    date = basic.cell(row=rows["报告日期"], column=2)
    if kind == "example":
        assert date.value == dt.datetime(2025, 9, 15) and date.number_format == "yyyy/m/d"
    assert "日期" in validation_at(basic, date.coordinate).prompt
    assert "万元" in validation_at(wb["财务"], "B3").prompt
    assert "元" in validation_at(wb["三公经费"], "D3").prompt


@pytest.mark.parametrize("kind", ["example", "init", "new"])
def test_drop_downs_for_levels_comparisons_and_choices(books, kind: str) -> None:
    wb = books[kind]
    for name in ("绩效指标", "项目指标"):
        ws = wb[name]
        headers = {c.value: c.column_letter for c in ws[schema.HEADER_ROW] if c.value}
        level1 = validation_at(ws, f"{headers['一级指标']}3")
        assert level1.type == "list" and level1.formula1 == '"产出指标,效益指标,满意度指标,成本指标"'
        level2 = validation_at(ws, f"{headers['二级指标']}50")  # spare rows too
        assert level2.type == "list" and "数量指标" in level2.formula1 and "服务对象满意度指标" in level2.formula1
        for dv in (level1, level2):  # the alert is on; a local term can be kept after the warning
            assert dv.showErrorMessage and dv.errorStyle == "warning" and "不是规定的名称" in dv.error
            assert dv.showInputMessage and "财预〔2020〕10号" in dv.prompt
        compare = validation_at(ws, f"{headers['比较']}3")
        assert compare.type == "list" and compare.formula1.startswith('"=,≥,≤')
        assert compare.showErrorMessage and compare.errorStyle == "stop"
        band = validation_at(ws, f"{headers['评价等级']}3")
        assert band.formula1 == '"达成,部分达成,未达成"' and band.showErrorMessage
    staff = wb["人员编制"]
    assert validation_at(staff, "C3").formula1 == '"编制类别,下属单位,人员类别"'


@pytest.mark.parametrize("kind", ["example", "init", "new"])
def test_print_setup(books, kind: str) -> None:
    wb = books[kind]
    for sheet in schema.SHEETS:
        ws = wb[sheet.name]
        setup = ws.page_setup
        assert setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0, ws.title  # one page wide, as many long as needed
        assert ws.print_title_rows == f"${schema.HEADER_ROW}:${schema.HEADER_ROW}", ws.title
        assert ws.freeze_panes == "A3", ws.title
        wide = sheet.kind == "table" and len(sheet.columns) > 6
        assert setup.orientation == ("landscape" if wide else "portrait"), ws.title


def test_people_fields_are_in_the_workbook(books) -> None:
    for wb in books.values():
        labels = [c.value for c in wb["基本信息"]["A"]]
        assert {"填报人", "联系电话", "审核人"} <= set(labels)


def test_the_example_workbook_is_what_the_builder_writes(books) -> None:
    """data/2024.xlsx is the builder's output (only the run's own timestamps differ)."""
    committed = openpyxl.load_workbook(EXAMPLE)
    built = books["example"]
    assert committed.sheetnames == built.sheetnames
    for ws in committed.worksheets:
        other = built[ws.title]
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in other.iter_rows()], \
            f"data/2024.xlsx is out of date ({ws.title}): run  python3 tools/build_example.py"
