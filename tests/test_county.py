"""A county's units: each township its own workbook and, if it likes, its own template — in one run, no code change."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import docx
from click.testing import CliRunner

from generator.cli import main

from conftest import ROOT, set_field

FIRST, SECOND = "郑家驿镇", "茶庵铺镇"
SECOND_NAME = "桃源县茶庵铺镇人民政府"
OWN_PARAGRAPH = "{{ 基本信息.辖区名称 }}司法所承担人民调解、社区矫正和法治宣传工作，{{ 年度 }}年由{{ 基本信息.单位简称 }}统一保障运转。"


def county(tmp_path: Path) -> Path:
    """data/<unit>/2024.xlsx for two townships; templates/default and templates/茶庵铺镇 (its own wording)."""
    data = tmp_path / "data"
    for unit in (FIRST, SECOND):
        (data / unit).mkdir(parents=True)
        shutil.copy(ROOT / "data" / "2024.xlsx", data / unit / "2024.xlsx")
    second = data / SECOND / "2024.xlsx"
    set_field(second, "基本信息", "单位全称", SECOND_NAME)
    set_field(second, "基本信息", "单位简称", "茶庵铺镇政府")
    set_field(second, "基本信息", "辖区名称", SECOND)
    set_field(second, "财务", "资产总额", 2000.5)
    shutil.copytree(ROOT / "templates" / "default", tmp_path / "templates" / "default")
    own = tmp_path / "templates" / SECOND
    own.mkdir()
    doc = docx.Document(ROOT / "templates" / "default" / "report.docx")
    heading = next(p for p in doc.paragraphs if p.text == "一、单位概况")
    heading.runs[0].text = "一、部门概况"
    for run in heading.runs[1:]:
        run.text = ""
    staff = next(p for p in doc.paragraphs if p.text.startswith("人员构成："))
    new = copy.deepcopy(staff._p)  # same style and run formatting as the paragraph before
    staff._p.addnext(new)
    paragraph = docx.text.paragraph.Paragraph(new, staff._parent)
    paragraph.runs[0].text = OWN_PARAGRAPH
    for run in paragraph.runs[1:]:
        run.text = ""
    doc.save(own / "report.docx")
    return tmp_path


def report_text(path: Path) -> list[str]:
    return [p.text for p in docx.Document(path).paragraphs]


def test_each_township_gets_its_own_wording_in_one_run(tmp_path: Path):
    root = county(tmp_path)
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(root / "data"), "--templates",
                                       str(root / "templates"), "--out", str(root / "output"), "--jobs", "2"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = root / "output" / "2024" / FIRST / "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"
    second = root / "output" / "2024" / SECOND / f"2024年度{SECOND_NAME}整体支出绩效自评报告.docx"
    assert first.is_file() and second.is_file()
    a, b = report_text(first), report_text(second)
    # the first keeps the default wording
    assert "一、单位概况" in a and "一、部门概况" not in a
    assert not any("司法所承担" in t for t in a)
    assert any(t.startswith("2024年12月31日单位资产总额1813.15万元") for t in a)
    # the second has its own heading and its own paragraph, filled with its own data, right after 人员构成
    assert "一、部门概况" in b and "一、单位概况" not in b
    own = "茶庵铺镇司法所承担人民调解、社区矫正和法治宣传工作，2024年由茶庵铺镇政府统一保障运转。"
    assert own in b
    assert b[b.index(own) - 1].startswith("人员构成：截止2024年12月底，茶庵铺镇核定编制81个")
    assert docx.Document(second).paragraphs[b.index(own)].style.name == "正文"
    assert any(t.startswith("2024年12月31日单位资产总额2000.50万元") for t in b)
    assert f"单位名称：{SECOND_NAME}" in b
    # everything else is the same report
    assert b.index("二、部门财务情况") == a.index("二、部门财务情况") + 1


def test_township_template_passes_the_check(tmp_path: Path):
    root = county(tmp_path)
    result = CliRunner().invoke(main, ["template-check", "--year", "2024", "--data", str(root / "data"), "--templates",
                                       str(root / "templates"), "--unit", SECOND],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"模板检查通过：{root / 'templates' / SECOND / 'report.docx'}")
    assert str(root / "data" / SECOND / "2024.xlsx") in lines[1]  # checked against the unit's own workbook


def test_county_guide_uses_only_real_options():
    """Every ``generate`` command in the guide uses options the CLI has, and the guide covers each task."""
    guide = (ROOT / "docs" / "county-guide.md").read_text("utf-8")
    commands = [line.strip() for line in guide.splitlines() if line.strip().startswith("generate ")]
    assert len(commands) >= 6
    used = set()
    for command in commands:
        words = command.split()
        verb = words[1] if words[1] in main.commands else "report"
        declared = {opt for param in main.commands[verb].params if not getattr(param, "hidden", False)
                    for opt in param.opts}
        for option in re.findall(r"(?<!\S)(--[a-z-]+)", command):
            assert option in declared, (option, command)
            used.add((verb, option))
    assert {("report", "--year"), ("report", "--unit"), ("init", "--year"), ("new-unit", "--year"),
            ("template-check", "--unit"), ("check", "--year"), ("report", "--jobs"), ("report", "--data"),
            ("report", "--pdf"), ("report", "--pdf-tables")} <= used
    for topic in ("templates/", "report.docx", "汇总", "docs/fields.md", "2025.xlsx", "模板字段", "文字内容.自评组织",
                  "概况数据", "“上级”", "机构.派驻机构", "-审核.xlsx", ".generated.json", "--wait", "--force"):
        assert topic in guide, topic


def test_county_guide_examples_render(tmp_path: Path):
    """The guide's template lines, pasted into a unit's template, render with a workbook filled as it says."""
    import openpyxl

    guide = (ROOT / "docs" / "county-guide.md").read_text("utf-8")
    blocks = re.findall(r"```text\n(.*?)```", guide, flags=re.S)
    lines = [line for block in blocks for line in block.splitlines() if "{{" in line or "{%" in line]
    assert len(lines) >= 7
    (tmp_path / "data" / "热市镇").mkdir(parents=True)
    workbook = tmp_path / "data" / "热市镇" / "2024.xlsx"
    shutil.copy(ROOT / "data" / "2024.xlsx", workbook)
    wb = openpyxl.load_workbook(workbook)
    ws = wb["概况数据"]
    ws["A3"], ws["B3"], ws["C3"] = "村", 31, "个"
    ws["A4"], ws["B4"], ws["C4"] = "社区", 2, "个"
    ws["A5"], ws["B5"], ws["C5"] = "覆盖率", 0.955, None
    ws["B5"].number_format = "0.0%"
    ws = wb["文字内容"]
    row = max(c.row for c in ws["A"] if c.value) + 1
    ws.cell(row, 1, "自评组织")
    ws.cell(row, 3, "镇成立自评工作领导小组，辖{概况数据.村}村。")
    ws = wb["机构"]
    row = max(c.row for c in ws["A"] if c.value) + 1
    for k, name in enumerate(("财政所", "司法所")):
        ws.cell(row + k, 1, "派驻机构")
        ws.cell(row + k, 2, name)
    wb.save(workbook)
    shutil.copytree(ROOT / "templates" / "default", tmp_path / "templates" / "default")
    (tmp_path / "templates" / "热市镇").mkdir()
    doc = docx.Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(tmp_path / "templates" / "热市镇" / "report.docx")
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(tmp_path / "data"), "--templates",
                                       str(tmp_path / "templates"), "--out", str(tmp_path / "output"), "--unit",
                                       "热市镇"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not list((tmp_path / "output" / "2024").glob("*.docx"))  # in the unit's own folder
    text = report_text(next((tmp_path / "output" / "2024" / "热市镇").glob("*.docx")))
    assert "郑家驿镇司法所承担人民调解、社区矫正和法治宣传工作，2024年由郑家驿镇政府统一保障运转。" in text
    assert "2024年12月31日单位资产总额1813.15万元。" in text
    assert "1.镇成立自评工作领导小组，辖31个村。" in text
    assert "派驻机构2个：财政所和司法所；下设机构3中心1站1队。" in text
    assert any(t.startswith("农业综合服务中心") and "名、" in t for t in text)
    # the guide's part 7: arithmetic on names, a loop over 下级, a percentage typed in 概况数据
    assert "基本支出占决算支出的50.87%。" in text  # 1437.78 / 2826.23
    assert "比年初预算增加-421.76万元。" in text  # 2826.23 − 3247.99
    assert "辖33个村（社区）。" in text  # 31 + 2
    assert "共5个下属单位。" in text
    assert "农村自来水覆盖率95.5%。" in text  # typed 95.5% in a 0.0% cell (stored 0.955)
