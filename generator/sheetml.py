"""Writing .xlsx files straight as SpreadsheetML: styles, sheets and the package.

Used for the attachment tables (``tables_xlsx``) and the county summary
(``summary``). openpyxl's object model re-validates and re-hashes styles on
every assignment and re-borders every merged range; for the few kinds of cell
these workbooks need, writing the XML directly costs a small fraction of that.
The output is read back with openpyxl in the tests.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import zipout

CM_TO_CHARS = 4.6  # Excel column width units per cm (default font)
MAX_CELL_CHARS = 32767  # Excel refuses a file with a longer cell text

Font = tuple[str, float, bool]  # (name, size, bold)
Align = tuple[str, str, bool]  # (horizontal, vertical, wrap); empty strings for unset

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SSML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "0.00%": 10, "@": 49}


class Styles:
    """The workbook's fonts, fills, number formats and cell formats (``xf``), each registered once."""

    def __init__(self, border_rgb: str = "FF000000") -> None:
        self.border_rgb = border_rgb  # the colour of every cell border
        self.fonts: list[Font] = [("Calibri", 11, False)]
        self.fills: list[str] = []  # solid fill colours (RGB), after the two fills Excel reserves
        self.num_fmts: dict[str, int] = {}
        self.xfs: list[tuple[int, int, int, bool, Align | None]] = [(0, 0, 0, False, None)]
        self.keys: list[tuple] = [(self.fonts[0], False, None, "General", None)]  # per xf: (font, border, align, format, fill)
        self._xf_ids: dict[tuple, int] = {}

    def xf(self, font: Font, border: bool = False, align: Align | None = None,
           number_format: str = "General", fill: str | None = None) -> int:
        """Index of the cell format; ``fill`` is a solid background colour as RGB hex (``BDD7EE``)."""
        key = (font, border, align, number_format, fill)
        found = self._xf_ids.get(key)
        if found is not None:
            return found
        if font not in self.fonts:
            self.fonts.append(font)
        fmt_id = _BUILTIN_FORMATS.get(number_format)
        if fmt_id is None:
            fmt_id = self.num_fmts.setdefault(number_format, 164 + len(self.num_fmts))
        fill_id = 0
        if fill is not None:
            if fill not in self.fills:
                self.fills.append(fill)
            fill_id = 2 + self.fills.index(fill)
        self.xfs.append((self.fonts.index(font), fmt_id, fill_id, border, align))
        self.keys.append(key)
        self._xf_ids[key] = len(self.xfs) - 1
        return len(self.xfs) - 1

    def xml(self) -> str:
        out = [_XML_HEAD, f'<styleSheet xmlns="{_SSML}">']
        if self.num_fmts:
            out.append(f'<numFmts count="{len(self.num_fmts)}">')
            out += [f'<numFmt numFmtId="{i}" formatCode="{attr(code)}"/>' for code, i in self.num_fmts.items()]
            out.append("</numFmts>")
        out.append(f'<fonts count="{len(self.fonts)}">')
        for name, size, bold in self.fonts:
            out.append(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="{attr(name)}"/></font>')
        out.append(f'</fonts><fills count="{2 + len(self.fills)}"><fill><patternFill patternType="none"/></fill>'
                   '<fill><patternFill patternType="gray125"/></fill>'
                   + "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/><bgColor indexed="64"/>'
                             "</patternFill></fill>" for rgb in self.fills)
                   + '</fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>'
                   + "".join(f'<{side} style="thin"><color rgb="{self.border_rgb}"/></{side}>'
                             for side in ("left", "right", "top", "bottom"))
                   + '<diagonal/></border></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>')
        out.append(f'<cellXfs count="{len(self.xfs)}">')
        for font_id, fmt_id, fill_id, border, align in self.xfs:
            attrs = (f'numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" borderId="{1 if border else 0}"'
                     ' xfId="0"')
            attrs += ' applyFont="1"' if font_id else ""
            attrs += ' applyNumberFormat="1"' if fmt_id else ""
            attrs += ' applyFill="1"' if fill_id else ""
            attrs += ' applyBorder="1"' if border else ""
            if align is None:
                out.append(f"<xf {attrs}/>")
                continue
            horizontal, vertical, wrap = align
            a = (f' horizontal="{horizontal}"' if horizontal else "") + (f' vertical="{vertical}"' if vertical else "") \
                + (' wrapText="1"' if wrap else "")
            out.append(f'<xf {attrs} applyAlignment="1"><alignment{a}/></xf>')
        out.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                   "</styleSheet>")
        return "".join(out)


