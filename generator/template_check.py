"""``generate --template-check``: lint a Word template against the example data.

A township edits its own copy of the report template in Word; this tells the
author, before any report is generated, everything that is wrong with it, each
with its place (part, paragraph number and text):

* every unknown variable (``{{ unit.nam }}``, ``{{ d.txt }}`` inside a loop),
  unknown filter or test — not just the first one: each tag of each paragraph
  is parsed on its own and its attribute chains are followed through the
  example context, with the loop variables bound to the items of their lists;
* broken tags: a tag that Jinja cannot parse, one left open at the end of its
  paragraph, a stray closing brace, unbalanced ``for``/``if`` blocks, tags
  docxtpl would turn into a corrupt document (two ``{%p`` in one paragraph, a
  ``{%p`` paragraph that also holds text, ``{%tr``/``{% vmerge %}`` outside a
  table);
* sandbox violations (``__class__``, ``_private`` and the like);
* and, when nothing of that is found, the template is rendered for real with
  the example data through the same code as ``generate`` (sandboxed, strict,
  package checked), so runtime errors are reported too.

It also lists the variables a template may use (from ``generator.fieldref``).
"""

from __future__ import annotations

import difflib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from lxml import etree

from .errors import UserError
from .messages import msg
from .render import ReportTemplate, make_env, render_docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BRACES = (("{{", "}}"), ("{%", "%}"), ("{#", "#}"))
_STRUCTURAL = re.compile(r"^(tr|tc|p|r) ")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_BLOCKS = {"for": "endfor", "if": "endif", "with": "endwith", "macro": "endmacro", "call": "endcall",
           "filter": "endfilter", "block": "endblock", "raw": "endraw", "set": "endset"}
_INCLUDES = {"include", "import", "from", "extends"}
_CELL_TAGS = {"vmerge", "vm", "hm", "colspan", "cellbg"}
_SCOPES = {"for", "macro", "call", "with"}  # blocks whose ``set`` does not leak out
# filters that return their input list (possibly reordered or filtered) / one of its items
_SAME_LIST = {"sort", "reverse", "list", "unique", "selectattr", "rejectattr", "select", "reject"}
_ONE_ITEM = {"first", "last", "random", "min", "max"}
_ATTRIBUTE_ARG = {"selectattr": 0, "rejectattr": 0, "groupby": 0}  # filters naming an item attribute positionally
_ATTRIBUTE_KW = {"map", "sort", "sum", "min", "max", "unique", "groupby"}
_LOOP_KEYS = ("index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "depth",
              "depth0", "previtem", "nextitem", "changed")


