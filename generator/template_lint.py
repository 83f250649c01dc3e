"""The template's linter: every tag of every paragraph, walked in order with its scopes.

``lint(paragraphs, env)`` (``Checker``, one per part) finds, each with its place
(part, paragraph, text):

* broken tags: a tag that Jinja cannot parse, one left open at the end of its
  paragraph, a stray closing brace, unbalanced ``for``/``if`` blocks, tags
  docxtpl would turn into a corrupt document (two ``{%p`` in one paragraph, a
  ``{%p`` paragraph that also holds text, ``{%tr``/``{% vmerge %}`` outside a
  table), ``{% include %}``/``{% import %}`` (not allowed), unknown filters,
  sandbox violations (``__class__``, ``_private``);
* ``uses``: every value the template prints or iterates, by name
  (``财务.资产总额``, ``项目[].主管部门`` for an item of a list), with whether an
  ``if`` test or a default (``|缺省``) guards it.

Also here, as the linter sees a template: a ``Paragraph`` (read from the package by
``template.read_paragraphs``), a ``TemplateProblem``, a ``Use``, and Jinja's syntax
messages in the clerk's words (``jinja_zh``). ``template.load_template`` runs it once
per template content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from .messages import msg

TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BRACES = (("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_STRUCTURAL = re.compile(r"^(tr|tc|p|r) ")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_BLOCKS = {"for": "endfor", "if": "endif", "with": "endwith", "macro": "endmacro", "call": "endcall",
           "filter": "endfilter", "block": "endblock", "raw": "endraw", "set": "endset"}
_INCLUDES = {"include", "import", "from", "extends"}
_CELL_TAGS = {"vmerge", "vm", "hm", "colspan", "cellbg"}
_SCOPES = {"for", "macro", "call", "with"}  # blocks whose ``set`` does not leak out
_DEFAULTS = {"缺省", "default", "d"}  # filters that give a blank value a stand-in
_LITERALS = ("{_{", "}_}", "{_%", "%_}")
# filters that write their text into the Word XML unescaped (``|safe``: a template could slip in any markup —
# a field that includes a file, a remote link — past the package clean-up) or as HTML (``|urlize``); the
# environment has none of them (``render.make_env``) and the linter names them
MARKUP_FILTERS = frozenset({"safe", "urlize", "xmlattr"})
DOCXTPL_STRUCTURAL = re.compile(r"\{[%{](tr|tc|p) ")  # what docxtpl's patch_xml looks for, exactly


@dataclass(frozen=True)
class Paragraph:
    part: str  # zip name, e.g. word/document.xml
    index: int  # 1-based, in document order within the part
    text: str
    in_cell: bool
    in_row: bool
    consumed: bool = False  # docxtpl replaces it by its tag: a ``{%p`` paragraph, or in a ``{%tr`` row / ``{%tc`` cell
    cell: int = -1  # the table cell, row and table it is in (numbered in document order; -1: none)
    row: int = -1
    table: int = -1
    # where a Word user finds it: the paragraph's number among those outside tables, or its table (counted in the
    # document), row in that table and column (cell) in that row, all from 1
    seen: tuple[int, ...] = ()

    def where(self) -> str:
        short = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        if len(self.seen) == 3:
            place = msg("where_cell", table=self.seen[0], row=self.seen[1], col=self.seen[2], text=short)
            return place if self.part == "word/document.xml" else part_label(self.part) + place
        index = self.seen[0] if self.seen else self.index
        if self.part == "word/document.xml":
            return msg("where_paragraph", index=index, text=short)
        return msg("tc_where_part", part=part_label(self.part), index=index, text=short)


def part_label(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    for prefix, key in (("header", "tc_part_header"), ("footer", "tc_part_footer"),
                        ("footnotes", "tc_part_footnotes"), ("endnotes", "tc_part_endnotes")):
        if base.startswith(prefix):
            return msg(key, name=base)
    return base


@dataclass(frozen=True)
class TemplateProblem:
    kind: str  # syntax | structure | sandbox | unknown
    where: str
    message: str
    order: tuple[int, int] = field(default=(0, 0), compare=False)  # (part, paragraph): report in document order

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


@dataclass(frozen=True)
class Use:
    """A value the template prints or iterates: its name, where, and whether a test or default guards it."""

    name: str
    where: str
    guarded: bool = False
    may_lack: bool = False  # tested with ``is defined`` (or under such a test): a workbook may lack it



_JINJA_TOKENS = {"name": "jinja_token_name", "end of print statement": "jinja_token_end_print",
                 "end of statement block": "jinja_token_end_block"}


def _token(text: str) -> str:
    key = _JINJA_TOKENS.get(text)
    return msg(key) if key else f"“{text}”"


def jinja_zh(detail: str) -> str:
    """Jinja's syntax message, in the clerk's words where it is one of the common ones."""
    m = re.match(r"expected token '(.+?)', got '(.+?)'", detail)
    if m:
        return msg("jinja_expected", expected=_token(m.group(1)), got=_token(m.group(2)))
    if detail.startswith("unexpected end of template") or detail.startswith("Unexpected end of template"):
        return msg("jinja_incomplete")
    m = re.match(r"Encountered unknown tag '(.+?)'", detail)
    if m:
        return msg("jinja_unknown_tag", name=m.group(1))
    m = re.match(r"unexpected (?:char )?'(.+?)'", detail)
    if m:
        return msg("jinja_unexpected", what=_token(m.group(1)))
    return msg("jinja_other", detail=detail)


def _kind_of_tag(tag: str) -> str:
    """``p``, ``tr`` or ``tc`` for a docxtpl structural tag (``{%p if x %}``), "" for a plain one."""
    m = DOCXTPL_STRUCTURAL.match(tag)
    return m.group(1) if m else ""


def normal_tag(tag: str) -> str:
    """A tag as it reads after docxtpl's patch: no ``p``/``tr``/``tc``/``r`` marker, straight quotes, one space."""
    inner = tag[2:-2].strip("-").translate(_SMART_QUOTES)
    inner = _STRUCTURAL.sub("", inner.lstrip()) if _STRUCTURAL.match(inner) else inner
    return tag[:2] + " ".join(inner.split()) + tag[-2:]


