"""``generate --year 2025 --init``: next year's workbook, accepted once filled, 上年 columns = last year's actuals."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
from click.testing import CliRunner

from generator import schema
from generator.cli import main
from generator.pipeline import load
from generator.read import read_workbook

from conftest import run_verb, set_field

ORANGE = "00F8CBAD"


def run(project: Path, year: int, *args: str):
    return CliRunner().invoke(main, ["--year", str(year), "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


def orange_cells(path: Path) -> dict[str, list[str]]:
    wb = openpyxl.load_workbook(path)
    out: dict[str, list[str]] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.fill is not None and c.fill.fgColor.rgb == ORANGE:
                    out.setdefault(ws.title, []).append(c.coordinate)
    return out


def column_of(ws, label: str) -> int:
    return next(c.column for c in ws[schema.HEADER_ROW] if c.value and str(c.value).startswith(label))


def fill_orange(new: Path, old: Path) -> int:
    """Fill every orange cell with a plausible 2025 value (last year's ×1.1, targets met, new texts)."""
    wb, before = openpyxl.load_workbook(new), openpyxl.load_workbook(old)
    filled = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=schema.FIRST_DATA_ROW):
            for c in row:
                if c.fill is None or c.fill.fgColor.rgb != ORANGE:
                    continue
                prev = before[ws.title][c.coordinate].value
                if ws.title == "基本信息":
                    c.value = dt.datetime(2026, 9, 10)
                elif ws.title in ("绩效指标", "项目指标"):
                    target = ws.cell(row=c.row, column=column_of(ws, "年度指标值"))
                    c.value, c.number_format = target.value, target.number_format
                elif ws.title == "文字内容":
                    c.value = f"2025年第{c.row}行的新内容"
                elif isinstance(prev, bool) or prev is None:
                    continue  # nothing last year (楼堂馆所): nothing this year either
                elif ws.title == "人员编制" or not isinstance(prev, (int, float)):
                    c.value = prev
                else:
                    c.value = round(prev * 1.1, 2)
                filled += 1
    wb.save(new)
    return filled


def test_init_creates_next_year_with_last_years_actuals_in_prev_columns(project: Path):
    result = run_verb(project, "init", year=2025)
    assert result.exit_code == 0, result.output
    new = project / "data" / "2025.xlsx"
    assert new.is_file()
    assert f"已新建 {new}（由 2024.xlsx 结转）" in result.output
    assert not (project / "output").exists()

    old_data, _, _ = load(project / "data" / "2024.xlsx", 2024)
    raw = read_workbook(new)  # read only: the 2025 figures are still empty
    cell = lambda sheet, key: raw.fields[sheet][key].value  # noqa: E731
    assert cell("基本信息", "year") == 2025
    assert cell("基本信息", "name") == old_data["基本信息"]["单位全称"]
    assert cell("基本信息", "report_date") is None
    # 上年 columns = 2024 actuals
    for grid in (schema.SANGONG, schema.BASE_DATA):
        for row in grid.rows:
            cols = raw.grids[grid.name][row.key]
            assert Decimal(str(cols["prev_actual"].value)) == old_data[grid.name]["本年决算"][row.zh], (grid, row)
            assert cols["budget"].value is None and cols["actual"].value is None
    assert Decimal(str(cell("财务", "exp_project_prev"))) == old_data["财务"]["决算项目支出"] == Decimal("1388.46")
    assert cell("财务", "assets_total") is None
    assert len(raw.tables["项目"]) == len(old_data["项目"]) == 3
    for rec, old in zip(raw.tables["项目"], old_data["项目"]):
        executed = old["全年执行当年财政拨款"] + (old["全年执行上年结转资金"] or 0) + (old["全年执行其他资金"] or 0)
        assert Decimal(str(rec["prev_actual"].value)) == executed
        assert rec["exec_fiscal"].value is None and rec["achieved"].value is None
        assert rec["goal"].value == old["预期目标"]
    # stable data carried over: indicators with weights and targets (and their % format), staff establishment
    assert len(raw.tables["绩效指标"]) == len(old_data["绩效指标"])
    old_wb = openpyxl.load_workbook(project / "data" / "2024.xlsx")["绩效指标"]
    for rec, old in zip(raw.tables["绩效指标"], old_data["绩效指标"]):
        assert rec["name"].value == old["三级指标"] and Decimal(str(rec["weight"].value)) == old["分值"]
        assert rec["level2"].value == old["二级指标"] and rec["comparator"].value == old["比较"]
        target = rec["target"].value
        assert (Decimal(str(target)) if isinstance(target, (int, float)) else target) == old["年度指标值"]
        assert rec["target"].number_format == old_wb[rec["target"].coord].number_format
        assert rec["actual"].value is None and rec["reason"].value is None
    # staff rows with their parents and kinds; 实有人数 to fill
    assert [(r["category"].value, r["parent"].value, r["established"].value) for r in raw.tables["人员编制"]] == \
        [(r["类别"], r["上级"], r["核定编制"]) for r in old_data["人员编制"]]
    assert all(r["actual"].value is None for r in raw.tables["人员编制"])
    # organisation groups as they were
    assert [(r["group"].value, r["name"].value) for r in raw.tables["机构"]] == \
        [(r["分组"], r["名称"]) for r in old_data["机构"]]
    texts = [(r["section"].value, r["text"].value) for r in raw.tables["文字内容"]]
    assert [t for s, t in texts if s == "单位职责"] == [t["内容"] for t in old_data["文字内容"] if t["栏目"] == "单位职责"]
    assert [t for s, t in texts if s == "单位职责"]
    assert all(t is None for s, t in texts if s in ("存在问题", "有关建议", "总体目标完成情况"))
    # this year's cells are orange
    orange = orange_cells(new)
    assert "B9" in orange["基本信息"]  # 报告日期
    assert {f"C{r}" for r in range(3, 9)} | {f"D{r}" for r in range(3, 9)} <= set(orange["三公经费"])
    assert not any(c.startswith("B") for c in orange["三公经费"])  # the 上年 column is filled, not to fill
    assert len(orange["绩效指标"]) == len(old_data["绩效指标"])
    assert set(orange["绩效指标"]) == {f"F{r}" for r in range(3, 3 + len(old_data["绩效指标"]))}  # 实际完成值
    # the instructions say what happened
    notes = [c.value for c in openpyxl.load_workbook(new)["填写说明"]["A"] if c.value]
    assert any("generate init --year 2025" in n and "2024.xlsx" in n for n in notes)


