"""Rendering a docxtpl template package with a Jinja environment, part by part, checked strictly.

This is the fast path of docxtpl's ``DocxTemplate.render`` (the library path it
mirrors; docxtpl's versions it was proved against are pinned in pyproject.toml
and ``tests/test_docx_render.py`` compares the two). What does not depend on
the data is done once per template (``Prepared``): the package is read, each
templated part (the document, headers, footers, foot- and endnotes, the core
properties) is patched with docxtpl's own ``patch_xml`` plus our
``{% vmerge EXPR %}`` cell tag, and the untouched parts are compressed once.
Per render, each templated part is rendered, its line breaks and tabs resolved
as docxtpl resolves them (``resolve_listing``), and then parsed strictly:
unlike docxtpl, which re-parses the body with a recovering parser that drops
what follows a fault, a part that is not well-formed XML is an error. The
parsed part is checked (no tag left over, every table cell ends with a
paragraph — one that does not gets an empty paragraph, as docxtemplater does)
and fixed where docxtpl fixes it (table grids for ``{%tc`` loops, drawing ids);
it is serialised again only when something changed.

Braces from data travel as two Unicode noncharacters (``OPEN_MARK``,
``CLOSE_MARK``; the environment's ``finalize`` puts them in), so the leftover
check sees only the template's own broken tags; they become braces again in
the finished package.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from docxtpl import DocxTemplate
from lxml import etree

from . import zip as zipout
from .docx_package import MAX_PART_MB, PARSER, W, Package, PackageError, main_part, paragraph_text

OPEN_MARK, CLOSE_MARK = "\ufdd0", "\ufdd1"
NEUTRALIZE = {ord("{"): OPEN_MARK, ord("}"): CLOSE_MARK, ord(OPEN_MARK): None, ord(CLOSE_MARK): None}
_MARK_BYTES = (OPEN_MARK.encode("utf-8"), CLOSE_MARK.encode("utf-8"))
LITERALS = {"{_{": OPEN_MARK * 2, "}_}": CLOSE_MARK * 2, "{_%": OPEN_MARK + "%", "%_}": "%" + CLOSE_MARK}
_VMERGE_CELL = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?\{%\s*vmerge\s.*?</w:tc>", re.DOTALL)
_VMERGE_TAG = re.compile(r"\{%\s*vmerge\s+(.*?)\s*%\}", re.DOTALL)
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}")
_LISTING = re.compile(r"[\t\a\n\f]")
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own paragraph pattern
_WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
TEMPLATED = re.compile(r"word/(document\d*|header\d*|footer\d*|footnotes|endnotes)\.xml|docProps/(core|app)\.xml")


def place_of(exc: BaseException) -> tuple[str, int] | None:
    """(part, line of its patched source) recorded on an exception raised while a part was rendered."""
    return getattr(exc, "docx_place", None)


def _template_line(exc: BaseException) -> int | None:
    """The innermost line of template source the exception passed through.

    Jinja rewrites the traceback of an ``Exception`` so that its frames carry the
    template's own line numbers; an asynchronous
    ``LimitExceeded`` (a BaseException) is not rewritten, and its frames are the
    compiled code's, which the template maps back (``get_corresponding_lineno``).
    """
    line = None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        compiled = frame.f_globals.get("__jinja_template__")
        if compiled is not None:
            try:
                line = compiled.get_corresponding_lineno(tb.tb_lineno)
            except (AttributeError, TypeError, ValueError):
                pass
        elif "__jinja_exception__" in frame.f_globals:  # a frame Jinja made up at the template's line
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class LeftoverTag(Exception):
    """A tag still in the rendered text: broken by Word or mistyped. Where: part, paragraph, text."""

    def __init__(self, part: str, index: int, text: str, tag: str):
        super().__init__(f"{part} ¶{index}: {tag}")
        self.part, self.index, self.text, self.tag = part, index, text, tag


@dataclass
class Rendered:
    data: bytes  # the .docx package
    document: etree._Element  # the main document as parsed (its text may hold brace marks: see restore)


def restore(text: str) -> str:
    """Text from the rendered tree with data braces as braces."""
    return text.replace(OPEN_MARK, "{").replace(CLOSE_MARK, "}")


_TOOL = DocxTemplate(io.BytesIO(b""))  # docxtpl's patch_xml and resolve_listing use nothing of the file


def patch(xml: str) -> str:
    """docxtpl's ``patch_xml``, literal braces as marks, and ``{% vmerge EXPR %}`` cells."""
    patched = _TOOL.patch_xml(xml)
    for literal, marks in LITERALS.items():
        patched = patched.replace(literal, marks)
    return _VMERGE_CELL.sub(_vmerge_cell, patched)


