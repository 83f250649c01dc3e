"""The Word template: loaded once, made safe, linted, and read for the names it uses.

``load_template(path)`` reads a template (once per content and process), keeps
only a report's own parts (``formats.docx_package.sanitize``: macros, OLE,
remote templates and links removed, each named in ``removed``), applies the
pagination rules (``formats.docx_layout``), reads every paragraph of every part
(``read_paragraphs``), and lints their tags (``template_lint.lint``: broken tags,
structures docxtpl would corrupt, include/import, unknown filters, sandbox
violations, and ``uses``: every value the template prints or iterates, by name).

``template_lint`` is the one linter: ``generate`` refuses a template with problems before
reading any workbook, and ``generate template-check`` prints the same list. Whether a
used name exists and is filled is the unit's business: ``validate.check_uses``
against the unit's context names the template paragraph and the cell to fill.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from lxml import etree

from .errors import UserError
from .formats import codecache, docx_layout
from .formats.docx_package import (W, Package, PackageError, Removed, main_part, paragraph_text, parse,
                                   read_package, sanitize)
from .formats.docx_render import Prepared
from .messages import msg
from .read import check_regular
from .template_lint import (DOCXTPL_STRUCTURAL, TAG, Paragraph, TemplateProblem, Use, jinja_zh, lint, normal_tag,
                            part_label)

MAX_TEMPLATE_MB = 50  # a template file on disk
_PARTS = re.compile(r"word/(document\d*|header\d*|footer\d*|footnotes|endnotes)\.xml")


@dataclass
class Template:
    path: Path
    digest: bytes
    package: Package
    paragraphs: dict[str, list[Paragraph]]
    problems: list[TemplateProblem]
    uses: list[Use]
    removed: list[Removed]
    _prepared: Prepared | None = None

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None:
            self._prepared = Prepared(self.package)
        return self._prepared

    def locate(self, needle: str | None) -> str:
        """Where ``needle`` (a name or tag text) first appears, for messages."""
        if needle:
            for paras in self.paragraphs.values():
                for p in paras:
                    if needle in p.text:
                        return p.where()
        return msg("where_unknown")

    def paragraph_at(self, part: str, line: int) -> Paragraph | None:
        """The template paragraph that line ``line`` of the rendered source of ``part`` comes from."""
        origins = self.prepared.origins.get(part)
        paras = self.paragraphs.get(part)
        if not origins or not paras or not 0 < line <= len(origins):
            return None
        origin = origins[line - 1]
        if origin[0] == "p":
            kept = [p for p in paras if not p.consumed]
            patched = 1 + max(o[1] for o in origins if o[0] == "p")
            return kept[origin[1]] if patched == len(kept) else None  # (a part docxtpl reshaped otherwise)
        if origin[0] == "tag":
            wanted = normal_tag(origin[1])
            found = [p for p in paras if p.consumed and any(normal_tag(t.group(0)) == wanted
                                                             for t in TAG.finditer(p.text))]
            if found:
                return found[min(origin[2], len(found) - 1)]
            for k in range(line - 2, -1, -1):  # a tag docxtpl wrote itself (a merge): the paragraph before it
                if origins[k][0] == "p":
                    return self.paragraph_at(part, k + 1)
        return None

    def where(self, place: tuple[str, int] | None, needle: str | None = None) -> str:
        """Where a render failed: the paragraph of ``place`` (part, line), checked against ``needle``."""
        para = self.paragraph_at(*place) if place else None
        if para is not None and (not needle or needle in para.text):
            return para.where()
        if needle:
            found = self.locate(needle)
            if found != msg("where_unknown") or para is None:
                return found
        return para.where() if para is not None else msg("where_unknown")

    def locate_text(self, text: str) -> str:
        """The paragraph whose fixed words (its text without tags) best match rendered ``text``."""
        best, score = None, 0
        for paras in self.paragraphs.values():
            for p in paras:
                pieces = [x.strip() for x in TAG.split(p.text)]
                matched = sum(len(x) for x in pieces if len(x) >= 2 and x in text)
                if matched > score:
                    best, score = p, matched
        return best.where() if best is not None else msg("where_unknown")

    @property
    def told(self) -> list[Removed]:
        return [r for r in self.removed if r.told]


_CACHE: dict[tuple[str, bytes], Template] = {}


def load_template(path: Path, env: Any) -> Template:
    """The template at ``path``, read and linted once per content (a UserError if it is not a usable .docx)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise UserError(msg("template_missing", path=path))
    check_regular(path)
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_MB * 1024 * 1024:
            raise UserError(msg("template_too_large", path=path, size=size // (1024 * 1024), limit=MAX_TEMPLATE_MB))
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(msg("template_unreadable", path=path, detail=exc.strerror or str(exc))) from None
    digest = hashlib.sha256(data).digest()
    key = (str(path), digest)
    found = _CACHE.get(key)
    if found is not None:
        return found
    stored = codecache.load_object(env, "template", digest)  # linted and prepared by an earlier run
    if isinstance(stored, Template) and stored.digest == digest:
        stored.path = path
        return _keep(key, stored)
    try:
        pkg = read_package(data)
        removed = sanitize(pkg)
        main = main_part(pkg.parts)
        pkg.parts[main] = docx_layout.keep_rules(pkg.parts[main])
        if "word/styles.xml" in pkg.parts:
            pkg.parts["word/styles.xml"] = docx_layout.keep_styles(pkg.parts["word/styles.xml"])
        paragraphs = {name: read_paragraphs(pkg.parts[name], name) for name in pkg.parts if _PARTS.fullmatch(name)}
    except PackageError as exc:
        raise UserError(package_message(exc, path)) from None
    problems, uses = lint(paragraphs, env)
    template = Template(path, digest, pkg, paragraphs, problems, uses, removed)
    if not problems:  # (prepared now, and kept with it: its sources are what Jinja parses whole)
        template.problems = problems + _whole_parts(template.prepared, env, paragraphs)
    codecache.store_object(env, "template", digest, template)
    return _keep(key, template)


def _keep(key: tuple[str, bytes], template: Template) -> Template:
    while len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = template
    return template


def package_message(exc: PackageError, path: Path) -> str:
    if exc.kind == "too_large":
        return msg("template_too_large_part", path=path, part=exc.part or "?", limit=MAX_TEMPLATE_MB)
    if exc.kind == "damaged":
        detail = msg("damaged_crc") if exc.detail == "CRC" else msg("damaged_deflate", kind=exc.detail)
        return msg("template_damaged", path=path, part=exc.part, detail=detail)
    if exc.kind == "entities":
        return msg("template_entities", path=path, part=exc.part)
    if exc.kind == "xml":
        return msg("template_bad_xml", path=path, part=exc.part, detail=exc.detail[:160])
    if exc.kind == "not_word":
        kind = ("kind_workbook" if "spreadsheetml" in exc.detail or "ms-excel" in exc.detail else
                "kind_presentation" if "presentationml" in exc.detail or "powerpoint" in exc.detail else
                "kind_other_package")
        return msg("template_not_word", path=path, kind=msg(kind, type=exc.detail or exc.part))
    return msg("template_not_docx", path=path)


def read_paragraphs(xml: bytes, part: str) -> list[Paragraph]:
    root = parse(xml, part)
    out = []
    holders: dict[etree._Element, bool] = {}  # a row or cell → whether docxtpl replaces it by its tag

    def replaced(el: etree._Element | None, kind: str) -> bool:
        if el is None:
            return False
        if el not in holders:
            holders[el] = any(m.group(1) == kind for q in el.iter(f"{W}p")
                              for m in DOCXTPL_STRUCTURAL.finditer(paragraph_text(q)))
        return holders[el]

    numbers: dict[etree._Element, int] = {}

    def number(el: etree._Element | None) -> int:
        return -1 if el is None else numbers.setdefault(el, len(numbers))

    tables: dict[etree._Element, int] = {}
    positions: dict[etree._Element, int] = {}  # a row → its number in its table; a cell → its number in its row
    body = 0
    for i, p in enumerate(root.iter(f"{W}p"), start=1):
        row = cell = table = None
        for a in p.iterancestors():
            if a.tag == f"{W}tc" and cell is None:
                cell = a
            elif a.tag == f"{W}tr" and row is None:
                row = a
            elif a.tag == f"{W}tbl" and table is None:
                table = a
        text = paragraph_text(p)
        consumed = any(m.group(1) == "p" for m in DOCXTPL_STRUCTURAL.finditer(text)) \
            or replaced(row, "tr") or replaced(cell, "tc")
        if table is None or row is None or cell is None:
            body += 1
            seen: tuple[int, ...] = (body,)
        else:
            if table not in tables:  # numbered as met: a table's first paragraph follows every earlier table's
                tables[table] = len(tables) + 1
                positions.update({r: k for k, r in enumerate(table.iterchildren(f"{W}tr"), start=1)})
            if cell not in positions:
                positions.update({c: k for k, c in enumerate(row.iterchildren(f"{W}tc"), start=1)})
            seen = (tables[table], positions.get(row, 0), positions.get(cell, 0))
        out.append(Paragraph(part, i, text, cell is not None, row is not None, consumed,
                             number(cell), number(row), number(table), seen))
    return out


def _whole_parts(prepared: Prepared, env: Any, paragraphs: dict[str, list[Paragraph]]) -> list[TemplateProblem]:
    """What the per-tag walk may not see: Jinja on each whole part, as docxtpl patches it (the prepared
    source; a part without a brace has nothing for Jinja). The parsed part is kept for its first render
    (``codecache.keep_parsed``), which then does not parse it again."""
    problems = []
    for order, name in enumerate(paragraphs):
        source = prepared.sources.get(name)
        if source is None:
            continue
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as exc:
            where = part_label(name) if name != "word/document.xml" else msg("where_unknown")
            problems.append(TemplateProblem("syntax", where, msg("tc_whole", detail=jinja_zh(exc.message or str(exc))),
                                            (order, 0)))
        else:
            codecache.keep_parsed(env, source, tree)
    return problems