class Sheet:
    """One worksheet being laid out: cells by row and column, merges, row heights, view and print setup."""

    def __init__(self, title: str, styles: Styles) -> None:
        self.title = title
        self.styles = styles
        self.rows: dict[int, dict[int, tuple[Any, int]]] = {}  # row → column → (value, xf)
        self.heights: dict[int, float] = {}
        self.widths: tuple[float, ...] = ()  # column widths in cm
        self.char_widths: tuple[float, ...] = ()  # or in Excel's character units
        self.merges: list[tuple[int, int, int, int]] = []
        self.landscape = False
        self.fit_width = False  # printed: all columns on one page width
        self.print_titles: int | None = None  # the row repeated on every printed page
        self.print_area: tuple[int, int] | None = None  # (last column, last row); implies fit_width
        self.freeze: tuple[int, int] | None = None  # the first (row, column) that scrolls
        self.autofilter: tuple[int, int, int, int] | None = None  # (row1, col1, row2, col2)

    def put(self, row: int, col: int, value: Any, xf: int) -> None:
        self.rows.setdefault(row, {})[col] = (value, xf)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.merges.append((r1, c1, r2, c2))

    def xml(self, strings: dict[str, int]) -> str:
        fit = self.fit_width or self.print_area is not None
        out = [_XML_HEAD, f'<worksheet xmlns="{_SSML}">']
        if fit:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        last_row = max(self.rows, default=1)
        last_col = max((max(cols) for cols in self.rows.values() if cols), default=1)
        out.append(f'<dimension ref="A1:{ref(last_row, last_col)}"/><sheetViews><sheetView workbookViewId="0"')
        if self.freeze:
            row, col = self.freeze
            split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
            pane = "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
            out.append(f'><pane{split} topLeftCell="{ref(row, col)}" activePane="{pane}" state="frozen"/>'
                       f'<selection pane="{pane}"/></sheetView>')
        else:
            out.append("/>")
        out.append('</sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        widths = self.char_widths or tuple(round(w * CM_TO_CHARS, 1) for w in self.widths)
        if widths:
            out.append("<cols>")
            out += [f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>' for j, w in enumerate(widths, start=1)]
            out.append("</cols>")
        out.append("<sheetData>")
        for r in sorted(set(self.rows) | set(self.heights)):
            height = self.heights.get(r)
            out.append(f'<row r="{r}" ht="{height:g}" customHeight="1">' if height is not None else f'<row r="{r}">')
            cols = self.rows.get(r, {})
            for c in sorted(cols):
                value, xf = cols[c]
                head = f'<c r="{column(c)}{r}" s="{xf}"' if xf else f'<c r="{column(c)}{r}"'
                if value is None:
                    out.append(head + "/>")
                elif type(value) is str:
                    index = strings.setdefault(value, len(strings))
                    out.append(f'{head} t="s"><v>{index}</v></c>')
                elif isinstance(value, bool):
                    out.append(f'{head} t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, str):  # a str subclass (Markup…): its text
                    index = strings.setdefault(str(value), len(strings))
                    out.append(f'{head} t="s"><v>{index}</v></c>')
                else:
                    out.append(f'{head}><v>{_number(value)}</v></c>')
            out.append("</row>")
        out.append("</sheetData>")
        if self.autofilter:
            out.append(f'<autoFilter ref="{ref(*self.autofilter[:2])}:{ref(*self.autofilter[2:])}"/>')
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            out += [f'<mergeCell ref="{ref(r1, c1)}:{ref(r2, c2)}"/>' for r1, c1, r2, c2 in self.merges]
            out.append("</mergeCells>")
        if fit:
            out.append('<printOptions horizontalCentered="1"/>'
                       '<pageMargins left="0.6" right="0.6" top="0.8" bottom="0.8" header="0.5" footer="0.5"/>'
                       f'<pageSetup paperSize="9" orientation="{"landscape" if self.landscape else "portrait"}"'
                       ' fitToWidth="1" fitToHeight="0"/>')
        out.append("</worksheet>")
        return "".join(out)

    def defined_names(self, index: int) -> list[str]:
        quoted = text("'" + self.title.replace("'", "''") + "'")
        out = []
        if self.autofilter:
            r1, c1, r2, c2 = self.autofilter
            out.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                       f"{quoted}!${column(c1)}${r1}:${column(c2)}${r2}</definedName>")
        if self.print_titles:
            out.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                       f"{quoted}!${self.print_titles}:${self.print_titles}</definedName>")
        if self.print_area:
            col, row = self.print_area
            out.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
                       f"{quoted}!$A$1:${column(col)}${row}</definedName>")
        return out


