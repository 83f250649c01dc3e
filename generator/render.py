"""Stage 5 — render: fill a docxtpl Word template with the context, safely.

* Jinja runs sandboxed (templates travel between offices), with autoescape
  (so ``&`` and ``<`` in data never delete text) and StrictUndefined (a
  missing field is an error naming the variable and the template paragraph).
* ``{% vmerge EXPR %}`` in a table cell merges it vertically: the cell starts
  a merge where EXPR is true and continues the one above otherwise. Used for
  一级/二级 indicator cells that span their groups (docxtpl's own ``{% vm %}``
  only knows the innermost loop).
* The rendered package is checked before it is returned: every XML part
  parses strictly, every table cell has a paragraph, no tag is left over.
* Before rendering, ``lint_template`` reports, by paragraph, the tag mistakes
  docxtpl would otherwise turn into a broken file (two ``{%p`` in a paragraph,
  ``{%tr`` outside a table, unbalanced for/if, a tag cut across paragraphs).
* Braces in data never look like leftover tags: every ``{{ … }}`` output has
  its braces swapped for two noncharacters (``_finalize``), swapped back in the
  finished package. The sandbox also refuses ``**``/``*``/filters that would
  build huge values.
* Fast path (``_FastTemplate``): what docxtpl redoes on every render that does
  not depend on the data (python-docx opening the template, patching, saving
  the untouched parts) is done once per template; the package is the same,
  part for part and byte for byte (tests/test_fast_render.py).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import io
import os
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx.oxml.ns as docx_ns
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docx.opc.parts.coreprops import CorePropertiesPart
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree

from .errors import UserError
from .formatting import FILTERS
from .messages import msg
from . import codecache, zipout

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_VMERGE_CELL = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?\{%\s*vmerge\s.*?</w:tc>", re.DOTALL)
_VMERGE_TAG = re.compile(r"\{%\s*vmerge\s+(.*?)\s*%\}", re.DOTALL)
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}")


# Braces that come from data (or from a template's deliberate literal braces)
# travel through rendering as two Unicode noncharacters, so that the leftover-tag
# check only sees braces of the template's own broken tags; they are turned back
# into braces in the finished package.
OPEN_MARK, CLOSE_MARK = "\ufdd0", "\ufdd1"
_NEUTRALIZE = {ord("{"): OPEN_MARK, ord("}"): CLOSE_MARK, ord(OPEN_MARK): None, ord(CLOSE_MARK): None}
_MARK_BYTES = (OPEN_MARK.encode("utf-8"), CLOSE_MARK.encode("utf-8"))
_LITERALS = {"{_{": OPEN_MARK * 2, "}_}": CLOSE_MARK * 2, "{_%": OPEN_MARK + "%", "%_}": "%" + CLOSE_MARK}

MAX_POWER = 1000  # largest exponent ``**`` may use in a template
MAX_REPEAT = 1_000_000  # longest string or list ``*`` may build in a template
MAX_TEMPLATE_MB = 50  # uncompressed size of a template package
COMPILED_CACHE_SIZE = 512  # sources kept compiled per environment (template parts, short strings)
PATCHED_CACHE_SIZE = 64  # template parts kept patched per process (a few per template)


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ … }}`` output before escaping: neutralise braces."""
    if isinstance(value, str):
        return value.translate(_NEUTRALIZE)
    return value


_DICT_ATTRIBUTES = frozenset(dir(dict))


