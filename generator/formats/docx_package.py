"""The .docx package: read its parts, keep only a report's own parts, check what we write.

A template travels between offices, so it is untrusted. ``sanitize`` keeps an
allow-list of part types (document, styles, numbering, settings, fonts table,
theme, headers and footers, foot- and endnotes, core and app properties, images
embedded in the package) and removes everything else — macros
(``vbaProject.bin``), ActiveX controls, OLE objects, embedded files, custom XML,
comments — with the relationships that point to them, and every external link
that is not a web or mail hyperlink: a remote attached template, an externally
linked image, UNC (``\\\\server\\share``) and ``file:`` links, ``altChunk``
imports, ``INCLUDETEXT``/``INCLUDEPICTURE``/``LINK``/``DDE`` fields. It returns
what it removed, so the run and ``generate template-check`` can name each one. The
main document's content type is set to a plain document (not a macro-enabled
one, nor a template).

All XML is parsed strictly (no recovering parse: a part that does not parse is
an error, never silently cut short), without entities or network access.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .zip import package as zip_package

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
W = "{%s}" % W_NS
R = "{%s}" % R_NS

MAX_PACKAGE_MB = 50  # a template or a rendered report, uncompressed
MAX_PART_MB = 64  # one rendered part (a report's body is well under 2 MB)
MAX_MEMBERS = 1000

PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False,
                         remove_blank_text=False)

_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
DOCUMENT_TYPE = _WML + "document.main+xml"
MAIN_TYPES = (DOCUMENT_TYPE, _WML + "template.main+xml", "application/vnd.ms-word.document.macroEnabled.main+xml",
              "application/vnd.ms-word.template.macroEnabledTemplate.main+xml")
ALLOWED_TYPES = frozenset({
    DOCUMENT_TYPE,
    _WML + "styles+xml", _WML + "numbering+xml", _WML + "settings+xml", _WML + "fontTable+xml",
    _WML + "header+xml", _WML + "footer+xml", _WML + "footnotes+xml", _WML + "endnotes+xml",
    "application/vnd.openxmlformats-officedocument.theme+xml",
    "application/vnd.openxmlformats-package.core-properties+xml",
    "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    "application/vnd.openxmlformats-package.relationships+xml",
    "image/png", "image/jpeg", "image/gif", "image/bmp", "image/tiff", "image/svg+xml",
    _WML + "webSettings+xml", "application/vnd.ms-word.stylesWithEffects+xml",  # view settings, harmless
})
# relationship types a kept part may have to another kept part
ALLOWED_RELS = frozenset(R_NS + "/" + t for t in (
    "officeDocument", "styles", "numbering", "settings", "fontTable", "theme", "header", "footer",
    "footnotes", "endnotes", "image", "hyperlink", "extended-properties", "webSettings",
    "metadata/thumbnail")) | {"http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    PKG_REL_NS + "/metadata/core-properties", "http://schemas.openxmlformats.org/officeDocument/2006/"
                                              "relationships/metadata/core-properties"}
_FOREIGN_KINDS = (  # (pattern on the part name or content type, what it is, in the messages' words)
    ("vbaProject", "macro"), ("vbaData", "macro"), ("macroEnabled", "macro"), ("activeX", "activex"),
    ("oleObject", "ole"), ("embeddings/", "embedded"), ("comments", "comments"), ("commentsExtended", "comments"),
    ("obfuscatedFont", "font"), ("aFChunk", "altchunk"),
)
# the fields a published part may hold, by their instruction's first word: page numbers, dates, references
# within the document, numbering, formulas; every other field (INCLUDETEXT, INCLUDEPICTURE, DATABASE, LINK, DDE,
# MERGEFIELD, MACROBUTTON, a HYPERLINK to anything but a web or mail address, …) is taken out, its last result
# kept as plain text
ALLOWED_FIELDS = frozenset({
    "PAGE", "NUMPAGES", "SECTIONPAGES", "SECTION", "DATE", "TIME", "CREATEDATE", "SAVEDATE", "PRINTDATE",
    "PAGEREF", "REF", "NOTEREF", "SEQ", "STYLEREF", "TOC", "TC", "SYMBOL", "=", "LISTNUM", "AUTONUM",
    "AUTONUMLGL", "AUTONUMOUT", "ADVANCE", "EQ", "HYPERLINK",
    "AUTHOR", "TITLE", "SUBJECT", "KEYWORDS", "COMMENTS", "DOCPROPERTY", "NUMWORDS", "NUMCHARS", "REVNUM",
    "QUOTE"})  # (the document's own properties; a quoted text)
_WEB_LINK = re.compile(r"^(https?|mailto):", re.I)
_PNG, _JPEG = (b"\x89PNG\r\n\x1a\n",), (b"\xff\xd8\xff",)
_IMAGE_MAGIC = {"image/png": _PNG, "image/jpeg": _JPEG, "image/gif": (b"GIF87a", b"GIF89a"), "image/bmp": (b"BM",),
                "image/tiff": (b"II*\x00", b"MM\x00*"),
                "image/jpg": _JPEG, "image/pjpeg": _JPEG, "image/x-png": _PNG}  # (names some writers use)
SVG_NS = "http://www.w3.org/2000/svg"
_SVG_ALLOWED_HREF = re.compile(r"^\s*(#|data:image/(png|jpeg|gif);base64,)", re.I)
_SVG_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import|javascript:|expression\(", re.I)
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_SVG_BLIP = "{http://schemas.microsoft.com/office/drawing/2016/SVG/main}svgBlip"


class PackageError(Exception):
    """A package we cannot use: ``kind`` (``not_docx``, ``too_large``, ``damaged``, ``xml``) and the part."""

    def __init__(self, kind: str, part: str = "", detail: str = ""):
        super().__init__(f"{kind}: {part} {detail}")
        self.kind, self.part, self.detail = kind, part, detail


# what is worth telling the clerk; other parts not on the list (custom XML, glossary, people, printer
# settings, thumbnails) carry nothing of the report and go silently
TOLD = frozenset({"macro", "activex", "ole", "embedded", "comments", "font", "altchunk", "attached_template",
                  "external_image", "external_link", "field", "picture", "svg", "data_source"})


@dataclass
class Removed:
    """One foreign thing taken out of a template: its kind and where it was."""

    kind: str  # one of TOLD, or "part" for the rest
    where: str

    @property
    def told(self) -> bool:
        return self.kind in TOLD


@dataclass
class Package:
    parts: dict[str, bytes]  # member name → bytes, in the package's order
    removed: list[Removed] = field(default_factory=list)


def read_package(data: bytes) -> Package:
    """The parts of a .docx, each decompressed with its size bounded; PackageError if it is not one."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackageError("not_docx") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise PackageError("too_large", "", str(len(infos)))
        limit = MAX_PACKAGE_MB * 1024 * 1024
        if sum(i.file_size for i in infos) > limit:  # (zipfile stops at the declared sizes: refused unread)
            raise PackageError("too_large", max(infos, key=lambda i: i.file_size).filename)
        total = 0
        parts: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            if info.file_size > limit:
                raise PackageError("too_large", info.filename)
            try:
                with zf.open(info) as fh:
                    raw = fh.read(limit + 1)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                raise PackageError("damaged", info.filename, "CRC" if "CRC" in str(exc) else type(exc).__name__) \
                    from None
            total += len(raw)
            if len(raw) > limit or total > limit:
                raise PackageError("too_large", info.filename)
            parts[info.filename] = raw
    main = main_part(parts)
    if "[Content_Types].xml" not in parts or main is None:
        raise PackageError("not_docx")
    ctype = type_of(main, *content_types(parts))
    if ctype not in MAIN_TYPES:  # a workbook or a presentation is a package too: not a Word document
        raise PackageError("not_word", main, ctype)
    return Package(parts)


