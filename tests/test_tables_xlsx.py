"""The Excel copy of the forms (-附表.xlsx) follows the rendered report (issue 12 item 7, issue 13 item 7).

Every expectation is read from the rendered Word report with python-docx (its tables' cells, spans, vertical
merges, grid widths, header rows and section orientation), or written here by hand; the workbook is read back
with openpyxl. So a form removed from a copied template disappears from Excel, a form redrawn in Word appears
redrawn in Excel, and a template with no attachment table writes no -附表.xlsx.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

import ooxml
from conftest import REPORT_NAME, ROOT
from generator.cli import main

TABLES_NAME = REPORT_NAME.replace(".docx", "-附表.xlsx")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def generate(project: Path) -> Path:
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "output" / "2024"


def copy_project(root: Path) -> Path:
    import shutil

    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "templates", root / "templates")
    return root


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory):
    folder = generate(copy_project(tmp_path_factory.mktemp("tables")))
    return docx.Document(folder / REPORT_NAME), openpyxl.load_workbook(folder / TABLES_NAME), folder


# ------------------------------------------------------------------ reading the Word side


def body_forms(document) -> list[dict]:
    """The report's forms in body order: marker, titles (paragraphs between marker and table), tables.

    A marker paragraph reads 附件N; a title after a form's tables starts the next form of the same attachment.
    """
    forms: list[dict] = []
    current = None
    for child in document.element.body:
        if child.tag == W + "p":
            text = "".join(t.text or "" for t in child.iter(W + "t")).strip()
            if re.fullmatch(r"附件\d+", text):
                current = {"marker": text, "titles": [], "tables": []}
                forms.append(current)
            elif current is not None and text and not re.match(r"^(注|说明)[：:]", text):
                if current["tables"]:
                    current = {"marker": current["marker"], "titles": [text], "tables": []}
                    forms.append(current)
                elif not text.startswith("填报单位"):
                    current["titles"].append(text)
        elif child.tag == W + "tbl" and current is not None:
            current["tables"].append(child)
    return forms


def para_text(p) -> str:
    """A paragraph's text, a line break as a new line."""
    return "".join((t.text or "") if t.tag == W + "t" else "\n" for t in p.iter(W + "t", W + "br"))


def word_grid(tbl) -> tuple[dict[tuple[int, int], tuple[str, int, int]], int, list[int], int]:
    """(origin cells {(row, col): (text, rows, cols)}, row count, grid widths in twips, header rows)."""
    origins: dict[tuple[int, int], tuple[str, int, int]] = {}
    open_at: dict[int, tuple[int, int]] = {}  # column → origin (row, col) of a vertical merge going on
    rows = tbl.findall(W + "tr")
    header = 0
    for i, tr in enumerate(rows):
        trpr = tr.find(W + "trPr")
        if trpr is not None and trpr.find(W + "tblHeader") is not None and header == i:
            header += 1
        col = 0
        for tc in tr.findall(W + "tc"):
            pr = tc.find(W + "tcPr")
            span = int(pr.find(W + "gridSpan").get(qn("w:val"))) if pr is not None and \
                pr.find(W + "gridSpan") is not None else 1
            vm = pr.find(W + "vMerge") if pr is not None else None
            text = "\n".join(para_text(p) for p in tc.findall(W + "p"))
            text = "\n".join(line for line in text.split("\n") if line) if "\n" in text else text
            if vm is not None and vm.get(qn("w:val")) != "restart" and col in open_at:
                r0, c0 = open_at[col]
                t0, n, s = origins[(r0, c0)]
                origins[(r0, c0)] = (t0, n + 1, s)
            else:
                origins[(i, col)] = (text, 1, span)
                if vm is not None:
                    open_at[col] = (i, col)
                else:
                    open_at.pop(col, None)
            col += span
    widths = [int(g.get(qn("w:w"))) for g in tbl.find(W + "tblGrid").findall(W + "gridCol")]
    return origins, len(rows), widths, header


# ------------------------------------------------------------------ reading the Excel side


