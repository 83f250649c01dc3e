"""What the annotated workbook's comment on a cell says of one finding (both ways of making the annotated copy,
``xlsx_mark`` and ``xlsx_annotate``, write the same).

A comment holds a finding's message up to ``COMMENT_CHARS`` characters; a longer one (a total against a
thousand projects names every addend) is cut there and points to the 审核结果 sheet, which holds it whole.
Otherwise every cell named would carry the whole list, and the file would grow with the square of the
workbook's size.
"""

from __future__ import annotations

from ..messages import msg

COMMENT_CHARS = 400  # a finding's message in a cell's comment, at most (the 审核结果 sheet has it whole)


def comment_text(severity: str, message: str) -> str:
    """One finding's line in a cell's comment: ``【错误】…``, a long message cut at ``COMMENT_CHARS``."""
    if len(message) > COMMENT_CHARS:
        message = message[:COMMENT_CHARS] + msg("annotate_comment_cut")
    return f"【{severity}】{message}"
