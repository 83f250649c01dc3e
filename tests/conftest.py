"""Shared fixtures: a throw-away copy of the project's data and templates, and workbook editing helpers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the published report (public text), copied from ../shared/reference so the tests need nothing outside the repo
REFERENCE = ROOT / "tests" / "reference" / "zhengjiayi-2024-report.txt"
EXAMPLE = ROOT / "data" / "2024.xlsx"
REPORT_NAME = "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"


@pytest.fixture(scope="session", autouse=True)
def _code_cache(tmp_path_factory: pytest.TempPathFactory):
    """Compiled templates go to a folder of this test session (and of the CLI processes it starts), not ~/.cache."""
    saved = os.environ.get("GENERATOR_CACHE_DIR")
    os.environ["GENERATOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("code-cache"))
    yield
    if saved is None:
        os.environ.pop("GENERATOR_CACHE_DIR", None)
    else:
        os.environ["GENERATOR_CACHE_DIR"] = saved


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder laid out like a clerk's: data/2024.xlsx and templates/ (copies), output/ empty."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def set_cells(workbook: Path, sheet: str, edits: dict[str, object]) -> None:
    """Set cells by address (``{"B3": 1.5}``) in a copy of a workbook."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[sheet]
    for coord, value in edits.items():
        ws[coord] = value
    wb.save(workbook)


def field_cell(workbook: Path, sheet: str, label: str, column: str = "B") -> str:
    """The address of the value cell of the row labelled ``label`` in column A."""
    wb = openpyxl.load_workbook(workbook, read_only=True)
    for row in wb[sheet].iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if cell.value is not None and str(cell.value).strip() == label:
            return f"{column}{cell.row}"
    raise KeyError(label)


def set_field(workbook: Path, sheet: str, label: str, value: object, column: str = "B") -> str:
    coord = field_cell(workbook, sheet, label, column)
    set_cells(workbook, sheet, {coord: value})
    return coord


def require(available: bool, what: str) -> None:
    """Skip when a tool is missing, but fail in CI, where it must be present."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but was not found")
    pytest.skip(f"{what} not installed")


def append_rows(path: Path, sheet: str, rows: list[list]) -> None:
    """Append rows below the last filled row of column A of ``sheet``."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    last = max(c.row for c in ws["A"] if c.value not in (None, ""))
    for k, values in enumerate(rows, start=1):
        for j, v in enumerate(values, start=1):
            ws.cell(row=last + k, column=j, value=v)
    wb.save(path)


def extend_example(workbook: Path) -> None:
    """A fourth 成本指标, a new 二级 group under 效益指标, and a fourth project with three indicators."""
    # indicator columns: 一级, 二级, 三级, 比较, 指标值, 完成值, 单位, 分值
    append_rows(workbook, "绩效指标", [
        ["产出指标", "成本指标", "会议费控制", "≤", 10, 8, "万元", 1],
        ["效益指标", "示范效益指标", "示范点建设", None, "建成", "建成", None, 1],
        ["效益指标", "示范效益指标", "示范点推广", None, "推广", "推广", None, 1],
    ])
    append_rows(workbook, "项目", [["新增示意项目", "桃源县郑家驿镇人民政府", "桃源县郑家驿镇人民政府", 0, 10, 0, 0, 10, 0, 0,
                                    8, 0, 0, "示意目标", "示意完成情况", "示意数据"]])
    append_rows(workbook, "项目指标", [
        ["新增示意项目", "产出指标", "数量指标", "示意指标甲", "≥", 2, 2, "个", 50],
        ["新增示意项目", "产出指标", "数量指标", "示意指标乙", "≥", 4, 2, "个", 20],
        ["新增示意项目", "满意度指标", "服务对象满意度指标", "满意度", "≥", 0.9, 0.95, "%", 20],
    ])
