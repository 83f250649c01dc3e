"""Our renderer (``formats/docx_render.Prepared`` through ``render.render``) against docxtpl's own
``DocxTemplate.render``: the same paragraph texts, table cells and merges.

Both are run with the same sandboxed environment on the default template with the example's context, and on
small templates built here with python-docx that use docxtpl's structural tags — ``{%tr for %}`` rows, ``{%tc
for %}`` columns (docxtpl's grid fix widens and narrows the table), ``{% colspan %}``, ``{% vm %}``/``{% hm %}``
merges — and data holding line breaks, tabs, ``& < >`` and braces. docxtpl knows nothing of our ``{% vmerge
EXPR %}`` cell tag, so for it the template's ``vmerge`` cells are expanded first (``TheirTemplate``); the tag
itself is checked by hand below. Then what the renderer keeps between runs: compiled code on disk (a new
process compiles nothing), byte-identical output, a changed template seen as changed; and the zip writer.
"""

from __future__ import annotations

import copy
import gc
import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import docx
import pytest
from docxtpl import DocxTemplate

from conftest import EXAMPLE, ROOT
from generator.formats import docx_render
from generator.formats import zip as zipout
from generator.pipeline import load
from generator.render import ReportEnvironment, make_env, render
from generator.template import load_template

TEMPLATE = ROOT / "templates" / "default" / "report.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING = "一、单位概况"


class TheirTemplate(DocxTemplate):
    """docxtpl, with our ``{% vmerge EXPR %}`` cells expanded before it renders (it has no such tag)."""

    def patch_xml(self, src_xml: str) -> str:
        patched = super().patch_xml(src_xml)
        return docx_render._VMERGE_CELL.sub(docx_render._vmerge_cell, patched)