class _Unknown:
    """A value the checker cannot know (a method result, arithmetic, an empty list's item…)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Sample:
    """What an expression stands for in the example context, and how to name it."""

    value: Any
    path: str  # e.g. "texts.duties[]" for a loop variable over texts.duties


_UNKNOWN_SAMPLE = Sample(UNKNOWN, "")


@dataclass(frozen=True)
class TemplateProblem:
    kind: str  # unknown | syntax | structure | sandbox | render
    where: str
    message: str
    order: tuple[int, int] = field(default=(0, 0), compare=False)  # (part, paragraph): report in document order

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


@dataclass
class CheckResult:
    template: Path
    problems: list[TemplateProblem] = field(default_factory=list)
    variables: list[tuple[str, str]] = field(default_factory=list)  # (path, meaning)
    filters: list[str] = field(default_factory=list)
    rendered: bool = False  # the real render ran and succeeded

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self, with_variables: bool = True) -> list[str]:
        """The report a person reads, in Chinese."""
        from . import example

        out = [msg("template_chosen", path=self.template),
               msg("tc_header", unit=example.BASIC["unit_name"], year=example.YEAR)]
        if with_variables:
            out.append(msg("tc_variables_header"))
            width = max((len(p) for p, _ in self.variables), default=0)
            out += [f"  {p.ljust(width)}  {m}" for p, m in self.variables]
            out.append(msg("tc_filters_header", names="、".join(self.filters)))
        if self.problems:
            out.append(msg("tc_failed", path=self.template, count=len(self.problems)))
            out += [f"  {p}" for p in self.problems]
        else:
            out.append(msg("tc_ok"))
        return out


# ---------------------------------------------------------------------------- the template's paragraphs


@dataclass(frozen=True)
class Paragraph:
    part: str  # zip name, e.g. word/document.xml
    index: int  # 1-based, in document order within the part (as render.locate counts)
    text: str
    in_cell: bool
    in_row: bool

    def where(self) -> str:
        short = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        if self.part == "word/document.xml":
            return msg("where_paragraph", index=self.index, text=short)
        return msg("tc_where_part", part=_part_label(self.part), index=self.index, text=short)


def _part_label(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    for prefix, key in (("header", "tc_part_header"), ("footer", "tc_part_footer"),
                        ("footnotes", "tc_part_footnotes"), ("endnotes", "tc_part_endnotes")):
        if base.startswith(prefix):
            return msg(key, name=base)
    return base


def _template_parts(names: list[str]) -> list[str]:
    """The parts docxtpl renders: the body, then headers, footers and notes."""
    extra = sorted(n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml", n))
    notes = [n for n in ("word/footnotes.xml", "word/endnotes.xml") if n in names]
    return ["word/document.xml", *extra, *notes]


def read_paragraphs(xml: bytes, part: str) -> list[Paragraph]:
    root = etree.fromstring(xml)
    out = []
    for i, p in enumerate(root.iter(f"{W}p"), start=1):
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        ancestors = {a.tag for a in p.iterancestors()}
        out.append(Paragraph(part, i, text, f"{W}tc" in ancestors, f"{W}tr" in ancestors))
    return out


# ---------------------------------------------------------------------------- the checker


def merge_items(values: list[Any]) -> Any:
    """One item standing for all items of a list: dict keys united, lists joined."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if all(isinstance(v, dict) for v in values):
        keys: dict[str, None] = {}
        for v in values:
            keys.update(dict.fromkeys(v))
        return {k: merge_items([v[k] for v in values if k in v]) for k in keys}
    if all(isinstance(v, list) for v in values):
        return [x for v in values for x in v]
    return values[0]


def _item(sample: Sample) -> Sample:
    """The sample standing for one item of a list sample (UNKNOWN when the example's list is empty)."""
    value = sample.value
    if isinstance(value, (list, tuple)) and value:
        return Sample(merge_items(list(value)), sample.path + "[]")
    return _UNKNOWN_SAMPLE


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
    if isinstance(node, nodes.Const):
        return repr(node.value)
    return "…"