def test_unfilled_workbook_is_refused_naming_the_cells(project: Path):
    assert run_verb(project, "init", year=2025).exit_code == 0
    result = run(project, 2025)
    assert result.exit_code == 1
    # what the template uses is required: named with the template paragraph and the cell to fill
    assert "用到“基本信息.报告日期”，但工作簿未填写：请填写 2025.xlsx › 基本信息 › B9。" in result.output
    assert "用到“财务.资产总额”，但工作簿未填写：请填写 2025.xlsx › 财务 › B3。" in result.output
    # a result not stated: no score (the form's 得分 names the cell), not a column demanded of every workbook
    assert "用到“绩效指标.行[].得分显示”，但工作簿未填写：请填写 2025.xlsx › 绩效指标 › F3。" in result.output
    assert not (project / "output").exists()


def test_filled_workbook_is_accepted_and_reports_2025(project: Path):
    assert run_verb(project, "init", year=2025).exit_code == 0
    new, old = project / "data" / "2025.xlsx", project / "data" / "2024.xlsx"
    assert fill_orange(new, old) > 100
    result = run(project, 2025)
    assert result.exit_code == 0, result.output
    report = project / "output" / "2025" / "2025年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"
    assert report.is_file()
    text = "\n".join(p.text for p in docx.Document(report).paragraphs)
    assert "2025年度桃源县郑家驿镇人民政府整体支出绩效自评报告" in text
    assert "2026年9月10日" in text
    # 三公: this year's figure filled in, last year's is the 2024 actual (46000.00)
    assert "本年三公经费支出50600.00元" in text
    assert "2024年三公经费支出46000.00元" in text
    assert "2025年12月31日单位资产总额1994.47万元" in text  # 1813.15 × 1.1
    data, _, _ = load(new, 2025)
    old_data, _, _ = load(old, 2024)
    for key in ("三公经费", "基础数据"):
        assert data[key]["上年决算"] == old_data[key]["本年决算"]
    assert data["财务"]["上年项目支出决算数"] == old_data["财务"]["决算项目支出"]


def test_never_overwrites(project: Path):
    target = project / "data" / "2025.xlsx"
    target.write_bytes(b"the clerk's own 2025 workbook")
    result = run_verb(project, "init", year=2025)
    assert result.exit_code == 1
    assert f"{target} 已存在，未覆盖" in result.output
    assert target.read_bytes() == b"the clerk's own 2025 workbook"
    assert sorted(p.name for p in (project / "data").iterdir()) == ["2024.xlsx", "2025.xlsx"]  # no temp left


def test_needs_last_years_workbook(project: Path):
    result = run_verb(project, "init", year=2031)
    assert result.exit_code == 1
    assert f"找不到上一年度的工作簿 {project / 'data' / '2030.xlsx'}" in result.output
    assert "该文件夹中现有：2024.xlsx" in result.output
    assert "新单位请改用 generate new-unit 单位名称 --year 2031。" in result.output


def test_last_years_mistakes_are_named_and_nothing_is_written(project: Path):
    coord = set_field(project / "data" / "2024.xlsx", "财务", "资产总额", "一千八")
    result = run_verb(project, "init", year=2025)
    assert result.exit_code == 1
    assert "未新建 2025 年工作簿" in result.output
    assert f"2024.xlsx › 财务 › {coord}：“资产总额”应为数字" in result.output
    assert not (project / "data" / "2025.xlsx").exists()


def test_batch_every_unit_one_broken(tmp_path: Path, project: Path):
    data = tmp_path / "county"
    for unit in ("甲镇", "乙镇", "丙镇"):
        (data / unit).mkdir(parents=True)
        shutil.copy(project / "data" / "2024.xlsx", data / unit / "2024.xlsx")
    coord = set_field(data / "丙镇" / "2024.xlsx", "财务", "资产总额", "abc")
    runner = CliRunner()
    args = ["init", "--year", "2025", "--data", str(data)]
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1
    out = result.output
    assert f"甲镇：已新建 {data / '甲镇' / '2025.xlsx'}" in out
    assert f"乙镇：已新建 {data / '乙镇' / '2025.xlsx'}" in out
    assert "丙镇：失败：" in out and f"2024.xlsx › 财务 › {coord}" in out
    assert "共 3 个单位：新建 2 个，已存在未覆盖 0 个，失败 1 个。" in out
    assert (data / "甲镇" / "2025.xlsx").is_file() and not (data / "丙镇" / "2025.xlsx").exists()
    before = (data / "甲镇" / "2025.xlsx").read_bytes()
    # again: nothing is overwritten
    result = runner.invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1
    assert f"甲镇：{data / '甲镇' / '2025.xlsx'} 已存在，未覆盖" in result.output
    assert (data / "甲镇" / "2025.xlsx").read_bytes() == before
    # one unit alone
    (data / "乙镇" / "2025.xlsx").unlink()
    result = runner.invoke(main, [*args, "--unit", "乙镇"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"已新建 {data / '乙镇' / '2025.xlsx'}")
