"""Shared python-docx helpers for building the default templates (GB/T 9704 layout)."""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.formats import ooxml  # noqa: E402  (children in schema order: the package's one helper)

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

# ---------------------------------------------------------------- the GB/T 9704 grid (§5.2.2)
#
# The 版心 is 156 × 225 mm and holds 22 lines of 28 characters of 3号 (16 pt).
# Word draws that as the section's document grid (页面设置 › 文档网格 ›
# “文字对齐字符网格”): w:docGrid type="snapToChars" with a line pitch of
# 225 mm / 22 and a character pitch of 156 mm / 28. (“指定行和字符网格”,
# linesAndChars, sets the same pitches; LibreOffice then pads every run of
# digits or Latin letters to whole cells, leaving a gap after each number
# — “机构6 个” — where snapToChars centres the run in its cells.) The character pitch is
# stored as w:charSpace, in 4096ths of a point added to the document-default
# font size, so docDefaults (and Normal) carry 3号.

LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
BODY_SIZE_PT = 16
# LibreOffice snaps a character to as many whole grid cells as its own width
# needs: a 16 pt character in a 15.79 pt cell takes two, and a body line then
# holds 14 characters (character spacing 紧缩 does not help: the snapping
# looks at the glyph's own advance). The text styles on the grid therefore set
# their characters at 98 % width (字体 › 高级 › 缩放 98%): 15.68 pt fits one
# cell. Word places each character on the grid pitch anyway, and a client
# without grid support still sets 28 in a line (29 × 15.68 pt exceeds the
# 442 pt width). The 2 % is not visible in print.
BODY_SCALE_PCT = 98
# the landscape attachment sections: a lines grid at the pitch of a single-
# spaced 五号 table line (Word's default 312 twips), so it never stretches
# the tables; their paragraphs do not snap to it anyway.
TABLE_LINE_PITCH = 312

TWIPS_PER_PT = 20


def line_pitch_twips(text_height_twips: int, lines: int = LINES_PER_PAGE) -> int:
    """Whole twips per grid line such that ``lines`` lines fit in the text height."""
    return text_height_twips // lines


def char_space(text_width_twips: int, chars: int = CHARS_PER_LINE, font_pt: float = BODY_SIZE_PT) -> int:
    """w:charSpace for ``chars`` characters in the text width: (pitch − font size) in 1/4096 pt, rounded down.

    Rounded down so that ``chars`` pitches never exceed the width (one more
    4096th would push the last character to the next line).
    """
    # pitch (pt) = width_twips / 20 / chars; charSpace = floor((pitch - font) * 4096)
    return (text_width_twips * 4096 - int(font_pt * TWIPS_PER_PT) * 4096 * chars) // (TWIPS_PER_PT * chars)


def char_pitch_twips(space: int, font_pt: float = BODY_SIZE_PT) -> int:
    """The grid's character pitch in whole twips (rounded down), for indents in characters.

    LibreOffice rounds an indent up to whole grid cells: 2 × 16 pt would take
    three cells of 15.79 pt, so the twip fallback of ``w:firstLineChars`` must
    be at most two cells (Word reads the character count itself).
    """
    return int((font_pt * 4096 + space) * TWIPS_PER_PT) // 4096


# ---------------------------------------------------------------- schema order
#
# ECMA-376 Part 1 (Transitional) child sequences of the property elements this
# builder writes. Every child goes in through ``set_child``, which places it
# before the first sibling that the schema puts after it, so the XML validates
# whatever order the builder sets properties in.

SEQUENCES = ooxml.SEQUENCES  # the package's one description of the sequences

_W = qn("w:pPr")[: -len("pPr")]  # "{namespace}"


def _local(tag: str) -> str:
    return tag[len(_W):] if tag.startswith(_W) else tag


