"""County scoring rules (issue 29): the settings workbook 评分规则.xlsx, applied in compute, shown in the report.

Every expected number is worked out here by the rules' own arithmetic (in the comments), from figures
typed in the test or published for the example (indicators 49.17 + 27.61 + 10.00 = 86.78; 预算执行率
2826.23 ÷ 3321.47 = 85.09%, 10 × 0.850897… = 8.51; 86.78 + 8.51 = 95.29):

  * 执行率封顶: a band 下限（含）–上限（不含） of the execution rate as printed caps the total;
  * 超目标扣分: an indicator whose actual value exceeds its target by the threshold or more loses the points;
  * 一级指标权重: a group's score × weight ÷ the group's 分值; 预算执行率 scores weight × 执行率;
  * scores rounded half-up to two decimals.
"""

from __future__ import annotations

import shutil
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest

import ooxml
from conftest import ROOT, column_of, paragraphs, replace_rows, run_cli, set_field, tables
from generator.commands.rules import init_rules
from generator.errors import UserError
from generator.pipeline import load
from generator.layout import RULES_NAME
from generator.rules import NATIONAL, load_rules

EXAMPLE_INDICATORS = D("86.78")  # 49.17 + 27.61 + 10.00, as published
EXAMPLE_BUDGET = D("8.51")  # 10 × 2826.23 / 3321.47 = 8.5089… → 8.51


def rules_book(folder: Path, sheets: dict[str, dict[str, object]], name: str = "测试县2024年") -> Path:
    """``generate rules`` in ``folder``, then the given cells typed in (sheet → {cell: value}); a value may be
    ``(value, number format)``, as Excel stores 70% typed into a cell: 0.7 shown as ``0%``."""
    init_rules(folder)
    path = folder / RULES_NAME
    wb = openpyxl.load_workbook(path)
    wb["规则名称"]["B3"] = name
    for sheet, cells in sheets.items():
        for coord, value in cells.items():
            if isinstance(value, tuple):
                value, wb[sheet][coord].number_format = value
            wb[sheet][coord] = value
    wb.save(path)
    return path


CAPS = {"A3": 70, "B3": 80, "C3": 89, "A4": 60, "B4": 70, "C4": 79, "A5": 50, "B5": 60, "C5": 69,
        "A6": 0, "B6": 50, "C6": 59}  # the manual's bands


def ind(l1, l2, name, comp, target, actual, unit, weight, band=None, hand=None):
    row = {"一级指标": l1, "二级指标": l2, "三级指标": name, "比较": comp, "年度指标值": target, "实际完成值": actual,
           "单位": unit, "分值": weight, "评价等级": band, "手工得分": hand, "偏差原因分析及改进措施": "示意原因"}
    if unit == "%":
        row["年度指标值"], row["实际完成值"] = (target, "0%"), (actual, "0%")
    return row


P, B, S = "产出指标", "效益指标", "满意度指标"
TABLE = [
    ind(P, "数量指标", "走访户数", "≥", 100, 140, "户", 20),  # 40% above: met, 20.00
    ind(P, "数量指标", "培训场次", "≥", 20, 24, "次", 10),  # 20% above: met, 10.00
    ind(P, "质量指标", "验收合格率", "≥", 0.70, 0.98, "%", 10),  # (0.98 − 0.70) / 0.70 = 40% above: 10.00
    ind(P, "时效指标", "办结件数", "≥", 50, 75, "件", 10, hand=9),  # 50% above, scored 9 by hand
    ind(B, "社会效益指标", "群众知晓度", None, "明显提高", "有所提高", None, 30, band="部分达成"),  # 30 × 0.5 = 15.00
    ind(S, "服务对象满意度指标", "群众满意度", "≥", 0.90, 0.95, "%", 10),  # met, 10.00
]
# national: 产出 20 + 10 + 10 + 9 = 49 of 50; 效益 15 of 30; 满意度 10 of 10; indicators 74.00


@pytest.fixture
def unit(tmp_path: Path) -> Path:
    """A one-unit folder: data/2024.xlsx, a copy of the example."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path / "data"


def score(data: Path):
    """The unit's context, scored by the rules of its folder (read once, as a run reads them)."""
    return load(data / "2024.xlsx", 2024, rules=load_rules(data))[1]


# ------------------------------------------------------------------------ the national default


