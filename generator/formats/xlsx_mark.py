"""The annotated workbook, made on the package itself: only the parts a finding touches are rewritten.

``annotate(source, findings, title)`` returns what ``xlsx_annotate.annotate``
returns — a copy of the clerk's workbook with every cell a finding names
filled (red 错误, yellow 提示) and commented, and a first sheet 审核结果 listing
the findings with links to the cells — without loading the workbook into
openpyxl's object model and saving it again, which costs a unit many times
all the rest of its work (the clerk's workbook holds some 20,000 styled cells
and a field list of a megabyte).

How: every part no finding touches is copied as it is, compressed bytes and
all (so nothing openpyxl would drop — images, charts, cached formula values,
extensions — is lost). What changes is rewritten: ``styles.xml`` gains the
fills, fonts, borders and cell formats (a marked cell keeps its own format
with the fill replaced), each marked sheet gains its cells' new formats, a
comments part, its VML drawing and relationships; the workbook gains the
审核结果 sheet at the front (selected), its print titles, and every other
sheet-indexed name moves one place along; a sheet that was selected is
unselected.

What it leaves to openpyxl (``xlsx_annotate``, the library path it mirrors):
a workbook whose sheets already carry comments or a legacy drawing, one that
already has a 审核结果 sheet (an annotated copy saved back as the workbook),
Strict Open XML, cells or rows without addresses, and anything else it does
not recognise. ``tests/test_xlsx_mark.py`` compares the two paths cell by cell.

A comment holds each finding's message up to ``COMMENT_CHARS`` characters
(``xlsx_comment``): a longer one is cut there and points to the 审核结果 sheet.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from copy import deepcopy
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import ERROR, HINT
from ..messages import msg
from . import zip as zipout
from .xlsx_comment import COMMENT_CHARS  # noqa: F401 (how long a comment gets: part of this module's story)
from .xlsx_comment import RANK, Finding, comment_text, record
from .xlsx_write import MARGINS, PAGE_FOOTER, SEQUENCES, attr, clean, column, column_index, row_height, text

RESULTS_SHEET = "审核结果"
AUTHOR = "审核"
HEADERS = ("序号", "类别", "工作表", "单元格", "说明")
WIDTHS = (6, 8, 18, 10, 72)
ERROR_RGB, HINT_RGB, HEADER_RGB = "FF7C80", "FFFF00", "BDD7EE"
_LEFT, _RIGHT, _TOP, _BOTTOM, _HEADER, _FOOTER = MARGINS
# an added sheet's print setup and end: A4 landscape, one page wide
_PRINT_TAIL = ('<printOptions horizontalCentered="1"/>'
               f'<pageMargins left="{_LEFT:g}" right="{_RIGHT:g}" top="{_TOP:g}" bottom="{_BOTTOM:g}"'
               f' header="{_HEADER:g}" footer="{_FOOTER:g}"/>'
               '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
               f"<headerFooter><oddFooter>{text(PAGE_FOOTER)}</oddFooter></headerFooter>"
               "</worksheet>")
BORDER_RGB = "999999"
HEADER_ROW = 2
COMMENT_WIDTH = 260  # px
NOTE_HEAD = AUTHOR + "：\n"
MAX_ROW, MAX_COL = 1_048_576, 16_384

_M = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_STRICT = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_T_WORKSHEET = _R + "/worksheet"
_T_COMMENTS = _R + "/comments"
_T_VML = _R + "/vmlDrawing"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_XML_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CELL = re.compile(r"([A-Z]{1,3})(\d+)")
_COORD = re.compile(r"^([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?$")
_SELECTED = re.compile(rb'(<(?:\w+:)?sheetView\b[^>]*?\btabSelected=")(1|true)(")')
_LOCAL = struct.Struct("<4s5H3L2H")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)
_WORKSHEET_ORDER = {name: i for i, name in enumerate(SEQUENCES["worksheet"])}
_ROW = f"{{{_M}}}row"


class Unusual(Exception):
    """Something this path leaves to openpyxl."""


def bounds(coord: str) -> tuple[int, int, int, int] | None:
    """(min_col, min_row, max_col, max_row) of a cell or bounded range inside a sheet, or None."""
    m = _COORD.match(coord)
    if m is None:
        return None
    c1, r1 = column_index(m.group(1)), int(m.group(2))
    c2, r2 = (column_index(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    if min(r1, r2, c1, c2) < 1 or max(r1, r2) > MAX_ROW or max(c1, c2) > MAX_COL:
        return None
    return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)


def quote_sheetname(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# ------------------------------------------------------------------------------------------- entry


FieldsSheet = tuple[str, str, Sequence[str], Sequence[Sequence[Any]]]  # (sheet name, title, headers, rows)


def annotate(source: Path | bytes, findings: Iterable[Any], title: str, fields: FieldsSheet | None = None) -> bytes:
    """The annotated copy of the workbook ``source`` (a path or .xlsx bytes) as .xlsx bytes.

    ``fields``: a sheet (name, title, headers, rows) written last in place of one of that name — the 模板字段
    sheet, with what each name prints for this workbook as this run found it (as ``xlsx_annotate`` writes it).
    """
    data = Path(source).read_bytes() if not isinstance(source, (bytes, bytearray)) else bytes(source)
    data = without_foreign(data)
    records = sorted((record(f) for f in findings), key=lambda f: RANK[f.severity])  # stable: errors first
    try:
        return _Book(data).annotate(records, title, fields)
    except (Unusual, KeyError, ValueError, IndexError, etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error):
        from .xlsx_annotate import annotate as annotate_openpyxl
        from .xlsx_read import clip_large_merges

        return annotate_openpyxl(clip_large_merges(data), records, title, fields)


# ------------------------------------------------------------------------------------------- nothing foreign

# parts no copy of ours carries: macros, links to other workbooks, data connections and queries, controls,
# embedded objects, custom XML
_FOREIGN_PARTS = re.compile(r"(^|/)(vbaProject[^/]*\.bin|vbaData\.xml)$|^xl/(externalLinks|queryTables|activeX|embeddings|"
                            r"ctrlProps)/|^xl/connections\.xml$|^customXml/", re.I)
_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_PLAIN_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_EXTERNAL_NAME = re.compile(r"\[\d+\]")  # a defined name referring to another workbook: [1]Sheet1!A1


def without_foreign(data: bytes) -> bytes:
    """The workbook without a macro project, external links, data connections, controls or embedded objects,
    and without any external relationship (a hyperlink to a web page included): the relationships to them,
    the elements that used them and their content types go too. The bytes unchanged when there is none."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        foreign = {n for n in names if _FOREIGN_PARTS.search(n)}
        rels = [n for n in names if n.endswith(".rels")]
        external = [n for n in rels if b"External" in zf.read(n)]
        types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, RuntimeError):
        return data  # (the annotation reports a damaged package itself)
    if not foreign and not external and b"macroEnabled" not in types:
        return data
    parts = {n: zf.read(n) for n in names if n not in foreign}
    dropped: dict[str, set[str]] = {}  # source part → relationship ids removed
    for name in rels:
        if name not in parts:
            continue
        folder, base = name.rsplit("/", 1) if "/" in name else ("", name)
        source = (folder[: -len("_rels")] + base[: -len(".rels")]).lstrip("/") if folder.endswith("_rels") else ""
        if source and source not in parts:
            del parts[name]
            continue
        root = etree.fromstring(parts[name], _PARSER)
        for rel in list(root):
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External" or _resolve(posixpath.dirname(source) + "/", target) in foreign:
                root.remove(rel)
                dropped.setdefault(source, set()).add(rel.get("Id") or "")
        parts[name] = _serialise(root)
    for source, ids in dropped.items():
        if source not in parts or not source.endswith(".xml"):
            continue
        root = etree.fromstring(parts[source], _PARSER)
        for el in list(root.iter()):
            if isinstance(el.tag, str) and el.getparent() is not None \
                    and any(k.startswith(f"{{{_R}}}") and v in ids for k, v in el.attrib.items()):
                holder = el.getparent()
                holder.remove(el)
                if len(holder) == 0 and holder.getparent() is not None and _local(holder) in (
                        "hyperlinks", "externalReferences", "oleObjects", "controls"):
                    holder.getparent().remove(holder)
        if source == "xl/workbook.xml":
            for name_el in list(root.iter(f"{{{_M}}}definedName")):
                if _EXTERNAL_NAME.search(name_el.text or ""):
                    name_el.getparent().remove(name_el)
        parts[source] = _serialise(root)
    if "[Content_Types].xml" in parts:
        root = etree.fromstring(parts["[Content_Types].xml"], _PARSER)
        for el in list(root):
            part = (el.get("PartName") or "").lstrip("/")
            if _local(el) == "Override" and part not in parts:
                root.remove(el)
            elif _local(el) == "Override" and el.get("ContentType") == _MACRO_MAIN:
                el.set("ContentType", _PLAIN_MAIN)
            elif _local(el) == "Default" and (el.get("Extension") or "").lower() == "bin" \
                    and not any(n.endswith(".bin") for n in parts):
                root.remove(el)
        parts["[Content_Types].xml"] = _serialise(root)
    return zipout.build([zipout.Member.deflated(n, d) for n, d in parts.items()])


