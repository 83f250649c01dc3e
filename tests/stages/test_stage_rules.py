"""The total by the scoring rules (``rules.total_score`` / ``unit_total``): a total needs every scored part.

A blank 预算执行率 score is not stated, not 0: no total (nor grade, nor cap), whatever the rules; no indicator
listed is no indicator part. Expected numbers are worked here by hand.
"""

from __future__ import annotations

from decimal import Decimal as D

from generator.compute import compute
from generator.rules import NATIONAL, Cap, Rules, total_score, unit_total
from generator.validate import validate
from stage_inputs import indicator, workbook

# the example's groups as typed: 49.17 + 27.61 + 10.00 = 86.78 of 50 + 30 + 10 = 90
GROUPS = [{"名称": "产出指标", "分值": D(50), "得分": D("49.17")}, {"名称": "效益指标", "分值": D(30), "得分": D("27.61")},
          {"名称": "满意度指标", "分值": D(10), "得分": D("10.00")}]
RATE = D("0.85")
COUNTY = Rules(name="测试县", caps=(Cap(D(0), D(90), D(89)), Cap(D(90), D(1000), D(100))),
               weights={"预算执行率": D(20), "产出指标": D(40), "效益指标": D(30), "满意度指标": D(10)})


def test_every_part_stated_gives_the_total() -> None:
    scored = total_score(NATIONAL, D("8.51"), GROUPS, RATE)
    assert (scored.indicators, scored.weight, scored.total) == (D("86.78"), D(100), D("95.29"))  # 8.51 + 86.78


def test_a_blank_budget_score_gives_no_total_not_the_indicators_alone() -> None:
    scored = total_score(NATIONAL, None, GROUPS, RATE)
    assert scored.total is None  # not 0 + 86.78
    assert (scored.indicators, scored.weight) == (D("86.78"), D(100))  # the parts that are stated stay
    assert NATIONAL.grade(scored.total) is None
    # a county's rules: weights still scale the groups (49.17 × 40 ÷ 50 = 39.336 → 39.34), but no total to cap
    county = unit_total(COUNTY, None, RATE, GROUPS, [])
    assert county.total is None and county.indicators == D("39.34") + D("27.61") + D("10.00")
    assert [s.rule for s in county.steps] == ["weight"]  # no 预算执行率 weight step, no cap step


def test_no_indicator_or_a_blank_group_gives_no_total() -> None:
    empty = total_score(NATIONAL, D("8.51"), [], RATE)
    assert (empty.indicators, empty.weight, empty.total) == (None, None, None)
    blank = [*GROUPS[:2], {**GROUPS[2], "得分": None}]
    assert total_score(NATIONAL, D("8.51"), blank, RATE).total is None


def test_a_workbook_without_its_budget_execution_has_no_total() -> None:
    """决算支出 left blank: no 执行率, no 预算执行率 score, so no 总分 and no 等级 (the indicators still score:
    培训场次 15 of 20 → 12 × 0.75 = 9.00)."""
    raw = workbook(finance={"全年预算数": 200, "年初预算支出": 150},
                   indicators=[indicator("培训场次", "≥", 20, 15, 12)])
    data, problems, _ = validate(raw, 2024)
    assert problems == []
    for rules in (NATIONAL, COUNTY):
        score = compute(data, rules).values["自评"]
        assert score["预算执行得分"] is None and score["指标得分"] is not None
        assert score["总分"] is None and score["等级"] is None


def test_a_grade_by_the_bands_in_force() -> None:
    """National: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差; a county's 优 ≥ 96, 良 ≥ 86, 中 ≥ 70 (each lowest score included)."""
    county = Rules(grades=(("优", D(96)), ("良", D(86)), ("中", D(70)), ("差", D(0))))
    for total, national, by_county in ((D("95.29"), "优", "良"), (D(90), "优", "良"), (D("89.99"), "良", "良"),
                                       (D(86), "良", "良"), (D("85.99"), "良", "中"), (D(70), "中", "中"),
                                       (D("69.99"), "中", "差"), (D("59.99"), "差", "差"), (D(0), "差", "差")):
        assert (NATIONAL.grade(total), county.grade(total)) == (national, by_county), total
    assert NATIONAL.bands == (("优", D(90)), ("良", D(80)), ("中", D(60)), ("差", D(0)))
