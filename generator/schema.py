"""The workbook schema: every sheet, row label, column header and field type.

This is the single description of the clerk's workbook. The reader locates
cells by it, the validator types values by it, the workbook writer lays out
new workbooks (the example and ``--init``) by it, and the field reference in
``docs/`` is generated from it. Keys are English identifiers used in code and
templates; labels are the Chinese text the clerk sees in the workbook.

Field kinds:
    text      one-line text            longtext  text that may hold line breaks
    count     whole number (个/人)      year      a four-digit year
    wan       money in 万元              yuan      money in 元
    area      square metres (㎡)         date      a date
    percent   an Excel percentage (0.95 shown as 95%)
    value     an indicator value: a number (in the row's unit) or a text
    choice    one of ``choices``
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"
    unit: str = ""
    required: bool = True
    help: str = ""
    choices: tuple[str, ...] = ()
    width: int = 14  # column width when the field is a table column


@dataclass(frozen=True)
class FieldsSheet:
    """One field per row: label in column A, value in column B."""

    name: str
    title: str
    fields: tuple[Field, ...]

    kind = "fields"


@dataclass(frozen=True)
class GridSheet:
    """Fixed row labels (column A) against fixed column headers (row 2)."""

    name: str
    title: str
    rows: tuple[Field, ...]  # key, label, required; kind/unit taken from the sheet
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


HEADER_ROW = 2  # row of column headers in every sheet; row 1 holds the sheet title
FIRST_DATA_ROW = 3

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

BASIC = FieldsSheet(
    "基本信息",
    "基本信息（黄色格子为填写项）",
    (
        Field("year", "年度", "year", "年", help="报告所属年度，例如 2024"),
        Field("unit_name", "单位全称", help="如：桃源县郑家驿镇人民政府；用于标题、封面和附表"),
        Field("unit_short", "单位简称", help="正文“XX内设机构X个”处使用，如：郑家驿镇政府"),
        Field("area_name", "辖区名称", help="正文“XX核定编制X个”处使用，如：郑家驿镇"),
        Field("unit_rank", "单位性质及级别", help="如：正科级行政机关"),
        Field("address", "办公地址"),
        Field("report_date", "报告日期", "date", help="封面日期，输入为日期格式，如 2025/9/15"),
        Field("internal_count", "内设机构个数", "count", "个", help="对外公布的内设机构数；名单填在“机构”表"),
        Field("subunit_summary", "下设机构概述", required=False,
              help="可不填：留空时按“机构”表自动生成，如“3中心1站1队”"),
        Field("competent_dept", "主管部门", required=False, help="项目支出绩效自评表的“主管部门”默认值"),
    ),
)

ORGS = TableSheet(
    "机构",
    "内设机构与下设机构名单",
    (
        Field("type", "类型", "choice", choices=("内设机构", "下设机构"), width=12),
        Field("name", "名称", width=50),
    ),
    min_rows=1,
)

STAFF_CATEGORIES = ("合计", "行政编制", "机关工勤", "财政所", "事业编制", "事业单位")
STAFF = TableSheet(
    "人员编制",
    "人员编制（截至年底；“事业单位”行每个下属事业单位一行）",
    (
        Field("category", "类别", "choice", choices=STAFF_CATEGORIES, width=12),
        Field("name", "名称", width=30, required=False),
        Field("established", "核定编制", "count", "个"),
        Field("actual", "实有人数", "count", "人"),
    ),
    min_rows=5,
)

FINANCE = FieldsSheet(
    "财务",
    "资产与预算收支（单位：万元）",
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
        Field("income_special", "纳入专户管理的非税收入拨款", "wan", "万元", required=False),
        Field("income_other", "其他收入", "wan", "万元"),
        Field("carry_in", "上年结转", "wan", "万元"),
        Field("exp_budget", "年初预算支出", "wan", "万元"),
        Field("exp_budget_basic", "年初预算基本支出", "wan", "万元"),
        Field("exp_budget_project", "年初预算项目支出", "wan", "万元"),
        Field("budget_full_year", "全年预算数（调整后）", "wan", "万元",
              help="年初预算加减年中调整后的全年预算；预算调整额、调整率、执行率由此计算"),
        Field("exp_total", "决算支出", "wan", "万元"),
        Field("exp_basic", "决算基本支出", "wan", "万元"),
        Field("exp_project", "决算项目支出", "wan", "万元"),
        Field("carry_out", "年末结转结余", "wan", "万元"),
        Field("exp_project_prev", "上年项目支出决算数", "wan", "万元", required=False,
              help="基础数据表“项目支出”行的上年决算数"),
    ),
)

SANGONG_ROWS = (
    Field("total", "三公经费合计"),
    Field("vehicle", "公务用车购置和维护经费"),
    Field("vehicle_purchase", "其中：公车购置"),
    Field("vehicle_running", "其中：公车运行维护"),
    Field("abroad", "出国经费"),
    Field("reception", "公务接待"),
)
PERIOD_COLUMNS = (
    Field("prev_actual", "上年决算数"),
    Field("budget", "本年预算数"),
    Field("actual", "本年决算数"),
)
SANGONG = GridSheet("三公经费", "“三公”经费（单位：元）", SANGONG_ROWS, PERIOD_COLUMNS, "yuan", "元")

BASE_DATA = GridSheet(
    "基础数据",
    "基础数据表补充数据（单位：万元；空格按0计）",
    (
        Field("public", "公用经费", required=False),
        Field("office", "其中：办公经费", required=False),
        Field("utilities", "其中：水费、电费、差旅费", required=False),
        Field("meetings", "其中：会议费、培训费", required=False),
        Field("procurement", "政府采购金额", required=False),
    ),
    PERIOD_COLUMNS,
    "wan",
    "万元",
)

OTHER = FieldsSheet(
    "楼堂馆所及节约",
    "楼堂馆所控制情况（本年完工项目）与厉行节约保障措施；没有则留空",
    (
        Field("building_approved_area", "批复规模", "area", "㎡", required=False),
        Field("building_actual_area", "实际规模", "area", "㎡", required=False),
        Field("building_budget", "预算投资", "wan", "万元", required=False),
        Field("building_actual_invest", "实际投资", "wan", "万元", required=False),
        Field("frugality", "厉行节约保障措施", "longtext", required=False),
    ),
)

INDICATOR_COLUMNS = (
    Field("level1", "一级指标", width=11),
    Field("level2", "二级指标", width=14),
    Field("name", "三级指标", width=36),
    Field("comparator", "比较", "comparator", required=False, width=7,
          help="=、≥、≤、>、<，或“达到”“超过”“以上”等；定性指标留空"),
    Field("target", "年度指标值", "value", width=12),
    Field("actual", "实际完成值", "value", width=12),
    Field("unit", "单位", required=False, width=8, help="如 次、个、%、万元；百分数请输入为 95%"),
    Field("weight", "分值", "score", width=7),
    Field("band", "评价等级", "choice", required=False, choices=tuple(BANDS), width=10,
          help="定性指标填写：达成 / 部分达成 / 未达成"),
    Field("manual_score", "手工得分", "score", required=False, width=9,
          help="填写后以此为准，并在自评表中标注“手工评分”"),
    Field("reason", "偏差原因分析及改进措施", "longtext", required=False, width=40),
    Field("source", "核对数据", required=False, width=14,
          help="可选：此指标实际值应等于的数据名称（见“填写说明”），审核时比对"),
)

INDICATORS = TableSheet("绩效指标", "部门整体支出绩效指标（一行一个三级指标）", INDICATOR_COLUMNS, min_rows=1)

PROJECTS = TableSheet(
    "项目",
    "项目支出（一行一个项目；单位：万元）",
    (
        Field("name", "项目名称", width=30),
        Field("department", "主管部门", required=False, width=20),
        Field("implementer", "实施单位", required=False, width=20),
        Field("prev_actual", "上年决算数", "wan", "万元", required=False),
        Field("initial_fiscal", "年初预算-当年财政拨款", "wan", "万元"),
        Field("initial_carry", "年初预算-上年结转", "wan", "万元", required=False),
        Field("initial_other", "年初预算-其他资金", "wan", "万元", required=False),
        Field("full_fiscal", "全年预算-当年财政拨款", "wan", "万元"),
        Field("full_carry", "全年预算-上年结转", "wan", "万元", required=False),
        Field("full_other", "全年预算-其他资金", "wan", "万元", required=False),
        Field("exec_fiscal", "全年执行-当年财政拨款", "wan", "万元"),
        Field("exec_carry", "全年执行-上年结转", "wan", "万元", required=False),
        Field("exec_other", "全年执行-其他资金", "wan", "万元", required=False),
        Field("goal", "预期目标", "longtext", width=40),
        Field("achieved", "实际完成情况", "longtext", width=40),
        Field("note", "备注", required=False, width=20),
    ),
)

PROJECT_INDICATORS = TableSheet(
    "项目指标",
    "项目支出绩效指标（“项目名称”须与“项目”表一致）",
    (Field("project", "项目名称", width=24),) + INDICATOR_COLUMNS[:-1],
)

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
    "报告文字（一行一段；“内容”中可用 {预算调整} 等占位符引用数据，见“填写说明”）",
    (
        Field("section", "栏目", "choice", choices=tuple(TEXT_SECTIONS.values()), width=16),
        Field("title", "小标题", required=False, width=22),
        Field("text", "内容", "longtext", width=90),
    ),
    min_rows=1,
)

# Sentences the generator writes from figures; each may be overridden.
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
        Field("sentence", "句子", width=28),
        Field("override", "覆盖内容", "longtext", required=False, width=80),
    ),
)

SHEETS = (BASIC, ORGS, STAFF, FINANCE, SANGONG, BASE_DATA, OTHER, INDICATORS, PROJECTS,
          PROJECT_INDICATORS, TEXTS, OVERRIDES)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
REQUIRED_SHEETS = tuple(s.name for s in SHEETS if s.name not in ("项目", "项目指标", "句子覆盖", "楼堂馆所及节约", "基础数据"))
INSTRUCTIONS_SHEET = "填写说明"

# Placeholders a clerk may write inside texts of the 文字内容 sheet, e.g.
# "全年预算调整{预算调整}万元". Each names a context path and a format.
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "年度": ("year", "plain"),
    "上年度": ("prev_year", "plain"),
    "单位全称": ("unit.name", "plain"),
    "年初预算数": ("budget.initial", "wan"),
    "全年预算数": ("budget.full_year", "wan"),
    "预算调整": ("budget.adjustment", "wan"),
    "预算调整率": ("budget.adjustment_rate", "pct"),
    "决算支出": ("budget.executed", "wan"),
    "执行率": ("budget.execution_rate", "pct"),
    "预算结余": ("budget.balance", "wan"),
    "基本支出": ("finance.exp_basic", "wan"),
    "项目支出": ("finance.exp_project", "wan"),
    "三公经费本年": ("sangong.actual.total", "yuan"),
    "三公经费上年": ("sangong.prev_actual.total", "yuan"),
    "自评分": ("score.total", "score"),
}