class ReportEnvironment(SandboxedEnvironment):
    """The sandbox, also refusing arithmetic that would exhaust memory or time."""

    intercepted_binops = frozenset({"*", "**"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``a.b`` on a plain dict whose key ``b`` is not a dict method: the item, as the sandbox would find it.

        The sandbox tries the attribute first, and a dict has no attribute
        ``b``: the AttributeError it catches on every ``ctx.budget.executed``
        costs more than the lookup. Anything else takes the sandbox's own path.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_POWER:
            raise SecurityError(f"exponent {right} is too large")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"repetition of {len(seq)} × {n} is too large")
        return super().call_binop(context, operator, left, right)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        """Compile once per source text: docxtpl recompiles every part on every render.

        A batch worker keeps one environment for all its units, so each template
        part is compiled once per worker. Keyed on the exact source and the
        escaping setting (docxtpl sets ``autoescape`` before rendering), so a
        changed template is a new key and is compiled afresh.
        """
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        cache = self.__dict__.setdefault("_compiled", {})
        key = (source, self.autoescape)
        template = cache.pop(key, None)
        if template is None:
            code = codecache.load(self, "template", source)
            if code is None:
                code = self.compile(source)
                codecache.store(self, "template", source, code)
            template = self.template_class.from_code(self, code, self.make_globals(None), None)
            while len(cache) >= COMPILED_CACHE_SIZE:
                cache.pop(next(iter(cache)))  # least recently used first
        cache[key] = template
        return template

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> Any:
        """Jinja's ``compile_expression``, its code kept on disk like the templates' (``codecache``)."""
        code = codecache.load(self, "expression", source)
        if code is None:
            parser = Parser(self, source, state="variable")
            try:
                expr = parser.parse_expression()
                if not parser.stream.eos:
                    raise TemplateSyntaxError("chunk after expression", parser.stream.current.lineno, None, None)
                expr.set_environment(self)
            except TemplateSyntaxError:
                self.handle_exception(source=source)
            code = self.compile(nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)],
                                               lineno=1))
            codecache.store(self, "expression", source, code)
        template = self.template_class.from_code(self, code, self.make_globals(None), None)
        return TemplateExpression(template, undefined_to_none)


def _bounded(name: str, filter_func: Any) -> Any:
    """A Jinja filter whose width argument cannot build a huge string."""

    def bounded(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> Any:
        if isinstance(width, int) and width > MAX_REPEAT:
            raise SecurityError(f"{name}({width}) is too large")
        return filter_func(value, width, *args, **kwargs)

    return bounded


def make_env() -> SandboxedEnvironment:
    env = ReportEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=False, finalize=_finalize)
    env.globals.pop("lipsum", None)  # lipsum(n) builds text of any size
    for name in ("center", "indent", "wordwrap", "truncate"):
        env.filters[name] = _bounded(name, env.filters[name])
    env.filters.update(FILTERS)
    return env


class ReportTemplate(DocxTemplate):
    """docxtpl with the ``{% vmerge EXPR %}`` cell tag."""

    def patch_xml(self, src_xml: str) -> str:
        patched = _PATCHED.pop(src_xml, None)  # the same template part patches to the same text
        if patched is None:
            patched = super().patch_xml(src_xml)
            for literal, marks in _LITERALS.items():
                patched = patched.replace(literal, marks)
            patched = _VMERGE_CELL.sub(_vmerge_cell, patched)
            while len(_PATCHED) >= PATCHED_CACHE_SIZE:
                _PATCHED.pop(next(iter(_PATCHED)))
        _PATCHED[src_xml] = patched
        return patched

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's ``\\n``/``\\t``/``\\a``/``\\f`` → Word breaks, run only on the paragraphs holding one.

        docxtpl runs three nested regex passes over every paragraph and run of
        the document; a paragraph without any of the four characters comes out
        unchanged, so it is passed through as is (same result, a fraction of the time).
        """
        if not any(ch in xml for ch in _LISTING_CHARS):  # four plain scans: faster than one class search
            return xml
        resolve = super().resolve_listing
        return _PARAGRAPH.sub(lambda m: resolve(m.group(0)) if _LISTING_CHAR.search(m.group(0)) else m.group(0), xml)


_PATCHED: dict[str, str] = {}  # part XML → patched XML, most recently used last
_LISTING_CHARS = "\t\a\n\f"
_LISTING_CHAR = re.compile(f"[{_LISTING_CHARS}]")
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own paragraph pattern


def _vmerge_cell(m: re.Match) -> str:
    cell = m.group(0)
    tag = _VMERGE_TAG.search(cell)
    expr = tag.group(1)
    cell = _VMERGE_TAG.sub("", cell, count=1)
    merge = f'<w:vMerge w:val="{{% if {expr} %}}restart{{% else %}}continue{{% endif %}}"/>'
    if "<w:tcPr>" in cell or "<w:tcPr " in cell:
        # schema order: tcW, gridSpan, hMerge, vMerge, …
        anchor = re.search(r"<w:tcPr[^>]*>(\s*<w:tcW[^>]*/>)?(\s*<w:gridSpan[^>]*/>)?", cell)
        cell = cell[: anchor.end()] + merge + cell[anchor.end():]
    else:
        cell = re.sub(r"(<w:tc[ >])", r"\1<w:tcPr>" + merge + "</w:tcPr>", cell, count=1)
    # the continuing cells keep their paragraph but show no text
    cell = re.sub(r"(<w:t(?: [^>]*)?>)(.*?)(</w:t>)",
                  lambda t: t.group(1) + f"{{% if {expr} %}}" + t.group(2) + "{% endif %}" + t.group(3),
                  cell, flags=re.DOTALL)
    return cell


_STRUCTURAL = re.compile(r"\{%-?(p|tr|tc|r)\s")  # docxtpl's paragraph / row / column / run tags
_BLOCK = re.compile(r"\{%-?(?:p|tr|tc|r)?\s*(for|if|endfor|endif)\b")
_XML_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=True)


def _paragraphs(root: etree._Element) -> list[tuple[str, bool]]:
    """(visible text, inside a table cell) of every paragraph, in document order."""
    out = []
    for p in root.iter(f"{{{W_NS}}}p"):
        text = "".join(t.text or "" for t in p.iter(f"{{{W_NS}}}t"))
        in_table = next(p.iterancestors(f"{{{W_NS}}}tc"), None) is not None
        out.append((text, in_table))
    return out


def _read_template(template_path: Path, data: bytes | None = None) -> list[tuple[str, bool]]:
    """Refuse what is not a sane .docx; return the paragraphs of its body (``data``: the file's bytes, if read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else template_path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_TEMPLATE_MB * 1024 * 1024:
                raise UserError(msg("template_too_large", path=template_path, size=total // (1024 * 1024),
                                    limit=MAX_TEMPLATE_MB))
            root = etree.fromstring(zf.read("word/document.xml"), _XML_PARSER)
    except UserError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError, ValueError):
        raise UserError(msg("template_not_docx", path=template_path)) from None
    return _paragraphs(root)