def set_child(parent, tag: str, attrs: dict[str, str] | None = None, *, replace: bool = True):
    """Put ``<w:tag attrs/>`` into ``parent`` at its schema position; return it.

    ``parent`` is a w:pPr, w:rPr, w:tblPr, w:trPr, w:tcPr, w:sectPr or
    w:docDefaults element. With ``replace`` (the default) an existing w:tag is
    kept and its attributes updated, so a property is never written twice.
    """
    name = tag.split(":")[-1]
    if replace:
        child = ooxml.put(parent, qn(f"w:{name}"), make=lambda t: OxmlElement(f"w:{name}"))
    else:  # a second element of the same name (e.g. another w:tab), at the same place
        child = OxmlElement(f"w:{name}")
        ooxml.put(parent, qn(f"w:{name}"), make=lambda t: child)
        if child.getparent() is None:
            parent.findall(qn(f"w:{name}"))[-1].addnext(child)
    for attr, value in (attrs or {}).items():
        child.set(qn(attr), str(value))
    return child


def remove_child(parent, tag: str) -> None:
    for el in parent.findall(qn(tag)):
        parent.remove(el)


def _ppr(style):
    return style.element.get_or_add_pPr()


def _rpr(style):
    return style.element.get_or_add_rPr()


def set_on_off(parent, tag: str, on: bool | None) -> None:
    """An on/off property (w:keepNext, w:snapToGrid…): None removes it, False writes w:val="0"."""
    if on is None:
        remove_child(parent, tag)
    elif on:
        el = set_child(parent, tag)
        el.attrib.pop(qn("w:val"), None)
    else:
        set_child(parent, tag, {"w:val": "0"})


def set_fonts(rpr_owner, east_asia: str, latin: str = LATIN, size=None, bold: bool | None = None) -> None:
    """Set explicit fonts (East Asian included, so Word/WPS do not fall back to the theme font)."""
    font = rpr_owner.font
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = rpr_owner.element.get_or_add_rPr()
    remove_child(rpr, "w:rFonts")
    set_child(rpr, "w:rFonts", {"w:ascii": latin, "w:hAnsi": latin, "w:eastAsia": east_asia, "w:cs": latin})
    remove_child(rpr, "w:color")


def set_indent_chars(style, first_line_chars: int | None = None, left_chars: int | None = None,
                     hanging_chars: int | None = None, size_pt: float = 16, twips_per_char: int | None = None) -> None:
    """Indent in character units (w:firstLineChars), with the twip equivalent for older readers.

    ``twips_per_char``: the width of a character on the grid (``char_pitch_twips``); default the font size.
    """
    ind = set_child(_ppr(style), "w:ind")
    twips_per_char = twips_per_char or int(size_pt * TWIPS_PER_PT)
    if first_line_chars is not None:
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(first_line_chars * twips_per_char))
    if left_chars is not None:
        ind.set(qn("w:leftChars"), str(left_chars * 100))
        ind.set(qn("w:left"), str(left_chars * twips_per_char))
    if hanging_chars is not None:
        ind.set(qn("w:hangingChars"), str(hanging_chars * 100))
        ind.set(qn("w:hanging"), str(hanging_chars * twips_per_char))


def set_line_exact(style, twips: int) -> None:
    """Line spacing 固定值 ``twips`` twentieths of a point."""
    spacing = set_child(_ppr(style), "w:spacing")
    spacing.set(qn("w:line"), str(twips))
    spacing.set(qn("w:lineRule"), "exact")


def paragraph_style(doc, name: str, base: str | None = "Normal", *, east_asia: str = FANGSONG, size=SIZE_3,
                    bold: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars: int | None = None,
                    line_exact: float | None = 28, keep_with_next: bool = False, outline: int | None = None,
                    latin: str = LATIN, line_twips: int | None = None, snap_to_grid: bool | None = None,
                    widow_control: bool | None = None, keep_lines: bool | None = None,
                    scale_pct: int | None = None, next_style: str | None = None, char_twips: int | None = None):
    """A paragraph style of one role.

    line_twips:   固定值 line spacing in twips (takes precedence over ``line_exact`` points);
    snap_to_grid: False for text with its own size (title, tables) that must not stretch to the body grid;
    scale_pct:    character width in percent (缩放), for text that snaps to the character grid;
    char_twips:   the grid's character pitch, for the twip value of indents in characters.
    """
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base and style.name != base:
        style.base_style = styles[base]
    if next_style:
        style.next_paragraph_style = styles[next_style]
    style.quick_style = True
    set_fonts(style, east_asia, latin=latin, size=size, bold=bold)
    pf = style.paragraph_format
    pf.alignment = align
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    if line_twips:
        set_line_exact(style, line_twips)
    elif line_exact:
        set_line_exact(style, int(round(line_exact * TWIPS_PER_PT)))
    else:
        pf.line_spacing = 1.0
    pf.keep_with_next = keep_with_next
    ppr = _ppr(style)
    set_on_off(ppr, "w:keepLines", keep_lines)
    set_on_off(ppr, "w:widowControl", widow_control)
    set_on_off(ppr, "w:snapToGrid", snap_to_grid)
    if first_line_chars is not None:
        set_indent_chars(style, first_line_chars=first_line_chars, size_pt=size.pt if size else 16,
                         twips_per_char=char_twips)
    if outline is not None:
        set_child(ppr, "w:outlineLvl", {"w:val": outline})
    if scale_pct is not None:
        set_child(_rpr(style), "w:w", {"w:val": scale_pct})
    return style


