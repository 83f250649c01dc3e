"""A template in the clerk's own words (issue 19).

* The default template's tags use no English identifier of ours — only Chinese names (the workbook's
  labels) and Jinja's own words — and no table cell holds an ``{% if %}``.
* A copy of the template as it was, with the English names (commit 65fd1e2, kept as
  tests/reference/report-english-names-65fd1e2.docx), renders the same report as the new one.
* A sentence rewritten with only the names (and their ``模板中的写法``) read off the workbook's 模板字段
  sheet reads as the clerk wrote it, with the example's figures.
* The Chinese filters round half-up, as Excel shows a figure.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import zipfile
from decimal import Decimal as D
from pathlib import Path

import docx
import openpyxl
import pytest
from jinja2 import Environment
from lxml import etree

from generator.render import make_env
from conftest import REPORT_NAME, ROOT, paragraphs, run_cli, tables

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEMPLATE = ROOT / "templates" / "default" / "report.docx"
ENGLISH_TEMPLATE = ROOT / "tests" / "reference" / "report-english-names-65fd1e2.docx"
_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_IF_TAG = re.compile(r"\{%-?\s*(?:p|tr|tc|r)?\s*(?:if|elif)\b")

# Jinja's own words (statements, operators, tests, the loop object, built-in filters) and docxtpl's
# (the p/tr/tc/r prefixes, vmerge): the only ASCII names a template in the clerk's words needs.
JINJA_WORDS = {"for", "in", "endfor", "if", "elif", "else", "endif", "not", "and", "or", "is", "defined", "none",
               "true", "false", "loop", "index", "index0", "revindex", "revindex0", "first", "last", "length",
               "join", "vmerge", "hmerge", "set", "endset"}


def template_paragraphs(path: Path) -> list[tuple[str, bool]]:
    """(text, in a table cell) of every paragraph of the template's story parts."""
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not _PARTS.fullmatch(name):
                continue
            root = etree.fromstring(zf.read(name))
            for p in root.iter(f"{W}p"):
                text = "".join(t.text or "" for t in p.iter(f"{W}t"))
                in_cell = any(a.tag == f"{W}tc" for a in p.iterancestors())
                out.append((text, in_cell))
    return out


def ascii_names(path: Path) -> set[str]:
    """The ASCII identifiers in the template's tags, as Jinja's lexer reads them."""
    env = Environment()
    names: set[str] = set()
    for text, _ in template_paragraphs(path):
        for tag in _TAG.findall(text):
            source = re.sub(r"^\{%-?\s*(?:p|tr|tc|r)\s", "{% ", tag)  # docxtpl's paragraph/row/cell/run prefix
            names |= {value for _, kind, value in env.lex(source) if kind == "name" and value.isascii()}
    return names


def cells_with_if(path: Path) -> list[str]:
    return [text for text, in_cell in template_paragraphs(path) if in_cell and _IF_TAG.search(text)]


def test_the_scanner_sees_the_english_names_and_cell_logic_of_the_old_template() -> None:
    names = ascii_names(ENGLISH_TEMPLATE)
    assert {"finance", "assets_total", "wan", "staff", "budget"} <= names
    assert cells_with_if(ENGLISH_TEMPLATE)  # the old forms decided “—” with {% if %} in a cell


def test_default_template_uses_no_english_name_of_ours() -> None:
    names = ascii_names(TEMPLATE)
    assert names - JINJA_WORDS == set()
    # and it does use the Chinese names: a few of the workbook's labels, read from the tags
    tags = "".join(t for text, _ in template_paragraphs(TEMPLATE) for t in _TAG.findall(text))
    for name in ("财务.资产总额", "基本信息.单位全称", "三公经费.本年决算.合计", "人员编制.行政编制.实有人数",
                 "机构.内设机构.名单", "文字内容.单位职责", "自评.总分"):
        assert name in tags, name
    for flt in ("|万元", "|元", "|百分比", "|个数", "|日期"):
        assert flt in tags, flt


def test_no_table_cell_of_the_default_template_holds_an_if() -> None:
    assert cells_with_if(TEMPLATE) == []


# ---------------------------------------------------------------------------- the English template renders the same


def project_with(tmp_path: Path, template: Path) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "templates" / "default").mkdir(parents=True)
    shutil.copy(template, tmp_path / "templates" / "default" / "report.docx")
    return tmp_path


def generate(project: Path) -> Path:
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    return project / "output" / "2024" / REPORT_NAME


def test_the_old_template_with_english_names_renders_the_same_report(tmp_path: Path, example_report: Path) -> None:
    old = generate(project_with(tmp_path, ENGLISH_TEMPLATE))
    assert paragraphs(old) == paragraphs(example_report)
    assert tables(old) == tables(example_report)
    # including 附件2's totals, which both state as 决算收入 / 决算支出 (issue 13 item 3)
    cells = {c for t in tables(old) for r in t for c in r}
    assert {"按收入性质分：2826.23", "按支出性质分：2826.23"} <= cells


# ---------------------------------------------------------------------------- the 模板字段 sheet


