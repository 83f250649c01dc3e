"""One figure per concept (issue 13 item 3): wherever the report states a concept — in the body or in a
table, in 元 or in 万元, as a rate with two decimals or none — it states one value.

Every number the report shows for each concept below is collected from the places listed with it
(the body's sentences, 附件1 基础数据表, 附件2 整体支出绩效自评表, 附件3 项目支出绩效自评表), converted to the
concept's unit, and the values must agree: each one is the most precise of them rounded half-up to
its own decimals (85% beside 85.09% is one rate; 2826.24 beside 2826.23 is two figures).
"""

from __future__ import annotations

import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from conftest import REPORT_NAME, ROOT, paragraphs, run_cli, set_field, tables

WAN_PER_YUAN = Decimal("0.0001")
PER_CENT = Decimal("0.01")


class Shown:
    """The report read back: body text and tables, with the lookups the places below use."""

    def __init__(self, path: Path):
        self.body = "\n".join(paragraphs(path))
        self.tables = tables(path)

    def sentences(self, pattern: str) -> list[str]:
        return [m.group(1) for m in re.finditer(pattern, self.body)]

    def table(self, first: str, second: str | None = None) -> list[list[str]]:
        found = [t for t in self.tables if t[0][0] == first and (second is None or t[0][1] == second)]
        assert len(found) == 1, (first, second, len(found))
        return found[0]

    def grid(self, first: str, row: str, column: str, second: str | None = None) -> list[str]:
        """The cell of a table (found by its first cell) in the row labelled ``row``, under ``column``."""
        t = self.table(first, second)
        header = next(r for r in t if column in r)
        rows = [r for r in t if row in (c.strip("\u3000 ") for c in r)]
        return [r[header.index(column)] for r in rows if len(r) == len(header)]

    def labelled(self, first: str, label: str) -> list[str]:
        """Cells reading “label：value” in a table."""
        out = []
        for r in self.table(first):
            for c in dict.fromkeys(r):
                if c.startswith(label + "："):
                    out.append(c[len(label) + 1:])
        return out

    def indicator(self, name: str, column: str) -> list[str]:
        return self.grid("年度绩效指标", name, column)


# Places: (where, how to read the number(s) there, factor to the concept's unit)
def body(pattern: str, factor: Decimal = Decimal(1)):
    return (f"正文 /{pattern}/", lambda s: s.sentences(pattern), factor)


def cell(where: str, read, factor: Decimal = Decimal(1)):
    return (where, read, factor)


BASE = "经费控制情况（万元）"  # 附件1, the funds part
STAFF = "财政供养人员情况（人）"  # 附件1, the staff part
FORM = "预算部门、单位名称"  # 附件2, the budget part
PROJECT_NAMES = ("乡村振兴及人居环境整治项目", "农村基础设施建设项目", "基层治理与民生保障项目")

