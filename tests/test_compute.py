"""Formatting filters and the compute stage: rounding, scoring, grouped sentences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from generator import formatting as fmt
from generator.compute import _grouped_sentence, budget_score, group_indicators, indicator_item, subunit_summary
from generator import load
from conftest import EXAMPLE


@pytest.mark.parametrize("value, expected", [
    (2.675, "2.68"), ("0.125", "0.13"), (D("1813.145"), "1813.15"), (0, "0.00"), (-0.001, "0.00"), (1234.5, "1234.50"),
])
def test_money_rounds_half_up_like_excel(value, expected):
    assert fmt.wan(value) == expected


def test_formats():
    assert fmt.yuan(46000) == "46000.00"
    assert fmt.fixed(1234567.891, 2, thousands=True) == "1,234,567.89"
    assert fmt.yuan_to_wan(96380) == "9.64"
    assert fmt.pct(D("73.48") / D("3247.99")) == "2.26%"
    assert fmt.pct_auto(1) == "100%" and fmt.pct_auto(D("0.955")) == "95.5%" and fmt.pct_auto(D("0.85"), 2) == "85.00%"
    assert fmt.number(D("40")) == "40" and fmt.number(D("9.60")) == "9.6" and fmt.number(D("4.6"), 2) == "4.60"
    assert fmt.count(81) == "81"
    assert fmt.cn_date(dt.date(2025, 9, 15)) == "2025年9月15日"
    assert fmt.circled(3) == "③" and fmt.cn_number(4) == "四" and fmt.cn_number(12) == "十二"


def row(name, comparator, target, actual, unit="%", weight="2", **kw):
    return {"level1": "产出指标", "level2": "质量指标", "name": name, "comparator": comparator, "target": target,
            "actual": actual, "unit": unit, "weight": D(weight), **kw}


def test_scoring_rules():
    assert budget_score(D("0.8509")) == D("8.51")
    assert budget_score(D("1.2")) == D("10.00")  # capped
    ge = indicator_item(row("医保参保率", "≥", D("0.9"), D("0.8"), weight="1.5"))
    assert ge["score"] == D("1.33") and not ge["met"]
    le = indicator_item(row("成本", "≤", D("100"), D("125"), unit="万元"))
    assert le["score"] == D("1.60") and not le["met"]
    le_met = indicator_item(row("成本", "≤", D("100"), D("80"), unit="万元"))
    assert le_met["score"] == D("2.00") and le_met["met"]
    gt = indicator_item(row("资料", "超过", D("2000"), D("1500"), unit="份"))
    assert gt["score"] == D("1.50") and gt["target_text"] == "超过2000份"
    band = indicator_item(row("排名", None, "前10", "未进前10", unit="", weight="2.5", band="部分达成"))
    assert band["score"] == D("1.25") and band["score_method"] == "评价等级"
    manual = indicator_item(row("增长", None, "提升", "有提升", unit="", weight="2.5", band="部分达成",
                                manual_score=D("1.36")))
    assert manual["score"] == D("1.36") and manual["score_entered"] and manual["computed_score"] == D("1.25")
    same_text = indicator_item(row("事故", None, "0发生", "0发生", unit=""))
    assert same_text["met"] and same_text["score"] == D("2.00")


def test_grouped_sentences_follow_the_reference_style():
    items = [indicator_item(r) for r in (
        row("A率", None, D(1), D(1)), row("B率", None, D(1), D("0.9")), row("C率", "≥", D("0.95"), D(1)),
        row("D率", "≥", D("0.95"), D(1)), row("E额", "≤", D("9.64"), D("4.60"), unit="万元"),
    )]
    items[4]["actual_text"] = "4.60万元"
    assert _grouped_sentence(items, "target", False) == "A率，B率均为100%。C率，D率均≥95%。E额≤9.64万元。"
    assert _grouped_sentence(items, "actual", False) == "A率，C率，D率均为100%。B率90%，E额4.60万元。"
    assert _grouped_sentence(items[:2], "target", True) == "A率100%。B率100%。"


def test_groups_and_merge_flags():
    items = [indicator_item(r) for r in (row("A", None, D(1), D(1)), row("B", None, D(1), D(1)))]
    items.append(indicator_item({**row("C", None, D(1), D(1)), "level2": "时效指标"}))
    g = group_indicators(items)
    assert [x["name"] for x in g["groups"][0]["groups"]] == ["质量指标", "时效指标"]
    assert [(r["l1_first"], r["l2_first"]) for r in g["rows"]] == [(True, True), (False, False), (False, True)]
    assert g["output"]["size"] == 3 and g["satisfaction"]["groups"] == []


def test_subunit_summary():
    assert subunit_summary(["农业综合服务中心", "社会事务综合服务中心（加挂安全生产监督管理站牌子）", "生态事务中心",
                            "退役军人服务站", "综合行政执法大队"]) == "3中心1站1队"


def test_example_scores_to_the_published_95_29():
    _, ctx, notices = load(EXAMPLE, 2024)
    assert notices == []
    assert ctx["score"]["total"] == D("95.29")
    assert ctx["budget"]["score"] == D("8.51")
    assert ctx["score"]["weight_total"] == 100
    assert [r["name"] for r in ctx["indicators"]["entered"]] == ["人均收入和地区经济增长"]
    assert ctx["budget"]["adjustment"] == D("73.48") and ctx["budget"]["balance"] == D("495.24")
