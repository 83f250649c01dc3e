"""The Excel attachment tables' writer (generator/tables_xlsx.py): plain text, a sound package, and the
evaluator's shortcut for plain names giving exactly what Jinja gives."""

from __future__ import annotations

import copy
import io
import zipfile

import openpyxl
import pytest
from jinja2 import UndefinedError
from lxml import etree

from conftest import EXAMPLE
from generator import load
from generator import tables_xlsx as tx
from generator import sheetml


@pytest.fixture(scope="module")
def ctx():
    _, context, _ = load(EXAMPLE, 2024)
    return context


def _read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _strings(wb: openpyxl.Workbook) -> set[str]:
    return {c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def test_text_from_data_is_shown_as_typed(ctx):
    """An Excel cell is plain text: no HTML escaping, no brace marks, no XML-forbidden characters."""
    c = copy.deepcopy(ctx)
    c["unit"]["name"] = "桃源县A&B<镇>{办}\"'"
    c["projects"][0]["name"] = "项目\x0b一&二"
    wb = _read(tx.tables_workbook(c))
    strings = _strings(wb)
    assert "填报单位：桃源县A&B<镇>{办}\"'" in strings
    assert "桃源县A&B<镇>{办}\"'" in strings  # 附件2 unit cell
    assert "项目一&二" in strings  # the vertical tab is dropped, the ampersand kept
    assert wb["附件3-1"]["B4"].value == "项目一&二"
    assert not any("&amp;" in s or "&lt;" in s or "\ufdd0" in s for s in strings)


def test_package_parts_are_well_formed_and_complete(ctx):
    data = tx.tables_workbook(ctx)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        for name in names:
            etree.fromstring(zf.read(name))  # raises on malformed XML
    sheets = tx.sheet_names(ctx)
    assert {f"xl/worksheets/sheet{k}.xml" for k in range(1, len(sheets) + 1)} <= set(names)
    wb = _read(data)
    assert wb.sheetnames == sheets
    assert wb.properties.creator == "generator"
    ws = wb["附件2 整体自评表"]
    assert ws.print_title_rows and ws.print_area
    assert ws.column_dimensions["D"].width == round(tx.SCORE_GRID[3] * sheetml.CM_TO_CHARS, 1)


def test_no_projects_gives_one_note_sheet(ctx):
    c = copy.deepcopy(ctx)
    c["projects"] = []
    wb = _read(tx.tables_workbook(c))
    assert wb.sheetnames[-1] == "附件3"
    assert [wb["附件3"]["A1"].value, wb["附件3"]["A2"].value] == ["附件3", tx.PROJECT.empty_note]


def _jinja_only() -> tx._Evaluator:
    ev = tx._Evaluator()
    ev._path = lambda source: None  # every text and expression through Jinja
    return ev


def test_plain_name_shortcut_lays_out_exactly_as_jinja(ctx):
    fast, fast_styles = tx.layout(ctx, tx._Evaluator())
    slow, slow_styles = tx.layout(ctx, _jinja_only())
    assert [s.title for s in fast] == [s.title for s in slow]
    for a, b in zip(fast, slow):
        assert a.rows == b.rows and a.merges == b.merges and a.heights == b.heights
    assert fast_styles.keys == slow_styles.keys
    values = [v for s in fast for cols in s.rows.values() for v, _ in cols.values() if v is not None]
    assert len(values) > 300  # the comparison covered the filled tables


@pytest.mark.parametrize("ev", [tx._Evaluator(), _jinja_only()], ids=["shortcut", "jinja"])
def test_missing_names_behave_as_in_jinja(ev):
    scope = {"x": {"a": {"b": 1}}, "items": [1, 2]}
    assert ev.expr("x.a.b", scope) == 1
    assert ev.expr("x.missing", scope) is None  # an undefined result is None, as compile_expression gives
    assert ev.text("{{ x.a.b }}", scope) == "1"
    with pytest.raises(UndefinedError):
        ev.expr("x.missing.b", scope)
    with pytest.raises(UndefinedError):
        ev.text("{{ x.missing }}", scope)
    with pytest.raises(UndefinedError):
        ev.text("{{ nothing }}", scope)
    assert ev.expr("none", scope) is None
    assert ev.expr("items|length", scope) == 2