CONCEPTS: dict[str, list[tuple]] = {
    "决算收入（万元）": [
        body(r"决算收入(\d+\.\d+)万元"),
        cell("附件2 按收入性质分", lambda s: s.labelled(FORM, "按收入性质分")),
    ],
    "决算支出 = 全年执行数（万元）": [
        body(r"部门决算支出(\d+\.\d+)万元"),
        body(r"成本总额(\d+\.\d+)万元"),  # 五（一）成本指标 (the indicator checked against 决算支出)
        cell("附件2 年度资金总额 全年执行数", lambda s: s.grid(FORM, "年度资金总额", "全年执行数")),
        cell("附件2 按支出性质分", lambda s: s.labelled(FORM, "按支出性质分")),
        cell("附件2 成本总额 实际完成值", lambda s: s.indicator("成本总额", "实际完成值")),
    ],
    "年初预算支出（万元）": [
        body(r"年初预算支出(\d+\.\d+)万元"),
        cell("附件2 年度资金总额 年初预算数", lambda s: s.grid(FORM, "年度资金总额", "年初预算数")),
    ],
    "基本支出决算（万元）": [
        body(r"部门决算支出[\d.]+万元，其中：基本支出(\d+\.\d+)万元"),
        cell("附件2 其中：基本支出", lambda s: s.labelled(FORM, "其中：基本支出")),
    ],
    "项目支出决算（万元）": [
        body(r"部门决算支出[\d.]+万元，其中：基本支出[\d.]+万元，项目支出(\d+\.\d+)万元"),
        cell("附件1 项目支出 2024年决算数", lambda s: s.grid(BASE, "项目支出：", "2024年决算数")),
        cell("附件2 项目支出", lambda s: s.labelled(FORM, "项目支出")),
    ],
    "项目支出年初预算（万元）": [
        body(r"年初预算支出[\d.]+万元，其中：基本支出[\d.]+万元，项目支出(\d+\.\d+)万元"),
        cell("附件1 项目支出 2024年预算数", lambda s: s.grid(BASE, "项目支出：", "2024年预算数")),
    ],
    "一般公共预算拨款（万元）": [
        body(r"一般公共预算拨款(\d+\.\d+)万元"),
        cell("附件2 其中：一般公共预算", lambda s: s.labelled(FORM, "其中：一般公共预算")),
    ],
    "政府性基金（万元）": [
        body(r"政府性基金预算财政拨款收入(\d+\.\d+)万元"),
        cell("附件2 政府性基金拨款", lambda s: s.labelled(FORM, "政府性基金拨款")),
    ],
    "国有资本经营预算（万元）": [
        body(r"国有资本经营预算财政拨款收入(\d+\.\d+)万元"),
        cell("附件2 国有资本经营预算", lambda s: s.labelled(FORM, "国有资本经营预算")),
    ],
    "其他收入（万元）": [
        body(r"其他收入(\d+\.\d+)万元"),
        cell("附件2 其他资金", lambda s: s.labelled(FORM, "其他资金")),
    ],
    "预算调整额（万元）": [
        body(r"全年预算调整(\d+\.\d+)万元"),
        cell("附件1 部门整体支出预算调整", lambda s: s.grid(BASE, "部门整体支出预算调整", "2024年决算数")),
    ],
    "预算执行率": [
        cell("附件2 年度资金总额 执行率", lambda s: s.grid(FORM, "年度资金总额", "执行率"), PER_CENT),
        cell("附件2 年度总体目标 实际完成情况", lambda s: re.findall(r"预算执行率(\d+(?:\.\d+)?)%",
                                                             "".join(s.grid(FORM, "年度总体目标", "实际完成情况"))),
             PER_CENT),
        body(r"预算支出执行率(\d+(?:\.\d+)?)%", PER_CENT),  # 五（一）质量指标
        cell("附件2 预算支出执行率 实际完成值", lambda s: s.indicator("预算支出执行率", "实际完成值"), PER_CENT),
    ],
    "自评分": [
        body(r"自评分为(\d+\.\d+)分"),
        cell("附件2 总分", lambda s: [next(r for r in s.table("年度绩效指标") if r[0] == "总分")[2]]),
    ],
    "三公经费本年决算（万元）": [
        body(r"本年三公经费支出(\d+\.\d+)元", WAN_PER_YUAN),
        body(r"三公经费控制(\d+\.\d+)万元"),  # 五（一）成本指标 (the indicator checked against 三公经费)
        cell("附件1 三公经费 2024年决算数", lambda s: s.grid(BASE, "三公经费：", "2024年决算数")),
        cell("附件2 三公经费控制 实际完成值", lambda s: s.indicator("三公经费控制", "实际完成值")),
    ],
    "三公经费上年决算（万元）": [
        body(r"2023年三公经费支出(\d+\.\d+)元", WAN_PER_YUAN),
        cell("附件1 三公经费 2023年决算数", lambda s: s.grid(BASE, "三公经费：", "2023年决算数")),
    ],
    "公务接待本年决算（万元）": [
        body(r"本年三公经费支出[\d.]+元，其中公务接待支出(\d+\.\d+)元", WAN_PER_YUAN),
        cell("附件1 公务接待 2024年决算数", lambda s: s.grid(BASE, "3、公务接待", "2024年决算数")),
    ],
    "公务接待上年决算（万元）": [
        body(r"2023年三公经费支出[\d.]+元，其中公务接待支出(\d+\.\d+)元", WAN_PER_YUAN),
        cell("附件1 公务接待 2023年决算数", lambda s: s.grid(BASE, "3、公务接待", "2023年决算数")),
    ],
    "核定编制（个）": [
        body(r"核定编制(\d+)个，实有编制人数"),
        cell("附件1 编制数", lambda s: [s.table(STAFF)[1][1]]),
    ],
    "实有人数（人）": [
        body(r"实有编制人数(\d+)人"),
        cell("附件1 实际在职人数", lambda s: [s.table(STAFF)[1][2]]),
    ],
    **{f"项目“{name}”全年执行数（万元）": [
        cell("附件1 项目行 2024年决算数", lambda s, k=k, name=name: s.grid(BASE, f"{k}、{name}", "2024年决算数")),
        cell("附件3 年度资金总额 全年执行数", lambda s, name=name: s.grid("项目名称", "年度资金总额", "全年执行数", name)),
    ] for k, name in enumerate(PROJECT_NAMES, start=1)},
    **{f"项目“{name}”年初预算数（万元）": [
        cell("附件1 项目行 2024年预算数", lambda s, k=k, name=name: s.grid(BASE, f"{k}、{name}", "2024年预算数")),
        cell("附件3 年度资金总额 年初预算数", lambda s, name=name: s.grid("项目名称", "年度资金总额", "年初预算数", name)),
    ] for k, name in enumerate(PROJECT_NAMES, start=1)},
}