def shown(cell) -> str:
    """A cell as Excel shows it: numbers through their number format (0, 0.00, 0.00%…)."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    m = re.fullmatch(r"0(?:\.(0+))?(%?)", fmt)
    assert m, (cell.coordinate, fmt, value)
    places = len(m.group(1) or "")
    number = Decimal(str(value)) * (100 if m.group(2) else 1)
    return f"{number.quantize(Decimal(1).scaleb(-places)):f}{m.group(2)}"


def excel_merges(ws) -> dict[tuple[int, int], tuple[int, int]]:
    return {(r.min_row, r.min_col): (r.max_row - r.min_row + 1, r.max_col - r.min_col + 1)
            for r in ws.merged_cells.ranges}


def first_row_of(ws, text: str) -> int:
    return next(c.row for c in ws["A"] if c.value == text)


def check_form(ws, form: dict) -> None:
    """The sheet holds the form: marker, titles, and every table's cells, spans and merges, one after another."""
    assert ws["A1"].value == form["marker"]
    titles = [ws.cell(row=r, column=1).value for r in range(2, 2 + len(form["titles"]))]
    assert titles == form["titles"]
    merges = excel_merges(ws)
    first_origins = word_grid(form["tables"][0])[0]
    row = first_row_of(ws, first_origins[(0, 0)][0])
    for tbl in form["tables"]:
        origins, nrows, _, _ = word_grid(tbl)
        for (i, j), (text, rows, cols) in origins.items():
            cell = ws.cell(row=row + i, column=j + 1)
            assert shown(cell) == text, (ws.title, cell.coordinate, text)
            if rows > 1 or cols > 1:
                assert merges.get((row + i, j + 1)) == (rows, cols), (ws.title, cell.coordinate, text)
            else:
                assert (row + i, j + 1) not in merges, (ws.title, cell.coordinate)
        row += nrows


# ------------------------------------------------------------------ the example


def test_one_sheet_per_form_of_the_report(example) -> None:
    document, wb, _ = example
    forms = body_forms(document)
    assert [f["marker"] for f in forms] == ["附件1", "附件2", "附件3", "附件3", "附件3"]  # 附件3: one per project
    assert wb.sheetnames == ["附件1 部门整体支出绩效评价基础数据表", "附件2 部门整体支出绩效自评表",
                             "附件3-1", "附件3-2", "附件3-3"]
    for ws, form in zip(wb.worksheets, forms, strict=True):
        check_form(ws, form)
    # each project's sheet carries its own project
    projects = [ws.cell(row=first_row_of(ws, "项目名称"), column=2).value for ws in wb.worksheets[2:]]
    wb_data = openpyxl.load_workbook(ROOT / "data" / "2024.xlsx")["项目"]
    typed = [c.value for c in wb_data["A"][2:] if c.value]
    assert projects == typed and len(typed) == 3


def test_figures_are_numbers_with_the_format_the_report_shows(example) -> None:
    _, wb, _ = example
    ws = wb["附件2 部门整体支出绩效自评表"]
    r = next(c.row for c in ws["B"] if c.value == "年度资金总额")
    got = [(ws.cell(row=r, column=j).value, ws.cell(row=r, column=j).number_format) for j in range(4, 10)]
    assert got == [(3247.99, "0.00"), (3321.47, "0.00"), (2826.23, "0.00"), (10, "0"), (0.8509, "0.00%"),
                   (8.51, "0.00")]
    ws1 = wb["附件1 部门整体支出绩效评价基础数据表"]
    r = first_row_of(ws1, "三公经费：")
    assert [ws1.cell(row=r, column=j).value for j in (2, 4, 6)] == [9.64, 9.64, 4.6]  # 96380, 96400, 46000 元
    assert ws1.cell(row=r, column=6).number_format == "0.00"
    r = first_row_of(ws1, "财政供养人员情况（人）") + 1
    assert [ws1.cell(row=r, column=j).value for j in (2, 4, 6)] == [81, 72, 0.8889]
    # the unit line: its left part on the left, its right part on the right
    assert ws1["A3"].value == "填报单位：桃源县郑家驿镇人民政府" and ws1["G3"].value == "单位：万元"
    # text stays text (a value with its unit, a heading)
    ws = wb["附件2 部门整体支出绩效自评表"]
    r = next(c.row for c in ws["D"] if c.value == "开展党建工作：中心组")
    assert ws.cell(row=r, column=5).value == "1次/月" and ws.cell(row=r, column=7).value == 2


def test_each_form_prints_on_a4_in_its_orientation(example) -> None:
    document, wb, folder = example
    orientation = {"附件1": "portrait", "附件2": "landscape", "附件3": "landscape"}  # the report's sections
    assert [s.orientation for s in document.sections[-3:]] == [0, 1, 1]
    forms = body_forms(document)
    for ws, form in zip(wb.worksheets, forms, strict=True):
        setup = ws.page_setup
        assert setup.paperSize == 9 and setup.orientation == orientation[form["marker"]], ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text  # page n of N
        # the header rows of the form's main table repeat on every page
        main_table = form["tables"][-1]
        _, _, _, header = word_grid(main_table)
        assert header >= 1
        first = first_row_of(ws, word_grid(main_table)[0][(0, 0)][0])
        assert ws.print_title_rows == f"${first}:${first + header - 1}", ws.title
        # columns as wide as in Word, in proportion
        widths = max((word_grid(t)[2] for t in form["tables"]), key=len)
        got = [ws.column_dimensions[openpyxl.utils.get_column_letter(j + 1)].width for j in range(len(widths))]
        for w, g in zip(widths, got):
            assert abs(g / sum(got) - w / sum(widths)) < 0.01, ws.title
    assert not ooxml.problems(folder / TABLES_NAME)


