"""compute on its own: scores by 财预〔2020〕10号 and the budget figures, worked out by hand.

The rules: a floor (≥, 达到, 超过 …) scores weight × 实际/目标, a ceiling (≤, 不超过 …) weight × 目标/实际, a
target met scores the weight and never more; a band scores weight × 1 / 0.5 / 0 (达成 / 部分达成 / 未达成);
预算执行率 = 决算支出 ÷ 全年预算数 scores 10 × 执行率, at most 10; each score rounded half-up to 0.01; a
手工得分 replaces the computed score. Every value here is typed explicitly (blanks are another issue's matter).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from generator.compute import budget_score, compute, indicator_item
from generator.validate import validate
from stage_inputs import indicator, workbook


def row(comparator: str | None, target, actual, weight, **more) -> dict:
    """An indicator row as validate hands it to compute (Decimals for numbers)."""
    out = {"三级指标": "指标", "比较": comparator, "年度指标值": target, "实际完成值": actual, "单位": "次", "分值": weight}
    out.update(more)
    return out


@pytest.mark.parametrize(("comparator", "target", "actual", "weight", "score", "met"), [
    ("≥", D(20), D(15), D(12), "9.00", False),      # 12 × 15 / 20 = 9
    ("≥", D(200), D(97), D(9), "4.37", False),      # 9 × 97 / 200 = 4.365 → 4.37 half-up (not 4.36)
    ("达到", D(100), D(120), D(5), "5.00", True),    # a floor exceeded: capped at the weight, not 6
    ("≥", D("0.95"), D("0.90"), D(8), "7.58", False),  # 8 × 0.90 / 0.95 = 7.5789… → 7.58
    ("≤", D(8), D(9), D(7), "6.22", False),         # a ceiling exceeded: 7 × 8 / 9 = 6.222… → 6.22
    ("≤", D(30), D(25), D(9), "9.00", True),        # a ceiling kept: the weight, not 9 × 30 / 25
    ("=", D(4), D(4), D(6), "6.00", True),
])
def test_a_quantitative_indicator_scores_by_the_national_rule(comparator, target, actual, weight, score, met) -> None:
    item = indicator_item(row(comparator, target, actual, weight))
    assert item["得分"] == D(score) and str(item["得分"]) == score
    assert item["是否完成"] is met
    assert item["评分方式"] == "公式"


@pytest.mark.parametrize(("band", "score"), [("达成", "5.00"), ("部分达成", "2.50"), ("未达成", "0.00")])
def test_a_qualitative_indicator_scores_by_its_band(band: str, score: str) -> None:
    item = indicator_item(row(None, "明显提高", "有所提高", D(5), 评价等级=band))
    assert item["得分"] == D(score) and item["评分方式"] == "评价等级"


def test_a_hand_score_replaces_the_computed_one_and_says_so() -> None:
    item = indicator_item(row("≥", D(20), D(15), D(12), 手工得分=D("10.005")))
    assert item["得分"] == D("10.01")  # half-up
    assert item["计算得分"] == D("9.00") and item["手工评分"] and item["评分方式"] == "手工评分"


@pytest.mark.parametrize(("rate", "score"), [
    (D("0.9"), "9.00"), (D("1.05"), "10.00"), (D("0.98765"), "9.88"), (D("0.99995"), "10.00"), (D(0), "0.00"),
])
def test_the_budget_execution_score(rate: D, score: str) -> None:
    assert budget_score(rate) == D(score)


def test_the_budget_figures_and_the_total_from_a_workbook() -> None:
    """全年预算数 200, 年初预算支出 150, 决算支出 180: 调整额 50, 调整率 1/3, 执行率 90%, 结余 20, 得分 9;
    indicators 9.00 + 6.22 = 15.22 of 19; 总分 9 + 15.22 = 24.22 of 29."""
    raw = workbook(finance={"全年预算数": 200, "年初预算支出": 150, "决算支出": 180},
                   indicators=[indicator("培训场次", "≥", 20, 15, 12), indicator("会议费", "≤", 8, 9, 7, unit="万元",
                                                                            level2="成本指标")])
    data, problems, _ = validate(raw, 2024)
    assert problems == []
    v = compute(data).values
    budget = v["预算"]
    assert (budget["调整额"], budget["执行率"], budget["结余"], budget["得分"]) == (D(50), D("0.9"), D(20), D("9.00"))
    assert budget["调整率"] == D(50) / D(150)
    assert v["绩效指标"]["得分合计"] == D("15.22") and v["绩效指标"]["分值合计"] == D(19)
    assert v["自评"]["总分"] == D("24.22") and v["自评"]["满分"] == D(29)
