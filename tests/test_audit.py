"""Tests for the audit (审核): generator/audit.py, pipeline.check, --check and --strict.

The example workbook reproduces the published report with its slips; the audit
must find each of them and nothing else. A clean variant (the slips fixed) has
no finding at all; changing any one typed figure of an identity in it must give
an error naming that figure's cell.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator import audit as audit_module
from generator.cli import main
from generator.errors import SEP, UserError
from generator.pipeline import check, generate, load

from conftest import REFERENCE, REPORT_NAME

ERROR, HINT = "错误", "提示"

# Every contradiction in the published report (zhengjiayi-2024-report.txt), as (id, severity):
REFERENCE_FINDINGS = {
    # 内设机构6个, but four are listed
    ("internal_count", ERROR),
    # 实有编制人数72, but 行政 26 + 工勤 0 + 事业 43 = 69 (核定 81 = 30 + 1 + 50: 财政所 is not a separate part)
    ("staff_actual", ERROR),
    # 事业 实有43, but the five sub-units have 16 + 11 + 4 + 7 + 3 = 41
    ("institution_actual", ERROR),
    # 决算收入 2826.23, but 2717.40 + 21.90 + 0.39 + 86.55 = 2826.24 (rounding)
    ("income_parts", HINT),
    # 决算支出 2826.23, but 基本 1437.78 + 项目 1388.46 = 2826.24 (rounding)
    ("expense_parts", HINT),
    # 基本支出 1437.78 against a budget of 601.41, while 项目支出 1388.46 against 2646.58
    ("budget_reallocation", HINT),
    # 年底预算结余495.24万元 “未使用完”, beside 年末结转结余0万元
    ("budget_balance_not_carried", HINT),
}


def split_cell(cell: str) -> tuple[str, str]:
    """'2024.xlsx › 财务 › B9' → ('财务', 'B9')."""
    _, sheet, coord = cell.split(SEP)
    return sheet, coord


def cells_of(workbook: Path) -> dict[str, str]:
    data, _, _ = load(workbook, None)
    return data["cells"]


def edit(workbook: Path, edits: dict[str, object], cells: dict[str, str] | None = None) -> list[str]:
    """Set figures by field path (``finance.exp_total``); return the cells changed."""
    cells = cells or cells_of(workbook)
    wb = openpyxl.load_workbook(workbook)
    changed = []
    for path, value in edits.items():
        sheet, coord = split_cell(cells[path])
        wb[sheet][coord] = value
        changed.append(cells[path])
    wb.save(workbook)
    return changed


def value_of(workbook: Path, cell: str):
    sheet, coord = split_cell(cell)
    return openpyxl.load_workbook(workbook)[sheet][coord].value


def index_of(workbook: Path, table: str, name: str) -> int:
    data, _, _ = load(workbook, None)
    return next(i for i, r in enumerate(data[table]) if r.get("name") == name)


def make_clean(workbook: Path) -> None:
    """Fix the example's slips so that the audit finds nothing."""
    cells = cells_of(workbook)
    data, _, _ = load(workbook, None)
    staff = {r["category"]: i for i, r in enumerate(data["staff"]) if r["category"] != "事业单位"}
    internal = [i for i, o in enumerate(data["orgs"]) if o["type"] == "内设机构"]
    project = index_of(workbook, "projects", "乡村振兴及人居环境整治项目")
    rate = next(i for i, r in enumerate(data["indicators"]) if r["name"] == "预算支出执行率")
    edit(workbook, {
        "basic.internal_count": len(internal),
        f"staff.{staff['事业编制']}.actual": 41,
        f"staff.{staff['合计']}.actual": 26 + 0 + 41,
        "finance.income_other": 86.54,
        "finance.exp_basic": 1437.77,
        # no reallocation: the basic budget covers basic spending, the project budget shrinks to match
        "finance.exp_budget_basic": 1437.78,
        "finance.exp_budget_project": 1810.21,
        f"projects.{project}.initial_fiscal": 1810.21 - 946.58 - 500,
        # no unspent budget: the full-year budget is what was spent, and the indicator says so
        "finance.budget_full_year": 2826.23,
        f"indicators.{rate}.actual": 1,
    }, cells)