def test_rows_are_tall_enough_for_their_wrapped_text(example) -> None:
    _, wb, _ = example
    ws = wb["附件2 部门整体支出绩效自评表"]
    r = next(c.row for c in ws["B"] if isinstance(c.value, str) and c.value.startswith("1.全面深化基层党建"))
    lines = ws.cell(row=r, column=2).value.split("\n")
    assert len(lines) == 10
    assert ws.row_dimensions[r].height >= 10 * 10.5  # ten lines of 五号 (10.5 pt) at least
    note = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("注："))
    assert ws.row_dimensions[note].height > 15  # the note wraps over the merged width
    short = next(c.row for c in ws["D"] if c.value == "开展党建工作：中心组")
    assert ws.row_dimensions[short].height < 40


# ------------------------------------------------------------------ the template decides


def remove_attachment(path: Path, marker: str) -> None:
    """Delete the attachment ``marker`` (its marker paragraph up to the next marker) from a template."""
    document = docx.Document(path)
    body = document.element.body
    children = list(body)
    start = next(i for i, c in enumerate(children) if c.tag == W + "p" and
                 "".join(t.text or "" for t in c.iter(W + "t")).strip() == marker)
    end = next(i for i, c in enumerate(children[start + 1:], start=start + 1) if c.tag == W + "p" and
               re.fullmatch(r"附件\d+", "".join(t.text or "" for t in c.iter(W + "t")).strip()))
    for child in children[start:end]:
        if child.find(f"{W}pPr/{W}sectPr") is None:  # keep the section breaks (orientation)
            body.remove(child)
    document.save(path)


def test_a_form_removed_from_the_template_disappears_from_excel(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    remove_attachment(project / "templates" / "default" / "report.docx", "附件1")
    folder = generate(project)
    document = docx.Document(folder / REPORT_NAME)
    assert "附件1" not in [p.text.strip() for p in document.paragraphs]
    wb = openpyxl.load_workbook(folder / TABLES_NAME)
    assert wb.sheetnames == ["附件2 部门整体支出绩效自评表", "附件3-1", "附件3-2", "附件3-3"]
    assert not any("财政供养人员情况" in str(c.value) for ws in wb for row in ws.iter_rows() for c in row)


def test_a_form_redrawn_in_word_appears_redrawn(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    template = project / "templates" / "default" / "report.docx"
    document = docx.Document(template)
    lead = next(t for t in document.tables if t.rows[0].cells[0].text == "财政供养人员情况（人）")
    column = lead.add_column(docx.shared.Cm(2.5))  # a clerk's own column: 备注
    first, second = column.cells[0], column.cells[-1]
    first.text, second.text = "备注", "含借调2人"
    for tc in (first._tc, second._tc):  # as the neighbouring cells: a paragraph style the render expects
        neighbour = tc.getprevious()
        style = neighbour.find(f"{W}p/{W}pPr")
        if style is not None:
            tc.find(W + "p").insert(0, copy.deepcopy(style))
    document.save(template)
    folder = generate(project)
    report = docx.Document(folder / REPORT_NAME)
    forms = body_forms(report)
    wb = openpyxl.load_workbook(folder / TABLES_NAME)
    ws = wb["附件1 部门整体支出绩效评价基础数据表"]
    check_form(ws, forms[0])
    r = first_row_of(ws, "财政供养人员情况（人）")
    last = ws.cell(row=r, column=8)
    assert (last.value, ws.cell(row=r + 1, column=8).value) == ("备注", "含借调2人")
    assert ws.max_column == 8


def test_a_template_without_attachment_tables_writes_no_excel_copy(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    folder = generate(project)
    assert (folder / TABLES_NAME).is_file()  # from the default template
    plain = docx.Document()
    plain.add_paragraph("{{ 年度 }}年度{{ 基本信息.单位全称 }}整体支出绩效自评报告")
    plain.add_paragraph("资产总额{{ 财务.资产总额|万元 }}万元。")
    plain.save(project / "templates" / "default" / "report.docx")
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not (folder / TABLES_NAME).exists()  # the earlier one would not match the new report: removed, and told
    assert f"已删除与新报告不一致的旧文件：{folder / TABLES_NAME}" in result.output
    text = [p.text for p in docx.Document(folder / REPORT_NAME).paragraphs]
    assert text == ["2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告", "资产总额1813.15万元。"]
