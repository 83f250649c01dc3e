"""docxtpl's ``patch_xml`` as generator/formats/docx_render.py runs it (compiled from docxtpl's installed source,
docxtpl not imported) gives what the imported ``DocxTemplate.patch_xml`` gives."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from docxtpl import DocxTemplate

from conftest import ROOT
from generator.formats import docx_render
from generator.formats.docx_package import read_package, sanitize

IMPORTED = DocxTemplate(io.BytesIO(b"")).patch_xml
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def run(text: str) -> str:
    return f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def para(*runs: str) -> str:
    return "<w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>" + "".join(runs) + "</w:p>"


def cell(*paras: str, span: int | None = None) -> str:
    pr = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span else "<w:tcPr/>"
    return "<w:tc>" + pr + "".join(paras) + "</w:tc>"


CASES = {
    "split-tag": para(run("{{ 财务"), run(".资产总额 }}"), run("万元")),
    "tr-loop": "<w:tbl><w:tr>" + cell(para(run("{%tr for x in 项目 %}"))) + "</w:tr><w:tr>"
               + cell(para(run("{{ x.名称 }}"))) + "</w:tr><w:tr>" + cell(para(run("{%tr endfor %}"))) + "</w:tr></w:tbl>",
    "tc-p-r": "<w:tbl><w:tr>" + cell(para(run("{%tc for c in cols %}"))) + cell(para(run("{{ c }}")))
              + cell(para(run("{%tc endfor %}"))) + "</w:tr></w:tbl>" + para(run("{%p if a %}")) + para(run("x"))
              + para(run("{%p endif %}")) + para(run("前{%r if b %}"), run("中"), run("{%r endif %}后")),
    "comments": para(run("{#p 注释 #}")) + "<w:tbl><w:tr>" + cell(para(run("{#tr 行 #}"))) + "</w:tr></w:tbl>",
    "vm-hm": "<w:tbl><w:tr>" + cell(para(run("{% for r in rows %}{% vm %}{{ r }}"))) + cell(
        para(run("{% hm %}{{ r }}")), span=2) + cell(para(run("{% hm %}x{% endfor %}"))) + "</w:tr></w:tbl>",
    "cellbg-colspan": "<w:tbl><w:tr>" + cell(para(run("{% cellbg 'FF0000' %}{{ v }}"))) + cell(
        para(run("{% colspan 2 %}{{ v }}"))) + "</w:tr></w:tbl>",
    "trim-quotes-entities": para(run("{%- if “甲” &lt; ‘乙’ -%}"), run("是")) + para(run("{{ a &gt; b }}")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_imported(name):
    xml = f"<w:document {W}><w:body>{CASES[name]}</w:body></w:document>"
    assert docx_render._docxtpl_patch_xml()(xml) == IMPORTED(xml)


def test_default_template_parts_same_as_imported():
    pkg = read_package((ROOT / "templates" / "default" / "report.docx").read_bytes())
    sanitize(pkg)
    parts = [n for n in pkg.parts if n.startswith("word/") and n.endswith(".xml")]
    assert "word/document.xml" in parts
    for name in parts:
        xml = pkg.parts[name].decode("utf-8")
        assert docx_render._docxtpl_patch_xml()(xml) == IMPORTED(xml), name


def test_patching_does_not_import_docxtpl():
    code = ("import sys; from generator.formats import docx_render; docx_render.patch('<w:p>{{ a }}</w:p>');"
            "print('docxtpl' in sys.modules or 'docx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False", out.stderr
