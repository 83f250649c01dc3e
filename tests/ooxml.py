"""Schema validation of the .xlsx files we write, for the tests: ``problems(path)``.

Runs the independent validator openxml-audit (pinned: ``VALIDATOR_VERSION``,
as in pyproject's test extras) through its Python API with the same settings
as its command line (``python3 -m openxml_audit -m 0 FILE``: Office 2019, strict
policy, no error limit) and returns the errors it reports, minus the
exceptions in ``EXCEPTIONS``.

An exception is made only where the validator contradicts the ECMA-376 text.
The validator takes its rules from the Open XML SDK, which models some
``xsd:choice`` types of the standard as sequences; each exception below quotes
the schema's own declaration and is applied only when the flagged element
really is valid under it (checked on the file's XML, not just by message).
Nothing else is excepted. ``problems`` prints the exception list it applies
(``pytest -s`` shows it, as does any failing test).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lxml import etree

VALIDATOR = "openxml-audit"
VALIDATOR_VERSION = "0.8.0"


@dataclass(frozen=True)
class Exemption:
    """A validator rule the ECMA-376 text contradicts."""

    name: str
    schema: str  # the declaration, quoted from ECMA-376 Part 1 (transitional), sml.xsd
    reason: str
    applies: Callable[[object, zipfile.ZipFile], bool]


# CT_Font (ECMA-376 Part 1, §18.8.22 font; sml.xsd): a repeated choice, children in any order
CT_FONT_CHILDREN = ("b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color",
                    "name", "family", "charset", "scheme")
CT_FONT_SCHEMA = """<xsd:complexType name="CT_Font">
  <xsd:choice maxOccurs="unbounded">
    <xsd:element name="b" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="i" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="strike" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="condense" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="extend" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="outline" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="shadow" type="CT_BooleanProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="u" type="CT_UnderlineProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="vertAlign" type="CT_VerticalAlignFontProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="sz" type="CT_FontSize" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="color" type="CT_Color" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="name" type="CT_FontName" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="family" type="CT_FontFamily" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="charset" type="CT_IntProperty" minOccurs="0" maxOccurs="1"/>
    <xsd:element name="scheme" type="CT_FontScheme" minOccurs="0" maxOccurs="1"/>
  </xsd:choice>
</xsd:complexType>"""

_SSML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_UNEXPECTED = re.compile(r"Unexpected element '([A-Za-z]+)' found\Z")
_FONT_PATH = re.compile(r"/styleSheet\[1\]/(?:fonts\[1\]|dxfs\[1\]/dxf\[\d+\])/font\[\d+\]\Z")


def _element_at(zf: zipfile.ZipFile, part_uri: str, path: str) -> etree._Element | None:
    """The element the validator's path (``/styleSheet[1]/fonts[1]/font[2]``) names in the part."""
    try:
        root = etree.fromstring(zf.read(part_uri.lstrip("/")))
    except (KeyError, etree.XMLSyntaxError):
        return None
    steps = re.findall(r"/([A-Za-z]+)\[(\d+)\]", path)
    if not steps or etree.QName(root).localname != steps[0][0]:
        return None
    node = root
    for name, index in steps[1:]:
        found = [c for c in node if isinstance(c.tag, str) and c.tag == f"{{{_SSML}}}{name}"]
        if len(found) < int(index):
            return None
        node = found[int(index) - 1]
    return node


def _font_order(error: object, zf: zipfile.ZipFile) -> bool:
    """An "Unexpected element" in a <font> of the styles whose children are all CT_Font's, each once."""
    m = _UNEXPECTED.match(getattr(error, "description", ""))
    if m is None or m.group(1) not in CT_FONT_CHILDREN:
        return False
    if getattr(error, "part_uri", "") != "/xl/styles.xml" or not _FONT_PATH.match(getattr(error, "path", "")):
        return False
    font = _element_at(zf, error.part_uri, error.path)
    if font is None:
        return False
    names = [etree.QName(c).localname if c.tag.startswith(f"{{{_SSML}}}") else None
             for c in font if isinstance(c.tag, str)]
    return m.group(1) in names and all(n in CT_FONT_CHILDREN for n in names) and len(names) == len(set(names))


EXCEPTIONS: tuple[Exemption, ...] = (
    Exemption(
        name="CT_Font child order",
        schema=CT_FONT_SCHEMA,
        reason="ECMA-376 declares CT_Font's children as a repeated choice, in any order; the validator "
               "(after the Open XML SDK) requires the order b, i, strike, … scheme and reports "
               "\"Unexpected element 'b' found\" in fonts openpyxl writes (name, charset, family, b, i, …, color, sz). "
               "Excepted only when every child of the flagged <font> is a CT_Font child, each once.",
        applies=_font_order,
    ),
)

_printed = False


def describe_exceptions() -> str:
    lines = [f"ooxml: {VALIDATOR} {VALIDATOR_VERSION}; rules excepted ({len(EXCEPTIONS)}):"]
    for e in EXCEPTIONS:
        lines.append(f"  - {e.name}: {e.reason}")
        lines += ["      " + line for line in e.schema.splitlines()]
    return "\n".join(lines)


def _validator():
    installed = metadata.version(VALIDATOR)
    if installed != VALIDATOR_VERSION:
        raise RuntimeError(f"{VALIDATOR} {installed} installed; the exception list is for {VALIDATOR_VERSION} "
                           f"(pip install {VALIDATOR}=={VALIDATOR_VERSION})")
    from openxml_audit import FileFormat, OpenXmlValidator

    return OpenXmlValidator(file_format=FileFormat.OFFICE_2019, max_errors=0, strict=True)


def validate(path: Path | str | bytes, warnings: bool = False) -> tuple[list, list]:
    """(problems, excepted): the validator's errors (and warnings, if asked) not excepted, and those excepted."""
    global _printed
    from openxml_audit import ValidationSeverity

    if isinstance(path, bytes):
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / "book.xlsx"
            file.write_bytes(path)
            return validate(file, warnings)
    path = Path(path)
    if not _printed:
        print(describe_exceptions())
        _printed = True
    result = _validator().validate(path)
    wanted = [e for e in result.errors
              if e.severity == ValidationSeverity.ERROR or (warnings and e.severity == ValidationSeverity.WARNING)]
    kept, excepted = [], []
    with zipfile.ZipFile(path) as zf:
        for error in wanted:
            rule = next((x for x in EXCEPTIONS if x.applies(error, zf)), None)
            (excepted if rule else kept).append(error)
    if excepted:
        print(f"ooxml: {path.name}: {len(excepted)} finding(s) excepted ({', '.join(x.name for x in EXCEPTIONS)})")
    return kept, excepted


def problems(path: Path | str | bytes, warnings: bool = False) -> list:
    """The validator's errors for the file (a path, or .xlsx bytes), minus the documented exceptions."""
    return validate(path, warnings)[0]


def report(found: list) -> str:
    """The problems as readable lines, for an assertion message."""
    return "\n".join(f"{e.part_uri} {e.path}: {e.description}" for e in found)
