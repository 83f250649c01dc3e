"""The fast workbook reader (``formats/xlsx_read._fast_book``) reads exactly what openpyxl reads.

Each workbook is read both ways and compared cell by cell (value, its type, number format), by merged ranges
and by formula texts; what the fast reader leaves alone must go to openpyxl rather than be read differently.
Then Strict Open XML: a Strict copy of the example (its namespaces rewritten as Excel's "Strict Open XML" save
writes them, a date stored as ISO 8601) reads as the transitional one does and gives the same report.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from conftest import EXAMPLE, ROOT
from generator.formats import xlsx_read
from generator.read import read_workbook


def fast_and_slow(path: Path):
    with zipfile.ZipFile(path) as zf:
        parts = xlsx_read._read_parts(zf, path.name)
    fast = xlsx_read._fast_book(parts, None, False)
    slow = xlsx_read._openpyxl_book(path, None)
    return fast, slow


def assert_same(path: Path) -> xlsx_read.Book:
    fast, slow = fast_and_slow(path)
    assert fast.sheet_names == slow.sheet_names
    assert fast.sheets.keys() == slow.sheets.keys()
    for name in fast.sheets:
        a, b = fast.sheets[name], slow.sheets[name]
        assert a.merged == b.merged, name
        cells_a = {k: (type(c.value), c.value, c.number_format) for k, c in a.cells.items()}
        cells_b = {k: (type(c.value), c.value, c.number_format) for k, c in b.cells.items()}
        assert cells_a == cells_b, name
        assert a.formulas == b.formulas, name
    return fast


def test_example_workbook_reads_the_same() -> None:
    fast = assert_same(EXAMPLE)
    assert sum(len(s.cells) for s in fast.sheets.values()) > 500
    assert fast.sheets["基本信息"].cells[(4, 2)].value == "桃源县郑家驿镇人民政府"  # written by the example, B4


def test_workbook_saved_by_openpyxl_with_every_kind_of_value(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    rows = [
        ("整数", 42, "General"), ("小数", 1234.5678, "0.00"), ("百分比", 0.8509, "0.00%"),
        ("负数", -3, '#,##0.00_);[Red](#,##0.00)'), ("科学", 1.5e-7, "0.00E+00"), ("万元", 12.3, '0.00"万元"'),
        ("文本", "  前后空格 \n第二行", "@"), ("布尔", True, "General"), ("错误", "#N/A", "General"),
        ("日期", dt.datetime(2024, 12, 31), "yyyy-mm-dd"), ("中文日期", dt.datetime(2024, 3, 1, 8, 30),
                                                         'yyyy"年"m"月"d"日"'),
        ("时间", dt.time(13, 45, 10), "h:mm:ss"), ("时长", dt.timedelta(hours=30, minutes=5), "[h]:mm:ss"),
        ("早期", 30, "mm-dd-yy"), ("符号", "A&B<C>", "General"), ("公式", "=B1*2", "General"),
    ]
    for i, (label, value, fmt) in enumerate(rows, start=1):
        ws.cell(row=i, column=1, value=label)
        cell = ws.cell(row=i, column=2, value=value)
        cell.number_format = fmt
    ws.cell(row=20, column=5).number_format = "0.00"  # styled, empty
    ws.merge_cells("A17:C18")
    ws.merge_cells("D17:D17")
    wb.create_sheet("空表")
    path = tmp_path / "kinds.xlsx"
    wb.save(path)
    fast = assert_same(path)
    cells = fast.sheets["数据"].cells
    assert cells[(10, 2)].value == dt.datetime(2024, 12, 31)
    assert cells[(13, 2)].value == dt.timedelta(hours=30, minutes=5)
    assert cells[(14, 2)].value == dt.datetime(1900, 1, 30)  # the 1900 leap-year quirk, as openpyxl reads it
    assert fast.sheets["数据"].formulas[(16, 2)] == "=B1*2"
    assert fast.sheets["数据"].merged == ["A17:C18", "D17"]


def test_our_own_tables_workbook_reads_the_same(tmp_path: Path) -> None:
    """Shared strings, many number formats, merged ranges: the -附表.xlsx the program writes, read back."""
    from generator.formats import docx_tables
    from generator.pipeline import load
    from generator.render import make_env, render
    from generator.template import load_template

    env = make_env()
    template = load_template(ROOT / "templates" / "default" / "report.docx", env)
    rendered = render(template, load(EXAMPLE, 2024)[1].values, env)
    path = tmp_path / "tables.xlsx"
    path.write_bytes(docx_tables.workbook(docx_tables.forms(rendered.document)))
    fast = assert_same(path)
    assert any(s.merged for s in fast.sheets.values())


SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
         '<row r="2"><c r="A2" t="str"><f>"公式"&amp;"结果"</f><v>公式结果</v></c><c r="B2" t="b"><v>0</v></c>'
         '<c r="C2" t="e"><v>#DIV/0!</v></c><c r="D2" s="1"><v>45000.5</v></c><c r="E2"><v>1E3</v></c>'
         '<c r="F2" s="2"><v>7</v></c><c r="G2" t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r></is></c>'
         '<c r="H2"><v></v></c><c r="I2" t="d"><v>2024-03-01T08:30:00</v></c></row>'
         '</sheetData><mergeCells count="3"><mergeCell ref="A5:B6"/><mergeCell ref="A5:A5"/>'
         '<mergeCell ref="C5:C5"/></mergeCells></worksheet>')
STRINGS = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<si><t xml:space="preserve"> 普通 </t></si>'
           '<si><r><rPr><b/></rPr><t>富</t></r><r><t>文本</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></si>'
           '<si><t>a_x005F_x000D_b</t></si></sst>')
STYLES = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/></numFmts>'
          '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
          '<borders count="1"><border/></borders>'
          '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176"/><xf numFmtId="10"/></cellXfs></styleSheet>')


def handmade(path: Path, date1904: bool = False, sheet: str = SHEET) -> Path:
    """A workbook as Excel writes one: shared strings (rich text, phonetic runs), custom formats, merges."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    r_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pr = ' date1904="1"' if date1904 else ""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override '
        'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {ns} {r_ns}><workbookPr{pr}/>'
        '<sheets><sheet name="表一" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet, "xl/styles.xml": STYLES, "xl/sharedStrings.xml": STRINGS,
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml)
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_excel_style_package_reads_the_same(tmp_path: Path, date1904: bool) -> None:
    fast = assert_same(handmade(tmp_path / "excel.xlsx", date1904))
    cells = fast.sheets["表一"].cells
    assert [cells[(1, c)].value for c in (1, 2, 3)] == [" 普通 ", "富文本", "a_x000D_b"]  # as openpyxl does
    assert cells[(2, 7)].value == "内联" and cells[(2, 8)].value is None
    assert cells[(2, 9)].value == dt.datetime(2024, 3, 1, 8, 30)  # an ISO 8601 date cell (t="d")
    assert fast.sheets["表一"].formulas[(2, 1)] == '="公式"&"结果"'
    assert fast.sheets["表一"].merged == ["A5", "A5:B6", "C5"]  # as openpyxl lists them


