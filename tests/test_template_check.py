"""``generate --template-check``: verdict first, every problem with its place, names checked against the unit's own
workbook (``--unit``) or a sample laid out from the schema; exit 0 when clean, 1 otherwise (issue 12 item 9,
issue 16 item 4, issue 19 item 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import parse_xml

from conftest import ROOT, run_verb, set_field
from generator.cli import main
from generator.commands.template_check import sample_context
from generator.render import make_env
from generator.template import load_template

DEFAULT = ROOT / "templates" / "default" / "report.docx"


def run(project: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


def make_template(path: Path, paragraphs: list[str], cells: list[list[str]] | None = None,
                  header: str | None = None) -> Path:
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if cells:
        table = doc.add_table(rows=len(cells), cols=len(cells[0]))
        for i, row in enumerate(cells):
            for j, text in enumerate(row):
                table.cell(i, j).text = text
    if header is not None:
        doc.sections[0].header.paragraphs[0].text = header
    doc.save(path)
    return path


def problems_of(path: Path) -> list:
    return load_template(path, make_env()).problems


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """data/<unit>/2024.xlsx for 某镇 (the example's workbook with its own name) and the default template."""
    (tmp_path / "data" / "某镇").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "2024.xlsx", tmp_path / "data" / "某镇" / "2024.xlsx")
    set_field(tmp_path / "data" / "某镇" / "2024.xlsx", "基本信息", "单位全称", "桃源县某镇人民政府")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


# ------------------------------------------------------------------ the verdict


def test_default_template_is_clean_against_the_sample(project: Path) -> None:
    result = run_verb(project, "template-check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"模板检查通过：{project / 'templates' / 'default' / 'report.docx'} 没有未知名称、错误标签或不安全写法，试渲染成功。"
    assert "工作簿格式生成的示例数据" in lines[1]  # not the example workbook beside it
    assert lines[-1] == "加 --fields 可列出模板中可以使用的全部名称。"
    assert len(lines) == 3  # the verdict, what it was checked against, the hint: no name list unasked
    assert not (project / "output").exists()  # a check writes nothing


def test_fields_lists_the_names_with_their_meaning(project: Path) -> None:
    result = run_verb(project, "template-check", "--fields")
    assert result.exit_code == 0
    listed = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("  ")}
    for name in ("年度", "基本信息.单位全称", "财务.资产总额", "三公经费.本年决算.公务接待", "人员编制.‹类别›" if False else
                 "预算.执行率", "自评.总分", "项目[].项目名称"):
        assert name in listed, name
    assert "资产总额（万元）" in listed["财务.资产总额"]
    assert "预算执行率 = 决算支出 ÷ 全年预算数" in listed["预算.执行率"]


