"""The core report: content against the published reference, the text before the restructure, GB/T 9704
layout facts of the .docx, safety, and one source for each figure.

The published report (tests/reference/zhengjiayi-2024-report.txt) is public text; the example workbook
carries its figures. The report generated at commit 65fd1e2, before the package was restructured into
stages with the open workbook model, is kept as tests/reference/zhengjiayi-2024-generated-65fd1e2.json:
the example report must still read the same, paragraph by paragraph and cell by cell.
"""

from __future__ import annotations

import difflib
import json
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
from conftest import REFERENCE, REPORT_NAME, ROOT, paragraphs, run_cli, set_field, tables

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ATTACHMENT_NOTE_END = "3.项目支出绩效自评表"
BEFORE = ROOT / "tests" / "reference" / "zhengjiayi-2024-generated-65fd1e2.json"
# issue 13 item 3: 附件2's 按收入性质分 / 按支出性质分 show the stated 决算收入 / 决算支出 (2826.23), no longer
# the sum of the parts as typed (2717.40 + 21.90 + 0.39 + 0 + 86.55 = 2826.24; 1437.78 + 1388.46 = 2826.24)
INTENDED_CHANGES = {"按收入性质分：2826.24": "按收入性质分：2826.23", "按支出性质分：2826.24": "按支出性质分：2826.23"}


def body_text(path: Path) -> str:
    """Paragraph texts of the report body, up to the end of the attachment note."""
    found = paragraphs(path)
    end = next(i for i, t in enumerate(found) if t.strip() == ATTACHMENT_NOTE_END)
    return "\n".join(found[: end + 1])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def reference_text() -> str:
    return REFERENCE.read_text("utf-8")


def differences_doc() -> str:
    return (ROOT / "docs" / "differences.md").read_text("utf-8")


