"""The annotated workbook made on the package (generator/formats/xlsx_mark.py), read back with openpyxl.

Checked three ways: against values written here (fills, comments, the 审核结果 sheet), against the openpyxl
path it mirrors (generator/formats/xlsx_annotate.py: every cell's value, number format, fill, font, alignment
and comment, merges, links, print and view settings must agree), and against the ECMA-376 schemas
(tests/ooxml.py). That the fast path ran, not the fallback, shows in the output: a part no finding touches is
the source's compressed bytes, which openpyxl never writes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

import ooxml
from conftest import EXAMPLE, clerk_book
from generator.formats import xlsx_annotate, xlsx_mark

RED, YELLOW = "FF7C80", "FFFF00"
TITLE = "2024年度某镇人民政府 数据审核结果"


FINDINGS = [
    ("提示", "全年预算比年初预算多 20%，请核对。", [("财务", "B4")]),
    {"severity": "错误", "message": "执行数超过全年预算。", "cells": [("财务", "B5"), ("财务", "$B$4")]},
    ("错误", "合计与各项之和不符。", [("财务", "B6"), ("不存在的表", "C7")]),
    ("提示", "项目名称请写全称。", [("项目's 表", "A1")]),
    ("提示", "备注不要写在合并单元格里。", [("财务", "D4")]),
    ("提示", "空白处的提示。", [("财务", "F20"), ("财务", "A2:B2")]),  # cells and rows that do not exist yet
    ("提示", "没有单元格的提示。", []),
]


def raw_members(data: bytes) -> dict[str, bytes]:
    """Each member's compressed bytes as stored."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
            extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
            start = info.header_offset + 30 + name_len + extra_len
            out[info.filename] = data[start: start + info.compress_size]
    return out


