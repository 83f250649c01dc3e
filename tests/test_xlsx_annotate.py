"""The annotated workbook (generator/xlsx_annotate.py, issue 13 item 4), read back with openpyxl."""

from __future__ import annotations

import hashlib
import io
from collections import namedtuple
from pathlib import Path

import openpyxl
import pytest

from conftest import clerk_book
from generator.formats.xlsx_annotate import annotate

RED, YELLOW = "FF7C80", "FFFF00"
TITLE = "2024年度某镇人民政府 数据审核结果"
Record = namedtuple("Record", "severity message cells")


FINDINGS = [
    ("提示", "全年预算比年初预算多 20%，请核对。", [("财务", "B4")]),
    {"severity": "错误", "message": "执行数超过全年预算。", "cells": [("财务", "B5"), ("财务", "$B$4")]},
    Record("错误", "合计与各项之和不符。", [("财务", "B6"), ("不存在的表", "C7")]),
    ("提示", "项目名称请写全称。", [("项目's 表", "A1")]),
    ("提示", "备注不要写在合并单元格里。", [("财务", "D4")]),
    ("提示", "没有单元格的提示。", []),
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return clerk_book(tmp_path / "2024.xlsx", comment=True)


@pytest.fixture
def result(source: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(annotate(source, FINDINGS, TITLE)))


def test_source_is_not_modified(source: Path):
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    annotate(source, FINDINGS, TITLE)
    annotate(source.read_bytes(), FINDINGS, TITLE)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_cells_filled_and_commented(result):
    ws = result["财务"]
    assert ws["B5"].fill.fgColor.rgb.endswith(RED) and ws["B6"].fill.fgColor.rgb.endswith(RED)
    assert ws["B4"].fill.fgColor.rgb.endswith(RED)  # a hint and an error on one cell: the error wins
    assert result["项目's 表"]["A1"].fill.fgColor.rgb.endswith(YELLOW)
    assert ws["B5"].comment.author == "审核" and "执行数超过全年预算。" in ws["B5"].comment.text
    assert ws["B3"].comment is None and ws["B3"].fill.fgColor.rgb != f"FF{RED}"
    assert [c.value for c in ws["B"]][2:6] == [100, 120, 130, 250]  # values kept
    assert ws.protection.sheet  # still protected


def test_existing_comment_kept_and_messages_appended(result):
    text = result["财务"]["B4"].comment.text
    assert text.startswith("含追加预算 20 万元")
    assert "全年预算比年初预算多 20%，请核对。" in text and "执行数超过全年预算。" in text
    assert result["财务"]["B4"].comment.author == "张会计"


def test_merged_cell_marks_its_top_left(result):
    ws = result["财务"]
    assert ws["C3"].fill.fgColor.rgb.endswith(YELLOW) and "备注不要写在合并单元格里。" in ws["C3"].comment.text
    assert "C3:D4" in {str(r) for r in ws.merged_cells.ranges}


def test_results_sheet_lists_errors_first_with_links(result):
    assert result.sheetnames[0] == "审核结果" and result.active.title == "审核结果"
    ws = result["审核结果"]
    assert ws["A1"].value == TITLE
    assert [c.value for c in ws[2]] == ["序号", "类别", "工作表", "单元格", "说明"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_col=5)]
    kinds = [r[1] for r in rows if r[1]]
    assert kinds == ["错误", "错误", "提示", "提示", "提示", "提示"]
    listed = [(r[2], r[3]) for r in rows if r[3]]
    assert listed[:4] == [("财务", "B5"), ("财务", "B4"), ("财务", "B6"), ("不存在的表", "C7")]
    messages = [r[4] for r in rows if r[4]]
    assert messages[:2] == ["执行数超过全年预算。", "合计与各项之和不符。"]
    assert "没有单元格的提示。" in messages
    links = {c.value: c.hyperlink for c in ws["D"] if c.value}
    assert links["B5"].location == "'财务'!B5"
    assert links["A1"].location == "'项目''s 表'!A1"
    missing = next(c for c in ws["D"] if c.value == "C7")
    assert missing.hyperlink is None  # a sheet the workbook does not have: listed, not linked


def test_results_sheet_layout(result):
    ws = result["审核结果"]
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["E"].width > 40 and ws["E3"].alignment.wrap_text
    assert "A1:E1" in {str(r) for r in ws.merged_cells.ranges}
    assert sum(1 for s in result.worksheets if s.sheet_view.tabSelected) == 1


def test_existing_results_sheet_replaced_and_notes_not_doubled(source: Path):
    once = annotate(source, FINDINGS, TITLE)
    twice = openpyxl.load_workbook(io.BytesIO(annotate(once, FINDINGS[:1], "第二次")))
    assert twice.sheetnames.count("审核结果") == 1 and twice.sheetnames[0] == "审核结果"
    assert twice["审核结果"]["A1"].value == "第二次"
    text = twice["财务"]["B4"].comment.text
    assert text.count("全年预算比年初预算多 20%") == 1 and "执行数超过全年预算" not in text
    assert text.startswith("含追加预算 20 万元")
    assert twice["财务"]["B5"].comment is None  # an earlier run's note on a cell no finding names now


def test_no_findings(source: Path):
    wb = openpyxl.load_workbook(io.BytesIO(annotate(source, [], TITLE)))
    assert wb["审核结果"]["A3"].value == "未发现问题。"


def test_unknown_severity_refused(source: Path):
    with pytest.raises(ValueError):
        annotate(source, [("警告", "x", [])], TITLE)