def doc_defaults(doc, east_asia: str = FANGSONG, latin: str = LATIN, size_pt: float = BODY_SIZE_PT,
                 lang: str = "zh-CN") -> None:
    """docDefaults: 3号仿宋, Chinese, no paragraph spacing, single lines.

    The document grid's character pitch is relative to this size (Word) and to
    Normal's size (LibreOffice), so both are 3号.
    """
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = set_child(defaults, "w:rPrDefault")
    remove_child(rpr_default, "w:rPr")
    rpr = OxmlElement("w:rPr")
    rpr_default.append(rpr)
    set_child(rpr, "w:rFonts", {"w:ascii": latin, "w:hAnsi": latin, "w:eastAsia": east_asia, "w:cs": latin})
    half_points = str(int(size_pt * 2))
    set_child(rpr, "w:sz", {"w:val": half_points})
    set_child(rpr, "w:szCs", {"w:val": half_points})
    set_child(rpr, "w:lang", {"w:val": "en-US", "w:eastAsia": lang, "w:bidi": "ar-SA"})
    ppr_default = set_child(defaults, "w:pPrDefault")
    remove_child(ppr_default, "w:pPr")
    ppr = OxmlElement("w:pPr")
    ppr_default.append(ppr)
    set_child(ppr, "w:spacing", {"w:after": "0", "w:line": "240", "w:lineRule": "auto"})


def text_area(section) -> tuple[int, int]:
    """(width, height) of the section's 版心 in twips, from the values written to w:pgSz/w:pgMar."""
    pg_sz = section._sectPr.find(qn("w:pgSz"))
    pg_mar = section._sectPr.find(qn("w:pgMar"))
    get = lambda el, attr: int(el.get(qn(f"w:{attr}")))  # noqa: E731
    width = get(pg_sz, "w") - get(pg_mar, "left") - get(pg_mar, "right") - get(pg_mar, "gutter")
    height = get(pg_sz, "h") - get(pg_mar, "top") - get(pg_mar, "bottom")
    return width, height


def body_grid(section) -> tuple[int, int]:
    """The GB/T 9704 grid on a portrait section: 22 lines × 28 characters; returns (linePitch, charSpace)."""
    width, height = text_area(section)
    pitch, space = line_pitch_twips(height), char_space(width)
    set_child(section._sectPr, "w:docGrid", {"w:type": "snapToChars", "w:linePitch": pitch,
                                             "w:charSpace": space})
    return pitch, space


def table_grid(section) -> None:
    """A landscape table section: a lines grid at the pitch of a 五号 table line, no character grid."""
    el = set_child(section._sectPr, "w:docGrid", {"w:type": "lines", "w:linePitch": TABLE_LINE_PITCH})
    el.attrib.pop(qn("w:charSpace"), None)


def page_setup(section, landscape: bool = False) -> None:
    """A4 with GB/T 9704 margins (top 3.7, bottom 3.5, left 2.8, right 2.6 cm) and the section's grid."""
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
    if landscape:
        table_grid(section)
    else:
        body_grid(section)


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
    """标题行重复: the row repeats at the top of every page the table runs onto."""
    set_child(row._tr.get_or_add_trPr(), "w:tblHeader")


def cant_split(row) -> None:
    """允许跨页断行 off: a row that fits on a page is moved whole to the next page."""
    set_child(row._tr.get_or_add_trPr(), "w:cantSplit")
