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

import functools
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Undefined

from . import formatting as fmt
from .render import make_env
from .sheetml import Sheet, Styles, clean, package

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
# The workbook is written as SpreadsheetML directly (``sheetml``): a handful of
# fixed styles, values, merges, row heights, column widths and print setup is
# all these forms need. The output is read back with openpyxl in
# tests/test_attachments.py.

CHARS_PER_CM = 2.6  # 五号 CJK characters per cm of cell, margins allowed for
LINE_PT = 14

# fonts as (name, size, bold)
TABLE_FONT = ("仿宋_GB2312", 10.5, False)
HEAD_FONT = ("仿宋_GB2312", 10.5, True)
MARKER_FONT = ("黑体", 16, False)
TITLE_FONT = ("方正小标宋简体", 18, False)
NOTE_FONT = ("仿宋_GB2312", 12, False)


@dataclass(slots=True)
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


_PLACES = {"wan": 2, "yuan_wan": 2, "score": 2, "pct": 4, "count": 0, "number": 2}  # decimals each kind shows


def _excel_value(value: Any, kind: str) -> Any:
    """The figure exactly as the report prints it (Decimal, half-up), as an Excel number."""
    if value is None:
        return None
    places = _PLACES[kind]
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


def _write_form(sheet: Sheet, form: Form, scope: dict[str, Any], ev: _Evaluator) -> None:
    styles = sheet.styles
    ncols = len(form.widths)
    sheet.widths = form.widths
    r = 1
    sheet.put(r, 1, form.marker, styles.xf(MARKER_FONT))
    r += 1
    title_xf = styles.xf(TITLE_FONT, align=("center", "center", False))
    for line in form.titles:
        sheet.put(r, 1, clean(ev.text(line, scope)), title_xf)
        sheet.merge(r, 1, r, ncols)
        sheet.heights[r] = 28
        r += 1
    if form.unit_line:
        left, right = form.unit_line
        sheet.put(r, 1, clean(ev.text(left, scope)), styles.xf(NOTE_FONT))
        sheet.put(r, ncols, clean(ev.text(right, scope)), styles.xf(NOTE_FONT, align=("right", "", False)))
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
        text = clean(ev.text(note, scope))
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


@functools.lru_cache(maxsize=1024)
def _fixed_lines(text: str, width_cm: float) -> int:
    """``_lines`` of a form's own label (no data in it): worked out once per process."""
    return _lines(text, width_cm)


_NARROW = re.compile("[\u0000-\u2e7f]")


def _text_width100(text: str) -> int:
    """The text's width in hundredths of a CJK character (integers: no rounding at line boundaries)."""
    if text.isascii():
        return 55 * len(text)
    wide = len(_NARROW.sub("", text))
    return 100 * wide + 55 * (len(text) - wide)


def _write_grid(sheet: Sheet, rows: list[list[_Placed]], first: int, widths: tuple[float, ...]) -> None:
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
    xfs: dict[tuple[str, bool, bool], int] = {}  # (kind, a value, marked) → cell format
    for i, row in enumerate(rows):
        r = first + i
        row_cells = sheet.rows.setdefault(r, {})
        for p in row:
            kind = p.cell.kind
            xf_key = (kind, p.cell.expr is not None, p.marked)
            xf = xfs.get(xf_key)
            if xf is None:
                number_format = "General"
                if p.cell.expr is not None:
                    number_format = NUMBER_FORMAT[kind]
                    if p.marked:
                        number_format = f'{number_format}"（{MANUAL_MARK}）"'
                xf = xfs[xf_key] = styles.xf(HEAD_FONT if kind == "head" else TABLE_FONT, border=True,
                                             align=("left" if kind == "left" else "center", "center", True),
                                             number_format=number_format)
            is_covered = (i, p.col) in covered
            value = None
            if not is_covered:
                value = p.value if p.cell.expr is not None else (clean(p.text) or None)
            row_cells[p.col] = (value, xf)  # = sheet.put(r, p.col, value, xf)
            last = spans.get((i, p.col), i) if spans else i
            if last > i or p.span > 1:
                for rr in range(r, first + last + 1):  # the cells a merge covers keep the border
                    for cc in range(p.col, p.col + p.span):
                        if rr != r or cc != p.col:
                            sheet.put(rr, cc, None, xf)
                if not is_covered:
                    sheet.merge(r, p.col, first + last, p.col + p.span - 1)
            if not is_covered and last == i:
                text = p.text if p.cell.expr is None else str(p.value or "") + ("（手工评分）" if p.marked else "")
                if text:
                    width = sum(widths[p.col - 1: p.col - 1 + p.span])
                    fixed = p.cell.expr is None and "{" not in p.cell.text  # a label of the form, the same every time
                    heights[i] = max(heights[i], _fixed_lines(text, width) if fixed else _lines(text, width))
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
    return package(*layout(ctx))


def layout(ctx: dict[str, Any], ev: _Evaluator | None = None) -> tuple[list[Sheet], Styles]:
    """The sheets of the tables workbook, laid out (cells, styles, merges, print setup) but not yet written."""
    ev = ev or _evaluator()
    styles = Styles()
    sheets: list[Sheet] = []
    for form in FORMS:
        if not form.each:
            sheets.append(Sheet(form.sheet, styles))
            _write_form(sheets[-1], form, ctx, ev)
            continue
        var, iterable = form.each
        items = list(ev.expr(iterable, ctx))
        for i, item in enumerate(items, start=1):
            loop = {"index": i, "index0": i - 1, "first": i == 1, "last": i == len(items), "length": len(items)}
            sheets.append(Sheet(f"{form.sheet}-{i}", styles))
            _write_form(sheets[-1], form, {**ctx, var: item, "loop": loop}, ev)
        if not items:
            sheet = Sheet(form.sheet, styles)
            sheet.put(1, 1, form.marker, styles.xf(MARKER_FONT))
            sheet.put(2, 1, form.empty_note, styles.xf(NOTE_FONT))
            sheets.append(sheet)
    return sheets, styles
