"""Render caches (issue 8): a reused environment compiles each template part once, the output does not change,
and a template changed on disk is rendered as changed."""

from __future__ import annotations

import copy
import io
import os
import shutil
import zipfile
from pathlib import Path

import docx
import pytest

from generator import render
from generator.errors import UserError
from generator.pipeline import load
from generator.render import make_env, render_docx

from conftest import EXAMPLE, ROOT

TEMPLATE = ROOT / "templates" / "default" / "report.docx"
HEADING = "一、单位概况"


@pytest.fixture(scope="module")
def ctx() -> dict:
    return load(EXAMPLE, 2024)[1]


@pytest.fixture
def cold() -> None:
    """Start without anything cached in this process."""
    render._PATCHED.clear()
    render._TEMPLATES.clear()
    render._VERIFIED.clear()


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def rewrite_part(path: Path, name: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in one part of the .docx at ``path``, keeping every other part as it is."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            if info.filename == name:
                text = data.decode("utf-8")
                assert old in text, f"{old!r} not in {name}"
                data = text.replace(old, new, 1).encode("utf-8")
            zf.writestr(info, data)


def test_reused_environment_gives_identical_output(ctx, cold):
    first = parts(render_docx(TEMPLATE, ctx, make_env()))  # nothing cached yet: the straightforward path
    env = make_env()
    second = parts(render_docx(TEMPLATE, ctx, env))
    third = parts(render_docx(TEMPLATE, ctx, env))  # patched XML, compiled parts and checks all reused
    assert set(first) == set(second) == set(third)
    for name in first:
        assert first[name] == second[name] == third[name], name
    assert "word/document.xml" in first
    # and the caches were really used: the same part compiles to the same template object
    assert env._compiled
    source = next(iter(env._compiled))[0]
    assert env.from_string(source) is env.from_string(source)


def test_reused_environment_renders_each_context(ctx):
    env = make_env()
    other = copy.deepcopy(ctx)
    other["unit"]["name"] = "桃源县测试单位甲"
    a = paragraphs(render_docx(TEMPLATE, ctx, env))
    b = paragraphs(render_docx(TEMPLATE, other, env))
    c = paragraphs(render_docx(TEMPLATE, ctx, env))
    assert a[0] == "单位名称：桃源县郑家驿镇人民政府"
    assert b[0] == "单位名称：桃源县测试单位甲"
    assert a == c
    assert sum("桃源县测试单位甲" in t for t in b) >= 2
    assert not any("桃源县测试单位甲" in t for t in c)


def test_changed_template_on_disk_is_picked_up(ctx, tmp_path):
    template = tmp_path / "report.docx"
    shutil.copy(TEMPLATE, template)
    env = make_env()
    before = paragraphs(render_docx(template, ctx, env))
    assert HEADING in before
    stat = template.stat()
    rewrite_part(template, "word/document.xml", f">{HEADING}<", f">{HEADING}（已修改）<")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same time stamp: content decides
    after = paragraphs(render_docx(template, ctx, env))
    assert f"{HEADING}（已修改）" in after
    assert HEADING not in after
    assert len(after) == len(before)


def test_template_broken_after_a_good_render_is_refused(ctx, tmp_path):
    template = tmp_path / "report.docx"
    shutil.copy(TEMPLATE, template)
    env = make_env()
    render_docx(template, ctx, env)
    rewrite_part(template, "word/document.xml", f">{HEADING}<", f">{HEADING}{{{{ no_such_field }}}}<")
    with pytest.raises(UserError) as err:
        render_docx(template, ctx, env)
    assert "no_such_field" in err.value.render()
    shutil.copy(TEMPLATE, template)  # and mended again, it renders
    assert HEADING in paragraphs(render_docx(template, ctx, env))


def repack(data: bytes, name: str, old: str, new: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename == name:
                assert old in raw.decode("utf-8")
                raw = raw.decode("utf-8").replace(old, new, 1).encode("utf-8")
            dst.writestr(info, raw)
    return out.getvalue()


def test_package_check_skips_only_parts_seen_before(ctx, tmp_path, cold):
    """The check skips parts byte-identical to ones that passed; any changed part is checked in full."""
    good = render_docx(TEMPLATE, ctx, make_env())
    assert render.check_package(good, TEMPLATE) is False
    assert render._VERIFIED  # the good package's parts are remembered
    # a tag left over in the body, in a package whose other parts all passed before
    leftover = repack(good, "word/document.xml", f">{HEADING}<", f">{HEADING}{{{{ 残留<")
    with pytest.raises(UserError) as err:
        render.check_package(leftover, TEMPLATE)
    text = err.value.render()
    index = render.template_paragraphs(TEMPLATE).index(HEADING) + 1
    assert f"残留标签“{{{{”" in text and f"第{index}段“{HEADING}{{{{ 残留”" in text
    # a table cell left without a paragraph
    doc = parts(good)["word/document.xml"].decode("utf-8")
    cell = doc[doc.index("<w:tc>"): doc.index("</w:tc>") + len("</w:tc>")]
    empty = repack(good, "word/document.xml", cell, "<w:tc><w:tcPr/></w:tc>")
    with pytest.raises(UserError, match="表格单元格|段落"):
        render.check_package(empty, TEMPLATE)
    # a part that is not well-formed any more
    broken = repack(good, "word/styles.xml", "</w:styles>", "</w:style>")
    with pytest.raises(UserError, match="styles.xml"):
        render.check_package(broken, TEMPLATE)
    assert render.check_package(good, TEMPLATE) is False


# ---------------------------------------------------------------------------- compiled code kept on disk


def _counting_compile(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = render.ReportEnvironment.compile

    def counting(self, source, *args, **kwargs):
        calls.append(source if isinstance(source, str) else "<expression>")
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(render.ReportEnvironment, "compile", counting)
    return calls


def test_a_new_process_loads_the_compiled_template_from_disk(ctx, tmp_path, monkeypatch):
    """What a second ``generate`` run does: a new environment finds the code compiled by the first run."""
    from generator import codecache, tables_xlsx

    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    calls = _counting_compile(monkeypatch)
    first = render_docx(TEMPLATE, ctx, make_env())
    tables_xlsx.layout(ctx, tables_xlsx._Evaluator())  # the Excel tables' texts and expressions too
    assert calls and len(list(codecache.cache_dir().glob("*.bin"))) == len(calls)
    calls.clear()
    second = render_docx(TEMPLATE, ctx, make_env())  # a fresh environment: nothing compiled in memory
    sheets, _ = tables_xlsx.layout(ctx, tables_xlsx._Evaluator())
    assert calls == []  # everything came from the cache
    assert second == first and sheets
    # a damaged cache file is compiled afresh, to the same output
    for path in codecache.cache_dir().glob("*.bin"):
        path.write_bytes(b"\x00garbage")
    assert render_docx(TEMPLATE, ctx, make_env()) == first
    assert calls  # compiled again


def test_an_edited_template_part_is_a_new_cache_entry(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    env = make_env()
    assert env.from_string("{{ a }}甲").render(a=1) == "1甲"
    assert make_env().from_string("{{ a }}乙").render(a=1) == "1乙"
    env.autoescape = False  # escaping shapes the code: its own entry
    assert env.from_string("{{ a }}").render(a="<b>") == "<b>"
    assert make_env().from_string("{{ a }}").render(a="<b>") == "&lt;b&gt;"


def test_no_cache_writes_nothing(ctx, tmp_path, monkeypatch):
    from generator import codecache

    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GENERATOR_NO_CACHE", "1")
    assert codecache.cache_dir() is None
    render_docx(TEMPLATE, ctx, make_env())
    assert not (tmp_path / "cache").exists()
