"""Writing .xlsx files straight as SpreadsheetML: styles, sheets and the package.

Used for the attachment tables (``tables_xlsx``) and the county summary
(``summary``). openpyxl's object model re-validates and re-hashes styles on
every assignment and re-borders every merged range; for the few kinds of cell
these workbooks need, writing the XML directly costs a small fraction of that.
The output is read back with openpyxl in the tests and checked against the
ECMA-376 schemas with an independent validator (tests/ooxml.py).

Schema order: every element whose children the schema declares as a sequence
(``CT_Worksheet``, ``CT_Workbook``, ``CT_Stylesheet``, ``CT_SheetView``,
``CT_Xf``…) is put together by ``element``, which knows each sequence
(``SEQUENCES``), puts the children it is given in that order and refuses a
child the type does not have or one too many. Only the bulk of a sheet —
rows (``CT_Row``: ``c*``) and cells (``CT_Cell``: ``v`` only, here) — is
written by plain concatenation, as those have one kind of child each.

Printing: every sheet is set up for A4 in its orientation with margins and a
page-number footer (``第 &P 页，共 &N 页``); ``fit_width`` / ``print_area``
fit the columns to the page width, ``print_titles`` repeats header rows. A row
holding wrapped text is made tall enough to show it whole (``row_height``, an
estimate from text length, the merged width in characters and the font size);
a height set explicitly is kept as the row's minimum.

Also: sheet protection without a password (``Sheet.protected``) with unlocked
cell formats (``Styles.xf(locked=False)``), data validations
(``Sheet.validate``: list, decimal, whole, date, with input prompt and error
alert), internal hyperlinks (``Sheet.link``), hidden sheets and date cells.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import zip as zipout

CM_TO_CHARS = 4.6  # Excel column width units per cm (default font)
MAX_CELL_CHARS = 32767  # Excel refuses a file with a longer cell text
MAX_LIST_CHARS = 255  # Excel's limit for a drop-down list typed into the validation ("a,b,c")
DEFAULT_COL_WIDTH = 8.43  # Excel's default column width (characters of the default font)
DEFAULT_ROW_HEIGHT = 15.0  # points, for the default font (Calibri 11)
PAGE_FOOTER = "&C第 &P 页，共 &N 页"  # centre footer: page n of N
A4 = 9  # paperSize code
MARGINS = (0.6, 0.6, 0.8, 0.8, 0.5, 0.5)  # inches: left, right, top, bottom, header, footer

Font = tuple  # (name, size, bold) or (name, size, bold, color RGB, underline)
Align = tuple[str, str, bool]  # (horizontal, vertical, wrap); empty strings for unset

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SSML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DRAWINGML = "http://schemas.openxmlformats.org/drawingml/2006/main"
_CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CT_THEME = "application/vnd.openxmlformats-officedocument.theme+xml"
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "0.00%": 10, "@": 49}

# ------------------------------------------------------------------------ schema order

# The child sequences of the ECMA-376 (transitional) SpreadsheetML types this
# writer emits, in schema order. A name alone occurs exactly once, ``?`` at
# most once, ``*`` any number of times, ``+`` at least once, ``{n}`` at most n
# times. (CT_Font is an ``xsd:choice maxOccurs="unbounded"`` — any order —
# and is written in the order Excel writes it.)
_SEQUENCE_SPECS = {
    "worksheet": "sheetPr? dimension? sheetViews? sheetFormatPr? cols* sheetData sheetCalcPr? sheetProtection?"
                 " protectedRanges? scenarios? autoFilter? sortState? dataConsolidate? customSheetViews?"
                 " mergeCells? phoneticPr? conditionalFormatting* dataValidations? hyperlinks? printOptions?"
                 " pageMargins? pageSetup? headerFooter? rowBreaks? colBreaks? customProperties? cellWatches?"
                 " ignoredErrors? smartTags? drawing? legacyDrawing? legacyDrawingHF? drawingHF? picture?"
                 " oleObjects? controls? webPublishItems? tableParts? extLst?",
    "sheetPr": "tabColor? outlinePr? pageSetUpPr?",
    "sheetViews": "sheetView+ extLst?",
    "sheetView": "pane? selection{4} pivotSelection{4} extLst?",
    "cols": "col+",
    "mergeCells": "mergeCell+",
    "dataValidations": "dataValidation+",
    "dataValidation": "formula1? formula2?",
    "hyperlinks": "hyperlink+",
    "headerFooter": "oddHeader? oddFooter? evenHeader? evenFooter? firstHeader? firstFooter?",
    "workbook": "fileVersion? fileSharing? workbookPr? workbookProtection? bookViews? sheets functionGroups?"
                " externalReferences? definedNames? calcPr? oleSize? customWorkbookViews? pivotCaches?"
                " smartTagPr? smartTagTypes? webPublishing? fileRecoveryPr* webPublishObjects? extLst?",
    "bookViews": "workbookView+",
    "sheets": "sheet+",
    "definedNames": "definedName*",
    "styleSheet": "numFmts? fonts? fills? borders? cellStyleXfs? cellXfs? cellStyles? dxfs? tableStyles? colors?"
                  " extLst?",
    "numFmts": "numFmt*",
    "fonts": "font*",
    "font": "b? i? strike? condense? extend? outline? shadow? u? vertAlign? sz? color? name? family? charset?"
            " scheme?",
    "fills": "fill*",
    "fill": "patternFill? gradientFill?",
    "patternFill": "fgColor? bgColor?",
    "borders": "border*",
    "border": "left? right? top? bottom? diagonal? vertical? horizontal?",
    "cellStyleXfs": "xf+",
    "cellXfs": "xf+",
    "xf": "alignment? protection? extLst?",
    "cellStyles": "cellStyle+",
}


class SchemaOrderError(ValueError):
    """A child the element's type does not have, one too many, or a required one missing (a programming error)."""


