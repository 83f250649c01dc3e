"""The fast render path (issue 8) writes the same package as docxtpl's own path: every part byte for byte.

``render_docx(..., fast=False)`` is docxtpl's path (python-docx opens the template, docxtpl renders, python-docx
saves); the default is ``render._FastTemplate``. Both are run on the example, on the workbook variants of
test_attachments (extra indicator, new 二级 group, extra project), on a township's own template (test_county), on a
context with braces, markup characters, tabs and line breaks in the data, and on a small template whose ``{%tc``
column loop makes docxtpl's ``fix_tables`` widen and narrow the grid.
"""

from __future__ import annotations

import copy
import io
import struct
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from docxtpl import DocxTemplate, RichText
from lxml import etree

from generator import render
from generator.pipeline import load
from generator.render import make_env, render_docx

from conftest import EXAMPLE, ROOT, extend_example
from test_county import SECOND, county

TEMPLATE = ROOT / "templates" / "default" / "report.docx"


def members(data: bytes) -> list[tuple[str, int, bytes]]:
    """(name, compression, bytes) of every member, in package order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, info.compress_type, zf.read(info)) for info in zf.infolist()]


def assert_identical(template: Path, ctx: dict) -> list[tuple[str, int, bytes]]:
    """Render through both paths (fast one twice, with a fresh and a reused environment); all parts identical."""
    slow = members(render_docx(template, ctx, make_env(), fast=False))
    env = make_env()
    fast = members(render_docx(template, ctx, env))
    again = members(render_docx(template, ctx, env))
    assert [m[:2] for m in fast] == [m[:2] for m in slow] == [m[:2] for m in again]  # same names, order, compression
    for (name, _, a), (_, _, b), (_, _, c) in zip(fast, slow, again):
        assert a == b == c, f"{name} differs between the fast path and docxtpl's"
    # and the fast path really ran (prepared, not sent back to docxtpl)
    assert any(isinstance(p, render._FastTemplate) for p in render._PREPARED.values())
    return fast


def document_xml(parts: list[tuple[str, int, bytes]]) -> str:
    return next(raw for name, _, raw in parts if name == "word/document.xml").decode("utf-8")


@pytest.fixture(scope="module")
def example_ctx() -> dict:
    return load(EXAMPLE, 2024)[1]


def test_example_is_byte_identical(example_ctx):
    parts = assert_identical(TEMPLATE, example_ctx)
    names = [name for name, _, _ in parts]
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert {"word/document.xml", "docProps/core.xml", "word/footer1.xml", "word/styles.xml"} <= set(names)
    assert all(compression == zipfile.ZIP_DEFLATED for _, compression, _ in parts)
    body = document_xml(parts)
    assert "桃源县郑家驿镇人民政府" in body and "{{" not in body and "{%" not in body


def test_data_with_braces_markup_tabs_and_breaks_is_byte_identical(example_ctx):
    ctx = copy.deepcopy(example_ctx)
    ctx["unit"]["name"] = "甲{{乙}}\t丙&<丁>\n戊{%p if %}"
    parts = assert_identical(TEMPLATE, ctx)
    body = document_xml(parts)
    assert "甲{{乙}}" in body and "丙&amp;&lt;丁&gt;" in body and "<w:tab/>" in body and "{%p if %}" in body


def test_added_indicators_group_and_project_are_byte_identical(tmp_path):
    workbook = tmp_path / "2024.xlsx"
    workbook.write_bytes(EXAMPLE.read_bytes())
    extend_example(workbook)
    data, ctx, problems = load(workbook, 2024)
    assert not problems and len(data["projects"]) == 4
    body = document_xml(assert_identical(TEMPLATE, ctx))
    for text in ("会议费控制", "示范效益指标", "示范点推广", "新增示意项目", "示意指标甲"):
        assert text in body


def test_township_template_is_byte_identical(tmp_path):
    root = county(tmp_path)
    template = root / "templates" / SECOND / "report.docx"
    ctx = load(root / "data" / SECOND / "2024.xlsx", 2024)[1]
    body = document_xml(assert_identical(template, ctx))
    assert "一、部门概况" in body and "茶庵铺镇司法所承担人民调解" in body


def _png() -> bytes:
    """A 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def _column_loop_template(path: Path) -> Path:
    """A small template: a ``{%tc`` column loop in a 3-column table, a templated header and a templated title."""
    doc = docx.Document()
    doc.core_properties.title = "{{ title }}"
    doc.sections[0].header.paragraphs[0].text = "页眉：{{ title }}"
    doc.add_paragraph("{{ title }}")
    doc.add_picture(io.BytesIO(_png()))  # a drawing: docxtpl renumbers its docPr id
    table = doc.add_table(rows=2, cols=3)
    for row, cells in zip(table.rows, (("{%tc for c in cols %}", "{{ c }}", "{%tc endfor %}"),
                                       ("{%tc for c in cols %}", "{{ c|upper }}", "{%tc endfor %}"))):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    doc.save(path)
    return path