def test_what_the_fast_reader_does_not_handle_goes_to_openpyxl(tmp_path: Path) -> None:
    odd = SHEET.replace('<c r="E2"><v>1E3</v></c>', '<c r="E2" t="x"><v>1</v></c>')  # an unknown cell type
    path = handmade(tmp_path / "odd.xlsx", sheet=odd)
    with zipfile.ZipFile(path) as zf:
        parts = xlsx_read._read_parts(zf, path.name)
    with pytest.raises(xlsx_read._NotPlain):
        xlsx_read._fast_book(parts, None, False)
    book = xlsx_read.open_book(path)  # read by openpyxl instead, without error
    assert book.sheet_names == ["表一"] and book.sheets["表一"].cells[(1, 2)].value == "富文本"


# ----------------------------------------------------------------------------- Strict Open XML

STRICT = (  # transitional → strict, as Excel's "Strict Open XML Spreadsheet" writes them
    ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     "http://purl.oclc.org/ooxml/officeDocument/relationships"),
    ("http://schemas.openxmlformats.org/drawingml/2006/main", "http://purl.oclc.org/ooxml/drawingml/main"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
     "http://purl.oclc.org/ooxml/officeDocument/extendedProperties"),
    ("http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
     "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"),
)
DATE_CELL = "B9"  # 基本信息 › 报告日期 in the example


def strict_copy(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    for name, data in parts.items():
        if not name.endswith((".xml", ".rels")):
            continue
        text = data.decode("utf-8")
        for transitional, strict in STRICT:
            text = text.replace(transitional, strict)
        if name == "xl/workbook.xml":
            text = text.replace("<workbook ", '<workbook conformance="strict" ', 1)
        if name == "xl/worksheets/sheet2.xml":  # 基本信息: its date as Strict writes dates
            cell = re.search(rf'<c r="{DATE_CELL}"[^>]*><v>([0-9.]+)</v></c>', text)
            assert cell, "the example's 报告日期 is a number with a date format"
            day = dt.datetime(1899, 12, 30) + dt.timedelta(days=float(cell.group(1)))
            iso = re.sub(r' t="n"', "", cell.group(0)).replace(">", ' t="d">', 1)
            text = text.replace(cell.group(0), iso.replace(f"<v>{cell.group(1)}</v>", f"<v>{day.isoformat()}</v>"))
        parts[name] = text.encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_strict_workbook_reads_as_the_transitional_one(tmp_path: Path) -> None:
    path = tmp_path / "2024.xlsx"
    strict_copy(EXAMPLE, path)
    assert b"purl.oclc.org" in zipfile.ZipFile(path).read("xl/workbook.xml")
    strict, plain = read_workbook(path), read_workbook(EXAMPLE)
    assert strict.sheet_names == plain.sheet_names and len(strict.sheet_names) == 15
    assert strict.problems == plain.problems == []
    assert strict.fields == plain.fields and strict.grids == plain.grids and strict.tables == plain.tables
    assert xlsx_read.open_book(path).strict


def test_strict_workbook_gives_the_same_report(project: Path) -> None:
    from test_bad_input import run_cli

    first = run_cli(project)
    assert first.exit_code == 0, first.output
    folder = project / "output" / "2024"
    report = next(folder.glob("*报告.docx"))
    expected = [p.text for p in Document(report).paragraphs]
    expected_tables = [[c.text for row in t.rows for c in row.cells] for t in Document(report).tables]
    strict_copy(EXAMPLE, project / "data" / "2024.xlsx")
    shutil.rmtree(project / "output")
    second = run_cli(project)
    assert second.exit_code == 0, second.output
    doc = Document(next(folder.glob("*报告.docx")))
    assert [p.text for p in doc.paragraphs] == expected
    assert [[c.text for row in t.rows for c in row.cells] for t in doc.tables] == expected_tables
    annotated = openpyxl.load_workbook(next(folder.glob("*审核.xlsx")))
    assert "基本信息" in annotated.sheetnames  # the annotated copy keeps the clerk's sheets