def parse(raw: bytes, part: str = "") -> etree._Element:
    """A strict parse: no recovery, no entities, no network; PackageError on anything else."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:  # (text never holds "<!": it would be escaped)
        raise PackageError("entities", part)
    try:
        return etree.fromstring(raw, PARSER)
    except etree.XMLSyntaxError as exc:
        raise PackageError("xml", part, str(exc)) from None


def content_types(parts: dict[str, bytes]) -> tuple[dict[str, str], dict[str, str]]:
    """(extension → type, "/part/name" → type) of [Content_Types].xml."""
    root = parse(parts["[Content_Types].xml"], "[Content_Types].xml")
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter("{%s}Default" % CT_NS)}
    overrides = {o.get("PartName", ""): o.get("ContentType", "") for o in root.iter("{%s}Override" % CT_NS)}
    return defaults, overrides


def type_of(name: str, defaults: dict[str, str], overrides: dict[str, str]) -> str:
    over = overrides.get("/" + name)
    if over is not None:
        return over
    return defaults.get(name.rsplit(".", 1)[-1].lower(), "") if "." in name else ""


def main_part(parts: dict[str, bytes]) -> str | None:
    """The main document's member name, from the package relationships."""
    rels = parts.get("_rels/.rels")
    if rels is None:
        return None
    try:
        root = etree.fromstring(rels, PARSER)
    except etree.XMLSyntaxError:
        return None
    for rel in root:
        if (rel.get("Type") or "").endswith("/officeDocument"):
            target = rel.get("Target") or ""
            name = target.lstrip("/")
            return name if name in parts else None
    return None


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _target_name(part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def _kind_of(name: str, content_type: str) -> str:
    for needle, kind in _FOREIGN_KINDS:
        if needle in name or needle in content_type:
            return kind
    return "part"


def sanitize(pkg: Package) -> list[Removed]:
    """Keep only a report's own parts and links (see the module doc); what was removed, in order."""
    parts = pkg.parts
    removed: list[Removed] = []
    defaults, overrides = content_types(parts)
    main = main_part(parts)
    keep: set[str] = {"[Content_Types].xml"}
    for name in parts:
        if name == "[Content_Types].xml":
            continue
        ctype = type_of(name, defaults, overrides)
        unsafe = picture_problem(parts[name], ctype) if ctype.startswith("image/") else None
        if unsafe:
            removed.append(Removed(unsafe, name))
        elif name == main or name.endswith(".rels") or ctype in ALLOWED_TYPES or ctype in _IMAGE_MAGIC:
            keep.add(name)
        else:
            removed.append(Removed(_kind_of(name, ctype) if not ctype.startswith("image/") else "picture", name))
    # relationships: drop those to removed parts, and every external one but web and mail hyperlinks
    dropped_ids: dict[str, set[str]] = {}  # source part → relationship ids removed
    for name in sorted(n for n in keep if n.endswith(".rels")):
        source = _source_of(name)
        if source and source not in keep:
            keep.discard(name)
            continue
        root = parse(parts[name], name)
        changed = False
        for rel in list(root):
            kind = rel.get("Type") or ""
            target = rel.get("Target") or ""
            external = rel.get("TargetMode") == "External"
            why = None
            if external:
                if kind.endswith("/hyperlink") and _WEB_LINK.match(target.strip()):
                    continue
                why = ("attached_template" if kind.endswith("/attachedTemplate") else
                       "external_image" if kind.endswith("/image") else "external_link")
            elif _target_name(source or "", target) not in keep or kind not in ALLOWED_RELS:
                why = "" if _target_name(source or "", target) not in keep else "part"
            if why is None:
                continue
            root.remove(rel)
            changed = True
            dropped_ids.setdefault(source or "", set()).add(rel.get("Id") or "")
            if why:
                removed.append(Removed(why, f"{source}: {target}" if external else _target_name(source or "", target)))
        if changed:
            if len(root) == 0 and name != "_rels/.rels":
                keep.discard(name)  # nothing left to relate
            else:
                parts[name] = _serialize(root)
    # the XML that used what was removed, and foreign fields
    for name in sorted(keep):
        if not name.endswith(".xml") or not name.startswith("word/"):
            continue
        ids = dropped_ids.get(name, set())
        raw = parts[name]
        external = external_ids(parts, name)
        if not ids and not external and not FOREIGN_BYTES.search(raw):
            continue
        root = parse(raw, name)
        if _clean_xml(root, ids, name, removed) | clean_part(root, name, external, removed):
            parts[name] = _serialize(root)
    for name in [n for n in parts if n not in keep]:
        del parts[name]
    parts["[Content_Types].xml"] = _clean_types(parts, main)
    pkg.removed += removed
    return removed


def cleaned(data: bytes) -> tuple[bytes, list[Removed]]:
    """The package ``data`` as ``sanitize`` leaves it, zipped again (what a stored template may be), and what was
    removed; ``data`` itself when nothing in it was foreign. PackageError if it is not a .docx."""
    pkg = read_package(data)
    before = dict(pkg.parts)
    removed = sanitize(pkg)
    if not removed and pkg.parts.keys() == before.keys() and content_types(pkg.parts) == content_types(before) \
            and all(pkg.parts[name] == before[name] for name in before if name != "[Content_Types].xml"):
        return data, removed
    return zip_package(pkg.parts), removed


def _source_of(rels: str) -> str | None:
    """The part a .rels part belongs to ("" for the package's own)."""
    if rels == "_rels/.rels":
        return ""
    folder, base = posixpath.split(rels)
    if not folder.endswith("_rels") or not base.endswith(".rels"):
        return None
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


_R_ATTRS = (R + "id", R + "embed", R + "link", R + "pict", R + "href")


def _clean_xml(root: etree._Element, ids: set[str], part: str, removed: list[Removed]) -> bool:
    changed = False
    # elements whose reference was dropped: the drawing, picture, object or link around it
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        refs = {el.get(a) for a in _R_ATTRS if el.get(a)}
        if not refs & ids:
            continue
        if el.tag == W + "hyperlink":  # keep the text of a removed link
            parent = el.getparent()
            index = parent.index(el)
            for child in list(el):
                parent.insert(index, child)
                index += 1
            parent.remove(el)
            changed = True
            continue
        holder = _ancestor(el, ("{%s}ext" % A_NS,)) if el.tag == _SVG_BLIP else None  # (its PNG stays)
        if holder is None:
            holder = _ancestor(el, (W + "drawing", W + "pict", W + "object", W + "control", W + "altChunk"))
        if holder is None:
            holder = el
        if holder.getparent() is not None:
            holder.getparent().remove(holder)
            changed = True
    return changed


# ---------------------------------------------------------------------------- what a published part may hold

# bytes that announce something ``clean_part`` looks at (a part without any is left as it is)
FOREIGN_BYTES = re.compile(rb"instrText|fldSimple|fldChar|altChunk|w:object|w:control|attachedTemplate|mailMerge"
                           rb"|r:link|:link=|subDoc|o:href|imagedata|w:dataBinding"
                           rb"|\s(?!xmlns)[\w:]+=[\"']\s*(?:[a-zA-Z][\w+.-]*:|\\\\)")  # (an attribute holding an address)


def field_allowed(instruction: str) -> bool:
    """Whether a field with this instruction may be published: its type on the allow-list, and a HYPERLINK
    only to a web or mail address or a place in the document."""
    words = re.findall(r'"[^"]*"|[^\s"]+', instruction.replace("\u201c", '"').replace("\u201d", '"'))
    if not words:
        return False
    kind = words[0].upper()
    if kind.startswith("="):
        kind = "="
    if kind not in ALLOWED_FIELDS:
        return False
    if kind != "HYPERLINK":
        return True
    args, skip = words[1:], False
    for word in args:
        if skip:
            skip = False
            continue
        if word.startswith("\\"):
            skip = word.lower() in ("\\l", "\\o", "\\t")  # a place, a tip, a frame: their argument is not fetched
            continue
        if not _WEB_LINK.match(word.strip('"').strip()):
            return False
    return True


def clean_part(root: etree._Element, part: str, external: set[str], removed: list[Removed]) -> bool:
    """Keep in a part (a template's, or a rendered one) only what may be published: fields on the allow-list
    (assembled across runs and tracked changes), no object, control, imported chunk, attached template, mail
    merge data source or sub-document, and no reference to an external relationship but a hyperlink's."""
    changed = _clean_fields(root, part, removed)
    for tag, kind in ((W + "object", "ole"), (W + "control", "activex"), (W + "altChunk", "altchunk"),
                      (W + "attachedTemplate", "attached_template"), (W + "mailMerge", "data_source"),
                      (W + "subDoc", "external_link"), (W + "dataBinding", "data_source")):
        for el in list(root.iter(tag)):
            el.getparent().remove(el)
            if not any(r.kind == kind for r in removed):  # (an object's part was named when it was removed)
                removed.append(Removed(kind, part))
            changed = True
    linked = [el for el in _R_REFERENCES(root)
              if el.tag not in _LINK_HOLDERS and any(a == R + "link" or (a.startswith(R) and v in external)
                                                     for a, v in el.attrib.items())]
    fetching = [a.getparent() for a in _URL_ATTRIBUTES(root)
                if etree.QName(a.attrname).localname not in _NOT_FETCHED and not _SCHEMA_NAME.match(a)
                and a.getparent().tag not in _LINK_HOLDERS]
    for el in linked + fetching:
        holder = _ancestor(el, (W + "drawing", W + "pict", W + "object"))
        target = holder if holder is not None else el
        if target.getparent() is None:
            continue  # (already gone with its holder)
        target.getparent().remove(target)
        removed.append(Removed("external_image" if el.tag.endswith(("}blip", "}imagedata")) else "external_link",
                               part))
        changed = True
    return changed


_R_REFERENCES = etree.XPath("//*[@*[namespace-uri()='%s']]" % R_NS)
# an attribute whose value fetches something (VML ``o:href``/``src``, a linked picture): a URL, a share, a file
_URL_ATTRIBUTES = etree.XPath("//@*[contains(., '://') or starts-with(normalize-space(.), '\\\\')"
                              " or starts-with(normalize-space(.), 'file:') or starts-with(normalize-space(.), 'mhtml:')]")
# an extension's or a setting's name; a field (judged above); a picture's name, title and alternative text
_NOT_FETCHED = frozenset({"uri", "instr", "name", "title", "descr", "alt"})
_SCHEMA_NAME = re.compile(r"\s*https?://(schemas\.openxmlformats\.org|schemas\.microsoft\.com|purl\.org|www\.w3\.org)/")
_LINK_HOLDERS = frozenset({W + "hyperlink", "{%s}hlinkClick" % A_NS, "{%s}hlinkHover" % A_NS})


def _clean_fields(root: etree._Element, part: str, removed: list[Removed]) -> bool:
    """Fields not on the allow-list taken out, their last result kept as plain text. A complex field
    (``fldChar`` begin … instruction … separate … result … end) is assembled across runs, nested fields and
    tracked changes (``w:instrText`` and ``w:delInstrText``), as Word reads it."""
    changed = False
    stack: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    for el in root.iter(W + "fldChar", W + "instrText", W + "delInstrText"):
        kind = el.get(W + "fldCharType") if el.tag == W + "fldChar" else "instr"
        for field in stack:  # everything inside an instruction belongs to it (nested fields too)
            if field["in_code"]:
                field["code"].append(el)
        if kind == "begin":
            stack.append({"begin": el, "code": [], "text": [], "in_code": True, "end": []})
        elif kind == "instr":
            if stack and stack[-1]["in_code"]:
                stack[-1]["text"].append(el.text or "")
        elif kind == "separate":
            if stack:
                stack[-1]["in_code"] = False
                stack[-1]["end"].append(el)
        elif kind == "end":
            if stack:
                field = stack.pop()
                field["end"].append(el)
                fields.append(field)
        else:
            fields.append({"begin": el, "code": [], "text": ["?"], "in_code": True, "end": []})
    fields += stack  # (never ended: judged as they are)
    gone: set[etree._Element] = set()
    for field in fields:
        if field["begin"] in gone:
            continue
        instruction = "".join(field["text"])
        if field_allowed(instruction):
            continue
        removed.append(Removed("field", f"{part}: {instruction.strip()[:60]}"))
        for el in [field["begin"], *field["code"], *field["end"]]:
            if el in gone or el.getparent() is None:
                continue
            gone.add(el)
            el.getparent().remove(el)
        changed = True
    for el in list(root.iter(W + "fldSimple")):
        instr = el.get(W + "instr") or ""
        if field_allowed(instr):
            continue
        removed.append(Removed("field", f"{part}: {instr.strip()[:60]}"))
        parent, index = el.getparent(), el.getparent().index(el)
        for child in list(el):  # keep the field's last result as plain text
            parent.insert(index, child)
            index += 1
        parent.remove(el)
        changed = True
    return changed


def external_ids(parts: dict[str, bytes], part: str) -> set[str]:
    """The ids of a part's external relationships (web and mail hyperlinks, the only ones kept)."""
    raw = parts.get(rels_name(part))
    if not raw or b"External" not in raw:
        return set()
    return {rel.get("Id") or "" for rel in parse(raw, rels_name(part)) if rel.get("TargetMode") == "External"}


def picture_problem(data: bytes, ctype: str) -> str | None:
    """Why a picture may not be published (``picture``: not the raster image it says it is, or a vector format
    other than SVG; ``svg``: an SVG with a script, an event handler or a reference outside itself), or None."""
    if ctype == "image/svg+xml":
        return None if _svg_safe(data) else "svg"
    magic = _IMAGE_MAGIC.get(ctype)
    return None if magic and data.startswith(magic) else "picture"


def _svg_safe(data: bytes) -> bool:
    try:
        root = parse(data, "svg")
    except PackageError:
        return False
    if not isinstance(root.tag, str) or root.tag != "{%s}svg" % SVG_NS:
        return False
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, etree._ProcessingInstruction):
                return False  # (an xml-stylesheet instruction fetches a style sheet)
            continue
        local = etree.QName(el).localname.lower()
        if local in ("script", "foreignobject", "iframe", "embed", "object", "handler", "listener"):
            return False
        if local == "style" and _SVG_URL.search(el.text or ""):
            return False
        for name, value in el.attrib.items():
            attr = etree.QName(name).localname.lower()
            if attr.startswith("on"):
                return False
            if attr in ("href", "src") and not _SVG_ALLOWED_HREF.match(value):
                return False
            if _SVG_URL.search(value):
                return False
    return True