def _vmerge_cell(m: re.Match) -> str:
    cell = m.group(0)
    expr = _VMERGE_TAG.search(cell).group(1)
    cell = _VMERGE_TAG.sub("", cell, count=1)
    merge = f'<w:vMerge w:val="{{% if {expr} %}}restart{{% else %}}continue{{% endif %}}"/>'
    if "<w:tcPr>" in cell or "<w:tcPr " in cell:
        # schema order: cnfStyle, tcW, gridSpan, hMerge, vMerge, …
        anchor = re.search(r"<w:tcPr[^>]*>(\s*<w:cnfStyle[^>]*/>)?(\s*<w:tcW[^>]*/>)?(\s*<w:gridSpan[^>]*/>)?"
                           r"(\s*<w:hMerge[^>]*/>)?", cell)
        cell = cell[: anchor.end()] + merge + cell[anchor.end():]
    else:
        cell = re.sub(r"(<w:tc[ >])", r"\1<w:tcPr>" + merge + "</w:tcPr>", cell, count=1)
    # the continuing cells keep their paragraph but show no text
    return re.sub(r"(<w:t(?: [^>]*)?>)(.*?)(</w:t>)",
                  lambda t: t.group(1) + f"{{% if {expr} %}}" + t.group(2) + "{% endif %}" + t.group(3),
                  cell, flags=re.DOTALL)