def test_without_a_settings_workbook_the_example_scores_95_29(unit: Path) -> None:
    assert load_rules(unit) is NATIONAL
    ctx = score(unit)
    assert ctx["自评"]["总分"] == EXAMPLE_INDICATORS + EXAMPLE_BUDGET == D("95.29")
    assert (ctx["自评"]["评分规则"], ctx["自评"]["规则说明"], ctx["自评"]["等级"]) == ("国家默认", "", "优")
    assert ctx.rule_steps == []


def test_generate_rules_writes_a_blank_workbook_that_changes_nothing_and_is_never_overwritten(unit: Path) -> None:
    lines = init_rules(unit)
    path = unit / RULES_NAME
    assert str(path) in lines[0]
    wb = openpyxl.load_workbook(path)
    assert {"一级指标权重", "执行率封顶", "超目标扣分", "评价等级得分", "等级划分"} <= set(wb.sheetnames)
    caps = wb["执行率封顶"]
    assert [caps.cell(row=2, column=j).value for j in (1, 2, 3)] == ["执行率下限（%）", "执行率上限（%）", "总分最高"]
    assert caps["A3"].fill.fgColor.rgb.endswith("FFF2CC") and caps["A3"].protection.locked is False
    assert caps.protection.sheet and wb["一级指标权重"]["A3"].protection.locked
    found = ooxml.problems(path)  # valid against ECMA-376, as every workbook we write
    assert found == [], ooxml.report(found)
    # empty is the national rule for every family: the example still scores 95.29
    assert load_rules(unit).national
    assert score(unit)["自评"]["总分"] == D("95.29")
    before = path.read_bytes()
    with pytest.raises(UserError) as refused:
        init_rules(unit)
    assert "已存在" in str(refused.value) and path.read_bytes() == before


# ------------------------------------------------------------------------ each rule, worked by hand


def test_a_unit_at_75_percent_is_capped_at_89(unit: Path) -> None:
    set_field(unit / "2024.xlsx", "财务", "全年预算数", 4000)
    set_field(unit / "2024.xlsx", "财务", "决算支出", 3000)  # 3000 / 4000 = 75.00%: the band 70–80 → at most 89
    rules_book(unit, {"执行率封顶": CAPS | {"A3": (0.7, "0%"), "B3": (0.8, "0%")}})  # 70% and 80% typed as such
    ctx = score(unit)
    budget = 10 * D(3000) / D(4000)  # 7.50
    uncapped = budget + EXAMPLE_INDICATORS  # 94.28
    assert uncapped > 89
    assert ctx["预算"]["得分"] == budget
    assert ctx["自评"]["总分"] == D("89.00")
    assert ctx["自评"]["评分规则"] == "县规则：测试县2024年"
    assert "预算执行率 75.00%，按县规则总分最高 89 分，由 94.28 分调为 89.00 分" in ctx["自评"]["规则说明"]
    [step] = ctx.rule_steps
    assert (step.rule, step.what, step.old, step.new) == ("cap", "自评.总分", uncapped, D("89.00"))


def test_a_total_under_its_cap_is_left_alone(unit: Path) -> None:
    rules_book(unit, {"执行率封顶": CAPS})  # the example: 85.09%, above every band
    ctx = score(unit)
    assert ctx["自评"]["总分"] == D("95.29") and ctx.rule_steps == []
    assert "按预算执行率封顶" in ctx["自评"]["规则说明"]  # the rules in force are stated all the same


def test_an_indicator_40_percent_above_its_target_loses_the_points(unit: Path) -> None:
    replace_rows(unit / "2024.xlsx", "绩效指标", TABLE)
    rules_book(unit, {"超目标扣分": {"B3": 30, "B4": 2}})
    ctx = score(unit)
    rows = {r["三级指标"]: r for r in ctx["绩效指标"]["行"]}
    assert rows["走访户数"]["得分"] == 20 - 2  # (140 − 100) / 100 = 40% ≥ 30%
    assert rows["培训场次"]["得分"] == 10  # (24 − 20) / 20 = 20% < 30%: kept
    assert rows["验收合格率"]["得分"] == 10 - 2  # 40% above, on percentages
    assert rows["群众满意度"]["得分"] == 10  # (0.95 − 0.90) / 0.90 = 5.6%: kept
    # a hand score is deducted too, and stays marked
    assert rows["办结件数"]["得分"] == 9 - 2 and rows["办结件数"]["手工评分"]
    assert rows["办结件数"]["得分显示"] == "7.00\n手工评分\n县规则扣2分"
    indicators = D(18 + 10 + 8 + 7) + 15 + 10  # 68
    assert ctx["自评"]["总分"] == indicators + EXAMPLE_BUDGET == D("76.51")
    assert [s.rule for s in ctx.rule_steps] == ["over", "over", "over"]
    assert "超过目标 40.00%" in ctx.rule_steps[0].text and "由 20.00 分调为 18.00 分" in ctx.rule_steps[0].text


