"""Tests for generator.pdf (LibreOffice headless PDF conversion, CJK fonts).

Tests that run LibreOffice or poppler are skipped when the tools are missing,
except in CI (environment variable CI set), where they must be installed:
    apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk poppler-utils
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.text.run import Run

import generator.formats.pdf as pdf_module
from generator.messages import msg
from generator.formats.pdf import PdfConverter, PdfError

from conftest import require

POPPLER_TOOLS = ("pdftotext", "pdffonts", "pdftoppm")

HEADING = "一、单位概况"
# 骨 and 直 have visibly different glyphs in the JP and SC faces.
BODY = "桃源县郑家驿镇人民政府 1813.15万元，直接用于骨干项目。"
ATTACHMENT = "附件1"




def require_soffice_and_poppler() -> None:
    require(pdf_module.find_soffice() is not None, "LibreOffice (soffice)")
    for tool in POPPLER_TOOLS:
        require(shutil.which(tool) is not None, f"{tool} (poppler-utils)")


def squash(text: str) -> str:
    """Remove all whitespace: pdftotext inserts spaces at font changes."""
    return "".join(text.split())


def run_tool(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    return result.stdout


def set_font(run: Run, font: str) -> None:
    """Set the East Asian (and Latin) font of a run, as the generator does."""
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), font)


def build_report(path: Path, heading_font: str = "黑体", body_font: str = "仿宋_GB2312") -> Path:
    """Two pages: heading + body on page 1, an attachment table on page 2."""
    document = Document()
    set_font(document.add_paragraph().add_run(HEADING), heading_font)
    body = document.add_paragraph()
    set_font(body.add_run(BODY), body_font)
    body.add_run().add_break(WD_BREAK.PAGE)
    table = document.add_table(rows=2, cols=2)
    texts = (ATTACHMENT, "部门整体支出绩效评价基础数据表", "在职人数", "12")
    for cell, text in zip(table._cells, texts, strict=True):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), body_font)
    document.save(str(path))
    return path


def build_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = ATTACHMENT
    sheet["A2"] = "在职人数"
    sheet["B2"] = 12
    workbook.save(str(path))
    return path


def page_image(pdf: Path, page: int, out_root: Path) -> bytes:
    """Page ``page`` rendered as a greyscale PGM (deterministic bytes)."""
    run_tool(
        "pdftoppm",
        "-r",
        "40",
        "-gray",
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
        str(pdf),
        str(out_root),
    )
    return out_root.with_suffix(".pgm").read_bytes()


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    require_soffice_and_poppler()
    with PdfConverter() as shared:
        yield shared


@pytest.fixture(scope="module")
def converted(converter: PdfConverter, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report, two font references and a workbook, converted in ONE call."""
    src = tmp_path_factory.mktemp("src")
    sources = {
        "report": build_report(src / "report.docx"),
        "ref_sc": build_report(src / "ref_sc.docx", "Noto Sans CJK SC", "Noto Serif CJK SC"),
        "ref_jp": build_report(src / "ref_jp.docx", "Noto Sans CJK JP", "Noto Serif CJK JP"),
        "workbook": build_workbook(src / "workbook.xlsx"),
    }
    out = tmp_path_factory.mktemp("pdf")
    pdfs = converter.convert(list(sources.values()), out)
    return dict(zip(sources, pdfs, strict=True))


def test_text_is_present(converted: dict[str, Path]) -> None:
    text = squash(run_tool("pdftotext", str(converted["report"]), "-"))
    assert squash(HEADING) in text
    assert "桃源县郑家驿镇人民政府" in text
    assert "1813.15万元" in text


def test_attachment_starts_on_page_two(converted: dict[str, Path]) -> None:
    page1 = squash(run_tool("pdftotext", "-f", "1", "-l", "1", str(converted["report"]), "-"))
    page2 = squash(run_tool("pdftotext", "-f", "2", "-l", "2", str(converted["report"]), "-"))
    assert ATTACHMENT in page2
    assert ATTACHMENT not in page1
    assert squash(HEADING) in page1