@pytest.fixture
def clean(project: Path) -> Path:
    make_clean(project / "data" / "2024.xlsx")
    return project


@pytest.fixture(scope="module")
def clean_master(tmp_path_factory) -> Path:
    """One clean workbook for the many one-figure mutations (each test copies it)."""
    folder = tmp_path_factory.mktemp("clean")
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "2024.xlsx", folder / "2024.xlsx")
    make_clean(folder / "2024.xlsx")
    return folder / "2024.xlsx"


def findings(data_dir: Path, year: int = 2024):
    return check(year, data_dir=data_dir).findings


# ---------------------------------------------------------------------------- the example


def test_example_yields_every_contradiction_of_the_reference_and_no_other(project: Path) -> None:
    result = check(2024, data_dir=project / "data")
    assert {(f.id, f.severity) for f in result.findings} == REFERENCE_FINDINGS
    assert len(result.findings) == len(REFERENCE_FINDINGS)
    by_id = {f.id: f for f in result.findings}
    # the figures of the reference report are what the findings quote
    text = REFERENCE.read_text("utf-8")
    assert "内设机构6个" in text and "实有编制人数72人" in text and "实有43人" in text
    f = by_id["internal_count"]
    assert "6 个" in f.message and "4 个" in f.message and "平安法治和应急管理办公室" in f.message
    assert f.cells[0] == "2024.xlsx › 基本信息 › B10" and len(f.cells) == 5
    f = by_id["staff_actual"]
    assert "72 人" in f.message and "= 69 人" in f.message and "差 3 人" in f.message
    f = by_id["institution_actual"]
    assert "43 人" in f.message and "= 41 人" in f.message and "差 2 人" in f.message and len(f.cells) == 6
    f = by_id["income_parts"]
    assert "2826.23" in f.message and "= 2826.24" in f.message and "差 0.01 万元，属四舍五入差异" in f.message
    assert [split_cell(c)[0] for c in f.cells] == ["财务"] * 6
    assert "差 0.01 万元，属四舍五入差异" in by_id["expense_parts"].message
    f = by_id["budget_reallocation"]
    assert "1437.78" in f.message and "601.41" in f.message and "239.07%" in f.message and "52.46%" in f.message
    assert "495.24" in by_id["budget_balance_not_carried"].message
    assert not result.ok and len(result.errors) == 3 and len(result.hints) == 4


def test_clean_variant_has_no_finding(clean: Path) -> None:
    assert findings(clean / "data") == []


def test_markdown_groups_by_sheet_with_severity_id_message_cells(project: Path) -> None:
    md = check(2024, data_dir=project / "data").markdown("标题")
    assert md.startswith("# 标题\n")
    sheets = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert sheets == ["基本信息", "人员编制", "财务"]
    assert "- **错误** `internal_count`：内设机构个数填写为 6 个" in md
    assert "    - 2024.xlsx › 人员编制 › D3" in md


# ---------------------------------------------------------------------------- identities, one figure at a time


def _identity_cases() -> list[tuple[str, str]]:
    """(identity id, pattern path) for every figure on either side of every identity."""
    cases = []
    for id, left, right in audit_module.IDENTITIES:
        for path in ((left,) if isinstance(left, str) else left) + right:
            cases.append((id, path))
    return cases


@pytest.mark.parametrize(("identity", "pattern"), _identity_cases(), ids=lambda v: str(v))
def test_changing_one_figure_of_an_identity_is_an_error_naming_its_cell(clean_master: Path, tmp_path: Path,
                                                                       identity: str, pattern: str) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    workbook = folder / "2024.xlsx"
    shutil.copy(clean_master, workbook)
    data, _, _ = load(workbook, None)
    figures = audit_module.Figures(data)
    concrete = figures.expand(pattern)
    assert concrete, pattern  # every identity applies to the example
    path = concrete[-1]
    fig = figures.fig(path)
    bump = 1 if fig.kind in ("established", "actual") else Decimal("7.00")
    new = (fig.value or 0) + bump
    [cell] = edit(workbook, {path: float(new) if isinstance(new, Decimal) else new}, data["cells"])
    found = [f for f in findings(folder) if f.severity == ERROR and cell in f.cells]
    assert identity in {f.id for f in found}, (identity, path, [str(f) for f in findings(folder)])
    f = next(f for f in found if f.id == identity)
    assert "差 " in f.message and (fig.kind not in ("wan", "yuan") or "超出四舍五入范围" in f.message)