def template_paragraphs(template_path: Path) -> list[str]:
    """The visible text of each paragraph (body, tables included) of a template."""
    return [text for text, _ in _read_template(template_path)]


def _where(index: int | str, text: str) -> str:
    short = text if len(text) <= 60 else text[:57] + "…"
    return msg("where_paragraph", index=index, text=short)


def locate(template_path: Path, needle: str | None, paragraphs: list[str] | None = None) -> str:
    """Describe where ``needle`` (a variable name or tag text) appears in the template."""
    if not needle:
        return msg("where_unknown")
    try:
        paragraphs = paragraphs if paragraphs is not None else template_paragraphs(template_path)
    except UserError:  # the template itself is unreadable; reported elsewhere
        return msg("where_unknown")
    for i, text in enumerate(paragraphs, start=1):
        if needle in text:
            return _where(i, text)
    return msg("where_unknown")


def lint_template(template_path: Path, paragraphs: list[tuple[str, bool]] | None = None) -> list[str]:
    """Tag mistakes docxtpl would turn into a broken file or a vague error, each with its paragraph.

    * two docxtpl structural tags of one kind (``{%p``, ``{%tr``…) in one paragraph;
    * ``{%tr`` / ``{%tc`` in a paragraph that is not in a table;
    * ``for`` / ``if`` blocks that are not closed, or closed without being opened.
    """
    if paragraphs is None:
        paragraphs = _read_template(template_path)
    problems: list[str] = []
    stack: list[tuple[str, int, str]] = []
    balanced = True
    for i, (text, in_table) in enumerate(paragraphs, start=1):
        if "{" not in text and "}" not in text:
            continue
        plain = text
        for literal in _LITERALS:
            plain = plain.replace(literal, "")
        if plain.count("{{") != plain.count("}}") or plain.count("{%") != plain.count("%}"):
            problems.append(msg("template_tag_split", path=template_path, where=_where(i, text)))
        kinds = _STRUCTURAL.findall(text)
        for kind in sorted(set(kinds)):
            if kinds.count(kind) > 1:
                problems.append(msg("template_two_structural", path=template_path, tag="{%" + kind,
                                    where=_where(i, text)))
        for kind in sorted(set(kinds) & {"tr", "tc"}):
            if not in_table:
                problems.append(msg("template_outside_table", path=template_path, tag="{%" + kind,
                                    where=_where(i, text)))
        for m in _BLOCK.finditer(text):
            if not balanced:
                break
            word = m.group(1)
            if word in ("for", "if"):
                stack.append((word, i, text))
            elif stack and stack[-1][0] == word[3:]:
                stack.pop()
            else:
                problems.append(msg("template_block_unopened", path=template_path, tag=word,
                                    where=_where(i, text)))
                balanced = False  # one mismatch explains what follows; do not cascade
    if balanced:
        for word, i, text in stack:
            problems.append(msg("template_block_unclosed", path=template_path, tag=word, end="end" + word,
                                where=_where(i, text)))
    return problems