def lint(paragraphs: dict[str, list[Paragraph]], env: Any) -> tuple[list[TemplateProblem], list[Use]]:
    """Every problem of the template's tags, in document order, and every value it uses."""
    problems: list[TemplateProblem] = []
    uses: list[Use] = []
    for order, (name, paras) in enumerate(paragraphs.items()):
        checker = Checker(env, problems, order)
        for para in paras:
            checker.paragraph(para)
        checker.finish()
        uses += checker.uses
    problems.sort(key=lambda p: p.order)  # stable: within a paragraph, in the order found
    return problems, uses


# ---------------------------------------------------------------------------- the checker


@dataclass(frozen=True)
class Sample:
    """What an expression stands for: a name (``项目[]`` for an item of 项目), or "" when not followable."""

    path: str


_NONE = Sample("")


def _chain(node: nodes.Node) -> str:
    """The attribute chain as written: ``unit.name``, ``g.groups[0]``, ``…`` for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_chain(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        arg = node.arg.value
        return f"{_chain(node.node)}.{arg}" if isinstance(arg, str) else f"{_chain(node.node)}[{arg!r}]"
    if isinstance(node, nodes.Filter):
        return f"({_chain(node.node)}|{node.name})" if node.node is not None else "…"
    return "…"


class Checker:
    """Walks the tags of one template part in order, with loop scopes: problems and uses."""

    def __init__(self, env: Any, problems: list[TemplateProblem], part_order: int = 0):
        self.part_order = part_order
        self.env = env
        self.problems = problems
        self.uses: list[Use] = []
        self.frames: list[dict[str, Sample]] = []
        self.top: dict[str, Sample] = {}
        self.blocks: list[tuple[str, Paragraph, str]] = []  # (keyword, paragraph, tag)
        self.tests: list[set[str]] = []  # the names each open ``if`` tests
        self.para: Paragraph | None = None
        self.in_raw = False
        self.guarded = 0  # > 0 inside a test or a defaulted expression
        self.defined: set[str] = set()  # names a template tests with ``is defined``: a workbook may lack them
        self.defining = 0  # > 0 inside such a test

    # ------------------------------------------------------------ reporting
    def problem(self, kind: str, message: str, para: Paragraph | None = None) -> None:
        para = para or self.para
        where = para.where() if para else msg("where_unknown")
        self.problems.append(TemplateProblem(kind, where, message, (self.part_order, para.index if para else 0)))

    def use(self, path: str) -> None:
        if not path or path.startswith(("loop", "…")):
            return
        guarded = self.guarded > 0 or any(path == t or path.startswith(t + ".") or t.startswith(path + ".")
                                          for tests in self.tests for t in tests)
        if self.defining:
            self.defined.add(path)
        may_lack = any(path == t or path.startswith(t + ".") for t in self.defined)
        self.uses.append(Use(path, self.para.where() if self.para else msg("where_unknown"), guarded, may_lack))

    # ------------------------------------------------------------ scopes
    def lookup(self, name: str) -> Sample | None:
        for frame in [*reversed(self.frames), self.top]:
            if name in frame:
                return frame[name]
        if name in self.env.globals or name == "loop":
            return _NONE
        return Sample(name)  # a context name: whether it exists is the unit's business

    def bind(self, target: nodes.Node, sample: Sample, frame: dict[str, Sample]) -> None:
        if isinstance(target, nodes.Name):
            frame[target.name] = sample
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            for item in target.items:
                self.bind(item, _NONE, frame)

    # ------------------------------------------------------------ expressions
    def expr(self, node: nodes.Node | None, record: bool = True) -> Sample:
        """The name ``node`` stands for; names it reads are recorded as uses (when ``record``)."""
        if node is None:
            return _NONE
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                return _NONE
            found = self.lookup(node.name) or _NONE
            if record:
                self.use(found.path)
            return found
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            chain = self._attribute_chain(node)
            if chain is not None:
                if record:
                    self.use(chain.path)
                return chain
            self.expr(node.node, record)
            if isinstance(node, nodes.Getitem):
                self.expr(node.arg, record)
            return _NONE
        if isinstance(node, nodes.Filter):
            return self.filter(node, record)
        if isinstance(node, nodes.Test):
            self.guarded += 1
            defining = node.name in ("defined", "undefined")
            self.defining += defining
            self.expr(node.node, record)
            self.defining -= defining
            self.guarded -= 1
            self.arguments(node, record)
            if node.name not in self.env.tests:
                self.problem("unknown", msg("tc_unknown_test", name=node.name))
            return _NONE
        if isinstance(node, nodes.Call):
            self.expr(node.node, record)
            self.arguments(node, record)
            return _NONE
        if isinstance(node, nodes.CondExpr):
            self.guarded += 1
            self.expr(node.test, record)
            self.guarded -= 1
            first = self.expr(node.expr1, record)
            self.expr(node.expr2, record)
            return first
        if isinstance(node, nodes.Or):
            self.guarded += 1
            self.expr(node.left, record)
            self.guarded -= 1
            self.expr(node.right, record)
            return _NONE
        if isinstance(node, (nodes.And, nodes.Not, nodes.Compare)):
            self.guarded += 1
            for child in node.iter_child_nodes():
                self.expr(child, record)
            self.guarded -= 1
            return _NONE
        for child in node.iter_child_nodes():
            self.expr(child, record)
        return _NONE

    def _attribute_chain(self, node: nodes.Node) -> Sample | None:
        """``a.b["c"].d`` from a followable root: the name it stands for; None when not followable."""
        if isinstance(node, nodes.Name):
            found = self.lookup(node.name)
            return found if found and found.path else None
        if isinstance(node, nodes.Getattr):
            name: str | int = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, (int, str)):
            name = node.arg.value
        else:
            return None
        if isinstance(name, str) and name.startswith("_"):
            self.problem("sandbox", msg("tc_sandbox", name=_chain(node)))
            return _NONE
        base = self._attribute_chain(node.node)
        if base is None or not base.path:
            return base
        return Sample(f"{base.path}.{name}")

    def arguments(self, node: nodes.Node, record: bool = True) -> None:
        for arg in getattr(node, "args", None) or []:
            self.expr(arg, record)
        for kw in getattr(node, "kwargs", None) or []:
            self.expr(kw.value, record)
        self.expr(getattr(node, "dyn_args", None), record)
        self.expr(getattr(node, "dyn_kwargs", None), record)

    def filter(self, node: nodes.Filter, record: bool = True) -> Sample:
        if node.name in MARKUP_FILTERS:
            self.problem("sandbox", msg("tc_markup_filter", name=node.name))
        elif node.name not in self.env.filters:
            self.problem("unknown", msg("tc_unknown_filter", name=node.name, names="、".join(self._our_filters())))
        defaulted = node.name in _DEFAULTS
        if defaulted:
            self.guarded += 1
        base = self.expr(node.node, record)
        if defaulted:
            self.guarded -= 1
        self.arguments(node, record)
        if node.name in ("sort", "reverse", "list", "unique", "selectattr", "rejectattr", "select", "reject"):
            return base
        if node.name in ("first", "last", "random", "min", "max") and base.path:
            return Sample(base.path + "[]")
        if defaulted:
            return base
        return _NONE

    def _our_filters(self) -> list[str]:
        from .formatting import FILTERS

        return [name for name in FILTERS if not name.isascii()]

    # ------------------------------------------------------------ tags
    def paragraph(self, para: Paragraph) -> None:
        self.para = para
        text = para.text
        for literal in _LITERALS:
            text = text.replace(literal, "  ")
        tags = list(TAG.finditer(text))
        self._lexical(text)
        structural = []
        for m in tags:
            tag = m.group(0)
            if tag.startswith("{#"):
                continue
            inner = tag[2:-2]
            if inner.startswith("-"):
                inner = inner[1:]
            if inner.endswith("-"):
                inner = inner[:-1]
            kind = _STRUCTURAL.match(inner)
            if kind and tag.startswith("{{"):
                # docxtpl's {{r …}} / {{p …}} / {{tr …}} / {{tc …}} insert a rich-text object or a sub-document
                # as Word XML; a text in their place lies between runs, where Word shows nothing
                self.problem("structure", msg("tc_markup_tag", tag=tag, kind=kind.group(1)))
                continue
            if kind:
                inner = inner[kind.end():]
                if kind.group(1) != "r":
                    structural.append((kind.group(1), tag))
            inner = inner.translate(_SMART_QUOTES)
            if self.in_raw:
                if tag.startswith("{%") and inner.split()[:1] == ["endraw"]:
                    self.close("endraw", tag)
                continue
            if tag.startswith("{{"):
                self.output(inner, tag)
            else:
                self.statement(inner, tag)
        if len(structural) > 1:
            self.problem("structure", msg("tc_two_structural", tags="、".join(t for _, t in structural)))
        for kind, tag in structural:
            if kind == "p":
                rest = TAG.sub("", text).strip()
                if rest:
                    self.problem("structure", msg("tc_p_with_text", tag=tag, text=rest[:30]))
            elif kind == "tr" and not para.in_row or kind == "tc" and not para.in_cell:
                self.problem("structure", msg("tc_needs_cell", tag=tag))

    def _lexical(self, text: str) -> None:
        """Braces left once the complete tags are taken out: an unclosed tag or a stray closing brace."""
        rest = TAG.sub(lambda m: " " * len(m.group(0)), text)
        for open_, close in _BRACES:
            i = rest.find(open_)
            if i >= 0:
                self.problem("syntax", msg("tc_unclosed_tag", fragment=rest[i:i + 30].rstrip(), close=close))
            j = rest.find(close)
            if j >= 0 and (i < 0 or j < i):
                self.problem("syntax", msg("tc_stray_close", close=close, open=open_))

    def _parse(self, source: str, tag: str) -> nodes.Node | None:
        try:
            body = self.env.parse(source).body
        except TemplateSyntaxError as exc:
            self.problem("syntax", msg("tc_syntax", tag=tag, detail=jinja_zh(exc.message or str(exc))))
            return None
        return body[0] if body else None

    def output(self, inner: str, tag: str) -> None:
        node = self._parse("{{ " + inner + " }}", tag)
        if node is not None:
            for expr in node.nodes:
                self.expr(expr)

    def statement(self, inner: str, tag: str) -> None:
        words = inner.split()
        if not words:
            self.problem("syntax", msg("tc_unknown_tag", tag=tag))
            return
        keyword = words[0]
        if keyword in _INCLUDES:
            self.problem("structure", msg("tc_include", keyword=keyword))
        elif keyword.startswith("end"):
            if len(words) > 1 and keyword not in ("endblock", "endmacro"):
                self.problem("syntax", msg("tc_syntax", tag=tag, detail=msg("tc_end_extra")))
            self.close(keyword, tag)
        elif keyword in ("elif", "else"):
            self.branch(keyword, inner, tag)
        elif keyword == "for":
            self.open_for(inner, tag)
        elif keyword == "if":
            node = self._parse("{% " + inner + " %}{% endif %}", tag)
            tested = self._tested(getattr(node, "test", None))
            self.push("if", tag, {}, tested)
        elif keyword == "set":
            self.set(inner, tag)
        elif keyword == "with":
            node = self._parse("{% " + inner + " %}{% endwith %}", tag)
            frame: dict[str, Sample] = {}
            if node is not None:
                for target, value in zip(node.targets, node.values):
                    self.bind(target, self.expr(value), frame)
            self.push("with", tag, frame)
        elif keyword in ("macro", "call"):
            node = self._parse("{% " + inner + " %}{% end" + keyword + " %}", tag)
            frame = {"caller": _NONE, "varargs": _NONE, "kwargs": _NONE}
            if node is not None:
                for default in getattr(node, "defaults", []):
                    self.expr(default)
                for arg in node.args:
                    frame[arg.name] = _NONE
                if keyword == "macro":
                    self._scope()[node.name] = _NONE
                if keyword == "call":
                    self.expr(node.call)
            self.push(keyword, tag, frame)
        elif keyword == "filter":
            node = self._parse("{% " + inner + " %}{% endfilter %}", tag)
            if node is not None:
                self.filter(node.filter) if node.filter.node is not None else self._filter_name(node.filter)
            self.push("filter", tag, {})
        elif keyword == "block":
            self._parse("{% " + inner + " %}{% endblock %}", tag)
            self.push("block", tag, {})
        elif keyword == "raw":
            self.push("raw", tag, {})
            self.in_raw = True
        elif keyword in _CELL_TAGS:
            self.cell_tag(keyword, inner, tag)
        else:
            self.problem("syntax", msg("tc_unknown_tag", tag=tag))

    def _tested(self, node: nodes.Node | None) -> set[str]:
        """The names an ``if`` test reads (recorded as guarded uses)."""
        before = len(self.uses)
        self.guarded += 1
        self.expr(node)
        self.guarded -= 1
        return {u.name for u in self.uses[before:]}

    def _filter_name(self, node: nodes.Filter) -> None:
        self.arguments(node)
        if node.name in MARKUP_FILTERS:
            self.problem("sandbox", msg("tc_markup_filter", name=node.name))
        elif node.name not in self.env.filters:
            self.problem("unknown", msg("tc_unknown_filter", name=node.name, names="、".join(self._our_filters())))

    def open_for(self, inner: str, tag: str) -> None:
        node = self._parse("{% " + inner + " %}{% endfor %}", tag)
        frame: dict[str, Sample] = {}
        if node is not None:
            source = self.expr(node.iter)
            self.bind(node.target, Sample(source.path + "[]") if source.path else _NONE, frame)
            frame["loop"] = _NONE
            if node.test is not None:
                self.frames.append(frame)
                self._tested(node.test)
                self.frames.pop()
        else:
            frame["loop"] = _NONE
            for name in re.findall(r"for\s+([\w\s,]+?)\s+in\b", inner)[:1]:
                for n in name.split(","):
                    frame[n.strip()] = _NONE
        self.push("for", tag, frame)

    def set(self, inner: str, tag: str) -> None:
        block = "=" not in inner
        node = self._parse("{% " + inner + " %}" + ("{% endset %}" if block else ""), tag)
        if node is not None:
            sample = self.expr(node.node) if isinstance(node, nodes.Assign) else _NONE
            if isinstance(node, nodes.AssignBlock) and node.filter is not None:
                self._filter_name(node.filter)
            self.bind(node.target, sample, self._scope())
        if block:
            self.push("set", tag, {})

    def _scope(self) -> dict[str, Sample]:
        """Where ``set`` and ``macro`` bind: the innermost for/macro/call/with, else the top level (``if`` leaks)."""
        scoping = [i for i, (k, _, _) in enumerate(self.blocks) if k in _SCOPES]
        return self.frames[scoping[-1]] if scoping else self.top

    def branch(self, keyword: str, inner: str, tag: str) -> None:
        top = self.blocks[-1][0] if self.blocks else None
        if top not in ("if", "for") or (keyword == "elif" and top != "if"):
            self.problem("syntax", msg("tc_unexpected_branch", tag=tag))
            return
        if _kind_of_tag(self.blocks[-1][2]) != _kind_of_tag(tag):
            self.problem("structure", msg("tc_mixed_block", open=self.blocks[-1][2], close=tag))
        if keyword == "elif":
            node = self._parse("{% if " + inner.strip()[len("elif"):] + " %}{% endif %}", tag)
            self.tests[-1] |= self._tested(getattr(node, "test", None))
        elif inner.strip() != "else":
            self.problem("syntax", msg("tc_syntax", tag=tag, detail=msg("tc_else_extra")))

    def cell_tag(self, keyword: str, inner: str, tag: str) -> None:
        if not self.para or not self.para.in_cell:
            self.problem("structure", msg("tc_needs_cell", tag=tag))
        rest = inner.split(None, 1)[1] if len(inner.split(None, 1)) > 1 else ""
        if keyword in ("vm", "hm"):
            if not any(kw == "for" for kw, _, _ in self.blocks):
                self.problem("structure", msg("tc_needs_loop", tag=tag))
            if rest.strip():
                self.problem("syntax", msg("tc_syntax", tag=tag, detail=msg("tc_no_argument")))
            return
        if not rest.strip():
            self.problem("syntax", msg("tc_syntax", tag=tag, detail=msg("tc_needs_argument")))
            return
        node = self._parse("{{ " + rest + " }}", tag)
        if node is not None:
            self.guarded += 1
            for expr in node.nodes:
                self.expr(expr)
            self.guarded -= 1

    def push(self, keyword: str, tag: str, frame: dict[str, Sample], tested: set[str] | None = None) -> None:
        self.blocks.append((keyword, self.para, tag))
        self.frames.append(frame)
        self.tests.append(tested or set())

    def close(self, end: str, tag: str) -> None:
        if not self.blocks:
            self.problem("syntax", msg("tc_unexpected_end", tag=tag))
            return
        keyword, para, open_tag = self.blocks[-1]
        if _BLOCKS.get(keyword) != end:
            expected = [i for i, (k, _, _) in enumerate(self.blocks) if _BLOCKS.get(k) == end]
            if not expected:
                self.problem("syntax", msg("tc_unexpected_end", tag=tag))
                return
            # the blocks opened after the matching one were never closed
            for k, p, t in self.blocks[expected[-1] + 1:]:
                self.problem("syntax", msg("tc_unclosed_block", tag=t, end=_BLOCKS[k]), para=p)
            del self.blocks[expected[-1] + 1:]
            del self.frames[expected[-1] + 1:]
            del self.tests[expected[-1] + 1:]
        kind = _kind_of_tag(open_tag)
        if kind != _kind_of_tag(tag):
            self.problem("structure", msg("tc_mixed_block", open=open_tag, close=tag))
        elif para is not None and self.para is not None and para is not self.para:
            # what the block leaves out when false (or repeats) must hold whole cells, rows or tables
            level = {"tr": "table", "tc": "row"}.get(kind, "cell")
            if getattr(para, level) != getattr(self.para, level):
                self.problem("structure", msg("tc_block_across", open=open_tag, close=tag,
                                              where=self.para.where(), what=msg(f"tc_level_{level}")), para=para)
        self.blocks.pop()
        self.frames.pop()
        self.tests.pop()
        if keyword == "raw":
            self.in_raw = False

    def finish(self) -> None:
        for keyword, para, tag in self.blocks:
            self.problem("syntax", msg("tc_unclosed_block", tag=tag, end=_BLOCKS[keyword]), para=para)
        self.blocks.clear()
        self.frames.clear()
        self.tests.clear()

