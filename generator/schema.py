"""The workbook schema: every sheet, label, column and field kind, and the names templates use.

This is the single description of the clerk's workbook. The reader locates
cells by it, the validator types values by it, the workbook builder lays out
new workbooks (the example, ``generate init``, ``generate new-unit``) by it, and the field
reference (``docs/fields.md``, the 模板字段 sheet) is generated from it.

A template names a value by the workbook's own words: the sheet and the label
(``财务.资产总额``, ``基本信息.单位全称``, ``三公经费.本年决算.公务接待``). The
English identifier of a field (``Field.key``) is kept as an alias, so templates
written with the English names (``finance.assets_total``) render the same.

Field kinds:
    text      one-line text            longtext  text that may hold line breaks
    count     whole number (个/人)      year      a four-digit year
    wan       money in 万元              yuan      money in 元
    area      square metres (㎡)         date      a date
    percent   an Excel percentage (0.95 shown as 95%)
    value     an indicator value: a number (in the row's unit) or a text
    score     points (分)                choice    one of ``choices``
    comparator  an indicator comparison (``COMPARATORS``)
    fact      a free fact's value: a number or a phrase
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str  # English identifier: the alias in templates, and the key in code
    label: str  # the Chinese label the clerk sees in the workbook
    kind: str = "text"
    unit: str = ""
    required: bool = False  # needed whatever the template uses (the unit's identity, a row's own name)
    help: str = ""
    choices: tuple[str, ...] = ()
    width: int = 14  # column width when the field is a table column
    name: str = ""  # the template name, when it differs from the label

    @property
    def zh(self) -> str:
        """The name a template uses for this field: the label, without a leading “其中：”."""
        return self.name or name_of(self.label)


@functools.lru_cache(maxsize=4096)
def name_of(label: str) -> str:
    """A label as a template name: without a leading “其中：” and without punctuation (“水费、电费” → “水费电费”)."""
    return re.sub(r"[^\w]", "", re.sub(r"^其中[：:]\s*", "", label))


@dataclass(frozen=True)
class FieldsSheet:
    """One field per row: label in column A, value in column B."""

    name: str
    title: str
    fields: tuple[Field, ...]

    kind = "fields"


@dataclass(frozen=True)
class GridSheet:
    """Fixed row labels (column A) against fixed column headers (row 2); template names are 表.列.行."""

    name: str
    title: str
    rows: tuple[Field, ...]
    columns: tuple[Field, ...]
    cell_kind: str
    unit: str

    kind = "grid"


@dataclass(frozen=True)
class TableSheet:
    """A header row (row 2) and one record per row below it."""

    name: str
    title: str
    columns: tuple[Field, ...]
    min_rows: int = 0

    kind = "table"

    def column(self, key: str) -> Field:
        return next(f for f in self.columns if f.key == key)


HEADER_ROW = 2  # row of column headers in every sheet; row 1 holds the sheet title
FIRST_DATA_ROW = 3
REPORT_TITLE = "整体支出绩效自评报告"  # the default of 基本信息 › 报告标题

# Indicator comparison words a clerk may type, with their meaning and wording.
# ``{v}`` is the value with its unit. An empty comparison means "=" for numbers
# and a qualitative (text) indicator otherwise.
COMPARATORS: dict[str, tuple[str, str]] = {
    "=": ("eq", "{v}"),
    "＝": ("eq", "{v}"),
    "为": ("eq", "{v}"),
    "≥": ("ge", "≥{v}"),
    ">=": ("ge", "≥{v}"),
    "≤": ("le", "≤{v}"),
    "<=": ("le", "≤{v}"),
    ">": ("gt", ">{v}"),
    "＞": ("gt", ">{v}"),
    "<": ("lt", "<{v}"),
    "＜": ("lt", "<{v}"),
    "达到": ("ge", "达到{v}"),
    "不低于": ("ge", "不低于{v}"),
    "不少于": ("ge", "不少于{v}"),
    "以上": ("ge", "在{v}以上"),
    "超过": ("gt", "超过{v}"),
    "多于": ("gt", "多于{v}"),
    "不超过": ("le", "不超过{v}"),
    "不高于": ("le", "不高于{v}"),
    "以下": ("le", "在{v}以下"),
    "低于": ("lt", "低于{v}"),
    "少于": ("lt", "少于{v}"),
}

# Qualitative bands (formats.md §4.3) and the share of the weight each gives
# when no score is entered by hand. A hand-entered score must fall in its band.
BANDS: dict[str, tuple[str, str, str]] = {
    # band: (default share, lowest share, highest share)
    "达成": ("1", "0.8", "1"),
    "部分达成": ("0.5", "0.5", "0.8"),
    "未达成": ("0", "0", "0.5"),
}

LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"
LEVEL2_QUANTITY = "数量指标"

# The national indicator vocabulary (财预〔2020〕10号 附件; 成本指标 as a 一级指标 from the
# 2021 framework): 一级指标 → its 二级指标.
VOCABULARY: dict[str, tuple[str, ...]] = {
    LEVEL1_OUTPUT: ("数量指标", "质量指标", "时效指标", "成本指标"),
    LEVEL1_BENEFIT: ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    LEVEL1_SATISFACTION: ("服务对象满意度指标",),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}
LEVEL1_WEIGHTS = {LEVEL1_OUTPUT: 50, LEVEL1_BENEFIT: 30, LEVEL1_SATISFACTION: 10}
BUDGET_WEIGHT = 10  # 预算执行率 points; the indicators carry the other 90

# Staff rows: the kind of a 人员编制 row (column 类型; blank is 编制类别).
STAFF_KINDS = ("编制类别", "下属单位", "人员类别")

# ---------------------------------------------------------------------------- the sheets

BASIC = FieldsSheet(
    "基本信息",
    "基本信息（黄色格子为填写项）",
    (
        Field("year", "年度", "year", "年", required=True, help="报告所属年度，例如 2024"),
        Field("name", "单位全称", required=True, help="如：桃源县郑家驿镇人民政府；用于标题、封面、附表和文件名"),
        Field("short_name", "单位简称", help="正文中称呼本单位时使用，如：郑家驿镇政府"),
        Field("area_name", "辖区名称", help="如：郑家驿镇"),
        Field("rank", "单位性质及级别", help="如：正科级行政机关"),
        Field("address", "办公地址"),
        Field("report_date", "报告日期", "date", help="封面日期，输入为日期格式，如 2025/9/15"),
        Field("title", "报告标题", help="可不填：默认为“" + REPORT_TITLE + "”；如“部门整体支出绩效自评报告”“部门绩效自评报告”。"
                                          "报告标题为 年度 + 单位全称 + 本项，文件名相同"),
        Field("competent_dept", "主管部门", help="项目支出绩效自评表的“主管部门”默认值；不填则为单位全称"),
        Field("filler", "填报人", help="审核清单中注明"),
        Field("phone", "联系电话", help="审核清单中注明"),
        Field("reviewer", "审核人", help="审核清单中注明"),
    ),
)

ORGS = TableSheet(
    "机构",
    "机构名单（一行一个机构；“分组”可为 内设机构、下设机构、派驻机构、直属事业单位 等任意名称）",
    (
        Field("group", "分组", required=True, width=14, help="如 内设机构、下设机构、派驻机构、执法机构、直属事业单位"),
        Field("name", "名称", required=True, width=46),
        Field("stated", "公布个数", "count", "个", width=10,
              help="可不填：对外公布的该组机构个数，只在该组任意一行填写一次；与名单个数不同时审核会指出"),
        Field("summary", "概述", width=16, help="可不填：如“3中心1站1队”；不填时按名单自动生成"),
    ),
)

STAFF = TableSheet(
    "人员编制",
    "人员编制（截至年底；一行一个类别，“上级”填该行所属的类别，审核时核对下级之和）",
    (
        Field("category", "类别", required=True, width=24,
              help="任意名称，如 合计、行政编制、事业编制、全额拨款事业编制、执行公务员津补贴人员、财政所、某中心"),
        Field("parent", "上级", width=16, help="可不填：该行是哪一类别的组成部分（如“事业编制”下的各中心）；填写后审核核对下级之和"),
        Field("kind", "类型", "choice", choices=STAFF_KINDS, width=12,
              help="可不填（默认编制类别）；下属单位 = 下属事业单位等机构；人员类别 = 按待遇等划分的人数，可不填编制"),
        Field("established", "核定编制", "count", "个", width=12),
        Field("actual", "实有人数", "count", "人", width=12),
        Field("note", "备注", width=24),
    ),
)

FINANCE = FieldsSheet(
    "财务",
    "资产与预算收支（单位：万元；报告用到哪一项就填哪一项）",
    (
        Field("assets_total", "资产总额", "wan", "万元"),
        Field("assets_current", "流动资产", "wan", "万元"),
        Field("assets_noncurrent", "非流动资产", "wan", "万元"),
        Field("liabilities", "负债总额", "wan", "万元"),
        Field("net_assets", "净资产总额", "wan", "万元"),
        Field("income_budget", "年初预算收入", "wan", "万元"),
        Field("income_total", "决算收入", "wan", "万元"),
        Field("income_general", "一般公共预算拨款", "wan", "万元"),
        Field("income_fund", "政府性基金预算财政拨款收入", "wan", "万元"),
        Field("income_state_capital", "国有资本经营预算财政拨款收入", "wan", "万元"),
        Field("income_special", "纳入专户管理的非税收入拨款", "wan", "万元"),
        Field("income_other", "其他收入", "wan", "万元"),
        Field("carry_in", "上年结转", "wan", "万元"),
        Field("exp_budget", "年初预算支出", "wan", "万元"),
        Field("exp_budget_basic", "年初预算基本支出", "wan", "万元"),
        Field("exp_budget_project", "年初预算项目支出", "wan", "万元"),
        Field("budget_full_year", "全年预算数", "wan", "万元",
              help="年初预算加减年中调整后的全年预算（调整后）；预算调整额、调整率、执行率由此计算"),
        Field("exp_total", "决算支出", "wan", "万元"),
        Field("exp_basic", "决算基本支出", "wan", "万元"),
        Field("exp_project", "决算项目支出", "wan", "万元"),
        Field("carry_out", "年末结转结余", "wan", "万元"),
        Field("exp_project_prev", "上年项目支出决算数", "wan", "万元", help="基础数据表“项目支出”行的上年决算数"),
    ),
)

PERIOD_COLUMNS = (
    Field("prev_actual", "上年决算"),
    Field("budget", "本年预算"),
    Field("actual", "本年决算"),
)
SANGONG_ROWS = (
    Field("total", "合计"),
    Field("vehicle", "公务用车购置和维护经费"),
    Field("vehicle_purchase", "其中：公车购置"),
    Field("vehicle_running", "其中：公车运行维护"),
    Field("abroad", "出国经费"),
    Field("reception", "公务接待"),
)
SANGONG = GridSheet("三公经费", "“三公”经费（单位：元）", SANGONG_ROWS, PERIOD_COLUMNS, "yuan", "元")

BASE_DATA = GridSheet(
    "基础数据",
    "基础数据表补充数据（单位：万元）",
    (
        Field("public", "公用经费"),
        Field("office", "其中：办公经费"),
        Field("utilities", "其中：水费、电费、差旅费"),
        Field("meetings", "其中：会议费、培训费"),
        Field("procurement", "政府采购金额"),
    ),
    PERIOD_COLUMNS,
    "wan",
    "万元",
)

OTHER = FieldsSheet(
    "楼堂馆所及节约",
    "楼堂馆所控制情况（本年完工项目）与厉行节约保障措施；没有则留空",
    (
        Field("building_approved_area", "批复规模", "area", "㎡"),
        Field("building_actual_area", "实际规模", "area", "㎡"),
        Field("building_budget", "预算投资", "wan", "万元"),
        Field("building_actual_invest", "实际投资", "wan", "万元"),
        Field("frugality", "厉行节约保障措施", "longtext"),
    ),
)

INDICATOR_COLUMNS = (
    Field("level1", "一级指标", required=True, width=11, help="产出指标、效益指标、满意度指标"),
    Field("level2", "二级指标", required=True, width=14, help="如 数量指标、质量指标、时效指标、成本指标、社会效益指标"),
    Field("name", "三级指标", required=True, width=36),
    Field("comparator", "比较", "comparator", width=7,
          help="=、≥、≤、>、<，或“达到”“超过”“以上”等；定性指标留空"),
    Field("target", "年度指标值", "value", width=12),
    Field("actual", "实际完成值", "value", width=12),
    Field("unit", "单位", width=8, help="如 次、个、%、万元；百分数请输入为 95%"),
    Field("weight", "分值", "score", width=7),
    Field("band", "评价等级", "choice", choices=tuple(BANDS), width=10,
          help="定性指标填写：达成 / 部分达成 / 未达成"),
    Field("manual_score", "手工得分", "score", width=9, help="填写后以此为准，并在自评表中标注“手工评分”"),
    Field("reason", "偏差原因分析及改进措施", "longtext", width=40),
    Field("source", "核对数据", width=14, help="可选：此指标实际值应等于的数据名称（如 预算.执行率），审核时比对"),
)

INDICATORS = TableSheet("绩效指标", "部门整体支出绩效指标（一行一个三级指标）", INDICATOR_COLUMNS)

FUND_SOURCES = (("fiscal", "当年财政拨款"), ("carry", "上年结转资金"), ("other", "其他资金"))
FUND_STAGES = (("initial", "年初预算"), ("full", "全年预算"), ("exec", "全年执行"))

PROJECTS = TableSheet(
    "项目",
    "项目支出（一行一个项目；单位：万元）",
    (
        Field("name", "项目名称", required=True, width=30),
        Field("department", "主管部门", width=20),
        Field("implementer", "实施单位", width=20),
        Field("prev_actual", "上年决算数", "wan", "万元"),
        *(Field(f"{stage}_{source}", f"{stage_zh}-{source_zh}", "wan", "万元")
          for stage, stage_zh in FUND_STAGES for source, source_zh in FUND_SOURCES),
        Field("goal", "预期目标", "longtext", width=40),
        Field("achieved", "实际完成情况", "longtext", width=40),
        Field("note", "备注", width=20),
    ),
)

PROJECT_INDICATORS = TableSheet(
    "项目指标",
    "项目支出绩效指标（“项目名称”须与“项目”表一致）",
    (Field("project", "项目名称", required=True, width=24),) + INDICATOR_COLUMNS[:-1],
)

# Text sections that have an English name in templates written before sections were open
# (``texts.duties``); any other 栏目 name is reached by its Chinese name only.
TEXT_SECTIONS: dict[str, str] = {
    "duties": "单位职责",
    "goals": "绩效总目标",
    "goals_achieved": "总体目标完成情况",
    "sangong_note": "三公经费说明",
    "evaluation_work": "评价工作情况",
    "benefits": "效益完成情况",
    "problems": "存在问题",
    "causes": "原因分析",
    "measures": "改进措施",
    "suggestions": "有关建议",
}
TEXTS = TableSheet(
    "文字内容",
    "报告文字（一行一段；“栏目”可以是任何名称，模板用 文字内容.栏目名 取用；“内容”中可用 {财务.资产总额} 等占位符引用数据）",
    (
        Field("section", "栏目", required=True, width=16),
        Field("title", "小标题", width=22),
        Field("text", "内容", "longtext", required=True, width=90),
    ),
)

FACT_YES_NO = "是否"
FACT_TYPES = ("数字", "文字", FACT_YES_NO)
FACTS = TableSheet(
    "概况数据",
    "概况数据（模板或文字中引用的其他数字和说法，如 村 31 个、人口 6万余人；模板用 概况数据.名称 取用）",
    (
        Field("name", "名称", required=True, width=20),
        Field("value", "数值", "fact", required=True, width=16),
        Field("unit", "单位", width=10),
        Field("type", "类型", "choice", choices=FACT_TYPES, width=8, help="可不填：按数值判断"),
        Field("note", "说明", width=40),
    ),
)

# Sentences the generator writes from figures; each may be overridden in 句子覆盖.
SENTENCES: dict[str, str] = {
    "subunit_summary": "下设机构概述",
    "sangong_conclusion": "三公经费增减结论",
    "sangong_items_actual": "本年三公经费构成",
    "sangong_items_prev": "上年三公经费构成",
}
OVERRIDES = TableSheet(
    "句子覆盖",
    "自动生成的句子如需改写，在“覆盖内容”填写；留空则自动生成",
    (
        Field("sentence", "句子", required=True, width=28),
        Field("override", "覆盖内容", "longtext", width=80),
    ),
)

SHEETS = (BASIC, ORGS, STAFF, FINANCE, SANGONG, BASE_DATA, OTHER, INDICATORS, PROJECTS,
          PROJECT_INDICATORS, TEXTS, FACTS, OVERRIDES)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
REQUIRED_SHEETS = ("基本信息",)  # every other sheet is needed only when the template uses what it holds
INSTRUCTIONS_SHEET = "填写说明"
FIELDS_SHEET = "模板字段"  # written by the tool: every name with its value; never read
NOT_READ = (INSTRUCTIONS_SHEET, FIELDS_SHEET)

MAX_TEXT_CHARS = 20_000  # one cell of text; a report paragraph is a few hundred characters


def field(sheet: FieldsSheet | TableSheet, zh: str) -> Field:
    fields = sheet.fields if isinstance(sheet, FieldsSheet) else sheet.columns
    return next(f for f in fields if f.zh == zh)


# Short placeholder names a clerk may write in 文字内容 (``{预算调整}``) besides full names
# (``{预算.调整额}``): short name → the full name.
PLACEHOLDER_ALIASES: dict[str, str] = {
    "年度": "年度",
    "上年度": "上年度",
    "单位全称": "基本信息.单位全称",
    "年初预算数": "预算.年初预算数",
    "全年预算数": "预算.全年预算数",
    "预算调整": "预算.调整额",
    "预算调整率": "预算.调整率",
    "决算支出": "预算.执行数",
    "执行率": "预算.执行率",
    "预算结余": "预算.结余",
    "基本支出": "财务.决算基本支出",
    "项目支出": "财务.决算项目支出",
    "三公经费本年": "三公经费.本年决算.合计",
    "三公经费上年": "三公经费.上年决算.合计",
    "自评分": "自评.总分",
}
