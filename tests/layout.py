"""Read a PDF made by LibreOffice back as laid-out lines, and check the pagination (issues 13 and 20).

``pdftotext -bbox-layout`` gives every page, its blocks and their lines with
coordinates (points, y downwards). ``read_pdf`` turns that into ``Page`` /
``Line`` objects; ``Layout`` classifies each line by what it looks like on the
page, the way a reader sees it, and knows nothing of the template or the
generator:

* by size (the height of the line box, ~1.3 × the font size): body text
  (3号, 16 pt), titles (larger), table text (smaller), notes;
* by text: headings ``一、`` / ``（一）`` / ``1.`` / ``（1）`` (a numbered line that
  is a whole paragraph of one short line without closing punctuation, at the
  body's heading indent; otherwise it is a list item), ``附件N`` markers,
  notes ``注：`` / ``说明：``, page numbers ``— N —``, table header rows (a row
  holding a known column-header signature).

Checks (each returns the offending places, empty when the layout is right):

* ``lonely_pages``: pages whose only content is headings, list items, notes,
  attachment markers or table header rows;
* ``headings_at_page_end``: pages whose last line is a heading (or title, marker);
* ``split_cells``: table rows broken across pages, found from the cell texts
  of the document (read back from the .docx/.xlsx): a cell is broken when the
  last line of a column on one page and the first line of that column on the
  next page are consecutive pieces of the cell's text; allowed when the row is
  taller than a page (it started at the top of its page, or spans 3 pages);
* ``full_lines`` / ``body_pages``: the body's grid (28 characters a line, 22
  lines a page).

Run ``python tests/layout.py FILE.pdf`` for a page-by-page listing.
"""

from __future__ import annotations

import bisect
import re
import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"
LINE_BOX = 1.3  # pdftotext's line box height over the font size (Noto CJK)
BODY_PT = 16.0

HEADING1 = re.compile(r"[一二三四五六七八九十]+、")
HEADING2 = re.compile(r"（[一二三四五六七八九十]+）")
HEADING3 = re.compile(r"\d+[.．](?!\d)")
HEADING4 = re.compile(r"（\d+）")
LIST_MARK = re.compile(r"[①-⑳]|附件：")
MARKER = re.compile(r"附件\d+")
NOTE = re.compile(r"(注|说明)：")
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")
CLOSING = tuple("。；：！？…")

HEADINGS = ("heading1", "heading2", "heading3", "heading4")
# a page holding nothing but these is wrong (a reader finds a heading or a note cut off from its text)
LONELY = (*HEADINGS, "list", "note", "table_header", "marker")
# a page must not end with these (they belong to what follows)
NOT_LAST = (*HEADINGS, "title", "marker")

# column headers of the attachment tables: a table row holding all words of one signature is a header row
HEADER_SIGNATURES: tuple[tuple[str, ...], ...] = (
    ("一级指标", "二级指标", "三级指标"),
    ("经费控制情况",),
)


@dataclass
class Line:
    page: int           # 1-based
    block: int          # block index on the page
    x0: float
    y0: float
    x1: float
    y1: float
    text: str           # the words joined without spaces
    kind: str = "body"
    first: bool = False  # first line of a paragraph (body-size text only)

    @property
    def size(self) -> float:
        """The font size in points, from the height of the line box."""
        return (self.y1 - self.y0) / LINE_BOX

    def __repr__(self) -> str:
        return f"<p{self.page} y={self.y0:.0f} {self.kind} {self.text[:20]!r}>"


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)  # top to bottom, then left to right

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    @property
    def content(self) -> list[Line]:
        return [line for line in self.lines if line.kind != "page_number"]