def test_official_fonts_map_to_simplified_chinese_faces(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    fonts = run_tool("pdffonts", str(converted["report"]))
    if pdf_module.real_font_installed("仿宋_GB2312"):
        assert "FangSong" in fonts or "仿宋" in fonts, fonts
        return
    # The body (仿宋_GB2312) must use the serif, the heading (黑体) the sans.
    # Note: pdffonts cannot tell SC from JP here. In Debian's Noto CJK
    # collection all faces share one CFF table named "NotoSerifCJKjp-...",
    # so the PDF always says "jp". The page images below tell them apart.
    assert "NotoSerifCJK" in fonts, fonts
    assert "NotoSansCJK" in fonts, fonts

    report = page_image(converted["report"], 1, tmp_path / "report")
    ref_sc = page_image(converted["ref_sc"], 1, tmp_path / "ref_sc")
    ref_jp = page_image(converted["ref_jp"], 1, tmp_path / "ref_jp")
    assert ref_sc != ref_jp, "test text must contain glyphs that differ between SC and JP"
    assert report == ref_sc, "official fonts were not rendered with Noto CJK SC"


def test_xlsx_converts_in_the_same_call(converted: dict[str, Path]) -> None:
    assert converted["workbook"].name == "workbook.pdf"
    text = squash(run_tool("pdftotext", str(converted["workbook"]), "-"))
    assert ATTACHMENT in text


def test_two_files_in_one_call(converter: PdfConverter, tmp_path: Path) -> None:
    first = build_report(tmp_path / "第一份.docx")
    second = build_report(tmp_path / "second.docx")
    out = tmp_path / "out"
    pdfs = converter.convert([first, second], out)
    assert pdfs == [out / "第一份.pdf", out / "second.pdf"]
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF")
    # The temporary conversion directory is gone.
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in pdfs)


def test_converters_run_in_parallel(tmp_path: Path) -> None:
    require_soffice_and_poppler()
    errors: list[BaseException] = []
    results: list[Path] = []

    def work(index: int) -> None:
        try:
            source = build_report(tmp_path / f"parallel{index}.docx")
            with PdfConverter() as own:
                results.extend(own.convert([source], tmp_path / f"out{index}"))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == 2 and all(p.stat().st_size > 0 for p in results)


def test_timeout_raises_and_cleans_up(tmp_path: Path) -> None:
    require_soffice_and_poppler()
    source = build_report(tmp_path / "slow.docx")
    converter = PdfConverter(timeout_base=0.2, timeout_per_file=0.0)
    profile = converter.profile_dir
    with converter, pytest.raises(PdfError) as info:
        converter.convert([source], tmp_path / "out")
    assert "超时" in info.value.message_zh
    assert not profile.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_missing_soffice_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "find_soffice", lambda: None)
    with pytest.raises(PdfError) as info:
        PdfConverter()
    message = info.value.message_zh
    assert message == msg("pdf_soffice_missing")
    assert "sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk" in message
    assert "libreoffice.org" in message and "PATH" in message


def test_duplicate_output_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = build_report(tmp_path / "x" / "报告.docx")
    b = build_report(tmp_path / "y" / "报告.docx")
    # The check happens before soffice runs, so a fake path is fine.
    with PdfConverter(soffice="/nonexistent/soffice") as converter, pytest.raises(PdfError) as info:
        converter.convert([a, b], tmp_path / "out")
    assert "报告.pdf" in info.value.message_zh


def test_missing_input_is_reported(tmp_path: Path) -> None:
    with PdfConverter(soffice="/nonexistent/soffice") as converter, pytest.raises(PdfError) as info:
        converter.convert([tmp_path / "无此文件.docx"], tmp_path / "out")
    assert "无此文件.docx" in info.value.message_zh


def test_fonts_report_lists_substitutes() -> None:
    require(shutil.which("fc-match") is not None, "fc-match (fontconfig)")
    lines = pdf_module.fonts_report()
    assert len(lines) == len(pdf_module.OFFICIAL_FACES)
    for face, line in zip(pdf_module.OFFICIAL_FACES, lines, strict=True):
        assert line.startswith(face)
    resolved = pdf_module.font_substitutions()
    if pdf_module.fontconfig_override() is not None:
        if not pdf_module.real_font_installed("仿宋_GB2312"):
            assert resolved["仿宋_GB2312"] == "Noto Serif CJK SC"
        if not pdf_module.real_font_installed("黑体"):
            assert resolved["黑体"] == "Noto Sans CJK SC"