def test_each_step_is_a_hint_on_its_indicator_cells(unit: Path) -> None:
    from generator.audit import audit

    book = unit / "2024.xlsx"
    rows = replace_rows(book, "绩效指标", TABLE)
    rules_book(unit, {"超目标扣分": {"B3": 30, "B4": 2}})
    data, ctx, _ = load(book, 2024, rules=load_rules(unit, 2024))
    hints = [f for f in audit(data, ctx).findings if f.id == "rules_over"]
    assert [f.severity for f in hints] == ["提示"] * 3
    ws = openpyxl.load_workbook(book)["绩效指标"]
    first = hints[0]  # 走访户数, the first row of the table
    for header in ("分值", "实际完成值", "年度指标值"):
        assert f"2024.xlsx › 绩效指标 › {column_of(ws, header)}{rows[0]}" in first.cells
    assert first.message.startswith("县规则（测试县2024年）：指标“走访户数”")


def test_sheets_and_headers_are_read_as_a_clerk_means_them(unit: Path) -> None:
    path = rules_book(unit, {"执行率封顶": {"A3": 0, "B3": 80, "C3": 85}})
    wb = openpyxl.load_workbook(path)
    wb["执行率封顶"].title = "执行率封顶 "  # a stray space
    wb["执行率封顶 "]["A2"] = "执行率下限 (%)"  # half-width brackets
    del wb["超目标扣分"]
    wb.save(path)
    with pytest.raises(UserError) as refused:
        load_rules(unit, 2024)
    [problem] = refused.value.problems  # only the sheet that is not there
    assert str(problem.location) == "评分规则.xlsx" and "缺少工作表“超目标扣分”" in problem.message
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("超目标扣分")
    wb["超目标扣分"]["A3"], wb["超目标扣分"]["A4"] = "超目标幅度（%）", "扣分"
    wb.save(path)
    assert load_rules(unit, 2024).caps[0].top == 85


def test_a_damaged_settings_workbook_is_named(unit: Path) -> None:
    (unit / RULES_NAME).write_bytes(b"not a workbook")
    with pytest.raises(UserError) as refused:
        load_rules(unit, 2024)
    assert "评分规则.xlsx" in str(refused.value)


def test_custom_weights_40_40_10_10_scale_each_group(unit: Path) -> None:
    replace_rows(unit / "2024.xlsx", "绩效指标", TABLE)
    rules_book(unit, {"一级指标权重": {"B3": 10, "B4": 40, "B5": 40, "B6": 10}})
    ctx = score(unit)
    output = D(49) * 40 / 50  # 39.20
    benefit = D(15) * 40 / 30  # 20.00
    satisfaction = D(10)  # 分值 10 = weight 10: unchanged
    assert ctx["自评"]["指标得分"] == output + benefit + satisfaction == D("69.20")
    assert ctx["自评"]["总分"] == D("69.20") + EXAMPLE_BUDGET == D("77.71")
    assert ctx["自评"]["满分"] == 100
    texts = [s.text for s in ctx.rule_steps]
    assert texts == ["产出指标分值合计 50 分，按县规则权重 40 分折算，由 49.00 分调为 39.20 分",
                     "效益指标分值合计 30 分，按县规则权重 40 分折算，由 15.00 分调为 20.00 分"]


