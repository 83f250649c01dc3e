"""The three attachment tables of the default Word template (附件1–3).

Called by ``tools/build_template.py`` after the report body. The layout of each
table comes from ``tools/template_forms.FORMS``, written here as docxtpl tags
(the Excel copy of the forms is built from the rendered Word tables):

* value cells: ``{{ 预算.年初预算数|万元 }}`` (the kind names the filter), one ``{{ }}`` per cell;
* data-driven rows: ``{%tr for 指标 in 绩效指标.行 %}`` … ``{%tr endfor %}``;
* data-driven vertical merges: ``{% vmerge 指标.一级首行 %}`` (see generator/formats/docx_render.py);
* the form's fixed grid: static ``w:gridSpan`` and ``w:vMerge`` in the template;
* one table per project: a ``{%p for 项 in 项目 %}`` paragraph loop.

Each attachment starts a new section (附件2 and 附件3 landscape) with “附件N”
(黑体) at the top left and the title centred. Pagination is in the XML, so Word
and LibreOffice keep the forms readable however long the data runs:

* every row is ``cantSplit``: a row that fits on a page is never broken (a row
  taller than a page still breaks; no client can do otherwise);
* the column-header row of each table repeats on every page (``tblHeader``)
  and keeps with the first data row: the rows above it (unit, budget and goal
  blocks) form a separate lead table joined to the main table by a hairline
  paragraph, since Word repeats header rows only from the top of a table;
* a block whose label merges down stays on one page, the title, the unit line
  and the lead table keep with the main table (``keepNext``), and the last row
  keeps with the note under the table (注：/说明：, style 附表注释).

Properties are written through ``docx_styles.set_child``, in schema order.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import _Cell, _Row

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docx_styles as ds  # noqa: E402

from template_forms import FILTER_OF, FORMS, C, Form, Loop  # noqa: E402

CELL_STYLE = {"head": "表头文字", "left": "表格文字左对齐"}
JOIN_STYLE = "表格衔接"
NOTE_STYLE = "附表注释"  # 注：/说明： under a table (defined in build_template.define_styles)
LANDSCAPE_WIDTH_CM = 29.7 - 3.7 - 3.5
PORTRAIT_WIDTH_CM = 21.0 - 2.8 - 2.6


def _define_styles(doc) -> None:
    # the hairline between the lead and the main table: 1 pt, off the grid, kept with the main table
    join = ds.paragraph_style(doc, JOIN_STYLE, size=Pt(1), align=WD_ALIGN_PARAGRAPH.LEFT, line_exact=None,
                              snap_to_grid=False, keep_with_next=True)
    join.paragraph_format.line_spacing = Pt(1)
    join.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def _write(paragraph, text: str) -> None:
    """Plain runs; ``\\n`` becomes a line break and ``\\f`` a page break, each in its own run."""
    chunk = ""
    for ch in text:
        if ch in "\n\f":
            if chunk:
                paragraph.add_run(chunk)
                chunk = ""
            paragraph.add_run().add_break(WD_BREAK.LINE if ch == "\n" else WD_BREAK.PAGE)
        else:
            chunk += ch
    if chunk:
        paragraph.add_run(chunk)


def _para(doc, style: str, text: str = ""):
    p = doc.add_paragraph(style=style)
    _write(p, text)
    return p


def cell_text(c: C) -> str:
    """The template text of a cell."""
    text = c.text
    if c.expr is not None:
        default = "|缺省('')" if c.optional else ""
        text = f"{{{{ {c.expr}|{FILTER_OF[c.kind]}{default} }}}}"
    if c.vmerge not in (None, "restart", "continue"):
        text = f"{{% vmerge {c.vmerge} %}}" + text
    return text


def _twips(cm: float) -> str:
    return str(int(round(cm / 2.54 * 1440)))


def _borders(tbl, bottom: bool = True) -> None:
    borders = ds.set_child(tbl.tblPr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")  # CT_TblBorders: top, left, bottom, right, insideH, insideV
        if edge == "bottom" and not bottom:
            el.set(qn("w:val"), "nil")
        else:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)


def _layout_fixed(table, widths: tuple[float, ...]) -> None:
    tbl = table._tbl
    ds.set_child(tbl.tblPr, "w:tblW", {"w:w": _twips(sum(widths)), "w:type": "dxa"})
    ds.set_child(tbl.tblPr, "w:tblLayout", {"w:type": "fixed"})  # python-docx's autofit=False wrote one already
    for col, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), _twips(w))


def _add_row(table, widths: tuple[float, ...], cells: list[tuple[int, str, str, str | None]],
             header: bool = False, keep_next: bool = False) -> None:
    """cells: (span, style, text, static vMerge). Every row is cantSplit; ``keep_next`` keeps it with the next."""
    tr = table._tbl.add_tr()
    col = 0
    for span, style, text, vmerge in cells:
        tc = tr.add_tc()
        tcPr = tc.get_or_add_tcPr()
        ds.set_child(tcPr, "w:tcW", {"w:w": _twips(sum(widths[col: col + span])), "w:type": "dxa"})
        if span > 1:
            ds.set_child(tcPr, "w:gridSpan", {"w:val": span})
        if vmerge:
            ds.set_child(tcPr, "w:vMerge", {"w:val": vmerge})
        ds.set_child(tcPr, "w:vAlign", {"w:val": "center"})
        cell = _Cell(tc, table)
        p = cell.add_paragraph() if not cell.paragraphs else cell.paragraphs[0]
        p.style = style
        if keep_next:
            p.paragraph_format.keep_with_next = True
        _write(p, text)
        col += span
    row = _Row(tr, table)
    ds.cant_split(row)
    if header:
        ds.repeat_header_row(row)


def _table(doc, widths: tuple[float, ...], part: tuple, bottom_border: bool = True, header_first: bool = False,
           keep_together: bool = False, keep_last: bool = False):
    """One table of a form.

    header_first:  the first row is the column header: it repeats on every page and keeps with the next row;
    keep_together: a block whose label merges down (年度预算申请, 年度总体目标…) stays on one page;
    keep_last:     the last row keeps with what follows (the note under the table, or the main table).
    """
    table = doc.add_table(rows=0, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _layout_fixed(table, widths)
    _borders(table._tbl, bottom=bottom_border)
    n = len(widths)
    for i, row in enumerate(part):
        if isinstance(row, Loop):
            _add_row(table, widths, [(n, "表格文字", f"{{%tr for {row.var} in {row.iterable} %}}", None)])
            for inner in row.rows:
                _add_row(table, widths, [_cell_spec(c) for c in inner])
            _add_row(table, widths, [(n, "表格文字", "{%tr endfor %}", None)])
        else:
            nxt = part[i + 1] if i + 1 < len(part) else None
            header = header_first and i == 0
            keep = (keep_together and isinstance(nxt, tuple) and nxt[0].vmerge == "continue") or header or \
                (keep_last and nxt is None)
            _add_row(table, widths, [_cell_spec(c) for c in row], header=header, keep_next=keep)
    return table


def _cell_spec(c: C) -> tuple[int, str, str, str | None]:
    static = c.vmerge if c.vmerge in ("restart", "continue") else None
    return (c.span, CELL_STYLE.get(c.kind, "表格文字"), cell_text(c), static)


def _unit_line(doc, form: Form, width_cm: float) -> None:
    left, right = form.unit_line
    p = _para(doc, "附表说明", f"{left}\t{right}")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(width_cm), WD_TAB_ALIGNMENT.RIGHT)


def _form_body(doc, form: Form, first_title_prefix: str = "") -> None:
    width = sum(form.widths)
    for k, title in enumerate(form.titles):
        _para(doc, "附表标题", (first_title_prefix if k == 0 else "") + title)
    if form.unit_line:
        _unit_line(doc, form, width)
    # the lead table's bottom edge is the main table's top border (drawn again on every page)
    _table(doc, form.widths, form.lead, bottom_border=False, keep_together=True, keep_last=True)
    _para(doc, JOIN_STYLE)
    _table(doc, form.widths, form.main, header_first=True, keep_last=bool(form.notes))
    for note in form.notes:
        _para(doc, NOTE_STYLE, note)


def build(doc) -> None:
    _define_styles(doc)
    for form in FORMS:
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        ds.page_setup(section, landscape=form.landscape)
        ds.page_number_footers(section)
        _para(doc, "附件标记", form.marker)
        if form.each:
            var, iterable = form.each
            _para(doc, "附表说明", f"{{%p for {var} in {iterable} %}}")
            # every project after the first starts a new page
            _form_body(doc, form, first_title_prefix="{% if not loop.first %}\f{% endif %}")
            _para(doc, "附表说明", "{%p endfor %}")
            _para(doc, "附表说明", f"{{%p if not {iterable} %}}")
            _para(doc, "附表说明", form.empty_note)
            _para(doc, "附表说明", "{%p endif %}")
        else:
            _form_body(doc, form)