def documented_differences() -> list[tuple[str, str]]:
    """The (原文, 生成) pairs of the table in docs/differences.md."""
    rows = []
    for line in differences_doc().splitlines():
        m = re.match(r"^\| `([^`]*)` \| `([^`]*)` \|", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


def generate(project: Path) -> Path:
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    return project / "output" / "2024" / REPORT_NAME


# ---------------------------------------------------------------------------- the same text as before


def test_body_paragraphs_are_those_generated_before_the_restructure(example_report: Path) -> None:
    before = json.loads(BEFORE.read_text("utf-8"))
    assert len(before["paragraphs"]) > 100
    assert paragraphs(example_report) == before["paragraphs"]


def test_table_cells_are_those_generated_before_except_the_stated_totals(example_report: Path) -> None:
    before = json.loads(BEFORE.read_text("utf-8"))["tables"]
    now = tables(example_report)
    assert [len(t) for t in now] == [len(t) for t in before]
    changed = [(old, new) for t_old, t_new in zip(before, now) for r_old, r_new in zip(t_old, t_new)
               for old, new in zip(r_old, r_new) if old != new]
    assert sorted(changed) == sorted(INTENDED_CHANGES.items())
    assert [len(r) for t in now for r in t] == [len(r) for t in before for r in t]


# ---------------------------------------------------------------------------- against the published report


def test_cli_prints_the_path_and_names_the_file_after_unit_and_year(project: Path) -> None:
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    assert REPORT_NAME in result.output
    assert (project / "output" / "2024" / REPORT_NAME).stat().st_size > 10_000


def test_body_reproduces_the_reference_in_order_as_documented(example_report: Path) -> None:
    """≥ 99.31% of the reference's characters in order (whitespace aside), the figure docs/differences.md states."""
    ref = squash(reference_text().replace("[bookmark: _GoBack]", ""))
    gen = squash(body_text(example_report))
    matcher = difflib.SequenceMatcher(None, ref, gen, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert matched / len(ref) >= 0.9931, (matched, len(ref))
    m = re.search(r"原文 (\d+) 个字符中 (\d+) 个按顺序一致（([\d.]+)%）", differences_doc())
    assert m, "docs/differences.md states the measure"
    assert (int(m.group(1)), int(m.group(2))) == (len(ref), matched)
    assert m.group(3) == f"{100 * matched / len(ref):.2f}"


def test_every_reference_sentence_is_present_after_documented_corrections(example_report: Path) -> None:
    expected = reference_text()
    pairs = documented_differences()
    assert len(pairs) >= 8  # the table itself is read
    for old, new in pairs:
        assert old in expected, f"docs/differences.md lists text that is not in the reference: {old}"
        expected = expected.replace(old, new)
    generated = squash(body_text(example_report))
    sentences = [s for s in re.split(r"(?<=[。：])", squash(expected)) if len(s) > 1]
    assert len(sentences) > 120
    missing = [s for s in sentences if s not in generated]
    assert not missing, missing


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_every_number_of_the_reference_is_present(example_report: Path) -> None:
    missing = set(_numbers(reference_text())) - set(_numbers(body_text(example_report)))
    assert not missing, missing


def test_no_figure_in_the_body_that_the_reference_does_not_state(example_report: Path) -> None:
    """Every number in the generated body comes from the workbook (which carries the reference's figures)."""
    extra = set(_numbers(body_text(example_report))) - set(_numbers(reference_text()))
    assert not extra, extra


def test_key_figures_of_the_reference_are_stated_as_published(example_report: Path) -> None:
    text = body_text(example_report)
    for phrase in ("内设机构6个", "核定编制81个，实有编制人数72人", "单位资产总额1813.15万元", "决算收入2826.23万元",
                   "部门决算支出2826.23万元，其中：基本支出1437.78万元，项目支出1388.46万元",
                   "本年三公经费支出46000.00元", "2023年三公经费支出96380.00元", "自评分为95.29分",
                   "全年预算调整73.48万元，调整率2.26%，年底预算结余495.24万元"):
        assert phrase in text, phrase


# ---------------------------------------------------------------------------- GB/T 9704 layout of the .docx


def test_page_setup_is_gbt9704(example_report: Path) -> None:
    tolerance = Mm(0.1)  # Word stores twips: 210 mm is 11906 twips = 210.005 mm
    for section in docx.Document(example_report).sections[:1]:
        assert abs(section.page_width - Mm(210)) < tolerance and abs(section.page_height - Mm(297)) < tolerance
        assert abs(section.top_margin - Cm(3.7)) < tolerance
        assert abs(section.bottom_margin - Cm(3.5)) < tolerance
        assert abs(section.left_margin - Cm(2.8)) < tolerance
        assert abs(section.right_margin - Cm(2.6)) < tolerance


def _east_asia(style) -> str:
    return style.element.rPr.find(f"{W}rFonts").get(f"{W}eastAsia")


def test_styles_carry_the_official_fonts_and_spacing(example_report: Path) -> None:
    d = docx.Document(example_report)
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
    assert body.element.pPr.find(f"{W}ind").get(f"{W}firstLineChars") == "200"


def test_headings_use_their_styles(example_report: Path) -> None:
    d = docx.Document(example_report)
    by_text = {p.text: p.style.name for p in d.paragraphs}
    for heading in ("一、单位概况", "二、部门财务情况", "三、部门绩效目标", "四、绩效评价工作情况", "五、部门整体支出绩效情况",
                    "六、存在的主要问题及原因分析", "七、下一步改进措施", "八、有关建议"):
        assert by_text.get(heading) == "Heading 1", heading
    for heading in ("（一）机构、人员构成", "（二）原因分析", "（四）科学设立目标"):
        assert by_text.get(heading) == "Heading 2", heading
    assert by_text["2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告"] == "公文标题"


def test_page_numbers_in_footer(example_report: Path) -> None:
    with zipfile.ZipFile(example_report) as zf:
        footers = [zf.read(n).decode() for n in zf.namelist() if n.startswith("word/footer")]
        settings = zf.read("word/settings.xml").decode()
    assert footers and all("PAGE" in f and "— " in f and " —" in f for f in footers)
    assert "evenAndOddHeaders" in settings  # 单页码居右、双页码居左


# ---------------------------------------------------------------------------- safety


def test_package_parses_strictly_with_no_tags_left(example_report: Path) -> None:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    with zipfile.ZipFile(example_report) as zf:
        names = zf.namelist()
        assert not [n for n in names if n.endswith((".bin", "vbaProject.bin")) or "activeX" in n or "embeddings" in n]
        for name in names:
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(zf.read(name), parser)
                text = "".join(root.itertext())
                assert "{{" not in text and "{%" not in text and "%}" not in text, name
                for tc in root.iter(f"{W}tc"):
                    assert tc.find(f"{W}p") is not None  # Word refuses a cell without a paragraph


def test_help_explains_every_option_in_chinese() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    options = re.findall(r"^\s+(--[a-z-]+)", result.output, re.M)
    assert {"--year", "--unit", "--data", "--templates", "--out", "--strict", "--pdf"} <= set(options)
    assert re.search(r"^\s+check\s+只审核", result.output, re.M)  # the verbs, each with a Chinese line
    for line in result.output.splitlines():
        if line.strip().startswith("--") and not line.strip().startswith("--help"):
            assert re.search(r"[\u4e00-\u9fff]", line), line


def test_wrong_year_is_a_chinese_message_and_nothing_is_written(project: Path) -> None:
    result = CliRunner().invoke(main, ["--year", "2023", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")])
    assert result.exit_code == 1
    assert "2023" in result.output and "2024.xlsx" in result.output and "找不到" in result.output
    assert "Traceback" not in result.output
    assert not (project / "output").exists()


# ---------------------------------------------------------------------------- one source for each figure


def test_changing_a_figure_changes_it_everywhere(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "财务", "全年预算数", 3400.0)
    set_field(workbook, "财务", "资产总额", 1900.5)
    report = generate(project)
    text = body_text(report)
    # adjustment 3400 − 3247.99 = 152.01; rate 152.01 / 3247.99 = 4.68%; balance 3400 − 2826.23 = 573.77
    assert "全年预算调整152.01万元，调整率4.68%，年底预算结余573.77万元" in text
    assert "73.48" not in text and "495.24" not in text
    # the execution rate 2826.23 / 3400 = 83.12% (in 总体目标完成情况, a text with a placeholder) and its
    # score 10 × 0.8312 = 8.31; total 86.78 + 8.31 = 95.09
    assert "自评分为95.09分" in text
    assert "资产总额1900.50万元" in text
    found = tables(report)
    budget = next(t for t in found if t[0][0] == "预算部门、单位名称")
    assert next(r for r in budget if "年度资金总额" in r)[-5:] == ["3400.00", "2826.23", "10", "83.12%", "8.31"]
    goals = next(r for r in budget if r[0] == "年度总体目标" and "预算执行率" in r[-1])
    assert "预算执行率83.12%" in goals[-1]
    indicators = next(t for t in found if t[0][0] == "年度绩效指标")
    assert next(r for r in indicators if r[0] == "总分")[2] == "95.09"
    base = next(t for t in found if any("部门整体支出预算调整" in r[0] for r in t))
    assert next(r for r in base if r[0] == "部门整体支出预算调整")[-1] == "152.01"


def test_sangong_sentence_follows_the_figures(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "三公经费", "合计", 120000, column="D")
    set_field(workbook, "三公经费", "公务接待", 120000, column="D")
    report = generate(project)
    text = body_text(report)
    assert "本年三公经费支出120000.00元，其中公务接待支出120000.00元" in text
    assert "因此三公经费支出超过去年。" in text
    base = next(t for t in tables(report) if any(r[0] == "三公经费：" for r in t))
    assert next(r for r in base if r[0] == "三公经费：")[-1] == "12.00"  # 120000 元 in 万元


def test_a_computed_sentence_can_be_overridden_from_the_workbook(project: Path) -> None:
    workbook = project / "data" / "2024.xlsx"
    set_field(workbook, "句子覆盖", "三公经费增减结论", "三公经费支出较上年减少52.27%")
    set_field(workbook, "句子覆盖", "质量指标（完成）", "各项质量指标基本完成。")
    text = body_text(generate(project))
    assert "因此三公经费支出较上年减少52.27%。" in text
    assert "2.质量指标。各项质量指标基本完成。" in text
