"""The core report (issue 2): content against the published reference, layout, safety, single source of truth."""

from __future__ import annotations

import difflib
import re
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.enum.text import WD_LINE_SPACING
from docx.shared import Cm, Mm, Pt, Twips
from lxml import etree

from generator.cli import main
from conftest import REFERENCE, REPORT_NAME, ROOT, set_field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ATTACHMENT_NOTE_END = "3.项目支出绩效自评表"


def run(project: Path, *args: str):
    runner = CliRunner()
    return runner.invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                str(project / "templates"), "--out", str(project / "output"), *args],
                         catch_exceptions=False)


def body_text(path: Path) -> str:
    """Paragraph texts of the report body, up to the end of the attachment note."""
    paragraphs = [p.text for p in docx.Document(path).paragraphs]
    end = next(i for i, t in enumerate(paragraphs) if t.strip() == ATTACHMENT_NOTE_END)
    return "\n".join(paragraphs[: end + 1])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def reference_text() -> str:
    return REFERENCE.read_text("utf-8")


def documented_differences() -> list[tuple[str, str]]:
    """The (原文, 生成) pairs of the table in docs/differences.md."""
    rows = []
    for line in (ROOT / "docs" / "differences.md").read_text("utf-8").splitlines():
        m = re.match(r"^\| `([^`]*)` \| `([^`]*)` \|", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


@pytest.fixture
def report(project: Path) -> Path:
    result = run(project)
    assert result.exit_code == 0, result.output
    path = project / "output" / "2024" / REPORT_NAME
    assert path.is_file()
    return path


def test_cli_prints_the_path_and_names_the_file_after_unit_and_year(project: Path):
    result = run(project)
    assert result.exit_code == 0, result.output
    assert REPORT_NAME in result.output
    assert (project / "output" / "2024" / REPORT_NAME).stat().st_size > 10_000


def test_body_reproduces_99_percent_of_the_reference_in_order(report: Path):
    ref = squash(reference_text().replace("[bookmark: _GoBack]", ""))
    gen = squash(body_text(report))
    matcher = difflib.SequenceMatcher(None, ref, gen, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched / len(ref) >= 0.99, matched / len(ref)


def test_every_reference_sentence_is_present_after_documented_corrections(report: Path):
    expected = reference_text()
    pairs = documented_differences()
    assert len(pairs) >= 8  # the table itself is read
    for old, new in pairs:
        assert old in expected, f"docs/differences.md lists text that is not in the reference: {old}"
        expected = expected.replace(old, new)
    generated = squash(body_text(report))
    sentences = [s for s in re.split(r"(?<=[。：])", squash(expected)) if len(s) > 1]
    assert len(sentences) > 120
    missing = [s for s in sentences if s not in generated]
    assert not missing, missing


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_every_number_of_the_reference_is_present(report: Path):
    generated = body_text(report)
    missing = _numbers(reference_text()) - _numbers(generated)
    assert not missing, missing


def test_no_figure_in_the_body_that_the_reference_does_not_state(report: Path):
    """Every number in the generated body comes from the workbook (which carries the reference's figures)."""
    extra = _numbers(body_text(report)) - _numbers(reference_text())
    assert not extra, extra


def test_page_setup_is_gbt9704(report: Path):
    section = docx.Document(report).sections[0]
    tolerance = Mm(0.1)  # Word stores twips: 210 mm is 11906 twips = 210.005 mm

    def close(a, b):
        return abs(a - b) < tolerance

    assert close(section.page_width, Mm(210)) and close(section.page_height, Mm(297))
    assert close(section.top_margin, Cm(3.7))
    assert close(section.bottom_margin, Cm(3.5))
    assert close(section.left_margin, Cm(2.8))
    assert close(section.right_margin, Cm(2.6))


def _east_asia(style) -> str:
    return style.element.rPr.find(f"{W}rFonts").get(f"{W}eastAsia")


def test_styles_carry_the_official_fonts_and_spacing(report: Path):
    d = docx.Document(report)
    expect = {"公文标题": ("方正小标宋简体", Pt(22)), "Heading 1": ("黑体", Pt(16)),
              "Heading 2": ("楷体_GB2312", Pt(16)), "正文": ("仿宋_GB2312", Pt(16)), "页码": ("宋体", Pt(14))}
    for name, (font, size) in expect.items():
        style = d.styles[name]
        assert _east_asia(style) == font, name
        assert style.font.size == size, name
    body = d.styles["正文"]
    # 固定值 = the grid's line pitch: 22 lines in the 225 mm 版心 (579 twips, 28.95 pt; GB/T 9704 §5.2.2)
    assert body.paragraph_format.line_spacing == Twips(579)
    assert body.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    ind = body.element.pPr.find(f"{W}ind")
    assert ind.get(f"{W}firstLineChars") == "200"


def test_headings_use_their_styles(report: Path):
    d = docx.Document(report)
    by_text = {p.text: p.style.name for p in d.paragraphs}
    for heading in ("一、单位概况", "二、部门财务情况", "三、部门绩效目标", "四、绩效评价工作情况", "五、部门整体支出绩效情况",
                    "六、存在的主要问题及原因分析", "七、下一步改进措施", "八、有关建议"):
        assert by_text.get(heading) == "Heading 1", heading
    for heading in ("（一）机构、人员构成", "（二）原因分析", "（四）科学设立目标"):
        assert by_text.get(heading) == "Heading 2", heading
    assert by_text["2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告"] == "公文标题"


def test_page_numbers_in_footer(report: Path):
    with zipfile.ZipFile(report) as zf:
        footers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer")]
    assert footers and all("PAGE" in f and "— " in f and " —" in f for f in footers)
    with zipfile.ZipFile(report) as zf:
        assert "evenAndOddHeaders" in zf.read("word/settings.xml").decode()


def test_package_parses_strictly_with_no_tags_left(report: Path):
    parser = etree.XMLParser(recover=False)
    with zipfile.ZipFile(report) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(zf.read(name), parser)
                text = "".join(root.itertext())
                assert "{{" not in text and "{%" not in text and "%}" not in text, name
                for tc in root.iter(f"{W}tc"):
                    assert tc.find(f"{W}p") is not None


def test_changing_a_figure_changes_it_everywhere(project: Path):
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "财务", "全年预算数（调整后）", 3400.0)
    set_field(workbook, "财务", "资产总额", 1900.5)
    result = run(project)
    assert result.exit_code == 0, result.output
    text = body_text(project / "output" / "2024" / REPORT_NAME)
    # adjustment 3400 − 3247.99 = 152.01; rate 4.68%; balance 3400 − 2826.23 = 573.77
    assert "全年预算调整152.01万元，调整率4.68%，年底预算结余573.77万元" in text
    assert "73.48" not in text and "495.24" not in text
    # the execution score follows: 10 × 2826.23 / 3400 = 8.31; total 86.78 + 8.31 = 95.09
    assert "自评分为95.09分" in text
    assert "资产总额1900.50万元" in text


def test_sangong_sentence_follows_the_figures(project: Path):
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "三公经费", "三公经费合计", 120000, column="D")
    set_field(workbook, "三公经费", "公务接待", 120000, column="D")
    result = run(project)
    assert result.exit_code == 0, result.output
    text = body_text(project / "output" / "2024" / REPORT_NAME)
    assert "本年三公经费支出120000.00元，其中公务接待支出120000.00元" in text
    assert "因此三公经费支出超过去年。" in text