def test_budget_weight_band_shares_and_grades_of_the_county(unit: Path) -> None:
    replace_rows(unit / "2024.xlsx", "绩效指标", TABLE)
    rules_book(unit, {"一级指标权重": {"B3": 20, "B4": 40, "B5": 30, "B6": 10},
                      "评价等级得分": {"B4": 60},  # 部分达成 60%
                      "等级划分": {"B4": 75}})  # 良 from 75
    ctx = score(unit)
    budget = (20 * D("2826.23") / D("3321.47")).quantize(D("0.01"))  # 17.0178… → 17.02
    benefit = 30 * D("0.6")  # 18.00, 分值 30 = weight 30
    output = D(49) * 40 / 50  # 39.20
    total = budget + output + benefit + 10
    assert ctx["预算"]["得分"] == budget and ctx["预算"]["分值"] == 20
    assert ctx["自评"]["总分"] == total == D("84.22")
    assert ctx["自评"]["等级"] == "良"
    assert [s.rule for s in ctx.rule_steps] == ["share", "budget_weight", "weight"]


# ------------------------------------------------------------------------ refused, every bad cell named


def test_a_bad_settings_workbook_is_refused_with_every_bad_cell_named(unit: Path) -> None:
    rules_book(unit, {
        "一级指标权重": {"B3": 10, "B4": 50, "B5": 30, "B6": 5},  # 95, not 100: every weight named
        "执行率封顶": {"A3": 70, "B3": 80, "C3": 89,
                    "A4": 75, "B4": 90, "C4": 95,  # overlaps 70–80
                    "A5": 0, "B5": 50, "C5": 120,  # a cap above 100
                    "A6": 50, "B6": 60, "C6": 69},  # 60–70 left out: a gap before row 3
        "超目标扣分": {"B3": "三十", "B4": 2},
        "等级划分": {"B4": 95},  # 良 from 95, above 优's 90
    })
    with pytest.raises(UserError) as refused:
        load_rules(unit)
    places = {str(p.location) for p in refused.value.problems}
    assert places == {f"评分规则.xlsx › 一级指标权重 › B{r}" for r in (3, 4, 5, 6)} | {
        "评分规则.xlsx › 执行率封顶 › A3", "评分规则.xlsx › 执行率封顶 › A4", "评分规则.xlsx › 执行率封顶 › C5",
        "评分规则.xlsx › 超目标扣分 › B3", "评分规则.xlsx › 等级划分 › B4"}
    text = refused.value.render()
    assert "评分规则.xlsx 中发现 9 处问题" in text and "“超目标幅度（%）”应为数字，实为“三十”" in text


def test_a_typo_in_a_band_is_named_without_a_gap_it_seems_to_leave(unit: Path) -> None:
    rules_book(unit, {"执行率封顶": {"A3": 70, "B3": 80, "C3": 89, "A4": "六十", "B4": 70, "C4": 79,
                                "A5": 0, "B5": 60, "C5": 69}})
    with pytest.raises(UserError) as refused:
        load_rules(unit, 2024)
    assert [str(p.location) for p in refused.value.problems] == ["评分规则.xlsx › 执行率封顶 › A4"]


def test_rules_of_another_year_and_half_filled_weights_are_refused(unit: Path) -> None:
    rules_book(unit, {"规则名称": {"B4": 2023}, "一级指标权重": {"B3": 10, "B4": "五十", "B5": 30}})
    with pytest.raises(UserError) as refused:
        load_rules(unit, 2024)
    assert {str(p.location): p.message for p in refused.value.problems} == {
        "评分规则.xlsx › 规则名称 › B4": "这份评分规则适用于 2023 年，而本次计分的是 2024 年：请填写 2024 年的规则（可另存一份），"
                                    "或清空“适用年度”。",
        "评分规则.xlsx › 一级指标权重 › B4": "“产出指标”应为数字，实为“五十”。",
        "评分规则.xlsx › 一级指标权重 › B6": "已填写一级指标权重，但“满意度指标”未填写：各项权重要么都填（合计 100 分），"
                                      "要么都不填（按国家默认）。"}


def test_a_weight_for_indicators_the_unit_lacks_is_a_hint(unit: Path) -> None:
    from generator.audit import audit

    replace_rows(unit / "2024.xlsx", "绩效指标", TABLE)
    rules_book(unit, {"一级指标权重": {"B3": 10, "B4": 40, "B5": 30, "B6": 10, "B7": 10}})  # 成本指标 10
    data, ctx, _ = load(unit / "2024.xlsx", 2024, rules=load_rules(unit, 2024))
    assert ctx["自评"]["满分"] == 10 + 40 + 30 + 10  # no 成本指标 among the unit's indicators
    [hint] = [f for f in audit(data, ctx).findings if f.id == "rules_full_marks"]
    assert hint.severity == "提示" and "满分为 90 分" in hint.message and "“成本指标”10 分" in hint.message
    assert len(hint.cells) == len(TABLE)  # every 分值 cell of the table


