"""The three attachment tables (附件1–3) as an Excel workbook, and their official layout.

``FORMS`` describes each table once: its column grid, its rows, which cells
span columns (``span``) or merge down (``vmerge``), and what each cell shows:
a text (Jinja, rendered with the report's sandboxed environment) or a value
(a context expression shown with a number kind). Two builders read it:

* ``tools/template_attachments.py`` writes it into the Word template as
  docxtpl tags (``{{ budget.initial|wan }}``, ``{%tr for %}``, ``{% vmerge %}``);
* ``tables_workbook`` below evaluates it against the same compute context and
  writes an .xlsx with the same merges, thin borders and number formats.

So the Excel tables and the report's tables show the same figures from the same
context entries, and a form changes in one place.

Each form is a *lead* part (rows above the column-header row) and a *main*
part whose first row is the column header repeated on every page. In Word the
two parts are two tables joined by a hairline paragraph, because Word repeats
only header rows at the top of a table; in Excel they are one block of rows.

附件3 is one form per project: in Word one table per project, in Excel one sheet
per project (``附件3-1``, ``附件3-2``…). The national form is per project, each
sheet then prints as its own form, and sheet names stay short and valid
whatever the project is called.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from jinja2 import Undefined

from . import formatting as fmt
from .render import make_env

# ------------------------------------------------------------------------ layout description


@dataclass(frozen=True)
class C:
    """One table cell.

    text:   literal text or Jinja text; ``\\n`` is a line break inside the cell.
    expr:   a context expression giving a number (kind ``wan``, ``pct``…); None shows blank when ``optional``.
    kind:   head | label | text | left | wan | yuan_wan | pct | score | number | count
    span:   grid columns covered (``w:gridSpan`` / horizontal merge).
    vmerge: "restart", "continue", or a Jinja expression (true → restart, false → continue).
    mark:   a Jinja expression; when true the value is marked as entered by hand (手工评分).
    long:   free text that may run long: its row may break across pages (other rows never do).
    """

    text: str = ""
    expr: str | None = None
    kind: str = "text"
    span: int = 1
    vmerge: str | None = None
    optional: bool = False
    mark: str | None = None
    long: bool = False


@dataclass(frozen=True)
class Loop:
    """Rows repeated for each item of ``iterable`` (``{%tr for var in iterable %}``)."""

    var: str
    iterable: str
    rows: tuple[tuple[C, ...], ...]


@dataclass(frozen=True)
class Form:
    key: str
    marker: str                  # "附件1"
    sheet: str                   # Excel sheet name (附件3: prefix of one sheet per project)
    titles: tuple[str, ...]      # title lines (Jinja)
    unit_line: tuple[str, str] | None  # (left, right) of the line above the table, or None
    widths: tuple[float, ...]    # column grid in cm
    lead: tuple[Any, ...]        # rows (tuple of C) or Loop
    main: tuple[Any, ...]        # first row is the repeated column header
    notes: tuple[str, ...] = ()  # paragraphs under the table (Jinja)
    landscape: bool = False
    each: tuple[str, str] | None = None  # (var, iterable): one table per item
    empty_note: str = ""         # shown when ``each`` has no items


FILTER_OF = {"wan": "wan", "yuan_wan": "yuan_to_wan", "pct": "pct", "score": "score", "number": "number",
             "count": "count"}
NUMBER_FORMAT = {"wan": "0.00", "yuan_wan": "0.00", "pct": "0.00%", "score": "0.00", "number": "General",
                 "count": "0"}
MANUAL_MARK = "手工评分"

H = lambda text, span=1, **kw: C(text, kind="head", span=span, **kw)  # noqa: E731
L = lambda text, span=1, **kw: C(text, kind="left", span=span, **kw)  # noqa: E731
W2 = lambda expr, **kw: C(expr=expr, kind="wan", span=2, **kw)  # noqa: E731
Y2 = lambda expr: C(expr=expr, kind="yuan_wan", span=2)  # noqa: E731


def _period_rows(label: str, base: str) -> tuple[C, ...]:
    return (L(label),) + tuple(W2(f"{base}.{k}") for k in ("prev_actual", "budget", "actual"))


def _sangong(label: str, item: str) -> tuple[C, ...]:
    return (L(label),) + tuple(Y2(f"sangong.{k}.{item}") for k in ("prev_actual", "budget", "actual"))


BASE_DATA = Form(
    key="base_data",
    marker="附件1",
    sheet="附件1 基础数据表",
    titles=("{{ year }}年度部门整体支出绩效评价基础数据表",),
    unit_line=("填报单位：{{ unit.name }}", "单位：万元"),
    widths=(5.4, 1.7, 1.7, 1.7, 1.7, 1.7, 1.7),
    lead=(
        (H("财政供养人员情况（人）", vmerge="restart"), H("编制数", 2), H("{{ year }}年实际在职人数", 2),
         H("控制率", 2)),
        (H("", vmerge="continue"), C(expr="staff.total.established", kind="count", span=2),
         C(expr="staff.total.actual", kind="count", span=2), C(expr="staff.control_rate", kind="pct", span=2)),
    ),
    main=(
        (H("经费控制情况（万元）"), H("{{ prev_year }}年决算数", 2), H("{{ year }}年预算数", 2),
         H("{{ year }}年决算数", 2)),
        _sangong("三公经费：", "total"),
        _sangong("1、公务用车购置和维护经费", "vehicle"),
        _sangong("其中：公车购置", "vehicle_purchase"),
        _sangong("　　　公车运行维护", "vehicle_running"),
        _sangong("2、出国经费", "abroad"),
        _sangong("3、公务接待", "reception"),
        (L("项目支出："), W2("finance.exp_project_prev", optional=True), W2("finance.exp_budget_project"),
         W2("finance.exp_project")),
        Loop("p", "projects", (
            (L("{{ loop.index }}、{{ p.name }}"), W2("p.prev_actual"), W2("p.funds.total.initial"),
             W2("p.funds.total.exec")),
        )),
        _period_rows("公用经费", "base_data.public"),
        _period_rows("其中：办公经费", "base_data.office"),
        _period_rows("　　　水费、电费、差旅费", "base_data.utilities"),
        _period_rows("　　　会议费、培训费", "base_data.meetings"),
        _period_rows("政府采购金额", "base_data.procurement"),
        (L("部门整体支出预算调整"), C(span=2), C(span=2), W2("budget.adjustment")),
        (H("楼堂馆所控制情况（{{ year }}年完工项目）", vmerge="restart"), H("批复规模（㎡）"), H("实际规模（㎡）"),
         H("规模控制率"), H("预算投资（万元）"), H("实际投资（万元）"), H("投资概算控制率")),
        (H("", vmerge="continue"),
         C(expr="other.building_approved_area", kind="wan", optional=True),
         C(expr="other.building_actual_area", kind="wan", optional=True),
         C(expr="other.area_control_rate if other.building_approved_area else none", kind="pct", optional=True),
         C(expr="other.building_budget", kind="wan", optional=True),
         C(expr="other.building_actual_invest", kind="wan", optional=True),
         C(expr="other.invest_control_rate if other.building_budget else none", kind="pct", optional=True)),
        (H("厉行节约保障措施"), L("{{ other.frugality or '' }}", 6)),
    ),
    notes=("说明：“项目支出”填列除基本支出以外的全部项目支出，每个专项一行；“公用经费”填列基本支出中的"
           "一般商品和服务支出，“其中”各行为选列项目，不等于公用经费合计。",),
)

# 附件2 and 附件3 share the national grid: label | 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因
SCORE_GRID = (2.0, 2.1, 2.2, 4.0, 2.4, 2.4, 1.2, 2.0, 4.2)  # 22.5 cm: landscape A4 text width


def _indicator_part(label: str, ind: str, weight: str, total: str) -> tuple[Any, ...]:
    return (
        (H(label, vmerge="restart"), H("一级指标"), H("二级指标"), H("三级指标"), H("年度指标值"), H("实际完成值"),
         H("分值"), H("得分"), H("偏差原因分析及改进措施")),
        Loop("r", f"{ind}.rows", (
            (H("", vmerge="continue"), C("{{ r.level1 }}", vmerge="r.l1_first"),
             C("{{ r.level2 }}", vmerge="r.l2_first"), L("{{ r.name }}"), C("{{ r.target_text }}"),
             C("{{ r.actual_text }}"), C(expr="r.weight", kind="number"),
             C(expr="r.score", kind="score", mark="r.score_entered"), L("{{ r.reason }}")),
        )),
        (H("总分", 6), C(expr=weight, kind="number"), C(expr=total, kind="score"), C()),
    )


def _goal_rows(goal: str, achieved: str) -> tuple[tuple[C, ...], ...]:
    return (
        (H("年度总体目标", vmerge="restart"), H("预期目标", 4), H("实际完成情况", 4)),
        (H("", vmerge="continue"), L(goal, 4, long=True), L(achieved, 4, long=True)),
    )


def _money_header(score_label: str) -> tuple[C, ...]:
    return (H("", 2), H("年初预算数"), H("全年预算数"), H("全年执行数"), H("分值"), H("执行率"), H(score_label))


SELF_EVALUATION = Form(
    key="self_evaluation",
    marker="附件2",
    sheet="附件2 整体自评表",
    titles=("{{ year }}年度部门整体支出绩效自评表",),
    unit_line=("填报单位：{{ unit.name }}", "单位：万元"),
    widths=SCORE_GRID,
    landscape=True,
    lead=(
        (H("预算部门、单位名称", 1), L("{{ unit.name }}", 8)),
        (H("年度预算申请（万元）", vmerge="restart"),) + _money_header("自评得分"),
        (H("", vmerge="continue"), C("年度资金总额", span=2), C(expr="budget.initial", kind="wan"),
         C(expr="budget.full_year", kind="wan"), C(expr="budget.executed", kind="wan"),
         C(expr="budget.weight", kind="number"), C(expr="budget.execution_rate", kind="pct"),
         C(expr="budget.score", kind="score")),
        (H("", vmerge="continue"), L("按收入性质分：{{ budget.by_income_total|wan }}", 4),
         L("按支出性质分：{{ budget.by_expense_total|wan }}", 4)),
    ) + tuple(
        (H("", vmerge="continue"),
         L(("其中：" if i == 0 else "") + f"{{{{ budget.by_income[{i}].name }}}}：{{{{ budget.by_income[{i}].amount|wan }}}}", 4),
         L(("其中：" if i == 0 else "") + f"{{{{ budget.by_expense[{i}].name }}}}：{{{{ budget.by_expense[{i}].amount|wan }}}}"
           if i < 2 else "", 4))
        for i in range(5)
    ) + _goal_rows("{% for g in texts.goals %}{{ loop.index }}.{{ g.text }}{% if not loop.last %}\n{% endif %}{% endfor %}",
                   "{{ text.goals_achieved }}"),
    main=_indicator_part("年度绩效指标", "indicators", "score.weight_total", "score.total"),
    notes=("注：预算执行率得分＝分值×执行率，最高不超过分值；定量指标按完成值与指标值之比计分，最高不超过该指标分值；"
           "定性指标按评价等级计分。得分下注明“" + MANUAL_MARK + "”的，为填报单位手工填写的得分。总分即报告正文中的自评分。",),
)

PROJECT = Form(
    key="project",
    marker="附件3",
    sheet="附件3",
    titles=("项目支出绩效自评表", "（{{ year }}年度）"),
    unit_line=None,
    widths=SCORE_GRID,
    landscape=True,
    each=("p", "projects"),
    empty_note="本单位本年度没有项目支出，无项目支出绩效自评表。",
    lead=(
        (H("项目名称"), L("{{ p.name }}", 8)),
        (H("主管部门"), L("{{ p.department }}", 4), H("实施单位"), L("{{ p.implementer }}", 3)),
        (H("项目资金（万元）", vmerge="restart"),) + _money_header("得分"),
        (H("", vmerge="continue"), L("年度资金总额", 2), C(expr="p.funds.total.initial", kind="wan"),
         C(expr="p.funds.total.full", kind="wan"), C(expr="p.funds.total.exec", kind="wan"),
         C(expr="p.funds.total.weight", kind="number"), C(expr="p.funds.total.rate", kind="pct"),
         C(expr="p.funds.total.score", kind="score")),
    ) + tuple(
        (H("", vmerge="continue"), L(label, 2), C(expr=f"p.funds.{src}.initial", kind="wan"),
         C(expr=f"p.funds.{src}.full", kind="wan"), C(expr=f"p.funds.{src}.exec", kind="wan"), C("—"), C(), C("—"))
        for label, src in (("其中：当年财政拨款", "fiscal"), ("　　　上年结转资金", "carry"), ("　　　其他资金", "other"))
    ) + _goal_rows("{{ p.goal }}", "{{ p.achieved }}"),
    main=_indicator_part("绩效指标", "p.indicators", "p.weight", "p.score"),
    notes=("注：一级指标分值原则上为产出指标50分、效益指标30分、服务对象满意度指标10分、预算执行率10分，"
           "特殊情况可适当调整。得分下注明“" + MANUAL_MARK + "”的，为填报单位手工填写的得分。",),
)

FORMS = (BASE_DATA, SELF_EVALUATION, PROJECT)


def rows_of(part: tuple[Any, ...]) -> list[tuple[C, ...]]:
    """The rows of a part with loops unrolled once (for checks of the grid)."""
    out: list[tuple[C, ...]] = []
    for row in part:
        out += list(row.rows) if isinstance(row, Loop) else [row]
    return out


def check_forms() -> None:
    """Every row of every form covers its grid exactly (a programming error otherwise)."""
    for form in FORMS:
        for row in rows_of(form.lead) + rows_of(form.main):
            width = sum(c.span for c in row)
            if width != len(form.widths):
                raise AssertionError(f"{form.key}: row {[c.text for c in row]} covers {width} of {len(form.widths)}")


check_forms()

# ------------------------------------------------------------------------ Excel writer
#
# The workbook is written as SpreadsheetML directly: a handful of fixed styles,
# values, merges, row heights, column widths and print setup is all these forms
# need, and building the XML text costs a few milliseconds where openpyxl's
# object model (which re-validates and re-hashes styles on every assignment and
# re-borders every merged range) cost more than the rest of a report together.
# The output is read back with openpyxl in tests/test_attachments.py.

CM_TO_CHARS = 4.6  # Excel column width units per cm (default font)
CHARS_PER_CM = 2.6  # 五号 CJK characters per cm of cell, margins allowed for
LINE_PT = 14

# fonts as (name, size, bold)
TABLE_FONT = ("仿宋_GB2312", 10.5, False)
HEAD_FONT = ("仿宋_GB2312", 10.5, True)
MARKER_FONT = ("黑体", 16, False)
TITLE_FONT = ("方正小标宋简体", 18, False)
NOTE_FONT = ("仿宋_GB2312", 12, False)


@dataclass
class _Placed:
    row: int
    col: int
    span: int
    cell: C
    value: Any
    text: str
    vstate: str | None  # restart / continue / None
    marked: bool = False


class _Evaluator:
    """Jinja for the cells' texts and expressions: the report's sandbox, filters and StrictUndefined.

    Unlike the Word template, an Excel cell holds plain text: no HTML escaping
    (``&`` stays ``&``) and no brace neutralising. One per process: each text
    and expression of ``FORMS`` is compiled once and reused for every unit.

    Most cells show a plain dotted name (``r.level1``, ``{{ p.name }}``); those
    are looked up through the environment's own (sandboxed) ``getattr``, as
    the compiled expression would, without building a Jinja context per cell.
    A name not in the scope takes the full Jinja path (and its error).
    """

    def __init__(self) -> None:
        self.env = make_env()
        self.env.autoescape = False
        self.env.finalize = None
        self._text: dict[str, Any] = {}
        self._expr: dict[str, Any] = {}

    def text(self, source: str, scope: dict[str, Any]) -> str:
        if "{" not in source:
            return source
        fn = self._text.get(source)
        if fn is None:
            m = _TEXT_PATH.match(source)
            path = self._path(m.group(1)) if m else None
            if path is not None:
                fn = ("path", path, self.env.from_string(source))
            else:
                fn = ("jinja", None, self.env.from_string(source))
            self._text[source] = fn
        how, path, tpl = fn
        if how == "path":
            value = path(scope)
            if value is not _MISSING:
                return str(value)
        return str(tpl.render(scope))

    def expr(self, source: str, scope: dict[str, Any]) -> Any:
        fn = self._expr.get(source)
        if fn is None:
            fn = self._expr[source] = (self._path(source), self.env.compile_expression(source))
        path, compiled = fn
        if path is not None:
            value = path(scope)
            if value is not _MISSING:
                return None if isinstance(value, Undefined) else value  # as compile_expression's undefined_to_none
        return compiled(**scope)

    def _path(self, source: str) -> Any:
        """A lookup function for a plain dotted name (``a.b.c``), or None for any other expression."""
        source = source.strip()
        if not _DOTTED.match(source):
            return None
        root, *attrs = source.split(".")
        if root in _LITERAL_NAMES:
            return None
        getattr_ = self.env.getattr

        def lookup(scope: dict[str, Any]) -> Any:
            obj = scope.get(root, _MISSING)
            if obj is _MISSING:
                return _MISSING
            for attr in attrs:
                obj = getattr_(obj, attr)
            return obj

        return lookup


_MISSING = object()
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_TEXT_PATH = re.compile(r"\{\{ *([A-Za-z_][A-Za-z0-9_.]*) *\}\}\Z")
_LITERAL_NAMES = {"true", "false", "none", "True", "False", "None"}


_EVALUATOR: _Evaluator | None = None


def _evaluator() -> _Evaluator:
    global _EVALUATOR
    if _EVALUATOR is None:
        _EVALUATOR = _Evaluator()
    return _EVALUATOR


def _excel_value(value: Any, kind: str) -> Any:
    """The figure exactly as the report prints it (Decimal, half-up), as an Excel number."""
    if value is None:
        return None
    places = {"wan": 2, "yuan_wan": 2, "score": 2, "pct": 4, "count": 0, "number": 2}[kind]
    d = fmt.to_decimal(value)
    if kind == "yuan_wan":
        d = d / 10000
    d = fmt.round_half_up(d, places)
    if kind in ("count",) or (kind == "number" and d == d.to_integral_value()):
        return int(d)
    return float(d)


def _lay_rows(ev: _Evaluator, part: tuple[Any, ...], scope: dict[str, Any], out: list[list[_Placed]]) -> None:
    for row in part:
        if isinstance(row, Loop):
            items = list(ev.expr(row.iterable, scope))
            for i, item in enumerate(items):
                loop = {"index": i + 1, "index0": i, "first": i == 0, "last": i == len(items) - 1,
                        "length": len(items)}
                inner = {**scope, row.var: item, "loop": loop}
                _lay_rows(ev, row.rows, inner, out)
            continue
        placed, col = [], 1
        for c in row:
            vstate = c.vmerge
            if vstate not in (None, "restart", "continue"):
                vstate = "restart" if ev.expr(vstate, scope) else "continue"
            value, text = None, ""
            if c.expr is not None:
                value = _excel_value(ev.expr(c.expr, scope), c.kind)
            elif vstate != "continue":
                text = ev.text(c.text, scope)
            marked = bool(c.mark and ev.expr(c.mark, scope))
            placed.append(_Placed(len(out), col, c.span, c, value, text, vstate, marked))
            col += c.span
        out.append(placed)


class _Styles:
    """The workbook's fonts, number formats and cell formats (``xf``), each registered once."""

    def __init__(self) -> None:
        self.fonts: list[tuple[str, float, bool]] = [("Calibri", 11, False)]
        self.num_fmts: dict[str, int] = {}
        self.xfs: list[tuple[int, int, bool, tuple[str, str, bool] | None]] = [(0, 0, False, None)]
        self.keys: list[tuple] = [(self.fonts[0], False, None, "General")]  # per xf: (font, border, align, format)
        self._xf_ids: dict[tuple, int] = {}

    def xf(self, font: tuple[str, float, bool], border: bool = False, align: tuple[str, str, bool] | None = None,
           number_format: str = "General") -> int:
        """Index of the cell format; ``align`` is (horizontal, vertical, wrap), empty strings for unset."""
        key = (font, border, align, number_format)
        found = self._xf_ids.get(key)
        if found is not None:
            return found
        if font not in self.fonts:
            self.fonts.append(font)
        fmt_id = _BUILTIN_FORMATS.get(number_format)
        if fmt_id is None:
            fmt_id = self.num_fmts.setdefault(number_format, 164 + len(self.num_fmts))
        self.xfs.append((self.fonts.index(font), fmt_id, border, align))
        self.keys.append(key)
        self._xf_ids[key] = len(self.xfs) - 1
        return len(self.xfs) - 1

    def xml(self) -> str:
        out = [_XML_HEAD, f'<styleSheet xmlns="{_SSML}">']
        if self.num_fmts:
            out.append(f'<numFmts count="{len(self.num_fmts)}">')
            out += [f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in self.num_fmts.items()]
            out.append("</numFmts>")
        out.append(f'<fonts count="{len(self.fonts)}">')
        for name, size, bold in self.fonts:
            out.append(f'<font>{"<b/>" if bold else ""}<sz val="{size:g}"/><name val="{_attr(name)}"/></font>')
        out.append('</fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
                   '<fill><patternFill patternType="gray125"/></fill></fills>'
                   '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border>'
                   + "".join(f'<{side} style="thin"><color rgb="FF000000"/></{side}>'
                             for side in ("left", "right", "top", "bottom"))
                   + '<diagonal/></border></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>')
        out.append(f'<cellXfs count="{len(self.xfs)}">')
        for font_id, fmt_id, border, align in self.xfs:
            attrs = f'numFmtId="{fmt_id}" fontId="{font_id}" fillId="0" borderId="{1 if border else 0}" xfId="0"'
            attrs += ' applyFont="1"' if font_id else ""
            attrs += ' applyNumberFormat="1"' if fmt_id else ""
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


