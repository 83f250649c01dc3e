"""Pagination of the report and its tables, checked on LibreOffice's PDF (issue 13).

The example unit and a stress unit (every report text four times as long, 300
more indicators, long 偏差原因 texts) are generated with the CLI and converted
once per session (``layout.units``); ``layout.Layout`` reads the PDFs back with
``pdftotext -bbox-layout``. The template's pagination properties are also
checked in its XML, and both the template and a generated report must pass an
independent Office Open XML validator (issue 18).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

import generator.formats.pdf as pdf_module
import layout
from conftest import ROOT, require

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEMPLATE = ROOT / "templates" / "default" / "report.docx"
UNITS = ("example", "stress")


@pytest.fixture(scope="session")
def units(tmp_path_factory: pytest.TempPathFactory) -> dict[str, layout.Unit]:
    require(pdf_module.find_soffice() is not None, "LibreOffice (soffice)")
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    return layout.units(lambda: tmp_path_factory.mktemp("layout"), ROOT)


# ------------------------------------------------------------------ the report, as LibreOffice lays it out


@pytest.mark.parametrize("unit", UNITS)
def test_no_page_holds_only_a_heading_list_item_note_or_table_header(units, unit: str) -> None:
    assert units[unit].layout().lonely_pages() == []


@pytest.mark.parametrize("unit", UNITS)
def test_no_page_ends_with_a_heading(units, unit: str) -> None:
    assert units[unit].layout().headings_at_page_end() == []


@pytest.mark.parametrize("unit", UNITS)
def test_no_table_row_breaks_across_pages(units, unit: str) -> None:
    found = units[unit].layout().split_cells(units[unit].cells())
    assert [(page, text[:40]) for page, text in found] == []


@pytest.mark.parametrize("unit", UNITS)
def test_notes_stay_with_their_tables(units, unit: str) -> None:
    """Each 注：/说明： note shares its page with table rows other than the repeated header."""
    lay = units[unit].layout()
    notes = [p for p in lay.pages if any(ln.kind == "note" and layout.NOTE.match(ln.text) for ln in p.lines)]
    assert len(notes) >= 3  # 附件1, 附件2 and one per project
    for page in notes:
        assert any(ln.kind == "table" for ln in page.lines), page.number


@pytest.mark.parametrize("unit", UNITS)
def test_attachment_titles_start_their_tables(units, unit: str) -> None:
    """Every page holding a title of an attachment table also holds the start of the table."""
    lay = units[unit].layout()
    for page in lay.pages:
        titles = [ln for ln in page.lines if ln.kind == "title" and ln.text.endswith(("自评表", "数据表"))]
        if titles:
            below = [ln for ln in page.lines if ln.kind in ("table", "table_header") and ln.y0 > titles[-1].y1]
            assert len(below) > 3, page.number


# ------------------------------------------------------------------ the Excel tables, as LibreOffice prints them


@pytest.mark.parametrize("unit", UNITS)
def test_tables_workbook_prints_without_lonely_pages_or_broken_rows(units, unit: str) -> None:
    """The same checks on the -附表.xlsx PDF (Calc's print of generator/tables_xlsx.py's sheets)."""
    lay = units[unit].layout(tables=True)
    assert lay.lonely_pages() == []
    assert lay.headings_at_page_end() == []
    assert [(page, text[:40]) for page, text in lay.split_cells(units[unit].cells(tables=True))] == []


# ------------------------------------------------------------------ the template's XML


def _xml(path: Path, part: str = "word/document.xml") -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(part))


def _styles(path: Path) -> dict[str, etree._Element]:
    root = _xml(path, "word/styles.xml")
    return {s.find(W + "name").get(W + "val"): s for s in root.iter(W + "style")}


def _on(ppr: etree._Element | None, tag: str) -> bool:
    el = ppr.find(W + tag) if ppr is not None else None
    return el is not None and el.get(W + "val") not in ("0", "false", "off")


def test_template_styles_keep_headings_lists_and_titles_with_what_follows() -> None:
    styles = _styles(TEMPLATE)
    for level, name in enumerate(("heading 1", "heading 2", "heading 3", "heading 4")):
        ppr = styles[name].find(W + "pPr")
        assert _on(ppr, "keepNext") and _on(ppr, "keepLines"), name
        assert ppr.find(W + "outlineLvl").get(W + "val") == str(level), name
        assert styles[name].find(W + "semiHidden") is None, name  # offered in Word's style gallery
    for name in ("附件说明", "附件说明续行", "附表标题", "附表说明", "附件标记"):
        assert _on(styles[name].find(W + "pPr"), "keepNext"), name
    for name in ("正文", "Normal"):
        assert _on(styles[name].find(W + "pPr"), "widowControl"), name
    assert not _on(styles["附表注释"].find(W + "pPr"), "keepNext")


def test_template_tables_rows_never_split_headers_repeat_notes_keep_with_last_row() -> None:
    body = _xml(TEMPLATE).find(W + "body")
    tables = body.findall(W + "tbl")
    assert len(tables) == 6  # a lead and a main table per attachment
    for tbl in tables:
        rows = tbl.findall(W + "tr")
        assert all(tr.find(W + "trPr/" + W + "cantSplit") is not None for tr in rows)
    mains = [t for t in tables if t.find(W + "tr/" + W + "trPr/" + W + "tblHeader") is not None]
    assert len(mains) == 3
    for tbl in mains:
        header = tbl.find(W + "tr")
        assert all(_on(p.find(W + "pPr"), "keepNext") for p in header.iter(W + "p"))
        note = tbl.getnext()
        assert note.find(W + "pPr/" + W + "pStyle").get(W + "val") == "附表注释"
        assert note.xpath("string(.)").startswith(("注：", "说明："))
        last = tbl.findall(W + "tr")[-1]
        assert all(_on(p.find(W + "pPr"), "keepNext") for p in last.iter(W + "p"))


# ------------------------------------------------------------------ an independent validator (issue 18)


def _audit(path: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("openxml_audit")
    return subprocess.run([sys.executable, "-m", "openxml_audit", "-m", "0", str(path)], capture_output=True,
                          text=True, timeout=300)


def test_template_is_valid_office_open_xml() -> None:
    result = _audit(TEMPLATE)
    assert result.returncode == 0 and "Errors: 0" in result.stdout, result.stdout


@pytest.mark.parametrize("unit", UNITS)
def test_generated_report_is_valid_office_open_xml(units, unit: str) -> None:
    result = _audit(units[unit].docx)
    assert result.returncode == 0 and "Errors: 0" in result.stdout, result.stdout


# ------------------------------------------------------------------ the analyser itself, on made-up pages


def _page(number: int, lines: list[tuple[float, float, str, float]], landscape: bool = False) -> layout.Page:
    """lines: (x0, y0, text, size); each character is ``size`` wide (ASCII half)."""
    page = layout.Page(number, 842.0 if landscape else 595.0, 595.0 if landscape else 842.0)
    for b, (x0, y0, text, size) in enumerate(lines):
        width = layout.width_in_chars(text) * size
        page.lines.append(layout.Line(number, b, x0, y0, x0 + width, y0 + size * layout.LINE_BOX, text))
    return page


def _body(y: float, text: str, first: bool = False) -> tuple[float, float, str, float]:
    return (80 + (32 if first else 0), y, text, 16.0)


def test_analyser_finds_a_heading_at_the_foot_and_a_page_of_one_list_item() -> None:
    full = "一" * 28
    p1 = _page(1, [_body(100, "二" * 26, True), _body(130, full), _body(160, "三" * 10),
                   _body(190, "（1）产出指标", True), (500, 750, "—1—", 14.0)])
    p2 = _page(2, [_body(100, "①数量指标。" + "四" * 20, True), _body(130, "五" * 5)])
    p3 = _page(3, [(160, 100, "3.项目支出绩效自评表", 16.0)])  # the 附件 list's last line, under the first name
    lay = layout.Layout([p1, p2, p3])
    assert [ln.kind for ln in p1.lines] == ["body", "body", "body", "heading4", "page_number"]
    assert lay.headings_at_page_end() == [(1, "（1）产出指标")]
    assert lay.lonely_pages() == [(3, ["3.项目支出绩效自评表"])]
    assert [ln.text for ln in lay.full_lines()] == ["二" * 26, full, "①数量指标。" + "四" * 20]
    items = _page(4, [_body(100, "（8）走访慰问困难群众和特殊群体。", True), _body(130, "（9）保证社区、村级组织健康、正常运转。", True)])
    assert layout.Layout([p1, items]).lonely_pages() == []  # a page of whole list items is a page of text


def test_analyser_finds_a_cell_broken_across_pages_and_a_page_of_only_a_note() -> None:
    header = [(100, 60, "一级指标", 10.5), (200, 60, "二级指标", 10.5), (300, 60, "三级指标", 10.5)]
    p1 = _page(1, header + [(300, 90, "甲指标", 10.5), (300, 400, "全年完成基层党建", 10.5),
                            (300, 415, "标准化建设、人居", 10.5)], landscape=True)
    p2 = _page(2, header + [(300, 90, "环境整治项目12个", 10.5), (300, 120, "乙指标", 10.5)], landscape=True)
    p3 = _page(3, header + [(80, 90, "注：预算执行率得分＝分值×执行率。", 12.0)], landscape=True)
    lay = layout.Layout([p1, p2, p3])
    assert p1.lines[0].kind == "table_header" and p1.lines[3].kind == "table"
    cell = "全年完成基层党建标准化建设、人居环境整治项目12个"
    assert lay.split_cells([cell, "甲指标", "乙指标"]) == [(1, cell)]
    assert lay.split_cells(["全年完成基层党建标准化建设、人居", "环境整治项目12个"]) == []  # two cells, no break
    assert [n for n, _ in lay.lonely_pages()] == [3]
