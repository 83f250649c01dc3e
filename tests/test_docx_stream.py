"""A large main document is checked element by element (generator/formats/docx_render.py ``_Stream``), with the
same result as the whole parse a small one gets: the same package bytes, the same forms for the Excel tables,
the same errors. The tests lower ``STREAM_BYTES`` so that small documents take the element-by-element path."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from conftest import EXAMPLE, ROOT
from generator.errors import UserError
from generator.formats import docx_render, docx_tables
from generator.formats.docx_package import PackageError, read_package
from generator.formats.docx_render import LeftoverTag, Prepared, VisitError
from generator.pipeline import load
from generator.render import make_env, render
from generator.template import load_template

TEMPLATE = ROOT / "templates" / "default" / "report.docx"


def both(prepared: Prepared, ctx: dict, monkeypatch) -> tuple:
    """(whole parse, element by element): each a (package bytes, forms, document) triple."""
    out = []
    for limit in (docx_render.STREAM_BYTES, 0):
        monkeypatch.setattr(docx_render, "STREAM_BYTES", limit)
        reader = docx_tables.FormReader()
        rendered = prepared.render(make_env(), ctx, reader)
        out.append((rendered.data, reader.forms(), rendered.document))
    return tuple(out)


@pytest.fixture(scope="module")
def example():
    template = load_template(TEMPLATE, make_env())
    return template, load(EXAMPLE, 2024, template)[1].values


def test_example_same_package_and_forms(example, monkeypatch):
    template, ctx = example
    (whole, whole_forms, tree), (streamed, streamed_forms, none) = both(template.prepared, ctx, monkeypatch)
    assert tree is not None and none is None  # the second really went element by element
    assert streamed == whole
    assert streamed_forms == whole_forms == docx_tables.forms(tree)
    assert streamed_forms[0].marker == "附件1" and sum(1 for f in streamed_forms if f.tables) >= 5


def small_template(tmp_path: Path, build) -> Prepared:
    doc = docx.Document()
    build(doc)
    path = tmp_path / "t.docx"
    doc.save(path)
    return Prepared(read_package(path.read_bytes()))


def test_a_cell_left_empty_is_repaired_the_same(tmp_path, monkeypatch):
    def build(doc):
        doc.add_paragraph("附件1")
        doc.add_paragraph("表题")
        table = doc.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "名称"
        table.cell(0, 1).text = "{{ 名称 }}"
        table.cell(1, 0).paragraphs[0].text = "{%p if 有 %}"
        table.cell(1, 0).add_paragraph("有的时候")
        table.cell(1, 0).add_paragraph("{%p endif %}")
        doc.add_paragraph("注：说明。")

    prepared = small_template(tmp_path, build)
    ctx = {"名称": "甲 & 乙 {x}", "有": False}
    (whole, whole_forms, _), (streamed, streamed_forms, tree) = both(prepared, ctx, monkeypatch)
    assert tree is not None  # a fix was needed: parsed whole after all
    assert streamed == whole and streamed_forms == whole_forms
    assert whole_forms[0].tables[0].rows[0][1].text == "甲 & 乙 {x}"
    cells = docx.Document(io.BytesIO(whole)).tables[0].rows[1].cells
    assert len(cells[0].paragraphs) == 1 and cells[0].text == ""  # the emptied cell got its paragraph


def test_a_leftover_tag_is_the_same_error(tmp_path, monkeypatch):
    def build(doc):
        doc.add_paragraph("第一段 {{ 名称 }}")
        doc.add_table(rows=1, cols=1).cell(0, 0).text = "表格里 {{ 名称 }}"
        doc.add_paragraph("这里有个断了的 %} 标签")

    prepared = small_template(tmp_path, build)
    errors = []
    for limit in (docx_render.STREAM_BYTES, 0):
        monkeypatch.setattr(docx_render, "STREAM_BYTES", limit)
        with pytest.raises(LeftoverTag) as exc:
            prepared.render(make_env(), {"名称": "甲"}, docx_tables.FormReader())
        errors.append((exc.value.part, exc.value.index, exc.value.text, exc.value.tag))
    assert errors[0] == errors[1] and errors[0][1] == 3 and errors[0][3] == "%}"


def test_broken_xml_is_the_same_error(tmp_path, monkeypatch):
    def build(doc):  # an ``if`` opened in a table cell and closed after the table: false, it cuts the XML
        doc.add_paragraph("前文")
        doc.add_table(rows=1, cols=1).cell(0, 0).text = "{%p if 有 %}"
        doc.add_paragraph("{%p endif %}")
        doc.add_paragraph("后文")

    prepared = small_template(tmp_path, build)
    kinds = []
    for limit in (docx_render.STREAM_BYTES, 0):
        monkeypatch.setattr(docx_render, "STREAM_BYTES", limit)
        with pytest.raises(PackageError) as exc:
            prepared.render(make_env(), {"有": False})
        kinds.append((exc.value.kind, exc.value.part, exc.value.detail, getattr(exc.value, "text_before", None)))
    assert kinds[0] == kinds[1] and kinds[0][0] == "xml"


def test_a_failing_visitor_is_not_a_template_error(example, monkeypatch):
    template, ctx = example

    class Broken(docx_tables.FormReader):
        def element(self, child):
            raise IndexError("a bug of ours")

    for limit in (docx_render.STREAM_BYTES, 0):
        monkeypatch.setattr(docx_render, "STREAM_BYTES", limit)
        with pytest.raises(VisitError):
            try:
                render(template, ctx, make_env(), visit=Broken())
            except UserError:  # (what a template's own error becomes)
                pytest.fail("a bug in the visitor was told as a template error")