def _undefined_name(exc: UndefinedError) -> str | None:
    text = str(exc)
    m = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text) \
        or re.search(r"no element '?([^']+)'?", text)
    return m.group(1) if m else None


def _syntax_where(exc: TemplateSyntaxError) -> str:
    """docxtpl puts each body paragraph on its own line, so line N is paragraph N - 1."""
    lines = list(getattr(exc, "docx_context", None) or [])
    lineno = exc.lineno or 0
    offset = lineno - 1 - max(lineno - 4, 0)
    if lineno >= 2 and 0 <= offset < len(lines) and lines[offset].strip():
        return _where(lineno - 1, lines[offset].strip())
    context_lines = [ln.strip() for ln in lines if ln.strip()]
    return "、".join(f"“{ln[:40]}”" for ln in context_lines[:3]) or msg("where_unknown")


def render_docx(template_path: Path, context: dict[str, Any], env: SandboxedEnvironment | None = None, *,
                fast: bool = True, plain: bool = False) -> bytes:
    """Render ``template_path`` with ``context`` and return the checked .docx bytes.

    Every failure is a ``UserError`` naming the template and, where it can be
    found, the paragraph; nothing is returned unless the package is sound.
    ``fast=False`` takes docxtpl's own path (the reference the fast path,
    ``_FastTemplate``, is tested to match byte for byte). ``plain=True``: the
    caller vouches that ``context`` holds plain data only (``compute`` builds
    such contexts), so it is not walked to find docxtpl objects.
    """
    template_path = Path(template_path)
    if not template_path.is_file():
        raise UserError(msg("template_missing", path=template_path))
    source, digest, texts, problems = _checked_template(template_path)
    if problems:
        raise UserError(problems)
    env = env or make_env()
    prepared = _prepared(template_path, source, digest) if fast and (plain or _plain(context)) else None
    if prepared is None:
        tpl = _open_template(template_path, source)
    try:
        if prepared is not None:
            return prepared.render(context, env, template_path)  # checked, braces restored
        else:
            tpl.render(context, jinja_env=env, autoescape=True)
    except UserError:  # the fast path's package check
        raise
    except SecurityError as exc:
        raise UserError(msg("template_security", path=template_path, detail=str(exc),
                            where=locate(template_path, _security_needle(exc), texts))) from None
    except UndefinedError as exc:
        name = _undefined_name(exc)
        raise UserError(msg("template_undefined", path=template_path, name=name or str(exc),
                            where=locate(template_path, name, texts))) from None
    except TemplateSyntaxError as exc:
        raise UserError(msg("template_syntax", path=template_path, detail=exc.message or str(exc),
                            where=_syntax_where(exc))) from None
    except TemplateError as exc:
        raise UserError(msg("template_runtime", path=template_path, detail=str(exc), where=msg("where_unknown"))) from None
    except OverflowError as exc:  # the sandbox's range() limit, huge numbers
        raise UserError(msg("template_security", path=template_path, detail=str(exc), where=msg("where_unknown"))) from None
    except (MemoryError, RecursionError) as exc:
        raise UserError(msg("template_too_costly", path=template_path, detail=type(exc).__name__)) from None
    except Exception as exc:  # docxtpl's regex surgery on a misplaced tag, lxml on the result
        raise UserError(msg("template_bad_output", path=template_path, detail=type(exc).__name__ + ": " + str(exc)[:120])) from None
    if prepared is None:
        buf = io.BytesIO()
        tpl.save(buf)
        data = buf.getvalue()
    if check_package(data, template_path):
        data = _restore_braces(data)
    return data