def _ancestor(el: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
    for a in el.iterancestors():
        if a.tag in tags:
            return a
    return None


def _clean_types(parts: dict[str, bytes], main: str | None) -> bytes:
    """[Content_Types].xml with overrides only for parts that remain, and the main part a plain document."""
    root = parse(parts["[Content_Types].xml"], "[Content_Types].xml")
    for el in list(root):
        if el.tag == "{%s}Override" % CT_NS:
            name = (el.get("PartName") or "").lstrip("/")
            if name not in parts:
                root.remove(el)
            elif name == main and el.get("ContentType") in MAIN_TYPES:
                el.set("ContentType", DOCUMENT_TYPE)
        elif el.tag == "{%s}Default" % CT_NS and (el.get("Extension") or "").lower() == "bin":
            if not any(n.endswith(".bin") for n in parts):
                root.remove(el)
    return _serialize(root)


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ---------------------------------------------------------------------------- checks of what we write


def cells_without_paragraph(root: etree._Element) -> list[etree._Element]:
    """Table cells whose last block is not a paragraph (Word reports "unreadable content")."""
    out = []
    for tc in root.iter(W + "tc"):
        blocks = [c for c in tc if c.tag in (W + "p", W + "tbl")]
        if not blocks or blocks[-1].tag != W + "p":
            out.append(tc)
    return out


def paragraph_text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in p.iter(W + "t"))
