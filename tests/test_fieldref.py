"""docs/fields.md is generated from the code and must not drift from it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from generator import example, fieldref
from generator.formatting import FILTERS

from conftest import ROOT

FIELDS_MD = ROOT / "docs" / "fields.md"


def test_committed_reference_equals_generated():
    generated = fieldref.document()
    assert FIELDS_MD.read_text("utf-8") == generated, (
        "docs/fields.md is out of date: run  python -m generator.fieldref > docs/fields.md")


def test_module_entry_point_prints_the_document():
    out = subprocess.run([sys.executable, "-m", "generator.fieldref"], capture_output=True, check=True, cwd=ROOT)
    assert out.stdout.decode("utf-8") == fieldref.document()


def _table_rows(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \| (.*) \|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(2))]
    return rows


def test_every_context_variable_is_listed_with_meaning_and_example_value():
    ctx = example.context()
    rows = _table_rows(fieldref.document())

    def leaves(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from leaves(v, f"{path}.{k}" if path else k)
        else:
            yield path, value

    aliased = [p + "." for p, cells in rows.items() if len(cells) == 3 and "结构同" in cells[1]]
    listed = 0
    for path, value in leaves(ctx, ""):
        if "[" in path or any(path.startswith(a) for a in aliased):
            continue
        assert path in rows, path
        kind, meaning, shown = rows[path]
        assert meaning, path
        listed += 1
    assert listed > 100
    # example values are the example's, formatted plainly
    assert rows["unit.name"][2] == "桃源县郑家驿镇人民政府"
    assert rows["score.total"][2] == "95.29"
    assert rows["finance.assets_total"][1] == "资产总额（万元）"
    assert rows["sangong.prev_actual.total"][2] == "96380"
    assert rows["unit.report_date"][2] == "2025-09-15"
    assert rows["orgs.internal"][2].startswith("4 项：党政办公室、")
    # list items are described through their fields, larger repeated structures point at the first
    assert rows["texts.duties[].text"][1]
    assert rows["indicators.rows[].l1_first"][1].startswith("是否为其一级指标下的第一行")
    assert "结构同 `indicators`" in rows["projects[].indicators"][1]


def test_every_filter_is_documented_and_its_example_renders():
    rows = _table_rows(fieldref.document())
    for name in FILTERS:
        assert name in rows, name
    assert rows["wan"][2] == "1813.15"
    assert rows["pct"][2] == "2.26%"
    assert rows["cn_date"][2] == "2025年9月15日"


def test_a_new_context_variable_without_meaning_fails_loudly():
    ctx = example.context()
    ctx["budget"]["brand_new_figure"] = 1
    with pytest.raises(LookupError, match="budget.brand_new_figure"):
        fieldref.rows(ctx)


def test_variable_list_for_template_check_matches_rows():
    ctx = example.context()
    listed = fieldref.variable_list(ctx)
    assert [p for p, _ in listed] == [r.path for r in fieldref.rows(ctx)]
    assert ("year", "报告年度") in listed