_NUMBER = re.compile(r"^[≥≤<>]?\s*(-?\d+(?:\.\d+)?)\s*(?:万元|元|%|个|人|分)?$")


def value_of(text: str, factor: Decimal) -> tuple[Decimal, int]:
    """A shown number in the concept's unit, with the decimals it is shown with (in that unit)."""
    m = _NUMBER.match(text.strip())
    assert m, f"not a number: {text!r}"
    d = Decimal(m.group(1))
    shown = max(0, -d.as_tuple().exponent)
    return d * factor, shown - factor.as_tuple().exponent  # factors are powers of ten: 0.0001 adds 4 places


def disagreements(values: list[tuple[str, str, Decimal, int]]) -> list[str]:
    """Values that are not the most precise value rounded to their own decimals."""
    top = max(places for *_, places in values)
    precise = {v for _, _, v, places in values if places == top}
    if len(precise) > 1:
        return [f"{where}: {text}" for where, text, v, places in values if places == top]
    best = precise.pop()
    return [f"{where}: {text}" for where, text, v, places in values
            if best.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) != v]


def collect(shown: Shown) -> dict[str, list[tuple[str, str, Decimal, int]]]:
    out = {}
    for concept, places in CONCEPTS.items():
        values = []
        for where, read, factor in places:
            texts = read(shown)
            assert texts, f"{concept}: nothing found at {where}"
            values += [(where, t, *value_of(t, factor)) for t in texts]
        out[concept] = values
    return out


def test_value_reading_and_agreement_rules() -> None:
    assert value_of("46000.00", WAN_PER_YUAN) == (Decimal("4.600000"), 6)
    assert value_of("85.09%", PER_CENT) == (Decimal("0.8509"), 4)
    assert value_of("≥95%", PER_CENT)[1] == 2 and value_of("4.60万元", Decimal(1)) == (Decimal("4.60"), 2)
    one = [("a", "85.09", Decimal("0.8509"), 4), ("b", "85", Decimal("0.85"), 2)]
    assert disagreements(one) == []
    two = [("a", "2826.23", Decimal("2826.23"), 2), ("b", "2826.24", Decimal("2826.24"), 2)]
    assert disagreements(two) == ["a: 2826.23", "b: 2826.24"]
    assert disagreements([("a", "4.6", Decimal("4.6"), 1), ("b", "4.64", Decimal("4.64"), 2)]) == []
    off = [("a", "4.6", Decimal("4.6"), 1), ("b", "4.66", Decimal("4.66"), 2)]
    assert disagreements(off) == ["a: 4.6"]


def test_every_concept_has_one_value_in_the_example(example_report: Path) -> None:
    found = collect(Shown(example_report))
    bad = {concept: disagreements(values) for concept, values in found.items() if disagreements(values)}
    assert not bad, bad
    # the published figures, for the record
    assert {t for _, t, *_ in found["决算收入（万元）"]} == {"2826.23"}
    assert {t for _, t, *_ in found["决算支出 = 全年执行数（万元）"]} == {"2826.23", "2826.23万元"}
    assert {t for _, t, *_ in found["自评分"]} == {"95.29"}
    assert {t for _, t, *_ in found["三公经费本年决算（万元）"]} == {"46000.00", "4.60", "4.60万元"}
    assert {t for _, t, *_ in found["预算执行率"]} == {"85.09%", "85.09", "85", "85%"}


@pytest.fixture(scope="module")
def parts_off(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example with parts that do not add up to their stated totals by more than rounding."""
    project = tmp_path_factory.mktemp("parts-off")
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "templates", project / "templates")
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "财务", "其他收入", 90.00)  # parts 2829.69 against 决算收入 2826.23
    set_field(workbook, "财务", "决算基本支出", 1440.00)  # parts 2828.46 against 决算支出 2826.23
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    return project / "output" / "2024" / REPORT_NAME


def test_a_form_states_the_stated_total_even_when_the_parts_do_not_add_up(parts_off: Path) -> None:
    found = collect(Shown(parts_off))
    bad = {concept: disagreements(values) for concept, values in found.items() if disagreements(values)}
    assert not bad, bad
    assert {t for _, t, *_ in found["决算收入（万元）"]} == {"2826.23"}
    assert {t for _, t, *_ in found["基本支出决算（万元）"]} == {"1440.00"}  # parts shown as typed
    assert {t for _, t, *_ in found["其他收入（万元）"]} == {"90.00"}
