"""validate on its own: each problem names file › sheet › cell and says what was found and what is wanted."""

from __future__ import annotations

from decimal import Decimal as D

from generator import schema
from generator.validate import validate
from stage_inputs import column_coord, field_coord, indicator, workbook


def texts(problems) -> list[str]:
    return [str(p) for p in problems]


def test_a_text_in_a_number_cell_is_named_with_its_cell() -> None:
    raw = workbook(finance={"资产总额": "一千", "流动资产": 600})
    data, problems, _ = validate(raw, 2024)
    cell = field_coord(schema.FINANCE, "资产总额")
    assert texts(problems) == [f"2024.xlsx › 财务 › {cell}：“资产总额”应为数字，实为“一千”。请用阿拉伯数字填写，如 1000。"]
    assert data["财务"]["流动资产"] == D(600)


def test_numbers_become_decimals_as_typed() -> None:
    data, problems, _ = validate(workbook(finance={"资产总额": 1234.56, "决算支出": "1,000.5"}), 2024)
    assert problems == []
    assert data["财务"]["资产总额"] == D("1234.56")  # not the binary float's 1234.5599999…
    assert data["财务"]["决算支出"] == D("1000.5")


def test_a_workbook_of_another_year_is_refused() -> None:
    _, problems, _ = validate(workbook(basic={"年度": 2023}), 2024)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"2024.xlsx › 基本信息 › {field_coord(schema.BASIC, '年度')}：")
    assert "2023" in str(problems[0]) and "2024" in str(problems[0])


def test_a_near_miss_of_the_national_vocabulary_is_a_typo() -> None:
    raw = workbook(indicators=[indicator("培训场次", "≥", 20, 15, 12, level2="数量指示")])
    _, problems, _ = validate(raw, 2024)
    cell = column_coord(schema.INDICATORS, "二级指标", 0)
    assert texts(problems) == [f"2024.xlsx › 绩效指标 › {cell}：二级指标“数量指示”不是规定的名称：是否应为“数量指标”？"
                               "（财预〔2020〕10号）"]


def test_a_hand_score_above_the_weight_is_refused() -> None:
    raw = workbook(indicators=[indicator("培训场次", "≥", 20, 15, 12, 手工得分=13)])
    _, problems, _ = validate(raw, 2024)
    assert len(problems) == 1
    assert str(problems[0]).startswith(f"2024.xlsx › 绩效指标 › {column_coord(schema.INDICATORS, '手工得分', 0)}：")
    assert "13" in str(problems[0]) and "12" in str(problems[0])


def test_a_text_target_with_a_comparator_is_refused() -> None:
    raw = workbook(indicators=[indicator("群众满意度", "≥", "较高", 95, 10, unit="%")])
    _, problems, _ = validate(raw, 2024)
    cell = column_coord(schema.INDICATORS, "年度指标值", 0)
    assert any(t.startswith(f"2024.xlsx › 绩效指标 › {cell}：") and "较高" in t for t in texts(problems)), problems


def test_percentages_as_excel_stores_them() -> None:
    """95% typed into a percentage cell is stored as 0.95; 95 in a General cell is a slip, and so is 90 typed into
    a percentage cell (9000%) beside a 95% target."""
    ok = workbook(indicators=[indicator("验收合格率", "≥", (0.95, "0.0%"), (0.9, "0.0%"), 8, unit="%")])
    data, problems, _ = validate(ok, 2024)
    assert problems == [] and (data["绩效指标"][0]["年度指标值"], data["绩效指标"][0]["实际完成值"]) == (D("0.95"), D("0.9"))
    general = workbook(indicators=[indicator("验收合格率", "≥", 95, (0.9, "0.0%"), 8, unit="%")])
    assert texts(validate(general, 2024)[1]) == [
        f"2024.xlsx › 绩效指标 › {column_coord(schema.INDICATORS, '年度指标值', 0)}：“年度指标值”填写了 95，单位为 %，"
        "但单元格不是百分数格式。请输入“95%”（Excel 会存为 0.95）。"]
    slip = workbook(indicators=[indicator("验收合格率", "≥", (0.95, "0%"), (90, "0%"), 8, unit="%")])
    assert texts(validate(slip, 2024)[1]) == [
        f"2024.xlsx › 绩效指标 › {column_coord(schema.INDICATORS, '实际完成值', 0)}：实际完成值为 9000%，而同一行另一值不超过 "
        "100%：是否应为 90%？（在百分比格式的单元格中请输入 80%，或先输入 0.8）"]