_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "0.00%": 10}


class _Sheet:
    """One worksheet being laid out: cells by row and column, merges, row heights and print setup."""

    def __init__(self, title: str, styles: _Styles) -> None:
        self.title = title
        self.styles = styles
        self.rows: dict[int, dict[int, tuple[Any, int]]] = {}  # row → column → (value, xf)
        self.heights: dict[int, float] = {}
        self.widths: tuple[float, ...] = ()
        self.merges: list[tuple[int, int, int, int]] = []
        self.landscape = False
        self.print_titles: int | None = None  # the row repeated on every printed page
        self.print_area: tuple[int, int] | None = None  # (last column, last row)

    def put(self, row: int, col: int, value: Any, xf: int) -> None:
        self.rows.setdefault(row, {})[col] = (value, xf)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.merges.append((r1, c1, r2, c2))

    def xml(self, strings: dict[str, int]) -> str:
        out = [_XML_HEAD, f'<worksheet xmlns="{_SSML}">']
        if self.print_area:
            out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
        last_row = max(self.rows, default=1)
        last_col = max((max(cols) for cols in self.rows.values() if cols), default=1)
        out.append(f'<dimension ref="A1:{_ref(last_row, last_col)}"/>'
                   '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
        if self.widths:
            out.append("<cols>")
            out += [f'<col min="{j}" max="{j}" width="{round(w * CM_TO_CHARS, 1):g}" customWidth="1"/>'
                    for j, w in enumerate(self.widths, start=1)]
            out.append("</cols>")
        out.append("<sheetData>")
        for r in sorted(set(self.rows) | set(self.heights)):
            height = self.heights.get(r)
            out.append(f'<row r="{r}" ht="{height:g}" customHeight="1">' if height is not None else f'<row r="{r}">')
            cols = self.rows.get(r, {})
            for c in sorted(cols):
                value, xf = cols[c]
                style = f' s="{xf}"' if xf else ""
                if value is None:
                    out.append(f'<c r="{_ref(r, c)}"{style}/>')
                elif isinstance(value, str):
                    index = strings.setdefault(value, len(strings))
                    out.append(f'<c r="{_ref(r, c)}"{style} t="s"><v>{index}</v></c>')
                else:
                    out.append(f'<c r="{_ref(r, c)}"{style}><v>{value!r}</v></c>')
            out.append("</row>")
        out.append("</sheetData>")
        if self.merges:
            out.append(f'<mergeCells count="{len(self.merges)}">')
            out += [f'<mergeCell ref="{_ref(r1, c1)}:{_ref(r2, c2)}"/>' for r1, c1, r2, c2 in self.merges]
            out.append("</mergeCells>")
        if self.print_area:
            out.append('<printOptions horizontalCentered="1"/>'
                       '<pageMargins left="0.6" right="0.6" top="0.8" bottom="0.8" header="0.5" footer="0.5"/>'
                       f'<pageSetup paperSize="9" orientation="{"landscape" if self.landscape else "portrait"}"'
                       ' fitToWidth="1" fitToHeight="0"/>')
        out.append("</worksheet>")
        return "".join(out)

    def defined_names(self, index: int) -> list[str]:
        quoted = "'" + self.title.replace("'", "''") + "'"
        out = []
        if self.print_titles:
            out.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                       f"{_text(quoted)}!${self.print_titles}:${self.print_titles}</definedName>")
        if self.print_area:
            col, row = self.print_area
            out.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
                       f"{_text(quoted)}!$A$1:${_column(col)}${row}</definedName>")
        return out