def test_rounding_tolerance_separates_hint_from_error(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    edit(workbook, {"finance.assets_current": 1321.00})  # total of 2 rounded parts: up to 0.01 is rounding
    [f] = findings(clean / "data")
    assert (f.id, f.severity) == ("assets_parts", HINT)
    assert "差 0.01 万元，属四舍五入差异" in f.message
    edit(workbook, {"finance.assets_current": 1321.01})
    [f] = findings(clean / "data")
    assert (f.id, f.severity) == ("assets_parts", ERROR)
    assert "差 0.02 万元，超出四舍五入范围" in f.message and "2024.xlsx › 财务 › B4" in f.cells
    # the same money stated twice (n = 1) must agree to the cent
    edit(workbook, {"finance.assets_current": 1320.99, "finance.income_budget": 3248.00})
    [f] = findings(clean / "data")
    assert (f.id, f.severity) == ("budget_balance", ERROR)


def test_counts_are_never_a_rounding_difference(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    data, _, _ = load(workbook, None)
    total = next(i for i, r in enumerate(data["staff"]) if r["category"] == "合计")
    [cell] = edit(workbook, {f"staff.{total}.established": 82})
    [f] = findings(clean / "data")
    assert (f.id, f.severity) == ("staff_established", ERROR) and f.cells[0] == cell
    assert "82 个" in f.message and "= 81 个" in f.message


# ---------------------------------------------------------------------------- parts that may not exceed a whole


@pytest.mark.parametrize(("path", "value", "identity"), [
    ("base_data.office.actual", 170.00, "public_items.actual"),
    ("base_data.meetings.budget", 110.00, "public_items.budget"),
    ("base_data.public.actual", 1500.00, "public_in_basic.actual"),
    ("base_data.public.budget", 1500.00, "public_in_basic.budget"),
])
def test_parts_exceeding_their_whole(clean: Path, path: str, value: float, identity: str) -> None:
    [cell] = edit(clean / "data" / "2024.xlsx", {path: value})
    found = [f for f in findings(clean / "data") if f.id == identity]
    assert found and found[0].severity == ERROR and cell in found[0].cells
    assert "多出" in found[0].message


# ---------------------------------------------------------------------------- counts against lists


def test_internal_count_against_the_list(clean: Path) -> None:
    [cell] = edit(clean / "data" / "2024.xlsx", {"basic.internal_count": 5})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("internal_count", ERROR, cell)
    assert "5 个" in f.message and "4 个" in f.message


def test_typed_subunit_summary_against_the_list(clean: Path) -> None:
    [cell] = edit(clean / "data" / "2024.xlsx", {"basic.subunit_summary": "3中心2站1队"})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("subunit_count", ERROR, cell)
    assert "共 6 个" in f.message and "5 个" in f.message
    edit(clean / "data" / "2024.xlsx", {"basic.subunit_summary": "3中心1站1队"})
    assert findings(clean / "data") == []


def test_staff_above_establishment_is_a_hint(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    data, _, _ = load(workbook, None)
    i = next(i for i, r in enumerate(data["staff"]) if r["category"] == "财政所")
    [cell] = edit(workbook, {f"staff.{i}.actual": 7})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("staff_over_establishment", HINT, cell)


# ---------------------------------------------------------------------------- indicators


def indicator(workbook: Path, name: str) -> int:
    return index_of(workbook, "indicators", name)


def test_missed_target_without_reason_is_an_error_naming_the_reason_cell(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "医保参保率")
    [cell] = edit(workbook, {f"indicators.{i}.reason": None})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("indicator_reason_missing", ERROR, cell)
    assert "医保参保率" in f.message and "≥90%" in f.message and "80%" in f.message


def test_score_below_weight_without_reason(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "群众生活幸福指数")
    edit(workbook, {f"indicators.{i}.manual_score": 2, f"indicators.{i}.band": "达成"})
    [f] = findings(clean / "data")
    assert f.id == "indicator_reason_missing" and "得分 2.00 低于分值 2.5" in f.message


def test_band_contradicting_the_figures(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "医保参保率")
    [cell] = edit(workbook, {f"indicators.{i}.band": "达成"})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("indicator_band_status", ERROR, cell)
    assert "未达到" in f.message
    j = indicator(workbook, "司法调解率")  # met (95% ≥ 90%) but marked 部分达成
    edit(workbook, {f"indicators.{i}.band": None, f"indicators.{j}.band": "部分达成"})
    [f] = findings(clean / "data")
    assert f.id == "indicator_band_status" and "已达到" in f.message


def test_manual_score_outside_its_band(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "人均收入和地区经济增长")  # 部分达成, weight 2.5: [1.25, 2.0)
    [cell] = edit(workbook, {f"indicators.{i}.manual_score": 2.1})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("indicator_score_band", ERROR, cell)
    assert "[1.25, 2）" in f.message
    edit(workbook, {f"indicators.{i}.manual_score": 1.25})
    assert findings(clean / "data") == []


def test_weights_must_add_up_to_90(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "直接受益对象满意度")
    [cell] = edit(workbook, {f"indicators.{i}.weight": 11})
    found = {f.id: f for f in findings(clean / "data")}
    assert set(found) == {"indicator_weights"}
    assert cell in found["indicator_weights"].cells and "91" in found["indicator_weights"].message
    # moving 1 point from 满意度 to 效益 keeps 90 but departs from 50 / 30 / 10: a hint on both groups
    j = indicator(workbook, "机构运行保障度")
    edit(workbook, {f"indicators.{i}.weight": 9, f"indicators.{j}.weight": 3.5})
    found = findings(clean / "data")
    assert {(f.id, f.severity) for f in found} == {("indicator_level1_weights", HINT)} and len(found) == 2


def test_project_indicator_weights(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    data, _, _ = load(workbook, None)
    i = next(i for i, r in enumerate(data["project_indicators"]) if r["project"] == "农村基础设施建设项目")
    [cell] = edit(workbook, {f"project_indicators.{i}.weight": 10})
    [f] = findings(clean / "data")
    assert (f.id, f.severity) == ("indicator_weights", ERROR) and cell in f.cells
    assert "农村基础设施建设项目" in f.message and "87.5" in f.message


def test_indicator_source_in_other_units(clean: Path) -> None:
    """三公经费本年 is in 元, the indicator in 万元; 执行率 is a fraction, the indicator a percentage."""
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "三公经费控制")
    [cell] = edit(workbook, {f"indicators.{i}.actual": 5.6})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("indicator_source", ERROR, cell)
    assert "4.60万元" in f.message and "2024.xlsx › 三公经费 › D3" in f.cells
    edit(workbook, {f"indicators.{i}.actual": 4.6})
    assert findings(clean / "data") == []
    j = indicator(workbook, "预算支出执行率")
    [cell] = edit(workbook, {f"indicators.{j}.actual": 0.98})
    [f] = findings(clean / "data")
    assert f.id == "indicator_source" and f.cells[0] == cell and "100%" in f.message and "2 个百分点" in f.message


def test_indicator_source_rounded_is_not_a_finding(project: Path) -> None:
    """The example states 执行率 as 85% while it computes to 85.09%: that is the same rate, rounded."""
    assert not [f for f in findings(project / "data") if f.id.startswith("indicator_source")]


def test_unknown_source_name(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = indicator(workbook, "成本总额")
    [cell] = edit(workbook, {f"indicators.{i}.source": "支出合计"})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("indicator_source_unknown", ERROR, cell)
    assert "决算支出" in f.message


# ---------------------------------------------------------------------------- texts


def text_index(workbook: Path, fragment: str) -> int:
    data, _, _ = load(workbook, None)
    return next(i for i, r in enumerate(data["texts"]) if fragment in r["text"])


def test_rate_typed_into_a_text_against_its_inputs(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = text_index(workbook, "{预算调整率}")
    data, _, _ = load(workbook, None)
    text = data["texts"][i]["text"]
    [cell] = edit(workbook, {f"texts.{i}.text": text.replace("{预算调整率}", "2.26%")})
    [f] = findings(clean / "data")  # the clean full-year budget is 2826.23 against 3247.99: -12.99%
    assert (f.id, f.severity, f.cells[0]) == ("text_figure", ERROR, cell)
    assert "调整率2.26%" in f.message and "-12.99%" in f.message
    assert f.cells[1:] == ("2024.xlsx › 财务 › B19", "2024.xlsx › 财务 › B16")
    edit(workbook, {f"texts.{i}.text": text.replace("{预算调整率}", "-13.0%")})
    assert findings(clean / "data") == []


def test_sangong_change_claim(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = text_index(workbook, "三公经费")
    [cell] = edit(workbook, {f"texts.{i}.text": "今年本镇三公经费支出超过去年"})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("sangong_change_claim", ERROR, cell)
    assert "减少 50380.00 元" in f.message


def test_text_claiming_all_targets_met(clean: Path) -> None:
    workbook = clean / "data" / "2024.xlsx"
    i = text_index(workbook, "重点工作")
    [cell] = edit(workbook, {f"texts.{i}.text": "全年各项工作均已完成年度目标。"})
    [f] = findings(clean / "data")
    assert (f.id, f.severity, f.cells[0]) == ("text_claims_all_met", HINT, cell)
    assert "医保参保率" in f.message


# ---------------------------------------------------------------------------- last year's workbook


def test_last_years_figures_against_last_years_workbook(clean: Path) -> None:
    folder = clean / "data"
    previous = folder / "2023.xlsx"
    shutil.copy(folder / "2024.xlsx", previous)
    cells = cells_of(previous)
    edit(previous, {"basic.year": 2023, "sangong.total.actual": 96380.00, "sangong.reception.actual": 96380.00,
                    "finance.exp_project": 1450.00}, cells)
    data, _, _ = load(previous, None)
    for i, name in enumerate(p["name"] for p in data["projects"]):
        prev = {"乡村振兴及人居环境整治项目": 700.00, "农村基础设施建设项目": 450.00, "基层治理与民生保障项目": 300.00}[name]
        edit(previous, {f"projects.{i}.exec_fiscal": prev}, cells)
    for row in ("public", "office", "utilities", "meetings", "procurement"):
        stated = value_of(folder / "2024.xlsx", cells[f"base_data.{row}.prev_actual"])
        edit(previous, {f"base_data.{row}.actual": stated}, cells)
    assert findings(folder) == []  # last year's workbook agrees: nothing to say
    [cell] = edit(previous, {"sangong.reception.actual": 96000.00}, cells)
    found = {f.id: f for f in findings(folder)}
    assert "previous_sangong.reception" in found
    f = found["previous_sangong.reception"]
    assert f.severity == ERROR and f.cells == ("2024.xlsx › 三公经费 › B8", "2023.xlsx › 三公经费 › D8")
    assert "96380.00" in f.message and "96000.00" in f.message and "差 380.00 元" in f.message
    edit(previous, {"sangong.reception.actual": 96380.00, "finance.exp_project": 1400.00}, cells)
    [f] = findings(folder)
    assert f.id == "previous_exp_project" and "2023.xlsx › 财务" in f.cells[1]


def test_unreadable_last_year_is_a_hint_not_a_failure(clean: Path) -> None:
    folder = clean / "data"
    shutil.copy(folder / "2024.xlsx", folder / "2023.xlsx")  # says 2024 inside: a validation error for 2023
    [f] = findings(folder)
    assert (f.id, f.severity) == ("previous_unreadable", HINT) and "2023.xlsx" in f.message


# ---------------------------------------------------------------------------- CLI and pipeline


def run(folder: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(folder / "data"), "--templates",
                                     str(folder / "templates"), "--out", str(folder / "output"), *args])


def test_check_on_the_example_exits_1_and_lists_findings_by_sheet(project: Path) -> None:
    result = run(project, "--check")
    assert result.exit_code == 1, result.output
    out = result.output
    assert out.index("【基本信息】") < out.index("【人员编制】") < out.index("【财务】")
    assert "2024.xlsx › 人员编制 › D3" in out and "[错误]" in out and "[提示]" in out
    assert "发现 3 处错误、4 处提示" in out
    assert "Traceback" not in out
    assert not (project / "output").exists()


def test_check_on_a_clean_workbook_exits_0_with_one_line(clean: Path) -> None:
    result = run(clean, "--check")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines == ["审核通过：2024.xlsx 中未发现前后矛盾的数字。"]
    assert not (clean / "output").exists()


def test_check_with_hints_only_exits_0(clean: Path) -> None:
    edit(clean / "data" / "2024.xlsx", {"finance.assets_current": 1321.00})
    result = run(clean, "--check")
    assert result.exit_code == 0 and "[提示]" in result.output and "属四舍五入差异" in result.output


def test_strict_writes_nothing_when_there_are_errors(project: Path) -> None:
    result = run(project, "--strict")
    assert result.exit_code == 1
    assert "按 --strict 未生成报告" in result.output and "2024.xlsx › 基本信息 › B10" in result.output
    assert not (project / "output").exists() or not any((project / "output").rglob("*.*"))
    with pytest.raises(UserError):
        generate(2024, data_dir=project / "data", templates_dir=project / "templates", out_dir=project / "output",
                 strict=True)


def test_strict_generates_a_clean_workbook(clean: Path) -> None:
    result = run(clean, "--strict")
    assert result.exit_code == 0, result.output
    assert (clean / "output" / "2024" / REPORT_NAME).is_file()


def test_generation_writes_the_audit_list_next_to_the_report(project: Path) -> None:
    result = run(project)
    assert result.exit_code == 0, result.output
    folder = project / "output" / "2024"
    md = folder / REPORT_NAME.replace(".docx", "-审核.md")
    assert (folder / REPORT_NAME).is_file() and md.is_file()
    text = md.read_text("utf-8")
    assert "## 人员编制" in text and "`institution_actual`" in text and "2024.xlsx › 人员编制 › D12" in text
    assert "发现 3 处错误、4 处提示" in result.output and f"审核清单：{md}" in result.output
    [report] = generate(2024, data_dir=project / "data", templates_dir=project / "templates",
                        out_dir=project / "output")
    assert {(f.id, f.severity) for f in report.findings} == REFERENCE_FINDINGS
    assert report.audit_path == md and md in report.outputs


def test_clean_generation_says_so_in_the_audit_list(clean: Path) -> None:
    result = run(clean)
    assert result.exit_code == 0
    md = clean / "output" / "2024" / REPORT_NAME.replace(".docx", "-审核.md")
    assert "审核通过" in md.read_text("utf-8") and "审核通过" in result.output


def test_check_over_a_county_folder_audits_every_unit_and_names_the_broken_one(tmp_path: Path):
    example = Path(__file__).resolve().parents[1] / "data" / "2024.xlsx"
    for unit in ("甲镇", "乙镇"):
        (tmp_path / "data" / unit).mkdir(parents=True)
        shutil.copy(example, tmp_path / "data" / unit / "2024.xlsx")
    (tmp_path / "data" / "乙镇" / "2024.xlsx").write_bytes(b"not a workbook")
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(tmp_path / "data"), "--check"])
    assert result.exit_code == 1
    out = result.output
    assert "单位：甲镇" in out and "单位：乙镇" in out
    assert "不是有效的 .xlsx 工作簿" in out.split("单位：甲镇")[0]  # 乙镇 sorts first and is named
    assert "内设机构个数填写为 6 个" in out.split("单位：甲镇")[1]  # 甲镇 still audited
    assert "Traceback" not in out
    assert not (tmp_path / "output").exists()
