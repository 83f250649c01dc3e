"""Shared fixtures: a throw-away copy of the project's data and templates, and workbook editing helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the published report (public text), copied from ../shared/reference so the tests need nothing outside the repo
REFERENCE = ROOT / "tests" / "reference" / "zhengjiayi-2024-report.txt"
EXAMPLE = ROOT / "data" / "2024.xlsx"
REPORT_NAME = "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"


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
