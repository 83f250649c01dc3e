"""Batch generation for a county (issue 6 items 3-4): every unit, in parallel, one broken; the county summary."""

from __future__ import annotations

import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

import generator.formats.pdf as pdf_module
from conftest import EXAMPLE, ROOT
from generator.cli import main
from generator import batch
from generator.summary import COLUMNS, FIRST_ROW, HEADER_ROW, STATUS_HEADER
from generator.messages import msg
from generator.pipeline import Options
from generator.read import find_units

YEAR = 2024
# folder -> 单位全称 (None: left empty, the broken unit)
UNITS = {
    "甲镇": "桃源县甲镇人民政府",
    "乙镇": "桃源县乙镇人民政府",
    "丙镇": "桃源县丙镇人民政府",
    "丁镇": None,
}
GOOD = [u for u, name in UNITS.items() if name]
BROKEN = "丁镇"
SUMMARY = f"{YEAR}年度部门整体支出绩效自评汇总表.xlsx"
# 乙镇 spent less on 公务接待, so its row must differ from the others
YI_SANGONG = 45000


def report_name(unit_name: str) -> str:
    return f"{YEAR}年度{unit_name}整体支出绩效自评报告.docx"


def report_path(folder: Path, unit: str) -> Path:
    """A unit's report in the year folder ``folder``: in the unit's own folder, named after its 单位全称."""
    return folder / unit / report_name(UNITS[unit])


def make_unit(folder: Path, unit_name: str | None, sangong_actual: int | None = None) -> Path:
    """``folder/2024.xlsx``: a copy of the example with its own 单位全称 (and 三公经费 本年决算数)."""
    folder.mkdir(parents=True)
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["基本信息"]
    row = next(c.row for c in ws["A"] if c.value == "单位全称")
    ws.cell(row, 2).value = unit_name
    if sangong_actual is not None:
        ws = wb["三公经费"]
        for label in ("合计", "公务接待"):
            row = next(c.row for c in ws["A"] if c.value == label)
            ws.cell(row, 4).value = sangong_actual
    path = folder / f"{YEAR}.xlsx"
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def county_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A county data folder: one sub-folder per unit, 丁镇's 单位全称 empty."""
    data = tmp_path_factory.mktemp("county") / "data"
    for unit, name in UNITS.items():
        make_unit(data / unit, name, YI_SANGONG if unit == "乙镇" else None)
    return data


