"""The GB/T 9704 grid: 22 lines a page, 28 characters a line of 3号 (issue 20).

GB/T 9704-2012 §5.2.2 fills the 156 × 225 mm 版心 with 22 lines of 28
characters. The template's sections carry the Word document grid; the real
client (LibreOffice) lays the example and a stress unit out, and
``pdftotext -bbox-layout`` reads back every line of the report body:

* a full line (one followed by more of the same paragraph) holds 28
  characters, 26 after a paragraph's 2-character indent;
* a body page whose last paragraph runs on to the next page holds 22 lines.
"""

from __future__ import annotations

import shutil
import zipfile
from fractions import Fraction

import pytest
from lxml import etree

import generator.formats.pdf as pdf_module
import layout
from conftest import ROOT, require

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEMPLATE = ROOT / "templates" / "default" / "report.docx"
UNITS = ("example", "stress")
OPENING = tuple("《“‘（〔【「『")  # cannot end a line: it moves down with the character it opens
CLOSING = tuple("》”’）〕】」』，。、；：！？")  # cannot start a line: the character before it moves down too


@pytest.fixture(scope="session")
def units(tmp_path_factory: pytest.TempPathFactory) -> dict[str, layout.Unit]:
    require(pdf_module.find_soffice() is not None, "LibreOffice (soffice)")
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    return layout.units(lambda: tmp_path_factory.mktemp("layout"), ROOT)


# ------------------------------------------------------------------ the template's settings


def _part(name: str) -> etree._Element:
    with zipfile.ZipFile(TEMPLATE) as zf:
        return etree.fromstring(zf.read(name))


def _twips(el: etree._Element, attr: str) -> int:
    return int(el.get(W + attr))


def test_portrait_sections_carry_a_22_by_28_grid_and_landscape_ones_a_table_grid() -> None:
    sections = list(_part("word/document.xml").iter(W + "sectPr"))
    assert len(sections) == 4  # body, 附件1 (portrait), 附件2 and 附件3 (landscape)
    for sect in sections:
        size, margins, grid = (sect.find(W + tag) for tag in ("pgSz", "pgMar", "docGrid"))
        width = _twips(size, "w") - _twips(margins, "left") - _twips(margins, "right")
        height = _twips(size, "h") - _twips(margins, "top") - _twips(margins, "bottom")
        if size.get(W + "orient") == "landscape":
            assert grid.get(W + "type") == "lines" and grid.get(W + "charSpace") is None
            assert 240 <= _twips(grid, "linePitch") <= 360  # a single-spaced 五号/小四 table line
            continue
        assert grid.get(W + "type") == "snapToChars"
        pitch = _twips(grid, "linePitch")
        assert pitch * 22 <= height < pitch * 23
        # the character pitch is the document-default size plus charSpace/4096 pt
        char = Fraction(16) + Fraction(_twips(grid, "charSpace"), 4096)
        assert 28 * char <= Fraction(width, 20) < 29 * char


def test_defaults_are_3hao_and_only_body_text_snaps_to_the_grid() -> None:
    styles = _part("word/styles.xml")
    default_size = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}sz")
    assert default_size.get(W + "val") == "32"
    by_name = {s.find(W + "name").get(W + "val"): s for s in styles.iter(W + "style")}
    assert by_name["Normal"].find(f"{W}rPr/{W}sz").get(W + "val") == "32"

    def snaps(name: str) -> bool:
        el = by_name[name].find(f"{W}pPr/{W}snapToGrid")
        return el is None or el.get(W + "val") not in ("0", "false")

    for name in ("正文", "heading 1", "heading 2", "heading 3", "heading 4", "附件说明", "附件说明续行"):
        assert snaps(name), name
        spacing = by_name[name].find(f"{W}pPr/{W}spacing")
        assert spacing.get(W + "lineRule") == "exact" and spacing.get(W + "line") == "579", name  # = linePitch
    for name in ("公文标题", "附表标题", "附表说明", "附表注释", "表格文字", "表格文字左对齐", "表头文字", "表格衔接"):
        assert not snaps(name), name


# ------------------------------------------------------------------ LibreOffice's layout


def _holds(lay: layout.Layout, line: layout.Line) -> tuple[str, float]:
    """The line's text inside the 版心 (a closing mark hanging past the edge dropped) and its width with the indent."""
    text = line.text
    if line.x1 > lay.right + 2 and text[-1] in "，。、；：！？”’）》":
        text = text[:-1]
    return text, layout.width_in_chars(text) + (2 if line.first else 0)


@pytest.mark.parametrize("unit", UNITS)
def test_full_body_lines_hold_28_characters(units, unit: str) -> None:
    lay = units[unit].layout()
    body = lay.body_lines()
    nexts = dict(zip(map(id, body), body[1:]))
    full = lay.full_lines()
    assert len(full) > (100 if unit == "example" else 600)
    wrong = []
    for line in full:
        text, width = _holds(lay, line)
        if layout.is_full_width(text):
            nxt = nexts[id(line)].text
            # 27 when the 28th place could not be used: the next line starts with a number that cannot be
            # broken, or with an opening mark, or its second character is a mark that cannot start a line
            kinsoku = nxt[0].isascii() or nxt[0] in OPENING or nxt[1:2] in CLOSING
            if width == 28 or (width == 27 and kinsoku):
                continue
        elif 24 <= width <= 30:  # half-width digits, counted by the cells the grid gives their run
            continue
        wrong.append((line.page, width, line.text))
    assert wrong == []


@pytest.mark.parametrize("unit", UNITS)
def test_full_body_pages_hold_22_lines(units, unit: str) -> None:
    lay = units[unit].layout()
    body_pages = lay.body_pages()
    assert all(len(lay.lines_on(page)) <= 22 for page in body_pages)
    full = lay.full_pages()
    assert len(full) >= (1 if unit == "example" else 30)
    # widow control: a paragraph that would leave one line on the next page leaves two
    wrong = [(page.number, len(lay.lines_on(page)), run_on) for page, run_on in full
             if not (len(lay.lines_on(page)) == 22 or (len(lay.lines_on(page)) == 21 and run_on == 2))]
    assert wrong == []
    # every body page's lines are 22 to the 版心 (225 mm): the line pitch is 225 mm / 22
    pitches = {round(b.y0 - a.y0, 1) for page in body_pages for a, b in zip(lay.lines_on(page), lay.lines_on(page)[1:])
               if abs(a.size - 16) < 1 and abs(b.size - 16) < 1 and b.y0 - a.y0 < 40}
    assert pitches and all(abs(p - 225 / 25.4 * 72 / 22) < 0.2 for p in pitches), pitches
