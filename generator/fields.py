"""The names a template may use, with their meaning, the cell each comes from and the value it prints.

``field_rows(ctx)`` walks a unit's context by its Chinese names (the English
aliases of earlier templates are listed beside them, not as rows of their
own) and gives one ``FieldRow`` per name: ``财务.资产总额`` — 数字 — 资产总额（万元）
— ``2024.xlsx › 财务 › B3`` — ``1813.15`` — ``{{ 财务.资产总额|万元 }}``. Items of a
list are shown once, as ``项目[].主管部门``. The same rows make ``docs/fields.md``
(``commands/fieldref.py``), the 模板字段 sheet of the workbooks we write and of
the annotated copy (``fields_sheet``), and ``generate template-check --fields``.

Meanings come from the schema where a name is a workbook field, and from
``MEANINGS`` otherwise; a name without a meaning fails the drift test, so a
new context entry cannot go undocumented. Names that depend on the unit's
own data (a staff category, a text section, an organisation group, a free
fact, an indicator group) are described by their generic form: ``人员编制.‹类别›``.

It describes the compute stage's output and sits beside it: the pipeline (the
annotated copy) and the commands both use it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema
from .compute import Context, Fact
from .formatting import FILTER_DOCS
from .messages import msg
from .names import kind_of

MEANINGS: dict[str, str] = {
    "年度": "报告年度（基本信息 › 年度）",
    "上年度": "上一年度（年度 − 1）",
    "报告名称": "报告全称：年度 + 单位全称 + 报告标题，也是文件名",
    "基本信息": "单位信息（“基本信息”表）",
    "机构": "机构名单（“机构”表），按分组",
    "机构.分组": "全部分组，按表中首次出现的顺序",
    "机构.‹分组›": "该分组（如 内设机构、下设机构）",
    "机构.‹分组›.名称": "分组名称",
    "机构.‹分组›.名单": "该组机构名称的列表（用 |join('、') 或 |列举 连写）",
    "机构.‹分组›.名单[]": "名单中的一个机构名称",
    "机构.‹分组›.个数": "名单中的机构个数",
    "机构.‹分组›.公布个数": "对外公布的个数（“公布个数”列；未填时为名单个数）",
    "机构.‹分组›.概述": "概述，如“3中心1站1队”（“概述”列或句子覆盖；未填时按名单生成）",
    "机构.‹分组›.列举": "名单连写，如“甲、乙和丙”",
    "人员编制": "人员编制（“人员编制”表），按类别",
    "人员编制.行": "全部类别，按表中顺序",
    "人员编制.下属单位": "类型为“下属单位”的行",
    "人员编制.‹类别›": "该类别的一行",
    "人员编制.‹类别›.类别": "类别名称",
    "人员编制.‹类别›.上级": "所属的上级类别（未填为空）",
    "人员编制.‹类别›.类型": "编制类别、下属单位或人员类别",
    "人员编制.‹类别›.核定编制": "核定编制（个）",
    "人员编制.‹类别›.实有人数": "实有人数（人）",
    "人员编制.‹类别›.备注": "备注",
    "人员编制.‹类别›.下级": "上级为该类别的各行（如事业编制下的各中心）",
    "人员编制.‹类别›.超编人数": "实有人数超过核定编制的人数（未超编为 0）",
    "人员编制.‹类别›.编制使用率": "实有人数 ÷ 核定编制（小数，用 |百分比 显示）",
    "财务": "资产与预算收支（“财务”表，万元）",
    "预算": "预算执行（由“财务”表计算，万元）",
    "预算.年初预算数": "年初预算支出",
    "预算.全年预算数": "全年预算数（调整后）",
    "预算.调整额": "预算调整额 = 全年预算数 − 年初预算支出",
    "预算.调整率": "预算调整率 = 调整额 ÷ 年初预算支出（小数）",
    "预算.执行数": "全年执行数 = 决算支出",
    "预算.执行率": "预算执行率 = 决算支出 ÷ 全年预算数（小数）",
    "预算.结余": "预算结余 = 全年预算数 − 决算支出",
    "预算.分值": "预算执行率的分值（10 分）",
    "预算.得分": "预算执行率得分 = 分值 × 执行率，不超过分值",
    "预算.按收入性质": "决算收入按来源分列（一般公共预算、政府性基金……）",
    "预算.按收入性质[]": "一项收入来源：名称和金额",
    "预算.按收入性质[].名称": "收入来源名称",
    "预算.按收入性质[].金额": "金额（万元）",
    "预算.收入合计": "按收入性质分的合计：填写的决算收入（与正文同一个数）",
    "预算.按支出性质": "决算支出按性质分列（基本支出、项目支出）",
    "预算.按支出性质[]": "一项支出性质：名称和金额",
    "预算.按支出性质[].名称": "支出性质名称",
    "预算.按支出性质[].金额": "金额（万元）",
    "预算.支出合计": "按支出性质分的合计：填写的决算支出（与正文同一个数）",
    "三公经费": "“三公”经费（“三公经费”表，元）",
    "三公经费.‹列›": "该列各项（元）",
    "三公经费.变动额": "本年决算 − 上年决算（元，负数为减少）",
    "三公经费.变动率": "变动额 ÷ 上年决算（小数）",
    "三公经费.本年构成": "本年构成的句子，如“其中公务接待支出46000.00元”（可在句子覆盖中改写）",
    "三公经费.上年构成": "上年构成的句子（可在句子覆盖中改写）",
    "三公经费.增减结论": "增减结论，如“三公经费支出未超过去年”（可在句子覆盖中改写）",
    "基础数据": "基础数据表补充数据（“基础数据”表，万元）",
    "基础数据.‹列›": "该列各项（万元）",
    "楼堂馆所及节约": "楼堂馆所控制情况与厉行节约保障措施",
    "楼堂馆所及节约.规模控制率": "实际规模 ÷ 批复规模（小数；无批复规模时为空）",
    "楼堂馆所及节约.投资概算控制率": "实际投资 ÷ 预算投资（小数；无预算投资时为空）",
    "绩效指标": "部门整体支出绩效指标（“绩效指标”表），按一级 → 二级 → 三级指标分组",
    "绩效指标.行": "全部三级指标，按表中顺序，带表格合并用的标记",
    "绩效指标.一级": "一级指标的列表，按表中首次出现的顺序",
    "绩效指标.‹一级指标›": "该一级指标（如 产出指标），结构同 绩效指标.一级[]",
    "绩效指标.个数": "三级指标个数",
    "绩效指标.未完成": "未完成（未达到年度指标值）的三级指标",
    "绩效指标.未完成个数": "未完成的三级指标个数",
    "绩效指标.分值合计": "指标分值合计",
    "绩效指标.得分合计": "指标得分合计",
    "绩效指标.手工评分": "手工评分的三级指标",
    "‹一级›.名称": "一级指标名称",
    "‹一级›.二级": "其下的二级指标列表",
    "‹一级›.‹二级指标›": "该二级指标（如 数量指标），结构同 二级[]",
    "‹一级›.分值": "分值合计",
    "‹一级›.得分": "得分合计",
    "‹一级›.个数": "其下三级指标个数（表格中纵向合并的行数）",
    "‹二级›.名称": "二级指标名称",
    "‹二级›.指标": "其下的三级指标列表",
    "‹二级›.分值": "分值合计",
    "‹二级›.得分": "得分合计",
    "‹二级›.个数": "其下三级指标个数",
    "‹二级›.目标句": "年度目标的汇总句，如“A，B均为100%。”（可在句子覆盖中以“二级指标（目标）”改写）",
    "‹二级›.完成句": "完成情况的汇总句（可在句子覆盖中以“二级指标（完成）”改写）",
    "‹一级›": "一个一级指标：其名称、二级指标、分值和得分",
    "‹二级›": "一个二级指标：其名称、三级指标、分值、得分和汇总句",
    "‹指标›": "一个三级指标（表中一行）",
    "‹指标›.得分显示": "自评表所列的得分：两位小数，手工评分时另起一行注明“手工评分”",
    "‹指标›.一级指标": "一级指标",
    "‹指标›.二级指标": "二级指标",
    "‹指标›.三级指标": "三级指标名称",
    "‹指标›.项目名称": "所属项目名称（项目指标）；部门整体指标为空",
    "‹指标›.比较方式": "比较方式：eq 等于、ge 不低于、gt 超过、le 不超过、lt 低于；定性指标为空",
    "‹指标›.比较": "“比较”列原样（如 ≥、以上）；未填为空",
    "‹指标›.比较写法": "比较的写法，{v} 处为指标值（内部使用）",
    "‹指标›.单位": "单位（如 次、个、%）",
    "‹指标›.年度指标值数": "年度指标值：数字（百分数为小数，如 0.95）或文字",
    "‹指标›.实际完成值数": "实际完成值：数字或文字",
    "‹指标›.指标值": "年度指标值连单位的写法，如“95%”",
    "‹指标›.年度指标值": "年度指标值连比较的写法，如“≥95%”“在90%以上”（自评表所列）",
    "‹指标›.实际完成值": "实际完成值连单位的写法，如“85%”",
    "‹指标›.分值": "分值",
    "‹指标›.得分": "得分（手工得分优先）",
    "‹指标›.计算得分": "按规则计算的得分（不论是否手工评分）",
    "‹指标›.手工评分": "是否手工评分",
    "‹指标›.评分方式": "评分方式：公式、评价等级、定性或手工评分",
    "‹指标›.评价等级": "评价等级：达成 / 部分达成 / 未达成；未填为空",
    "‹指标›.是否完成": "是否完成年度指标值",
    "‹指标›.偏差原因分析及改进措施": "偏差原因分析及改进措施",
    "‹指标›.核对数据": "核对数据（审核用）",
    "‹指标›.行号": "所在工作表的行号",
    "‹指标›.一级首行": "是否为其一级指标下的第一行（表格纵向合并：{% vmerge 行.一级首行 %}）",
    "‹指标›.二级首行": "是否为其二级指标下的第一行（{% vmerge 行.二级首行 %}）",
    "‹指标›.一级行数": "其一级指标下的三级指标个数",
    "‹指标›.二级行数": "其二级指标下的三级指标个数",
    "项目": "项目支出（“项目”表，一个项目一项），用于附件3",
    "项目[]": "一个项目（“项目”表的一行）",
    "项目[].序号名称": "附件1 中的行名：序号加项目名称，如“1、乡村振兴项目”",
    "项目[].项目名称": "项目名称",
    "项目[].主管部门": "主管部门（未填为基本信息的主管部门）",
    "项目[].实施单位": "实施单位（未填为基本信息的主管部门）",
    "项目[].上年决算数": "上年决算数（万元）",
    "项目[].资金": "资金情况：当年财政拨款、上年结转资金、其他资金、合计",
    "项目[].资金.‹来源›": "该来源的年初预算数、全年预算数、全年执行数（万元）",
    "项目[].资金.‹来源›.年初预算数": "年初预算数（万元）",
    "项目[].资金.‹来源›.全年预算数": "全年预算数（万元）",
    "项目[].资金.‹来源›.全年执行数": "全年执行数（万元）",
    "项目[].资金.合计.执行率": "项目预算执行率 = 全年执行数 ÷ 全年预算数（小数）",
    "项目[].资金.合计.得分": "项目预算执行率得分",
    "项目[].资金.合计.分值": "项目预算执行率分值（10 分）",
    "项目[].预期目标": "预期目标",
    "项目[].实际完成情况": "实际完成情况",
    "项目[].备注": "备注",
    "项目[].绩效指标": "该项目的绩效指标（“项目指标”表中此项目的行），结构同 绩效指标",
    "项目[].得分": "项目自评总分 = 预算执行率得分 + 指标得分",
    "项目[].满分": "项目总分值 = 预算执行率分值 + 指标分值",
    "项目[].行号": "该项目在“项目”表中的行号",
    "项目合计": "全部项目合计（万元）",
    "项目合计.上年决算数": "上年决算数合计",
    "项目合计.年初预算数": "年初预算数合计",
    "项目合计.全年预算数": "全年预算数合计",
    "项目合计.全年执行数": "全年执行数合计",
    "项目合计.无项目说明": "“本单位本年度没有项目支出…”：只在“项目”表没有项目且决算项目支出填为零时有此句（附件3 用）",
    "自评": "部门整体自评得分",
    "自评.预算执行得分": "预算执行率得分",
    "自评.指标得分": "绩效指标得分合计",
    "自评.总分": "自评总分 = 预算执行率得分 + 绩效指标得分（报告正文的自评分，附件2 的总分）",
    "自评.满分": "总分值 = 预算执行率分值 + 绩效指标分值",
    "自评.等级": "评价等级（优、良、中、差），按总分和等级划分（国家默认 优≥90、良≥80、中≥60，县规则可另定）",
    "自评.评分规则": "计分所用的规则：“国家默认”，或“县规则：名称”（data/评分规则.xlsx）",
    "自评.规则说明": "按县规则计分时附件2注中的说明：所用规则和它改动的每个分数；国家默认时为空",
    "文字内容": "“文字内容”表的各段，按栏目；每个栏目是一个列表，一行一段",
    "文字内容.‹栏目›": "该栏目的各段（用 {% for 段 in … %} 取用）；.全文 为各段相连",
    "文字内容.‹栏目›[]": "该栏目的一段（“文字内容”表的一行）",
    "文字内容.‹栏目›[].小标题": "该段的小标题",
    "文字内容.‹栏目›[].内容": "该段的内容（占位符已填入数据）",
    "概况数据": "“概况数据”表：其他数字和说法",
    "概况数据.‹名称›": "该项的数值连单位（如“31个”）；.数值、.单位 分别取用",
}

_INDICATOR_ROOT = r"(?:绩效指标|项目\[\]\.绩效指标)"
_INDICATOR_KEYS = ("行", "一级", "个数", "未完成", "未完成个数", "分值合计", "得分合计", "手工评分")
_LEVEL1_KEYS = ("名称", "二级", "分值", "得分", "个数")
_GENERIC = (  # concrete name → its generic form, for the meaning
    (re.compile(r"^机构\.(?!分组(?:$|\.))[^.]+"), "机构.‹分组›"),
    (re.compile(r"^人员编制\.(?!行(?:$|\.|\[)|下属单位(?:$|\.|\[))[^.\[]+"), "人员编制.‹类别›"),
    (re.compile(r"^文字内容\.[^.\[]+"), "文字内容.‹栏目›"),
    (re.compile(r"^概况数据\.[^.]+"), "概况数据.‹名称›"),
    (re.compile(r"^(三公经费|基础数据)\.(上年决算|本年预算|本年决算)(?=$)"), r"\1.‹列›"),
    (re.compile(r"^项目\[\]\.资金\.(当年财政拨款|上年结转资金|其他资金|合计)(?=$|\.(?:年初预算数|全年预算数|全年执行数)$)"),
     "项目[].资金.‹来源›"),
)


_REPEATED = ("‹一级›", "‹二级›", "‹指标›", "绩效指标.‹一级指标›")  # structures met many times
_SUB, _SUB_DEPTH = "下级[]", 2  # a staff category's 下级 are walked two levels deep (the rest repeat them)


@functools.lru_cache(maxsize=8192)  # (a pure function of the name; a batch asks for the same names per unit)
def generic(name: str) -> str:
    """The name as the meanings know it (dynamic keys as ‹…›, indicator parts by their level)."""
    for pattern, repl in _GENERIC:
        name = pattern.sub(repl, name, count=1)
    name = re.sub(r"人员编制\.(行|下属单位)\[\]", "人员编制.‹类别›", name)
    name = re.sub(r"‹类别›\.下级\[\]", "‹类别›", name)
    name = re.sub(rf"^{_INDICATOR_ROOT}\.(?:行|未完成|手工评分)\[\]|.*\.指标\[\]", "‹指标›", name)
    name = re.sub(rf"^{_INDICATOR_ROOT}\.一级\[\]\.二级\[\]|^‹一级›\.二级\[\]", "‹二级›", name)
    name = re.sub(rf"^{_INDICATOR_ROOT}\.一级\[\]", "‹一级›", name)
    m = re.match(rf"^{_INDICATOR_ROOT}\.(?!(?:{'|'.join(_INDICATOR_KEYS)})(?:$|\.|\[))([^.\[]+)(.*)$", name)
    if m:
        name = "‹一级›" + m.group(2) if m.group(2) else f"{'绩效指标' if name.startswith('绩效指标') else '项目[].绩效指标'}.‹一级指标›"
    m = re.match(rf"^‹一级›\.(?!(?:{'|'.join(_LEVEL1_KEYS)})(?:$|\.|\[))([^.\[]+)(.*)$", name)
    if m:
        name = "‹二级›" + m.group(2) if m.group(2) else "‹一级›.‹二级指标›"
    name = re.sub(r"^‹一级›\.二级\[\]", "‹二级›", name)  # (a named 一级 group's list of 二级)
    if name.startswith("项目[].绩效指标") and name not in MEANINGS:
        name = "绩效指标" + name[len("项目[].绩效指标"):]
    return name


@functools.lru_cache(maxsize=8192)
def meaning(name: str) -> str | None:
    """What a name stands for, in Chinese; None for a name nobody described."""
    head, _, leaf = name.partition(".")
    sheet = schema.SHEETS_BY_NAME.get(head)
    if sheet is not None and sheet.kind == "fields" and leaf and "." not in leaf:
        f = next((f for f in sheet.fields if f.zh == leaf), None)
        if f is not None:
            return f.label + (f"（{f.unit}）" if f.unit else "") + (f"：{f.help}" if f.help else "")
    if sheet is not None and sheet.kind == "grid" and leaf.count(".") == 1:
        col, row = leaf.split(".")
        return f"{row}（{col}，{sheet.unit}）"
    return MEANINGS.get(generic(name))


@dataclass(frozen=True)
class FieldRow:
    name: str  # Chinese, list items as ``[]``
    kind: str  # 数字 文字 日期 是否 列表 对象
    meaning: str
    value: str  # what it prints for this context (a list: its size)
    cells: tuple[str, ...]  # where it comes from
    alias: str = ""  # the English name of earlier templates
    tag: str = ""  # how to write it in a template

    @property
    def source(self) -> str:
        return "；".join(self.cells)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "是否"
    if isinstance(value, Fact):
        return "文字" if value.类型 == "文字" else "数字"
    if isinstance(value, (int, Decimal)):
        return "数字"
    if isinstance(value, (dt.date, dt.datetime)):
        return "日期"
    if isinstance(value, (list, tuple)):
        return "列表"
    if isinstance(value, dict):
        return "对象"
    if value is None:
        return "—"
    return "文字"


COUNTS = ("核定编制", "实有人数", "超编人数", "一级行数", "二级行数")  # whole numbers (人, 个) even when typed as 40.0
FILTER_BY_KIND = {"wan": "万元", "yuan": "元", "pct": "百分比", "score": "分数"}


def tag_for(name: str, value: Any) -> str:
    """How a template prints the value: with the filter its kind calls for."""
    if isinstance(value, (list, tuple, dict)) and not isinstance(value, Fact):
        return ""
    if isinstance(value, bool):
        return f"{{% if {name} %}}…{{% endif %}}"
    flt = ""
    if isinstance(value, (dt.date, dt.datetime)):
        flt = "日期"
    elif isinstance(value, int) or name.rsplit(".", 1)[-1] in COUNTS or name.endswith("个数"):
        flt = "个数" if not isinstance(value, bool) else ""
    elif isinstance(value, Decimal):
        flt = FILTER_BY_KIND.get(kind_of(name), "数字")
        if name.startswith("绩效指标") and name.endswith(("分值",)):
            flt = "数字"
    return "{{ " + name + (f"|{flt}" if flt else "") + " }}"


def printed(name: str, value: Any) -> str:
    """The value as that tag prints it."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) and not isinstance(value, Fact):
        return f"{len(value)} 项"
    if isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        return fmt.cn_date(value)
    tag = tag_for(name, value)
    if "|个数" in tag:
        return fmt.count(value)
    if isinstance(value, Decimal):
        flt = re.search(r"\|(\S+) ", tag)
        return fmt.FILTERS[flt.group(1)](value) if flt else fmt.number(value)
    return str(value)


