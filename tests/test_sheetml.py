"""The SpreadsheetML writer (generator/sheetml.py), read back with openpyxl and lxml (issues 13 item 7, 18).

Schema order, the theme part, print setup (A4, orientation, fit to width,
print titles, page-number footer, margins), row heights for wrapped text,
protection with unlocked cells, data validations, internal links, hidden
sheets and date cells. Expected values are written here, not taken from the writer.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from lxml import etree

from generator.formats import xlsx_write as sheetml
from generator.formats.xlsx_write import Sheet, Styles, package

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PR = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"

# ECMA-376 Part 1, sml.xsd: the child sequences (transitional), written out here independently of the writer
WORKSHEET_ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins",
    "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
    "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "picture", "oleObjects", "controls",
    "webPublishItems", "tableParts", "extLst"]
WORKBOOK_ORDER = [
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"]
STYLESHEET_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                    "tableStyles", "colors", "extLst"]

TEXT_FONT = ("宋体", 11, False)
BIG_FONT = ("黑体", 16, True)
LONG = "这是一段很长的说明文字，" * 12  # 132 CJK characters


def every_feature() -> bytes:
    """A workbook using every feature of the writer."""
    styles = Styles()
    plain = styles.xf(TEXT_FONT, border=True)
    wrapped = styles.xf(TEXT_FONT, border=True, align=("left", "top", True))
    unlocked = styles.xf(TEXT_FONT, border=True, number_format="0.00", fill="FFF2CC", locked=False)
    date = styles.xf(TEXT_FONT, number_format="yyyy/m/d", locked=False)
    pct = styles.xf(TEXT_FONT, number_format="0.00%")
    title = styles.xf(BIG_FONT, align=("center", "center", False))
    link = styles.xf(("宋体", 11, False, "0563C1", True))

    ws = Sheet("数据 表", styles)
    ws.put(1, 1, "标题", title)
    ws.merge(1, 1, 1, 4)
    for j, label in enumerate(["项目", "金额", "日期", "比例"], start=1):
        ws.put(2, j, label, plain)
    ws.put(3, 1, "甲&<乙>", plain)
    ws.put(3, 2, Decimal("12.50"), unlocked)
    ws.put(3, 3, dt.date(2024, 9, 15), date)
    ws.put(3, 4, 0.85, pct)
    ws.put(4, 1, LONG, wrapped)
    ws.merge(4, 1, 4, 2)
    ws.put(4, 2, None, wrapped)
    ws.put(4, 3, True, plain)
    ws.put(4, 4, 7, plain)
    ws.put(5, 1, "转到附表", link)
    ws.link(5, 1, "'列表'!A2", tooltip="看列表")
    ws.heights[1] = 28
    ws.char_widths = (12, 10, 12, 10)
    ws.freeze = (3, 2)
    ws.autofilter = (2, 1, 4, 4)
    ws.print_titles = (1, 2)
    ws.print_area = (4, 5)
    ws.landscape = True
    ws.protected = True
    ws.validate("B3:B20", "decimal", minimum=0, prompt="请输入金额（万元）", prompt_title="金额",
                error="只能填写不小于 0 的数字", error_title="数字不正确")
    ws.validate("D3:D20", "decimal", minimum=0, maximum=1, prompt="百分数")
    ws.validate("C3:C20", "date", minimum=dt.date(2024, 1, 1), maximum=dt.date(2024, 12, 31), prompt="日期")
    ws.validate("E3:E20", "whole", prompt="整数")
    ws.validate("F3:F20", "list", choices=["达成", "部分达成", "未达成"], prompt="请选择", error="请从列表选择")
    ws.validate("G3:G20", "list", source="'列表'!$A$1:$A$3", prompt="请选择")

    lists = Sheet("列表", styles)
    for i, v in enumerate(["一", "二", "三"], start=1):
        lists.put(i, 1, v, 0)
    lists.hidden = True

    portrait = Sheet("说明", styles)
    portrait.put(1, 1, "第一行\n第二行\n第三行", wrapped)
    portrait.fit_width = True
    return package([ws, lists, portrait], styles)


@pytest.fixture(scope="module")
def book() -> bytes:
    return every_feature()


def _xml(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read(name))


def _is_in_order(names: list[str], order: list[str]) -> bool:
    positions = [order.index(n) for n in names]
    return positions == sorted(positions)


def test_element_builder_orders_children_and_refuses_what_the_schema_does_not_allow():
    out = sheetml.element("worksheet", [("pageSetup", "<pageSetup/>"), ("sheetData", "<sheetData/>"),
                                        ("sheetPr", "<sheetPr/>"), ("mergeCells", "<mergeCells/>")])
    names = [etree.QName(c).localname for c in etree.fromstring(out)]
    assert names == ["sheetPr", "sheetData", "mergeCells", "pageSetup"]
    with pytest.raises(ValueError):
        sheetml.element("worksheet", [("sheetData", "<sheetData/>"), ("bogus", "<bogus/>")])
    with pytest.raises(ValueError):  # sheetData is required
        sheetml.element("worksheet", [("sheetPr", "<sheetPr/>")])
    with pytest.raises(ValueError):  # at most one
        sheetml.element("worksheet", [("sheetData", "<sheetData/>"), ("sheetData", "<sheetData/>")])
    with pytest.raises(ValueError):  # CT_SheetView: at most 4 selections
        sheetml.element("sheetView", [("selection", "<selection/>")] * 5)


def test_parts_follow_the_schema_sequences(book):
    for k in (1, 2, 3):
        root = _xml(book, f"xl/worksheets/sheet{k}.xml")
        names = [etree.QName(c).localname for c in root]
        assert _is_in_order(names, WORKSHEET_ORDER), names
    sheet1 = [etree.QName(c).localname for c in _xml(book, "xl/worksheets/sheet1.xml")]
    assert {"sheetProtection", "autoFilter", "mergeCells", "dataValidations", "hyperlinks", "pageSetup",
            "headerFooter"} <= set(sheet1)
    workbook = [etree.QName(c).localname for c in _xml(book, "xl/workbook.xml")]
    assert _is_in_order(workbook, WORKBOOK_ORDER) and "definedNames" in workbook
    styles = [etree.QName(c).localname for c in _xml(book, "xl/styles.xml")]
    assert _is_in_order(styles, STYLESHEET_ORDER)
    for xf in _xml(book, "xl/styles.xml").iter(M + "xf"):
        assert _is_in_order([etree.QName(c).localname for c in xf], ["alignment", "protection", "extLst"])


def test_theme_part_relationship_and_content_type(book):
    rels = _xml(book, "xl/_rels/workbook.xml.rels")
    theme = [r for r in rels if r.get("Type").endswith("/relationships/theme")]
    assert [r.get("Target") for r in theme] == ["theme/theme1.xml"]
    types = _xml(book, "[Content_Types].xml")
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(CT + "Override")}
    assert overrides["/xl/theme/theme1.xml"] == "application/vnd.openxmlformats-officedocument.theme+xml"
    root = _xml(book, "xl/theme/theme1.xml")
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    assert root.tag == a + "theme"
    scheme = root.find(f"{a}themeElements/{a}clrScheme")
    assert [etree.QName(c).localname for c in scheme] == [
        "dk1", "lt1", "dk2", "lt2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6", "hlink",
        "folHlink"]
    fmt = root.find(f"{a}themeElements/{a}fmtScheme")
    assert [len(c) for c in fmt] == [3, 3, 3, 3]


def test_values_merges_and_formats_read_back(book):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    assert wb.sheetnames == ["数据 表", "列表", "说明"]
    ws = wb["数据 表"]
    assert [c.value for c in ws[2]] == ["项目", "金额", "日期", "比例"]
    assert ws["A3"].value == "甲&<乙>" and ws["B3"].value == 12.5 and ws["B3"].number_format == "0.00"
    assert ws["C3"].value == dt.datetime(2024, 9, 15) and ws["C3"].number_format == "yyyy/m/d"
    assert ws["D3"].value == 0.85 and ws["C4"].value is True and ws["D4"].value == 7
    assert ws["A4"].value == LONG
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:D1", "A4:B4"}
    assert ws["B3"].fill.fgColor.rgb == "FFFFF2CC"
    assert ws["A5"].font.color.rgb == "FF0563C1" and ws["A5"].font.u == "single"
    assert ws.column_dimensions["A"].width == 12
    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref == "A2:D4"


def test_print_setup_a4_orientation_fit_titles_footer_margins(book):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    ws = wb["数据 表"]
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$2"
    assert ws.print_area == "'数据 表'!$A$1:$D$5"
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert (ws.page_margins.left, ws.page_margins.bottom, ws.page_margins.footer) == (0.6, 0.8, 0.5)
    portrait = wb["说明"]
    assert portrait.page_setup.paperSize == 9 and portrait.page_setup.orientation == "portrait"
    assert portrait.page_setup.fitToWidth == 1 and portrait.oddFooter.center.text == "第 &P 页，共 &N 页"
    lists = wb["列表"]  # not fitted: still A4 with the footer
    assert lists.page_setup.paperSize == 9 and not (lists.sheet_properties.pageSetUpPr
                                                    and lists.sheet_properties.pageSetUpPr.fitToPage)


def test_rows_with_wrapped_text_are_tall_enough(book):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    ws = wb["数据 表"]
    # A4:B4 is 22 units wide: (22 * 7 - 5) px * 0.75 = 111.75 pt, 10 characters of 11 pt a line → 14 lines
    assert ws.row_dimensions[4].height >= 14 * 11 * 1.2
    assert ws.row_dimensions[1].height == 28  # an explicit height, enough for its one line, is kept
    assert ws.row_dimensions[3].height is None  # short texts: the default height
    assert wb["说明"].row_dimensions[1].height >= 3 * 11 * 1.2  # three lines


def test_row_height_helper():
    one = sheetml.row_height([("短", 10)])
    assert one == sheetml.DEFAULT_ROW_HEIGHT
    two = sheetml.row_height([("字" * 15, 20)])  # 20 units hold 13 characters of 11 pt
    assert 2 * 11 * 1.2 <= two <= 2 * 11 * 1.5
    assert sheetml.row_height([("字" * 15, 40)]) == one  # merged over two such columns: one line
    assert sheetml.row_height([("a\nb\nc", 20)]) >= 3 * 11 * 1.2
    assert sheetml.row_height([("字" * 15, 20, 16)]) > two  # a bigger font takes more room
    latin = sheetml.row_height([("x" * 15, 20)])
    assert latin == one  # Latin characters are narrower
    assert sheetml.row_height([("短", 10), ("字" * 30, 20)]) > two  # the tallest cell decides


def test_protection_and_unlocked_cells(book):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    ws = wb["数据 表"]
    assert ws.protection.sheet and not ws.protection.password
    assert ws.protection.formatColumns is False and ws.protection.formatRows is False
    assert ws["B3"].protection.locked is False and ws["C3"].protection.locked is False
    assert ws["A3"].protection.locked is True
    sp = _xml(book, "xl/worksheets/sheet1.xml").find(M + "sheetProtection")
    assert sp.get("sheet") == "1" and sp.get("password") is None and sp.get("hashValue") is None


def test_data_validations(book):
    ws = openpyxl.load_workbook(io.BytesIO(book))["数据 表"]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {"B3:B20", "D3:D20", "C3:C20", "E3:E20", "F3:F20", "G3:G20"}
    b = rules["B3:B20"]
    assert (b.type, b.operator, b.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert (b.prompt, b.promptTitle, b.error, b.errorTitle) == ("请输入金额（万元）", "金额", "只能填写不小于 0 的数字",
                                                                "数字不正确")
    assert all(dv.showErrorMessage and dv.showInputMessage and dv.allow_blank for dv in rules.values())
    d = rules["D3:D20"]
    assert (d.type, d.operator, d.formula1, d.formula2) in {("decimal", "between", "0", "1"),
                                                            ("decimal", None, "0", "1")}
    c = rules["C3:C20"]
    assert c.type == "date" and (c.formula1, c.formula2) == ("45292", "45657")  # 2024-01-01, 2024-12-31
    assert rules["E3:E20"].type == "whole"
    assert rules["F3:F20"].type == "list" and rules["F3:F20"].formula1 == '"达成,部分达成,未达成"'
    assert rules["G3:G20"].formula1 == "'列表'!$A$1:$A$3"


def test_list_validation_limits():
    with pytest.raises(ValueError):
        sheetml.validation("A1", "list", choices=["很长的选项名称" * 3] * 20)  # over 255 characters
    with pytest.raises(ValueError):
        sheetml.validation("A1", "list", choices=["a,b"])
    with pytest.raises(ValueError):
        sheetml.validation("A1", "list")


def test_internal_link_and_hidden_sheet(book):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    link = wb["数据 表"]["A5"].hyperlink
    assert link.location == "'列表'!A2" and link.tooltip == "看列表" and not link.target
    rels = [n for n in zipfile.ZipFile(io.BytesIO(book)).namelist() if n.startswith("xl/worksheets/_rels/")]
    assert rels == []  # an internal link needs no relationship
    assert wb["列表"].sheet_state == "hidden" and wb["数据 表"].sheet_state == "visible"
    assert [c.value for c in wb["列表"]["A"]] == ["一", "二", "三"]


def test_all_hidden_is_refused():
    styles = Styles()
    ws = Sheet("a", styles)
    ws.hidden = True
    with pytest.raises(ValueError):
        package([ws], styles)


def test_existing_layout_api_still_written_as_before():
    """The API tables_xlsx and summary use: a single print-title row, cm widths, fit_width."""
    styles = Styles(border_rgb="FF999999")
    ws = Sheet("汇总", styles)
    ws.put(1, 1, "x", styles.xf(TEXT_FONT, border=True, fill="BDD7EE"))
    ws.widths = (2.0,)
    ws.print_titles = 1
    ws.fit_width = True
    wb = openpyxl.load_workbook(io.BytesIO(package([ws], styles)))
    out = wb["汇总"]
    assert out.print_title_rows == "$1:$1" and out.column_dimensions["A"].width == round(2.0 * 4.6, 1)
    assert out["A1"].border.left.color.rgb == "FF999999"