def _parse_spec(spec: str) -> dict[str, tuple[int, int, int | None]]:
    out: dict[str, tuple[int, int, int | None]] = {}
    for i, token in enumerate(spec.split()):
        m = re.fullmatch(r"(\w+)(\?|\*|\+|\{(\d+)\})?", token)
        if m is None:
            raise AssertionError(token)
        name, quantifier, n = m.groups()
        low, high = {None: (1, 1), "?": (0, 1), "*": (0, None), "+": (1, None)}.get(quantifier, (0, int(n or 0)))
        out[name] = (i, low, high)
    return out


SEQUENCES: dict[str, dict[str, tuple[int, int, int | None]]] = {
    tag: _parse_spec(spec) for tag, spec in _SEQUENCE_SPECS.items()}


def element(tag: str, children: Iterable[tuple[str, str]], attrs: str = "") -> str:
    """``<tag attrs>children</tag>``, the children put in the schema's order for ``tag``.

    ``children`` are (child element name, its XML); children of one name keep
    the order they are given in. Raises SchemaOrderError for a child the type
    does not have, more of one than the schema allows, or a required child missing.
    """
    sequence = SEQUENCES[tag]
    keyed: list[tuple[int, int, str]] = []
    counts: dict[str, int] = {}
    for k, (name, xml) in enumerate(children):
        entry = sequence.get(name)
        if entry is None:
            raise SchemaOrderError(f"<{name}> is not a child of <{tag}>")
        counts[name] = counts.get(name, 0) + 1
        keyed.append((entry[0], k, xml))
    for name, (_, low, high) in sequence.items():
        n = counts.get(name, 0)
        if n < low:
            raise SchemaOrderError(f"<{tag}> needs <{name}>")
        if high is not None and n > high:
            raise SchemaOrderError(f"<{tag}> takes at most {high} <{name}>, got {n}")
    if not keyed:
        return f"<{tag}{attrs}/>"
    keyed.sort()
    return f"<{tag}{attrs}>" + "".join(xml for _, _, xml in keyed) + f"</{tag}>"


def _many(tag: str, child: str, xmls: list[str], attrs: str = "") -> str:
    """A list element (``<mergeCells>`` of ``<mergeCell>``…): ``element`` for children all of one kind,
    checked against the same sequence, without sorting."""
    sequence = SEQUENCES[tag]
    entry = sequence.get(child)
    if entry is None:
        raise SchemaOrderError(f"<{child}> is not a child of <{tag}>")
    for name, (_, low, _high) in sequence.items():
        if low and name != child:
            raise SchemaOrderError(f"<{tag}> needs <{name}>")
    _, low, high = entry
    if len(xmls) < low or (high is not None and len(xmls) > high):
        raise SchemaOrderError(f"<{tag}> takes {low}–{high or 'any'} <{child}>, got {len(xmls)}")
    return f"<{tag}{attrs}>" + "".join(xmls) + f"</{tag}>" if xmls else f"<{tag}{attrs}/>"


# ------------------------------------------------------------------------ styles