# ---------------------------------------------------------------- fast path
#
# docxtpl parses the whole template package with python-docx on every render,
# re-serialises every part and zips it. The fast path does the template-side
# work once per template content (per process) and, per render, only what
# depends on the context — the same steps, in the same order, with the same
# functions, so the package is byte-identical part by part (tests/test_fast_render.py):
#
# * once: python-docx opens the template; the body and every header/footer are
#   turned into text and patched exactly as docxtpl does (``get_xml`` /
#   ``get_part_xml``, ``patch_xml`` with our vmerge, the ``\n<w:p`` line split);
#   the untouched package is saved once by python-docx, which gives the bytes,
#   names and order of every part the render does not change.
# * per render: each part rendered with the context and post-processed as in
#   ``render_xml_part`` (``{_{`` replacements, ``resolve_listing``); the body
#   parsed with docxtpl's own ``fix_tables`` (recovering parser), docPr ids
#   renumbered, put into the document element and serialised as python-docx
#   does; headers/footers reparsed and serialised as python-docx's ``XmlPart``;
#   core properties rendered through python-docx's ``CoreProperties``.
#
# Contexts holding docxtpl objects (InlineImage, RichText, Subdoc, Listing…)
# and templates with parts the fast path does not render (footnotes, no core
# properties) take docxtpl's own path.

