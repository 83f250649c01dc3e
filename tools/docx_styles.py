"""Shared python-docx helpers for building the default templates (GB/T 9704 layout)."""

from __future__ import annotations

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

# font sizes (formats.md §6)
SIZE_2 = Pt(22)     # 二号: title
SIZE_S2 = Pt(18)    # 小二: attachment table title
SIZE_3 = Pt(16)     # 三号: body and headings
SIZE_4 = Pt(14)     # 四号: page numbers
SIZE_S4 = Pt(12)    # 小四: table header
SIZE_5 = Pt(10.5)   # 五号: table text

TITLE_FONT = "方正小标宋简体"
HEI = "黑体"
KAI = "楷体_GB2312"
FANGSONG = "仿宋_GB2312"
SONG = "宋体"
LATIN = "Times New Roman"


def set_fonts(rpr_owner, east_asia: str, latin: str = LATIN, size=None, bold: bool | None = None) -> None:
    """Set explicit fonts (East Asian included, so Word/WPS do not fall back to the theme font)."""
    font = rpr_owner.font
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    font.color.rgb = None
    rpr = rpr_owner.element.get_or_add_rPr()
    old = rpr.find(qn("w:rFonts"))
    if old is not None:
        rpr.remove(old)
    rfonts = OxmlElement("w:rFonts")
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        rfonts.set(qn(attr), value)
    rpr.insert(0, rfonts)
    for tag in ("w:color",):
        el = rpr.find(qn(tag))
        if el is not None:
            rpr.remove(el)


def set_indent_chars(style, first_line_chars: int | None = None, left_chars: int | None = None,
                     hanging_chars: int | None = None, size_pt: float = 16) -> None:
    """Indent in character units (w:firstLineChars), with the twip equivalent for older readers."""
    ppr = style.element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    twips_per_char = int(size_pt * 20)
    if first_line_chars is not None:
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(first_line_chars * twips_per_char))
    if left_chars is not None:
        ind.set(qn("w:leftChars"), str(left_chars * 100))
        ind.set(qn("w:left"), str(left_chars * twips_per_char))
    if hanging_chars is not None:
        ind.set(qn("w:hangingChars"), str(hanging_chars * 100))
        ind.set(qn("w:hanging"), str(hanging_chars * twips_per_char))


def paragraph_style(doc, name: str, base: str | None = "Normal", *, east_asia: str = FANGSONG, size=SIZE_3,
                    bold: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars: int | None = None,
                    line_exact: float | None = 28, keep_with_next: bool = False, outline: int | None = None,
                    latin: str = LATIN):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base and style.name != base:
        style.base_style = styles[base]
    style.quick_style = True
    set_fonts(style, east_asia, latin=latin, size=size, bold=bold)
    pf = style.paragraph_format
    pf.alignment = align
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if line_exact:
        pf.line_spacing = Pt(line_exact)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    else:
        pf.line_spacing = 1.0
    pf.keep_with_next = keep_with_next
    if first_line_chars is not None:
        set_indent_chars(style, first_line_chars=first_line_chars, size_pt=size.pt if size else 16)
    if outline is not None:
        ppr = style.element.get_or_add_pPr()
        el = OxmlElement("w:outlineLvl")
        el.set(qn("w:val"), str(outline))
        ppr.append(el)
    return style


def page_setup(section, landscape: bool = False) -> None:
    """A4 with GB/T 9704 margins: top 3.7, bottom 3.5, left 2.8, right 2.6 cm."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    if landscape:
        section.page_width, section.page_height = Mm(297), Mm(210)
        # the binding edge stays on the long side: margins rotate with the page
        section.top_margin, section.bottom_margin = Cm(2.8), Cm(2.6)
        section.left_margin, section.right_margin = Cm(3.7), Cm(3.5)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(2.5)


def _field(paragraph, instr: str) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), ("instr", instr), ("separate", None), ("text", "1"), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
            run._r.append(el)
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = text
            run._r.append(el)
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)


def page_number_footers(section, style_name: str = "页码") -> None:
    """"— 1 —" in 宋体 4号: odd pages right, even pages left, each indented one character."""
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        p.style = style_name
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        p.add_run("— ")
        _field(p, "PAGE")
        p.add_run(" —")


def repeat_header_row(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    trpr.append(el)


def cant_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    trpr.insert(0, el)