class Checker:
    """Walks the tags of one template part in order, with loop scopes, collecting problems."""

    def __init__(self, ctx: dict[str, Any], env, problems: list[TemplateProblem], part_order: int = 0):
        self.part_order = part_order
        self.ctx = ctx
        self.env = env
        self.problems = problems
        self.frames: list[dict[str, Sample]] = []
        self.top: dict[str, Sample] = {}  # names set at the template's top level
        self.blocks: list[tuple[str, Paragraph, str]] = []  # (keyword, paragraph, tag)
        self.para: Paragraph | None = None
        self.in_raw = False

    # ------------------------------------------------------------ reporting
    def problem(self, kind: str, message: str, para: Paragraph | None = None) -> None:
        para = para or self.para
        where = para.where() if para else msg("where_unknown")
        self.problems.append(TemplateProblem(kind, where, message, (self.part_order, para.index if para else 0)))

    # ------------------------------------------------------------ scopes
    def lookup(self, name: str) -> Sample | None:
        for frame in [*reversed(self.frames), self.top]:
            if name in frame:
                return frame[name]
        if name in self.ctx:
            return Sample(self.ctx[name], name)
        if name in self.env.globals:
            return _UNKNOWN_SAMPLE
        return None

    def bind(self, target: nodes.Node, sample: Sample, frame: dict[str, Sample]) -> None:
        if isinstance(target, nodes.Name):
            frame[target.name] = Sample(sample.value, sample.path or target.name)
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            for item in target.items:
                self.bind(item, _UNKNOWN_SAMPLE, frame)
        # NSRef (namespace attribute) and others bind nothing we can follow

    def visible_names(self) -> list[str]:
        names = list(self.ctx) + list(self.top)
        for frame in self.frames:
            names += list(frame)
        return names

    # ------------------------------------------------------------ expressions
    def expr(self, node: nodes.Node | None) -> Sample:
        if node is None:
            return _UNKNOWN_SAMPLE
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                return _UNKNOWN_SAMPLE
            found = self.lookup(node.name)
            if found is None:
                hint = self._suggest(node.name, self.visible_names(), show_all=False)
                self.problem("unknown", msg("tc_unknown_name", name=node.name, hint=hint))
                return _UNKNOWN_SAMPLE
            return found
        if isinstance(node, nodes.Getattr):
            return self.attribute(self.expr(node.node), node.attr, _chain(node), _chain(node.node))
        if isinstance(node, nodes.Getitem):
            base = self.expr(node.node)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, (int, str)):
                return self.attribute(base, node.arg.value, _chain(node), _chain(node.node))
            self.expr(node.arg)
            return _item(base) if isinstance(base.value, list) else _UNKNOWN_SAMPLE
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Test):
            self.expr(node.node)
            self.arguments(node)
            if node.name not in self.env.tests:
                self.problem("unknown", msg("tc_unknown_test", name=node.name))
            return _UNKNOWN_SAMPLE
        if isinstance(node, nodes.Call):
            self.expr(node.node)
            self.arguments(node)
            return _UNKNOWN_SAMPLE
        if isinstance(node, nodes.Const):
            return Sample(node.value, repr(node.value))
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test)
            first = self.expr(node.expr1)
            second = self.expr(node.expr2)
            return first if first.value is not UNKNOWN else second
        for child in node.iter_child_nodes():
            self.expr(child)
        return _UNKNOWN_SAMPLE

    def arguments(self, node: nodes.Node) -> None:
        for arg in getattr(node, "args", None) or []:
            self.expr(arg)
        for kw in getattr(node, "kwargs", None) or []:
            self.expr(kw.value)
        self.expr(getattr(node, "dyn_args", None))
        self.expr(getattr(node, "dyn_kwargs", None))

    def attribute(self, base: Sample, name: str | int, shown: str, shown_base: str) -> Sample:
        """``base.name``; ``shown`` is the access as written (for messages), ``shown_base`` its left side."""
        if isinstance(name, str) and name.startswith("_"):
            self.problem("sandbox", msg("tc_sandbox", name=shown))
            return _UNKNOWN_SAMPLE
        value = base.value
        if value is UNKNOWN or value is None:
            return _UNKNOWN_SAMPLE
        path = f"{base.path}.{name}"
        if isinstance(value, dict):
            if name in value:
                return Sample(value[name], path)
            if isinstance(name, str) and hasattr(dict, name):
                return _UNKNOWN_SAMPLE  # a dict method such as items()
            self._unknown_attribute(base, name, shown, shown_base, list(value))
            return _UNKNOWN_SAMPLE
        if isinstance(value, (list, tuple)):
            if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
                return _item(base)
            if hasattr(value, name):
                return _UNKNOWN_SAMPLE
            self._unknown_attribute(base, name, shown, shown_base, [])
            return _UNKNOWN_SAMPLE
        if isinstance(name, str) and hasattr(value, name):
            attr = getattr(value, name)
            if not self.env.is_safe_attribute(value, name, attr):
                self.problem("sandbox", msg("tc_sandbox", name=shown))
                return _UNKNOWN_SAMPLE
            return Sample(UNKNOWN if callable(attr) else attr, path)
        if isinstance(value, str) and isinstance(name, int):
            return _UNKNOWN_SAMPLE
        self._unknown_attribute(base, name, shown, shown_base, [])
        return _UNKNOWN_SAMPLE

    def _unknown_attribute(self, base: Sample, name: str | int, shown: str, shown_base: str,
                           keys: list[str]) -> None:
        owner = base.path
        if owner.endswith("[]"):
            owner = (msg("tc_owner_item", var=shown_base, source=owner[:-2]) if shown_base
                     else msg("tc_owner_list_item", source=owner[:-2]))
        hint = self._suggest(str(name), keys, show_all=True) if keys else msg("tc_hint_not_object")
        self.problem("unknown", msg("tc_unknown_attr", name=shown, owner=owner, attr=name, hint=hint))

    @staticmethod
    def _suggest(name: str, candidates: list[str], show_all: bool) -> str:
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        parts = []
        if close:
            parts.append(msg("tc_hint_suggest", suggestion=close[0]))
        if show_all:
            parts.append(msg("tc_hint_available", names="、".join(candidates)))
        elif not close:
            parts.append(msg("tc_hint_fields"))
        return "".join(parts)

    def filter(self, node: nodes.Filter) -> Sample:
        base = self.expr(node.node)
        self.arguments(node)
        if node.name not in self.env.filters:
            self.problem("unknown", msg("tc_unknown_filter", name=node.name, names="、".join(self._our_filters())))
            return _UNKNOWN_SAMPLE
        item = _item(base) if isinstance(base.value, list) else _UNKNOWN_SAMPLE
        attributes = []
        if node.name in _ATTRIBUTE_ARG and len(node.args) > _ATTRIBUTE_ARG[node.name]:
            attributes.append(node.args[_ATTRIBUTE_ARG[node.name]])
        if node.name in _ATTRIBUTE_KW:
            attributes += [kw.value for kw in node.kwargs if kw.key == "attribute"]
        for attr in attributes:
            if isinstance(attr, nodes.Const) and isinstance(attr.value, str) and item.value is not UNKNOWN:
                sample, shown = item, f"{_chain(node.node)}|{node.name}(…'{attr.value}')"
                for part in attr.value.split("."):
                    sample = self.attribute(sample, part, shown, "")
        if node.name in _SAME_LIST:
            return base
        if node.name in _ONE_ITEM:
            return item
        if node.name in ("default", "d"):
            return base
        return _UNKNOWN_SAMPLE

    def _our_filters(self) -> list[str]:
        from .formatting import FILTERS

        return list(FILTERS)

    # ------------------------------------------------------------ tags
    def paragraph(self, para: Paragraph) -> None:
        self.para = para
        text = para.text
        tags = list(_TAG.finditer(text))
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
                rest = _TAG.sub("", text).strip()
                if rest:
                    self.problem("structure", msg("tc_p_with_text", tag=tag, text=rest[:30]))
            elif kind == "tr" and not para.in_row or kind == "tc" and not para.in_cell:
                self.problem("structure", msg("tc_needs_cell", tag=tag))

    def _lexical(self, text: str) -> None:
        """Braces left once the complete tags are taken out: an unclosed tag or a stray closing brace."""
        rest = _TAG.sub(lambda m: " " * len(m.group(0)), text)
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
            self.problem("syntax", msg("tc_syntax", tag=tag, detail=exc.message or str(exc)))
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
            self.expr(getattr(node, "test", None))
            self.push("if", tag, {})
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
            frame = {"caller": _UNKNOWN_SAMPLE, "varargs": _UNKNOWN_SAMPLE, "kwargs": _UNKNOWN_SAMPLE}
            if node is not None:
                for default in getattr(node, "defaults", []):
                    self.expr(default)
                for arg in node.args:
                    frame[arg.name] = _UNKNOWN_SAMPLE
                if keyword == "macro":
                    self._scope()[node.name] = _UNKNOWN_SAMPLE
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

    def _filter_name(self, node: nodes.Filter) -> None:
        self.arguments(node)
        if node.name not in self.env.filters:
            self.problem("unknown", msg("tc_unknown_filter", name=node.name, names="、".join(self._our_filters())))

    def open_for(self, inner: str, tag: str) -> None:
        node = self._parse("{% " + inner + " %}{% endfor %}", tag)
        frame: dict[str, Sample] = {}
        if node is not None:
            source = self.expr(node.iter)
            item = _item(source)
            self.bind(node.target, item, frame)
            length = len(source.value) if isinstance(source.value, (list, tuple)) else UNKNOWN
            loop = {k: UNKNOWN for k in _LOOP_KEYS} | {"index": 1, "index0": 0, "first": True, "length": length}
            frame["loop"] = Sample(loop, "loop")
            if node.test is not None:
                self.frames.append(frame)
                self.expr(node.test)
                self.frames.pop()
        else:
            frame["loop"] = _UNKNOWN_SAMPLE
            for name in re.findall(r"for\s+([\w\s,]+?)\s+in\b", inner)[:1]:
                for n in name.split(","):
                    frame[n.strip()] = _UNKNOWN_SAMPLE
        self.push("for", tag, frame)

    def set(self, inner: str, tag: str) -> None:
        block = "=" not in inner
        node = self._parse("{% " + inner + " %}" + ("{% endset %}" if block else ""), tag)
        if node is not None:
            sample = self.expr(node.node) if isinstance(node, nodes.Assign) else _UNKNOWN_SAMPLE
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
        if keyword == "elif":
            node = self._parse("{% if " + inner[len("elif"):] + " %}{% endif %}", tag)
            self.expr(getattr(node, "test", None))
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
            for expr in node.nodes:
                self.expr(expr)

    def push(self, keyword: str, tag: str, frame: dict[str, Sample]) -> None:
        self.blocks.append((keyword, self.para, tag))
        self.frames.append(frame)

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
        self.blocks.pop()
        self.frames.pop()
        if keyword == "raw":
            self.in_raw = False

    def finish(self) -> None:
        for keyword, para, tag in self.blocks:
            self.problem("syntax", msg("tc_unclosed_block", tag=tag, end=_BLOCKS[keyword]), para=para)
        self.blocks.clear()
        self.frames.clear()