def _write_form(sheet: _Sheet, form: Form, scope: dict[str, Any], ev: _Evaluator) -> None:
    styles = sheet.styles
    ncols = len(form.widths)
    sheet.widths = form.widths
    r = 1
    sheet.put(r, 1, form.marker, styles.xf(MARKER_FONT))
    r += 1
    title_xf = styles.xf(TITLE_FONT, align=("center", "center", False))
    for line in form.titles:
        sheet.put(r, 1, _clean(ev.text(line, scope)), title_xf)
        sheet.merge(r, 1, r, ncols)
        sheet.heights[r] = 28
        r += 1
    if form.unit_line:
        left, right = form.unit_line
        sheet.put(r, 1, _clean(ev.text(left, scope)), styles.xf(NOTE_FONT))
        sheet.put(r, ncols, _clean(ev.text(right, scope)), styles.xf(NOTE_FONT, align=("right", "", False)))
        r += 1
    rows: list[list[_Placed]] = []
    _lay_rows(ev, form.lead, scope, rows)
    header_index = len(rows)
    _lay_rows(ev, form.main, scope, rows)
    first = r
    _write_grid(sheet, rows, first, form.widths)
    sheet.print_titles = first + header_index
    r = first + len(rows) + 1
    note_xf = styles.xf(NOTE_FONT, align=("", "top", True))
    for note in form.notes:
        text = _clean(ev.text(note, scope))
        sheet.put(r, 1, text or None, note_xf)
        sheet.merge(r, 1, r, ncols)
        sheet.heights[r] = LINE_PT * _lines(text, sum(form.widths)) + 4
        r += 1
    sheet.landscape = form.landscape
    sheet.print_area = (ncols, first + len(rows) - 1 + 4)


