"""Pagination rules a reviewer expects, applied to a template's document before it is rendered.

Whatever template a township brings, the report it gives does not leave a
heading alone at the foot of a page, a table's title or note on a page of its
own, or a table row split across two pages:

* every table row may not split (``w:cantSplit``; a row taller than a page
  still breaks, as Word and LibreOffice do);
* the short lines right before a table (an attachment's marker, title and unit
  line) keep with the table;
* a table followed by a note (注：, 说明：, 备注：) or by another table joined to it
  keeps its last row with what follows;
* a heading keeps with the next paragraph: every paragraph style with an
  outline level, and a paragraph of plain text (no tag) that reads as a
  numbered label (一、 （一） 1. （1）, short, without a full stop).

Being applied to the template (once per template), rows and paragraphs a loop
repeats carry the rules too, and rendering needs no second pass.
"""

from __future__ import annotations

import re

from lxml import etree

from .docx_package import PARSER, W, paragraph_text
from .ooxml import PPR, TRPR, properties, put

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_HEADING = re.compile(r"^\s*([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|附件\s*\d*)")
_NOTE = re.compile(r"^\s*(注|说明|备注)\s*[:：]")
SHORT = 40  # characters: a line that is a title, not a paragraph of text


def keep_styles(xml: bytes) -> bytes:
    """The styles part with keep-with-next on every paragraph style that has an outline level (a heading)."""
    root = etree.fromstring(xml, PARSER)
    for style in root.iter(W + "style"):
        ppr = style.find(W + "pPr")
        if style.get(W + "type") == "paragraph" and ppr is not None and ppr.find(W + "outlineLvl") is not None:
            put(ppr, W + "keepNext", PPR)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def keep_rules(xml: bytes) -> bytes:
    """The document part with the rules above applied."""
    root = etree.fromstring(xml, PARSER)
    body = root.find(W + "body")
    if body is None:
        return xml
    for tr in root.iter(W + "tr"):
        put(properties(tr), W + "cantSplit", TRPR)
    for p in root.iter(W + "p"):
        if _is_heading(p):
            _keep_next(p)
    children = list(body)
    for i, child in enumerate(children):
        if child.tag != W + "tbl":
            continue
        for previous in _preceding_lines(children, i):
            _keep_next(previous)
        following = children[i + 1] if i + 1 < len(children) else None
        if following is not None and (following.tag == W + "tbl" or _joins(following, children, i)):
            for tr in child.findall(W + "tr")[-1:]:  # the last row keeps with the note or the next table
                for p in tr.iter(W + "p"):
                    _keep_next(p)
            if following.tag == W + "p" and not _note_after(following):
                _keep_next(following)  # the joining line keeps with the next table
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _text(p: etree._Element) -> str:
    return _TAG.sub("", paragraph_text(p)).strip()


def _is_heading(p: etree._Element) -> bool:
    ppr = p.find(W + "pPr")
    if ppr is not None and ppr.find(W + "outlineLvl") is not None:
        return True
    raw = paragraph_text(p)
    if "{" in raw:  # what a tag prints is not known here: a numbered item of a list may be a long paragraph
        return False
    text = raw.strip()
    return bool(text) and len(text) <= SHORT and "。" not in text and _HEADING.match(text) is not None \
        and p.getparent() is not None and p.getparent().tag == W + "body"


def _preceding_lines(children: list[etree._Element], i: int) -> list[etree._Element]:
    """The short paragraphs right before a table (up to three; a tag-only or empty line is passed over)."""
    out = []
    k = i - 1
    while k >= 0 and len(out) < 3 and children[k].tag == W + "p":
        p = children[k]
        if p.find(f"{W}pPr/{W}sectPr") is not None:
            break
        raw = paragraph_text(p)
        text = _text(p)
        if raw.strip().startswith("{%p") or not text:
            k -= 1
            continue
        if len(text) > SHORT:
            break
        out.append(p)
        k -= 1
    return out


def _note_after(following: etree._Element) -> bool:
    return following.tag == W + "p" and _NOTE.match(_text(following)) is not None


def _joins(following: etree._Element, children: list[etree._Element], i: int) -> bool:
    """A note under the table, or an empty line between it and the next table."""
    if _note_after(following):
        return True
    if following.tag == W + "p" and not _text(following) and following.find(f"{W}pPr/{W}sectPr") is None:
        return i + 2 < len(children) and children[i + 2].tag == W + "tbl"
    return False


def _keep_next(p: etree._Element) -> None:
    put(properties(p), W + "keepNext", PPR)
