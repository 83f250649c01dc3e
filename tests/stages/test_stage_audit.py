"""audit on its own: a total against its parts, within or beyond rounding; a stated count against the list."""

from __future__ import annotations

from generator import schema
from generator.audit import audit
from generator.compute import compute
from generator.errors import ERROR, HINT
from generator.validate import validate
from stage_inputs import FILE, column_coord, field_coord, workbook


def findings(raw, kind: str) -> list:
    data, problems, _ = validate(raw, 2024)
    assert problems == []
    return [f for f in audit(data, compute(data)).findings if f.id == kind]


def cells(*labels: str) -> tuple[str, ...]:
    return tuple(f"{FILE} › 财务 › {field_coord(schema.FINANCE, label)}" for label in labels)


def test_a_total_that_is_not_the_sum_of_its_parts() -> None:
    """资产总额 100 against 流动资产 60 + 非流动资产 30 = 90: 10 万元 apart, beyond rounding (2 × 0.005)."""
    found = findings(workbook(finance={"资产总额": 100, "流动资产": 60, "非流动资产": 30}), "assets_parts")
    assert len(found) == 1
    f = found[0]
    assert f.severity == ERROR and f.sheet == "财务"
    assert f.cells == cells("资产总额", "流动资产", "非流动资产")
    assert f.message == ("资产总额 100.00 万元，而 流动资产 60.00 + 非流动资产 30.00 = 90.00 万元，差 10.00 万元，"
                         "超出四舍五入范围（最多 0.01 万元），请核对。")


def test_a_difference_within_rounding_is_a_hint() -> None:
    """100.01 against 60.00 + 40.00: 0.01 apart, each part rounded to 0.005 at most: a hint, not an error."""
    found = findings(workbook(finance={"资产总额": 100.01, "流动资产": 60, "非流动资产": 40}), "assets_parts")
    assert [f.severity for f in found] == [HINT]


def test_a_total_equal_to_its_parts_is_no_finding() -> None:
    assert findings(workbook(finance={"决算支出": 180.5, "决算基本支出": 100.25, "决算项目支出": 80.25}),
                    "expense_parts") == []


def test_a_stated_count_against_the_list() -> None:
    """内设机构: 公布个数 3, but two are listed."""
    orgs = [{"分组": "内设机构", "名称": "党政办", "公布个数": 3}, {"分组": "内设机构", "名称": "财政所"}]
    found = findings(workbook(orgs=orgs), "org_count")
    assert len(found) == 1 and found[0].severity == ERROR
    assert "3" in found[0].message and "党政办、财政所" in found[0].message
    assert f"{FILE} › 机构 › {column_coord(schema.ORGS, '公布个数', 0)}" in found[0].cells
