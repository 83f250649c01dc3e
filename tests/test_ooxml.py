"""Every kind of .docx and .xlsx the tool writes validates against ECMA-376 and survives LibreOffice (issue 18).

Fresh files of each kind, made here through the CLI and the builders — the
report, the default template, the -附表.xlsx, the annotated workbook
(-审核.xlsx), the county summary, the example workbook, a next year's (--init)
and a new unit's workbook — and the writers' feature files are checked with
openxml-audit through tests/ooxml.py (zero errors beyond its documented
exceptions, which it prints), and opened and saved back by LibreOffice, whose
copy must keep every paragraph, cell value and merge of ours.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

import ooxml
from conftest import EXAMPLE, ROOT, require
from test_sheetml import every_feature
from test_xlsx_annotate import FINDINGS, clerk_book as annotate_source
from test_xlsx_book import clerk_book, prepare, saved
from generator.cli import main
from generator.workbook_layout import write_workbook
from generator.formats.xlsx_annotate import annotate

sys.path.insert(0, str(ROOT / "examples"))
import zhengjiayi  # noqa: E402

# every .docx and .xlsx the tool writes, made fresh here, and the writers' own feature files
PRODUCT = ("report", "template", "tables", "audit_book", "summary", "example_book", "init_book", "new_unit_book")
KINDS = PRODUCT + ("sheetml", "book", "annotated")
SUFFIX = {"report": ".docx", "template": ".docx"}


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ooxml")
    data, templates, out = folder / "data", folder / "templates", folder / "output"
    shutil.copytree(ROOT / "templates", templates)
    for unit in ("甲镇", "乙镇"):
        (data / unit).mkdir(parents=True)
        shutil.copy(EXAMPLE, data / unit / "2024.xlsx")
    wb = openpyxl.load_workbook(data / "乙镇" / "2024.xlsx")
    for row in wb["基本信息"].iter_rows(min_row=3):
        if row[0].value == "单位全称":
            row[1].value = "桃源县乙镇人民政府"
    wb.save(data / "乙镇" / "2024.xlsx")
    _cli("--year", "2024", "--data", str(data), "--templates", str(templates), "--out", str(out), "--jobs", "1")
    _cli("init", "--year", "2025", "--data", str(data))
    _cli("new-unit", "丙镇", "--year", "2024", "--data", str(data), "--templates", str(templates))
    stem = out / "2024" / "甲镇" / "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告"  # 甲镇's own folder
    built = folder / "built"
    built.mkdir()
    write_workbook(built / "2024.xlsx", zhengjiayi.data(), notes=zhengjiayi.NOTES)
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_template.py"), str(built / "report.docx")],
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    paths = {"report": stem.with_suffix(".docx"), "template": built / "report.docx",
             "tables": stem.with_name(stem.name + "-附表.xlsx"), "audit_book": stem.with_name(stem.name + "-审核.xlsx"),
             "summary": out / "2024" / "2024年度部门整体支出绩效自评汇总表.xlsx", "example_book": built / "2024.xlsx",
             "init_book": data / "甲镇" / "2025.xlsx", "new_unit_book": data / "丙镇" / "2024.xlsx"}
    named = folder / "files"  # each under its kind's name (LibreOffice names its copies after the file)
    named.mkdir()
    for kind, path in list(paths.items()):
        paths[kind] = shutil.copy(path, named / f"{kind}{SUFFIX.get(kind, '.xlsx')}")
    wb = clerk_book()
    prepare(wb)
    extra = {"sheetml": every_feature(), "book": saved(wb),
             "annotated": annotate(annotate_source(folder / "source.xlsx"), FINDINGS, "审核结果")}
    for kind, raw in extra.items():
        paths[kind] = named / f"{kind}.xlsx"
        paths[kind].write_bytes(raw)
    return {kind: Path(path) for kind, path in paths.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_file_validates_with_no_errors(files, kind):
    found = ooxml.problems(files[kind])
    assert found == [], ooxml.report(found)


def test_every_kind_of_file_the_tool_writes_is_here(files):
    assert all(files[k].is_file() for k in KINDS)
    assert {files[k].suffix for k in PRODUCT} == {".docx", ".xlsx"}


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


XLSX = [k for k in KINDS if k not in SUFFIX]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _round_trip(files: dict[str, Path], kinds: list[str], target: str, out_dir: Path) -> subprocess.CompletedProcess:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    require(soffice is not None, "LibreOffice (soffice)")
    cmd = [soffice, f"-env:UserInstallation={(out_dir.parent / 'lo-profile').as_uri()}", "--headless", "--norestore",
           "--convert-to", target, "--outdir", str(out_dir)] + [str(files[k]) for k in kinds]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAL_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)


def test_libreoffice_opens_and_saves_every_workbook_keeping_values_and_merges(files, tmp_path):
    out_dir = tmp_path / "saved"
    result = _round_trip(files, XLSX, "xlsx:Calc MS Excel 2007 XML", out_dir)
    assert result.returncode == 0, result.stderr
    for kind in XLSX:
        copy = out_dir / files[kind].name
        assert copy.is_file(), f"{kind}: LibreOffice wrote nothing\n{result.stdout}\n{result.stderr}"
        ours = openpyxl.load_workbook(files[kind])
        theirs = openpyxl.load_workbook(copy, data_only=True)  # (LibreOffice saves TRUE as =TRUE() with its value)
        assert theirs.sheetnames == ours.sheetnames, kind
        for name in ours.sheetnames:
            if name == "模板字段":  # formulas of ours come back as LibreOffice's computed values
                continue
            mine, saved_ = _values(ours[name]), _values(theirs[name])
            lost = {k: v for k, v in mine.items() if saved_.get(k) != v
                    and not (isinstance(v, float) and saved_.get(k) == pytest.approx(v, rel=1e-12))
                    and not (isinstance(v, str) and v.startswith("="))}
            assert not lost, f"{kind} › {name}: {[(k, v, saved_.get(k)) for k, v in list(lost.items())[:5]]}"
            assert _merges(ours[name]) <= _merges(theirs[name]), f"{kind} › {name}"


def _vertical_merges(tbl) -> list[tuple[int, int, int]]:
    """(row, cell index in the row, rows spanned) of every vertical merge over two rows or more."""
    out, open_ = [], {}
    for r, tr in enumerate(tbl.iter(f"{W}tr")):
        for c, tc in enumerate(tr.iter(f"{W}tc")):
            vm = tc.find(f"{W}tcPr/{W}vMerge")
            state = None if vm is None else ("restart" if vm.get(f"{W}val") == "restart" else "continue")
            if state == "continue" and c in open_:
                open_[c][2] += 1
            else:
                if c in open_ and open_[c][2] > 1:
                    out.append(tuple(open_[c]))
                open_.pop(c, None)
                if state == "restart":
                    open_[c] = [r, c, 1]
    out += [tuple(v) for v in open_.values() if v[2] > 1]
    return sorted(out)


def _docx_shape(path: Path) -> tuple[list[str], list[list[str]], list[tuple[int, int]]]:
    """Paragraph texts, table cell texts and, per table, (horizontal spans, vertical merges) of a .docx."""
    d = docx.Document(path)
    # each cell once, as it stands in its row (LibreOffice may lay the same table on another column grid)
    cells = [["".join(x.text or "" for x in tc.iter(f"{W}t")) for tr in t._tbl.iter(f"{W}tr")
              for tc in tr.iter(f"{W}tc")] for t in d.tables]
    merges = [(0, _vertical_merges(t._tbl)) for t in d.tables]
    return [p.text for p in d.paragraphs], cells, merges


def test_libreoffice_opens_and_saves_the_report_keeping_paragraphs_cells_and_merges(files, tmp_path):
    out_dir = tmp_path / "saved"
    result = _round_trip(files, ["report"], "docx:MS Word 2007 XML", out_dir)
    assert result.returncode == 0, result.stderr
    copy = out_dir / files["report"].name
    assert copy.is_file(), result.stdout + result.stderr
    ours, theirs = _docx_shape(files["report"]), _docx_shape(copy)
    assert [p for p in theirs[0] if p.strip()] == [p for p in ours[0] if p.strip()]
    assert theirs[1] == ours[1]  # the same cells in every row: no horizontal merge undone (LibreOffice may regrid)
    assert theirs[2] == ours[2]  # every vertical merge kept, over the same rows
