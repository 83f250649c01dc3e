"""What changed between two workbooks of a unit (``generate compare OLD NEW`` and the web page's versions).

Both workbooks go through the pipeline's own stages in memory — read, validate,
compute, audit, render with the unit's (or the default) template — and the
results are compared, never the xlsx by hand:

- figures: every cell the validator remembered (``data["cells"]``: name → file ›
  sheet › cell) whose typed value differs, with its sheet › cell and label; a table's rows are matched by
  their name (三级指标, 栏目…), so a row put in between changes no other;
- report text: the paragraphs of both rendered reports, matched by difflib:
  added, removed, and changed with the changed words marked ``[-旧-]{+新+}``;
- the audit: findings resolved and new (a finding is its check and its cells);
- 自评分 and 预算执行率, before → after.

A workbook that cannot be read raises the reader's located UserError; one that
reads but does not validate is still compared cell by cell, and says why its
report could not be rendered.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .audit import AuditResult
from .errors import SEP, UserError
from .formats.docx_package import W, main_part, paragraph_text, parse, read_package
from .messages import msg
from .names import lookup
from .pipeline import audit_loaded, load, resolve_template
from .read import read_workbook
from .render import make_env, render
from .rules import Rules
from .template import load_template
from .validate import plain_number, validate

ROW_KEYS = ("三级指标", "项目名称", "栏目", "名称", "类别", "机构名称", "句子")  # what names a table row, in this order
TEXT_SHOWN = 80  # characters of a long text value shown on either side of a figure's change


@dataclass(frozen=True)
class FigureChange:
    sheet: str
    cell: str
    label: str
    old: Any
    new: Any

    def line(self) -> str:
        where = f"{self.sheet}{SEP}{self.cell}"
        if isinstance(self.old, str) and isinstance(self.new, str):  # a text: its changed words marked
            return msg("compare_figure_text", where=where, label=self.label, text=mark_words(self.old, self.new))
        return msg("compare_figure", where=where, label=self.label, old=show(self.old), new=show(self.new))


@dataclass(frozen=True)
class ParagraphChange:
    kind: str  # "added" | "removed" | "changed"
    old_index: int | None  # 1-based paragraph number in the old report
    new_index: int | None
    old: str | None
    new: str | None

    def marked(self) -> str:
        """The paragraph with its changed words marked: [-removed-]{+added+}."""
        if self.kind == "added":
            return self.new or ""
        if self.kind == "removed":
            return self.old or ""
        return mark_words(self.old or "", self.new or "")


@dataclass(frozen=True)
class FindingLine:
    severity: str
    where: str
    message: str


@dataclass
class Side:
    """One workbook as the pipeline sees it."""

    name: str
    # "sheet › label" (a table row by its name, so a row put in between moves no other) → (sheet, cell, label, value)
    figures: dict[str, tuple[str, str, str, Any]] = field(default_factory=dict)

    @property
    def cells(self) -> dict[str, Any]:
        """"sheet › cell" → its value."""
        return {f"{sheet}{SEP}{cell}": value for sheet, cell, _, value in self.figures.values()}
    paragraphs: list[str] | None = None  # the rendered report's paragraphs (None: not rendered)
    problem: str | None = None  # why not (the validator's or renderer's message)
    findings: dict[tuple, FindingLine] | None = None
    score: Any = None
    rate: Any = None


@dataclass
class Comparison:
    old: Side
    new: Side
    figures: list[FigureChange] = field(default_factory=list)
    paragraphs: list[ParagraphChange] = field(default_factory=list)
    resolved: list[FindingLine] = field(default_factory=list)
    added_findings: list[FindingLine] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.figures or self.paragraphs or self.resolved or self.added_findings)

    def cell(self, sheet: str, cell: str) -> FigureChange | None:
        """The change of one cell (``sheet``, ``"B3"``), if it changed."""
        return next((f for f in self.figures if f.sheet == sheet and f.cell == cell), None)

    def lines(self) -> list[str]:
        """The comparison as a clerk reads it (Chinese), figures first."""
        out = [msg("compare_header", old=self.old.name, new=self.new.name)]
        if self.figures:
            out.append(msg("compare_figures", count=len(self.figures)))
            out += [f.line() for f in self.figures]
        else:
            out.append(msg("compare_figures_none"))
        for side in (self.old, self.new):
            if side.problem:
                out.append(msg("compare_not_rendered", name=side.name, why=side.problem))
        if self.old.paragraphs is not None and self.new.paragraphs is not None:
            if self.paragraphs:
                out.append(msg("compare_text", count=len(self.paragraphs)))
                for p in self.paragraphs:
                    number = p.new_index if p.new_index is not None else p.old_index
                    out.append(msg(f"compare_text_{p.kind}", number=number, text=p.marked()))
            else:
                out.append(msg("compare_text_none"))
        if self.old.findings is not None and self.new.findings is not None:
            if self.resolved or self.added_findings:
                out.append(msg("compare_audit", resolved=len(self.resolved), added=len(self.added_findings)))
                out += [msg("compare_finding_resolved", severity=f.severity, where=f.where, message=f.message)
                        for f in self.resolved]
                out += [msg("compare_finding_added", severity=f.severity, where=f.where, message=f.message)
                        for f in self.added_findings]
            else:
                out.append(msg("compare_audit_none"))
        out.append(msg("compare_score", old=show_score(self.old.score), new=show_score(self.new.score)))
        out.append(msg("compare_rate", old=show_rate(self.old.rate), new=show_rate(self.new.rate)))
        return out


# ------------------------------------------------------------------ showing values


def show(value: Any) -> str:
    if value is None:
        return msg("compare_blank")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if len(text) > TEXT_SHOWN:
        text = text[:TEXT_SHOWN] + "…"
    return f"“{text}”" if isinstance(value, str) else text


def show_score(value: Any) -> str:
    if value is None:
        return msg("compare_blank")
    from .formatting import score

    return score(value)


def show_rate(value: Any) -> str:
    if value is None:
        return msg("compare_blank")
    from .formatting import pct

    return pct(value)


# ------------------------------------------------------------------ words


_TOKEN = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)*%?|[A-Za-z]+|\s+|.", re.S)


def tokens(text: str) -> list[str]:
    """Words for a diff of Chinese text: a number (with its decimals and %) or a Latin word is one token, every
    other character one."""
    return _TOKEN.findall(text)


def mark_words(old: str, new: str) -> str:
    """``new`` with what ``old`` had instead marked: ``[-旧-]{+新+}``."""
    a, b = tokens(old), tokens(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(b[j1:j2]) + "+}")
    return "".join(out)


def diff_paragraphs(old: list[str], new: list[str]) -> list[ParagraphChange]:
    """Paragraphs added, removed and changed (a removed and an added paragraph that are alike are one change)."""
    out: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        while olds or news:
            if olds and news:
                i, j = olds[0], news[0]
                ratio = difflib.SequenceMatcher(None, tokens(old[i]), tokens(new[j]), autojunk=False).ratio()
                if ratio >= 0.5:
                    out.append(ParagraphChange("changed", i + 1, j + 1, old[i], new[j]))
                    olds.pop(0)
                    news.pop(0)
                    continue
                if len(olds) >= len(news):
                    out.append(ParagraphChange("removed", i + 1, None, old[i], None))
                    olds.pop(0)
                else:
                    out.append(ParagraphChange("added", None, j + 1, None, new[j]))
                    news.pop(0)
            elif olds:
                i = olds.pop(0)
                out.append(ParagraphChange("removed", i + 1, None, old[i], None))
            else:
                j = news.pop(0)
                out.append(ParagraphChange("added", None, j + 1, None, new[j]))
    return out


def docx_paragraphs(data: bytes) -> list[str]:
    """The report's non-empty paragraphs in reading order (table cells included)."""
    pkg = read_package(data)
    root = parse(pkg.parts[main_part(pkg.parts)], "document")
    texts = (paragraph_text(p).strip() for p in root.iter(W + "p"))
    return [t for t in texts if t]


