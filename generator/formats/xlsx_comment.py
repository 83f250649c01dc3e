"""What the annotated workbook's comment on a cell says of one finding (both ways of making the annotated copy,
``xlsx_mark`` and ``xlsx_annotate``, write the same), and the findings both take, in one shape.

A comment holds a finding's message up to ``COMMENT_CHARS`` characters; a longer one (a total against a
thousand projects names every addend) is cut there and points to the 审核结果 sheet, which holds it whole.
Otherwise every cell named would carry the whole list, and the file would grow with the square of the
workbook's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ERROR, HINT
from ..messages import msg

COMMENT_CHARS = 400  # a finding's message in a cell's comment, at most (the 审核结果 sheet has it whole)
RANK = {ERROR: 0, HINT: 1}  # errors listed before hints


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR or HINT
    message: str
    cells: tuple[tuple[str, str], ...] = ()


def record(item: Any) -> Finding:
    """A finding from an object with attributes, a mapping or a (severity, message, cells) tuple."""
    if isinstance(item, Finding):
        finding = item
    elif isinstance(item, Mapping):
        finding = Finding(item["severity"], item["message"], tuple(item.get("cells") or ()))
    elif isinstance(item, tuple) and not hasattr(item, "severity"):
        severity, message, *rest = item
        finding = Finding(severity, message, tuple(rest[0]) if rest else ())
    else:
        finding = Finding(item.severity, item.message, tuple(getattr(item, "cells", ()) or ()))
    if finding.severity not in RANK:
        raise ValueError(f"severity {finding.severity!r}: {ERROR} or {HINT}")
    cells = tuple((str(sheet), str(coord).replace("$", "").strip().upper()) for sheet, coord in finding.cells)
    return Finding(finding.severity, str(finding.message), cells)


def comment_text(severity: str, message: str) -> str:
    """One finding's line in a cell's comment: ``【错误】…``, a long message cut at ``COMMENT_CHARS``."""
    if len(message) > COMMENT_CHARS:
        message = message[:COMMENT_CHARS] + msg("annotate_comment_cut")
    return f"【{severity}】{message}"
