"""The annotated workbook beside the report (issue 13 item 4): a copy of the clerk's workbook with each finding's
cells filled (red 错误, yellow 提示) and its message as a comment, a first sheet 审核结果 linking to the cells, and a
模板字段 sheet with what each name printed in this run; the console's short summary, one line per finding.

The example's contradictions are known from its figures (worked out here by hand): 内设机构 stated 6 but 4 listed
(机构 › C3), staff 合计 72 ≠ 26 + 0 + 43 (人员编制 › E3), 事业编制 43 ≠ 16 + 11 + 4 + 7 + 3 (E7); and hints on 财务
B9 (收入 parts 2826.24 vs 2826.23), B20 (支出 parts), B21 (基本支出 239% of its budget), B19 (结余 not carried).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE, REPORT_NAME, ROOT, run_verb, set_field
from generator.cli import main

STEM = REPORT_NAME[: -len(".docx")]
RED, YELLOW = "00FF7C80", "00FFFF00"
ERRORS = {("机构", "C3"), ("人员编制", "E3"), ("人员编制", "E7")}
HINTS = {("财务", "B9"), ("财务", "B20"), ("财务", "B21"), ("财务", "B19")}


def run(project: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    project = tmp_path_factory.mktemp("annotated")
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "templates", project / "templates")
    result = run(project)
    assert result.exit_code == 0, result.output
    folder = project / "output" / "2024"
    return result, openpyxl.load_workbook(folder / f"{STEM}-审核.xlsx"), folder


def test_a_copy_of_the_clerks_workbook_with_the_results_first(generated) -> None:
    _, wb, _ = generated
    source = openpyxl.load_workbook(EXAMPLE)
    assert wb.sheetnames[0] == "审核结果"
    assert wb.sheetnames[1:] == source.sheetnames  # every sheet of the clerk's, in order (模板字段 last)
    for ws in source.worksheets:
        if ws.title == "模板字段":
            continue
        copy = wb[ws.title]
        for row in ws.iter_rows():
            for c in row:
                assert copy[c.coordinate].value == c.value, (ws.title, c.coordinate)  # nothing typed is changed


def test_each_findings_cells_are_filled_and_commented(generated) -> None:
    _, wb, _ = generated
    for sheet, coord in ERRORS | HINTS:
        cell = wb[sheet][coord]
        assert cell.fill.fgColor.rgb == (RED if (sheet, coord) in ERRORS else YELLOW), (sheet, coord)
        assert cell.comment is not None and cell.comment.author == "审核"
    assert "内设机构公布个数为 6 个" in wb["机构"]["C3"].comment.text and "列出内设机构 4 个" in wb["机构"]["C3"].comment.text
    assert "= 69 人，差 3 人" in wb["人员编制"]["E3"].comment.text
    # E7 is the total of one finding and a part of another: red, and both messages
    assert "差 2 人" in wb["人员编制"]["E7"].comment.text and "差 3 人" in wb["人员编制"]["E7"].comment.text
    # the parts named by a finding are marked too (B10: 一般公共预算拨款, a part of 决算收入)
    assert wb["财务"]["B10"].fill.fgColor.rgb == YELLOW
    # a cell no finding names is left as it was
    assert wb["财务"]["B3"].comment is None and wb["财务"]["B3"].fill.fgColor.rgb not in (RED, YELLOW)


def test_results_sheet_lists_every_finding_with_links(generated) -> None:
    _, wb, _ = generated
    ws = wb["审核结果"]
    assert ws["A1"].value.startswith(STEM)
    assert [c.value for c in ws[2]] == ["序号", "类别", "工作表", "单元格", "说明"]
    numbered = [(r[0].value, r[1].value, r[2].value, r[3].value) for r in ws.iter_rows(min_row=3)
                if isinstance(r[0].value, int)]
    assert [n for n, *_ in numbered] == list(range(1, 8))
    assert [k for _, k, _, _ in numbered] == ["错误"] * 3 + ["提示"] * 4  # errors first
    assert {(s, c) for _, k, s, c in numbered if k == "错误"} == ERRORS
    assert {(s, c) for _, k, s, c in numbered if k == "提示"} == HINTS
    links = {(r[2].value, r[3].value): r[3].hyperlink for r in ws.iter_rows(min_row=3) if r[3].value}
    assert links[("机构", "C3")].location == "'机构'!C3"
    assert links[("人员编制", "E8")].location == "'人员编制'!E8"  # every cell of a finding, linked
    assert ws.freeze_panes == "A3" and ws.print_title_rows == "$2:$2"
    assert any("共 7 条：错误 3 条，提示 4 条。" in str(r[0].value) for r in ws.iter_rows(min_row=3))


def test_fields_sheet_shows_what_this_run_printed(generated) -> None:
    _, wb, _ = generated
    ws = wb["模板字段"]
    assert wb.sheetnames[-1] == "模板字段"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=3) if r[0].value}
    assert rows["财务.资产总额"][1].value == "{{ 财务.资产总额|万元 }}" and rows["财务.资产总额"][2].value == "1813.15"
    assert rows["预算.执行率"][2].value == "85.09%"  # worked out: 2826.23 ÷ 3321.47
    assert rows["自评.总分"][2].value == "95.29"
    assert rows["上年度"][2].value == "2023"
    assert rows["人员编制.合计.核定编制"][2].value == "81"
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for r in ws.iter_rows() for c in r)
    assert ws.protection.sheet


def test_console_gives_a_summary_and_one_line_per_finding(generated) -> None:
    result, _, folder = generated
    lines = result.output.splitlines()
    findings = [line for line in lines if line.startswith("  [")]
    assert len(findings) == 7
    assert findings[0].startswith("  [错误] 机构 › C3：内设机构公布个数为 6 个")
    assert all(not re.search(r"（[a-z_.]+；单元格：", line) for line in findings)  # no internal ids, no cell lists
    assert "审核 2024.xlsx：发现 3 处错误、4 处提示。" in lines
    assert f"审核清单：{folder / (STEM + '-审核.md')}" in lines
    assert any(line.startswith(f"标出审核意见的工作簿副本：{folder / (STEM + '-审核.xlsx')}") for line in lines)


def test_verbose_shows_ids_and_every_cell(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    result = run_verb(tmp_path, "check", "--verbose")
    line = next(line for line in result.output.splitlines() if "内设机构公布个数" in line)
    assert "org_count" in line and "2024.xlsx › 机构 › C3" in line and "2024.xlsx › 机构 › B6" in line


def test_audit_list_names_the_clerk(tmp_path: Path) -> None:
    """填报人, 联系电话 and 审核人 of 基本信息 head the 审核 list."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    workbook = tmp_path / "data" / "2024.xlsx"
    set_field(workbook, "基本信息", "填报人", "张会计")
    set_field(workbook, "基本信息", "联系电话", "0736-1234567")
    set_field(workbook, "基本信息", "审核人", "李所长")
    assert run(tmp_path).exit_code == 0
    text = (tmp_path / "output" / "2024" / f"{STEM}-审核.md").read_text("utf-8")
    assert "填报人：张会计" in text and "联系电话：0736-1234567" in text and "审核人：李所长" in text
    head = text.split("## ")[0]
    assert "张会计" in head  # before the findings