def made_on_the_package(source: bytes, data: bytes) -> bool:
    """The fast path's mark: the 审核结果 sheet is a part the source did not have (openpyxl renumbers every
    sheet, putting it in sheet1.xml), and the parts it left alone are the source's compressed bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        book = zf.read("xl/workbook.xml").decode()
    rid = book.split('name="审核结果"')[1].split('r:id="')[1].split('"')[0]
    target = rels.split(f'Id="{rid}"')[0].rsplit("<Relationship ", 1)[1] + rels.split(f'Id="{rid}"')[1]
    part = target.split('Target="')[1].split('"')[0].lstrip("/")
    before, after = raw_members(source), raw_members(data)
    return part not in before and after["xl/theme/theme1.xml"] == before["xl/theme/theme1.xml"]


def fill_rgb(cell) -> str | None:
    fill = cell.fill
    return fill.fgColor.rgb[-6:] if fill is not None and fill.fill_type == "solid" else None


def cell_state(cell) -> tuple:
    comment = cell.comment
    return (cell.value, cell.number_format, fill_rgb(cell), cell.font.name, cell.font.sz, bool(cell.font.b),
            cell.font.u, cell.alignment.horizontal, cell.alignment.vertical, bool(cell.alignment.wrap_text),
            cell.protection.locked, (comment.text, comment.author) if comment is not None else None,
            cell.hyperlink.location if cell.hyperlink is not None else None)


def assert_same_book(a: openpyxl.Workbook, b: openpyxl.Workbook) -> None:
    assert a.sheetnames == b.sheetnames
    assert a.active.title == b.active.title
    assert [ws.title for ws in a.worksheets if ws.sheet_view.tabSelected] == \
        [ws.title for ws in b.worksheets if ws.sheet_view.tabSelected]
    for ws_a in a.worksheets:
        ws_b = b[ws_a.title]
        assert {str(r) for r in ws_a.merged_cells.ranges} == {str(r) for r in ws_b.merged_cells.ranges}, ws_a.title
        keys = set(ws_a._cells) | set(ws_b._cells)
        for key in sorted(keys):
            ca, cb = ws_a.cell(*key), ws_b.cell(*key)
            if isinstance(ca, MergedCell) or isinstance(cb, MergedCell):
                assert ca.value is None and cb.value is None
                continue
            assert cell_state(ca) == cell_state(cb), (ws_a.title, ca.coordinate)
        assert ws_a.freeze_panes == ws_b.freeze_panes
        assert ws_a.print_title_rows == ws_b.print_title_rows, ws_a.title
        assert ws_a.page_setup.orientation == ws_b.page_setup.orientation
        assert ws_a.page_setup.fitToWidth == ws_b.page_setup.fitToWidth
        assert ws_a.protection.sheet == ws_b.protection.sheet
        assert len(ws_a.data_validations.dataValidation) == len(ws_b.data_validations.dataValidation)
        widths = lambda ws: {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth}  # noqa: E731
        assert widths(ws_a) == widths(ws_b), ws_a.title
        heights = lambda ws: {k: d.height for k, d in ws.row_dimensions.items() if d.height}  # noqa: E731
        assert heights(ws_a) == heights(ws_b), ws_a.title


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return clerk_book(tmp_path / "2024.xlsx")


@pytest.fixture
def fast(source: Path) -> bytes:
    return xlsx_mark.annotate(source, FINDINGS, TITLE)


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_made_on_the_package(source: Path, fast: bytes):
    assert made_on_the_package(source.read_bytes(), fast)
    assert not made_on_the_package(source.read_bytes(), xlsx_annotate.annotate(source, FINDINGS, TITLE))


def test_cells_filled_and_commented(fast: bytes):
    wb = read(fast)
    ws = wb["财务"]
    assert fill_rgb(ws["B5"]) == RED and fill_rgb(ws["B6"]) == RED
    assert fill_rgb(ws["B4"]) == RED  # a hint and an error on one cell: the error wins
    assert fill_rgb(wb["项目's 表"]["A1"]) == YELLOW
    assert ws["B5"].comment.author == "审核"
    assert ws["B5"].comment.text == "审核：\n【错误】执行数超过全年预算。"
    # errors first
    assert ws["B4"].comment.text == "审核：\n【错误】执行数超过全年预算。\n【提示】全年预算比年初预算多 20%，请核对。"
    assert ws["B3"].comment is None and fill_rgb(ws["B3"]) is None
    assert [c.value for c in ws["B"]][2:6] == [100, 120, 130, 250]  # values kept
    assert ws["B5"].number_format == "0.00"  # the cell's own format kept, its fill added
    assert fill_rgb(ws["F20"]) == YELLOW and fill_rgb(ws["A2"]) == YELLOW and fill_rgb(ws["B2"]) == YELLOW
    assert ws.protection.sheet


def test_merged_cell_marks_its_top_left(fast: bytes):
    ws = read(fast)["财务"]
    assert fill_rgb(ws["C3"]) == YELLOW and "备注不要写在合并单元格里。" in ws["C3"].comment.text
    assert "C3:D4" in {str(r) for r in ws.merged_cells.ranges}


def test_results_sheet(fast: bytes):
    wb = read(fast)
    assert wb.sheetnames == ["审核结果", "财务", "项目's 表"] and wb.active.title == "审核结果"
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == ["审核结果"]
    ws = wb["审核结果"]
    assert ws["A1"].value == TITLE and [c.value for c in ws[2]] == ["序号", "类别", "工作表", "单元格", "说明"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_col=5)]
    assert [r[1] for r in rows if r[1]] == ["错误", "错误", "提示", "提示", "提示", "提示", "提示"]
    assert [(r[2], r[3]) for r in rows if r[3]][:4] == [("财务", "B5"), ("财务", "B4"), ("财务", "B6"),
                                                        ("不存在的表", "C7")]
    links = {c.value: c.hyperlink for c in ws["D"] if c.value}
    assert links["B5"].location == "'财务'!B5" and links["A1"].location == "'项目''s 表'!A1"
    assert next(c for c in ws["D"] if c.value == "C7").hyperlink is None
    assert "A3:A4" in {str(r) for r in ws.merged_cells.ranges}  # one finding, two cells: its number spans them
    assert rows[-1][0].startswith("共 7 条：错误 2 条，提示 5 条。")
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1


def test_other_sheets_keep_their_print_titles(fast: bytes):
    wb = read(fast)
    assert wb["财务"].print_title_rows == "$2:$2" and wb["项目's 表"].print_title_rows == "$1:$1"


def test_same_as_the_openpyxl_path(source: Path, fast: bytes):
    assert_same_book(read(fast), read(xlsx_annotate.annotate(source, FINDINGS, TITLE)))


@pytest.fixture(scope="module")
def example_audit():
    from generator import pipeline
    from generator.fields import fields_sheet

    data, ctx, _ = pipeline.load(EXAMPLE, 2024)
    findings = [(f.severity, f.message, f.places()) for f in pipeline.audit_loaded(EXAMPLE, 2024, data, ctx).ordered()]
    return findings, fields_sheet(ctx, EXAMPLE.name)


def test_same_as_the_openpyxl_path_on_the_example_with_its_audit(example_audit):
    findings, _ = example_audit
    assert findings
    fast = xlsx_mark.annotate(EXAMPLE, findings, TITLE)
    assert made_on_the_package(EXAMPLE.read_bytes(), fast)
    assert_same_book(read(fast), read(xlsx_annotate.annotate(EXAMPLE, findings, TITLE)))


def test_fields_sheet_replaced_as_the_openpyxl_path_does(example_audit):
    """The 模板字段 sheet (formulas in the clerk's workbook) becomes the values this run printed, still last."""
    findings, fields = example_audit
    fast = xlsx_mark.annotate(EXAMPLE, findings, TITLE, fields)
    assert made_on_the_package(EXAMPLE.read_bytes(), fast)
    wb = read(fast)
    assert wb.sheetnames[0] == "审核结果" and wb.sheetnames[-1] == fields[0] == "模板字段"
    ws = wb[fields[0]]
    assert ws["A1"].value == fields[1] and [c.value for c in ws[2]] == list(fields[2])
    first = fields[3][0]
    assert [c.value for c in ws[3]][: len(first)] == [v if v != "" else None for v in first]
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)
    assert ws.protection.sheet and ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2"
    assert_same_book(wb, read(xlsx_annotate.annotate(EXAMPLE, findings, TITLE, fields)))


