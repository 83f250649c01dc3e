"""Children in schema order: the one helper by which we add properties to WordprocessingML elements.

ECMA-376 declares most property elements (``w:pPr``, ``w:rPr``, ``w:tblPr``,
``w:tcPr``, ``w:sectPr``) as sequences: their children must come in a fixed
order, or Word "repairs" the file. ``put(parent, tag, order)`` inserts (or
returns the existing) child at its place in that order.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{%s}" % W_NS


def _seq(names: str) -> tuple[str, ...]:
    return tuple(W + n for n in names.split())


# CT_PPr (ECMA-376 Part 1, 17.3.1.26): CT_PPrBase, then rPr, sectPr, pPrChange
PPR = _seq("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
           "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
           "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
           "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange")
# CT_RPr (17.3.2.28)
RPR = _seq("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
           "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
           "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath rPrChange")
# CT_TblPr (17.4.60)
TBLPR = _seq("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
             "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription "
             "tblPrChange")
# CT_TcPr (17.4.70)
TCPR = _seq("cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign "
            "hideMark headers cellIns cellDel cellMerge tcPrChange")
# CT_SectPr (17.6.17)
SECTPR = _seq("headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
              "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid "
              "printerSettings sectPrChange")
# CT_TrPr is a choice (any order): cantSplit and tblHeader may go anywhere in it
TRPR = _seq("cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc "
            "hidden ins del trPrChange")
SEQUENCES = {name[len(W):]: order for name, order in (
    (W + "pPr", PPR), (W + "rPr", RPR), (W + "tblPr", TBLPR), (W + "tcPr", TCPR), (W + "sectPr", SECTPR),
    (W + "trPr", TRPR), (W + "docDefaults", _seq("rPrDefault pPrDefault")))}
# the property element first in its parent
FIRST = {W + "p": W + "pPr", W + "r": W + "rPr", W + "tbl": W + "tblPr", W + "tc": W + "tcPr", W + "tr": W + "trPr"}


def put(parent: etree._Element, tag: str, order: tuple[str, ...] | None = None,
        make: Callable[[str], etree._Element] = etree.Element) -> etree._Element:
    """The child ``tag`` of ``parent``, created at its place in ``order`` if missing (by default the
    sequence of ``parent``'s own type: ``w:pPr``, ``w:rPr``, ``w:tblPr``…). ``make`` builds the element
    (python-docx passes its own ``OxmlElement``)."""
    order = order or SEQUENCES[etree.QName(parent).localname]
    existing = parent.find(tag)
    if existing is not None:
        return existing
    child = make(tag)
    rank = order.index(tag)
    for i, sibling in enumerate(parent):
        if sibling.tag in order and order.index(sibling.tag) > rank:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def properties(element: etree._Element) -> etree._Element:
    """The property element (``w:pPr`` of a paragraph, ``w:trPr`` of a row…), created first if missing."""
    tag = FIRST[element.tag]
    found = element.find(tag)
    if found is None:
        found = etree.Element(tag)
        element.insert(0, found)
    return found