def field_rows(ctx: Context) -> list[FieldRow]:
    """Every Chinese name of ``ctx`` with its meaning, value and source (list items once, as ``[]``)."""
    rows: list[FieldRow] = []
    seen: set[str] = set()
    described: set[str] = set()  # indicator structures already walked (their generic form)

    def aliases(container: Any) -> dict[str, str]:
        return {zh: en for en, zh in ctx.aliases.get(id(container), {}).items()}

    def walk(name: str, concrete: str, value: Any, alias: str) -> list[tuple[str, str, Any, str, tuple]]:
        """List one name; what to walk next (its children, in order). Iterative, so that a deep 上级 chain
        (人员编制.合计.下级[].下级[]…) or a cycle never exhausts the stack."""
        if name in seen:
            return []
        seen.add(name)
        rows.append(FieldRow(name, _kind(value), meaning(name) or "", printed(name, value),
                             tuple(ctx.cells(concrete)) if concrete else (), alias, tag_for(name, value)))
        if isinstance(value, (dict, list, tuple)) and not isinstance(value, Fact):
            form = generic(name)
            if form.startswith(_REPEATED) or form == "绩效指标" and name != "绩效指标":
                if form in described:  # the same structure again (another 一级/二级 group, a project's
                    return []  # indicators): listed once, under its first name
                described.add(form)
            if name.count(_SUB) > _SUB_DEPTH:  # a category's 下级 of 下级 …: the same structure, listed above
                return []
        if isinstance(value, dict):
            names = aliases(value)
            return [(f"{name}.{key}", f"{concrete}.{key}", child,
                     f"{alias}.{names[key]}" if alias and key in names else "")
                    for key, child in value.items() if not key.isascii()]
        if isinstance(value, (list, tuple)) and value and not isinstance(value, Fact):
            return [(f"{name}[]", f"{concrete}.0", value[0], f"{alias}[]" if alias else "")]
        return []

    def walk_all(name: str, concrete: str, value: Any, alias: str) -> None:
        stack = [(name, concrete, value, alias)]
        while stack:
            stack.extend(reversed(walk(*stack.pop())))  # (depth first, in order, as a recursion would)

    top = {zh: en for en, zh in (("year", "年度"), ("prev_year", "上年度"), ("unit", "基本信息"), ("finance", "财务"),
                                 ("budget", "预算"), ("sangong", "三公经费"), ("other", "楼堂馆所及节约"),
                                 ("indicators", "绩效指标"), ("projects", "项目"), ("projects_total", "项目合计"),
                                 ("score", "自评"), ("texts", "文字内容"))}
    for key, value in ctx.values.items():
        if not key.isascii():
            walk_all(key, key, value, top.get(key, ""))
    return rows


def filter_rows() -> list[tuple[str, str, str, str]]:
    """(中文过滤器, English alias, what it does, example) for the reference."""
    return [(name, alias, doc, example) for name, alias, doc, example in FILTER_DOCS]


FIELD_HEADERS = ("名称", "模板中的写法", "显示为", "含义", "来自")


def fields_sheet(ctx: Context, file: str) -> tuple[str, str, tuple[str, ...], list[list[Any]]]:
    """The 模板字段 sheet of a workbook as this run computed it: (name, title, headers, rows) — every name with
    what it prints (values, not formulas), for the annotated copy."""
    rows = [[row.name, row.tag or "", row.value, row.meaning, row.source.replace(f"{file} › ", "")]
            for row in field_rows(ctx) if row.kind != "对象"]
    return schema.FIELDS_SHEET, msg("wb_fields_title_run"), FIELD_HEADERS, rows