def test_a_computed_sentence_can_be_overridden_from_the_workbook(project: Path):
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "句子覆盖", "三公经费增减结论", "三公经费支出较上年减少52.27%")
    set_field(workbook, "句子覆盖", "质量指标（完成）", "各项质量指标基本完成。")
    result = run(project)
    assert result.exit_code == 0, result.output
    text = body_text(project / "output" / "2024" / REPORT_NAME)
    assert "因此三公经费支出较上年减少52.27%。" in text
    assert "2.质量指标。各项质量指标基本完成。" in text


def test_help_explains_every_option_in_chinese():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    options = re.findall(r"^\s+(--[a-z-]+)", result.output, re.M)
    assert {"--year", "--unit", "--data", "--templates", "--out"} <= set(options)
    for line in result.output.splitlines():
        if line.strip().startswith("--") and not line.strip().startswith("--help"):
            assert re.search(r"[\u4e00-\u9fff]", line), line


def test_wrong_year_is_a_chinese_message_and_nothing_is_written(project: Path):
    result = CliRunner().invoke(main, ["--year", "2023", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")])
    assert result.exit_code == 1
    assert "找不到 2023 年的工作簿" in result.output and "2024.xlsx" in result.output
    assert "Traceback" not in result.output
    assert not (project / "output").exists()