def test_fields_sheet_added_when_the_workbook_has_none(source: Path):
    fields = ("模板字段", "本次生成时各名称显示的内容", ("名称", "显示为"), [["财务.资产总额", "1813.15"], ["年度", None]])
    fast = xlsx_mark.annotate(source, FINDINGS, TITLE, fields)
    assert made_on_the_package(source.read_bytes(), fast)
    wb = read(fast)
    assert wb.sheetnames == ["审核结果", "财务", "项目's 表", "模板字段"]
    assert wb["模板字段"]["B3"].value == "1813.15" and wb["模板字段"].print_title_rows == "$2:$2"
    assert wb["项目's 表"].print_title_rows == "$1:$1"
    assert_same_book(wb, read(xlsx_annotate.annotate(source, FINDINGS, TITLE, fields)))


def test_no_findings(source: Path):
    wb = read(xlsx_mark.annotate(source, [], TITLE))
    assert wb["审核结果"]["A3"].value == "未发现问题。"
    assert_same_book(wb, read(xlsx_annotate.annotate(source, [], TITLE)))


def test_validates_against_the_schemas(source: Path, fast: bytes, tmp_path: Path):
    pytest.importorskip("openxml_audit")
    fields = ("模板字段", "标题", ("名称", "显示为"), [["a", "1"], ["b", None]])
    for name, data in (("clerk.xlsx", fast), ("example.xlsx", xlsx_mark.annotate(EXAMPLE, FINDINGS[:1], TITLE, fields)),
                       ("added.xlsx", xlsx_mark.annotate(source, FINDINGS, TITLE, fields))):
        path = tmp_path / name
        path.write_bytes(data)
        problems, _ = ooxml.validate(path)
        assert problems == [], ooxml.report(problems)


def test_long_message_cut_in_comments_whole_in_the_list(source: Path):
    message = "合计与各项之和不符：" + "、".join(f"项目{k}" for k in range(1000))
    cells = [("财务", f"B{r}") for r in range(3, 7)]
    for annotate in (xlsx_mark.annotate, xlsx_annotate.annotate):
        wb = read(annotate(source, [("错误", message, cells)], TITLE))
        comment = wb["财务"]["B3"].comment.text
        assert comment.startswith("审核：\n【错误】合计与各项之和不符：项目0、项目1")
        assert len(comment) < xlsx_mark.COMMENT_CHARS + 40 and comment.endswith("……（全文见“审核结果”表）")
        assert wb["审核结果"]["E3"].value == message


def test_workbook_with_comments_goes_the_openpyxl_way(tmp_path: Path):
    source = clerk_book(tmp_path / "2024.xlsx", comment=True)
    data = xlsx_mark.annotate(source, FINDINGS, TITLE)
    assert not made_on_the_package(source.read_bytes(), data)
    wb = read(data)
    text = wb["财务"]["B4"].comment.text
    assert text.startswith("含追加预算 20 万元") and "执行数超过全年预算。" in text
    again = read(xlsx_mark.annotate(data, FINDINGS[:1], "第二次"))  # an annotated copy annotated again
    assert again.sheetnames.count("审核结果") == 1 and again["审核结果"]["A1"].value == "第二次"


def test_source_is_not_modified(source: Path):
    before = source.read_bytes()
    xlsx_mark.annotate(source, FINDINGS, TITLE)
    assert source.read_bytes() == before


def test_unknown_severity_refused(source: Path):
    with pytest.raises(ValueError):
        xlsx_mark.annotate(source, [("警告", "x", [])], TITLE)