# ------------------------------------------------------------------ one side


def _label(data: dict[str, Any], name: str) -> str:
    """"财务.资产总额" → "资产总额"; "绩效指标.3.实际完成值" → "开展党建工作：中心组 › 实际完成值"."""
    parts = name.split(".")
    if len(parts) >= 3 and parts[1].isdigit():
        try:
            row = lookup(data, ".".join(parts[:2]))
        except KeyError:
            row = None
        key = next((row[k] for k in ROW_KEYS if isinstance(row, dict) and row.get(k)), None)
        return f"{key}{SEP}{'.'.join(parts[2:])}" if key else msg("compare_row", row=int(parts[1]) + 1,
                                                                      label=".".join(parts[2:]))
    return ".".join(parts[1:]) or name


def _figures(data: dict[str, Any]) -> dict[str, tuple[str, str, str, Any]]:
    out: dict[str, tuple[str, str, str, Any]] = {}
    for name, where in (data.get("cells") or {}).items():
        parts = where.split(SEP)
        if len(parts) < 3 or name.endswith(("_小数位", ".行号")):
            continue
        try:
            value = lookup(data, name)
        except KeyError:
            continue
        if isinstance(value, (dict, list)):
            continue
        label = _label(data, name)
        key, n = f"{parts[-2]}{SEP}{label}", 1
        while key in out:  # rows of the same name (the paragraphs of one 栏目): by their order
            n += 1
            key = f"{parts[-2]}{SEP}{label}#{n}"
        out[key] = (parts[-2], parts[-1], label, value)
    return out


