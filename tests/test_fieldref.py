"""docs/fields.md is generated from the example workbook and must not drift; no name lacks a meaning
(issue 19 item 3, issue 12 item 10)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import EXAMPLE, ROOT
from generator import fields, schema
from generator.commands import fieldref
from generator.formatting import FILTER_DOCS
from generator.pipeline import load

FIELDS_MD = ROOT / "docs" / "fields.md"
COMMAND = "python -m generator.commands.fieldref data/2024.xlsx > docs/fields.md"


@pytest.fixture(scope="module")
def ctx():
    return load(EXAMPLE, None)[1]


def table_rows(text: str, columns: int) -> dict[str, list[str]]:
    """The rows of the markdown tables with ``columns`` columns, keyed by their first cell (a code span)."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \| (.*) \|$", line)
        if m:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", m.group(2))]
            if len(cells) == columns - 1:
                rows[m.group(1).replace("\\|", "|")] = cells
    return rows


def test_committed_reference_is_current() -> None:
    generated = subprocess.run([sys.executable, "-m", "generator.commands.fieldref", "data/2024.xlsx"],
                               capture_output=True, check=True, cwd=ROOT, timeout=120).stdout.decode("utf-8")
    assert FIELDS_MD.read_text("utf-8") == generated, f"docs/fields.md is out of date: run  {COMMAND}"
    assert COMMAND in generated


def test_every_name_has_a_meaning(ctx) -> None:
    rows = fields.field_rows(ctx)
    assert len(rows) > 300
    lacking = [r.name for r in rows if not r.meaning]
    assert not lacking, lacking
    # open names of other units' shapes too: staff rows with 上级, facts, text sections and groups of any name
    for name in ("人员编制.全额拨款事业编制.核定编制", "人员编制.执行公务员津补贴人员.实有人数", "人员编制.事业编制.下级[].类别",
                 "文字内容.自评组织", "文字内容.自评组织[].内容", "概况数据.村", "机构.派驻机构.名单", "机构.执法机构.个数",
                 "机构.分组[].名称", "绩效指标.效益指标.社会效益指标.指标[].三级指标", "项目[].绩效指标.一级[].二级[].名称",
                 "绩效指标.产出指标.二级[].完成句", "项目[].资金.上年结转资金.全年执行数"):
        assert fields.meaning(name), name


def test_a_name_nobody_described_has_no_meaning() -> None:
    assert fields.meaning("预算.全新的数字") is None
    assert fields.meaning("财务.资产合计") is None


def test_the_reference_gives_each_name_its_cell_value_and_alias(ctx) -> None:
    rows = table_rows(FIELDS_MD.read_text("utf-8"), 6)
    wb = openpyxl.load_workbook(EXAMPLE)
    # (name, kind, meaning starts, cell, value as the template prints it, English alias) — values from the workbook
    assets_cell = next(c for c in wb["财务"]["A"] if c.value == "资产总额").row
    assert rows["财务.资产总额"] == ["数字", "资产总额（万元）", f"财务 › B{assets_cell}",
                                 f"{wb['财务'][f'B{assets_cell}'].value:.2f}", "`finance.assets_total`"]
    assert rows["基本信息.单位全称"][2:4] == ["基本信息 › B4", "桃源县郑家驿镇人民政府"]
    assert rows["基本信息.报告日期"][3] == "2025年9月15日"
    assert rows["三公经费.上年决算.合计"][2:4] == ["三公经费 › B3", "96380.00"]
    assert rows["三公经费.本年决算.公务接待"][0] == "数字" and rows["三公经费.本年决算.公务接待"][3] == "46000.00"
    assert rows["预算.执行率"][3] == "85.09%" and rows["预算.执行率"][4] == "`budget.execution_rate`"
    assert rows["自评.总分"][3] == "95.29"
    assert rows["人员编制.合计.核定编制"][3] == "81" and rows["人员编制.行政编制.实有人数"][3] == "26"
    assert rows["项目[].资金.当年财政拨款.全年执行数"][3] == "620.35"  # money, not a count
    assert rows["机构.内设机构.名单"][3] == "4 项"
    assert rows["文字内容.单位职责"][0] == "列表"
    assert rows["绩效指标.行[].一级首行"][1].startswith("是否为其一级指标下的第一行")
    # every Chinese label of the schema's fixed sheets is a name, with the label in its meaning
    for sheet in (schema.BASIC, schema.FINANCE, schema.OTHER):
        for f in sheet.fields:
            assert f"{sheet.name}.{f.zh}" in rows, (sheet.name, f.zh)
            assert rows[f"{sheet.name}.{f.zh}"][1].startswith(f.label)
    for sheet in (schema.SANGONG, schema.BASE_DATA):
        for c in sheet.columns:
            for r in sheet.rows:
                assert f"{sheet.name}.{c.zh}.{r.zh}" in rows


def test_filters_and_open_names_are_documented() -> None:
    text = FIELDS_MD.read_text("utf-8")
    filters = table_rows(text, 5)
    for name, alias, _, _ in FILTER_DOCS:
        assert name in filters, name
        assert filters[name][0] == (f"`{alias}`" if alias else "")
    assert filters["万元"][3] == "1813.15" and filters["百分比"][3] == "2.26%" and filters["日期"][3] == "2025年9月15日"
    assert filters["列举"][3] == "党政办公室、党建办公室、经济发展办公室和平安法治和应急管理办公室"
    open_names = table_rows(text, 3)
    for name in ("机构.‹分组›.名单", "人员编制.‹类别›.核定编制", "人员编制.‹类别›.上级", "文字内容.‹栏目›", "概况数据.‹名称›"):
        assert name in open_names and open_names[name][0], name
    for topic in ("“文字内容”表的栏目", "“概况数据”表", "“上级”", "“机构”表的分组", "{%tr for", "{%p for", "vmerge"):
        assert topic in text, topic


def test_repeated_structures_are_listed_once(ctx) -> None:
    """Each 一级/二级 group and each project's indicators have the same fields: listed under the first name."""
    names = [r.name for r in fields.field_rows(ctx)]
    assert len(names) == len(set(names))
    assert "绩效指标.产出指标" in names and "绩效指标.效益指标" in names  # every group is named
    assert "绩效指标.产出指标.二级" in names and "绩效指标.效益指标.二级" not in names  # its fields once
    assert len([n for n in names if n.startswith("项目[].绩效指标")]) < 20
