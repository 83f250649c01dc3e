"""The official layout of the three attachment forms (附件1–3) of the default template.

``FORMS`` describes each form once: its column grid, its rows, which cells
span columns (``span``) or merge down (``vmerge``), and what each cell shows:
a text with at most one ``{{ }}`` (the names are the workbook's own words), or a
value (a name shown with the filter its kind calls for). ``tools/template_attachments.py``
writes them into the Word template; the Excel copy of the forms is then built
from the rendered Word tables themselves (``generator.formats.docx_tables``),
so a form a clerk redraws in Word appears the same in Excel.

Each form is a *lead* part (rows above the column-header row) and a *main*
part whose first row is the column header repeated on every page. In Word the
two parts are two tables joined by a hairline paragraph, because Word repeats
only header rows at the top of a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class C:
    """One table cell.

    text:   literal text, or text with one ``{{ name }}``; ``\\n`` is a line break inside the cell.
    expr:   a name giving a number, shown with the filter of ``kind``.
    kind:   head | label | text | left | wan | yuan_wan | pct | score | number | count | area
    span:   grid columns covered (``w:gridSpan``).
    vmerge: "restart", "continue", or a name (true → restart, false → continue: ``{% vmerge name %}``).
    optional: a blank value shows nothing (``|缺省('')``) instead of being required.
    long:   free text that may run long: its row may break across pages (other rows never do).
    """

    text: str = ""
    expr: str | None = None
    kind: str = "text"
    span: int = 1
    vmerge: str | None = None
    optional: bool = False
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
    titles: tuple[str, ...]      # title lines
    unit_line: tuple[str, str] | None  # (left, right) of the line above the table, or None
    widths: tuple[float, ...]    # column grid in cm
    lead: tuple[Any, ...]        # rows (tuple of C) or Loop
    main: tuple[Any, ...]        # first row is the repeated column header
    notes: tuple[str, ...] = ()  # paragraphs under the table
    landscape: bool = False
    each: tuple[str, str] | None = None  # (var, iterable): one table per item
    empty_note: str = ""         # shown when ``each`` has no items (a name: a claim of absence needs its figures)


FILTER_OF = {"wan": "万元", "yuan_wan": "元折万元", "pct": "百分比", "score": "分数", "number": "数字",
             "count": "个数", "area": "小数"}


def H(text: str, span: int = 1, **kw: Any) -> C:  # noqa: N802 - a heading cell
    return C(text, kind="head", span=span, **kw)


def L(text: str, span: int = 1, **kw: Any) -> C:  # noqa: N802 - a left-aligned text cell
    return C(text, kind="left", span=span, **kw)


def money(name: str, **kw: Any) -> C:
    """A 万元 figure over two grid columns (the 基础数据表's value columns)."""
    return C(expr=name, kind="wan", span=2, **kw)


def yuan_as_wan(name: str) -> C:
    return C(expr=name, kind="yuan_wan", span=2)


PERIODS = ("上年决算", "本年预算", "本年决算")


def _base_data_row(label: str, item: str) -> tuple[C, ...]:
    return (L(label),) + tuple(money(f"基础数据.{p}.{item}") for p in PERIODS)


def _sangong_row(label: str, item: str) -> tuple[C, ...]:
    return (L(label),) + tuple(yuan_as_wan(f"三公经费.{p}.{item}") for p in PERIODS)


BASE_DATA = Form(
    key="base_data",
    marker="附件1",
    titles=("{{ 年度 }}年度部门整体支出绩效评价基础数据表",),
    unit_line=("填报单位：{{ 基本信息.单位全称 }}", "单位：万元"),
    widths=(5.4, 1.7, 1.7, 1.7, 1.7, 1.7, 1.7),
    lead=(
        (H("财政供养人员情况（人）", vmerge="restart"), H("编制数", 2), H("{{ 年度 }}年实际在职人数", 2),
         H("控制率", 2)),
        (H("", vmerge="continue"), C(expr="人员编制.合计.核定编制", kind="count", span=2),
         C(expr="人员编制.合计.实有人数", kind="count", span=2),
         C(expr="人员编制.合计.编制使用率", kind="pct", span=2)),
    ),
    main=(
        (H("经费控制情况（万元）"), H("{{ 上年度 }}年决算数", 2), H("{{ 年度 }}年预算数", 2), H("{{ 年度 }}年决算数", 2)),
        _sangong_row("三公经费：", "合计"),
        _sangong_row("1、公务用车购置和维护经费", "公务用车购置和维护经费"),
        _sangong_row("其中：公车购置", "公车购置"),
        _sangong_row("　　　公车运行维护", "公车运行维护"),
        _sangong_row("2、出国经费", "出国经费"),
        _sangong_row("3、公务接待", "公务接待"),
        (L("项目支出："), money("财务.上年项目支出决算数", optional=True), money("财务.年初预算项目支出"),
         money("财务.决算项目支出")),
        Loop("项", "项目", (
            (L("{{ 项.序号名称 }}"), money("项.上年决算数", optional=True), money("项.资金.合计.年初预算数"),
             money("项.资金.合计.全年执行数")),
        )),
        _base_data_row("公用经费", "公用经费"),
        _base_data_row("其中：办公经费", "办公经费"),
        _base_data_row("　　　水费、电费、差旅费", "水费电费差旅费"),
        _base_data_row("　　　会议费、培训费", "会议费培训费"),
        _base_data_row("政府采购金额", "政府采购金额"),
        (L("部门整体支出预算调整"), C(span=2), C(span=2), money("预算.调整额")),
        (H("楼堂馆所控制情况（{{ 年度 }}年完工项目）", vmerge="restart"), H("批复规模（㎡）"), H("实际规模（㎡）"),
         H("规模控制率"), H("预算投资（万元）"), H("实际投资（万元）"), H("投资概算控制率")),
        (H("", vmerge="continue"),
         C(expr="楼堂馆所及节约.批复规模", kind="area", optional=True),
         C(expr="楼堂馆所及节约.实际规模", kind="area", optional=True),
         C(expr="楼堂馆所及节约.规模控制率", kind="pct", optional=True),
         C(expr="楼堂馆所及节约.预算投资", kind="wan", optional=True),
         C(expr="楼堂馆所及节约.实际投资", kind="wan", optional=True),
         C(expr="楼堂馆所及节约.投资概算控制率", kind="pct", optional=True)),
        (H("厉行节约保障措施"), L("{{ 楼堂馆所及节约.厉行节约保障措施|缺省('') }}", 6)),
    ),
    notes=("说明：“项目支出”填列除基本支出以外的全部项目支出，每个专项一行；“公用经费”填列基本支出中的"
           "一般商品和服务支出，“其中”各行为选列项目，不等于公用经费合计。",),
)

# 附件2 and 附件3 share the national grid: label | 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因
SCORE_GRID = (2.0, 2.1, 2.2, 4.0, 2.4, 2.4, 1.2, 2.0, 4.2)  # 22.5 cm: landscape A4 text width


def _indicator_part(label: str, rows: str, weight: str, total: str) -> tuple[Any, ...]:
    return (
        (H(label, vmerge="restart"), H("一级指标"), H("二级指标"), H("三级指标"), H("年度指标值"), H("实际完成值"),
         H("分值"), H("得分"), H("偏差原因分析及改进措施")),
        Loop("指标", rows, (
            (H("", vmerge="continue"), C("{{ 指标.一级指标 }}", vmerge="指标.一级首行"),
             C("{{ 指标.二级指标 }}", vmerge="指标.二级首行"), L("{{ 指标.三级指标 }}"), C("{{ 指标.年度指标值 }}"),
             C("{{ 指标.实际完成值 }}"), C(expr="指标.分值", kind="number"), C("{{ 指标.得分显示 }}"),
             L("{{ 指标.偏差原因分析及改进措施 }}")),
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


INCOME = (("一般公共预算", False), ("政府性基金拨款", True), ("国有资本经营预算", True),
          ("纳入专户管理的非税收入拨款", True), ("其他资金", True))
EXPENSE = ("基本支出", "项目支出")


def _income_cell(i: int) -> C:
    name, optional = INCOME[i]
    default = "|缺省('')" if optional else ""
    return L(("其中：" if i == 0 else "") + f"{name}：{{{{ 预算.按收入性质.{i}.金额|万元{default} }}}}", 4)


def _expense_cell(i: int) -> C:
    if i >= len(EXPENSE):
        return L("", 4)
    return L(("其中：" if i == 0 else "") + f"{EXPENSE[i]}：{{{{ 预算.按支出性质.{i}.金额|万元 }}}}", 4)


SELF_EVALUATION = Form(
    key="self_evaluation",
    marker="附件2",
    titles=("{{ 年度 }}年度部门整体支出绩效自评表",),
    unit_line=("填报单位：{{ 基本信息.单位全称 }}", "单位：万元"),
    widths=SCORE_GRID,
    landscape=True,
    lead=(
        (H("预算部门、单位名称", 1), L("{{ 基本信息.单位全称 }}", 8)),
        (H("年度预算申请（万元）", vmerge="restart"),) + _money_header("自评得分"),
        (H("", vmerge="continue"), C("年度资金总额", span=2), C(expr="预算.年初预算数", kind="wan"),
         C(expr="预算.全年预算数", kind="wan"), C(expr="预算.执行数", kind="wan"),
         C(expr="预算.分值", kind="number"), C(expr="预算.执行率", kind="pct"), C(expr="预算.得分", kind="score")),
        (H("", vmerge="continue"), L("按收入性质分：{{ 预算.收入合计|万元 }}", 4),
         L("按支出性质分：{{ 预算.支出合计|万元 }}", 4)),
    ) + tuple((H("", vmerge="continue"), _income_cell(i), _expense_cell(i)) for i in range(len(INCOME)))
    + _goal_rows("{{ 文字内容.绩效总目标|分行编号 }}", "{{ 文字内容.总体目标完成情况.全文 }}"),
    main=_indicator_part("年度绩效指标", "绩效指标.行", "自评.满分", "自评.总分"),
    notes=("注：预算执行率得分＝分值×执行率，最高不超过分值；定量指标按完成值与指标值之比计分，最高不超过该指标分值；"
           "定性指标按评价等级计分。得分下注明“手工评分”的，为填报单位手工填写的得分。总分即报告正文中的自评分。"
           "{{ 自评.规则说明 }}",),  # the county's scoring rules and what they changed ("" under the national ones)
)

PROJECT = Form(
    key="project",
    marker="附件3",
    titles=("项目支出绩效自评表", "（{{ 年度 }}年度）"),
    unit_line=None,
    widths=SCORE_GRID,
    landscape=True,
    each=("项", "项目"),
    # said only when the unit states its 项目支出 as 0 (compute: 项目合计.无项目说明; else the template check asks)
    empty_note="{{ 项目合计.无项目说明 }}",
    lead=(
        (H("项目名称"), L("{{ 项.项目名称 }}", 8)),
        (H("主管部门"), L("{{ 项.主管部门 }}", 4), H("实施单位"), L("{{ 项.实施单位 }}", 3)),
        (H("项目资金（万元）", vmerge="restart"),) + _money_header("得分"),
        (H("", vmerge="continue"), L("年度资金总额", 2), C(expr="项.资金.合计.年初预算数", kind="wan"),
         C(expr="项.资金.合计.全年预算数", kind="wan"), C(expr="项.资金.合计.全年执行数", kind="wan"),
         C(expr="项.资金.合计.分值", kind="number"), C(expr="项.资金.合计.执行率", kind="pct"),
         C(expr="项.资金.合计.得分", kind="score")),
    ) + tuple(
        (H("", vmerge="continue"), L(label, 2), C(expr=f"项.资金.{source}.年初预算数", kind="wan", optional=True),
         C(expr=f"项.资金.{source}.全年预算数", kind="wan", optional=True),
         C(expr=f"项.资金.{source}.全年执行数", kind="wan", optional=True),
         C("—"), C(), C("—"))
        for label, source in (("其中：当年财政拨款", "当年财政拨款"), ("　　　上年结转资金", "上年结转资金"),
                              ("　　　其他资金", "其他资金"))
    ) + _goal_rows("{{ 项.预期目标 }}", "{{ 项.实际完成情况 }}"),
    main=_indicator_part("绩效指标", "项.绩效指标.行", "项.满分", "项.得分"),
    notes=("注：一级指标分值原则上为产出指标50分、效益指标30分、服务对象满意度指标10分、预算执行率10分，"
           "特殊情况可适当调整。得分下注明“手工评分”的，为填报单位手工填写的得分。",),
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
