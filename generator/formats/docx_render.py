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
from dataclasses import dataclass, field
from typing import Any, Protocol

from lxml import etree

from . import zip as zipout
from .docx_package import (FOREIGN_BYTES, MAX_PART_MB, PARSER, W, Package, PackageError, Removed, clean_part,
                           external_ids, main_part, paragraph_text)

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
    # the main document as parsed whole (its text may hold brace marks: see restore); None when a large one was
    # checked element by element (``STREAM_BYTES``): a ``visit`` saw its elements instead
    document: etree._Element | None = None
    removed: list[Removed] = field(default_factory=list)  # foreign content the rendering made, taken out


def restore(text: str) -> str:
    """Text from the rendered tree with data braces as braces."""
    return text.replace(OPEN_MARK, "{").replace(CLOSE_MARK, "}")


_PATCH_XML: list[Any] = []
_PATCHED: dict[str, str] = {}  # part source → patched: the template's linter and its preparation both patch
_PATCHED_KEEP = 64


def _docxtpl_patch_xml() -> Any:
    """docxtpl's own ``DocxTemplate.patch_xml``: compiled from docxtpl's installed source without importing
    docxtpl, whose import brings all of python-docx (some 40 ms of a report's start-up, for a method that is
    a chain of regular expressions using nothing else); docxtpl imported when that cannot be done.
    ``tests/test_docx_patch.py`` compares the two."""
    if not _PATCH_XML:
        try:
            import ast
            import importlib.util
            from pathlib import Path

            spec = importlib.util.find_spec("docxtpl")
            source = Path(spec.origin).with_name("template.py")
            tree = ast.parse(source.read_text("utf-8"), str(source))
            cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DocxTemplate")
            method = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "patch_xml")
            namespace: dict[str, Any] = {"re": re}
            exec(compile(ast.Module(body=[method], type_ignores=[]), str(source), "exec"), namespace)
            function = namespace["patch_xml"]
            _PATCH_XML.append(lambda xml: function(None, xml))
        except Exception:
            _PATCH_XML.append(_imported_patch_xml())
    return _PATCH_XML[0]


def _imported_patch_xml() -> Any:
    from docxtpl import DocxTemplate

    return DocxTemplate(io.BytesIO(b"")).patch_xml  # (it uses nothing of the file)


def _patch_xml(xml: str) -> str:
    try:
        return _docxtpl_patch_xml()(xml)
    except NameError:  # a docxtpl whose patch_xml uses more of its module than ``re``: the imported one
        _PATCH_XML[:] = [_imported_patch_xml()]
        return _PATCH_XML[0](xml)


def patch(xml: str) -> str:
    """docxtpl's ``patch_xml``, literal braces as marks, and ``{% vmerge EXPR %}`` cells."""
    found = _PATCHED.get(xml)
    if found is not None:
        return found
    patched = _AMPERSAND_IN_TAG.sub(lambda m: m.group(0).replace("&amp;", "&"), _patch_xml(xml))
    for literal, marks in LITERALS.items():
        patched = patched.replace(literal, marks)
    patched = _VMERGE_CELL.sub(_vmerge_cell, patched)
    while len(_PATCHED) >= _PATCHED_KEEP:
        _PATCHED.pop(next(iter(_PATCHED)))
    _PATCHED[xml] = patched
    return patched


# an ``&`` inside a tag is the XML's ``&amp;``: Jinja reads it as ``&`` (docxtpl's patch turns ``&lt;``/``&gt;``
# back itself), and autoescape writes it once as ``&amp;``
_AMPERSAND_IN_TAG = re.compile(r"\{\{(?:(?!\}\}).)*&amp;(?:(?!\}\}).)*\}\}|\{%(?:(?!%\}).)*&amp;(?:(?!%\}).)*%\}", re.DOTALL)


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
    """docxtpl's ``resolve_listing``: ``\\n``/``\\t``/``\\a``/``\\f`` in a run's text become Word's line break, tab,
    new paragraph and page break, carrying the run's and the paragraph's properties; run only on the paragraphs
    holding one. (The same text transformation as docxtpl's, without importing docxtpl and python-docx for it:
    ``tests/test_docx_listing.py`` compares the two.)"""
    positions = [m.start() for m in _LISTING.finditer(xml)]
    if not positions:
        return xml
    # (as ``_PARAGRAPH.sub`` over the whole part, changing only the paragraphs that hold one: found by position,
    # without copying out every paragraph)
    out, last, k = [], 0, 0
    for m in _PARAGRAPH.finditer(xml):
        start, end = m.span()
        while k < len(positions) and positions[k] < start:
            k += 1
        if k == len(positions):
            break
        if positions[k] < end:
            out += (xml[last:start], _listing_paragraph(m.group(0)))
            last = end
    out.append(xml[last:])
    return "".join(out)