@pytest.mark.parametrize("cols", [["a", "b", "c", "d", "e"], ["a"]], ids=["widened", "narrowed"])
def test_column_loops_take_docxtpl_table_fix_identically(tmp_path, cols):
    template = _column_loop_template(tmp_path / "loop.docx")
    parts = assert_identical(template, {"title": "标题", "cols": cols})
    body = document_xml(parts)
    assert body.count("<w:gridCol ") == len(cols)  # fix_tables really changed the grid
    assert '<wp:docPr id="1001"' in body  # docxtpl's docPr renumbering
    assert any(name.startswith("word/media/") for name, _, _ in parts)  # the picture, copied as it is
    rendered = docx.Document(io.BytesIO(render_docx(template, {"title": "标题", "cols": cols})))
    assert [c.text for c in rendered.tables[0].rows[1].cells] == [c.upper() for c in cols]
    assert rendered.core_properties.title == "标题"
    assert rendered.sections[0].header.paragraphs[0].text == "页眉：标题"


def test_docxtpl_objects_in_the_context_take_docxtpl_path(tmp_path, monkeypatch):
    template = _column_loop_template(tmp_path / "loop.docx")
    assert render._plain({"title": "x", "cols": ["a"], "n": [1, 2.5, None, (True,)]})
    ctx = {"title": RichText("富文本", bold=True), "cols": ["a"]}
    assert not render._plain(ctx)
    used = []
    original = render._FastTemplate.render

    def recording(self, *args):  # the real fast render, noting that it ran
        used.append(self)
        return original(self, *args)

    monkeypatch.setattr(render._FastTemplate, "render", recording)
    render_docx(template, {"title": "标题", "cols": ["a"]})
    assert len(used) == 1  # plain data: the fast path
    used.clear()
    data = render_docx(template, ctx)
    assert used == []
    body = document_xml(members(data))
    assert "富文本" in body and "<w:b/>" in body  # the RichText run, as docxtpl renders it


def test_template_errors_are_the_same_on_both_paths(tmp_path):
    template = tmp_path / "bad.docx"
    doc = docx.Document()
    doc.add_paragraph("第一段")
    doc.add_paragraph("{{ unit.missing_field }}")
    doc.save(template)
    messages = []
    for fast in (False, True):
        with pytest.raises(render.UserError) as err:
            render_docx(template, {"unit": {}}, make_env(), fast=fast)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "missing_field" in messages[0]


def _checked_output_template(path: Path, kind: str) -> Path:
    """A template whose rendered body fails the package check: a tag left in the text, or a cell emptied."""
    doc = docx.Document()
    doc.add_paragraph("第一段")
    if kind == "leftover":
        doc.add_paragraph("{% raw %}{{ 未替换 }}{% endraw %}")  # Jinja prints the tag as text
    else:
        cell = doc.add_table(rows=1, cols=1).rows[0].cells[0]
        cell.paragraphs[0].text = "{%p if show %}"
        cell.add_paragraph("内容")
        cell.add_paragraph("{%p endif %}")  # with show false the cell loses every paragraph
    doc.save(path)
    return path