# ------------------------------------------------------------------------------------------- the package


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Book:
    """The source package: its members (raw, compressed as they are), read and parsed on demand."""

    def __init__(self, data: bytes):
        self.data = data
        self.zf = zipfile.ZipFile(io.BytesIO(data))
        self.infos = {i.filename: i for i in self.zf.infolist() if not i.is_dir()}
        self.order = list(self.infos)
        self.changed: dict[str, bytes] = {}  # member → new content (added members too)
        self._read: dict[str, bytes] = {}
        for name in self.infos:
            low = name.lower()
            if "comments" in low or "threadedcomment" in low or low.startswith("xl/persons/"):
                raise Unusual("comments already")
        for info in self.infos.values():
            if info.flag_bits & 0x1:
                raise Unusual("encrypted member")

    def read(self, name: str) -> bytes:
        if name in self.changed:
            return self.changed[name]
        data = self._read.get(name)
        if data is None:
            data = self._read[name] = self.zf.read(name)
            if b"<!DOCTYPE" in data[:4000] or b"<!ENTITY" in data[:4000]:
                raise Unusual("DTD")
        return data

    def parse(self, name: str) -> etree._Element:
        return etree.fromstring(self.read(name), _PARSER)

    def raw_member(self, name: str) -> zipout.Member:
        """The member as the source has it: its compressed bytes copied, not decompressed and compressed again."""
        info = self.infos[name]
        if info.compress_type != zipfile.ZIP_DEFLATED or info.file_size > zipout.LIMIT:
            return zipout.Member.deflated(name, self.zf.read(name))
        header = _LOCAL.unpack_from(self.data, info.header_offset)
        if header[0] != b"PK\x03\x04":
            raise Unusual("local header")
        start = info.header_offset + _LOCAL.size + header[9] + header[10]
        compressed = self.data[start:start + info.compress_size]
        if len(compressed) != info.compress_size:
            raise Unusual("truncated member")
        return zipout.Member(name, info.CRC, info.file_size, compressed)

    def head(self, name: str, size: int = 16384) -> bytes:
        """The first ``size`` bytes of a member (or all of it), decompressing no more than that."""
        info = self.infos[name]
        if info.compress_type != zipfile.ZIP_DEFLATED:
            return self.zf.read(name)[:size]
        header = _LOCAL.unpack_from(self.data, info.header_offset)
        start = info.header_offset + _LOCAL.size + header[9] + header[10]
        return zlib.decompressobj(-15).decompress(self.data[start:start + info.compress_size], size)

    def unused(self, pattern: str) -> str:
        """A member name ``pattern % k`` that the package does not have (k = 1, 2, …)."""
        k = 1
        while (pattern % k) in self.infos or (pattern % k) in self.changed:
            k += 1
        return pattern % k

    def package(self) -> bytes:
        names = self.order + [n for n in self.changed if n not in self.infos]
        members = [zipout.Member.deflated(n, self.changed[n]) if n in self.changed else self.raw_member(n)
                   for n in names]
        return zipout.build(members)

    # ------------------------------------------------------------------ the annotation

    def annotate(self, records: list[Finding], title: str, fields: FieldsSheet | None = None) -> bytes:
        if "xl/workbook.xml" not in self.infos or "xl/_rels/workbook.xml.rels" not in self.infos:
            raise Unusual("workbook part")
        book_xml = self.read("xl/workbook.xml")
        if _STRICT in book_xml[:4000]:
            raise Unusual("strict")
        book = etree.fromstring(book_xml, _PARSER)
        rels = self.parse("xl/_rels/workbook.xml.rels")
        targets = {}
        for rel in rels:
            target = rel.get("Target") or ""
            if rel.get("TargetMode") == "External":
                continue
            targets[rel.get("Id")] = (rel.get("Type") or "", _resolve("xl/", target))
        sheets_el = book.find(f"{{{_M}}}sheets")
        if sheets_el is None:
            raise Unusual("no sheets")
        entries = []  # (name, kind, part)
        for sheet in sheets_el:
            kind, part = targets.get(sheet.get(f"{{{_R}}}id"), ("", ""))
            entries.append((sheet.get("name"), kind, part))
        names = [e[0] for e in entries]
        if RESULTS_SHEET in names:
            raise Unusual("results sheet already")
        worksheets = {name: part for name, kind, part in entries if kind == _T_WORKSHEET and part in self.infos}
        styles_part = next((p for k, p in targets.values() if k == _R + "/styles"), None)
        if styles_part is None or styles_part not in self.infos:
            raise Unusual("no styles")
        styles = _Styles(self.parse(styles_part))
        replaced = None  # (index, part) of the sheet the fields sheet takes the place of
        if fields is not None and fields[0] in names:
            index = names.index(fields[0])
            kind, part = entries[index][1:]
            if index != len(names) - 1 or kind != _T_WORKSHEET or part not in self.infos \
                    or _rels_of(part) in self.infos:
                raise Unusual("a fields sheet that is not a plain last worksheet")
            replaced = (index, part)

        marks = self._marks(records, {n: p for n, p in worksheets.items() if replaced is None or p != replaced[1]})
        for sheet_name, cells in marks.items():
            self._mark_sheet(worksheets[sheet_name], cells, styles)
        for name, kind, part in entries:
            if part in self.infos and part not in self.changed:
                self._unselect(part)
        results_part = self.unused("xl/worksheets/sheet%d.xml")
        self.changed[results_part] = _results_sheet(records, title, worksheets, styles)
        new_parts = [results_part]
        fields_part = None
        if fields is not None:
            fields_part = replaced[1] if replaced else self.unused("xl/worksheets/sheet%d.xml")
            self.changed[fields_part] = _fields_sheet(*fields, styles)
            if not replaced:
                new_parts.append(fields_part)
        self.changed[styles_part] = _serialise(styles.root)
        self._add_to_book(book, rels, sheets_el, results_part)
        if fields is not None:
            self._fields_in_book(book, rels, sheets_el, fields[0], fields_part, replaced)
        self.changed["xl/_rels/workbook.xml.rels"] = _serialise(rels)
        self.changed["xl/workbook.xml"] = _serialise(book)
        self._content_types(new_parts)
        return self.package()

    def _fields_in_book(self, book: etree._Element, rels: etree._Element, sheets_el: etree._Element, name: str,
                        part: str, replaced: tuple[int, str] | None) -> None:
        """The fields sheet last in the workbook: in place of the sheet of its name (its defined names go with
        it), or added."""
        names = book.find(f"{{{_M}}}definedNames")
        if replaced is not None:
            index = replaced[0] + 1  # (after the 审核结果 sheet put first)
            entry = sheets_el[index]
            if "state" in entry.attrib:
                del entry.attrib["state"]
            for defined in list(names):
                if defined.get("localSheetId") == str(index):
                    names.remove(defined)
        else:
            index = len(sheets_el)
            rid = _new_id(rels)
            etree.SubElement(rels, f"{{{_PR}}}Relationship", Id=rid, Type=_T_WORKSHEET, Target="/" + part)
            ids = [int(s.get("sheetId")) for s in sheets_el if (s.get("sheetId") or "").isdigit()]
            entry = etree.SubElement(sheets_el, f"{{{_M}}}sheet", nsmap={"r": _R})
            entry.set("name", name)
            entry.set("sheetId", str(max(ids, default=0) + 1))
            entry.set(f"{{{_R}}}id", rid)
        titles = etree.SubElement(names, f"{{{_M}}}definedName", name="_xlnm.Print_Titles",
                                  localSheetId=str(index))
        titles.text = f"{quote_sheetname(name)}!${HEADER_ROW}:${HEADER_ROW}"

    def _marks(self, records: list[Finding], worksheets: dict[str, str]) -> dict[str, dict[tuple[int, int], tuple[str, list[str]]]]:
        """Per sheet, (row, col) of each cell to mark → (worst severity, its comment lines)."""
        merged: dict[str, _Merges] = {}
        marks: dict[str, dict[tuple[int, int], tuple[str, list[str]]]] = {}
        for f in records:
            line = comment_text(f.severity, f.message)
            for sheet, coord in f.cells:
                part, box = worksheets.get(sheet), bounds(coord)
                if part is None or box is None:
                    continue
                if sheet not in merged:
                    merged[sheet] = _Merges(self.read(part))
                min_col, min_row, max_col, max_row = box
                sheet_marks = marks.setdefault(sheet, {})
                for r in range(min_row, max_row + 1):
                    for c in range(min_col, max_col + 1):
                        key = merged[sheet].top_left(r, c)
                        severity, lines = sheet_marks.get(key, (HINT, []))
                        if line not in lines:
                            lines.append(line)
                        sheet_marks[key] = (ERROR if ERROR in (severity, f.severity) else HINT, lines)
        return marks

    def _unselect(self, part: str) -> None:
        """A sheet shown selected (its tab) is unselected: the 审核结果 sheet is the selected one."""
        head = self.head(part)
        if b"tabSelected" not in head:
            if b"sheetData" in head or b"</sheetViews>" in head or len(head) < 16384:
                return
            head = self.read(part)
            if b"tabSelected" not in head:
                return
        data = self.read(part)
        changed = _SELECTED.sub(rb"\g<1>0\g<3>", data, count=1)
        if changed != data:
            self.changed[part] = changed

    def _mark_sheet(self, part: str, cells: dict[tuple[int, int], tuple[str, list[str]]], styles: "_Styles") -> None:
        root = self.parse(part)
        if _local(root) != "worksheet":
            raise Unusual("not a worksheet")
        for child in root:
            if not isinstance(child.tag, str) or etree.QName(child).namespace != _M \
                    or _local(child) not in _WORKSHEET_ORDER:
                raise Unusual(f"worksheet child {child.tag}")
        if root.find(f"{{{_M}}}legacyDrawing") is not None:
            raise Unusual("legacy drawing already")
        _select_off(root)
        data = root.find(f"{{{_M}}}sheetData")
        if data is None:
            raise Unusual("no sheetData")
        grid = _Grid(data)
        for (r, c), (severity, _) in cells.items():
            cell = grid.cell(r, c)
            cell.set("s", str(styles.marked(int(cell.get("s") or 0), severity)))
        # the comments and their VML shapes, related to the sheet
        comments_part = self.unused("xl/comments/comment%d.xml")
        vml_part = self.unused("xl/drawings/commentsDrawing%d.vml")
        vml_index = int(re.search(r"(\d+)\.vml$", vml_part).group(1))
        ordered = sorted(cells.items())
        self.changed[comments_part] = _comments_xml(ordered)
        self.changed[vml_part] = _vml_xml(ordered, vml_index)
        rels_part = _rels_of(part)
        if rels_part in self.infos:
            rels = self.parse(rels_part)
        else:
            rels = etree.Element(f"{{{_PR}}}Relationships", nsmap={None: _PR})
        used = {rel.get("Id") for rel in rels}
        ids = []
        for kind, target in ((_T_COMMENTS, comments_part), (_T_VML, vml_part)):
            k = 1
            while f"rId{k}" in used:
                k += 1
            used.add(f"rId{k}")
            ids.append(f"rId{k}")
            etree.SubElement(rels, f"{{{_PR}}}Relationship", Id=f"rId{k}", Type=kind, Target="/" + target)
        self.changed[rels_part] = _serialise(rels)
        drawing = etree.Element(f"{{{_M}}}legacyDrawing", nsmap={"r": _R})
        drawing.set(f"{{{_R}}}id", ids[1])
        _insert_in_order(root, drawing)
        self.changed[part] = _serialise(root)

    def _add_to_book(self, book: etree._Element, rels: etree._Element, sheets_el: etree._Element,
                     results_part: str) -> None:
        rid = _new_id(rels)
        etree.SubElement(rels, f"{{{_PR}}}Relationship", Id=rid, Type=_T_WORKSHEET,
                         Target="/" + results_part)
        ids = [int(s.get("sheetId")) for s in sheets_el if (s.get("sheetId") or "").isdigit()]
        entry = etree.Element(f"{{{_M}}}sheet", nsmap={"r": _R})
        entry.set("name", RESULTS_SHEET)
        entry.set("sheetId", str(max(ids, default=0) + 1))
        entry.set(f"{{{_R}}}id", rid)
        sheets_el.insert(0, entry)
        views = book.find(f"{{{_M}}}bookViews")
        if views is None:
            views = etree.Element(f"{{{_M}}}bookViews")
            sheets_el.addprevious(views)
            etree.SubElement(views, f"{{{_M}}}workbookView")
        for view in views:
            view.set("activeTab", "0")
            if view.get("firstSheet") is not None:
                view.set("firstSheet", "0")
        custom = book.find(f"{{{_M}}}customWorkbookViews")
        if custom is not None:
            raise Unusual("custom views")
        names = book.find(f"{{{_M}}}definedNames")
        if names is None:
            names = etree.Element(f"{{{_M}}}definedNames")
            anchor = sheets_el
            for tag in ("functionGroups", "externalReferences"):
                found = book.find(f"{{{_M}}}{tag}")
                if found is not None:
                    anchor = found
            anchor.addnext(names)
        for name in names:
            local = name.get("localSheetId")
            if local is not None:
                name.set("localSheetId", str(int(local) + 1))
        titles = etree.Element(f"{{{_M}}}definedName", name="_xlnm.Print_Titles", localSheetId="0")
        titles.text = f"{quote_sheetname(RESULTS_SHEET)}!${HEADER_ROW}:${HEADER_ROW}"
        names.insert(0, titles)

    def _content_types(self, sheets: list[str]) -> None:
        types = self.parse("[Content_Types].xml")
        overrides = {o.get("PartName") for o in types if _local(o) == "Override"}
        defaults = {(d.get("Extension") or "").lower() for d in types if _local(d) == "Default"}
        if "vml" not in defaults and any(n.endswith(".vml") for n in self.changed):
            first_override = next((o for o in types if _local(o) == "Override"), None)
            default = etree.Element(f"{{{_CT}}}Default", Extension="vml", ContentType=_CT_VML)
            if first_override is not None:
                first_override.addprevious(default)
            else:
                types.append(default)
        for name in self.changed:
            if name in self.infos or "/" + name in overrides:
                continue
            if name.endswith(".vml"):
                continue
            kind = _CT_WORKSHEET if name in sheets else _CT_COMMENTS if "/comments/" in name else None
            if kind is None:
                continue
            etree.SubElement(types, f"{{{_CT}}}Override", PartName="/" + name, ContentType=kind)
        self.changed["[Content_Types].xml"] = _serialise(types)


