"""A clerk's slips caught, each with file › sheet › cell and a suggested fix (issue 13 item 5).

Each slip is made on a copy of the example workbook with openpyxl; the run names
the cell and suggests the fix, and no output (report, tables, audit lists) ever
shows the slipped value as if it were right.
"""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
from click.testing import CliRunner

from generator.cli import main


def run(project: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


def _row_of(ws, column: str, text: str) -> int:
    for cell in ws[column]:
        if cell.value == text:
            return cell.row
    raise KeyError(text)


def _column_of(ws, header: str) -> str:
    for cell in ws[2]:
        if cell.value == header:
            return cell.column_letter
    raise KeyError(header)


def _outputs_text(project: Path) -> str:
    folder = project / "output" / "2024"
    if not folder.is_dir():
        return ""
    texts = []
    for path in folder.iterdir():
        if path.suffix == ".docx":
            d = docx.Document(path)
            texts += [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
        elif path.suffix == ".md":
            texts.append(path.read_text("utf-8"))
    return "\n".join(texts)


def _set_indicator(project: Path, indicator: str, column: str, value: object) -> str:
    """Type ``value`` in the ``column`` of the example's indicator ``indicator``; its cell."""
    book = project / "data" / "2024.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["绩效指标"]
    cell = f"{_column_of(ws, column)}{_row_of(ws, _column_of(ws, '三级指标'), indicator)}"
    ws[cell] = value
    wb.save(book)
    return cell


def test_a_percentage_typed_as_80_in_a_percent_cell_asks_for_80_percent(project: Path) -> None:
    cell = _set_indicator(project, "医保参保率", "实际完成值", 80)  # the cell keeps its percent format: Excel shows 8000%
    result = run(project)
    assert result.exit_code == 1
    assert f"2024.xlsx › 绩效指标 › {cell}" in result.output
    assert "8000%" in result.output and "是否应为 80%" in result.output
    assert "8000%" not in _outputs_text(project)  # nothing was written
    assert not (project / "output" / "2024").exists() or not any((project / "output" / "2024").glob("*.docx"))


def test_a_typo_in_the_indicator_vocabulary_gets_the_nearest_name(project: Path) -> None:
    cell = _set_indicator(project, "安全隐患排查", "二级指标", "数量指示")
    result = run(project)
    assert result.exit_code == 1
    assert f"2024.xlsx › 绩效指标 › {cell}" in result.output
    assert "数量指示" in result.output and "是否应为“数量指标”" in result.output
    assert "数量指示" not in _outputs_text(project)


def test_a_local_indicator_name_is_a_hint_not_an_error(project: Path) -> None:
    cell = _set_indicator(project, "安全隐患排查", "二级指标", "安全生产专项指标")  # nothing like the national names: a local term
    result = run(project)
    assert result.exit_code == 0, result.output
    assert "[提示]" in result.output and "安全生产专项指标" in result.output and f"绩效指标 › {cell}" in result.output


def test_an_excel_lock_file_beside_the_workbook_warns_that_unsaved_edits_are_missing(project: Path) -> None:
    (project / "data" / "~$2024.xlsx").write_bytes(b"\x00" * 165)  # what Excel/WPS keep while the file is open
    result = run(project)
    assert result.exit_code == 0, result.output
    assert "~$2024.xlsx" in result.output and "未保存的修改不会出现在报告中" in result.output


def test_a_sheet_name_with_a_stray_space_or_full_width_letters_is_read_and_named(project: Path) -> None:
    book = project / "data" / "2024.xlsx"
    wb = openpyxl.load_workbook(book)
    wb["财务"].title = "财务 "  # a trailing space
    wb.save(book)
    result = run(project)
    assert result.exit_code == 0, result.output
    assert "“财务 ”" in result.output and "与“财务”只差空格或全角字符" in result.output
    assert "1813.15" in _outputs_text(project)  # the sheet was read


def test_a_column_inserted_before_the_values_is_named_as_such(project: Path) -> None:
    book = project / "data" / "2024.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["财务"]
    ws.insert_cols(2)  # the header “内容” moves too, so give it a fresh header: as a clerk's copy-paste does
    ws["B2"], ws["C2"] = "内容", None
    wb.save(book)
    result = run(project)
    assert result.exit_code == 1
    assert "2024.xlsx › 财务 › B3" in result.output and "可能插入了一列" in result.output
