"""docxtpl's table fix on the parsed tree (generator/formats/docx_render.fix_tables) gives what docxtpl's own
``fix_tables`` gives: grids widened for rows with more cells, narrowed when no row fills them."""

from __future__ import annotations

import pytest
from docxtpl import DocxTemplate
from lxml import etree

from generator.formats import docx_render
from generator.formats.docx_package import W_NS


def _body(*tables: str) -> str:
    return f'<w:body xmlns:w="{W_NS}">' + "".join(tables) + "</w:body>"


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
    ours = etree.fromstring(xml)
    docx_render.fix_tables(ours)
    assert etree.tostring(ours) == etree.tostring(DocxTemplate.fix_tables(None, xml))


@pytest.mark.parametrize("xml", [_body(_table(2, _row(None, "x"))), _body(_table(2, _row(None, "")))],
                         ids=["letters", "empty-span"])
def test_table_fix_fails_like_docxtpl(xml):
    with pytest.raises(Exception) as theirs:
        DocxTemplate.fix_tables(None, xml)
    with pytest.raises(type(theirs.value)) as ours:
        docx_render.fix_tables(etree.fromstring(xml))
    assert str(ours.value) == str(theirs.value)