_PPR = re.compile(r"<w:pPr>.*?</w:pPr>")  # (as docxtpl: no DOTALL for the properties)
_RPR = re.compile(r"<w:rPr>.*?</w:rPr>")
_RUN = re.compile(r"<w:r(?: [^>]*)?>.*?</w:r>", re.DOTALL)
_TEXT = re.compile(r"<w:t(?: [^>]*)?>.*?</w:t>", re.DOTALL)


def _listing_paragraph(paragraph: str) -> str:
    found = _PPR.search(paragraph)
    ppr = found.group(0) if found else ""
    return _RUN.sub(lambda run: _listing_run(ppr, run.group(0)), paragraph)


def _listing_run(ppr: str, run: str) -> str:
    found = _RPR.search(run)
    rpr = found.group(0) if found else ""
    return _TEXT.sub(lambda t: _listing_text(ppr, rpr, t.group(0)), run)


def _listing_text(ppr: str, rpr: str, xml: str) -> str:
    xml = xml.replace("\t", f'</w:t></w:r><w:r>{rpr}<w:tab/></w:r><w:r>{rpr}<w:t xml:space="preserve">')
    xml = xml.replace("\a", f'</w:t></w:r></w:p><w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">')
    xml = xml.replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')
    return xml.replace("\f", '</w:t></w:r></w:p><w:p><w:r><w:br w:type="page"/></w:r></w:p>'
                              f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">')


def _render_bounded(template: Any, context: dict[str, Any], name: str) -> str:
    """The rendered source, stopped (``PackageError`` too_large) as soon as it passes ``MAX_PART_MB`` (counted in
    characters, 2-3 bytes each): the output is counted as it is made, never held whole beyond the limit."""
    limit = MAX_PART_MB * 1024 * 1024 // 2
    pieces: list[str] = []
    size = 0
    for piece in template.generate(context):
        size += len(piece)
        if size > limit:
            raise PackageError("too_large", name, str(size))
        pieces.append(piece)
    return "".join(pieces)


_REFERENCES = re.compile(rb"&(?:#|quot;|apos;)")


def _as_docxtpl_reads(raw: bytes, name: str) -> str:
    """A part's source as docxtpl renders it: serialised again by lxml, so that character references in text
    (LibreOffice writes ``&quot;``/``&apos;``, some writers ``&#20320;``) are plain characters, as Jinja must
    see them inside a tag."""
    if not _REFERENCES.search(raw):
        return raw.decode("utf-8")
    try:
        root = etree.fromstring(raw, PARSER)
    except etree.XMLSyntaxError as exc:
        raise PackageError("xml", name, str(exc)) from None
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(root, encoding="unicode")


class Prepared:
    """One template package, prepared once: its patched parts and its untouched parts compressed."""

    def __init__(self, pkg: Package):
        parts = pkg.parts
        self.main = main_part(parts) or "word/document.xml"
        self.names = list(parts)
        self.sources: dict[str, str] = {}  # templated part → patched, line-split source
        self.origins: dict[str, list[tuple[Any, ...]]] = {}  # templated part → what each line begins with
        self.static: dict[str, zipout.Member] = {}
        self.external: dict[str, set[str]] = {}  # templated part → ids of its external (hyperlink) relationships
        for name, raw in parts.items():
            if TEMPLATED.fullmatch(name) and (b"{" in raw or name == self.main):
                self.external[name] = external_ids(parts, name)
                text = _as_docxtpl_reads(raw, name)
                patched = patch(text) if name.startswith("word/") else _escape_literals(text)
                self.sources[name], self.origins[name] = mark_lines(patched)
            else:
                self.static[name] = zipout.Member.deflated(name, raw)

    def render(self, env: Any, context: dict[str, Any], visit: BodyVisitor | None = None) -> Rendered:
        """The checked package. ``env`` is a Jinja environment (autoescape, a ``finalize`` that marks braces).

        ``visit`` (optional) is shown every element of the main document's body, in order, as checked and
        fixed (``start`` first; again from the start should the part have to be parsed a second time).
        """
        rendered: dict[str, bytes] = {}
        removed: list[Removed] = []
        document = None
        for name, source in self.sources.items():
            try:
                xml = _render_bounded(env.from_string(source), context, name)
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
            raw = xml.encode("utf-8")
            xml = None  # (a large report: the text is not kept beside its bytes and its tree)
            foreign = name.startswith("word/") and (self.external.get(name) or FOREIGN_BYTES.search(raw))
            if name == self.main and len(raw) >= STREAM_BYTES and not foreign and _stream_main(raw, name, visit):
                rendered[name] = _restore_marks(raw)  # checked element by element, nothing to fix
                continue
            try:
                root = etree.fromstring(raw, PARSER)
            except etree.XMLSyntaxError as exc:
                error = PackageError("xml", name, str(exc))
                error.text_before = _text_before(raw.decode("utf-8"), exc.position)
                raise error from None
            changed = False
            if foreign:  # what is published holds nothing foreign, however the template made it
                changed |= clean_part(root, name, self.external.get(name, set()), removed)
            if name.startswith("word/"):
                changed |= _repair_cells(root)
                _check_leftovers(root, name, raw)
            if name == self.main:
                changed |= fix_tables(root)
                changed |= _fix_docpr_ids(root)
                document = root
                if visit is not None:
                    _visit_all(visit, root)
            if changed:
                raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            rendered[name] = _restore_marks(raw)
        parts = {name: rendered.get(name) or self.static[name] for name in self.names}
        return Rendered(zipout.package(parts), document, removed)


# ---------------------------------------------------------------------------- a large main document

STREAM_BYTES = 12 * 1024 * 1024  # a rendered main document this large is parsed and checked element by element
_CHUNK = 256 * 1024
_BODY = W + "body"
# the body elements whose end is told as it is parsed; the paragraphs between them (and anything else) are taken,
# in order, when the next of these ends (a paragraph's end is not listened to: most are in table cells)
_BODY_LEVEL = [W + "tbl", W + "sdt", W + "sectPr", W + "customXml"]
_BRACED_SELF = etree.XPath("descendant-or-self::w:p[descendant::w:t[contains(., '{') or contains(., '}')]]",
                           namespaces={"w": W[1:-1]})


class BodyVisitor(Protocol):
    def start(self) -> None: ...

    def element(self, element: etree._Element) -> None: ...


class VisitError(Exception):
    """A visitor failed (a bug of ours, not the template's): not to be reported as a template error."""

    def __init__(self, exc: BaseException):
        super().__init__(f"{type(exc).__name__}: {exc}")


def _visit(visit: BodyVisitor, element: etree._Element) -> None:
    try:
        visit.element(element)
    except Exception as exc:
        raise VisitError(exc) from exc


def _visit_all(visit: BodyVisitor, root: etree._Element) -> None:
    try:
        visit.start()
    except Exception as exc:
        raise VisitError(exc) from exc
    body = root.find(_BODY)
    for child in (body if body is not None else ()):
        _visit(visit, child)


class _Stream:
    """The main document's body, one top-level element at a time: checked as the whole part is checked
    (cells ending with a paragraph, leftover tags, table grids, drawing ids), shown to the visitor, then
    emptied, so that a report of a thousand projects never holds its whole tree. ``take`` answers False as
    soon as something would have to be fixed: the part is then parsed whole, as a small one is."""

    def __init__(self, raw: bytes, name: str, visit: BodyVisitor | None):
        self.name, self.visit = name, visit
        self.braced = b"{" in raw or b"}" in raw
        self.body: etree._Element | None = None
        self.last: etree._Element | None = None  # the last element taken
        self.paragraphs = 0  # paragraphs before the next element (for the leftover tag's place)
        self.leftover: LeftoverTag | None = None
        self.ids: list[str | None] = []

    def take(self, element: etree._Element) -> bool:
        parent = element.getparent()
        if parent is None or parent.tag != _BODY:
            return True  # (a paragraph in a table cell: taken with its table)
        if self.body is None:
            self.body = parent
        elif parent is not self.body:
            return False
        sibling = self.last.getnext() if self.last is not None else parent[0]
        while sibling is not None and sibling is not element:  # body elements of other kinds, in order
            if not self._check(sibling):
                return False
            sibling = sibling.getnext()
        self.last = element
        return self._check(element)

    def finish(self, root: etree._Element) -> bool:
        if self.body is None or root.find(_BODY) is not self.body:
            return False
        sibling = self.last.getnext() if self.last is not None else (self.body[0] if len(self.body) else None)
        while sibling is not None:
            if not self._check(sibling):
                return False
            sibling = sibling.getnext()
        for child in root:  # nothing to check outside the body
            if child is not self.body and any(True for _ in child.iter(W + "p", W + "tc", W + "tbl", _WP_DOCPR)):
                return False
        return len(set(self.ids)) == len(self.ids)

    def _check(self, element: etree._Element) -> bool:
        if not isinstance(element.tag, str):  # a comment or processing instruction
            return True
        if _repair_cells(element):
            return False
        if self.braced and self.leftover is None:
            for p in _BRACED_SELF(element):
                text = paragraph_text(p)
                found = _LEFTOVER.search(text)
                if found:
                    index = next(i for i, q in enumerate(element.iter(W + "p"), start=1) if q is p)
                    self.leftover = LeftoverTag(self.name, self.paragraphs + index, restore(text), found.group(0))
                    break
        if self.braced:  # (counted only where a leftover tag can be: its place is told by paragraph)
            self.paragraphs += sum(1 for _ in element.iter(W + "p"))
        if fix_tables(element):
            return False
        self.ids += [e.get("id") for e in element.iter(_WP_DOCPR)]
        if self.visit is not None:
            _visit(self.visit, element)
        element.clear()
        return True


def _stream_main(raw: bytes, name: str, visit: BodyVisitor | None) -> bool:
    """Check the main part element by element (see ``_Stream``): True when it is well-formed and needs no fix;
    False when it is to be parsed whole (a fix, or an XML error, which the whole parse reports as it does)."""
    stream = _Stream(raw, name, visit)
    if visit is not None:
        try:
            visit.start()
        except Exception as exc:
            raise VisitError(exc) from exc
    parser = etree.XMLPullParser(events=("end",), tag=_BODY_LEVEL, recover=False, resolve_entities=False,
                                 no_network=True, huge_tree=False, remove_blank_text=False)
    try:
        for i in range(0, len(raw), _CHUNK):
            parser.feed(raw[i:i + _CHUNK])
            for _, element in parser.read_events():
                if not stream.take(element):
                    return False
        root = parser.close()
    except etree.XMLSyntaxError:
        return False
    if not stream.finish(root):
        return False
    if stream.leftover is not None:
        raise stream.leftover
    return True


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


def _child(element: etree._Element, tag: str) -> etree._Element | None:
    """``element.find(tag)`` for a plain tag: its first child so named (a loop over the children in C costs less
    than ``find``'s path machinery)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


_TBL, _TBL_GRID, _GRID_COL, _TR, _TC, _TCPR, _GRID_SPAN, _W_W, _W_VAL = (
    W + "tbl", W + "tblGrid", W + "gridCol", W + "tr", W + "tc", W + "tcPr", W + "gridSpan", W + "w", W + "val")


def fix_tables(root: etree._Element) -> bool:
    """docxtpl's ``fix_tables`` on the parsed tree: widen a grid for rows with more cells (``{%tc`` loops),
    narrow it when no row fills its columns, keeping the table's width. Whether anything changed."""
    changed = False
    for t in root.iter(_TBL):
        grid = _child(t, _TBL_GRID)
        if grid is None:
            continue
        columns = list(grid.iterchildren(_GRID_COL))
        rows = [list(r.iterchildren(_TC)) for r in t.iter(_TR)]
        to_add = max(0, max((len(cells) for cells in rows), default=0) - len(columns))
        if to_add > 0:
            width = sum(float(c.get(_W_W)) for c in columns if c.get(_W_W) is not None)
            if width > 0:
                old_average = width / len(columns)
                new_average = width / (len(columns) + to_add)
                for c in columns:
                    c.set(_W_W, str(int(float(c.get(_W_W)) * new_average / old_average)))
                for _ in range(to_add):
                    etree.SubElement(grid, _GRID_COL, {_W_W: str(int(new_average))})
                changed = True
            columns = list(grid.iterchildren(_GRID_COL))
        cells_max = 0
        for cells in rows:
            total = 0
            for tc in cells:
                pr = _child(tc, _TCPR)
                span = _child(pr, _GRID_SPAN) if pr is not None else None
                total += int(span.get(_W_VAL)) if span is not None else 1
            if total > cells_max:
                cells_max = total
        to_remove = len(columns) - cells_max
        if to_remove > 0:
            removed_width = 0.0
            for c in columns[-to_remove:]:
                removed_width += float(c.get(_W_W))
                grid.remove(c)
            left = list(grid.iterchildren(_GRID_COL))
            if left:
                extra = int(removed_width / len(left))
                for c in left:
                    c.set(_W_W, str(int(float(c.get(_W_W)) + extra)))
            changed = True
    return changed
