"""What changed between two workbooks (issue 25 item 3): ``compare_workbooks`` on the example and a copy that
differs in one figure and one sentence reports exactly those — the cells, the report's paragraphs with the
changed words marked, the audit findings the new figure brings, 自评分 and 执行率 unchanged — and a file that
is not a workbook gets the reader's located message.

Expected values are the example's cells read with openpyxl and the edits typed here.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import docx
import pytest

from conftest import EXAMPLE, ROOT, cell_value, field_cell, set_cells, table_cell
from generator.compare import compare_workbooks, mark_words
from generator.errors import UserError

NEW_ASSETS = 1900


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("compare")
    old, new = root / "旧" / "2024.xlsx", root / "新" / "2024.xlsx"
    for p in (old, new):
        p.parent.mkdir()
        shutil.copyfile(EXAMPLE, p)
    assets = field_cell(EXAMPLE, "财务", "资产总额")
    duty = table_cell(EXAMPLE, "文字内容", "单位职责", "内容")
    sentence = cell_value(EXAMPLE, "文字内容", duty)
    assert sentence.startswith("宣传和贯彻执行")
    set_cells(new, "财务", {assets: NEW_ASSETS})
    set_cells(new, "文字内容", {duty: sentence.replace("宣传和贯彻执行", "宣传并贯彻执行", 1)})
    return old, new, {"assets": assets, "duty": duty, "sentence": sentence,
                      "old_assets": Decimal(str(cell_value(EXAMPLE, "财务", assets)))}


def test_one_figure_and_one_sentence_give_exactly_those(pair) -> None:
    old, new, cells = pair
    result = compare_workbooks(old, new, 2024, ROOT / "templates")

    assert [(f.sheet, f.cell, f.label, f.old, f.new) for f in result.figures] == [
        ("财务", cells["assets"], "资产总额", cells["old_assets"], Decimal(NEW_ASSETS)),
        ("文字内容", cells["duty"], "单位职责 › 内容", cells["sentence"],
         cells["sentence"].replace("宣传和", "宣传并", 1)),
    ]
    assert result.cell("财务", cells["assets"]) is result.figures[0]

    changed = result.paragraphs
    assert [p.kind for p in changed] == ["changed", "changed"]
    marked = [p.marked() for p in changed]
    assert "宣传[-和-]{+并+}贯彻执行" in marked[0]
    assert f"资产总额[-{cells['old_assets']:.2f}-]{{+{NEW_ASSETS:.2f}+}}万元" in marked[1]
    for p in changed:  # each side is a paragraph of the report as Word reads it
        assert "[-" not in p.new and "{+" not in p.new

    # the audit: 资产总额 no longer adds up, two identities broken at the one cell; nothing resolved
    assert result.resolved == []
    assert {(f.severity, f.where) for f in result.added_findings} == {("错误", f"财务 › {cells['assets']}")}
    assert len(result.added_findings) == 2
    diff = Decimal(NEW_ASSETS) - cells["old_assets"]
    assert all(f"差 {diff} 万元" in f.message for f in result.added_findings)

    lines = result.lines()
    assert lines[0] == "比较 2024.xlsx（旧）与 2024.xlsx（新）："
    assert lines[1] == "工作簿中改动的单元格 2 处："
    assert lines[2] == f"  财务 › {cells['assets']} 资产总额：{cells['old_assets']} → {NEW_ASSETS}"
    assert lines[3].startswith(f"  文字内容 › {cells['duty']} 单位职责 › 内容：宣传[-和-]{{+并+}}贯彻执行")
    assert "报告正文改动 2 段（[-删去-]{+新增+}）：" in lines
    assert re.fullmatch(r"自评分：(\S+) → \1", lines[-2]), lines[-2]
    assert re.fullmatch(r"预算执行率：(\S+%) → \1", lines[-1]), lines[-1]


def test_the_changed_paragraphs_are_the_reports(pair, tmp_path: Path) -> None:
    """The new side of each change is a paragraph of the new report, read back with python-docx from a run of
    the CLI's pipeline (not from the comparison)."""
    from generator.pipeline import generate_unit

    old, new, _ = pair
    report = generate_unit(new, 2024, ROOT / "templates", tmp_path)
    texts = [p.text.strip() for p in docx.Document(report.docx_path).paragraphs]
    for p in compare_workbooks(old, new, 2024, ROOT / "templates").paragraphs:
        assert p.new in texts


def test_the_same_workbook_has_no_changes(pair) -> None:
    old, _, _ = pair
    result = compare_workbooks(old, old, 2024, ROOT / "templates")
    assert result.same
    assert result.lines()[1:4] == ["工作簿中没有改动的单元格。", "报告正文没有改动。", "审核结果没有变化。"]


def test_a_file_that_is_not_a_workbook_gets_the_located_message(pair, tmp_path: Path) -> None:
    old, _, _ = pair
    bad = tmp_path / "报告.xlsx"
    bad.write_bytes(b"this is not a workbook")
    with pytest.raises(UserError) as caught:
        compare_workbooks(old, bad, 2024, ROOT / "templates")
    assert "报告.xlsx 不是有效的 .xlsx 工作簿" in caught.value.render()


def test_words_are_marked_number_by_number() -> None:
    assert mark_words("支出 12.50 万元", "支出 13.75 万元") == "支出 [-12.50-]{+13.75+} 万元"
    assert mark_words("完成了目标", "完成目标") == "完成[-了-]目标"


def test_a_row_put_in_between_changes_no_other(pair, tmp_path: Path) -> None:
    """An indicator inserted in the middle of 绩效指标: its own cells are the only changes, the rows below it
    (now one row lower) are matched by their names."""
    import openpyxl

    old, _, _ = pair
    new = tmp_path / "2024.xlsx"
    wb = openpyxl.load_workbook(old)
    ws = wb["绩效指标"]
    ws.insert_rows(5)
    headers = {c.value: c.column_letter for c in ws[2] if c.value}
    row = {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "新增指标：走访群众", "年度指标值": 10,
           "实际完成值": 10, "单位": "次", "分值": 0}
    for header, value in row.items():
        ws[f"{headers[header]}5"] = value
    wb.save(new)
    result = compare_workbooks(old, new, 2024, ROOT / "templates")
    assert {(f.sheet, f.cell, f.old, f.new) for f in result.figures} == {
        ("绩效指标", f"{headers[h]}5", None, v if isinstance(v, str) else Decimal(v)) for h, v in row.items()}
    assert all(f.label.startswith("新增指标：走访群众 › ") for f in result.figures)


def test_both_sides_are_scored_by_the_rules_given(tmp_path: Path) -> None:
    """The page compares a unit's versions under the county's rules: 自评分 is the capped one on both sides."""
    from test_rules import rules_book

    from generator.rules import load_rules

    # the example executes 85.09% of its budget: the band 80–100 caps its 95.29 at 89 (worked: min(95.29, 89))
    rules_book(tmp_path, {"执行率封顶": {"A3": 80, "B3": 100, "C3": 89, "A4": 0, "B4": 80, "C4": 100}})
    rules = load_rules(tmp_path, 2024)
    result = compare_workbooks(EXAMPLE, EXAMPLE, 2024, ROOT / "templates", rules=rules)
    assert result.old.score == result.new.score == Decimal("89.00")
    assert compare_workbooks(EXAMPLE, EXAMPLE, 2024, ROOT / "templates").new.score == Decimal("95.29")
