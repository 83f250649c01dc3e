"""Workbooks as Excel writes them: shared formulas, whole-column merges, a damaged shared-string index, and
messages built from one template when the expected sheets are missing (issue 27, items 1 and 6).

Each case edits the example workbook's own XML the way Excel stores it, runs ``generate`` and asserts the exit
code, the message and what was (not) written.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import openpyxl

from conftest import REPORT_NAME, run_cli
from generator.formats import xlsx_read

FINANCE = "xl/worksheets/sheet5.xml"  # 财务 in the example workbook (B3 资产总额, B4 流动资产, B5 非流动资产)


def edit_part(workbook: Path, part: str, edit) -> None:
    with zipfile.ZipFile(workbook) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts[part] = edit(parts[part].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def set_cell_xml(xml: str, ref: str, cell: str) -> str:
    new, count = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', cell, xml, count=1)
    assert count == 1, ref
    return new


def test_a_formula_filled_down_is_quoted_as_written_when_its_value_is_missing(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"

    def edit(xml: str) -> str:  # B4:B5 filled down from B4 (Excel: the master holds the text, B5 only its group)
        xml = set_cell_xml(xml, "B4", '<c r="B4" s="11"><f t="shared" ref="B4:B5" si="0">D40*2</f><v>4</v></c>')
        return set_cell_xml(xml, "B5", '<c r="B5" s="11"><f t="shared" si="0"/></c>')

    edit_part(workbook, FINANCE, edit)
    book = xlsx_read.open_book(workbook, lambda names: ["财务"])
    assert book.sheets["财务"].formulas[(4, 2)] == "=D40*2"
    assert book.sheets["财务"].formulas[(5, 2)] == "=D41*2"  # translated to the cell, as openpyxl does
    assert openpyxl.load_workbook(workbook)["财务"]["B5"].value == "=D41*2"
    result = run_cli(project)
    assert result.exit_code == 1, result.output
    assert "2024.xlsx › 财务 › B5：此单元格是公式“=D41*2”，但工作簿中没有保存计算结果" in result.output
    assert "公式“=”" not in result.output
    assert not (project / "output" / "2024" / REPORT_NAME).exists()


def test_a_whole_column_merge_is_read_fast_and_named(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    edit_part(workbook, FINANCE, lambda xml: xml.replace(
        "</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="F3:F1048576"/></mergeCells>', 1))
    start = time.monotonic()
    book = xlsx_read.open_book(workbook)
    assert time.monotonic() - start < 2
    sheet = book.sheets["财务"]
    assert sheet.merged == ["F3:F1048576"]
    assert len(sheet.cells) < 2000  # only the used range, not a million cells
    assert sheet.cells[(3, 2)].value == 1813.15
    result = run_cli(project)
    assert "2024.xlsx › 财务 › F3:F1048576：单元格区域 F3:F1048576 被合并了" in result.output


def test_a_shared_string_index_out_of_range_is_a_located_message(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    edit_part(workbook, FINANCE, lambda xml: set_cell_xml(xml, "B3", '<c r="B3" t="s"><v>7</v></c>'))
    result = run_cli(project)
    assert result.exit_code == 1, result.output
    assert "2024.xlsx › 财务 › B3：单元格引用的共享文字（第 7 项）在工作簿中不存在，文件已损坏" in result.output
    assert "Traceback" not in result.output
    assert not (project / "output" / "2024").exists() or not any((project / "output" / "2024").iterdir())


def test_missing_sheets_are_said_in_one_sentence_each(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active["A1"] = "x"
    wb.save(workbook)
    result = run_cli(project)
    assert result.exit_code == 1, result.output
    assert "缺少工作表“基本信息”" in result.output
    # 年度 comes from 基本信息: the missing sheet is named, not a name "年度" asked to be filled
    assert "2024.xlsx 中没有“基本信息”表，请在 2024.xlsx 中添加“基本信息”表" in result.output
    assert "“年度”中没有这个名称" not in result.output  # said once, as the missing sheet
    assert "请填写 2024.xlsx 的" not in result.output
    for line in result.output.splitlines():
        assert line.count("请") <= 2 or "请核对名称" in line, line  # never two instructions joined
    assert not (project / "output" / "2024" / REPORT_NAME).exists()


def staff_chain(project: Path, rows: list[dict]) -> None:
    import docx

    from conftest import replace_rows

    replace_rows(project / "data" / "2024.xlsx", "人员编制", rows)
    doc = docx.Document()  # a template that prints the chain's first level only
    doc.add_paragraph("{{ 基本信息.单位全称 }}")
    doc.add_paragraph("{% for c in 人员编制.合计.下级 %}{{ c.类别 }}：{{ c.核定编制 }}个{% endfor %}")
    doc.save(project / "templates" / "default" / "report.docx")


def test_a_deep_staff_hierarchy_is_walked_without_recursion(project: Path) -> None:
    depth = 400  # deeper than a recursive walk gets with Python's recursion limit (1000 frames)
    rows = [{"类别": "合计", "核定编制": 1, "实有人数": 1}]  # (each level the sum of the next: nothing to audit)
    rows += [{"类别": f"类{i}", "上级": "合计" if i == 1 else f"类{i - 1}", "核定编制": 1, "实有人数": 1}
             for i in range(1, depth)]
    staff_chain(project, rows)
    start = time.monotonic()
    result = run_cli(project)
    assert result.exit_code == 0, result.output[-2000:]
    assert time.monotonic() - start < 60
    assert "RecursionError" not in result.output and "内部错误" not in result.output
    from docx import Document

    texts = [p.text for p in Document(project / "output" / "2024" / REPORT_NAME).paragraphs]
    assert texts == ["桃源县郑家驿镇人民政府", "类1：1个"]
    annotated = next((project / "output" / "2024").glob("*-审核.xlsx"))
    fields = openpyxl.load_workbook(annotated, read_only=True)["模板字段"]
    names = [row[0] for row in fields.iter_rows(min_row=3, values_only=True)]
    assert "人员编制.类399.核定编制" in names
    assert max(n.count("下级[]") for n in names if n) == 2  # a 下级 of a 下级 …: listed to a fixed depth


def test_a_cyclic_staff_hierarchy_is_a_located_message(project: Path) -> None:
    staff_chain(project, [{"类别": "合计", "核定编制": 3, "实有人数": 3},
                          {"类别": "甲", "上级": "乙", "核定编制": 1, "实有人数": 1},
                          {"类别": "乙", "上级": "甲", "核定编制": 1, "实有人数": 1}])
    result = run_cli(project)
    assert result.exit_code == 1, result.output
    assert "2024.xlsx › 人员编制：“人员编制”表的“上级”形成了循环（从“甲”开始），请核对。" in result.output
    assert not (project / "output" / "2024" / REPORT_NAME).exists()


def test_a_whole_column_merge_in_a_workbook_left_to_openpyxl_is_clipped(project: Path) -> None:
    """A workbook the fast reader leaves to openpyxl (here: a cell type it does not know) with a whole column
    merged: openpyxl reads the merge clipped to the used rows, in a moment."""
    workbook = project / "data" / "2024.xlsx"

    def edit(xml: str) -> str:
        xml = set_cell_xml(xml, "D3", '<c r="D3" t="x"><v>1</v></c>')  # (an unknown type: openpyxl's path)
        return xml.replace("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="F3:F1048576"/>'
                           "</mergeCells>", 1)

    edit_part(workbook, FINANCE, edit)
    start = time.monotonic()
    book = xlsx_read.open_book(workbook)
    assert time.monotonic() - start < 10
    sheet = book.sheets["财务"]
    assert len(sheet.merged) == 1 and sheet.merged[0].startswith("F3:F") and sheet.merged[0] != "F3:F1048576"
    assert sheet.cells[(3, 2)].value == 1813.15


def test_a_whole_column_merge_in_a_commented_workbook_is_annotated_in_a_moment(project: Path) -> None:
    """A workbook that already has comments goes to openpyxl for its annotated copy: a whole column merged
    there is clipped first (openpyxl would make a million cell objects)."""
    from openpyxl.comments import Comment

    workbook = project / "data" / "2024.xlsx"
    wb = openpyxl.load_workbook(workbook)
    wb["财务"]["D3"].comment = Comment("经办人的批注", "经办人")
    wb.save(workbook)
    whole = '<mergeCell ref="F1:F1048576"/>'  # (from the title row: not the clerk's fill-in area)
    edit_part(workbook, FINANCE, lambda xml: re.sub(r"<mergeCells[^>]*>", lambda m: m.group(0) + whole, xml, count=1)
              if "<mergeCells" in xml else xml.replace("</sheetData>", f"</sheetData><mergeCells>{whole}</mergeCells>"))
    start = time.monotonic()
    result = run_cli(project)
    assert time.monotonic() - start < 30
    assert result.exit_code == 0, result.output
    annotated = next((project / "output" / "2024").glob("*-审核.xlsx"))
    copy = openpyxl.load_workbook(annotated)
    assert copy.sheetnames[0] == "审核结果"
    assert copy["财务"]["D3"].comment is not None and copy["财务"]["B3"].value == 1813.15
