"""Stage 5 — render: fill a docxtpl Word template with the context, safely.

* Jinja runs sandboxed (templates travel between offices), with autoescape
  (so ``&`` and ``<`` in data never delete text) and StrictUndefined (a
  missing field is an error naming the variable and the template paragraph).
* ``{% vmerge EXPR %}`` in a table cell merges it vertically: the cell starts
  a merge where EXPR is true and continues the one above otherwise. Used for
  一级/二级 indicator cells that span their groups (docxtpl's own ``{% vm %}``
  only knows the innermost loop).
* The rendered package is checked before it is returned: every XML part
  parses strictly, every table cell has a paragraph, no tag is left over.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from lxml import etree

from .errors import UserError
from .formatting import FILTERS
from .messages import msg

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_VMERGE_CELL = re.compile(r"<w:tc[ >](?:(?!<w:tc[ >]).)*?\{%\s*vmerge\s.*?</w:tc>", re.DOTALL)
_VMERGE_TAG = re.compile(r"\{%\s*vmerge\s+(.*?)\s*%\}", re.DOTALL)
_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}")


def make_env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, trim_blocks=False)
    env.filters.update(FILTERS)
    return env


class ReportTemplate(DocxTemplate):
    """docxtpl with the ``{% vmerge EXPR %}`` cell tag."""

    def patch_xml(self, src_xml: str) -> str:
        src_xml = super().patch_xml(src_xml)
        return _VMERGE_CELL.sub(_vmerge_cell, src_xml)


def _vmerge_cell(m: re.Match) -> str:
    cell = m.group(0)
    tag = _VMERGE_TAG.search(cell)
    expr = tag.group(1)
    cell = _VMERGE_TAG.sub("", cell, count=1)
    merge = f'<w:vMerge w:val="{{% if {expr} %}}restart{{% else %}}continue{{% endif %}}"/>'
    if "<w:tcPr>" in cell or "<w:tcPr " in cell:
        # schema order: tcW, gridSpan, hMerge, vMerge, …
        anchor = re.search(r"<w:tcPr[^>]*>(\s*<w:tcW[^>]*/>)?(\s*<w:gridSpan[^>]*/>)?", cell)
        cell = cell[: anchor.end()] + merge + cell[anchor.end():]
    else:
        cell = re.sub(r"(<w:tc[ >])", r"\1<w:tcPr>" + merge + "</w:tcPr>", cell, count=1)
    # the continuing cells keep their paragraph but show no text
    cell = re.sub(r"(<w:t(?: [^>]*)?>)(.*?)(</w:t>)",
                  lambda t: t.group(1) + f"{{% if {expr} %}}" + t.group(2) + "{% endif %}" + t.group(3),
                  cell, flags=re.DOTALL)
    return cell


def template_paragraphs(template_path: Path) -> list[str]:
    """The visible text of each paragraph (body, tables included) of a template."""
    with zipfile.ZipFile(template_path) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    out = []
    for p in root.iter(f"{{{W_NS}}}p"):
        out.append("".join(t.text or "" for t in p.iter(f"{{{W_NS}}}t")))
    return out


def locate(template_path: Path, needle: str | None) -> str:
    """Describe where ``needle`` (a variable name or tag text) appears in the template."""
    if not needle:
        return msg("where_unknown")
    try:
        paragraphs = template_paragraphs(template_path)
    except Exception:  # the template itself is unreadable; reported elsewhere
        return msg("where_unknown")
    for i, text in enumerate(paragraphs, start=1):
        if needle in text:
            short = text if len(text) <= 60 else text[:57] + "…"
            return msg("where_paragraph", index=i, text=short)
    return msg("where_unknown")


def _undefined_name(exc: UndefinedError) -> str | None:
    text = str(exc)
    m = re.search(r"has no attribute '([^']+)'", text) or re.search(r"'([^']+)' is undefined", text) \
        or re.search(r"no element '?([^']+)'?", text)
    return m.group(1) if m else None


def render_docx(template_path: Path, context: dict[str, Any], env: SandboxedEnvironment | None = None) -> bytes:
    """Render ``template_path`` with ``context`` and return the checked .docx bytes."""
    template_path = Path(template_path)
    if not template_path.is_file():
        raise UserError(msg("template_missing", path=template_path))
    try:
        tpl = ReportTemplate(str(template_path))
        tpl.init_docx()
    except Exception:
        raise UserError(msg("template_not_docx", path=template_path)) from None
    env = env or make_env()
    try:
        tpl.render(context, jinja_env=env, autoescape=True)
    except SecurityError as exc:
        raise UserError(msg("template_security", path=template_path, detail=str(exc),
                            where=locate(template_path, _security_needle(exc)))) from None
    except UndefinedError as exc:
        name = _undefined_name(exc)
        raise UserError(msg("template_undefined", path=template_path, name=name or str(exc),
                            where=locate(template_path, name))) from None
    except TemplateSyntaxError as exc:
        context_lines = [ln.strip() for ln in getattr(exc, "docx_context", []) if ln.strip()]
        where = "、".join(f"“{ln[:40]}”" for ln in context_lines[:3]) or msg("where_unknown")
        raise UserError(msg("template_syntax", path=template_path, detail=exc.message or str(exc), where=where)) from None
    except TemplateError as exc:
        raise UserError(msg("template_runtime", path=template_path, detail=str(exc), where=msg("where_unknown"))) from None
    except (etree.XMLSyntaxError, IndexError, KeyError, ValueError, TypeError) as exc:
        raise UserError(msg("template_bad_output", path=template_path, detail=type(exc).__name__ + ": " + str(exc)[:120])) from None
    buf = io.BytesIO()
    tpl.save(buf)
    data = buf.getvalue()
    check_package(data, template_path)
    return data


def _security_needle(exc: SecurityError) -> str | None:
    m = re.search(r"attribute '([^']+)'", str(exc))
    return m.group(1) if m else None


def check_package(data: bytes, template_path: Path) -> None:
    """Strictly parse every XML part; every ``w:tc`` holds a ``w:p``; no tag left over."""
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue
            try:
                root = etree.fromstring(zf.read(name), parser)
            except etree.XMLSyntaxError as exc:
                raise UserError(msg("template_bad_output", path=template_path, detail=f"{name}: {exc}")) from None
            if not name.startswith("word/"):
                continue
            for tc in root.iter(f"{{{W_NS}}}tc"):
                if tc.find(f"{{{W_NS}}}p") is None:
                    raise UserError(msg("template_bad_output", path=template_path, detail="表格单元格中没有段落"))
            for p in root.iter(f"{{{W_NS}}}p"):
                text = "".join(t.text or "" for t in p.iter(f"{{{W_NS}}}t"))
                found = _LEFTOVER.search(text)
                if found:
                    raise UserError(msg("template_leftover_tag", path=template_path, tag=found.group(0),
                                        where=msg("where_paragraph", index="?", text=text[:60])))