def _number(value: Any) -> str:
    """A number as SpreadsheetML stores it (a Decimal as its exact digits)."""
    return repr(value) if isinstance(value, (int, float)) else format(value, "f")


def clean(s: str) -> str:
    """Text as a cell can hold it: no characters XML forbids, within Excel's length limit."""
    if not s.isascii() or not s.isprintable():  # (printable ASCII needs no look: the usual label or figure)
        if _ILLEGAL_XML.search(s):
            s = _ILLEGAL_XML.sub("", s)
    return s[:MAX_CELL_CHARS] if len(s) > MAX_CELL_CHARS else s


def text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(s: str) -> str:
    return text(s).replace('"', "&quot;")


def column(col: int) -> str:
    """Column letters: 1 → A, 27 → AA."""
    if 0 < col < len(_COLUMNS):
        return _COLUMNS[col]
    return _letters(col)


def _letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_COLUMNS = [""] + [_letters(c) for c in range(1, 703)]  # A … ZZ


def ref(row: int, col: int) -> str:
    return f"{column(col)}{row}"


def package(sheets: list[Sheet], styles: Styles) -> bytes:
    """The .xlsx bytes: the sheets in order, their styles, shared strings and defined names."""
    strings: dict[str, int] = {}
    sheet_xml = [s.xml(strings) for s in sheets]  # fills ``strings`` in the order cells are written
    n = len(sheets)
    parts: dict[str, str] = {}
    parts["[Content_Types].xml"] = (
        _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_MAIN}.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT_MAIN}.worksheet+xml"/>'
                  for k in range(1, n + 1))
        + f'<Override PartName="/xl/styles.xml" ContentType="{_CT_MAIN}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_MAIN}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>")
    parts["_rels/.rels"] = (
        _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>")
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts["docProps/core.xml"] = (
        _XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>generator</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
    names = [name for k, s in enumerate(sheets) for name in s.defined_names(k)]
    parts["xl/workbook.xml"] = (
        _XML_HEAD + f'<workbook xmlns="{_SSML}" xmlns:r="{_REL}"><workbookPr/>'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(f'<sheet name="{attr(s.title)}" sheetId="{k}" r:id="rId{k}"/>' for k, s in enumerate(sheets, 1))
        + "</sheets>" + (f"<definedNames>{''.join(names)}</definedNames>" if names else "")
        + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
    parts["xl/_rels/workbook.xml.rels"] = (
        _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
        + "".join(f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                  for k in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>")
    parts["xl/styles.xml"] = styles.xml()
    for k, xml in enumerate(sheet_xml, start=1):
        parts[f"xl/worksheets/sheet{k}.xml"] = xml
    parts["xl/sharedStrings.xml"] = (
        _XML_HEAD + f'<sst xmlns="{_SSML}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{text(s)}</t></si>' for s in strings)
        + "</sst>")
    return zipout.package({name: xml.encode("utf-8") for name, xml in parts.items()})