def test_a_county_with_bad_rules_generates_no_unit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("甲镇", "乙镇"):
        (data / name).mkdir(parents=True)
        shutil.copy(ROOT / "data" / "2024.xlsx", data / name / "2024.xlsx")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    rules_book(data, {"执行率封顶": {"A3": 0, "B3": 80, "C3": 120}})
    result = run_cli(tmp_path)
    assert result.exit_code != 0
    assert result.output.count("评分规则.xlsx › 执行率封顶 › C3") == 1  # refused once, for the county
    assert not any((tmp_path / "output").rglob("*.docx"))


# ------------------------------------------------------------------------ what is shown


def test_a_county_batch_states_its_rules_in_the_note_the_audit_and_the_summary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name, full in (("甲镇", "示例甲镇人民政府"), ("乙镇", "示例乙镇人民政府")):
        (data / name).mkdir(parents=True)
        book = data / name / "2024.xlsx"
        shutil.copy(ROOT / "data" / "2024.xlsx", book)
        set_field(book, "基本信息", "单位全称", full)
    cells = {"全年预算数": set_field(data / "甲镇" / "2024.xlsx", "财务", "全年预算数", 4000),
             "决算支出": set_field(data / "甲镇" / "2024.xlsx", "财务", "决算支出", 3000)}  # 75.00%
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    rules_book(data, {"执行率封顶": CAPS})
    rules_book(data / "乙镇", {"执行率封顶": {"A3": 0, "B3": 200, "C3": 50}})  # a unit's own rules: not used
    result = run_cli(tmp_path, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert f"乙镇/评分规则.xlsx：单位文件夹中的评分规则不起作用：本县各单位都按 {data / '评分规则.xlsx'} 计分" in result.output
    out = tmp_path / "output" / "2024"
    capped = "预算执行率 75.00%，按县规则总分最高 89 分，由 94.28 分调为 89.00 分"
    stem = "2024年度示例甲镇人民政府整体支出绩效自评报告"
    report = next(out.rglob(f"{stem}.docx"))  # (output/2024/, or the unit's own folder below it)
    text = "".join(paragraphs(report))
    note = next(p for p in paragraphs(report) if p.startswith("注：预算执行率得分"))
    assert note.endswith("总分即报告正文中的自评分。本表按县规则（测试县2024年）计分：按预算执行率封顶：70%（含）至 80% "
                         "总分最高 89 分；60%（含）至 70% 总分最高 79 分；50%（含）至 60% 总分最高 69 分；0%（含）至 50% "
                         f"总分最高 59 分。{capped}。")
    assert "自评分为89.00分" in text
    form = next(t for t in tables(report) if t[0][0] == "年度绩效指标")
    assert next(r for r in form if r[0] == "总分")[2] == "89.00"
    # the audit lists the step as a hint on the cells of the rate
    audit = next(out.rglob(f"{stem}-审核.md")).read_text("utf-8")
    assert f"县规则（测试县2024年）：{capped}。" in audit
    marked = openpyxl.load_workbook(next(out.rglob(f"{stem}-审核.xlsx")))["财务"]
    for coord in cells.values():
        assert capped in marked[coord].comment.text
    # the other unit (85.09%) keeps 95.29; the summary says which rules each unit was scored by
    summary = openpyxl.load_workbook(next(out.rglob("*汇总*.xlsx"))).active
    headers = [c.value for c in summary[2]]
    rows = {r[0]: dict(zip(headers, r)) for r in summary.iter_rows(min_row=3, values_only=True)}
    assert (D(str(rows["甲镇"]["自评分"])), rows["甲镇"]["评分规则"]) == (D("89.00"), "县规则：测试县2024年")
    assert (D(str(rows["乙镇"]["自评分"])), rows["乙镇"]["评分规则"]) == (D("95.29"), "县规则：测试县2024年")


def test_the_example_report_note_is_unchanged_without_rules(example_report: Path) -> None:
    note = next(p for p in paragraphs(example_report) if p.startswith("注：预算执行率得分"))
    assert note.endswith("总分即报告正文中的自评分。")
