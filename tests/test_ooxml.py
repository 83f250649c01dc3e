"""Every kind of .xlsx we write validates against ECMA-376 and survives LibreOffice (issue 18).

Fresh files of each kind — the SpreadsheetML writer with every feature, the
real -附表.xlsx and county summary, a clerk's workbook prepared by
``xlsx_book``, an annotated workbook — are checked with openxml-audit through
tests/ooxml.py (zero errors beyond its documented exceptions), and opened and
saved back by LibreOffice, whose copy must keep every cell value and merge.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest

import ooxml
from conftest import EXAMPLE, ROOT, require
from test_sheetml import every_feature
from test_xlsx_annotate import FINDINGS, clerk_book as annotate_source
from test_xlsx_book import clerk_book, prepare, saved
from generator import load
from generator import tables_xlsx
from generator.formats import xlsx_book as xb
from generator.pipeline import Report
from generator.summary import build_summary
from generator.formats.xlsx_annotate import annotate

KINDS = ("sheetml", "tables", "summary", "book", "example_book", "annotated", "annotated_example")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ooxml")
    _, ctx, _ = load(EXAMPLE, 2024)
    out: dict[str, bytes] = {"sheetml": every_feature(), "tables": tables_xlsx.tables_workbook(ctx)}
    ok = Report(unit="甲镇", unit_name=ctx["unit"]["name"], year=2024, workbook=EXAMPLE, template=EXAMPLE,
                context=ctx)
    failed = Report(unit="乙镇", unit_name="乙镇", year=2024, workbook=EXAMPLE, template=EXAMPLE,
                    error="工作簿打不开：\n文件已损坏")
    out["summary"] = build_summary(2024, [ok, failed])
    wb = clerk_book()
    prepare(wb)
    out["book"] = saved(wb)
    example = openpyxl.load_workbook(EXAMPLE)
    for ws in example.worksheets[1:]:
        xb.protect(ws, f"B3:{openpyxl.utils.get_column_letter(max(ws.max_column, 2))}{ws.max_row + 5}")
        xb.print_setup(ws, landscape=ws.max_column > 4, title_rows=2)
        xb.freeze_header(ws, 2)
    xb.validate_list(example["绩效指标"], "A3:A100", [f"很长的一级指标名称{i}" for i in range(30)], "请选择")
    xb.validate_number(example["财务"], "B3:B30", "请输入金额（万元）")
    xb.validate_date(example["基本信息"], "B30:B31", "请输入日期")
    out["example_book"] = saved(example)
    out["annotated"] = annotate(annotate_source(folder / "source.xlsx"), FINDINGS, "审核结果")
    out["annotated_example"] = annotate(out["example_book"], [
        ("错误", "执行数超过预算。", [("财务", "B5"), ("基础数据", "C4")]),
        ("提示", "请核对单位简称。", [("基本信息", "B5")]),
        ("提示", "没有这张表。", [("没有", "A1")])], "2024年度 审核结果")
    paths = {}
    for kind, data in out.items():
        paths[kind] = folder / f"{kind}.xlsx"
        paths[kind].write_bytes(data)
    return paths


@pytest.mark.parametrize("kind", KINDS)
def test_file_validates_with_no_errors(files, kind):
    found = ooxml.problems(files[kind])
    assert found == [], ooxml.report(found)


def test_sheetml_files_need_no_exception(files):
    """What we write ourselves is valid even under the validator's own reading of CT_Font."""
    for kind in ("sheetml", "tables", "summary"):
        problems, excepted = ooxml.validate(files[kind])
        assert problems == [] and excepted == [], ooxml.report(problems + excepted)


def test_exception_list_is_the_font_order_only_and_is_applied(files, capsys):
    assert [e.name for e in ooxml.EXCEPTIONS] == ["CT_Font child order"]
    assert '<xsd:choice maxOccurs="unbounded">' in ooxml.EXCEPTIONS[0].schema
    text = ooxml.describe_exceptions()
    assert "CT_Font" in text and ooxml.VALIDATOR_VERSION in text
    _, excepted = ooxml.validate(files["book"])  # openpyxl writes <font><name/>…<b/>…<sz/></font>
    assert excepted and all("Unexpected element" in e.description for e in excepted)


def _with_part(source: Path, target: Path, name: str, edit) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, edit(data.decode("utf-8")).encode("utf-8") if item.filename == name else data)
    return target


def test_harness_still_reports_real_errors(files, tmp_path):
    """Neither the harness nor the validator lets an invalid file through."""
    def swap(xml: str) -> str:  # mergeCells before sheetData: out of CT_Worksheet's order
        start, end = xml.index("<mergeCells"), xml.index("</mergeCells>") + len("</mergeCells>")
        merges = xml[start:end]
        xml = xml[:start] + xml[end:]
        return xml.replace("<sheetData>", merges + "<sheetData>", 1)

    bad_order = _with_part(files["tables"], tmp_path / "order.xlsx", "xl/worksheets/sheet1.xml", swap)
    assert ooxml.problems(bad_order)

    def bad_font(xml: str) -> str:  # a child CT_Font does not have, in a font otherwise "out of order"
        return xml.replace("<font>", '<font><name val="宋体"/><b/><bogus/>', 1)

    broken = _with_part(files["sheetml"], tmp_path / "font.xlsx", "xl/styles.xml", bad_font)
    assert ooxml.problems(broken)

    def twice_bold(xml: str) -> str:  # a repeated child: not what the exception covers
        return xml.replace("<font>", '<font><name val="宋体"/><b/><b/>', 1)

    doubled = _with_part(files["sheetml"], tmp_path / "twice.xlsx", "xl/styles.xml", twice_bold)
    assert ooxml.problems(doubled)


def test_validator_version_pinned_in_test_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert f"{ooxml.VALIDATOR}=={ooxml.VALIDATOR_VERSION}" in project["project"]["optional-dependencies"]["test"]


# ------------------------------------------------------------------ LibreOffice round trip


def _values(ws) -> dict[str, object]:
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.value is None or c.value == "":
                continue
            value = c.value
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, dt.datetime) and value.time() == dt.time():
                value = value.date()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            out[c.coordinate] = value
    return out


def _merges(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def test_libreoffice_opens_and_saves_every_file_keeping_values_and_merges(files, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    require(soffice is not None, "LibreOffice (soffice)")
    out_dir = tmp_path / "saved"
    profile = tmp_path / "lo-profile"
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out_dir)]
    cmd += [str(files[k]) for k in KINDS]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAL_")}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    for kind in KINDS:
        copy = out_dir / files[kind].name
        assert copy.is_file(), f"{kind}: LibreOffice wrote nothing\n{result.stdout}\n{result.stderr}"
        ours = openpyxl.load_workbook(files[kind])
        theirs = openpyxl.load_workbook(copy, data_only=True)  # (LibreOffice saves TRUE as =TRUE() with its value)
        assert theirs.sheetnames == ours.sheetnames, kind
        for name in ours.sheetnames:
            mine, saved_ = _values(ours[name]), _values(theirs[name])
            lost = {k: v for k, v in mine.items() if saved_.get(k) != v
                    and not (isinstance(v, float) and saved_.get(k) == pytest.approx(v, rel=1e-12))}
            assert not lost, f"{kind} › {name}: {[(k, v, saved_.get(k)) for k, v in list(lost.items())[:5]]}"
            assert _merges(ours[name]) <= _merges(theirs[name]), f"{kind} › {name}"
