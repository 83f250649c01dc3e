"""Real-world files (``tests/corpus``, sources and licences in its README): every workbook reads as openpyxl
reads it, cell for cell; every template renders, paragraph for paragraph, the text docxtpl renders."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from docxtpl import DocxTemplate
from lxml import etree

from generator.render import make_env
from generator.template import load_template
from test_xlsx_read import assert_same

CORPUS = Path(__file__).parent / "corpus"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# docxtpl's own test contexts (tests/<name>.py of python-docx-template), shortened
CONTEXTS = {
    "header_footer_entities_tpl": {"title": "Header and footer test"},
    "footnotes_tpl": {"a_jinja_variable": "A Jinja variable!"},
    "nested_for_tpl": {
        "dishes": [{"name": "Pizza", "ingredients": ["bread", "tomato", "ham", "cheese"]},
                   {"name": "Hamburger", "ingredients": ["bread", "chopped steak", "cheese", "sauce"]}],
        "authors": [{"name": "Saint-Exupery", "books": [{"title": "Le petit prince"}, {"title": "L'aviateur"}]},
                    {"name": "Barjavel", "books": [{"title": "Ravage"}]}]},
    "preserve_spaces_tpl": {"tag_1": "looking", "tag_2": "too"},
    "order_tpl": {"customer_name": "Eric", "in_europe": True, "is_paid": False,
                  "items": [{"desc": "Python interpreters", "qty": 2, "price": "FREE"},
                            {"desc": "Guido", "qty": 1, "price": "100,000,000.00"}],
                  "company_name": "The World Wide company", "total_price": "100,000,000.00"},
    "less_cells_after_loop_tpl": {},
}


def test_the_corpus_is_small_and_described() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".xlsx", ".docx"))
    assert len(files) <= 15 and sum((CORPUS / f).stat().st_size for f in files) < 1024 * 1024
    readme = (CORPUS / "README.md").read_text("utf-8")
    assert all(f"`{f}`" in readme for f in files)
    assert {p.stem for p in CORPUS.glob("*.docx")} == set(CONTEXTS)


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.xlsx")))
def test_workbook_reads_as_openpyxl_reads_it(name: str) -> None:
    assert_same(CORPUS / name)


def paragraph_texts(package: bytes) -> dict[str, list[str]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for part in sorted(zf.namelist()):
            if re.fullmatch(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml", part):
                root = etree.fromstring(zf.read(part))
                out[part] = ["".join(t.text or "" for t in p.iter(W + "t")) for p in root.iter(W + "p")]
    return out


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_template_renders_the_text_docxtpl_renders(name: str) -> None:
    path = CORPUS / f"{name}.docx"
    env = make_env()
    template = load_template(path, env)
    assert template.problems == []
    ours = paragraph_texts(template.prepared.render(env, CONTEXTS[name]).data)
    theirs = DocxTemplate(str(path))
    theirs.render(CONTEXTS[name])
    buffer = io.BytesIO()
    theirs.save(buffer)
    assert ours == paragraph_texts(buffer.getvalue())
    assert any(text.strip() for texts in ours.values() for text in texts)