def test_the_sample_is_not_the_example() -> None:
    """The names of the schema filled by kind, plus the open names the template asks for."""
    ctx = sample_context(2024, ["人员编制.全额拨款事业编制.核定编制", "文字内容.自评组织", "概况数据.村", "机构.派驻机构.名单"])
    values = ctx.values
    assert values["基本信息"]["单位全称"] == "示例单位"
    assert values["财务"]["资产总额"] != 1813.15 and "郑家驿" not in repr(values)
    assert "全额拨款事业编制" in values["人员编制"] and "自评组织" in values["文字内容"]
    assert "村" in values["概况数据"] and "派驻机构" in values["机构"]


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_not_a_docx(project: Path, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    result = run_verb(project, "template-check", str(bad))
    assert result.exit_code == 1
    assert "不是有效的 Word（.docx）文件" in result.output
    assert "Traceback" not in result.output


def test_missing_template(project: Path) -> None:
    result = run_verb(project, "template-check", str(project / "nope.docx"))
    assert result.exit_code == 1
    assert "找不到报告模板" in result.output


# ------------------------------------------------------------------ names: the nearest one, both places


def test_misspelt_name_gets_the_nearest_with_its_paragraph(project: Path, tmp_path: Path) -> None:
    template = make_template(tmp_path / "t.docx", ["{{ 基本信息.单位全称 }}", "资产{{ 财务.资产合计|万元 }}万元",
                                                   "{{ finance.asets_total|wan }}"])
    result = run_verb(project, "template-check", str(template))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"模板 {template} 中发现 2 处问题："  # the verdict first
    problem = next(line for line in lines if "财务.资产合计" in line)
    assert problem.strip().startswith("模板第2段“资产{{ 财务.资产合计|万元 }}万元”用到“财务.资产合计”，但工作簿中没有")
    assert problem.endswith("是否应为“财务.资产总额”？")
    english = next(line for line in lines if "finance.asets_total" in line)
    assert "第3段" in english and english.endswith("是否应为“assets_total”？")  # an English name: the English one
    assert "Traceback" not in result.output


def test_against_the_units_own_workbook(county: Path) -> None:
    """With --unit: the unit's template, its own workbook; a value the template prints and the workbook leaves
    empty is named with both places; a staff row, text section or fact it lacks says where to add it."""
    own = county / "templates" / "某镇"
    own.mkdir()
    make_template(own / "report.docx", ["{{ 基本信息.单位全称 }}有司法所",
                                        "{{ 基本信息.填报人 }}",
                                        "{{ 人员编制.全额拨款事业编制.核定编制|个数 }}",
                                        "{% for 段 in 文字内容.自评组织 %}{{ 段.内容 }}{% endfor %}",
                                        "{{ 概况数据.村 }}"])
    result = run_verb(county, "template-check", "--unit", "某镇")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"模板 {own / 'report.docx'} 中发现 4 处问题：", result.output
    assert lines[1] == f"（名称按本单位工作簿（{county / 'data' / '某镇' / '2024.xlsx'}）核对，并试渲染。）"
    out = result.output
    assert "模板第2段“{{ 基本信息.填报人 }}”用到“基本信息.填报人”，但工作簿未填写：请填写 2024.xlsx › 基本信息 › B12。" in out
    assert "模板第3段" in out and "请在 2024.xlsx 的“人员编制”表增加这一类别的行，或核对名称。" in out
    assert "模板第4段" in out and "请在 2024.xlsx 的“文字内容”表增加这一栏目的段落，或核对名称。" in out
    assert "模板第5段" in out and "请在 2024.xlsx 的“概况数据”表增加这一项，或核对名称。" in out
    # the same template against the sample: the open names are taken as the template gives them
    result = run_verb(county, "template-check", str(own / "report.docx"))
    assert result.exit_code == 0, result.output
    # another unit without a template of its own: the default, against its workbook
    (county / "data" / "别镇").mkdir()
    shutil.copy(county / "data" / "某镇" / "2024.xlsx", county / "data" / "别镇" / "2024.xlsx")
    result = run_verb(county, "template-check", "--unit", "别镇")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(f"模板检查通过：{county / 'templates' / 'default' / 'report.docx'}")


def test_unit_without_workbook_is_named(county: Path) -> None:
    result = run_verb(county, "template-check", "--unit", "无此镇")
    assert result.exit_code == 1
    assert "无此镇" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ the linter, with places


def test_collects_every_problem_with_its_paragraph(tmp_path: Path) -> None:
    template = make_template(tmp_path / "bad.docx", [
        "{{ 基本信息.单位全称 }}",                                    # 1: fine
        "{%p for 段 in 文字内容.单位职责 %}",                           # 2
        "{{ 段.内容|万圆 }}",                                          # 3: unknown filter
        "{%p endfor %}",                                             # 4
        "{{ 基本信息.单位全称.__class__ }}",                            # 5: sandbox
        "金额{{ 财务.资产总额|万元",                                    # 6: unclosed tag
        "多余的 }} 括号",                                              # 7: stray close
        "{%p if 财务.上年结转 %}注意",                                  # 8: {%p with text (deleted with it)
        "{%p endif %}",                                              # 9
        "{%tr for 行 in 绩效指标.行 %}",                                # 10: {%tr outside a table, never closed
        "{{ 财务.资产总额|万元( }}",                                    # 11: Jinja syntax
        "{% include 'other.docx' %}",                                # 12: not supported
    ], header="{{ 基本信息.单位全称|万圆 }}")
    got = [(p.kind, p.where.split("“")[0], p.message) for p in problems_of(template)]
    expected = [
        ("unknown", "第3段", "未知过滤器“万圆”"),
        ("sandbox", "第5段", "不允许访问"),
        ("syntax", "第6段", "标签没有闭合"),
        ("syntax", "第7段", "多余的“}}”"),
        ("structure", "第8段", "此段还有文字“注意”"),
        ("structure", "第10段", "只能用在表格单元格中"),
        ("syntax", "第10段", "没有对应的 endfor"),
        ("syntax", "第11段", "写法有误"),
        ("structure", "第12段", "不支持引用其他模板"),
        ("unknown", "页眉（header1.xml）第1段", "未知过滤器“万圆”"),
    ]
    assert len(got) == len(expected), "\n".join(map(str, got))
    for (kind, where, message), (e_kind, e_where, e_text) in zip(got, expected):
        assert (kind, where) == (e_kind, e_where) and e_text in message, (kind, where, message)
    assert problems_of(template)[0].where == "第3段“{{ 段.内容|万圆 }}”"  # the place quotes the paragraph


def test_tag_split_over_runs_is_checked_as_one(tmp_path: Path) -> None:
    """Word saves a tag over several runs: it is checked (and named) as one tag."""
    shutil.copy(DEFAULT, tmp_path / "t.docx")
    doc = docx.Document(tmp_path / "t.docx")
    p = doc.add_paragraph()
    for piece in ("{{ 财务.资", "产总额|万", "元 }}与{{ 基本", "信息.单位全", "称|万圆 }}"):
        p.add_run(piece)
    doc.save(tmp_path / "t.docx")
    problems = problems_of(tmp_path / "t.docx")
    assert len(problems) == 1
    assert "未知过滤器“万圆”" in problems[0].message
    assert "{{ 财务.资产总额|万元 }}与{{ 基本信息.单位全称|万圆 }}" in problems[0].where


def test_removed_foreign_parts_are_warnings(project: Path, tmp_path: Path) -> None:
    """A field code that pulls in another file is removed from the report and listed; the verdict stays clean."""
    template = make_template(tmp_path / "t.docx", ["{{ 基本信息.单位全称 }}"])
    doc = docx.Document(template)
    p = doc.add_paragraph()
    p._p.append(parse_xml('<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                          'w:instr=\' INCLUDETEXT "C:\\\\机密\\\\名单.docx" \'><w:r><w:t>x</w:t></w:r></w:fldSimple>'))
    doc.save(template)
    result = run_verb(project, "template-check", str(template))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("模板检查通过：")
    header = lines.index("模板中的以下内容不属于报告本身，已删除，不会出现在生成的报告中：")
    assert "不允许的域代码" in lines[header + 1] and "INCLUDETEXT" in lines[header + 1]