# ---------------------------------------------------------------------------- the whole check


def check_template(template: Path, ctx: dict[str, Any] | None = None) -> CheckResult:
    """Check ``template`` against ``ctx`` (default: the example's context); never raises for template faults."""
    from . import example, fieldref
    from .formatting import FILTERS

    template = Path(template)
    if not template.is_file():
        raise UserError(msg("template_missing", path=template))
    ctx = example.context() if ctx is None else ctx
    env = make_env()
    result = CheckResult(template=template, variables=fieldref.variable_list(ctx), filters=list(FILTERS))
    problems = result.problems
    try:
        with zipfile.ZipFile(template) as zf:
            names = zf.namelist()
            parts = {name: zf.read(name) for name in _template_parts(names) if name in names}
        if "word/document.xml" not in parts:
            raise KeyError("word/document.xml")
        paragraphs = {name: read_paragraphs(xml, name) for name, xml in parts.items()}
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError):
        raise UserError(msg("template_not_docx", path=template)) from None

    for order, (name, paras) in enumerate(paragraphs.items()):
        checker = Checker(ctx, env, problems, order)
        for para in paras:
            checker.paragraph(para)
        checker.finish()
    problems.sort(key=lambda p: p.order)  # stable: within a paragraph, in the order found
    if problems:
        return result

    # What the per-tag walk may not see: Jinja on the whole part, as docxtpl patches it.
    for name, xml in parts.items():
        try:
            source = ReportTemplate(str(template)).patch_xml(xml.decode("utf-8"))
            env.parse(source)
        except TemplateSyntaxError as exc:
            problems.append(TemplateProblem("syntax", _part_label(name) if name != "word/document.xml"
                                            else msg("where_unknown"), msg("tc_whole", detail=exc.message or str(exc))))
    if problems:
        return result

    # Finally render it for real, exactly as ``generate`` does.
    try:
        render_docx(template, ctx, env)
        result.rendered = True
    except UserError as exc:
        problems.append(TemplateProblem("render", msg("tc_where_render"), exc.render()))
    except Exception as exc:  # noqa: BLE001 — a template fault the renderer does not name: report, don't crash
        problems.append(TemplateProblem("render", msg("tc_where_render"),
                                        msg("template_runtime", path=template, detail=f"{type(exc).__name__}: {exc}",
                                            where=msg("where_unknown"))))
    return result


def run(templates_dir: Path, unit: str | None = None, path: str | Path | None = None) -> CheckResult:
    """``generate --year YEAR --template-check [PATH]``: check PATH, or the template the unit would use."""
    from .pipeline import resolve_template

    template = Path(path) if path else resolve_template(Path(templates_dir), unit)
    return check_template(template)