class Styles:
    """The workbook's fonts, fills, number formats and cell formats (``xf``), each registered once."""

    def __init__(self, border_rgb: str = "FF000000") -> None:
        self.border_rgb = border_rgb  # the colour of every cell border
        self.fonts: list[Font] = [("Calibri", 11, False)]
        self.fills: list[str] = []  # solid fill colours (RGB), after the two fills Excel reserves
        self.num_fmts: dict[str, int] = {}
        self.xfs: list[tuple[int, int, int, bool, Align | None, bool]] = [(0, 0, 0, False, None, True)]
        # per xf: (font, border, align, format, fill, locked)
        self.keys: list[tuple] = [(self.fonts[0], False, None, "General", None, True)]
        self._xf_ids: dict[tuple, int] = {}

    def xf(self, font: Font, border: bool = False, align: Align | None = None,
           number_format: str = "General", fill: str | None = None, locked: bool = True) -> int:
        """Index of the cell format; ``fill`` is a solid background colour as RGB hex (``BDD7EE``).

        ``locked=False``: the cell stays editable when its sheet is protected.
        """
        key = (font, border, align, number_format, fill, locked)
        found = self._xf_ids.get(key)
        if found is not None:
            return found
        if font not in self.fonts:
            self.fonts.append(font)
        fmt_id = _BUILTIN_FORMATS.get(number_format)
        if fmt_id is None:
            fmt_id = self.num_fmts.setdefault(number_format, 164 + len(self.num_fmts))
        fill_id = 0
        if fill is not None:
            if fill not in self.fills:
                self.fills.append(fill)
            fill_id = 2 + self.fills.index(fill)
        self.xfs.append((self.fonts.index(font), fmt_id, fill_id, border, align, locked))
        self.keys.append(key)
        self._xf_ids[key] = len(self.xfs) - 1
        return len(self.xfs) - 1

    def metrics(self) -> list[tuple[bool, float]]:
        """Per cell format: (wraps text, font size) — what a row's height depends on."""
        return [(bool(align and align[2]), float(self.fonts[font_id][1]))
                for font_id, _, _, _, align, _ in self.xfs]

    def xml(self) -> str:
        children: list[tuple[str, str]] = []
        if self.num_fmts:
            children.append(("numFmts", _many("numFmts", "numFmt", [
                f'<numFmt numFmtId="{i}" formatCode="{attr(code)}"/>' for code, i in self.num_fmts.items()],
                f' count="{len(self.num_fmts)}"')))
        children.append(("fonts", _many("fonts", "font", [_font_xml(f) for f in self.fonts],
                                        f' count="{len(self.fonts)}"')))
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        fills += [element("fill", [("patternFill", element("patternFill", [
            ("fgColor", f'<fgColor rgb="FF{rgb}"/>'), ("bgColor", '<bgColor indexed="64"/>')],
            ' patternType="solid"'))]) for rgb in self.fills]
        children.append(("fills", _many("fills", "fill", fills, f' count="{len(fills)}"')))
        sides = [(side, f'<{side} style="thin"><color rgb="{self.border_rgb}"/></{side}>')
                 for side in ("left", "right", "top", "bottom")]
        borders = [element("border", [(s, f"<{s}/>") for s in ("left", "right", "top", "bottom", "diagonal")]),
                   element("border", sides + [("diagonal", "<diagonal/>")])]
        children.append(("borders", _many("borders", "border", borders, ' count="2"')))
        children.append(("cellStyleXfs", _many("cellStyleXfs", "xf", [
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'], ' count="1"')))
        children.append(("cellXfs", _many("cellXfs", "xf", [_xf_xml(*x) for x in self.xfs],
                                          f' count="{len(self.xfs)}"')))
        children.append(("cellStyles", '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
                                       "</cellStyles>"))
        return _XML_HEAD + element("styleSheet", children, f' xmlns="{_SSML}"')


def _font_xml(font: Font) -> str:
    name, size, bold = font[:3]
    color = font[3] if len(font) > 3 else None
    underline = font[4] if len(font) > 4 else False
    children = [("sz", f'<sz val="{size:g}"/>'), ("name", f'<name val="{attr(name)}"/>')]
    if bold:
        children.append(("b", "<b/>"))
    if underline:
        children.append(("u", "<u/>"))
    if color:
        children.append(("color", f'<color rgb="FF{color}"/>'))
    return element("font", children)


def _xf_xml(font_id: int, fmt_id: int, fill_id: int, border: bool, align: Align | None, locked: bool) -> str:
    attrs = (f' numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" borderId="{1 if border else 0}"'
             ' xfId="0"')
    attrs += ' applyFont="1"' if font_id else ""
    attrs += ' applyNumberFormat="1"' if fmt_id else ""
    attrs += ' applyFill="1"' if fill_id else ""
    attrs += ' applyBorder="1"' if border else ""
    children = []
    if align is not None:
        horizontal, vertical, wrap = align
        a = (f' horizontal="{horizontal}"' if horizontal else "") + (f' vertical="{vertical}"' if vertical else "") \
            + (' wrapText="1"' if wrap else "")
        attrs += ' applyAlignment="1"'
        children.append(("alignment", f"<alignment{a}/>"))
    if not locked:
        attrs += ' applyProtection="1"'
        children.append(("protection", '<protection locked="0"/>'))
    return element("xf", children, attrs)


# ------------------------------------------------------------------------ row heights

_WIDE = re.compile("[\u1100-\u115f\u2014\u2018\u2019\u201c\u201d\u2026\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff"
                   "\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
NARROW_WIDTH = 0.55  # a Latin letter or digit, in widths of a CJK character of the same font size
LINE_FACTOR = 1.35  # a line's height per point of font size (Excel: Calibri 11 → 15)
ROW_PADDING = 0.0  # points added to the lines' height


def text_width(text: str) -> float:
    """The text's width in CJK characters (a CJK character or full-width mark 1, anything else 0.55)."""
    if text.isascii():
        return NARROW_WIDTH * len(text)
    wide = len(_WIDE.findall(text))
    return wide + NARROW_WIDTH * (len(text) - wide)


def chars_per_line(width: float, font_size: float = 11.0) -> float:
    """CJK characters of ``font_size`` that fit across a cell ``width`` Excel character units wide.

    A width unit is a digit of the default font (Calibri 11: 7 px at 96 dpi)
    and includes 5 px of cell padding (ECMA-376 §18.3.1.13); a CJK glyph is
    as wide as its font size in points.
    """
    usable_pt = max(width * 7 - 5, 7) * 0.75
    return max(usable_pt / font_size, 1.0)


def text_lines(text: Any, width: float, font_size: float = 11.0) -> int:
    """Lines the text takes wrapped in a cell ``width`` character units wide (``\\n`` starts a line)."""
    if text is None or text == "":
        return 1
    per_line = chars_per_line(width, font_size)
    return sum(max(1, math.ceil(text_width(part) / per_line - 1e-9)) for part in str(text).split("\n"))


def row_height(cells: Iterable[Sequence[Any]], font_size: float = 11.0) -> float:
    """The height in points that shows every cell of a row whole, wrapped.

    ``cells``: (text, width) or (text, width, font size) per cell, ``width`` in
    Excel character units — for a merged cell, the sum of its columns' widths.
    """
    height = DEFAULT_ROW_HEIGHT
    for cell in cells:
        text, width = cell[0], cell[1]
        size = cell[2] if len(cell) > 2 else font_size
        lines = text_lines(text, width, size)
        height = max(height, round(lines * size * LINE_FACTOR + ROW_PADDING, 1))
    return height


@functools.lru_cache(maxsize=4096)
def _wrapped_height(value: str, width: float, size: float) -> float:
    """``row_height`` of one cell; a form's labels repeat for every unit of a batch: worked out once."""
    return row_height(((value, width, size),))


# ------------------------------------------------------------------------ data validation


@dataclass(frozen=True)
class Validation:
    """One ``<dataValidation>``: the rule for the cells of ``sqref`` (``B3:B20``, several separated by spaces)."""

    sqref: str
    type: str  # list | decimal | whole | date | textLength | time | custom
    formula1: str
    formula2: str | None = None
    operator: str | None = None  # None: between (the schema default)
    allow_blank: bool = True
    prompt_title: str = ""
    prompt: str = ""
    error_title: str = ""
    error: str = ""
    error_style: str = "stop"  # stop | warning | information

    def xml(self) -> str:
        a = f' type="{self.type}"'
        if self.error_style != "stop":
            a += f' errorStyle="{self.error_style}"'
        if self.operator and self.operator != "between":
            a += f' operator="{self.operator}"'
        if self.allow_blank:
            a += ' allowBlank="1"'
        a += ' showInputMessage="1" showErrorMessage="1"'
        for name, value in (("errorTitle", self.error_title), ("error", self.error),
                            ("promptTitle", self.prompt_title), ("prompt", self.prompt)):
            if value:
                a += f' {name}="{attr(clean(value))}"'
        a += f' sqref="{self.sqref}"'
        children = [("formula1", f"<formula1>{text(self.formula1)}</formula1>")]
        if self.formula2 is not None:
            children.append(("formula2", f"<formula2>{text(self.formula2)}</formula2>"))
        return element("dataValidation", children, a)


def list_formula(choices: Sequence[str]) -> str:
    """The literal drop-down list ``"a,b,c"``; a ValueError when Excel cannot hold it (then use a range)."""
    for choice in choices:
        if "," in choice or '"' in choice:
            raise ValueError(f"a listed choice cannot hold a comma or a quote: {choice!r}")
    formula = '"' + ",".join(choices) + '"'
    if len(formula) - 2 > MAX_LIST_CHARS:
        raise ValueError(f"the list is {len(formula) - 2} characters, Excel takes {MAX_LIST_CHARS}: use a cell range")
    return formula


def _bound(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return _number(serial(value))
    if isinstance(value, str):
        return value  # a formula or a cell reference
    return _number(value)


# the whole range of each type, for a rule that only checks the type
_ANY = {"decimal": ("-9.99999999999999E+307", "9.99999999999999E+307"), "whole": ("-2147483648", "2147483647"),
        "date": ("1", "2958465"), "textLength": ("0", str(MAX_CELL_CHARS))}


def validation(sqref: str, kind: str, *, choices: Sequence[str] | None = None, source: str | None = None,
               minimum: Any = None, maximum: Any = None, prompt: str = "", prompt_title: str = "",
               error: str = "", error_title: str = "", allow_blank: bool = True) -> Validation:
    """The rule for cells ``sqref``: ``kind`` list (``choices`` typed in, or ``source``, a range such as
    ``'选项'!$A$1:$A$40``), decimal, whole, date or textLength, between ``minimum`` and ``maximum`` when given
    (numbers, dates or formulas); the error alert is always on."""
    if kind == "list":
        if (choices is None) == (source is None):
            raise ValueError("a list validation takes choices or a source range")
        formula1 = list_formula(choices) if choices is not None else source.lstrip("=")
        return Validation(sqref, "list", formula1, allow_blank=allow_blank, prompt_title=prompt_title,
                          prompt=prompt, error_title=error_title, error=error)
    if kind not in _ANY:
        raise ValueError(f"unknown validation kind {kind!r}")
    low, high = _ANY[kind]
    if minimum is not None and maximum is not None:
        operator, f1, f2 = "between", _bound(minimum), _bound(maximum)
    elif minimum is not None:
        operator, f1, f2 = "greaterThanOrEqual", _bound(minimum), None
    elif maximum is not None:
        operator, f1, f2 = "lessThanOrEqual", _bound(maximum), None
    else:
        operator, f1, f2 = "between", low, high
    return Validation(sqref, kind, f1, f2, operator, allow_blank, prompt_title, prompt, error_title, error)


# ------------------------------------------------------------------------ sheets


class Sheet:
    """One worksheet being laid out: cells by row and column, merges, row heights, view and print setup."""

    def __init__(self, title: str, styles: Styles) -> None:
        self.title = title
        self.styles = styles
        self.rows: dict[int, dict[int, tuple[Any, int]]] = {}  # row → column → (value, xf)
        self.heights: dict[int, float] = {}  # explicit row heights (points): the row's minimum
        self.widths: tuple[float, ...] = ()  # column widths in cm
        self.char_widths: tuple[float, ...] = ()  # or in Excel's character units
        self.merges: list[tuple[int, int, int, int]] = []
        self.landscape = False
        self.fit_width = False  # printed: all columns on one page width
        self.print_titles: int | tuple[int, int] | None = None  # the row (or first, last rows) repeated on every page
        self.print_area: tuple[int, int] | None = None  # (last column, last row); implies fit_width
        self.freeze: tuple[int, int] | None = None  # the first (row, column) that scrolls
        self.autofilter: tuple[int, int, int, int] | None = None  # (row1, col1, row2, col2)
        self.paper = A4
        self.margins = MARGINS
        self.footer: str | None = PAGE_FOOTER  # header/footer codes (&L &C &R, &P page, &N pages)
        self.grow_rows = True  # rows with wrapped text are made tall enough to show it (``row_height``)
        self.protected = False  # sheet protection, no password: only cells with an unlocked format can be edited
        self.allow: tuple[str, ...] = ("formatColumns", "formatRows")  # what a protected sheet still lets users do
        self.hidden = False
        self.validations: list[Validation] = []
        self.links: list[tuple[int, int, str, str | None]] = []  # (row, col, location, tooltip)

    def put(self, row: int, col: int, value: Any, xf: int) -> None:
        self.rows.setdefault(row, {})[col] = (value, xf)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        self.merges.append((r1, c1, r2, c2))

    def validate(self, sqref: str, kind: str, **options: Any) -> Validation:
        """Add a data validation (see ``validation``) for the cells ``sqref`` and return it."""
        rule = validation(sqref, kind, **options)
        self.validations.append(rule)
        return rule

    def link(self, row: int, col: int, location: str, tooltip: str | None = None) -> None:
        """Make the cell a hyperlink to a place in the workbook (``'附件1 基础数据表'!A5``, or a defined name)."""
        self.links.append((row, col, location.lstrip("#"), tooltip))

    def column_widths(self) -> tuple[float, ...]:
        """Each column's width in Excel character units (``char_widths``, or ``widths`` converted from cm)."""
        return self.char_widths or tuple(round(w * CM_TO_CHARS, 1) for w in self.widths)

    def fitted_heights(self, metrics: list[tuple[bool, float]] | None = None) -> dict[int, float]:
        """Every row's height as written: the explicit one, raised where wrapped text needs more (``row_height``).

        A merged cell counts with the width of all its columns; one merged down
        over several rows is left to the rows' own heights.
        """
        heights = dict(self.heights)
        if not self.grow_rows:
            return heights
        metrics = metrics or self.styles.metrics()
        widths = self.column_widths()
        n_widths = len(widths)
        spans: dict[tuple[int, int], tuple[int, float]] = {}  # top-left cell → (last row, width)
        for r1, c1, r2, c2 in self.merges:
            spans[(r1, c1)] = (r2, sum(widths[j - 1] if j <= n_widths else DEFAULT_COL_WIDTH
                                       for j in range(c1, c2 + 1)))
        wrapping = {xf: size for xf, (wrap, size) in enumerate(metrics) if wrap}  # the formats that wrap text
        if not wrapping:
            return heights
        caps: dict[tuple[float, float], float] = {}  # (width, size) → characters a line holds
        for r, cols in self.rows.items():
            current = heights.get(r, DEFAULT_ROW_HEIGHT) + 1.5  # (within a line's leading: left as it is)
            need = 0.0
            for c, (value, xf) in cols.items():
                size = wrapping.get(xf)
                if size is None or value is None or not isinstance(value, str):
                    continue
                span = spans.get((r, c)) if spans else None
                if span is None:
                    width = widths[c - 1] if c <= n_widths else DEFAULT_COL_WIDTH
                elif span[0] > r:
                    continue
                else:
                    width = span[1]
                cap = caps.get((width, size))
                if cap is None:
                    cap = caps[(width, size)] = chars_per_line(width, size)
                if len(value) <= cap and "\n" not in value:  # one line, whatever it holds
                    one = size * LINE_FACTOR + ROW_PADDING
                    if one > current and one > need:
                        need = one
                    continue
                h = _wrapped_height(value, width, size)
                if h > need:
                    need = h
            if need > current:
                heights[r] = need
        return heights

    def xml(self, strings: dict[str, int], metrics: list[tuple[bool, float]] | None = None) -> str:
        fit = self.fit_width or self.print_area is not None
        parts: list[tuple[str, str]] = []
        if fit:
            parts.append(("sheetPr", element("sheetPr", [("pageSetUpPr", '<pageSetUpPr fitToPage="1"/>')])))
        last_row = max(self.rows, default=1)
        last_col = max((max(cols) for cols in self.rows.values() if cols), default=1)
        parts.append(("dimension", f'<dimension ref="A1:{ref(last_row, last_col)}"/>'))
        view: list[tuple[str, str]] = []
        if self.freeze:
            row, col = self.freeze
            split = (f' xSplit="{col - 1}"' if col > 1 else "") + (f' ySplit="{row - 1}"' if row > 1 else "")
            pane = "bottomRight" if row > 1 and col > 1 else ("bottomLeft" if row > 1 else "topRight")
            view.append(("pane", f'<pane{split} topLeftCell="{ref(row, col)}" activePane="{pane}" state="frozen"/>'))
            view.append(("selection", f'<selection pane="{pane}"/>'))
        parts.append(("sheetViews", element("sheetViews", [("sheetView", element("sheetView", view,
                                                                                  ' workbookViewId="0"'))])))
        parts.append(("sheetFormatPr", f'<sheetFormatPr defaultRowHeight="{DEFAULT_ROW_HEIGHT:g}"/>'))
        widths = self.column_widths()
        if widths:
            parts.append(("cols", _many("cols", "col", [f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                                                        for j, w in enumerate(widths, start=1)])))
        parts.append(("sheetData", self._sheet_data(strings, self.fitted_heights(metrics))))
        if self.protected:
            allowed = "".join(f' {name}="0"' for name in self.allow)
            parts.append(("sheetProtection", f'<sheetProtection sheet="1" objects="1" scenarios="1"{allowed}/>'))
        if self.autofilter:
            parts.append(("autoFilter", f'<autoFilter ref="{ref(*self.autofilter[:2])}:{ref(*self.autofilter[2:])}"/>'))
        if self.merges:
            parts.append(("mergeCells", _many("mergeCells", "mergeCell", [
                f'<mergeCell ref="{ref(r1, c1)}:{ref(r2, c2)}"/>' for r1, c1, r2, c2 in self.merges],
                f' count="{len(self.merges)}"')))
        if self.validations:
            parts.append(("dataValidations", _many("dataValidations", "dataValidation", [
                v.xml() for v in self.validations], f' count="{len(self.validations)}"')))
        if self.links:
            parts.append(("hyperlinks", _many("hyperlinks", "hyperlink", [
                f'<hyperlink ref="{ref(row, col)}" location="{attr(location)}"'
                + (f' tooltip="{attr(tooltip)}"' if tooltip else "") + "/>"
                for row, col, location, tooltip in self.links])))
        if fit:
            parts.append(("printOptions", '<printOptions horizontalCentered="1"/>'))
        left, right, top, bottom, header, footer = self.margins
        parts.append(("pageMargins", f'<pageMargins left="{left:g}" right="{right:g}" top="{top:g}"'
                                     f' bottom="{bottom:g}" header="{header:g}" footer="{footer:g}"/>'))
        orientation = "landscape" if self.landscape else "portrait"
        fit_attrs = ' fitToWidth="1" fitToHeight="0"' if fit else ""
        parts.append(("pageSetup", f'<pageSetup paperSize="{self.paper}" orientation="{orientation}"{fit_attrs}/>'))
        if self.footer:
            parts.append(("headerFooter", element("headerFooter", [
                ("oddFooter", f"<oddFooter>{text(self.footer)}</oddFooter>")])))
        return _XML_HEAD + element("worksheet", parts, f' xmlns="{_SSML}" xmlns:r="{_REL}"')

    def _sheet_data(self, strings: dict[str, int], heights: dict[int, float]) -> str:
        out = ["<sheetData>"]
        for r in sorted(set(self.rows) | set(heights)):
            height = heights.get(r)
            out.append(f'<row r="{r}" ht="{height:g}" customHeight="1">' if height is not None else f'<row r="{r}">')
            cols = self.rows.get(r, {})
            for c in sorted(cols):
                value, xf = cols[c]
                head = f'<c r="{column(c)}{r}" s="{xf}"' if xf else f'<c r="{column(c)}{r}"'
                if value is None:
                    out.append(head + "/>")
                elif type(value) is str:
                    index = strings.setdefault(value, len(strings))
                    out.append(f'{head} t="s"><v>{index}</v></c>')
                elif isinstance(value, bool):
                    out.append(f'{head} t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, str):  # a str subclass (Markup…): its text
                    index = strings.setdefault(str(value), len(strings))
                    out.append(f'{head} t="s"><v>{index}</v></c>')
                elif isinstance(value, dt.date):  # (a datetime too): its serial number; give it a date format
                    out.append(f'{head}><v>{_number(serial(value))}</v></c>')
                else:
                    out.append(f'{head}><v>{_number(value)}</v></c>')
            out.append("</row>")
        out.append("</sheetData>")
        return "".join(out)

    def defined_names(self, index: int) -> list[str]:
        quoted = text("'" + self.title.replace("'", "''") + "'")
        out = []
        if self.autofilter:
            r1, c1, r2, c2 = self.autofilter
            out.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
                       f"{quoted}!${column(c1)}${r1}:${column(c2)}${r2}</definedName>")
        if self.print_area:
            col, row = self.print_area
            out.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
                       f"{quoted}!$A$1:${column(col)}${row}</definedName>")
        if self.print_titles:
            first, last = (self.print_titles, self.print_titles) if isinstance(self.print_titles, int) \
                else self.print_titles
            out.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
                       f"{quoted}!${first}:${last}</definedName>")
        return out


_EPOCH = dt.datetime(1899, 12, 30)


def serial(value: dt.date | dt.datetime) -> float | int:
    """Excel's serial number of a date (days since 1899-12-30, the 1900 date system; from 1900-03-01 on)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (value - _EPOCH.date()).days


def _number(value: Any) -> str:
    """A number as SpreadsheetML stores it (a Decimal as its exact digits)."""
    return repr(value) if isinstance(value, (int, float)) else format(value, "f")


def clean(s: str) -> str:
    """Text as a cell can hold it: no characters XML forbids, within Excel's length limit."""
    if not s.isascii() or not s.isprintable():  # (printable ASCII needs no look: the usual label or figure)
        if _ILLEGAL_XML.search(s):
            s = _ILLEGAL_XML.sub("", s)
    return s[:MAX_CELL_CHARS] if len(s) > MAX_CELL_CHARS else s


def text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(s: str) -> str:
    return text(s).replace('"', "&quot;").replace("\n", "&#10;")


def column(col: int) -> str:
    """Column letters: 1 → A, 27 → AA."""
    if 0 < col < len(_COLUMNS):
        return _COLUMNS[col]
    return _letters(col)


def column_index(letters: str) -> int:
    """Column number of upper-case letters: A → 1, AA → 27 (the inverse of ``column``)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_COLUMNS = [""] + [_letters(c) for c in range(1, 703)]  # A … ZZ


def ref(row: int, col: int) -> str:
    return f"{column(col)}{row}"


# ------------------------------------------------------------------------ the package

# A minimal Office theme (DrawingML ``CT_OfficeStyleSheet``): the twelve theme
# colours, major/minor fonts (Chinese: 宋体) and the three-entry format lists
# the schema requires. Excel and the validators expect every workbook to have one.
_S = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
THEME_XML = (
    _XML_HEAD + f'<a:theme xmlns:a="{_DRAWINGML}" name="Office Theme"><a:themeElements>'
    '<a:clrScheme name="Office">'
    '<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1>'
    '<a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>'
    + "".join(f'<a:{name}><a:srgbClr val="{rgb}"/></a:{name}>' for name, rgb in (
        ("dk2", "44546A"), ("lt2", "E7E6E6"), ("accent1", "4472C4"), ("accent2", "ED7D31"), ("accent3", "A5A5A5"),
        ("accent4", "FFC000"), ("accent5", "5B9BD5"), ("accent6", "70AD47"), ("hlink", "0563C1"),
        ("folHlink", "954F72")))
    + "</a:clrScheme>"
    '<a:fontScheme name="Office">'
    '<a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/>'
    '<a:font script="Hans" typeface="宋体"/></a:majorFont>'
    '<a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/>'
    '<a:font script="Hans" typeface="宋体"/></a:minorFont>'
    "</a:fontScheme>"
    '<a:fmtScheme name="Office">'
    f"<a:fillStyleLst>{_S * 3}</a:fillStyleLst>"
    "<a:lnStyleLst>" + "".join(f'<a:ln w="{w}">{_S}</a:ln>' for w in (6350, 12700, 19050)) + "</a:lnStyleLst>"
    "<a:effectStyleLst>" + "<a:effectStyle><a:effectLst/></a:effectStyle>" * 3 + "</a:effectStyleLst>"
    f"<a:bgFillStyleLst>{_S * 3}</a:bgFillStyleLst>"
    "</a:fmtScheme></a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>")
_THEME = zipout.Member.deflated("xl/theme/theme1.xml", THEME_XML.encode("utf-8"))


def package(sheets: list[Sheet], styles: Styles) -> bytes:
    """The .xlsx bytes: the sheets in order, their styles, shared strings, theme and defined names."""
    strings: dict[str, int] = {}
    metrics = styles.metrics()
    sheet_xml = [s.xml(strings, metrics) for s in sheets]  # fills ``strings`` in the order cells are written
    n = len(sheets)
    visible = [k for k, s in enumerate(sheets) if not s.hidden]
    if not visible:
        raise ValueError("a workbook needs a visible sheet")
    parts: dict[str, str | zipout.Member] = {}
    parts["[Content_Types].xml"] = (
        _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT_MAIN}.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_CT_MAIN}.worksheet+xml"/>'
                  for k in range(1, n + 1))
        + f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_CT_THEME}"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT_MAIN}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT_MAIN}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        "</Types>")
    parts["_rels/.rels"] = (
        _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>")
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts["docProps/core.xml"] = (
        _XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>generator</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')
    names = [name for k, s in enumerate(sheets) for name in s.defined_names(k)]
    book: list[tuple[str, str]] = [
        ("workbookPr", "<workbookPr/>"),
        ("bookViews", _many("bookViews", "workbookView", [
            f'<workbookView firstSheet="{visible[0]}" activeTab="{visible[0]}"/>' if visible[0]
            else '<workbookView activeTab="0"/>'])),
        ("sheets", _many("sheets", "sheet", [
            f'<sheet name="{attr(s.title)}" sheetId="{k}"' + (' state="hidden"' if s.hidden else "")
            + f' r:id="rId{k}"/>' for k, s in enumerate(sheets, 1)])),
        ("calcPr", '<calcPr calcId="124519" fullCalcOnLoad="1"/>'),
    ]
    if names:
        book.append(("definedNames", _many("definedNames", "definedName", names)))
    parts["xl/workbook.xml"] = _XML_HEAD + element("workbook", book, f' xmlns="{_SSML}" xmlns:r="{_REL}"')
    parts["xl/_rels/workbook.xml.rels"] = (
        _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
        + "".join(f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                  for k in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId{n + 3}" Type="{_REL}/theme" Target="theme/theme1.xml"/>'
        "</Relationships>")
    parts["xl/theme/theme1.xml"] = _THEME
    parts["xl/styles.xml"] = styles.xml()
    for k, xml in enumerate(sheet_xml, start=1):
        parts[f"xl/worksheets/sheet{k}.xml"] = xml
    parts["xl/sharedStrings.xml"] = (
        _XML_HEAD + f'<sst xmlns="{_SSML}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{text(s)}</t></si>' for s in strings)
        + "</sst>")
    return zipout.package({name: data if isinstance(data, zipout.Member) else data.encode("utf-8")
                           for name, data in parts.items()})
