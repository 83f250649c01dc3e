"""The field reference for template authors, generated from the code so it cannot drift.

``python -m generator.fieldref > docs/fields.md`` walks the template context
of the example workbook (``generator.example``, through the real read →
validate → compute path) and lists every variable with its Chinese meaning
and the example's value, then every filter with its documentation
(``formatting.FILTER_DOCS``) and the example's result. Meanings come from the
schema's labels where a variable is a workbook field, and from ``MEANINGS``
and the indicator tables below otherwise. A variable without a meaning makes
the generator fail, so a new context entry cannot go undocumented.

``variable_list(ctx)`` gives the same (path, meaning) list to ``--template-check``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import schema
from .formatting import FILTER_DOCS, FILTERS
from .template_check import merge_items  # one item standing for all items of a list

# ---------------------------------------------------------------------------- meanings

MEANINGS: dict[str, str] = {
    "year": "报告年度",
    "prev_year": "上一年度（年度 − 1）",
    "unit": "单位信息",
    "unit.name": "单位全称（基本信息 › 单位全称）",
    "unit.short_name": "单位简称（基本信息 › 单位简称）",
    "unit.area_name": "辖区名称（基本信息 › 辖区名称）",
    "unit.rank": "单位性质及级别",
    "unit.address": "办公地址",
    "unit.report_date": "报告日期（日期，用 |cn_date 显示为 2025年9月15日）",
    "unit.competent_dept": "主管部门（未填时为单位全称）",
    "orgs": "机构",
    "orgs.internal_count": "内设机构个数（基本信息中填写的对外公布数）",
    "orgs.internal": "内设机构名称列表（“机构”表类型为内设机构的行）",
    "orgs.subunits": "下设机构名称列表",
    "orgs.subunit_summary": "下设机构概述，如“3中心1站1队”（填写或覆盖优先，否则按名单自动生成）",
    "staff": "人员编制",
    "staff.subunits": "各下属事业单位（“人员编制”表类别为“事业单位”的行）",
    "staff.control_rate": "编制使用率 = 实有人数合计 ÷ 核定编制合计（小数，用 |pct 显示）",
    "finance": "资产与预算收支（“财务”表，万元）",
    "budget": "预算执行（由“财务”表计算，万元）",
    "budget.initial": "年初预算支出",
    "budget.full_year": "全年预算数（调整后）",
    "budget.adjustment": "预算调整额 = 全年预算数 − 年初预算支出",
    "budget.adjustment_rate": "预算调整率 = 预算调整额 ÷ 年初预算支出（小数）",
    "budget.executed": "决算支出",
    "budget.execution_rate": "预算执行率 = 决算支出 ÷ 全年预算数（小数）",
    "budget.balance": "预算结余 = 全年预算数 − 决算支出",
    "budget.weight": "预算执行率指标的分值（10 分）",
    "budget.score": "预算执行率得分 = 分值 × 执行率，不超过分值",
    "budget.by_income": "决算收入按来源分列（一般公共预算、政府性基金……）",
    "budget.by_income[].name": "收入来源名称",
    "budget.by_income[].amount": "金额（万元）",
    "budget.by_income_total": "各项收入之和（万元）",
    "budget.by_expense": "决算支出按性质分列（基本支出、项目支出）",
    "budget.by_expense[].name": "支出性质名称",
    "budget.by_expense[].amount": "金额（万元）",
    "budget.by_expense_total": "基本支出与项目支出之和（万元）",
    "sangong": "“三公”经费（“三公经费”表，元）",
    "sangong.change": "本年决算 − 上年决算（元，负数为减少）",
    "sangong.change_rate": "增减率 = 增减额 ÷ 上年决算（小数）",
    "sangong.items_actual": "本年三公经费构成的句子，如“其中公务接待支出46000.00元”（可在句子覆盖中改写）",
    "sangong.items_prev": "上年三公经费构成的句子（可在句子覆盖中改写）",
    "sangong.conclusion": "三公经费增减结论，如“三公经费支出未超过去年”（可在句子覆盖中改写）",
    "base_data": "基础数据表补充数据（“基础数据”表，万元）",
    "other": "楼堂馆所控制情况与厉行节约保障措施",
    "other.area_control_rate": "楼堂馆所面积控制率 = 实际规模 ÷ 批复规模（小数；无项目时为 0）",
    "other.invest_control_rate": "楼堂馆所投资控制率 = 实际投资 ÷ 预算投资（小数；无项目时为 0）",
    "indicators": "部门整体支出绩效指标（“绩效指标”表），按一级 → 二级 → 三级指标分组",
    "projects": "项目支出（“项目”表，一个项目一项），用于附件3",
    "projects[].name": "项目名称",
    "projects[].department": "主管部门",
    "projects[].implementer": "实施单位",
    "projects[].prev_actual": "上年决算数（万元）",
    "projects[].funds": "资金情况：当年财政拨款 fiscal、上年结转 carry、其他资金 other、合计 total",
    "projects[].goal": "预期目标",
    "projects[].achieved": "实际完成情况",
    "projects[].note": "备注",
    "projects[].indicators": "该项目的绩效指标（“项目指标”表中此项目的行）",
    "projects[].score": "项目自评总分 = 预算执行率得分 + 指标得分",
    "projects[].weight": "项目总分值 = 预算执行率分值 + 指标分值",
    "projects[].row": "该项目在“项目”表中的行号",
    "projects_total": "全部项目合计（万元）",
    "projects_total.initial": "年初预算数合计",
    "projects_total.full": "全年预算数合计",
    "projects_total.exec": "全年执行数合计",
    "projects_total.prev_actual": "上年决算数合计",
    "score": "部门整体自评得分",
    "score.budget": "预算执行率得分",
    "score.indicators": "绩效指标得分合计",
    "score.total": "自评总分 = 预算执行率得分 + 绩效指标得分",
    "score.weight_total": "总分值 = 预算执行率分值 + 绩效指标分值",
    "texts": "“文字内容”表的各段，按栏目分组；每个栏目是一个列表，一行一段",
    "text": "“文字内容”表各栏目的全文（同一栏目各段直接相连）",
}

MEANING_ITEM = "列表中的每一项"
STAFF_ROWS = {"total": "合计", "admin": "行政编制", "worker": "机关工勤", "finance": "财政所", "institution": "事业编制"}
STAFF_KEYS = {"name": "名称", "established": "核定编制（个）", "actual": "实有人数（人）"}

FUND_SOURCES = {"fiscal": "当年财政拨款", "carry": "上年结转", "other": "其他资金", "total": "合计"}
FUND_KEYS = {"initial": "年初预算数", "full": "全年预算数", "exec": "全年执行数"}

INDICATOR_KEYS: dict[str, str] = {
    "groups": "一级指标（产出、效益、满意度……）的列表，按表中首次出现的顺序",
    "rows": "全部三级指标，按表中顺序，带表格合并用的标记",
    "output": "一级指标“产出指标”（没有时为空）",
    "benefit": "一级指标“效益指标”（没有时为空）",
    "satisfaction": "一级指标“满意度指标”（没有时为空）",
    "count": "三级指标个数",
    "unmet": "未完成（未达到年度指标值）的三级指标",
    "unmet_count": "未完成的三级指标个数",
    "weight": "指标分值合计",
    "score": "指标得分合计",
    "entered": "手工评分的三级指标",
}
LEVEL1_KEYS = {
    "name": "一级指标名称",
    "groups": "其下的二级指标列表",
    "weight": "分值合计",
    "score": "得分合计",
    "size": "其下三级指标个数（表格中纵向合并的行数）",
}
LEVEL2_KEYS = {
    "name": "二级指标名称",
    "entries": "其下的三级指标列表",
    "weight": "分值合计",
    "score": "得分合计",
    "size": "其下三级指标个数",
    "target_sentence": "年度目标的汇总句，如“A，B均为100%。”（可在句子覆盖中以“二级指标（目标）”改写）",
    "actual_sentence": "完成情况的汇总句（可在句子覆盖中以“二级指标（完成）”改写）",
}
ITEM_KEYS = {
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标名称",
    "project": "所属项目名称（项目指标）；部门整体指标为空",
    "op": "比较方式：eq 等于、ge 不低于、gt 超过、le 不超过、lt 低于；定性指标为空",
    "comparator": "“比较”列原样（如 ≥、以上）；未填为空",
    "phrase": "比较的写法，{v} 处为指标值（内部使用）",
    "unit": "单位（如 次、个、%）",
    "target": "年度指标值：数字（百分数为小数，如 0.95）或文字",
    "actual": "实际完成值：数字或文字",
    "target_value_text": "年度指标值连单位的写法，如“95%”",
    "target_text": "年度指标值连比较的写法，如“≥95%”“在90%以上”",
    "actual_text": "实际完成值连单位的写法，如“85%”",
    "weight": "分值",
    "score": "得分（手工得分优先）",
    "computed_score": "按规则计算的得分（不论是否手工评分）",
    "score_entered": "是否手工评分",
    "score_method": "评分方式：公式、评价等级、定性或手工评分",
    "band": "评价等级：达成 / 部分达成 / 未达成；未填为空",
    "met": "是否完成年度指标值",
    "reason": "偏差原因分析及改进措施",
    "source": "核对数据（审核用）",
    "row": "所在工作表的行号",
    "l1_first": "是否为其一级指标下的第一行（表格纵向合并：{% vmerge row.l1_first %}）",
    "l2_first": "是否为其二级指标下的第一行（{% vmerge row.l2_first %}）",
    "l1_size": "其一级指标下的三级指标个数",
    "l2_size": "其二级指标下的三级指标个数",
}

_ITEM_PARENT = re.compile(r"(?:^|\.)(rows|entries|unmet|entered)\[\]$")
_L2_PARENT = re.compile(r"(?:groups\[\]\.groups\[\]|(?:output|benefit|satisfaction)\.groups\[\])$")
_L1_PARENT = re.compile(r"(?:(?:^|\.)indicators\.groups\[\]|\.(?:output|benefit|satisfaction))$")
_IND_PARENT = re.compile(r"(?:^|\.)indicators$")


@functools.lru_cache(maxsize=1)
def _schema_meanings() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in schema.FINANCE.fields:
        out[f"finance.{f.key}"] = f"{f.label}（{f.unit}）" if f.unit else f.label
    for sheet, prefix in ((schema.SANGONG, "sangong"), (schema.BASE_DATA, "base_data")):
        for r in sheet.rows:
            out[f"{prefix}.{r.key}"] = f"{r.label}：{'、'.join(c.label for c in sheet.columns)}（{sheet.unit}）"
            for c in sheet.columns:
                out[f"{prefix}.{r.key}.{c.key}"] = f"{r.label}（{c.label}，{sheet.unit}）"
    for c in schema.PERIOD_COLUMNS:
        out[f"sangong.{c.key}"] = f"三公经费{c.label}，按项目分列（元）"
        for r in schema.SANGONG_ROWS:
            out[f"sangong.{c.key}.{r.key}"] = f"{r.label}（{c.label}，元）"
    for f in schema.OTHER.fields:
        out[f"other.{f.key}"] = (f"{f.label}（{f.unit}）" if f.unit else f.label) + ("（本年完工项目；没有则为空）"
                                                                                 if f.key.startswith("building") else "")
    for key, label in schema.TEXT_SECTIONS.items():
        out[f"texts.{key}"] = f"“{label}”栏目的各段（列表，一行一段）"
        out[f"texts.{key}[].title"] = "小标题（未填为空）"
        out[f"texts.{key}[].text"] = "内容（占位符已填入数据）"
        out[f"text.{key}"] = f"“{label}”栏目的全文（各段相连）"
    for key, label in STAFF_ROWS.items():
        out[f"staff.{key}"] = f"“{label}”行"
        for k, word in STAFF_KEYS.items():
            out[f"staff.{key}.{k}"] = f"{label}：{word}"
    for k, word in STAFF_KEYS.items():
        out[f"staff.subunits[].{k}"] = f"该事业单位的{word}"
    for source, word in FUND_SOURCES.items():
        out[f"projects[].funds.{source}"] = f"{word}：年初预算数、全年预算数、全年执行数（万元）"
        for key, what in FUND_KEYS.items():
            out[f"projects[].funds.{source}.{key}"] = f"{word}{what}（万元）"
    out["projects[].funds.total.rate"] = "项目预算执行率 = 执行数合计 ÷ 全年预算数合计（小数）"
    out["projects[].funds.total.score"] = "项目预算执行率得分"
    out["projects[].funds.total.weight"] = "项目预算执行率分值（10 分）"
    return out


def meaning(path: str) -> str | None:
    """The Chinese meaning of a context path (``[]`` marks the items of a list), or None."""
    if path in MEANINGS:
        return MEANINGS[path]
    derived = _schema_meanings()
    if path in derived:
        return derived[path]
    parent, _, key = path.rpartition(".")
    if _ITEM_PARENT.search(parent):
        return ITEM_KEYS.get(key)
    if _L2_PARENT.search(parent):
        return LEVEL2_KEYS.get(key)
    if _L1_PARENT.search(parent):
        return LEVEL1_KEYS.get(key)
    if _IND_PARENT.search(parent):
        return INDICATOR_KEYS.get(key)
    return None


# ---------------------------------------------------------------------------- walking the context


@dataclass(frozen=True)
class Row:
    path: str
    kind: str
    meaning: str
    example: str
    same_as: str | None = None


def _representative(items: list[Any]) -> Any:
    """One item for a list: the first item's values, with keys any other item has added."""
    first = items[0]
    if isinstance(first, dict):
        merged = merge_items(items)
        return {k: first[k] if k in first and first[k] not in (None, [], "") else merged[k] for k in merged}
    return first


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "是/否"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, Decimal):
        return "数字"
    if isinstance(value, (dt.date, dt.datetime)):
        return "日期"
    if isinstance(value, str):
        return "文字"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "对象"
    return "—"


