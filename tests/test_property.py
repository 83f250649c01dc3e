"""Property (issue 5): whatever a clerk types into text and number cells, the result is either a
clear validation error naming a cell that was typed into, or a document that parses strictly and
contains the text that went in (control characters removed).

The example workbook is copied once; each example sets a few cells with openpyxl (control
characters are stored the way Excel stores them, as ``_x000B_``) and runs the library API
(``load`` with the template's needs, then ``render``), not the CLI, to keep the run short.
"""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import EXAMPLE, ROOT
from generator.errors import UserError, ValidationError
from generator.pipeline import load
from generator.render import make_env, render
from generator.template import load_template

TEMPLATE = ROOT / "templates" / "default" / "report.docx"
WB = "2024.xlsx"
# (sheet, cell) of text fields whose value the report prints as is
TEXT_CELLS = (("基本信息", "B5"), ("基本信息", "B8"))  # 单位简称, 办公地址
NUMBER_CELLS = (("财务", "B3"), ("财务", "B4"), ("人员编制", "D4"))  # 资产总额, 流动资产, 行政编制（核定编制）

_EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REMOVED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff]")

hostile_pieces = st.sampled_from(
    list("&<>\"'{}%#_x\n\r\t \u3000\x0b\x01\x1f\x7f\ufdd0")
    + ["😀", "𠀀", "𪚥", "龘", "{{", "{%", "}}", "%}", "{_{", "_x000B_", "=", "#N/A", "&amp;", "<w:t>", "]]>"]
)
text_values = st.lists(
    st.one_of(st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn")), hostile_pieces), min_size=1, max_size=15,
).map("".join)
plausible_numbers = st.one_of(
    st.decimals(min_value=0, max_value=10**9, places=2).map(str),
    st.floats(min_value=0, max_value=1e9, allow_nan=False),
    st.integers(min_value=0, max_value=10**6),
)
number_values = st.one_of(
    plausible_numbers,
    plausible_numbers,
    st.floats(min_value=-1e20, max_value=1e20, allow_nan=False, allow_infinity=False),
    st.integers(min_value=-10**15, max_value=10**15),
    st.sampled_from(["NaN", "nan", "inf", "-inf", "1e5", "１２３", "1,234.5", "1,234.5万", "一千", "", " ", "-0",
                     "0x10", "12%", "1.2.3", "--5", "+7", "1 000", "9" * 40, "1E+308", "#DIV/0!"]),
    st.text(max_size=8),
)


def excel_text(text: str) -> str:
    """How Excel stores a string: characters XML cannot hold as ``_xHHHH_``."""
    return _EXCEL_ILLEGAL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def expected_text(text: str) -> str:
    """What the report must show for a one-line text field that went in as ``text``.

    Excel reads ``_x000B_`` in its file as the character it encodes, so text typed as those seven
    characters is indistinguishable from the control character; both are removed, and so are the
    invisible format characters (category Cf), each with a notice naming the cell.
    """
    stored = excel_text(text)
    read = re.sub(r"_x([0-9A-Fa-f]{4})_",
                  lambda m: "" if _REMOVED.match(chr(int(m.group(1), 16))) else m.group(0), stored)
    text = _REMOVED.sub("", read.replace("\r\n", "\n").replace("\r", "\n"))
    # invisible format characters (soft hyphen, zero-width space, bidirectional overrides) are removed
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


ENV = make_env()
_TEMPLATE = []


def template():
    """The default template, loaded once (as a run loads it once for all its units)."""
    if not _TEMPLATE:
        _TEMPLATE.append(load_template(TEMPLATE, ENV))
    return _TEMPLATE[0]


def render_docx(ctx) -> bytes:
    return render(template(), ctx.values, ENV).data


class Base:
    """The example workbook open in openpyxl once: each example sets its cells, saves, and puts them back.

    The 模板字段 sheet (written by the tool, never read) and the formatted empty rows below each table
    are dropped, so that a save takes a few hundredths of a second.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.wb = openpyxl.load_workbook(EXAMPLE)
        del self.wb["模板字段"]
        for ws in self.wb:
            last = max((c.row for row in ws.iter_rows() for c in row if c.value is not None), default=1)
            if ws.max_row > last + 2:
                ws.delete_rows(last + 2, ws.max_row)

    def save_with(self, edits: dict[tuple[str, str], object]) -> Path:
        saved = {key: self.wb[key[0]][key[1]].value for key in edits}
        try:
            for (sheet, coord), value in edits.items():
                self.wb[sheet][coord] = value
            path = self.folder / WB
            self.wb.save(path)
        finally:
            for (sheet, coord), value in saved.items():
                self.wb[sheet][coord] = value
        return path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return Base(tmp_path_factory.mktemp("property"))


def document_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def assert_strict_package(data: bytes) -> None:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(zf.read(name), parser)  # raises on any malformed part


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.tuples(*[text_values] * len(TEXT_CELLS)), numbers=st.tuples(*[number_values] * len(NUMBER_CELLS)))
def test_any_cell_values_give_a_located_error_or_a_sound_document(base: Base, texts, numbers) -> None:
    edits = {key: excel_text(value) if isinstance(value, str) else value
             for key, value in zip(TEXT_CELLS + NUMBER_CELLS, texts + numbers)}
    typed = {f"{WB} › {sheet} › {coord}" for sheet, coord in edits}
    path = base.save_with(edits)

    try:
        _, ctx, _ = load(path, 2024, template())
    except ValidationError as exc:
        event("validation error")
        assert exc.problems
        for problem in exc.problems:
            assert problem.message.strip()
            if problem.location is not None:  # a cell's own problem
                assert str(problem.location) in typed, str(problem)
            else:  # what the template needs and the workbook leaves blank: names the cell to fill
                assert any(f"{sheet} › {coord}" in problem.message for sheet, coord in TEXT_CELLS + NUMBER_CELLS), \
                    str(problem)
        return
    try:
        data = render_docx(ctx)
    except UserError as exc:  # a value the template cannot print: must still be a clear refusal
        pytest.fail(f"valid data refused by the renderer: {exc}")
    event("rendered")
    assert_strict_package(data)
    shown = document_text(data)
    for text in texts:
        want = expected_text(text)
        assert want, "an empty required text passed validation"
        assert want in shown, f"{want!r} missing from the report"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.tuples(*[text_values] * len(TEXT_CELLS)))
def test_hostile_text_reaches_the_report_intact(base: Base, texts) -> None:
    """Only text cells change, so most examples get through validation and into the document."""
    test_any_cell_values_give_a_located_error_or_a_sound_document.hypothesis.inner_test(base, texts, BASE_NUMBERS)


BASE_NUMBERS = tuple(openpyxl.load_workbook(EXAMPLE)[sheet][coord].value for sheet, coord in NUMBER_CELLS)


# ----------------------------------------------------------------------------- fixed examples


def test_special_text_comes_out_right(tmp_path: Path) -> None:
    """Markup characters, emoji, rare CJK, tag-like text, a line break and Excel's escaped control characters."""
    path = tmp_path / WB
    shutil.copy(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    wb["基本信息"]["B5"] = "R&D <项目> \"引号\" '单' 😀𠀀{{ x }}{%p if %}{_{\n第二行_x000B_末_x0001_尾"
    wb.save(path)
    _, ctx, notices = load(path, 2024, template())
    assert any(str(n.location) == f"{WB} › 基本信息 › B5" and "控制字符" in n.message for n in notices)
    data = render_docx(ctx)
    assert_strict_package(data)
    doc = Document(io.BytesIO(data))
    para = next(p for p in doc.paragraphs if "R&D" in p.text)
    assert para.text.startswith("R&D <项目> \"引号\" '单' 😀𠀀{{ x }}{%p if %}{_{\n第二行末尾内设机构")
    assert para._p.xpath(".//w:br"), "the line break inside the cell must be a line break in Word"


def test_formula_with_cached_value_is_read(tmp_path: Path) -> None:
    """A formula cell saved by Excel (formula plus its result) is read as its result."""
    path = tmp_path / WB
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["财务"]["B3"] = "=B4+B5"  # openpyxl saves the formula with an empty result, as Excel never would
    wb.save(tmp_path / "no-cache.xlsx")
    with zipfile.ZipFile(tmp_path / "no-cache.xlsx") as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                raw = raw.replace(b"<f>B4+B5</f><v></v>", b"<f>B4+B5</f><v>1813.15</v>")
            dst.writestr(info, raw)
    data, ctx, _ = load(path, 2024, template())
    assert str(data["财务"]["资产总额"]) == "1813.15"
    assert data["cells"]["财务.资产总额"] == f"{WB} › 财务 › B3"
    shown = document_text(render_docx(ctx))
    assert "资产总额1813.15万元" in shown