@pytest.fixture(scope="module")
def fields_sheet(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, object, str]]:
    """The 模板字段 sheet of the example workbook as tools/build_example.py writes it now:
    名称 → (模板中的写法, 显示为, 来自)."""
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import zhengjiayi
    finally:
        sys.path.pop(0)
    from generator.workbook_layout import write_workbook

    path = tmp_path_factory.mktemp("fields") / "2024.xlsx"
    write_workbook(path, zhengjiayi.data(), notes=zhengjiayi.NOTES)
    ws = openpyxl.load_workbook(path)["模板字段"]
    header = [c.value for c in ws[2]]
    assert header[:5] == ["名称", "模板中的写法", "显示为", "含义", "来自"]
    return {r[0]: (r[1], r[2], r[4]) for r in ws.iter_rows(min_row=3, values_only=True) if r[0]}


def test_the_committed_example_has_the_same_field_sheet(fields_sheet) -> None:
    ws = openpyxl.load_workbook(ROOT / "data" / "2024.xlsx")["模板字段"]
    committed = {r[0]: (r[1], r[2], r[4]) for r in ws.iter_rows(min_row=3, values_only=True) if r[0]}
    assert committed == fields_sheet


def test_money_names_print_with_two_decimals(fields_sheet) -> None:
    """Every 万元 figure's 写法 uses |万元 (an 执行数 is money, not a count of rows)."""
    for name in ("财务.资产总额", "预算.执行数", "预算.结余", "项目合计.全年执行数", "项目[].资金.合计.全年执行数"):
        written, shown, _ = fields_sheet[name]
        assert written == "{{ " + name + "|万元 }}", (name, written)
        assert not isinstance(shown, str) or not shown.startswith("=") or '"0.00"' in shown, (name, shown)


def test_a_sentence_rewritten_with_the_field_sheet_names(tmp_path: Path, fields_sheet, example_report: Path) -> None:
    def written(name: str) -> str:
        return fields_sheet[name][0]

    sentence = (f"截至年底，{written('基本信息.单位简称')}资产{written('财务.资产总额')}万元、负债{written('财务.负债总额')}万元；"
                f"全年支出{written('预算.执行数')}万元，预算调整{written('预算.调整额')}万元，自评{written('自评.总分')}分；"
                f"在编{written('人员编制.合计.实有人数')}人，下设{written('机构.下设机构.概述')}。")
    project = project_with(tmp_path, TEMPLATE)
    template = project / "templates" / "default" / "report.docx"
    d = docx.Document(template)
    target = next(p for p in d.paragraphs if "财务.资产总额" in p.text)
    runs = target.runs
    runs[0].text = sentence
    for run in runs[1:]:
        run._r.getparent().remove(run._r)
    d.save(template)

    new = paragraphs(generate(project))
    wanted = ("截至年底，郑家驿镇政府资产1813.15万元、负债1173.31万元；全年支出2826.23万元，预算调整73.48万元，"
              "自评95.29分；在编72人，下设3中心1站1队。")
    assert wanted in new
    # what the sheet says those names show, where it says it as text (not as an Excel formula)
    for name, part in (("预算.调整额", "73.48"), ("自评.总分", "95.29"), ("机构.下设机构.概述", "3中心1站1队")):
        assert fields_sheet[name][1] == part, name
    # and the rest of the report is untouched
    old = paragraphs(example_report)
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert len(old) == len(new) and len(changed) == 1 and changed[0][1] == wanted
    assert changed[0][0].startswith("2024年12月31日单位资产总额1813.15万元")


# ---------------------------------------------------------------------------- Chinese filters


@pytest.mark.parametrize(("tag", "value", "shown"), [
    ("{{ x|万元 }}", 2.675, "2.68"),  # a float just below 2.675: Excel shows 2.68, Python's round() 2.67
    ("{{ x|万元 }}", D("1813.145"), "1813.15"),
    ("{{ x|万元 }}", D("2826.225"), "2826.23"),  # half-even would give 2826.22
    ("{{ x|元 }}", D("0.125"), "0.13"),
    ("{{ x|元 }}", 46000, "46000.00"),
    ("{{ x|元折万元 }}", 12250, "1.23"),  # 1.225 万元
    ("{{ x|百分比 }}", 0.12345, "12.35%"),
    ("{{ x|百分比(1) }}", D("0.85085"), "85.1%"),
    ("{{ x|百分数 }}", D("0.955"), "95.5%"),
    ("{{ x|个数 }}", D("2.5"), "3"),  # round() gives 2
    ("{{ x|个数 }}", 81, "81"),
    ("{{ x|分数 }}", D("4.365"), "4.37"),
    ("{{ x|数字 }}", D("9.60"), "9.6"),
    ("{{ x|日期 }}", dt.date(2025, 9, 15), "2025年9月15日"),
])
def test_chinese_filters_round_half_up_as_excel_shows(tag: str, value, shown: str) -> None:
    env = make_env()
    assert env.from_string(tag).render(x=value) == shown


def test_english_filter_names_are_aliases_of_the_chinese_ones() -> None:
    env = make_env()
    for zh, en, value in (("万元", "wan", 2.675), ("元", "yuan", 0.125), ("百分比", "pct", 0.12345),
                          ("日期", "cn_date", dt.date(2025, 9, 15)), ("个数", "count", D("2.5"))):
        assert env.from_string(f"{{{{ x|{zh} }}}}").render(x=value) == env.from_string(
            f"{{{{ x|{en} }}}}").render(x=value), zh
