"""The fast workbook reader (generator/workbook.py ``_open_fast``) reads exactly what openpyxl reads.

Each workbook here is read both ways and compared cell by cell (value, type, number format) and by merged
ranges; what the fast reader does not handle must fall back to openpyxl rather than read differently.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import EXAMPLE
from generator import workbook as wbmod
from generator.tables_xlsx import tables_workbook


def _both(path: Path):
    fast = wbmod._open_fast(wbmod._check_container(path)[1])
    assert fast is not None, "the fast reader gave up on a plain workbook"
    slow = wbmod._open_openpyxl(path, False)
    assert fast[0] == slow[0]
    assert fast[1].keys() == slow[1].keys()
    for name in fast[1]:
        a, b = fast[1][name], slow[1][name]
        assert a.merged == b.merged, name
        cells_a = {k: (type(c.value), c.value, c.number_format) for k, c in a.cells.items()}
        cells_b = {k: (type(c.value), c.value, c.number_format) for k, c in b.cells.items()}
        assert cells_a == cells_b, name
    return fast


def test_example_workbook_reads_the_same(tmp_path):
    fast = _both(EXAMPLE)
    assert sum(len(s.cells) for s in fast[1].values()) > 500
    assert wbmod.read_workbook(EXAMPLE) == wbmod.read_workbook(EXAMPLE, fast=False)


def test_workbook_saved_by_openpyxl_with_every_kind_of_value(tmp_path):
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
        ("早期", 30, "mm-dd-yy"), ("符号", "A&B<C>", "General"),
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
    fast = _both(path)
    cells = fast[1]["数据"].cells
    assert cells[(10, 2)].value == dt.datetime(2024, 12, 31)
    assert cells[(13, 2)].value == dt.timedelta(hours=30, minutes=5)
    assert cells[(14, 2)].value == dt.datetime(1900, 1, 30)  # the 1900 leap-year quirk, as openpyxl reads it
    assert fast[1]["数据"].merged == ["A17:C18", "D17"]


def test_tables_workbook_with_shared_strings_reads_the_same(tmp_path):
    """Shared strings, many number formats, merged ranges: our own Excel tables, read back both ways."""
    from generator import load

    _, ctx, _ = load(EXAMPLE, 2024)
    path = tmp_path / "tables.xlsx"
    path.write_bytes(tables_workbook(ctx))
    fast = _both(path)
    assert any(s.merged for s in fast[1].values())


SHEET = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
         '<row r="2"><c r="A2" t="str"><v>公式结果</v></c><c r="B2" t="b"><v>0</v></c><c r="C2" t="e"><v>#DIV/0!</v></c>'
         '<c r="D2" s="1"><v>45000.5</v></c><c r="E2"><v>1E3</v></c><c r="F2" s="2"><v>7</v></c>'
         '<c r="G2" t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r></is></c><c r="H2"><v></v></c></row>'
         '</sheetData><mergeCells count="3"><mergeCell ref="A5:B6"/><mergeCell ref="A5:A5"/>'
         '<mergeCell ref="C5:C5"/></mergeCells></worksheet>')
STRINGS = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<si><t xml:space="preserve"> 普通 </t></si>'
           '<si><r><rPr><b/></rPr><t>富</t></r><r><t>文本</t></r><rPh sb="0" eb="1"><t>ふ</t></rPh></si>'
           '<si><t>a_x005F_x000D_b</t></si></sst>')
STYLES = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/></numFmts>'
          '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
          '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="176"/><xf numFmtId="10"/></cellXfs></styleSheet>')


def _handmade(path: Path, date1904: bool = False) -> Path:
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
        "xl/worksheets/sheet1.xml": SHEET, "xl/styles.xml": STYLES, "xl/sharedStrings.xml": STRINGS,
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml)
    return path


@pytest.mark.parametrize("date1904", [False, True])
def test_excel_style_package_reads_the_same(tmp_path, date1904):
    fast = _both(_handmade(tmp_path / "excel.xlsx", date1904))
    cells = fast[1]["表一"].cells
    assert [cells[(1, c)].value for c in (1, 2, 3)] == [" 普通 ", "富文本", "a_x000D_b"]  # "_x005F" dropped, as openpyxl does
    assert cells[(2, 7)].value == "内联" and cells[(2, 8)].value is None
    assert fast[1]["表一"].merged == ["A5", "A5:B6", "C5"]  # as openpyxl lists them


def test_what_the_fast_reader_does_not_handle_goes_to_openpyxl(tmp_path):
    path = _handmade(tmp_path / "d.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b'<c r="E2"><v>1E3</v></c>', b'<c r="E2" t="d"><v>2024-01-01T00:00:00</v></c>')
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert wbmod._open_fast(wbmod._check_container(path)[1]) is None
    raw = wbmod.read_workbook(path)  # read by openpyxl instead, without error
    assert raw.sheet_names == ["表一"]