def _finding_key(finding: Any) -> tuple:
    return (finding.id, finding.severity, tuple(SEP.join(c.split(SEP)[1:]) for c in finding.cells))


def _findings(result: AuditResult) -> dict[tuple, FindingLine]:
    out = {}
    for f in result.ordered():
        where = SEP.join(f.cells[0].split(SEP)[1:]) if f.cells else f.sheet
        out[_finding_key(f)] = FindingLine(f.severity, where, f.message)
    return out


def side(workbook: Path, year: int | None, template: Path, env: Any = None, rules: Rules | None = None) -> Side:
    """One workbook through read → validate → compute → audit → render, in memory (read once; scored by ``rules``,
    national if None); the reader's UserError when it is not a workbook."""
    raw = read_workbook(workbook)  # raises for what is not a workbook of the form
    data, _, _ = validate(raw, year)
    s = Side(Path(workbook).name, _figures(data))
    basic = data.get("基本信息") or {}
    year = year if year is not None else basic.get("年度")
    env = env or make_env()
    try:
        loaded = load_template(template, env)
        data, ctx, _ = load(workbook, year, loaded if not loaded.problems else None, rules=rules, raw=raw)
    except UserError as exc:
        s.problem = exc.render()
        return s
    for name, attr in (("自评.总分", "score"), ("预算.执行率", "rate")):
        try:
            setattr(s, attr, lookup(ctx.values, name))
        except KeyError:
            pass
    if isinstance(year, int):
        s.findings = _findings(audit_loaded(workbook, year, data, ctx))
    try:
        s.paragraphs = docx_paragraphs(render(loaded, ctx.values, env).data)
    except UserError as exc:
        s.problem = exc.render()
    return s


def compare_workbooks(old: Path, new: Path, year: int | None = None, templates_dir: Path | None = None, *,
                      unit: str | None = None, old_template: Path | None = None,
                      new_template: Path | None = None, rules: Rules | None = None) -> Comparison:
    """What changed from workbook ``old`` to ``new`` (see the module's text). The report is rendered with
    ``old_template`` / ``new_template`` when given (a version's own), else the unit's template of
    ``templates_dir`` (``templates/`` by default) or the default one; both are scored by ``rules`` (the county's;
    national if None)."""
    templates = Path(templates_dir) if templates_dir is not None else Path("templates")
    env = make_env()
    first = side(Path(old), year, old_template or resolve_template(templates, unit), env, rules)
    second = side(Path(new), year, new_template or resolve_template(templates, unit), env, rules)
    result = Comparison(first, second)
    for key in [*first.figures, *(k for k in second.figures if k not in first.figures)]:
        a, b = first.figures.get(key), second.figures.get(key)
        old_value, new_value = (a[3] if a else None), (b[3] if b else None)
        if old_value != new_value:
            sheet, cell, label, _ = b or a  # where the figure is now (where it was, when it is gone)
            result.figures.append(FigureChange(sheet, cell, label, old_value, new_value))
    if first.paragraphs is not None and second.paragraphs is not None:
        result.paragraphs = diff_paragraphs(first.paragraphs, second.paragraphs)
    if first.findings is not None and second.findings is not None:
        result.resolved = [f for k, f in first.findings.items() if k not in second.findings]
        result.added_findings = [f for k, f in second.findings.items() if k not in first.findings]
    return result

