"""``generate --year 2024 --pdf-tables`` on the example, opened with the real client (issue 7).

LibreOffice converts the report and (``--pdf-tables``; ``--pdf`` converts the report only) its Excel tables,
once for the module; poppler reads the PDFs
back. Skipped when LibreOffice or poppler is missing, except in CI (CI set),
where .ci/run installs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

import generator.formats.pdf as pdf_module
from conftest import REPORT_NAME, ROOT, require
from generator.cli import main

UNIT = "桃源县郑家驿镇人民政府"
HEADINGS = ("一、单位概况", "二、部门财务情况", "三、部门绩效目标", "四、绩效评价工作情况", "五、部门整体支出绩效情况",
            "六、存在的主要问题及原因分析", "七、下一步改进措施", "八、有关建议")
FIGURES = ("1813.15万元", "2826.23万元", "3321.47", "46000.00元", "96380.00元", "95.29", "85.09%")
ATTACHMENTS = {
    1: ("2024年度部门整体支出绩效评价基础数据表", ("财政供养人员情况", "经费控制情况", "三公经费")),
    2: ("2024年度部门整体支出绩效自评表", ("年度绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值",
                                        "实际完成值", "偏差原因分析及改进措施")),
    3: ("项目支出绩效自评表", ("项目名称", "主管部门", "绩效指标")),
}
PAGE_NUMBER = re.compile(r"—\d+—")
TABLES_NAME = REPORT_NAME.replace(".docx", "-附表.xlsx")




def squash(text: str) -> str:
    """No whitespace (pdftotext spaces out justified lines), no page numbers (a paragraph may cross a page)."""
    return PAGE_NUMBER.sub("", "".join(text.split()))


def pdf_pages(path: Path) -> list[str]:
    """The squashed text of each page (pdftotext separates pages with a form feed)."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [squash(page) for page in pages]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    require(pdf_module.find_soffice() is not None, "LibreOffice (soffice)")
    for tool in ("pdftotext", "pdffonts"):
        require(shutil.which(tool) is not None, f"{tool} (poppler-utils)")
    project = tmp_path_factory.mktemp("pdf-report")
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "templates", project / "templates")
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output"), "--pdf-tables"],
                                catch_exceptions=False)
    folder = project / "output" / "2024"
    return {"result": result, "folder": folder, "docx": folder / REPORT_NAME,
            "pdf": folder / REPORT_NAME.replace(".docx", ".pdf")}


def test_pdf_is_written_and_announced(generated: dict) -> None:
    result = generated["result"]
    assert result.exit_code == 0, result.output
    pdf = generated["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"已生成：{pdf}" in result.stdout


def test_pdf_text_carries_the_report(generated: dict) -> None:
    text = "".join(pdf_pages(generated["pdf"]))
    assert f"单位名称：{UNIT}" in text
    assert f"2024年度{UNIT}整体支出绩效自评报告" in text
    for heading in HEADINGS:
        assert heading in text, heading
    for figure in FIGURES:
        assert figure in text, figure
    for number, (title, labels) in ATTACHMENTS.items():
        assert title in text
        for label in labels:
            assert label in text, (number, label)


def test_pdf_text_matches_the_docx_paragraphs(generated: dict) -> None:
    """Every body paragraph of the .docx is in the PDF, in the same order.

    A tab-separated right part (“填报单位：…<tab>单位：万元”) may be read out of order: it only has to be there.
    """
    text = "".join(pdf_pages(generated["pdf"]))
    position = 0
    paragraphs = [[squash(part) for part in p.text.split("\t")] for p in docx.Document(generated["docx"]).paragraphs]
    paragraphs = [p for p in paragraphs if p[0]]
    assert len(paragraphs) > 100
    for first, *rest in paragraphs:
        found = text.find(first, position)
        assert found >= 0, first[:60]
        position = found + len(first)
        for part in rest:
            assert part in text, part


def test_each_attachment_starts_on_its_own_page(generated: dict) -> None:
    pages = pdf_pages(generated["pdf"])
    body_end = next(i for i, page in enumerate(pages) if HEADINGS[-1] in page)
    starts = {}
    for number in ATTACHMENTS:
        found = [i for i, page in enumerate(pages) if page.startswith(f"附件{number}")]
        assert found, f"no page starts with 附件{number}"
        starts[number] = found[0]
        title = ATTACHMENTS[number][0]
        assert pages[found[0]][len(f"附件{number}"):].startswith(title)
    assert body_end < starts[1] < starts[2] < starts[3]
    # no attachment shares a page with the body or with the one before
    for number, start in starts.items():
        assert not any(heading in pages[start] for heading in HEADINGS)
        if number > 1:
            assert f"附件{number - 1}" not in pages[start]


def test_excel_tables_convert(generated: dict) -> None:
    tables = generated["folder"] / TABLES_NAME
    assert tables.is_file()
    pdf = tables.with_suffix(".pdf")
    assert f"已生成：{pdf}" in generated["result"].stdout
    pages = pdf_pages(pdf)
    text = "".join(pages)
    for number, (title, labels) in ATTACHMENTS.items():
        assert any(page.startswith(f"附件{number}") for page in pages), number
        assert title in text
        for label in labels:
            assert label in text, (number, label)
    assert "95.29" in text  # 总分
    assert "4.60" in text and "9.64" in text  # 三公经费 本年 46000 元 and 上年 96380 元, in 万元
    # printing (issue 13 item 7): every page A4, page numbers in the footer
    for i, page in enumerate(pages, start=1):
        assert re.search(rf"第{i}页，共\d+页", page), (i, page[-40:])
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(len(pages)), str(pdf)], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert len(sizes) == len(pages)
    for w, h in sizes:
        assert sorted((round(float(w)), round(float(h)))) == [595, 842], (w, h)  # A4, either orientation