def _example(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if len(text) <= 14 else text[:13] + "…"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            joined = "、".join(value)
            return f"{len(value)} 项：" + (joined if len(joined) <= 24 else joined[:23] + "…")
        return f"{len(value)} 项"
    if isinstance(value, dict):
        return ""
    text = str(value).replace("\n", " ")
    return text if len(text) <= 24 else text[:23] + "…"


def _signature(value: Any) -> Any:
    if isinstance(value, dict):
        return ("d", tuple((k, _signature(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("l", _signature(_representative(value)) if value else None)
    return "s"


def _compatible(a: Any, b: Any) -> bool:
    """Same shape; an empty list (unknown items) matches any list."""
    if a == b:
        return True
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
        if a[0] == "l":
            return a[1] is None or b[1] is None or _compatible(a[1], b[1])
        if a[0] == "d":
            return len(a[1]) == len(b[1]) and all(ka == kb and _compatible(sa, sb)
                                                  for (ka, sa), (kb, sb) in zip(a[1], b[1]))
    return False


def _size(sig: Any) -> int:
    if isinstance(sig, tuple) and sig[0] == "d":
        return sum(1 + _size(s) for _, s in sig[1])
    if isinstance(sig, tuple) and sig[0] == "l":
        return 1 + _size(sig[1])
    return 0


def rows(ctx: dict[str, Any]) -> list[Row]:
    """Every variable of ``ctx`` in order; larger repeated structures point at their first occurrence."""
    out: list[Row] = []
    seen: list[tuple[Any, str]] = []
    missing: list[str] = []

    def add(path: str, value: Any, same_as: str | None = None) -> None:
        if path.endswith("[]") and same_as is None:
            return  # the list's own row describes it; its items' fields follow
        text = MEANING_ITEM if path.endswith("[]") else meaning(path)
        if text is None:
            missing.append(path)
            text = ""
        out.append(Row(path, _kind(value), text, _example(value), same_as))

    def walk(path: str, value: Any) -> None:
        if isinstance(value, dict):
            if path:
                sig = _signature(value)
                if _size(sig) >= 8:
                    earlier = next((p for s, p in seen if _compatible(s, sig)), None)
                    if earlier:
                        add(path, value, same_as=earlier)
                        return
                    seen.append((sig, path))
                add(path, value)
            for key, item in value.items():
                walk(f"{path}.{key}" if path else key, item)
        elif isinstance(value, list):
            add(path, value)
            if value and isinstance(value[0], dict):
                walk(path + "[]", _representative(value))
        else:
            add(path, value)

    walk("", ctx)
    if missing:
        raise LookupError("context variables without a meaning in generator/fieldref.py: " + ", ".join(missing))
    return out


def variable_list(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, meaning) of every variable, for ``--template-check``."""
    return [(r.path, r.meaning + (f"（结构同 {r.same_as}）" if r.same_as else "")) for r in rows(ctx)]


# ---------------------------------------------------------------------------- the document


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def filter_rows(ctx: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(name, description, usage, example result) of every filter; the usage is rendered with the example."""
    from .render import make_env

    missing = [name for name in FILTERS if name not in FILTER_DOCS]
    if missing:
        raise LookupError("filters without FILTER_DOCS: " + ", ".join(missing))
    env = make_env()
    extra = {"x": Decimal("1234.5"), "loop": {"index": 3}}
    out = []
    for name in FILTERS:
        description, usage = FILTER_DOCS[name]
        result = env.from_string(usage).render({**ctx, **extra})
        out.append((name, description, usage, result))
    return out


def document() -> str:
    from . import example

    ctx = example.context()
    lines = [
        "# 模板变量与过滤器参考",
        "",
        "<!-- 本文件由 `python -m generator.fieldref > docs/fields.md` 从代码生成，请勿手工修改；"
        "测试会核对它与代码一致。 -->",
        "",
        f"报告模板（`templates/…/report.docx`）中可以使用的全部变量和过滤器。示例值取自示例工作簿"
        f"（{example.BASIC['unit_name']}，{example.YEAR}年）。",
        "",
        "用法要点：",
        "",
        "- 变量写作 `{{ unit.name }}`，带过滤器写作 `{{ finance.assets_total|wan }}`。标签前后留一个空格。",
        "- `[]` 表示列表中的每一项，用循环取用：整段循环 `{%p for d in texts.duties %}` … `{%p endfor %}`"
        "（标签单独占一段），表格行循环 `{%tr for row in indicators.rows %}` … `{%tr endfor %}`，"
        "段内循环 `{% for s in staff.subunits %}…{% endfor %}`。循环中可用 `loop.index`（从 1 起）、`loop.first`、`loop.last`。",
        "- 条件：`{% if finance.income_special %}…{% endif %}`；整段条件用 `{%p if … %}`。",
        "- 表格中纵向合并：在单元格中写 `{% vmerge row.l1_first %}`，条件为真的行开始合并，其余行并入上一格。",
        "- 金额、百分数请用下面的过滤器格式化（四舍五入同 Excel）。比率类变量是小数（如 0.9053），用 `|pct` 显示为 90.53%。",
        "- 标有“结构同 …”的变量，其下一级与所指变量相同。",
        "- 改好模板后先检查：`generate --year 年度 --template-check 模板路径`，它会列出未知变量、错误标签和不安全写法及所在段落。",
        "",
        "## 过滤器",
        "",
        "| 过滤器 | 说明 | 用法 | 示例结果 |",
        "|---|---|---|---|",
    ]
    for name, description, usage, result in filter_rows(ctx):
        lines.append(f"| `{name}` | {_cell(description)} | `{_cell(usage)}` | {_cell(result)} |")
    lines += ["", "此外可以使用 Jinja 自带的过滤器，如 `join('、')`、`length`、`default('无')`、`first`、`last`、`sum`。", ""]
    lines += ["## 变量"]
    current = None
    for r in rows(ctx):
        top = r.path.split(".")[0].split("[")[0]
        if top != current:
            current = top
            lines += ["", f"### {top}", "", "| 变量 | 类型 | 含义 | 示例值 |", "|---|---|---|---|"]
        text = r.meaning + (f"（结构同 `{r.same_as}`）" if r.same_as else "")
        lines.append(f"| `{r.path}` | {r.kind} | {_cell(text)} | {_cell(r.example)} |")
    lines += ["", "## 文字内容中的占位符", "",
              "“文字内容”表的“内容”中可写下列占位符（花括号括起），生成时填入数据：", "",
              "| 占位符 | 对应变量 |", "|---|---|"]
    for name, (path, _kind_) in schema.PLACEHOLDERS.items():
        lines.append(f"| `{{{name}}}` | `{path}` |")
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.reconfigure(encoding="utf-8")
    sys.stdout.write(document())


if __name__ == "__main__":
    main()