@pytest.mark.parametrize("kind", ["leftover", "empty-cell"])
def test_the_fast_path_checks_what_it_renders(tmp_path, kind, monkeypatch):
    """The fast path checks the rendered parts from their trees: the same refusal, word for word, as the
    check of docxtpl's package, and the fast path really did the rendering."""
    template = _checked_output_template(tmp_path / f"{kind}.docx", kind)
    used = []
    original = render._FastTemplate.render

    def recording(self, *args):
        used.append(self)
        return original(self, *args)

    monkeypatch.setattr(render._FastTemplate, "render", recording)
    messages = []
    for fast in (False, True):
        with pytest.raises(render.UserError) as err:
            render_docx(template, {"show": False}, make_env(), fast=fast)
        messages.append(str(err.value))
    assert len(used) == 1 and messages[0] == messages[1]
    assert ("残留标签“{{”" in messages[0] and "第2段" in messages[0]) if kind == "leftover" else "段落" in messages[0]
    # with the paragraph kept, the same template renders
    if kind == "empty-cell":
        assert "内容" in document_xml(members(render_docx(template, {"show": True}, make_env())))


def _body(*tables: str) -> str:
    return f'<w:body xmlns:w="{render.W_NS}">' + "".join(tables) + "</w:body>"


def _table(grid: int, *rows: str) -> str:
    cols = "".join('<w:gridCol w:w="1000"/>' for _ in range(grid))
    return f"<w:tbl><w:tblGrid>{cols}</w:tblGrid>{''.join(rows)}</w:tbl>"


def _row(*spans: int | str | None) -> str:
    cells = []
    for span in spans:
        pr = "" if span is None else f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>'
        cells.append(f"<w:tc>{pr}<w:p/></w:tc>")
    return "<w:tr>" + "".join(cells) + "</w:tr>"


@pytest.mark.parametrize("xml", [
    _body(_table(3, _row(None, None, None), _row(None, 2))),  # regular: kept
    _body(_table(3, _row(None, None, None, None))),  # a row wider than the grid: widened
    _body(_table(3, _row(None, None))),  # no row fills the grid: narrowed
    _body(_table(3, _row(None, "02"))),  # leading zero: int("02") fills it
    _body(_table(3, _row(None, None), _row(None, None, None, None)), _table(2, _row(None, None))),
    # docxtpl counts a nested table's rows and rows wrapped in w:sdt as rows of the outer table: widened
    _body(_table(2, "<w:tr><w:tc>" + _table(3, _row(None, None, None)) + "<w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>")),
    _body(_table(2, f"<w:sdt><w:sdtContent>{_row(None, None, None)}</w:sdtContent></w:sdt>", _row(None, None))),
    _body(_table(2, _row(None, None)), _row(None)),  # a row outside any table
    _body(_table(0)),  # an empty grid and no rows
], ids=["kept", "widened", "narrowed", "leading-zero", "two-tables", "nested", "wrapped-row", "stray-row", "empty"])
def test_table_fix_matches_docxtpl(xml):
    ours = render._parse_body(render.ReportTemplate(io.BytesIO()), xml)[0]
    assert etree.tostring(ours) == etree.tostring(DocxTemplate.fix_tables(None, xml))


@pytest.mark.parametrize("xml", [_body(_table(2, _row(None, "x"))), _body(_table(2, _row(None, ""))),
                                 _body("<w:tbl>" + _row(None) + "</w:tbl>")], ids=["letters", "empty-span", "no-grid"])
def test_table_fix_fails_like_docxtpl(xml):
    with pytest.raises(Exception) as theirs:
        DocxTemplate.fix_tables(None, xml)
    with pytest.raises(type(theirs.value)) as ours:
        render._parse_body(render.ReportTemplate(io.BytesIO()), xml)
    assert str(ours.value) == str(theirs.value)
