"""Line breaks, tabs, paragraph and page breaks in data (generator/formats/docx_render.resolve_listing) become
exactly what docxtpl's own ``resolve_listing`` makes of them: the rendered example and generated paragraphs."""

from __future__ import annotations

import io
from pathlib import Path

from docxtpl import DocxTemplate
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, ROOT
from generator.formats import docx_render
from generator.pipeline import load
from generator.render import make_env
from generator.template import load_template

DOCXTPL = DocxTemplate(io.BytesIO(b""))


def test_example_body_as_docxtpl_makes_it():
    env = make_env()
    template = load_template(ROOT / "templates" / "default" / "report.docx", env)
    ctx = load(EXAMPLE, 2024, template)[1]
    source = template.prepared.sources["word/document.xml"]
    xml = env.from_string(source).render(ctx.values).replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
    ours = docx_render.resolve_listing(xml)
    assert ours != xml and "<w:br/>" in ours  # the example's lists hold line breaks
    assert ours == DOCXTPL.resolve_listing(xml)


def test_each_break_by_hand():
    xml = ('<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>a\tb\nc\ad\fe</w:t></w:r></w:p>')
    assert docx_render.resolve_listing(xml) == (
        '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>a</w:t></w:r>'
        '<w:r><w:rPr><w:b/></w:rPr><w:tab/></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">b</w:t>'
        '<w:br/><w:t xml:space="preserve">c</w:t></w:r></w:p><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r>'
        '<w:rPr><w:b/></w:rPr><w:t xml:space="preserve">d</w:t></w:r></w:p><w:p><w:r><w:br w:type="page"/></w:r>'
        '</w:p><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr>'
        '<w:t xml:space="preserve">e</w:t></w:r></w:p>')


_text = st.text(alphabet=st.sampled_from(list("ab 中文\t\n\a\f<>&;\r")), max_size=12)
_props = st.sampled_from(["", "<w:rPr><w:b/></w:rPr>", '<w:rPr><w:sz w:val="21"/><w:i/></w:rPr>'])
_PRESERVE = ' xml:space="preserve"'
_run = st.builds(lambda props, attrs, t, tail: f"<w:r{attrs}>{props}<w:t{_PRESERVE * (len(t) % 2)}>"
                 f"{t}</w:t>{tail}</w:r>", _props, st.sampled_from(["", ' w:rsidR="00A1"']), _text,
                 st.sampled_from(["", "<w:tab/>", "<w:t>x\ny</w:t>"]))
_paragraph = st.builds(lambda ppr, attrs, runs: f"<w:p{attrs}>{ppr}{''.join(runs)}</w:p>",
                       st.sampled_from(["", "<w:pPr><w:pStyle w:val=\"正文\"/></w:pPr>", "<w:pPr>\n</w:pPr>"]),
                       st.sampled_from(["", ' w14:paraId="1A"']), st.lists(_run, max_size=4))


@settings(max_examples=300, deadline=None)
@given(st.lists(_paragraph, min_size=1, max_size=4), st.sampled_from(["", "<w:tbl><w:tr><w:tc>", "<w:body>"]))
def test_generated_paragraphs_as_docxtpl_makes_them(paragraphs, prefix):
    xml = prefix + "".join(paragraphs)
    assert docx_render.resolve_listing(xml) == DOCXTPL.resolve_listing(xml)


def test_docxtpl_not_imported_to_render(tmp_path: Path):
    """A report from a prepared template renders without docxtpl or python-docx (they cost start-up time)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "GENERATOR_CACHE_DIR": str(tmp_path / "cache")}  # empty at first

    code = ("import sys; from pathlib import Path; from generator.render import make_env, render;"
            "from generator.template import load_template; from generator.pipeline import load;"
            "env = make_env(); t = load_template(Path(sys.argv[1]), env);"
            "ctx = load(Path(sys.argv[2]), 2024, t)[1]; render(t, ctx.values, env);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('docx', 'docxtpl', 'openpyxl')))")
    template = ROOT / "templates" / "default" / "report.docx"
    first = subprocess.run([sys.executable, "-c", code, str(template), str(EXAMPLE)], capture_output=True, text=True,
                           cwd=ROOT, check=True, env=env)  # prepares the template and keeps it
    second = subprocess.run([sys.executable, "-c", code, str(template), str(EXAMPLE)], capture_output=True, text=True,
                            cwd=ROOT, check=True, env=env)
    assert first.stdout.strip() == "[]", first.stdout + first.stderr  # (docxtpl's patch_xml runs from its source)
    assert second.stdout.strip() == "[]", second.stdout + second.stderr
