"""Templates as Word, WPS and LibreOffice write them (issue 27, item 2): character references in any part,
``{% elif %}`` in every spacing, docxtpl's ``{{r …}}``/``{{p …}}`` refused at their paragraph, and a file that is
not a Word document refused before anything is written.

Each case edits the default template's XML as those programs write it, runs ``generate`` (and
``--template-check``) and reads the written report back.
"""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import openpyxl
from lxml import etree
import pytest
from docx import Document
from docx.oxml.ns import qn

from conftest import REPORT_NAME, run_cli
from test_bad_input import assert_refused, plant, template_path
from test_workbooks_as_written import edit_part

FOOTER = "word/footer1.xml"


def footer_texts(report: Path) -> list[str]:
    with zipfile.ZipFile(report) as zf:
        root = etree.fromstring(zf.read(FOOTER))
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in root.iter(qn("w:p"))]


def test_character_references_render_as_docxtpl_renders_them(project: Path) -> None:
    """LibreOffice writes a quote inside text as ``&quot;``/``&apos;``; other writers a character as ``&#…;``."""
    def edit(xml: str) -> str:
        paragraph = ('<w:p><w:r><w:t xml:space="preserve">{{ 基本信息.单位简称 ~ &quot;（&apos;盖章&apos;）&quot; }}'
                     '&#20027;&#x9875;</w:t></w:r></w:p>')
        return xml.replace("</w:ftr>", paragraph + "</w:ftr>")

    edit_part(template_path(project), FOOTER, edit)
    check = run_cli(project, "--template-check")
    assert check.exit_code == 0, check.output
    assert "模板检查通过" in check.output
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    assert footer_texts(project / "output" / "2024" / REPORT_NAME)[-1] == "郑家驿镇政府（'盖章'）主页"


def plant_paragraphs(project: Path, texts: list[str]) -> None:
    """The template's heading paragraph replaced by ``texts``, one paragraph each (same style)."""
    plant(project, texts[0])
    doc = Document(template_path(project))
    anchor = next(q for q in doc.paragraphs if q.text == texts[0])._p
    for text in texts[1:]:
        new = copy.deepcopy(anchor)
        for t in new.iter(qn("w:t")):
            t.text = text
        anchor.addnext(new)
        anchor = new
    doc.save(template_path(project))


@pytest.mark.parametrize("tags", [
    ["{% if 年度 < 2000 %}旧乙{% elif 年度 > 2000 %}新甲{% endif %}"],
    ["{%if 年度 < 2000%}旧乙{%elif 年度 > 2000%}新甲{%endif%}"],
    ["{%- if 年度 < 2000 -%}旧乙{%- elif  年度 > 2000 -%}新甲{%- endif -%}"],
    ["{%p if 年度 < 2000 %}", "旧乙", "{%p elif 年度 > 2000 %}", "新甲", "{%p endif %}"],
], ids=["spaces", "none", "trimmed", "paragraphs"])
def test_elif_in_every_spacing(project: Path, tags: list[str]) -> None:
    plant_paragraphs(project, tags)
    check = run_cli(project, "--template-check")
    assert check.exit_code == 0, check.output
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    texts = [q.text for q in Document(project / "output" / "2024" / REPORT_NAME).paragraphs]
    assert any("新甲" in t for t in texts) and not any("旧乙" in t for t in texts)


@pytest.mark.parametrize("tag", ["{{r 基本信息.单位全称 }}", "{{p 基本信息.单位全称 }}"])
def test_docxtpl_object_tags_are_refused_at_their_paragraph(project: Path, tag: str) -> None:
    plant(project, "单位：" + tag)
    out = assert_refused(project, str(template_path(project)), f"第5段“单位：{tag}”", f"不支持标签“{tag}”")
    check = run_cli(project, "--template-check")
    assert check.exit_code == 1
    assert f"第5段“单位：{tag}”：不支持标签“{tag}”" in check.output
    assert "第5段" in out


def test_a_workbook_given_as_template_is_refused_and_the_report_kept(project: Path) -> None:
    assert run_cli(project).exit_code == 0
    report = project / "output" / "2024" / REPORT_NAME
    before = report.read_bytes()
    wb = openpyxl.Workbook()
    wb.active["A1"] = "不是模板"
    wb.save(template_path(project))  # an .xlsx saved under the template's name
    out = assert_refused(project, f"模板 {template_path(project)} 不是 Word 文档（.docx），而是Excel 工作簿")
    assert report.read_bytes() == before
    check = run_cli(project, "--template-check")
    assert check.exit_code == 1 and "而是Excel 工作簿" in check.output
    assert "Traceback" not in out