LINE = "{#\n#}"  # a Jinja comment holding a line break: renders as nothing, starts a new template line
_SCAN = re.compile(r"<w:p[ >]|<w:t(?:\s[^>]*[^/>])?>|<w:t\s*>|</w:t>|\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.DOTALL)
_RAW_OPEN = re.compile(r"\{%-?\s*raw\s*-?%\}")
_RAW_CLOSE = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def mark_lines(source: str) -> tuple[str, list[tuple[Any, ...]]]:
    """``source`` with a template line begun at every paragraph and at every tag outside a paragraph's text
    (what docxtpl left of a ``{%p``/``{%tr``/``{%tc`` paragraph, row or cell), and what each line begins with:
    ``("p", k)`` the k-th paragraph (0-based) of the patched part, ``("tag", text, n)`` the n-th tag of that
    text, ``("",)`` the start (a line the part's own line breaks begin repeats the one before). So a line
    number of the compiled template names one paragraph or one structural tag."""
    out: list[str] = []
    origins: list[tuple[Any, ...]] = [("",)]
    seen: dict[str, int] = {}
    last = 0
    in_text = in_raw = False
    paragraphs = 0
    for m in _SCAN.finditer(source):
        token = m.group(0)
        if in_raw:
            if _RAW_CLOSE.fullmatch(token):
                in_raw = False
            continue
        if token.startswith("<w:p"):
            origin: tuple[Any, ...] = ("p", paragraphs)
            paragraphs += 1
        elif token.startswith("<w:t"):
            in_text = True
            continue
        elif token == "</w:t>":
            in_text = False
            continue
        elif token.startswith("{#"):
            continue
        else:
            if _RAW_OPEN.fullmatch(token):
                in_raw = True
            if in_text:
                continue
            origin = ("tag", token, seen.get(token, 0))
            seen[token] = origin[2] + 1
        segment = source[last:m.start()]
        origins += [origins[-1]] * segment.count("\n")  # line breaks of the part itself continue a line
        out += (segment, LINE)
        origins.append(origin)
        last = m.start()
    segment = source[last:]
    origins += [origins[-1]] * segment.count("\n")
    out.append(segment)
    return "".join(out), origins


def resolve_listing(xml: str) -> str:
    """docxtpl's ``\\n``/``\\t``/``\\a``/``\\f`` → Word breaks, run only on the paragraphs holding one."""
    return _PARAGRAPH.sub(lambda m: _TOOL.resolve_listing(m.group(0)) if _LISTING.search(m.group(0)) else m.group(0),
                          xml)


class Prepared:
    """One template package, prepared once: its patched parts and its untouched parts compressed."""

    def __init__(self, pkg: Package):
        parts = pkg.parts
        self.main = main_part(parts) or "word/document.xml"
        self.names = list(parts)
        self.sources: dict[str, str] = {}  # templated part → patched, line-split source
        self.origins: dict[str, list[tuple[Any, ...]]] = {}  # templated part → what each line begins with
        self.static: dict[str, zipout.Member] = {}
        for name, raw in parts.items():
            if TEMPLATED.fullmatch(name) and (b"{" in raw or name == self.main):
                text = raw.decode("utf-8")
                patched = patch(text) if name.startswith("word/") else _escape_literals(text)
                self.sources[name], self.origins[name] = mark_lines(patched)
            else:
                self.static[name] = zipout.Member.deflated(name, raw)

    def render(self, env: Any, context: dict[str, Any]) -> Rendered:
        """The checked package. ``env`` is a Jinja environment (autoescape, a ``finalize`` that marks braces)."""
        rendered: dict[str, bytes] = {}
        document = None
        for name, source in self.sources.items():
            try:
                xml = env.from_string(source).render(context)
            except BaseException as exc:  # noqa: B036 - the place is noted, the exception goes on unchanged
                line = _template_line(exc)
                if line is not None:
                    try:
                        exc.docx_place = (name, line)
                    except AttributeError:
                        pass
                raise
            if name.startswith("word/"):
                xml = resolve_listing(xml)
            if len(xml) > MAX_PART_MB * 1024 * 1024 // 2:  # characters: up to 2-3 bytes each
                raise PackageError("too_large", name, str(len(xml)))
            raw = xml.encode("utf-8")
            try:
                root = etree.fromstring(raw, PARSER)
            except etree.XMLSyntaxError as exc:
                error = PackageError("xml", name, str(exc))
                error.text_before = _text_before(xml, exc.position)
                raise error from None
            changed = False
            if name.startswith("word/"):
                changed |= _repair_cells(root)
                _check_leftovers(root, name, raw)
            if name == self.main:
                changed |= fix_tables(root)
                changed |= _fix_docpr_ids(root)
                document = root
            if changed:
                raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            rendered[name] = _restore_marks(raw)
        parts = {name: rendered.get(name) or self.static[name] for name in self.names}
        return Rendered(zipout.package(parts), document)


def _text_before(xml: str, position: tuple[int, int] | None) -> str:
    """The text of the paragraph where a rendered part stops being well-formed (up to the fault), for
    finding the template paragraph; the text of the paragraph before when that one has none."""
    if not position:
        return ""
    line, column = position
    lines = xml.split("\n")
    offset = sum(len(x) + 1 for x in lines[: max(0, line - 1)]) + max(0, column - 1)
    head = xml[:offset]
    starts = [m.start() for m in re.finditer(r"<w:p[ >]", head)]
    for start in reversed(starts[-3:]):
        text = "".join(re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)", head[start:]))
        if text.strip():
            return restore(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")).strip()
    return ""


def _escape_literals(text: str) -> str:
    for literal, marks in LITERALS.items():
        text = text.replace(literal, marks)
    return text


def _has_marks(raw: bytes) -> bool:
    return any(m in raw for m in _MARK_BYTES)


def _restore_marks(raw: bytes) -> bytes:
    if _has_marks(raw):
        raw = raw.replace(_MARK_BYTES[0], b"{").replace(_MARK_BYTES[1], b"}")
    return raw


def _repair_cells(root: etree._Element) -> bool:
    """A cell whose content was all removed (a ``{%p if %}`` that was its only paragraph) gets an empty one."""
    changed = False
    for tc in root.iter(W + "tc"):
        last = None
        for child in tc:
            if child.tag in (W + "p", W + "tbl"):
                last = child.tag
        if last != W + "p":
            etree.SubElement(tc, W + "p")
            changed = True
    return changed


_BRACED = etree.XPath("descendant::w:p[descendant::w:t[contains(., '{') or contains(., '}')]]",
                      namespaces={"w": W[1:-1]})


def _check_leftovers(root: etree._Element, name: str, raw: bytes) -> None:
    if b"{" not in raw and b"}" not in raw:
        return
    for p in _BRACED(root):
        text = paragraph_text(p)
        found = _LEFTOVER.search(text)
        if found:
            index = next(i for i, q in enumerate(root.iter(W + "p"), start=1) if q is p)
            raise LeftoverTag(name, index, restore(text), found.group(0))


def _fix_docpr_ids(root: etree._Element) -> bool:
    """Drawing ids made unique (a drawing repeated by a loop), numbered as docxtpl numbers them."""
    elements = list(root.iter(_WP_DOCPR))
    if len({e.get("id") for e in elements}) == len(elements):
        return False
    for index, el in enumerate(elements, start=1001):
        el.set("id", str(index))
    return True


def fix_tables(root: etree._Element) -> bool:
    """docxtpl's ``fix_tables`` on the parsed tree: widen a grid for rows with more cells (``{%tc`` loops),
    narrow it when no row fills its columns, keeping the table's width. Whether anything changed."""
    changed = False
    for t in root.iter(W + "tbl"):
        grid = t.find(W + "tblGrid")
        if grid is None:
            continue
        columns = grid.findall(W + "gridCol")
        rows = list(t.iter(W + "tr"))
        to_add = 0
        for r in rows:
            cells = r.findall(W + "tc")
            if len(columns) + to_add < len(cells):
                to_add = len(cells) - len(columns)
        if to_add > 0:
            width = sum(float(c.get(W + "w")) for c in columns if c.get(W + "w") is not None)
            if width > 0:
                old_average = width / len(columns)
                new_average = width / (len(columns) + to_add)
                for c in columns:
                    c.set(W + "w", str(int(float(c.get(W + "w")) * new_average / old_average)))
                for _ in range(to_add):
                    etree.SubElement(grid, W + "gridCol", {W + "w": str(int(new_average))})
                changed = True
        columns = grid.findall(W + "gridCol")
        cells_max = 0
        for r in rows:
            total = 0
            for tc in r.findall(W + "tc"):
                pr = tc.find(W + "tcPr")
                span = pr.find(W + "gridSpan") if pr is not None else None
                total += int(span.get(W + "val")) if span is not None else 1
            cells_max = max(cells_max, total)
        to_remove = len(columns) - cells_max
        if to_remove > 0:
            removed_width = 0.0
            for c in columns[-to_remove:]:
                removed_width += float(c.get(W + "w"))
                grid.remove(c)
            left = grid.findall(W + "gridCol")
            if left:
                extra = int(removed_width / len(left))
                for c in left:
                    c.set(W + "w", str(int(float(c.get(W + "w")) + extra)))
            changed = True
    return changed