def theirs(template: Path, ctx: dict[str, Any]) -> docx.document.Document:
    tpl = TheirTemplate(str(template))
    tpl.render(copy.deepcopy(ctx), jinja_env=make_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return docx.Document(io.BytesIO(out.getvalue()))  # (braces from data stay marks there: see ``unmark``)


def ours_bytes(template: Path, ctx: dict[str, Any], env: ReportEnvironment | None = None) -> bytes:
    env = env or make_env()
    return render(load_template(template, env), ctx, env).data


def ours(template: Path, ctx: dict[str, Any]) -> docx.document.Document:
    return docx.Document(io.BytesIO(ours_bytes(template, ctx)))


def unmark(text: str) -> str:
    return text.replace(docx_render.OPEN_MARK, "{").replace(docx_render.CLOSE_MARK, "}")


def tables(doc: docx.document.Document) -> list[list[list[tuple[str, str | None, str | None]]]]:
    """Every table of the body, nested ones too: rows of (text, gridSpan, vMerge) per cell, from the XML."""
    out = []
    for tbl in doc.element.body.iter(W + "tbl"):
        rows = []
        for tr in tbl.findall(W + "tr"):
            cells = []
            for tc in tr.findall(W + "tc"):
                pr = tc.find(W + "tcPr")
                span = pr.find(W + "gridSpan") if pr is not None else None
                merge = pr.find(W + "vMerge") if pr is not None else None
                text = "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in tc.findall(W + "p"))
                cells.append((unmark(text.strip()), span.get(W + "val") if span is not None else None,
                              (merge.get(W + "val") or "continue") if merge is not None else None))
            rows.append(cells)
        grid = [c.get(W + "w") for c in tbl.find(W + "tblGrid")] if tbl.find(W + "tblGrid") is not None else []
        out.append([[("grid", str(len(grid)), None)]] + rows)
    return out


def texts(doc: docx.document.Document) -> list[str]:
    return [unmark(p.text) for p in doc.paragraphs]


def assert_same(template: Path, ctx: dict[str, Any]) -> docx.document.Document:
    a, b = ours(template, ctx), theirs(template, ctx)
    assert texts(a) == texts(b)
    assert tables(a) == tables(b)
    for sa, sb in zip(a.sections, b.sections, strict=True):
        for part in ("header", "footer", "first_page_header", "first_page_footer", "even_page_header",
                     "even_page_footer"):
            assert [p.text for p in getattr(sa, part).paragraphs] == [p.text for p in getattr(sb, part).paragraphs]
    assert a.core_properties.title == b.core_properties.title
    return a


@pytest.fixture(scope="module")
def example_ctx() -> dict[str, Any]:
    return load(EXAMPLE, 2024)[1].values


def test_default_template_with_the_example(example_ctx: dict[str, Any]) -> None:
    doc = assert_same(TEMPLATE, example_ctx)
    body = texts(doc)
    assert body[0] == "单位名称：桃源县郑家驿镇人民政府" and HEADING in body
    assert not any("{{" in t or "{%" in t for t in body)
    cells = [c for t in tables(doc) for row in t[1:] for c in row]
    assert any(merge == "restart" for _, _, merge in cells) and any(span for _, span, _ in cells)


def test_data_with_breaks_tabs_markup_and_braces(example_ctx: dict[str, Any]) -> None:
    ctx = copy.deepcopy(example_ctx)
    ctx["基本信息"]["单位全称"] = "甲{{乙}}\t丙&<丁>\n戊{%p if %}"
    doc = assert_same(TEMPLATE, ctx)
    assert texts(doc)[0] == "单位名称：甲{{乙}}\t丙&<丁>\n戊{%p if %}"  # python-docx reads w:tab/w:br as \t and \n


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


def small_template(path: Path, rows: list[list[str]], before: list[str] = (), picture: bool = False) -> Path:
    doc = docx.Document()
    doc.core_properties.title = "{{ 标题 }}"
    doc.sections[0].header.paragraphs[0].text = "页眉：{{ 标题 }}"
    for text in before:
        doc.add_paragraph(text)
    if picture:
        doc.add_picture(io.BytesIO(_png()))  # a drawing: docxtpl renumbers docPr ids
    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for row, texts_ in zip(table.rows, rows):
        for cell, text in zip(row.cells, texts_):
            cell.text = text
    doc.add_paragraph("表后")
    doc.save(path)
    return path


CTX = {"标题": "标题", "列": ["甲", "乙", "丙", "丁", "戊"], "行": [{"名": "一", "值": 1, "组": "A"},
                                                              {"名": "二", "值": 2, "组": "A"},
                                                              {"名": "三", "值": 3, "组": "B"}],
       "跨": 2, "文": "第一行\n第二行\t制表"}


@pytest.mark.parametrize("rows, ctx_extra", [
    ([["名称", "数值", ""], ["{%tr for r in 行 %}", "", ""], ["{{ r.名 }}", "{{ r.值 }}", "{{ r.组 }}"],
      ["{%tr endfor %}", "", ""]], {}),
    ([["{%tc for c in 列 %}", "{{ c }}", "{%tc endfor %}"], ["{%tc for c in 列 %}", "{{ c }}行二", "{%tc endfor %}"]],
     {}),
    ([["{%tc for c in 列 %}", "{{ c }}", "{%tc endfor %}"]], {"列": ["只一列"]}),
    ([["{% colspan 跨 %}合并两格", "", "第三格"], ["a", "b", "c"]], {}),
    ([["{%tr for r in 行 %}", "", ""], ["{{ r.组 }}{% vm %}", "{{ r.名 }}", "{{ r.值 }}"], ["{%tr endfor %}", "", ""]],
     {}),
    ([["{%tc for c in 列 %}", "表头{% hm %}", "{%tc endfor %}"], ["{%tc for c in 列 %}", "{{ c }}", "{%tc endfor %}"]],
     {}),
    ([["{{ 文 }}", "{{ '<b>' }}", "{{ 标题 }}{_{ 字面 }_}"]], {}),
], ids=["tr-for", "tc-widened", "tc-narrowed", "colspan", "vm", "hm", "breaks-and-markup"])
def test_small_templates(tmp_path: Path, rows: list[list[str]], ctx_extra: dict[str, Any]) -> None:
    template = small_template(tmp_path / "t.docx", rows, before=["{{ 标题 }}：{{ 文 }}"], picture=True)
    doc = assert_same(template, {**CTX, **ctx_extra})
    assert texts(doc)[0] == "标题：第一行\n第二行\t制表"
    assert doc.sections[0].header.paragraphs[0].text == "页眉：标题" and doc.core_properties.title == "标题"


def test_an_ampersand_typed_in_a_tag_prints_once(tmp_path: Path) -> None:
    """Word stores ``&`` as ``&amp;``; Jinja reads the tag's ``&`` and autoescape writes it once (docxtpl with
    autoescape would print ``&amp;``, as its own escaping is applied to the XML's escape)."""
    template = small_template(tmp_path / "t.docx", [["{{ '<b>&' }}", "{{ 标题 ~ ' & ' ~ 文|length }}"]])
    table = ours(template, CTX).tables[0]
    assert [c.text for c in table.rows[0].cells] == ["<b>&", "标题 & 10"]


def test_row_loop_written_by_hand(tmp_path: Path) -> None:
    """What the row loop gives, read back and checked against values written here (not only against docxtpl)."""
    template = small_template(tmp_path / "t.docx", [["名称", "数值"], ["{%tr for r in 行 %}", ""],
                                                   ["{{ r.名 }}", "{{ r.值 }}"], ["{%tr endfor %}", ""]])
    table = ours(template, CTX).tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [["名称", "数值"], ["一", "1"], ["二", "2"],
                                                                   ["三", "3"]]


def test_our_vmerge_tag_merges_where_its_expression_is_true(tmp_path: Path) -> None:
    """``{% vmerge EXPR %}``: a cell that starts a merge where EXPR is true, continues it (its text hidden) where
    false — the way the default template merges the 一级/二级 indicator columns."""
    template = small_template(tmp_path / "t.docx", [["{%tr for r in 行 %}", ""],
                                                   ["{% vmerge loop.first or r.组 != 行[loop.index0 - 1].组 %}"
                                                    "{{ r.组 }}", "{{ r.名 }}"], ["{%tr endfor %}", ""]])
    table = tables(ours(template, CTX))[0][1:]
    assert table == [[("A", None, "restart"), ("一", None, None)], [("", None, "continue"), ("二", None, None)],
                     [("B", None, "restart"), ("三", None, None)]]


def test_drawings_get_unique_ids(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("{%p for r in 行 %}")
    doc.add_picture(io.BytesIO(_png()))
    doc.add_paragraph("{%p endfor %}")
    path = tmp_path / "pics.docx"
    doc.save(path)
    body = docx.Document(io.BytesIO(ours_bytes(path, CTX))).element.body
    ids = [e.get("id") for e in body.iter("{http://schemas.openxmlformats.org/drawingml/2006/"
                                          "wordprocessingDrawing}docPr")]
    assert ids == ["1001", "1002", "1003"]  # numbered as docxtpl numbers them


# ----------------------------------------------------------------------------- what is kept between renders


def test_output_is_byte_identical_and_each_context_renders(example_ctx: dict[str, Any]) -> None:
    env = make_env()
    first = ours_bytes(TEMPLATE, example_ctx, env)
    assert ours_bytes(TEMPLATE, example_ctx, env) == first == ours_bytes(TEMPLATE, example_ctx)
    other = copy.deepcopy(example_ctx)
    other["基本信息"]["单位全称"] = "桃源县测试单位甲"
    changed = docx.Document(io.BytesIO(ours_bytes(TEMPLATE, other, env)))
    assert texts(changed)[0] == "单位名称：桃源县测试单位甲"
    assert ours_bytes(TEMPLATE, example_ctx, env) == first  # nothing of the other context stayed behind
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.testzip() is None


def rewrite_part(path: Path, name: str, old: str, new: str) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            if info.filename == name:
                text = data.decode("utf-8")
                assert old in text
                data = text.replace(old, new, 1).encode("utf-8")
            zf.writestr(info, data)


def test_changed_template_on_disk_is_picked_up(example_ctx: dict[str, Any], tmp_path: Path) -> None:
    import os

    template = tmp_path / "report.docx"
    shutil.copy(TEMPLATE, template)
    env = make_env()
    before = texts(docx.Document(io.BytesIO(ours_bytes(template, example_ctx, env))))
    stat = template.stat()
    rewrite_part(template, "word/document.xml", f">{HEADING}<", f">{HEADING}（已修改）<")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the same time stamp: the content decides
    after = texts(docx.Document(io.BytesIO(ours_bytes(template, example_ctx, env))))
    assert f"{HEADING}（已修改）" in after and HEADING not in after and len(after) == len(before)


def _counting_compile(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = ReportEnvironment.compile

    def counting(self, source, *args, **kwargs):
        calls.append(source if isinstance(source, str) else "<expression>")
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(ReportEnvironment, "compile", counting)
    return calls


def test_a_new_process_loads_the_compiled_template_from_disk(example_ctx: dict[str, Any], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What a second ``generate`` run does: a new environment finds the code the first run compiled."""
    from generator import template as template_module
    from generator.formats import codecache

    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    calls = _counting_compile(monkeypatch)
    first = ours_bytes(TEMPLATE, example_ctx)
    assert calls and len(list(codecache.cache_dir().glob("*.bin"))) == len(set(calls))
    calls.clear()
    template_module._CACHE.clear()  # as a new process: nothing prepared or compiled in memory
    second = ours_bytes(TEMPLATE, example_ctx)
    assert calls == [] and second == first  # everything came from the cache, to the same output
    for path in codecache.cache_dir().glob("*.bin"):  # a damaged cache file is compiled afresh
        path.write_bytes(b"\x00garbage")
    template_module._CACHE.clear()
    assert ours_bytes(TEMPLATE, example_ctx) == first and calls


def test_no_cache_writes_nothing(example_ctx: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.formats import codecache

    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GENERATOR_NO_CACHE", "1")
    assert codecache.cache_dir() is None
    ours_bytes(TEMPLATE, example_ctx)
    assert not (tmp_path / "cache").exists()


def test_escaping_is_part_of_the_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    env = make_env()
    assert env.from_string("{{ a }}甲").render(a=1) == "1甲"
    env.autoescape = False
    assert env.from_string("{{ a }}").render(a="<b>") == "<b>"
    assert make_env().from_string("{{ a }}").render(a="<b>") == "&lt;b&gt;"


# ----------------------------------------------------------------------------- the zip writer and the collector


def test_zip_writer_reads_back_with_zipfile_in_order() -> None:
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": "<w:t>郑家驿镇</w:t>".encode() * 500,
             "媒体/图.bin": bytes(range(256)), "empty.xml": b""}
    data = zipout.package(parts)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None  # every CRC checks
        assert zf.namelist() == list(parts)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        assert {name: zf.read(name) for name in zf.namelist()} == parts
        assert zf.getinfo("媒体/图.bin").flag_bits & 0x800  # a non-ASCII name is marked UTF-8
    assert zipout.package(parts) == data  # fixed timestamps: the same parts give the same bytes
    member = zipout.Member.deflated("word/styles.xml", b"<w:styles>" + b"<w:style/>" * 300 + b"</w:styles>")
    assert zipout.package({"word/styles.xml": member}) == zipout.package({"word/styles.xml": b"<w:styles>" +
                                                                          b"<w:style/>" * 300 + b"</w:styles>"})


def test_collector_relaxed_while_a_unit_is_made_and_restored_after(project: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import pipeline

    seen = []
    original = pipeline.render

    def spy(*args, **kwargs):
        seen.append(gc.get_threshold()[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render", spy)
    before = gc.get_threshold()
    pipeline.make_unit(project / "data" / "2024.xlsx", 2024, project / "templates" / "default" / "report.docx")
    assert seen == [pipeline.GC_THRESHOLD] and gc.get_threshold() == before
    (project / "data" / "2024.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(pipeline.UserError):
        pipeline.make_unit(project / "data" / "2024.xlsx", 2024, project / "templates" / "default" / "report.docx")
    assert gc.get_threshold() == before
