"""``generate --template-check``: every unknown variable, broken tag and sandbox violation, with its paragraph."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.template_check import check_template

from conftest import ROOT

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


def test_default_template_is_clean_and_variables_are_listed(project: Path):
    result = run(project, "--template-check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"使用模板：{project / 'templates' / 'default' / 'report.docx'}"
    assert lines[-1].startswith("模板检查通过")
    listed = {line.split()[0] for line in lines if line.startswith("  ")}
    for path in ("year", "unit.name", "finance.assets_total", "texts.duties[].text", "indicators.rows[].l1_first",
                 "sangong.prev_actual.total", "projects[].funds.total.exec", "score.total"):
        assert path in listed
    assert "wan、yuan" in result.output  # the filters
    assert not (project / "output").exists()  # a check writes nothing


def test_collects_every_problem_with_its_paragraph(tmp_path: Path):
    template = make_template(tmp_path / "bad.docx", [
        "{{ unit.nam }}与{{ yeer }}",                                   # 1: two unknown names in one paragraph
        "{%p for d in texts.duties %}",                                 # 2
        "{{ d.txt }}{{ d.text|wann }}",                                 # 3: loop item attribute, unknown filter
        "{%p endfor %}",                                                # 4
        "{{ unit.name.__class__ }}",                                    # 5: sandbox
        "金额{{ finance.assets_total|wan",                              # 6: unclosed tag
        "多余的 }} 括号",                                               # 7: stray close
        "{%p if finance.carry_in %}注意",                               # 8: {%p with text (deleted with it)
        "{%p endif %}",                                                 # 9
        "{%tr for row in indicators.rows %}",                           # 10: {%tr outside a table, never closed
        "{% for s in staff.subunits %}{{ s.nme }}{% endfor %}",         # 11: inline loop item
        "{{ finance.assets_total|wan( }}",                              # 12: Jinja syntax
        "{% include 'other.docx' %}",                                   # 13: not supported
    ], cells=[["{% vmerge row.l1_frst %}{{ row.level1 }}"]], header="{{ unit.nm }}")
    result = check_template(template)
    assert not result.ok and not result.rendered
    got = [(p.kind, p.where.split("“")[0], p.message) for p in result.problems]
    expected = [
        ("unknown", "第1段", "未知变量“unit.nam”"),
        ("unknown", "第1段", "未知变量“yeer”"),
        ("unknown", "第3段", "未知变量“d.txt”"),
        ("unknown", "第3段", "未知过滤器“wann”"),
        ("sandbox", "第5段", "不允许访问“unit.name.__class__”"),
        ("syntax", "第6段", "标签没有闭合"),
        ("syntax", "第7段", "多余的“}}”"),
        ("structure", "第8段", "此段还有文字“注意”"),
        ("structure", "第10段", "只能用在表格单元格中"),
        ("syntax", "第10段", "没有对应的 endfor"),
        ("unknown", "第11段", "未知变量“s.nme”"),
        ("syntax", "第12段", "写法有误"),
        ("structure", "第13段", "不支持引用其他模板"),
        ("unknown", "第14段", "未知变量“row.l1_frst”"),
        ("unknown", "页眉（header1.xml）第1段", "未知变量“unit.nm”"),
    ]
    assert len(got) == len(expected), "\n".join(map(str, result.problems))
    for (kind, where, message), (e_kind, e_where, e_text) in zip(got, expected):
        assert (kind, where) == (e_kind, e_where) and e_text in message, (kind, where, message)
    # hints name what was meant, and what a loop item holds
    messages = "\n".join(p.message for p in result.problems)
    assert "是否应为“name”" in messages and "是否应为“year”" in messages
    assert "d（texts.duties 中的一项）中没有“txt”" in messages and "可用：title、text" in messages
    assert "是否应为“l1_first”" in messages
    # the location quotes the paragraph's text
    assert result.problems[0].where == "第1段“{{ unit.nam }}与{{ yeer }}”"


def test_cli_reports_problems_and_exits_1(project: Path, tmp_path: Path):
    template = make_template(tmp_path / "t.docx", ["{{ unit.name }}", "{{ finance.asets_total|wan }}"])
    result = run(project, "--template-check", str(template))
    assert result.exit_code == 1
    assert "模板 " in result.output and "中发现 1 处问题" in result.output
    assert "第2段“{{ finance.asets_total|wan }}”：未知变量“finance.asets_total”" in result.output
    assert "是否应为“assets_total”" in result.output
    assert "Traceback" not in result.output


def test_clean_static_but_failing_render_is_reported(tmp_path: Path):
    template = make_template(tmp_path / "t.docx", ["{{ unit.name|wan }}"])  # text through a money filter
    result = check_template(template)
    assert not result.ok
    assert [p.kind for p in result.problems] == ["render"]
    assert result.problems[0].where == "试渲染"


def test_scopes_follow_jinja(tmp_path: Path):
    """Loop variables end with their loop; ``set`` in an ``if`` stays, in a ``for`` it does not."""
    template = make_template(tmp_path / "t.docx", [
        "{% for g in indicators.groups %}{{ g.name }}{% for g2 in g.groups %}{{ g2.target_sentence }}"
        "{% for e in g2.entries %}{{ e.target_text }}{{ loop.index|circled }}{% endfor %}{% endfor %}{% endfor %}",
        "{{ g.name }}",                                          # 2: g no longer defined
        "{% if year %}{% set a = unit %}{% endif %}{{ a.name }}",
        "{% for x in orgs.internal %}{% set b = unit %}{% endfor %}{{ b }}",   # 4: b is gone
        "{{ indicators.rows|selectattr('met')|map(attribute='name')|join('、') }}",
        "{{ (indicators.unmet|first).reason }}{{ indicators.rows[0].nam }}",    # 6
        "{{ unit.name.replace('桃源县', '') }}{{ unit.report_date.year }}{{ orgs.internal|length }}",
    ])
    result = check_template(template)
    got = [(p.where.split("“")[0], p.message.split("：")[0].split("。")[0]) for p in result.problems]
    assert got == [("第2段", "未知变量“g”"), ("第4段", "未知变量“b”"), ("第6段", "未知变量“indicators.rows[0].nam”")]
    assert "indicators.rows[0]（indicators.rows 中的一项）中没有“nam”" in result.problems[2].message


def test_unit_template_is_resolved_and_printed(project: Path, tmp_path: Path):
    own = project / "templates" / "某镇"
    own.mkdir()
    make_template(own / "report.docx", ["{{ unit.name }}有司法所", "{{ unit.bogus }}"])
    result = run(project, "--unit", "某镇", "--template-check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"使用模板：{own / 'report.docx'}"
    assert "第2段“{{ unit.bogus }}”：未知变量“unit.bogus”" in result.output
    # another unit has no template of its own: the default is checked
    result = run(project, "--unit", "别镇", "--template-check")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].endswith(str(Path("default") / "report.docx"))


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04broken"])
def test_not_a_docx(project: Path, tmp_path: Path, content: bytes):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    result = run(project, "--template-check", str(bad))
    assert result.exit_code == 1
    assert "不是有效的 Word（.docx）文件" in result.output
    assert "Traceback" not in result.output


def test_missing_template(project: Path):
    result = run(project, "--template-check", str(project / "nope.docx"))
    assert result.exit_code == 1
    assert "找不到报告模板" in result.output


def test_default_template_edited_in_word_style_split_runs(tmp_path: Path):
    """A tag split over several runs (as Word saves it) is checked as one tag."""
    shutil.copy(DEFAULT, tmp_path / "t.docx")
    doc = docx.Document(tmp_path / "t.docx")
    p = doc.add_paragraph()
    for piece in ("{{ fin", "ance.assets_tot", "al|wan }}", "与{{ unit.", "nmae }}"):
        p.add_run(piece)
    doc.save(tmp_path / "t.docx")
    result = check_template(tmp_path / "t.docx")
    assert len(result.problems) == 1
    assert "未知变量“unit.nmae”" in result.problems[0].message
    assert "{{ finance.assets_total|wan }}与{{ unit.nmae }}" in result.problems[0].where


def test_attribute_of_a_plain_value_is_named_not_an_internal_error(tmp_path: Path):
    """``{{ budget.full_year.foo }}``: a figure has no fields; the check says so at the paragraph."""
    template = make_template(tmp_path / "value.docx", ["正文", "{{ budget.full_year.foo }}"])
    problems = [str(p) for p in check_template(template).problems]
    assert any("第2段" in p and "budget.full_year.foo" in p and "它是一个值，没有下一级" in p for p in problems), problems