def test_chinese_text_uses_chinese_faces(generated: dict) -> None:
    """The official faces, or Noto CJK (the shipped fontconfig mapping); never a Western or other CJK face."""
    fonts = subprocess.run(["pdffonts", str(generated["pdf"])], capture_output=True, text=True, check=True,
                           timeout=60).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:] if line.strip()]
    cjk = [n for n in names if not re.search(r"DejaVu|Liberation|Times|Courier|Arial|Carlito|Caladea", n)]
    assert cjk, fonts
    if pdf_module.real_font_installed("仿宋_GB2312"):
        return
    # Debian's Noto CJK collections name every face "...CJKjp" in the PDF; test_pdf.py checks the glyphs are SC.
    assert all(re.search(r"Noto(Serif|Sans)CJK", n) for n in cjk), fonts
    assert any("NotoSerifCJK" in n for n in cjk) and any("NotoSansCJK" in n for n in cjk), fonts


# --------------------------------------------------------------------------- batch and re-runs


def make_unit(folder: Path, unit_name: str) -> None:
    import openpyxl

    folder.mkdir(parents=True)
    wb = openpyxl.load_workbook(ROOT / "data" / "2024.xlsx")
    ws = wb["基本信息"]
    row = next(c.row for c in ws["A"] if c.value == "单位全称")
    ws.cell(row, 2).value = unit_name
    wb.save(folder / "2024.xlsx")


def test_batch_pdf_each_unit_gets_its_own(tmp_path: Path) -> None:
    """Three units, two workers: each PDF carries its own unit's name (files are not mixed up between chunks)."""
    require(pdf_module.find_soffice() is not None, "LibreOffice (soffice)")
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    names = {"甲镇": "桃源县甲镇人民政府", "乙镇": "桃源县乙镇人民政府", "丙镇": "桃源县丙镇人民政府"}
    for folder, name in names.items():
        make_unit(tmp_path / "data" / folder, name)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(tmp_path / "data"), "--templates",
                                       str(tmp_path / "templates"), "--out", str(tmp_path / "output"), "--pdf",
                                       "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for unit, name in names.items():
        folder = tmp_path / "output" / "2024" / unit  # each unit's own folder
        pdf = folder / f"2024年度{name}整体支出绩效自评报告.pdf"
        text = "".join(pdf_pages(pdf))
        assert f"单位名称：{name}" in text
        assert not any(other in text for other in names.values() if other != name)
        # --pdf converts the report only (--pdf-tables converts the tables too)
        assert (folder / f"2024年度{name}整体支出绩效自评报告-附表.xlsx").is_file()
        assert not (folder / f"2024年度{name}整体支出绩效自评报告-附表.pdf").exists()
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"{unit}：已生成"))
        assert pdf.name.replace(pdf.stem, "…") in line


def test_pdf_of_an_earlier_run_is_kept_and_named_when_the_conversion_fails(
        generated: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--pdf without LibreOffice: the report is regenerated, the earlier good report PDF is kept and the run says
    it belongs to the earlier report; the tables PDF, not asked for, goes as a stale file."""
    project = tmp_path
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "templates", project / "templates")
    folder = project / "output" / "2024"
    shutil.copytree(generated["folder"], folder)  # the first run's outputs, PDF included
    report_pdf = folder / generated["pdf"].name
    earlier = report_pdf.read_bytes()
    monkeypatch.setattr(pdf_module, "find_soffice", lambda: None)
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output"), "--pdf"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert (folder / REPORT_NAME).is_file()
    assert report_pdf.read_bytes() == earlier
    assert not (folder / TABLES_NAME.replace(".xlsx", ".pdf")).exists()
    assert "apt-get install" in result.stderr and "报告 .docx 已生成，但未生成 PDF。" in result.stderr
    assert f"上次生成的 {report_pdf.name} 已保留，未被替换" in result.stderr


def test_pdf_of_an_earlier_run_is_removed_by_a_run_without_pdf(generated: dict, tmp_path: Path) -> None:
    """A run without --pdf replaces the report: the earlier PDFs (report and tables) go, and the run says so."""
    project = tmp_path
    shutil.copytree(ROOT / "data", project / "data")
    shutil.copytree(ROOT / "templates", project / "templates")
    folder = project / "output" / "2024"
    shutil.copytree(generated["folder"], folder)
    old = [folder / generated["pdf"].name, folder / TABLES_NAME.replace(".xlsx", ".pdf")]
    assert all(p.is_file() for p in old)
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not list(folder.glob("*.pdf"))
    for path in old:
        assert f"已删除与新报告不一致的旧文件：{path}" in result.output
    assert (folder / REPORT_NAME).is_file() and (folder / TABLES_NAME).is_file()