def _lines(text: Any, width_cm: float) -> int:
    """Lines the text takes in a cell ``width_cm`` wide: a CJK character is 1 wide, others 0.55."""
    if text is None or text == "":
        return 1
    per_line = max(1, int(width_cm * CHARS_PER_CM)) * 100
    return sum(max(1, -(-_text_width100(part) // per_line)) for part in str(text).split("\n"))


_NARROW = re.compile("[\u0000-\u2e7f]")


def _text_width100(text: str) -> int:
    """The text's width in hundredths of a CJK character (integers: no rounding at line boundaries)."""
    if text.isascii():
        return 55 * len(text)
    wide = len(_NARROW.sub("", text))
    return 100 * wide + 55 * (len(text) - wide)


def _write_grid(sheet: _Sheet, rows: list[list[_Placed]], first: int, widths: tuple[float, ...]) -> None:
    """The table's cells: every cell of the grid has a thin border; merged ranges as ``span`` and ``vmerge`` say."""
    # vertical merges: a restart cell and the continue cells below it in the same columns
    spans: dict[tuple[int, int], int] = {}  # (row index, col) of a restart → last row index
    continues = [{(q.col, q.span) for q in row if q.vstate == "continue"} for row in rows]
    for i, row in enumerate(rows):
        for p in row:
            if p.vstate == "restart":
                j = i
                while j + 1 < len(rows) and (p.col, p.span) in continues[j + 1]:
                    j += 1
                spans[(i, p.col)] = j
    covered: set[tuple[int, int]] = set()
    for (i, col), last in spans.items():
        for k in range(i + 1, last + 1):
            covered.add((k, col))
    styles = sheet.styles
    heights = [1] * len(rows)
    for i, row in enumerate(rows):
        r = first + i
        for p in row:
            kind = p.cell.kind
            number_format = "General"
            if p.cell.expr is not None:
                number_format = NUMBER_FORMAT[kind]
                if p.marked:
                    number_format = f'{number_format}"（{MANUAL_MARK}）"'
            xf = styles.xf(HEAD_FONT if kind == "head" else TABLE_FONT, border=True,
                           align=("left" if kind == "left" else "center", "center", True),
                           number_format=number_format)
            is_covered = (i, p.col) in covered
            value = None
            if not is_covered:
                value = p.value if p.cell.expr is not None else (_clean(p.text) or None)
            sheet.put(r, p.col, value, xf)
            last = spans.get((i, p.col), i)
            for rr in range(r, first + last + 1):  # the cells a merge covers keep the border
                for cc in range(p.col, p.col + p.span):
                    if rr != r or cc != p.col:
                        sheet.put(rr, cc, None, xf)
            if (last > i or p.span > 1) and not is_covered:
                sheet.merge(r, p.col, first + last, p.col + p.span - 1)
            if not is_covered and last == i:
                width = sum(widths[p.col - 1: p.col - 1 + p.span])
                text = p.text if p.cell.expr is None else str(p.value or "") + ("（手工评分）" if p.marked else "")
                heights[i] = max(heights[i], _lines(text, width))
    for i, n in enumerate(heights):
        sheet.heights[first + i] = max(18, LINE_PT * n + 4)


def sheet_names(ctx: dict[str, Any]) -> list[str]:
    names = []
    for form in FORMS:
        if form.each:
            items = ctx[form.each[1]]
            names += [f"{form.sheet}-{i}" for i in range(1, len(items) + 1)] or [form.sheet]
        else:
            names.append(form.sheet)
    return names


def tables_workbook(ctx: dict[str, Any]) -> bytes:
    """The three attachment tables of ``ctx`` (the compute context) as .xlsx bytes."""
    return _package(*layout(ctx))


def layout(ctx: dict[str, Any], ev: _Evaluator | None = None) -> tuple[list[_Sheet], _Styles]:
    """The sheets of the tables workbook, laid out (cells, styles, merges, print setup) but not yet written."""
    ev = ev or _evaluator()
    styles = _Styles()
    sheets: list[_Sheet] = []
    for form in FORMS:
        if not form.each:
            sheets.append(_Sheet(form.sheet, styles))
            _write_form(sheets[-1], form, ctx, ev)
            continue
        var, iterable = form.each
        items = list(ev.expr(iterable, ctx))
        for i, item in enumerate(items, start=1):
            loop = {"index": i, "index0": i - 1, "first": i == 1, "last": i == len(items), "length": len(items)}
            sheets.append(_Sheet(f"{form.sheet}-{i}", styles))
            _write_form(sheets[-1], form, {**ctx, var: item, "loop": loop}, ev)
        if not items:
            sheet = _Sheet(form.sheet, styles)
            sheet.put(1, 1, form.marker, styles.xf(MARKER_FONT))
            sheet.put(2, 1, form.empty_note, styles.xf(NOTE_FONT))
            sheets.append(sheet)
    return sheets, styles


# ------------------------------------------------------------------------ the .xlsx package

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SSML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_CELL_CHARS = 32767  # Excel refuses a file with a longer cell text


def _clean(text: str) -> str:
    """Text as a cell can hold it: no characters XML forbids, within Excel's length limit."""
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub("", text)
    return text[:MAX_CELL_CHARS]


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(s: str) -> str:
    return _text(s).replace('"', "&quot;")


def _column(col: int) -> str:
    """Column letters: 1 → A, 27 → AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _ref(row: int, col: int) -> str:
    return f"{_column(col)}{row}"


def _package(sheets: list[_Sheet], styles: _Styles) -> bytes:
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
        + "".join(f'<sheet name="{_attr(s.title)}" sheetId="{k}" r:id="rId{k}"/>' for k, s in enumerate(sheets, 1))
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
        + "".join(f'<si><t xml:space="preserve">{_text(s)}</t></si>' for s in strings)
        + "</sst>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml.encode("utf-8"))
    return buf.getvalue()