@pytest.fixture
def county(tmp_path: Path, county_data: Path) -> Path:
    shutil.copytree(county_data, tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def run(project: Path, *args: str, out: str = "output"):
    return CliRunner().invoke(main, ["--year", str(YEAR), "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / out), *args],
                              catch_exceptions=False)


def text_of(path: Path) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def summary_table(path: Path) -> dict[str, dict[str, object]]:
    """Summary rows keyed by 单位文件夹 (and 合计), each a header → value dict."""
    ws = openpyxl.load_workbook(path).active
    headers = [c.value for c in ws[HEADER_ROW]]
    rows = {}
    for row in ws.iter_rows(min_row=FIRST_ROW, values_only=True):
        rows[row[0]] = dict(zip(headers, row, strict=True))
    return rows


# --------------------------------------------------------------------------- the batch run


def test_batch_writes_every_good_unit_and_names_the_broken_one(county: Path) -> None:
    result = run(county, "--jobs", "2")
    assert result.exit_code == 1
    folder = county / "output" / str(YEAR)
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.docx"))
    assert written == sorted(f"{u}/{report_name(UNITS[u])}" for u in GOOD)
    for unit in GOOD:
        text = text_of(report_path(folder, unit))
        assert UNITS[unit] in text
        others = [UNITS[o] for o in GOOD if o != unit]
        assert not any(other in text for other in others)
        # one line per unit on stdout
        lines = [line for line in result.stdout.splitlines() if line.startswith(f"{unit}：已生成")]
        assert len(lines) == 1 and report_name(UNITS[unit]) in lines[0]
    # the broken unit: named, with its workbook, the sheet › cell and the reason
    failed = [line for line in result.stderr.splitlines() if line.startswith(f"{BROKEN}：失败")]
    assert len(failed) == 1
    assert str(county / "data" / BROKEN / f"{YEAR}.xlsx") in failed[0]
    assert "基本信息 › B" in result.stderr and msg("required_empty", label="单位全称") in result.stderr
    assert msg("batch_totals", total=4, written=3, failed=1, pdf_note="") in result.stderr
    assert msg("progress_render") in result.stderr


def test_summary_has_one_row_per_unit_equal_to_each_report(county: Path) -> None:
    run(county, "--jobs", "2")
    folder = county / "output" / str(YEAR)
    rows = summary_table(folder / SUMMARY)
    assert set(rows) == set(UNITS) | {msg("summary_total")}
    for unit in GOOD:
        row = rows[unit]
        text = text_of(report_path(folder, unit))
        sangong = Decimal(YI_SANGONG if unit == "乙镇" else 46000)
        expected = {
            "单位": UNITS[unit],
            "全年预算数（万元）": Decimal("3321.47"),
            "全年执行数（万元）": Decimal("2826.23"),
            "执行率": Decimal("0.8509"),
            "三公经费本年（元）": sangong,
            "三公经费上年（元）": Decimal(96380),
            "三公经费增减（元）": sangong - 96380,
            "自评分": Decimal("95.29"),
            "未完成指标数": 5,
            STATUS_HEADER: msg("summary_status_ok"),
        }
        for header, value in expected.items():
            got = row[header]
            assert (Decimal(str(got)) if isinstance(value, Decimal) else got) == value, (unit, header)
        # the same figures, as the report prints them
        for figure in ("3321.47", "2826.23", "85.09%", f"{sangong}.00", "96380.00", "95.29"):
            assert figure in text, (unit, figure)
        # audit counts: as many as the unit's 审核 list beside its report (the example has both kinds)
        audit = (folder / unit / report_name(UNITS[unit]).replace(".docx", "-审核.md")).read_text("utf-8").splitlines()
        errors = sum(line.startswith("- **错误**") for line in audit)
        hints = sum(line.startswith("- **提示**") for line in audit)
        assert errors > 0 and hints > 0
        assert (row["审核错误数"], row["审核提示数"]) == (errors, hints)
    broken = rows[BROKEN]
    assert broken["单位"] is None and broken["自评分"] is None
    assert str(broken[STATUS_HEADER]).startswith("失败") and "单位全称" in str(broken[STATUS_HEADER])
    total = rows[msg("summary_total")]
    assert Decimal(str(total["全年预算数（万元）"])) == Decimal("3321.47") * 3
    assert Decimal(str(total["三公经费本年（元）"])) == Decimal(46000 * 2 + YI_SANGONG)
    assert total["未完成指标数"] == 15


def test_summary_number_formats_show_what_the_report_shows(county: Path) -> None:
    run(county, "--jobs", "1")
    ws = openpyxl.load_workbook(county / "output" / str(YEAR) / SUMMARY).active
    # laid out for the bureau: header and the first two columns stay in view, a filter on the header,
    # printed landscape on A4, one page wide, the header repeated on every page
    last = FIRST_ROW + len(UNITS) - 1
    assert ws.freeze_panes == "C3"
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:{openpyxl.utils.get_column_letter(len(COLUMNS) + 1)}{last}"
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.cell(row=last + 1, column=1).value == msg("summary_total")
    assert [ws.cell(row=r, column=1).value for r in range(FIRST_ROW, last + 1)] == sorted(UNITS)  # every unit, by folder
    headers = [c.value for c in ws[HEADER_ROW]]
    row = next(r for r in ws.iter_rows(min_row=FIRST_ROW) if r[0].value == "甲镇")
    formats = {h: cell.number_format for h, cell in zip(headers, row, strict=True)}
    assert formats["执行率"] == "0.00%"
    assert formats["自评分"] == "0.00"
    assert formats["全年预算数（万元）"] == "0.00"
    assert [c.header for c in COLUMNS][:2] == ["单位文件夹", "单位"]


def test_unit_option_generates_only_that_unit(county: Path) -> None:
    result = run(county, "--unit", "乙镇")
    assert result.exit_code == 0, result.output
    folder = county / "output" / str(YEAR)
    assert [str(p.relative_to(folder)) for p in folder.rglob("*.docx")] == [f"乙镇/{report_name(UNITS['乙镇'])}"]
    assert not (folder / SUMMARY).exists()
    assert UNITS["乙镇"] in text_of(report_path(folder, "乙镇"))


def test_jobs_1_and_2_write_the_same_files(county: Path) -> None:
    one, two = run(county, "--jobs", "1", out="out1"), run(county, "--jobs", "2", out="out2")
    assert one.exit_code == two.exit_code == 1
    folder1, folder2 = county / "out1" / str(YEAR), county / "out2" / str(YEAR)
    names = sorted(str(p.relative_to(folder1)) for p in folder1.rglob("*.docx"))
    assert names == sorted(str(p.relative_to(folder2)) for p in folder2.rglob("*.docx")) and len(names) == 3
    for name in names:
        with zipfile.ZipFile(folder1 / name) as a, zipfile.ZipFile(folder2 / name) as b:
            assert a.read("word/document.xml") == b.read("word/document.xml")
    assert summary_table(folder1 / SUMMARY) == summary_table(folder2 / SUMMARY)


def test_second_run_rewrites_everything(county: Path) -> None:
    """Parallel workers share one output folder: its hand-edit manifest must record every file."""
    for unit in ("戊镇", "己镇", "庚镇", "辛镇"):
        make_unit(county / "data" / unit, f"桃源县{unit}人民政府")
    first = run(county, "--jobs", "2")
    second = run(county, "--jobs", "2")
    assert first.exit_code == second.exit_code == 1  # only 丁镇 fails
    assert "手工" not in second.stderr and "修改" not in second.stderr
    assert msg("batch_totals", total=8, written=7, failed=1, pdf_note="") in second.stderr


def test_summary_edited_by_hand_is_kept(county: Path) -> None:
    run(county, "--jobs", "2")
    summary = county / "output" / str(YEAR) / SUMMARY
    wb = openpyxl.load_workbook(summary)
    wb.active["A1"] = "局里加的批注"
    wb.save(summary)
    before = summary.read_bytes()
    result = run(county, "--jobs", "2")
    assert result.exit_code == 1
    assert summary.read_bytes() == before
    assert msg("summary_not_written", reason="").rstrip("：") in result.stderr
    assert "--force" in result.stderr
    # the reports were still written
    assert msg("batch_totals", total=4, written=3, failed=1, pdf_note="") in result.stderr


def test_two_units_with_the_same_name_do_not_overwrite_each_other(county: Path) -> None:
    """Two workbooks giving the same 单位全称: each unit's report in its own folder, an audit error in both."""
    make_unit(county / "data" / "甲镇二", UNITS["甲镇"])
    result = run(county, "--jobs", "2")
    assert result.exit_code == 1  # 丁镇 only
    assert msg("batch_totals", total=5, written=4, failed=1, pdf_note="") in result.stderr
    folder = county / "output" / str(YEAR)
    for unit, other in (("甲镇", "甲镇二"), ("甲镇二", "甲镇")):
        assert UNITS["甲镇"] in text_of(folder / unit / report_name(UNITS["甲镇"]))
        audit = (folder / unit / report_name(UNITS["甲镇"]).replace(".docx", "-审核.md")).read_text("utf-8")
        lines = audit.splitlines()
        clash = [i for i, line in enumerate(lines) if "name_clash" in line]
        assert len(clash) == 1 and "**错误**" in lines[clash[0]], audit
        assert f"单位“{unit}”的单位全称“{UNITS['甲镇']}”与单位“{other}”的工作簿相同" in lines[clash[0]]
        assert lines[clash[0] + 1].strip() == f"- {YEAR}.xlsx › 基本信息 › B4"  # the cell of 单位全称
    assert "name_clash" not in (folder / "乙镇" / report_name(UNITS["乙镇"]).replace(".docx", "-审核.md")).read_text(
        "utf-8")


def test_old_format_workbook_in_a_unit_folder(county: Path) -> None:
    folder = county / "data" / "壬镇"
    folder.mkdir()
    (folder / f"{YEAR}.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    result = run(county, "--jobs", "2")
    line = next(line for line in result.stderr.splitlines() if line.startswith("壬镇：失败"))
    assert "另存为" in line and ".xls" in line
    assert msg("batch_totals", total=5, written=3, failed=2, pdf_note="") in result.stderr


def test_unexpected_error_in_one_unit_is_reported_not_raised(county: Path) -> None:
    """A folder name longer than the file system allows (ENAMETOOLONG) is an error nobody planned a message for."""
    units = [("甲镇", county / "data" / "甲镇" / f"{YEAR}.xlsx"), ("怪镇", county / "data" / ("长" * 200) / f"{YEAR}.xlsx")]
    reports = batch.generate_batch(YEAR, units, county / "templates", county / "output", Options(jobs=2))
    good, odd = reports
    assert good.error is None and good.docx_path is not None and good.docx_path.is_file()
    assert odd.error is not None and "长" * 200 in odd.error and "Traceback" not in odd.error
    assert not reports.ok


def test_single_unit_layout_is_not_a_batch(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "output" / str(YEAR) / SUMMARY).exists()
    assert find_units(tmp_path / "data", YEAR, None) is None


def test_pdf_without_libreoffice_still_writes_every_report(county: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine without LibreOffice: the .docx files and summary are written, the install hint shown once."""
    monkeypatch.setattr(pdf_module, "find_soffice", lambda: None)
    result = run(county, "--jobs", "1", "--pdf")
    assert result.exit_code == 1
    folder = county / "output" / str(YEAR)
    assert len(list(folder.glob("*/*.docx"))) == 3 and not list(folder.rglob("*.pdf"))
    assert (folder / SUMMARY).is_file()
    assert result.stderr.count("apt-get install") == 1
    assert result.stderr.count(msg("pdf_no_soffice_short")) >= 3
    assert msg("batch_totals_pdf", count=3) in result.stderr


def test_strict_applies_to_every_unit(county: Path) -> None:
    """--strict in a batch: each unit whose audit finds 错误 fails on its own (the example has some)."""
    result = run(county, "--jobs", "2", "--strict")
    assert result.exit_code == 1
    folder = county / "output" / str(YEAR)
    assert not list(folder.rglob("*.docx"))
    assert msg("batch_totals", total=4, written=0, failed=4, pdf_note="") in result.stderr
    rows = summary_table(folder / SUMMARY)
    assert all(str(rows[u][STATUS_HEADER]).startswith("失败") for u in UNITS)


def test_unit_line_names_an_own_template_and_the_audit(county: Path) -> None:
    own = county / "templates" / "乙镇" / "report.docx"
    own.parent.mkdir()
    shutil.copyfile(county / "templates" / "default" / "report.docx", own)
    result = run(county, "--jobs", "2")
    lines = {u: next(line for line in result.stdout.splitlines() if line.startswith(f"{u}：已生成")) for u in GOOD}
    assert msg("batch_unit_template", path=own) in lines["乙镇"]
    assert all("专用模板" not in lines[u] for u in GOOD if u != "乙镇")
    audit = (report_path(county / "output" / str(YEAR), "甲镇").with_name(
        report_name(UNITS["甲镇"]).replace(".docx", "-审核.md"))).read_text("utf-8")
    errors = audit.count("- **错误**")
    assert errors > 0 and f"审核发现 {errors} 处错误" in lines["甲镇"]


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork",
                    reason="the dying stand-in reaches the workers only when they are forked")
def test_a_worker_that_dies_fails_its_units_not_the_run(county: Path, monkeypatch) -> None:
    """A worker process killed mid-batch (out of memory, say): its units are reported failed with the reason
    and how to retry one, the summary still lists every unit, and nothing is shown as a traceback."""
    import os

    original = batch.run_units

    def dying(units, args):  # the worker process of 乙镇 exits abruptly (inherited by the forked workers)
        if any(unit == "乙镇" for unit, _ in units):
            os._exit(9)
        return original(units, args)

    monkeypatch.setattr(batch, "run_units", dying)
    result = run(county, "--jobs", "2")
    assert result.exit_code == 1
    lost = [line for line in result.stderr.splitlines() if line.startswith("乙镇：失败")]
    assert len(lost) == 1 and "进程意外退出" in lost[0] and "--unit 乙镇" in lost[0]
    assert "Traceback" not in result.output
    rows = summary_table(county / "output" / str(YEAR) / SUMMARY)
    assert set(rows) == set(UNITS) | {msg("summary_total")}
    assert str(rows["乙镇"][STATUS_HEADER]).startswith("失败")