_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_CORE_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")  # as render_properties
_PLAIN_TYPES = (str, int, float, bool, type(None), Decimal, datetime.date, datetime.time, datetime.timedelta)
_LEAVES = frozenset(_PLAIN_TYPES) | {datetime.datetime}
_PREPARED: dict[bytes, "_FastTemplate | None"] = {}  # template sha256 → prepared template (None: use docxtpl)
_WP_DOCPR = f"{{{docx_ns.nsmap['wp']}}}docPr"  # docxtpl: xpath("//wp:docPr"); iter() finds the same, in order, in linear time


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether a context is plain data only (dicts, lists, strings, numbers, dates) — no docxtpl objects."""
    kind = type(value)
    if kind is dict:
        if not _LEAVES.issuperset(map(type, value)):
            return False
        children: Any = value.values()
    elif kind is list or kind is tuple:
        children = value
    else:
        return isinstance(value, _PLAIN_TYPES)
    if _LEAVES.issuperset(map(type, children)):
        return True
    if depth >= 100:  # deeper than any context we build (and no cycles)
        return False
    return all(_plain(child, depth + 1) for child in children if type(child) not in _LEAVES)


_TBL, _TBLGRID, _GRIDCOL, _TR, _TC, _TCPR, _GRIDSPAN, _VAL = (
    f"{{{W_NS}}}{tag}" for tag in ("tbl", "tblGrid", "gridCol", "tr", "tc", "tcPr", "gridSpan", "val"))
# per table, over its rows (``$n``: its grid columns): a gridSpan docxtpl reads whose value is not plain digits;
# a row with more cells than grid columns; a row whose cells (with their spans) fill all grid columns
_ODD_SPAN = etree.XPath("boolean(w:tr/w:tc/w:tcPr[1]/w:gridSpan[1]"
                        "[not(@w:val) or @w:val = '' or translate(@w:val, '0123456789', '') != ''])",
                        namespaces={"w": W_NS})
_ROW_OVER = etree.XPath("boolean(w:tr[count(w:tc) > $n])", namespaces={"w": W_NS})
_ROW_FULL = etree.XPath("boolean(w:tr[count(w:tc[not(w:tcPr[1]/w:gridSpan[1])])"
                        " + sum(w:tc/w:tcPr[1]/w:gridSpan[1]/@w:val) >= $n])", namespaces={"w": W_NS})


def _grid_kept(tree: etree._Element) -> bool:
    """True only if docxtpl's ``fix_tables`` would leave every table's grid as parsed.

    docxtpl widens a grid when a row has more cells than grid columns (``{%tc``
    loops) and narrows it when no row (cells with their ``gridSpan``) fills
    all its columns. Checked per table with the same reading of the XML
    (first ``tblGrid``, direct ``tc`` children, first ``tcPr``/``gridSpan``);
    where the tables are too irregular for that (nested tables, rows not
    directly in a table, odd span values, no grid) the answer is False and
    docxtpl's own function decides.
    """
    rows = 0
    for t in tree.iter(_TBL):
        grid = t.find(_TBLGRID)
        if grid is None or next(t.iterancestors(_TBL), None) is not None or _ODD_SPAN(t):
            return False
        columns = len(grid.findall(_GRIDCOL))
        if _ROW_OVER(t, n=columns) or not _ROW_FULL(t, n=columns):
            return False
        rows += len(t.findall(_TR))
    return rows == sum(1 for _ in tree.iter(_TR))


_BODY_PARSER = etree.XMLParser()  # docxtpl's fix_tables parser options, without ``recover``


def _parse_body(tool: DocxTemplate, xml: str) -> tuple[etree._Element, bool]:
    """docxtpl's ``fix_tables`` (its grid surgery only where it would change something), and whether the
    rendered body was well-formed XML as it stood (strictly parsed).

    On well-formed input lxml's recovering parser (docxtpl's) builds the same
    tree as a strict one, so the strict parse is tried first; only when it fails
    is the body parsed as docxtpl does, and the caller checks the result in full.
    """
    try:
        tree, strict = etree.fromstring(xml, _BODY_PARSER), True
    except etree.XMLSyntaxError:
        tree, strict = etree.fromstring(xml, etree.XMLParser(recover=True)), False  # docxtpl's, one per call
    return (tree if _grid_kept(tree) else DocxTemplate.fix_tables(tool, xml)), strict


def _line_split(xml: str) -> str:
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)  # as render_xml_part, before compiling


class _FastTemplate:
    """One template, prepared once: the docxtpl work that does not depend on the context."""

    def __init__(self, tpl: ReportTemplate, template_path: Path) -> None:
        document = tpl.docx
        package = document.part.package
        self.fallback = any(p.content_type == _FOOTNOTES_CT for p in package.iter_parts())
        core = next((p for p in package.iter_parts() if p.partname == "/docProps/core.xml"
                     and isinstance(p, CorePropertiesPart)), None)
        if core is None or self.fallback:
            self.fallback = True
            return
        self.tool = tpl  # for resolve_listing
        self.body = _line_split(tpl.patch_xml(tpl.get_xml()))
        shell = copy.deepcopy(document.element)
        body = shell.find(f"{{{W_NS}}}body")
        for child in list(body):
            body.remove(child)
        self.shell = etree.tostring(shell)
        self.parts: list[tuple[str, str, str]] = []  # (member name, line-split patched source, encoding)
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                encoding = tpl.get_headers_footers_encoding(xml)
                self.parts.append((part.partname.membername, _line_split(tpl.patch_xml(xml)), encoding))
        self.document = document.part.partname.membername
        names = [name for name, _, _ in self.parts]
        if len(set(names)) < len(names):  # a header/footer shared by sections: docxtpl renders it per reference
            self.fallback = True
            return
        self.core = (core.partname, core.content_type, core.blob)
        buf = io.BytesIO()
        document.save(buf)  # python-docx's own bytes, names and order of the untouched package
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
        self.names = [name for name, _ in members]
        rendered = {self.document, core.partname.membername, *names}
        # the parts no render changes: checked, and compressed, once
        self.static: dict[str, zipout.Member] = {}
        self.static_raw: dict[str, bytes] = {}
        for name, raw in members:
            if name not in rendered:
                _check_part(name, raw, template_path)
                self.static[name] = zipout.Member.deflated(name, raw)
                self.static_raw[name] = raw
        self.static_marks = any(m in raw for name, raw in self.static_raw.items() if _is_xml(name) for m in _MARK_BYTES)

    def _keep(self, name: str, raw: bytes) -> None:
        """Treat a rendered part as static from now on: its source has no tag, so every render gives these bytes.

        (The same for every environment ``make_env`` builds: Jinja passes text
        without ``{`` through, and so does docxtpl's post-processing.)
        """
        self.static[name] = zipout.Member.deflated(name, raw)
        self.static_raw[name] = raw
        self.static_marks = self.static_marks or any(m in raw for m in _MARK_BYTES)

    def _render_part(self, src_xml: str, context: dict[str, Any], env: Any) -> str:
        """docxtpl's ``render_xml_part`` on an already line-split source."""
        try:
            dst_xml = env.from_string(src_xml).render(context)
        except TemplateError as exc:
            if getattr(exc, "lineno", None) is not None:
                line_number = max(exc.lineno - 4, 0)
                exc.docx_context = map(lambda x: re.sub(r"<[^>]+>", "", x),
                                       src_xml.splitlines()[line_number: line_number + 7])
            raise
        dst_xml = dst_xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")  # = re.sub(r"\n<w:p([ >])", …)
        if "{_" in dst_xml or "_}" in dst_xml:  # each of the four literals holds one of these
            dst_xml = dst_xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.tool.resolve_listing(dst_xml)

    def render(self, context: dict[str, Any], env: Any, template_path: Path) -> bytes:
        """The checked package: the rendered parts, each checked as ``check_package`` does, and the static ones."""
        env.autoescape = True  # as DocxTemplate.render(autoescape=True)
        rendered: dict[str, bytes] = {}
        # body: fix_tables (docxtpl's, recovering parse), docPr ids, into the document element
        tree, strict = _parse_body(self.tool, self._render_part(self.body, context, env))
        for index, elt in enumerate(tree.iter(_WP_DOCPR), start=1001):
            elt.attrib["id"] = str(index)
        root = parse_xml(self.shell)
        root.replace(root.find(f"{{{W_NS}}}body"), tree)
        rendered[self.document] = serialize_part_xml(root)
        # a strictly parsed tree serialises to well-formed XML: check that tree, not a re-parse of its bytes
        _check_part(self.document, rendered[self.document], template_path, root if strict else None)
        for name, src_xml, encoding in self.parts:
            if name in self.static:  # a header or footer without tags, rendered before
                continue
            xml = self._render_part(src_xml, context, env).encode(encoding)
            part = parse_xml(xml)  # python-docx's strict parser, as XmlPart.load
            rendered[name] = serialize_part_xml(part)  # then .blob
            _check_part(name, rendered[name], template_path, part)
            if "{" not in src_xml:
                self._keep(name, rendered.pop(name))
        partname, content_type, blob = self.core
        if partname.membername not in self.static:
            core = CorePropertiesPart.load(partname, content_type, blob, None)
            props = core.core_properties
            sources = [getattr(props, prop) for prop in _CORE_PROPERTIES]
            for prop, source in zip(_CORE_PROPERTIES, sources):
                setattr(props, prop, env.from_string(source).render(context))
            rendered[partname.membername] = core.blob
            _check_part(partname.membername, core.blob, template_path)
            if not any("{" in source for source in sources):
                self._keep(partname.membername, rendered.pop(partname.membername))
        parts: dict[str, bytes | zipout.Member] = {}
        if self.static_marks or any(_has_marks(raw) for name, raw in rendered.items() if _is_xml(name)):
            for name in self.names:  # neutralised braces: restore them in every part
                parts[name] = _restore_marks(name, rendered[name] if name in rendered else self.static_raw[name])
        else:
            for name in self.names:
                parts[name] = rendered[name] if name in rendered else self.static[name]
        return zipout.package(parts)


def _open_template(template_path: Path, source: bytes) -> ReportTemplate:
    """A docxtpl template over ``source`` (the template file's bytes), or a UserError if it is not a .docx."""
    try:
        tpl = ReportTemplate(io.BytesIO(source))
        tpl.init_docx()
    except Exception:
        raise UserError(msg("template_not_docx", path=template_path)) from None
    return tpl


def _prepared(template_path: Path, source: bytes, key: bytes) -> "_FastTemplate | None":
    """The prepared template for ``source`` (SHA-256 ``key``; once per content and process), or None for docxtpl's path."""
    if key not in _PREPARED:
        tpl = _open_template(template_path, source)
        try:
            fast: _FastTemplate | None = _FastTemplate(tpl, template_path)
        except Exception:  # docxtpl's own path meets the same trouble and reports it as it always has
            fast = None
        _remember(_PREPARED, key, None if fast is None or fast.fallback else fast, 16)
    return _PREPARED[key]


def _security_needle(exc: SecurityError) -> str | None:
    m = re.search(r"attribute '([^']+)'", str(exc))
    return m.group(1) if m else None


_TEMPLATES: dict[tuple[str, bytes], tuple[list[str], list[str]]] = {}  # (path, sha256) → (texts, lint problems)
_VERIFIED: dict[tuple[str, bytes], None] = {}  # (part name, sha256) of output parts that passed check_package
_NS = {"w": W_NS}
# a cell whose last block is not a paragraph (or that has none); paragraphs whose text has a brace
# (``descendant::`` from the root element: the same nodes as ``//``, without libxml2 building the
# descendant-or-self node set of the whole part first, which grows faster than the part)
_BAD_CELLS = etree.XPath("descendant::w:tc[not((w:p|w:tbl)[last()][self::w:p])]", namespaces=_NS)
_BRACED_PARAGRAPHS = etree.XPath("descendant::w:p[descendant::w:t[contains(., '{') or contains(., '}')]]",
                                 namespaces=_NS)


def _remember(cache: dict, key: Any, value: Any, size: int = 256) -> None:
    while len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _checked_template(template_path: Path) -> tuple[bytes, bytes, list[str], list[str]]:
    """The template's bytes, their SHA-256, paragraph texts and lint problems; read and linted once per content."""
    try:
        data = template_path.read_bytes()
    except OSError:
        raise UserError(msg("template_not_docx", path=template_path)) from None
    digest = hashlib.sha256(data).digest()
    key = (str(template_path), digest)
    hit = _TEMPLATES.get(key)
    if hit is None:
        paragraphs = _read_template(template_path, data)
        hit = ([text for text, _ in paragraphs], lint_template(template_path, paragraphs))
        _remember(_TEMPLATES, key, hit, 16)
    return data, digest, hit[0], hit[1]


def check_package(data: bytes, template_path: Path) -> bool:
    """Strictly parse every XML part; every ``w:tc`` holds and ends with a ``w:p``; no tag left over.

    Returns whether any part holds neutralised braces (see ``OPEN_MARK``). A part
    byte-identical to one that passed before (styles, settings…) is not parsed again.
    """
    marks = False
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not _is_xml(name):
                continue
            raw = zf.read(name)
            marks = marks or any(m in raw for m in _MARK_BYTES)
            key = (name, hashlib.sha256(raw).digest())
            if key not in _VERIFIED:
                _check_part(name, raw, template_path)
                _remember(_VERIFIED, key, None)
    return marks


def _check_part(name: str, raw: bytes, template_path: Path, root: etree._Element | None = None) -> None:
    """``check_package`` for one part: a strict parse of ``raw`` (or ``root``, the tree ``raw`` was serialised from)."""
    if not _is_xml(name):
        return
    if root is None:
        try:
            root = etree.fromstring(raw, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            raise UserError(msg("template_bad_output", path=template_path, detail=f"{name}: {exc}")) from None
    if name.startswith("word/"):
        if _BAD_CELLS(root):
            raise UserError(msg("template_bad_output", path=template_path, detail=msg("detail_cell_no_paragraph")))
        for p in _BRACED_PARAGRAPHS(root) if (b"{" in raw or b"}" in raw) else ():
            text = "".join(t.text or "" for t in p.iter(f"{{{W_NS}}}t"))
            found = _LEFTOVER.search(text)
            if found:
                index = next(i for i, q in enumerate(root.iter(f"{{{W_NS}}}p"), start=1) if q is p)
                raise UserError(msg("template_leftover_tag", path=template_path, tag=found.group(0),
                                    where=_where(index, text)))


def _restore_braces(data: bytes) -> bytes:
    """Turn neutralised braces back into ``{`` and ``}`` in every part of the package."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, _restore_marks(info.filename, src.read(info)))
    return out.getvalue()


_MARK_PREFIX = os.path.commonprefix(list(_MARK_BYTES))  # both marks' UTF-8 bytes start alike: one scan


def _has_marks(raw: bytes) -> bool:
    return _MARK_PREFIX in raw and any(m in raw for m in _MARK_BYTES)


def _is_xml(name: str) -> bool:
    return name.endswith(".xml") or name.endswith(".rels")


def _restore_marks(name: str, raw: bytes) -> bytes:
    """An XML part with its neutralised braces turned back into ``{`` and ``}`` (other parts, e.g. images, as they are)."""
    if _is_xml(name) and any(m in raw for m in _MARK_BYTES):
        raw = raw.replace(_MARK_BYTES[0], b"{").replace(_MARK_BYTES[1], b"}")
    return raw
