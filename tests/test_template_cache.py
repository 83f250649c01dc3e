"""Prepared templates kept on disk (generator/formats/codecache.py ``store_object``, generator/template.py):
read back, a template is the same template — its problems, the names it uses, its render; an edited template
is a new one; a damaged cache file is ignored."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from conftest import EXAMPLE, ROOT
from generator import template as tmod
from generator.formats import codecache
from generator.pipeline import load
from generator.render import make_env, render
from generator.template import load_template

TEMPLATE = ROOT / "templates" / "default" / "report.docx"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(folder))
    monkeypatch.setattr(tmod, "_CACHE", {})  # (this process's own cache: as a new process starts)
    return folder


def fresh_process(monkeypatch) -> None:
    monkeypatch.setattr(tmod, "_CACHE", {})


def stored(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.bin"))


def test_read_back_it_is_the_same_template(cache: Path, monkeypatch, tmp_path: Path):
    first = load_template(TEMPLATE, make_env())
    assert stored(cache)
    fresh_process(monkeypatch)
    env = make_env()
    again = load_template(TEMPLATE, env)
    assert again is not first and again.digest == first.digest
    assert again.problems == first.problems == [] and again.uses == first.uses
    assert again.paragraphs == first.paragraphs and again.prepared.sources == first.prepared.sources
    ctx = load(EXAMPLE, 2024, again)[1].values
    assert render(again, ctx, env).data == render(first, ctx, make_env()).data


def broken_template(path: Path, text: str) -> Path:
    doc = docx.Document()
    doc.add_paragraph("单位：{{ 基本信息.单位全称 }}")
    doc.add_paragraph(text)
    doc.save(path)
    return path


def test_problems_are_kept_and_an_edited_template_is_linted_again(cache: Path, monkeypatch, tmp_path: Path):
    path = broken_template(tmp_path / "report.docx", "{% if 财务.资产总额 %}没有结束")
    first = load_template(path, make_env())
    assert first.problems
    fresh_process(monkeypatch)
    again = load_template(path, make_env())
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    broken_template(path, "{% if 财务.资产总额 %}结束了{% endif %}")  # the clerk fixes it
    fresh_process(monkeypatch)
    fixed = load_template(path, make_env())
    assert fixed.problems == [] and fixed.digest != first.digest
    assert any(u.name == "财务.资产总额" and u.guarded for u in fixed.uses)


def test_a_damaged_cache_file_is_ignored(cache: Path, monkeypatch):
    first = load_template(TEMPLATE, make_env())
    for f in stored(cache):
        f.write_bytes(b"not a pickle nor marshal")
    fresh_process(monkeypatch)
    again = load_template(TEMPLATE, make_env())
    assert again.uses == first.uses and again.problems == []


def test_whole_part_syntax_error_still_found(cache: Path, tmp_path: Path):
    """The linter's whole-part parse (its tree kept for the first compile) still reports what only it sees."""
    path = tmp_path / "report.docx"
    doc = docx.Document()
    doc.add_paragraph("{% for x in 项目 %}")
    doc.add_paragraph("{{ x.项目名称 }}")
    doc.add_paragraph("{% endif %}{% endfor %}")
    doc.save(path)
    found = load_template(path, make_env())
    assert found.problems


def test_cache_off(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("GENERATOR_NO_CACHE", "1")
    monkeypatch.setenv("GENERATOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(tmod, "_CACHE", {})
    load_template(TEMPLATE, make_env())
    assert not (tmp_path / "cache").exists()
    assert codecache.code_fingerprint() == codecache.code_fingerprint()