def read_pdf(path: Path | str) -> list[Page]:
    """Pages → lines with coordinates, from ``pdftotext -bbox-layout``."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True, timeout=300).stdout
    root = ET.fromstring(xml)
    pages: list[Page] = []
    for number, page_el in enumerate(root.iter(f"{XHTML}page"), start=1):
        page = Page(number, float(page_el.get("width")), float(page_el.get("height")))
        for b, block in enumerate(page_el.iter(f"{XHTML}block")):
            for line_el in block.iter(f"{XHTML}line"):
                words = [w.text or "" for w in line_el.iter(f"{XHTML}word")]
                box = [float(line_el.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
                page.lines.append(Line(number, b, *box, text="".join(words)))
        page.lines.sort(key=lambda ln: (round(ln.y0), ln.x0))
        pages.append(page)
    return pages


def squash(text: str) -> str:
    return "".join(str(text).split())


# Latin letters, digits and signs are half-width; from General Punctuation (“”…—) on, CJK fonts set a full em
HALF_WIDTH_BELOW = 0x2000


def width_in_chars(text: str) -> float:
    """Characters a line holds, counting a half-width (Latin) character as half."""
    return sum(0.5 if ord(ch) < HALF_WIDTH_BELOW else 1.0 for ch in text)


def is_full_width(text: str) -> bool:
    return all(ord(ch) >= HALF_WIDTH_BELOW for ch in text)


class Layout:
    """The lines of a PDF, classified; see the module docstring."""

    def __init__(self, pages: list[Page], header_signatures: Iterable[tuple[str, ...]] = HEADER_SIGNATURES) -> None:
        self.pages = pages
        self.header_signatures = tuple(header_signatures)
        self._columns: dict[int, list[Line]] = {}
        body = [ln for p in self.pages for ln in p.lines if self._body_size(ln)]
        # the 版心's left and right edges: where body lines start (the leftmost) and where most long ones end
        self.left = min((round(ln.x0) for ln in body), default=0.0)
        long = [round(ln.x1) for ln in body if width_in_chars(ln.text) > 20] or [0]
        self.right = statistics.mode(long)
        self._classify()

    @classmethod
    def of(cls, path: Path | str, **kw) -> Layout:
        """The layout of a PDF file."""
        return cls(read_pdf(path), **kw)

    # ------------------------------------------------------------------ classification

    @staticmethod
    def _body_size(line: Line) -> bool:
        return abs(line.size - BODY_PT) < 1.2

    def indent(self, line: Line) -> float:
        """The line's indent in 3号 characters from the body's left edge."""
        return (line.x0 - self.left) / BODY_PT

    def _classify(self) -> None:
        for page in self.pages:
            self._classify_table_rows(page)
            for line in page.lines:
                if line.kind == "table_header":
                    continue
                if PAGE_NUMBER.fullmatch(line.text):
                    line.kind = "page_number"
                elif line.size > BODY_PT + 1.2:
                    line.kind = "title"
                elif MARKER.fullmatch(line.text) and self._body_size(line):
                    line.kind = "marker"
                elif line.size < BODY_PT - 1.2:
                    line.kind = "table"
        self._classify_notes()
        self._classify_paragraphs()

    def _classify_table_rows(self, page: Page) -> None:
        small = [ln for ln in page.lines if ln.size < BODY_PT - 1.2]
        for line in small:
            band = [o for o in small if abs(o.y0 - line.y0) < 2]
            texts = "".join(o.text for o in band)
            if any(all(word in texts for word in sig) for sig in self.header_signatures):
                for o in band:
                    o.kind = "table_header"

    def _classify_notes(self) -> None:
        """A note is a 注：/说明： paragraph under a table: its first line and the lines of its block."""
        for page in self.pages:
            for line in page.lines:
                if line.kind in ("table", "body") and NOTE.match(line.text) and line.x0 <= self._table_left(page) + 2:
                    for other in page.lines:
                        if other.block == line.block and other.y0 >= line.y0 - 1:
                            other.kind = "note"

    @staticmethod
    def _table_left(page: Page) -> float:
        xs = [ln.x0 for ln in page.lines if ln.kind in ("table", "table_header", "body")]
        return min(xs, default=0.0)

    def body_lines(self) -> list[Line]:
        """Body-size lines of the whole document in reading order (page numbers, markers excluded)."""
        return [ln for p in self.pages for ln in p.lines
                if ln.kind in ("body", "list", *HEADINGS) and self._body_size(ln)]

    def _classify_paragraphs(self) -> None:
        lines = self.body_lines()
        for i, line in enumerate(lines):
            # a paragraph starts at an indented line, or after a line that ends short of the right edge
            prev = lines[i - 1] if i else None
            line.first = self.indent(line) > 0.5 or prev is None or prev.x1 < self.right - BODY_PT
        for i, line in enumerate(lines):
            if not line.first:
                continue
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            single = nxt is None or nxt.first
            text = line.text
            if HEADING1.match(text):
                line.kind = "heading1"
            elif HEADING2.match(text) and not text.endswith(CLOSING):
                line.kind = "heading2"
            elif HEADING3.match(text) or HEADING4.match(text):
                heading = single and not text.endswith(CLOSING) and abs(self.indent(line) - 2) < 0.6
                level = "heading3" if HEADING3.match(text) else "heading4"
                line.kind = level if heading else "list"
            elif LIST_MARK.match(text) or (single and self.indent(line) > 2.6):
                line.kind = "list"  # ①…, the 附件： list and its continuation lines (indented under the names)

    # ------------------------------------------------------------------ checks

    def lonely_pages(self) -> list[tuple[int, list[str]]]:
        """Pages whose only content is headings, a list item, notes, attachment markers or table header rows.

        (A page of two or more whole list items is a page of text.)
        """
        return [(p.number, [ln.text for ln in p.content]) for p in self.pages
                if p.content and all(ln.kind in LONELY for ln in p.content)
                and sum(ln.kind == "list" for ln in p.content) <= 1]

    def headings_at_page_end(self) -> list[tuple[int, str]]:
        """Pages (all but the last) whose last line is a heading, a title or an attachment marker."""
        out = []
        for p in self.pages[:-1]:
            content = p.content
            if not content:
                continue
            bottom = max(ln.y1 for ln in content)
            last = [ln for ln in content if ln.y1 > bottom - 3]
            if all(ln.kind in NOT_LAST for ln in last):
                out.append((p.number, "".join(ln.text for ln in last)))
        return out

    def split_cells(self, cells: Iterable[str]) -> list[tuple[int, str]]:
        """Cells (texts from the document) whose text runs from the foot of one page onto the next.

        A cell is broken at a page break when its text is exactly the lines of a
        column at the foot of one page followed by the lines of the same column at
        the head of the next. Returns (page, the cell's text) for each broken
        cell, except cells of rows taller than a page.
        """
        texts = sorted({t for t in (squash(c) for c in cells) if len(t) >= 2}, key=len, reverse=True)
        joined = "\n".join(texts)  # one string to search; a match never spans two texts
        starts = [0]
        for t in texts[:-1]:
            starts.append(starts[-1] + len(t) + 1)
        found = []
        for page, nxt in zip(self.pages, self.pages[1:]):
            bottom = self._column_ends(page, last=True)
            top = self._column_ends(nxt, last=False)
            for a in bottom:
                for b in top:
                    if min(a.x1, b.x1) - max(a.x0, b.x0) <= 0 or len(a.text) + len(b.text) < 4:
                        continue  # not the same column, or too short to tell
                    at = joined.find(a.text + b.text)
                    while at >= 0:
                        text = texts[bisect.bisect_right(starts, at) - 1]
                        verdict = self._broken(page, nxt, a, b, text)
                        if verdict is not None:
                            if verdict:
                                found.append((page.number, text))
                            break
                        at = joined.find(a.text + b.text, at + 1)
        return sorted(set(found))

    @staticmethod
    def _table_lines(page: Page) -> list[Line]:
        return [ln for ln in page.lines if ln.kind in ("table", "table_header")]

    def _column(self, page: Page, line: Line) -> list[Line]:
        """Table data lines of the page in the same column as ``line``, top to bottom."""
        key = id(line)
        if key not in self._columns:
            self._columns[key] = sorted((o for o in self._table_lines(page)
                                         if o.kind == "table" and min(o.x1, line.x1) - max(o.x0, line.x0) > 0),
                                        key=lambda o: o.y0)
        return self._columns[key]

    def _column_ends(self, page: Page, last: bool) -> list[Line]:
        """The last (or first data) table line of each column of lines on the page."""
        ends = []
        for line in self._table_lines(page):
            if line.kind != "table":
                continue
            column = self._column(page, line)
            if (column[-1] if last else column[0]) is line:
                ends.append(line)
        return ends

    def _broken(self, page: Page, nxt: Page, a: Line, b: Line, text: str) -> bool | None:
        """Is ``text`` the cell that ends ``page``'s column with line ``a`` and goes on with ``b`` on ``nxt``?

        None: no (the lines around a and b are not the rest of the text); True:
        yes, and its row would have fitted on one page; False: yes, but the row is
        taller than a page (the text began before ``page`` or goes on after
        ``nxt``, or its lines exceed the room under a page's header).
        """
        up = _adjacent([o for o in reversed(self._column(page, a)) if o.y0 < a.y0], a)  # nearest first
        column = self._column(nxt, b)
        down = _adjacent(column[column.index(b) + 1:], b)
        at = text.find(a.text + b.text)
        while at >= 0:
            start, above = at, 1
            for o in up:
                if start < len(o.text) or text[start - len(o.text): start] != o.text:
                    break
                start, above = start - len(o.text), above + 1
            end, below = at + len(a.text) + len(b.text), 1
            for o in down:
                if not text.startswith(o.text, end):
                    break
                end, below = end + len(o.text), below + 1
            head = self._column(page, a)
            # the cell's lines reach up to the column's first line: it began on an earlier page
            began_before = start > 0 and above == len(up) + 1 and (not up or up[-1] is head[0])
            goes_on = end < len(text) and below == len(down) + 1 and (not down or down[-1] is column[-1])
            if (start == 0 or began_before) and (end == len(text) or goes_on):
                return not (began_before or goes_on) and self._fits(page, nxt, a, above + below)
            at = text.find(a.text + b.text, at + 1)
        return None

    def _fits(self, page: Page, nxt: Page, a: Line, lines: int) -> bool:
        """Would ``lines`` lines of ``a``'s size fit under the header of a page?"""
        pitch = (a.y1 - a.y0) * 1.15
        room = 0.0
        for p in (page, nxt):
            data = [ln for ln in self._table_lines(p) if ln.kind == "table"]
            if data:
                room = max(room, max(ln.y1 for ln in p.content) - min(ln.y0 for ln in data))
        return lines * pitch <= room

    # ------------------------------------------------------------------ the grid

    def full_lines(self) -> list[Line]:
        """Body lines followed by more of the same paragraph (on this page or the next)."""
        lines = self.body_lines()
        return [ln for ln, nxt in zip(lines, lines[1:]) if not nxt.first]

    def body_pages(self) -> list[Page]:
        """Portrait pages of the report body: before the first attachment marker."""
        out = []
        for p in self.pages:
            if any(ln.kind == "marker" for ln in p.lines) or p.landscape:
                break
            out.append(p)
        return out

    def lines_on(self, page: Page) -> list[Line]:
        """The body-size lines on a page."""
        return [ln for ln in page.content if self._body_size(ln)]

    def full_pages(self) -> list[tuple[Page, int]]:
        """Body pages whose last paragraph runs on to the next page, with the lines it has there.

        Only these must hold the full 22 lines: elsewhere a heading kept with its
        text, or a page break, ends the page early.
        """
        body = self.body_pages()
        out = []
        for page, nxt in zip(body, body[1:]):
            mine, theirs = self.lines_on(page), self.lines_on(nxt)
            if not mine or not theirs or theirs[0].first:
                continue
            run_on = 1
            while run_on < len(theirs) and not theirs[run_on].first:
                run_on += 1
            out.append((page, run_on))
        return out


def _adjacent(lines: list[Line], start: Line) -> list[Line]:
    """The run of ``lines`` (nearest first) that follow ``start`` at line spacing: one cell's lines, no gap."""
    out, prev = [], start
    for line in lines:
        if abs(line.y0 - prev.y0) > 1.6 * (prev.y1 - prev.y0):
            break
        out.append(line)
        prev = line
    return out


def describe(layout: Layout) -> str:
    out = []
    for p in layout.pages:
        out.append(f"— page {p.number} ({'landscape' if p.landscape else 'portrait'}), "
                   f"{len(layout.lines_on(p))} body-size lines")
        for ln in p.lines:
            mark = "¶" if ln.first else " "
            out.append(f"  {ln.y0:6.1f} {ln.kind:12} {mark} {width_in_chars(ln.text):5.1f} {ln.text[:60]}")
    out.append(f"lonely pages: {layout.lonely_pages()}")
    out.append(f"headings at page end: {layout.headings_at_page_end()}")
    return "\n".join(out)


if __name__ == "__main__":
    print(describe(Layout.of(sys.argv[1])))


# ---------------------------------------------------------------------- documents to check
#
# The example unit and a stress unit (long texts, 300 more indicators), built
# from data/2024.xlsx with openpyxl. Columns are found by their header labels,
# never by letter, so the checks survive a change of the workbook's layout.

STRESS_UNIT = "桃源县版式测试镇人民政府"
STRESS_INDICATORS = 300
STRESS_GROUPS = (("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
                 ("产出指标", "成本指标"), ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"))
REASON = ("第{k}项指标受年度内上级政策调整、项目实施周期较长及部分资金到位较晚等因素影响，完成进度略低于预期（原因{j}），"
          "下一步将加强项目调度和资金监管，按月跟踪进度，确保按期完成。")


def header_columns(ws, row: int = 2) -> dict[str, int]:
    """Header label → column number, from the sheet's header row."""
    return {str(c.value).strip(): c.column for c in ws[row] if c.value not in (None, "")}


def _label_row(ws, label: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None and str(c.value).strip() == label:
                return c.row, c.column
    raise KeyError(label)


def make_stress_workbook(source: Path, target: Path, indicators: int = STRESS_INDICATORS, repeat: int = 4) -> None:
    """A copy of ``source`` with every report text ``repeat`` times as long and ``indicators`` more indicators."""
    import openpyxl

    wb = openpyxl.load_workbook(source)
    basic = wb["基本信息"]
    r, c = _label_row(basic, "单位全称")
    basic.cell(r, c + 1).value = STRESS_UNIT

    texts = wb["文字内容"]
    col = header_columns(texts)["内容"]
    for row in range(3, texts.max_row + 1):
        cell = texts.cell(row, col)
        if isinstance(cell.value, str) and len(cell.value) > 8:
            cell.value = "".join([cell.value] * repeat)

    ws = wb["绩效指标"]
    cols = header_columns(ws)
    level1 = cols["一级指标"]
    last = max(row for row in range(3, ws.max_row + 1) if ws.cell(row, level1).value not in (None, ""))
    for k in range(indicators):
        g1, g2 = STRESS_GROUPS[k * len(STRESS_GROUPS) // indicators]
        values = {"一级指标": g1, "二级指标": g2, "三级指标": f"版式测试指标第{k + 1}项（工作任务完成数量）",
                  "比较": "≥", "年度指标值": 10 + k % 7, "实际完成值": 10 + k % 7 - (k % 5 == 0),
                  "单位": "项", "分值": 0.1}
        if k % 5 == 0:
            values["偏差原因分析及改进措施"] = "".join(REASON.format(k=k + 1, j=j + 1) for j in range(1 + k % 3))
        for label, value in values.items():
            ws.cell(last + 1 + k, cols[label]).value = value
    wb.save(target)


@dataclass
class Unit:
    """One generated unit: its report and tables, and their PDFs made by LibreOffice."""

    docx: Path
    tables: Path
    pdf: Path
    tables_pdf: Path
    _layouts: dict[str, Layout] = field(default_factory=dict)

    def layout(self, tables: bool = False) -> Layout:
        key = "tables" if tables else "report"
        if key not in self._layouts:
            self._layouts[key] = Layout.of(self.tables_pdf if tables else self.pdf)
        return self._layouts[key]

    def cells(self, tables: bool = False) -> list[str]:
        """The text of every table cell, read back from the .docx (or the .xlsx)."""
        if tables:
            import openpyxl

            wb = openpyxl.load_workbook(self.tables, read_only=True)
            return [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
        import zipfile

        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        with zipfile.ZipFile(self.docx) as zf:
            root = ET.fromstring(zf.read("word/document.xml"))
        return ["".join(t.text or "" for t in tc.iter(f"{w}t")) for tc in root.iter(f"{w}tc")]


_UNITS: dict[str, Unit] = {}


def units(make_folder, root: Path) -> dict[str, Unit]:
    """The example and the stress unit, generated with the CLI and converted by ONE soffice call.

    Built once per process (both test modules share it); ``make_folder()``
    gives the working folder when they are first built.
    """
    if _UNITS:
        return _UNITS
    from click.testing import CliRunner

    from generator.cli import main
    from generator.formats.pdf import PdfConverter

    folder = Path(make_folder())
    data = folder / "data"
    (data / "郑家驿镇").mkdir(parents=True)
    (data / "版式测试镇").mkdir()
    example = root / "data" / "2024.xlsx"
    (data / "郑家驿镇" / "2024.xlsx").write_bytes(example.read_bytes())
    make_stress_workbook(example, data / "版式测试镇" / "2024.xlsx")
    out = folder / "output"
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(data), "--templates", str(root / "templates"),
                                       "--out", str(out), "--jobs", "1"], catch_exceptions=False)
    built = {}
    for key, unit, name in (("example", "郑家驿镇", "桃源县郑家驿镇人民政府"), ("stress", "版式测试镇", STRESS_UNIT)):
        docx_path = out / "2024" / unit / f"2024年度{name}整体支出绩效自评报告.docx"  # each unit's own folder
        tables = docx_path.with_name(docx_path.stem + "-附表.xlsx")
        assert docx_path.is_file() and tables.is_file(), result.output
        built[key] = (docx_path, tables)
    with PdfConverter() as converter:
        pdfs = converter.convert([p for pair in built.values() for p in pair], folder / "pdf")
    for k, (key, (docx_path, tables)) in enumerate(built.items()):
        _UNITS[key] = Unit(docx_path, tables, pdfs[2 * k], pdfs[2 * k + 1])
    return _UNITS