def _new_id(rels: etree._Element) -> str:
    used = {rel.get("Id") for rel in rels}
    k = 1
    while f"rId{k}" in used:
        k += 1
    return f"rId{k}"


def _rels_of(part: str) -> str:
    folder, name = part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = (base + target).split("/")
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p and p != ".":
            out.append(p)
    return "/".join(out)


def _insert_in_order(root: etree._Element, element: etree._Element) -> None:
    """Put ``element`` among the worksheet's children where CT_Worksheet's sequence puts it."""
    rank = _WORKSHEET_ORDER[_local(element)]
    for child in root:
        if _WORKSHEET_ORDER[_local(child)] > rank:
            child.addprevious(element)
            return
    root.append(element)


def _select_off(root: etree._Element) -> None:
    for view in root.iter(f"{{{_M}}}sheetView"):
        if view.get("tabSelected") in ("1", "true"):
            view.set("tabSelected", "0")


class _Merges:
    """A sheet's merged ranges (read from its XML), to find the cell holding a range's value."""

    def __init__(self, xml: bytes):
        self.ranges: list[tuple[int, int, int, int]] = []
        self.cells: dict[tuple[int, int], tuple[int, int]] = {}
        for ref in re.findall(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([^"]+)"', xml):
            box = bounds(ref.decode("ascii", "replace"))
            if box is None:
                continue
            min_col, min_row, max_col, max_row = box
            if (max_row - min_row + 1) * (max_col - min_col + 1) <= 4096:
                for r in range(min_row, max_row + 1):
                    for c in range(min_col, max_col + 1):
                        self.cells.setdefault((r, c), (min_row, min_col))
            else:
                self.ranges.append(box)

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        found = self.cells.get((row, col))
        if found is not None:
            return found
        for min_col, min_row, max_col, max_row in self.ranges:
            if min_row <= row <= max_row and min_col <= col <= max_col:
                return min_row, min_col
        return row, col


class _Grid:
    """The rows and cells of a ``sheetData``, found or created in order."""

    def __init__(self, data: etree._Element):
        self.data = data
        self.rows: dict[int, etree._Element] = {}
        self.keys: list[int] = []
        self.cells: dict[int, dict[int, etree._Element]] = {}
        last = 0
        for row in data:
            if row.tag != _ROW:
                raise Unusual("sheetData child")
            r = row.get("r")
            if r is None or not r.isdigit() or int(r) <= last:
                raise Unusual("row address")
            last = int(r)
            self.rows[last] = row
            self.keys.append(last)

    def row(self, r: int) -> etree._Element:
        found = self.rows.get(r)
        if found is not None:
            return found
        import bisect

        i = bisect.bisect_left(self.keys, r)
        row = etree.Element(f"{{{_M}}}row", r=str(r))
        if i < len(self.keys):
            self.rows[self.keys[i]].addprevious(row)
        else:
            self.data.append(row)
        self.keys.insert(i, r)
        self.rows[r] = row
        return row

    def cell(self, r: int, c: int) -> etree._Element:
        row = self.row(r)
        cells = self.cells.get(r)
        if cells is None:
            cells = self.cells[r] = {}
            last = 0
            for cell in row:
                ref = cell.get("r")
                m = _CELL.fullmatch(ref or "")
                if m is None or int(m.group(2)) != r:
                    raise Unusual("cell address")
                col = column_index(m.group(1))
                if col <= last:
                    raise Unusual("cell order")
                last = col
                cells[col] = cell
        found = cells.get(c)
        if found is not None:
            return found
        cell = etree.Element(f"{{{_M}}}c", r=f"{column(c)}{r}")
        after = [k for k in cells if k > c]
        if after:
            cells[min(after)].addprevious(cell)
        else:
            row.append(cell)
        cells[c] = cell
        if row.get("spans") is not None:
            del row.attrib["spans"]  # (an optimisation hint; a wrong one is worse than none)
        return cell


# ------------------------------------------------------------------------------------------- styles


class _Styles:
    """The workbook's ``styles.xml``, gaining the fonts, fills, borders and cell formats the annotation uses."""

    def __init__(self, root: etree._Element):
        self.root = root
        self.lists = {}
        for tag in ("fonts", "fills", "borders", "cellXfs"):
            found = root.find(f"{{{_M}}}{tag}")
            if found is None:
                raise Unusual(f"styles without {tag}")
            self.lists[tag] = found
        self.fills: dict[str, int] = {}
        self.fonts: dict[tuple, int] = {}
        self.border: int | None = None
        self.xfs: dict[tuple, int] = {}

    def _append(self, tag: str, xml: str) -> int:
        parent = self.lists[tag]
        parent.append(etree.fromstring(f'<x xmlns="{_M}">{xml}</x>')[0])
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def fill(self, rgb: str) -> int:
        if rgb not in self.fills:
            self.fills[rgb] = self._append("fills", f'<fill><patternFill patternType="solid"><fgColor rgb="00{rgb}"/>'
                                                     "</patternFill></fill>")
        return self.fills[rgb]

    def font(self, size: int, bold: bool = False, color: str | None = None, underline: bool = False) -> int:
        key = (size, bold, color, underline)
        if key not in self.fonts:
            xml = "<font>" + ('<b val="1"/>' if bold else "") + ('<u val="single"/>' if underline else "") \
                + f'<sz val="{size}"/>' + (f'<color rgb="00{color}"/>' if color else "") + '<name val="宋体"/></font>'
            self.fonts[key] = self._append("fonts", xml)
        return self.fonts[key]

    def thin_border(self) -> int:
        if self.border is None:
            side = "".join(f'<{s} style="thin"><color rgb="00{BORDER_RGB}"/></{s}>' for s in ("left", "right", "top",
                                                                                          "bottom"))
            self.border = self._append("borders", f"<border>{side}<diagonal/></border>")
        return self.border

    def marked(self, base: int, severity: str) -> int:
        """A cell format like ``base`` with the severity's fill."""
        key = ("marked", base, severity)
        if key not in self.xfs:
            xfs = self.lists["cellXfs"]
            source = xfs[base] if 0 <= base < len(xfs) else xfs[0]
            xf = deepcopy(source)
            xf.set("fillId", str(self.fill(ERROR_RGB if severity == ERROR else HINT_RGB)))
            xf.set("applyFill", "1")
            xfs.append(xf)
            xfs.set("count", str(len(xfs)))
            self.xfs[key] = len(xfs) - 1
        return self.xfs[key]

    def xf(self, font: int, fill: int = 0, border: int = 0, align: tuple[str, str, bool] | None = None) -> int:
        key = ("new", font, fill, border, align)
        if key not in self.xfs:
            a = ""
            if align is not None:
                horizontal, vertical, wrap = align
                a = "<alignment" + (f' horizontal="{horizontal}"' if horizontal else "") \
                    + (f' vertical="{vertical}"' if vertical else "") + (' wrapText="1"' if wrap else "") + "/>"
            attrs = f'numFmtId="0" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0" applyFont="1"'
            attrs += ' applyFill="1"' if fill else ""
            attrs += ' applyBorder="1"' if border else ""
            attrs += ' applyAlignment="1"' if align else ""
            self.xfs[key] = self._append("cellXfs", f"<xf {attrs}>{a}</xf>" if a else f"<xf {attrs}/>")
        return self.xfs[key]


# ------------------------------------------------------------------------------------------- comments


def _comments_xml(cells: list[tuple[tuple[int, int], tuple[str, list[str]]]]) -> bytes:
    out = [f'<comments xmlns="{_M}"><authors><author>{text(AUTHOR)}</author></authors><commentList>']
    for (r, c), (_, lines) in cells:
        body = clean(NOTE_HEAD + "\n".join(lines))
        out.append(f'<comment ref="{column(c)}{r}" authorId="0"><text><t xml:space="preserve">{text(body)}</t>'
                   "</text></comment>")
    out.append("</commentList></comments>")
    return _XML_HEAD + "".join(out).encode("utf-8")


def comment_height(body: str) -> int:
    """The comment box's height in px, as ``xlsx_annotate`` sets it (about 18 characters a line)."""
    lines = sum(max(1, -(-len(line) // 18)) for line in body.split("\n"))
    return min(400, 16 * lines + 12)


def _vml_xml(cells: list[tuple[tuple[int, int], tuple[str, list[str]]]], index: int) -> bytes:
    out = ['<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
           ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
           f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{index}"/></o:shapelayout>'
           '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
           '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>']
    for k, ((r, c), (_, lines)) in enumerate(cells, start=1):
        height = comment_height(NOTE_HEAD + "\n".join(lines))
        out.append(f'<v:shape id="_x0000_s{index * 1024 + k}" type="#_x0000_t202" style="position:absolute;'
                   f"margin-left:59.25pt;margin-top:1.5pt;width:{COMMENT_WIDTH}px;height:{height}px;z-index:{k};"
                   'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
                   '<v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
                   '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
                   '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
                   f"<x:Row>{r - 1}</x:Row><x:Column>{c - 1}</x:Column></x:ClientData></v:shape>")
    out.append("</xml>")
    return "".join(out).encode("utf-8")


# ------------------------------------------------------------------------------------------- 审核结果


def _results_sheet(records: list[Finding], title: str, worksheets: dict[str, str], styles: _Styles) -> bytes:
    """The 审核结果 worksheet: title, header, one row per cell named (a finding's number, kind and message
    merged down over its cells), the totals; frozen header, printed landscape with the header repeated."""
    border = styles.thin_border()
    cell_font, bold11 = styles.font(11), styles.font(11, bold=True)
    center = ("center", "top", True)
    wrap = ("", "top", True)
    xf_title = styles.xf(styles.font(14, bold=True), align=("center", "center", True))
    xf_header = styles.xf(bold11, styles.fill(HEADER_RGB), border, center)
    xf_center = styles.xf(cell_font, 0, border, center)
    xf_message = styles.xf(cell_font, 0, border, wrap)
    xf_kind = {ERROR: styles.xf(cell_font, styles.fill(ERROR_RGB), border, center),
               HINT: styles.xf(cell_font, styles.fill(HINT_RGB), border, center)}
    xf_link = styles.xf(styles.font(11, color="0563C1", underline=True), 0, border, center)
    xf_plain = styles.xf(cell_font)
    xf_summary = styles.xf(cell_font, align=wrap)

    ncols = len(HEADERS)
    rows: list[tuple[int, list[tuple[int, Any, int]], float | None]] = []  # (row, [(col, value, xf)], height)
    merges: list[str] = [f"A1:{column(ncols)}1"]
    links: list[str] = []
    rows.append((1, [(1, title, xf_title)], 30.0))
    rows.append((HEADER_ROW, [(j, label, xf_header) for j, label in enumerate(HEADERS, start=1)], None))
    r = HEADER_ROW + 1
    for number, f in enumerate(records, start=1):
        refs = list(f.cells) or [("", "")]
        first = r
        for sheet, coord in refs:
            head = r == first
            linked = bool(sheet) and sheet in worksheets and bounds(coord) is not None
            values = [(1, number if head else None, xf_center), (2, f.severity if head else None, xf_kind[f.severity]),
                      (3, sheet or None, xf_center), (4, coord or None, xf_link if linked else xf_center),
                      (5, f.message if head else None, xf_message)]
            rows.append((r, values, None))
            if linked:
                location = f"{quote_sheetname(sheet)}!{coord}"
                links.append(f'<hyperlink ref="D{r}" location="{attr(clean(location))}"'
                             f' tooltip="{attr(clean(f"转到 {sheet} {coord}"))}"/>')
            r += 1
        if r - first > 1:
            merges += [f"{column(col)}{first}:{column(col)}{r - 1}" for col in (1, 2, 5)]
    if not records:
        rows.append((r, [(1, msg("annotate_none"), xf_plain)], None))
        merges.append(f"A{r}:{column(ncols)}{r}")
        r += 1
    errors = sum(1 for f in records if f.severity == ERROR)
    summary = msg("annotate_summary", total=len(records), errors=errors, hints=len(records) - errors)
    rows.append((r + 1, [(1, summary, xf_summary)], None))
    merges.append(f"A{r + 1}:{column(ncols)}{r + 1}")
    last_row = r + 1

    # row heights as ``xlsx_book.fit_row_heights`` sets them: wrapped text shown whole, a taller row kept
    down = {m.split(":")[0] for m in merges if _CELL.fullmatch(m.split(":")[0]).group(2)
            != _CELL.fullmatch(m.split(":")[1]).group(2)}
    across = {m.split(":")[0]: column_index(_CELL.fullmatch(m.split(":")[1]).group(1)) for m in merges}
    wrapping = {xf_center, xf_message, xf_link, xf_summary, *xf_kind.values(), xf_header, xf_title}
    sheet_data = ["<sheetData>"]
    for row_number, values, height in rows:
        if row_number > HEADER_ROW and height is None:
            cells = []
            for col, value, xf in values:
                ref = f"{column(col)}{row_number}"
                if not isinstance(value, str) or xf not in wrapping or ref in down:
                    continue
                last = across.get(ref, col)
                cells.append((value, sum(WIDTHS[j - 1] for j in range(col, last + 1)), 11))
            if cells:
                need = row_height(cells)
                if need > 15.0 + 1.5:
                    height = need
        sheet_data.append(f'<row r="{row_number}" ht="{height:g}" customHeight="1">' if height is not None
                          else f'<row r="{row_number}">')
        for col, value, xf in values:
            ref = f"{column(col)}{row_number}"
            if value is None:
                sheet_data.append(f'<c r="{ref}" s="{xf}"/>')
            elif isinstance(value, int):
                sheet_data.append(f'<c r="{ref}" s="{xf}"><v>{value}</v></c>')
            else:
                sheet_data.append(f'<c r="{ref}" s="{xf}" t="inlineStr"><is><t xml:space="preserve">'
                                  f"{text(clean(str(value)))}</t></is></c>")
        sheet_data.append("</row>")
    sheet_data.append("</sheetData>")

    xml = (f'<worksheet xmlns="{_M}" xmlns:r="{_R}">'
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
           f'<dimension ref="A1:{column(ncols)}{last_row}"/>'
           '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
           f'<pane ySplit="{HEADER_ROW}" topLeftCell="A{HEADER_ROW + 1}" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/>'
           "<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                              for j, w in enumerate(WIDTHS, start=1)) + "</cols>"
           + "".join(sheet_data)
           + f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
           + "</mergeCells>"
           + (f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "")
           + _PRINT_TAIL)
    return _XML_HEAD + xml.encode("utf-8")


FIELD_WIDTHS = (34, 40, 24, 50, 24)


_ESCAPED: dict[str, str] = {}  # a text as it goes into a cell: the same names and meanings come in every unit
_ESCAPED_KEEP = 50_000


def _cell_xml(ref: str, value: Any, xf: int) -> str:
    if value is None or value == "":  # (an empty text is an empty cell, as openpyxl writes it)
        return f'<c r="{ref}" s="{xf}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" s="{xf}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}" s="{xf}"><v>{value}</v></c>'
    value = str(value)
    escaped = _ESCAPED.get(value)
    if escaped is None:
        if len(_ESCAPED) >= _ESCAPED_KEEP:
            _ESCAPED.clear()
        escaped = _ESCAPED[value] = text(clean(value))
    return f'<c r="{ref}" s="{xf}" t="inlineStr"><is><t xml:space="preserve">{escaped}</t></is></c>'


def _fields_sheet(name: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                  styles: _Styles) -> bytes:
    """The fields sheet as ``xlsx_annotate`` lays it out: a title, a header row that stays in view and is
    repeated on every page, one row of values per name; printed landscape, fit to width; protected."""
    border = styles.thin_border()
    cell_font = styles.font(11)
    xf_title = styles.xf(styles.font(14, bold=True))
    xf_header = styles.xf(styles.font(11, bold=True), styles.fill(HEADER_RGB), border, ("center", "top", True))
    xf_cell = styles.xf(cell_font, 0, border, ("", "top", True))
    ncols = max([len(headers)] + [len(r) for r in rows])
    out = ["<sheetData>", f'<row r="1">{_cell_xml("A1", title, xf_title)}</row>',
           f'<row r="{HEADER_ROW}">' + "".join(_cell_xml(f"{column(j)}{HEADER_ROW}", label, xf_header)
                                               for j, label in enumerate(headers, start=1)) + "</row>"]
    letters = [column(j) for j in range(1, ncols + 1)]
    for i, values in enumerate(rows, start=HEADER_ROW + 1):
        out.append(f'<row r="{i}">' + "".join(_cell_xml(f"{letters[j]}{i}", value, xf_cell)
                                             for j, value in enumerate(values)) + "</row>")
    out.append("</sheetData>")
    last_row = HEADER_ROW + len(rows)
    xml = (f'<worksheet xmlns="{_M}" xmlns:r="{_R}">'
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
           f'<dimension ref="A1:{column(max(ncols, 1))}{max(last_row, HEADER_ROW)}"/>'
           '<sheetViews><sheetView workbookViewId="0">'
           f'<pane ySplit="{HEADER_ROW}" topLeftCell="A{HEADER_ROW + 1}" activePane="bottomLeft" state="frozen"/>'
           '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/>'
           "<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                              for j, w in enumerate(FIELD_WIDTHS[:len(headers)], start=1)) + "</cols>"
           + "".join(out)
           + '<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" formatRows="0"/>'
           + _PRINT_TAIL)
    return _XML_HEAD + xml.encode("utf-8")
