"""Onboarding a township with the CLI only (issue 12 item 8): --new-unit → fill the workbook → --template-check
--unit → --check → generate. The workbook is filled here with openpyxl, as a clerk fills it in Excel."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from conftest import ROOT, run_verb
from generator import schema
from generator.cli import main
from generator.commands.newyear import new_unit
from generator.errors import UserError

UNIT = "热市镇"
NAME = "桃源县热市镇人民政府"
YELLOW, ORANGE = "00FFF2CC", "00F8CBAD"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(root / "data"), "--templates",
                                     str(root / "templates"), "--out", str(root / "output"), *args],
                              catch_exceptions=False)


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """A county folder with one unit already there, and the default template."""
    (tmp_path / "data" / "郑家驿镇").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "2024.xlsx", tmp_path / "data" / "郑家驿镇" / "2024.xlsx")
    shutil.copytree(ROOT / "templates" / "default", tmp_path / "templates" / "default")
    return tmp_path


# ------------------------------------------------------------------ filling, as a clerk does

BASIC = {"单位全称": NAME, "单位简称": "热市镇政府", "辖区名称": UNIT, "单位性质及级别": "正科级行政机关",
         "办公地址": "桃源县热市镇温泉路8号", "报告日期": dt.datetime(2025, 8, 20), "主管部门": NAME,
         "填报人": "李会计", "联系电话": "0736-6611234", "审核人": "王所长"}
FINANCE = {"资产总额": 1200.5, "流动资产": 800.25, "非流动资产": 400.25, "负债总额": 300, "净资产总额": 900.5,
           "年初预算收入": 2000, "决算收入": 2100, "一般公共预算拨款": 2000, "政府性基金预算财政拨款收入": 50,
           "国有资本经营预算财政拨款收入": 0, "纳入专户管理的非税收入拨款": 20, "其他收入": 30, "上年结转": 100,
           "年初预算支出": 2000, "年初预算基本支出": 1000, "年初预算项目支出": 1000, "全年预算数": 2200,
           "决算支出": 2100, "决算基本支出": 1050, "决算项目支出": 1050, "年末结转结余": 100,
           "上年项目支出决算数": 900}
ORGS = [("内设机构", "党政办公室", 3), ("内设机构", "经济发展办公室", None), ("内设机构", "社会事务办公室", None),
        ("下设机构", "热市镇农业综合服务中心", None), ("下设机构", "热市镇退役军人服务站", None)]
STAFF = [("合计", None, None, 40, 38), ("行政编制", "合计", None, 20, 19), ("机关工勤", "合计", None, 2, 2),
         ("事业编制", "合计", None, 18, 17), ("财政所", None, None, 4, 4),
         ("热市镇农业综合服务中心", "事业编制", "下属单位", 12, 11), ("热市镇退役军人服务站", "事业编制", "下属单位", 6, 6)]
SANGONG = {"合计": (50000, 50000, 42000), "公务用车购置和维护经费": (20000, 20000, 18000),
           "其中：公车购置": (0, 0, 0), "其中：公车运行维护": (20000, 20000, 18000), "出国经费": (0, 0, 0),
           "公务接待": (30000, 30000, 24000)}
BASE = {"公用经费": (100, 110, 105), "其中：办公经费": (30, 30, 28), "其中：水费、电费、差旅费": (10, 10, 9),
        "其中：会议费、培训费": (3, 3, 2), "政府采购金额": (60, 70, 65)}
INDICATORS = [  # 一级, 二级, 三级, 比较, 指标值, 完成值, 单位, 分值
    ("产出指标", "数量指标", "温泉片区道路维修", "≥", 8, 8, "公里", 20),
    ("产出指标", "质量指标", "工程验收合格率", "≥", 1, 1, "%", 15),
    ("产出指标", "时效指标", "项目按期完工率", "≥", 0.95, 0.96, "%", 15),
    ("效益指标", "社会效益指标", "群众办事便利度", None, "提升", "提升", None, 30),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥", 0.9, 0.93, "%", 10),
]
PROJECT = ("温泉片区道路维修项目", NAME, NAME, 900, 1000, 0, 0, 1100, 0, 0, 1050, 0, 0, "维修道路8公里", "完成维修8公里")
PROJECT_INDICATORS = [("温泉片区道路维修项目", "产出指标", "数量指标", "维修道路长度", "≥", 8, 8, "公里", 50),
                      ("温泉片区道路维修项目", "效益指标", "社会效益指标", "通行条件改善", None, "改善", "改善", None, 30),
                      ("温泉片区道路维修项目", "满意度指标", "服务对象满意度指标", "沿线群众满意度", "≥", 0.9, 0.92, "%", 10)]
TEXTS = [("单位职责", None, "热市镇负责温泉旅游片区的公共服务和基层治理。"),
         ("单位职责", None, "热市镇统筹辖区乡村振兴与民生保障。"),
         ("绩效总目标", None, "完成温泉片区道路维修。"),
         ("绩效总目标", None, "群众满意度达到90%以上。"),
         ("总体目标完成情况", None, "全年预算执行率{执行率}，道路维修全部完成。"),
         ("三公经费说明", None, "热市镇严控公务接待。"),
         ("评价工作情况", None, "热市镇成立自评小组逐项打分。"),
         ("效益完成情况", "温泉旅游", "游客接待量稳步增长。"),
         ("存在问题", "预算编制", "年初预算偏紧。"),
         ("原因分析", "项目增加", "年中新增维修任务。"),
         ("改进措施", "细化预算", "提前谋划项目。"),
         ("有关建议", None, "建议上级加大温泉片区投入。")]


def label_rows(ws) -> dict[str, int]:
    return {str(c.value): c.row for c in ws["A"] if c.value is not None and c.row >= schema.FIRST_DATA_ROW}


def put_rows(ws, rows) -> None:
    for i, values in enumerate(rows):
        for j, value in enumerate(values, start=1):
            if value is not None:
                ws.cell(row=schema.FIRST_DATA_ROW + i, column=j, value=value)


def fill(workbook: Path) -> None:
    wb = openpyxl.load_workbook(workbook)
    for sheet, values in (("基本信息", BASIC), ("财务", FINANCE)):
        ws = wb[sheet]
        rows = label_rows(ws)
        for label, value in values.items():
            ws.cell(row=rows[label], column=2, value=value)
    for sheet, values in (("三公经费", SANGONG), ("基础数据", BASE)):
        ws = wb[sheet]
        rows = label_rows(ws)
        for label, triple in values.items():
            for j, value in enumerate(triple, start=2):
                ws.cell(row=rows[label], column=j, value=value)
    put_rows(wb["机构"], ORGS)
    put_rows(wb["人员编制"], STAFF)
    put_rows(wb["绩效指标"], INDICATORS)
    put_rows(wb["项目"], [PROJECT])
    put_rows(wb["项目指标"], PROJECT_INDICATORS)
    put_rows(wb["文字内容"], TEXTS)
    for ws in (wb["绩效指标"], wb["项目指标"]):  # percentages typed as Excel percentages
        for row in ws.iter_rows(min_row=schema.FIRST_DATA_ROW):
            unit = next(c for c in row if c.column_letter == ("G" if ws.title == "绩效指标" else "H"))
            if unit.value == "%":
                for c in row:
                    if isinstance(c.value, (int, float)) and c.column_letter in ("E", "F", "F", "G"):
                        c.number_format = "0%"
    wb.save(workbook)


# ------------------------------------------------------------------ the tests


def test_new_unit_writes_a_blank_workbook_and_a_template(county: Path) -> None:
    result = run_verb(county, "new-unit", UNIT)
    assert result.exit_code == 0, result.output
    workbook = county / "data" / UNIT / "2024.xlsx"
    template = county / "templates" / UNIT / "report.docx"
    assert (template.read_bytes() == (county / "templates" / "default" / "report.docx").read_bytes())
    out = result.output
    assert f"已新建单位“{UNIT}”" in out and str(workbook) in out and str(template) in out
    options = f"--data {county / 'data'} --templates {county / 'templates'}"
    steps = (f"generate template-check --year 2024 --unit {UNIT} {options}",
             f"generate check --year 2024 --unit {UNIT} {options}",
             f"generate --year 2024 --unit {UNIT} {options} --out {county / 'output'}")
    for step in steps:
        assert step in out, step
    for step in steps[:2]:  # the steps run as printed: refused for the blank workbook's content, not for their words
        ran = CliRunner().invoke(main, shlex.split(step)[1:])
        assert ran.exit_code == 1, ran.output
    wb = openpyxl.load_workbook(workbook)
    basic = wb["基本信息"]
    rows = label_rows(basic)
    assert basic.cell(row=rows["单位全称"], column=2).value == UNIT
    assert basic.cell(row=rows["年度"], column=2).value == 2024
    # nothing of the example: every input cell but the two is empty, and no sheet holds a row of data
    for ws in wb.worksheets:
        if ws.title in (schema.INSTRUCTIONS_SHEET, schema.FIELDS_SHEET):
            continue
        sheet = schema.SHEETS_BY_NAME[ws.title]
        for row in ws.iter_rows(min_row=schema.FIRST_DATA_ROW):
            for c in row:
                if c.fill.fgColor.rgb in (YELLOW, ORANGE) and c.value is not None:
                    assert (ws.title, c.coordinate) in (("基本信息", f"B{rows['年度']}"),
                                                        ("基本信息", f"B{rows['单位全称']}")), (ws.title, c.value)
        # every input cell is marked: a field sheet's values, a grid's cells, a table's rows
        if sheet.kind == "fields":
            cells = [ws.cell(row=schema.FIRST_DATA_ROW + i, column=2) for i in range(len(sheet.fields))]
        elif sheet.kind == "grid":
            cells = [ws.cell(row=schema.FIRST_DATA_ROW + i, column=2 + j) for i in range(len(sheet.rows))
                     for j in range(len(sheet.columns))]
        else:
            cells = [ws.cell(row=schema.FIRST_DATA_ROW + i, column=1 + j) for i in range(50)
                     for j in range(len(sheet.columns))]
        assert all(c.fill.fgColor.rgb in (YELLOW, ORANGE) and not c.protection.locked for c in cells), ws.title
    text = " ".join(str(c.value) for ws in wb.worksheets if ws.title != schema.INSTRUCTIONS_SHEET
                    for row in ws.iter_rows(min_row=schema.FIRST_DATA_ROW) for c in row
                    if c.value is not None and c.column_letter in "AB" and c.fill.fgColor.rgb != "00D9D9D9")
    assert "郑家驿" not in text and "1813.15" not in text


def test_new_unit_never_overwrites(county: Path) -> None:
    assert run_verb(county, "new-unit", UNIT).exit_code == 0
    workbook = county / "data" / UNIT / "2024.xlsx"
    workbook.write_bytes(b"the clerk's own")
    result = run_verb(county, "new-unit", UNIT)
    assert result.exit_code == 1
    assert f"{workbook} 已存在，未覆盖。generate new-unit 只新建，从不覆盖已有的文件。" in result.output
    assert workbook.read_bytes() == b"the clerk's own"
    (county / "data" / "乙镇").mkdir()
    template = county / "templates" / "乙镇" / "report.docx"
    template.parent.mkdir()
    template.write_bytes(b"own template")
    result = run_verb(county, "new-unit", "乙镇")
    assert result.exit_code == 1 and f"{template} 已存在，未覆盖" in result.output
    assert template.read_bytes() == b"own template" and not (county / "data" / "乙镇" / "2024.xlsx").exists()
    assert sorted(p.name for p in (county / "data" / UNIT).iterdir()) == ["2024.xlsx"]  # no temporary left


def test_init_without_last_years_workbook_points_to_new_unit(county: Path) -> None:
    (county / "data" / "新镇").mkdir()
    result = run_verb(county, "init", "--unit", "新镇")
    assert result.exit_code == 1
    assert "新单位请改用 generate new-unit 新镇 --year 2024。" in result.output


def test_onboarding_from_the_cli_only(county: Path) -> None:
    assert run_verb(county, "new-unit", UNIT).exit_code == 0
    workbook = county / "data" / UNIT / "2024.xlsx"
    # before filling: the template check names what the template needs, with the cell to fill
    result = run_verb(county, "template-check", "--unit", UNIT)
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"模板 {county / 'templates' / UNIT / 'report.docx'} 中发现")
    assert "用到“财务.资产总额”，但工作簿未填写：请填写 2024.xlsx › 财务 › B3。" in result.output
    fill(workbook)
    result = run_verb(county, "template-check", "--unit", UNIT)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("模板检查通过：")
    result = run_verb(county, "check", "--unit", UNIT)
    assert result.exit_code == 0, result.output
    assert "审核通过：2024.xlsx 中未发现前后矛盾的数字。" in result.output
    assert not (county / "output").exists()
    result = run(county, "--unit", UNIT)
    assert result.exit_code == 0, result.output
    report = county / "output" / "2024" / UNIT / f"2024年度{NAME}整体支出绩效自评报告.docx"  # its own folder
    document = docx.Document(report)
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "郑家驿" not in body + cells  # nothing of the example
    for text in ("热市镇负责温泉旅游片区的公共服务和基层治理。", "建议上级加大温泉片区投入。", "年初预算偏紧。",
                 "资产总额1200.50万元", "2025年8月20日"):
        assert text in body, text
    for text in ("温泉片区道路维修", "温泉片区道路维修项目", "热市镇农业综合服务中心",
                 "全年预算执行率95.45%，道路维修全部完成。"):  # 2100 / 2200, in 附件2's 实际完成情况
        assert text in body + cells, text
    # the audit list names the clerk and the reviewer
    audit = report.with_name(report.stem + "-审核.md").read_text("utf-8")
    assert "李会计" in audit and "0736-6611234" in audit and "王所长" in audit
    # the county run now makes both units
    result = run(county)
    assert "热市镇：已生成" in result.output and "郑家驿镇：已生成" in result.output


# ------------------------------------------------------------------ from nothing; both files or neither


def test_the_package_ships_the_default_template() -> None:
    shipped = ROOT / "generator" / "default_template" / "report.docx"
    assert shipped.read_bytes() == (ROOT / "templates" / "default" / "report.docx").read_bytes()


def test_new_unit_in_an_empty_county_folder(tmp_path: Path) -> None:
    """No data/, no templates/: the template is the package's default, the next steps carry the folders given."""
    lines = new_unit(2024, UNIT, tmp_path / "d", tmp_path / "t", tmp_path / "o")
    workbook, template = tmp_path / "d" / UNIT / "2024.xlsx", tmp_path / "t" / UNIT / "report.docx"
    assert template.read_bytes() == (ROOT / "templates" / "default" / "report.docx").read_bytes()
    assert openpyxl.load_workbook(workbook)["基本信息"]["B4"].value == UNIT
    options = f"--data {tmp_path / 'd'} --templates {tmp_path / 't'}"
    assert f"  2. generate template-check --year 2024 --unit {UNIT} {options}   检查模板" in lines
    assert f"  4. generate --year 2024 --unit {UNIT} {options} --out {tmp_path / 'o'}                  生成报告" in lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "t"]  # nothing in the output folder yet


def test_a_fresh_workbook_only(county: Path) -> None:
    assert run(county, "--new-unit", UNIT).exit_code == 0
    template = county / "templates" / UNIT / "report.docx"
    template.write_bytes(b"the clerk's template")
    with pytest.raises(UserError) as exc:  # an existing workbook is never overwritten
        new_unit(2024, UNIT, county / "data", county / "templates", workbook_only=True)
    assert str(county / "data" / UNIT / "2024.xlsx") + " 已存在，未覆盖。" in exc.value.render()
    lines = new_unit(2025, UNIT, county / "data", county / "templates", workbook_only=True)
    assert lines[0] == (f"已为单位“{UNIT}”新建空白工作簿：{county / 'data' / UNIT / '2025.xlsx'}（只填好了年度和单位全称；"
                        f"模板 {template} 未改动）")
    assert openpyxl.load_workbook(county / "data" / UNIT / "2025.xlsx")["基本信息"]["B3"].value == 2025
    assert template.read_bytes() == b"the clerk's template"


@pytest.mark.parametrize("name, expected", [
    ("~$x", "单位名称“~$x”以“.”或“~$”开头，或含有不可见字符，这样的文件夹会被当作隐藏或临时文件而被跳过，请改名。"),
    ("CON", "单位名称“CON”是系统保留名（CON、PRN、AUX、NUL、COM1、LPT1 等，或 default），不能用作文件夹名，请改名。"),
    ("甲" * 70, f"单位名称“{'甲' * 20}…”过长（最多 60 个字，且不超过 255 字节），请用简称作文件夹名。"),
    ("a/b", "单位名称“a/b”含有路径符号（\\ / : * ? \" < > |）或控制字符，不能用作文件夹名，请改名。"),
])
def test_names_no_folder_takes(county: Path, name: str, expected: str) -> None:
    before = sorted(str(p) for p in county.rglob("*"))
    result = run(county, "--new-unit", name)
    assert result.exit_code == 1 and expected in result.output, result.output
    assert sorted(str(p) for p in county.rglob("*")) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("folder", ["data", "templates"])
def test_a_read_only_folder_makes_neither_file(county: Path, folder: str) -> None:
    before = sorted(str(p) for p in county.rglob("*"))
    (county / folder).chmod(0o555)
    try:
        result = run(county, "--new-unit", UNIT)
    finally:
        (county / folder).chmod(0o755)
    assert result.exit_code == 1
    assert f"无法写入 {county / folder / UNIT}（Permission denied）。请检查该文件夹是否存在、是否只读、磁盘是否已满。" \
        f"未新建任何文件。" in result.output
    assert sorted(str(p) for p in county.rglob("*")) == before  # both files or neither


def test_a_templates_folder_that_is_a_file_makes_neither(county: Path) -> None:
    """(The read-only case, as root can run it: the template cannot be written after the workbook was.)"""
    shutil.rmtree(county / "templates")
    (county / "templates").write_bytes(b"not a folder")
    before = sorted(str(p) for p in county.rglob("*"))
    result = run(county, "--new-unit", UNIT)
    assert result.exit_code == 1
    assert f"无法写入 {county / 'templates'}" in result.output and "未新建任何文件。" in result.output
    assert sorted(str(p) for p in county.rglob("*")) == before


def test_a_folder_without_templates_uses_the_packages_default_template(tmp_path: Path) -> None:
    """No templates/ at all (a folder set up from nothing): the report is written through the shipped default."""
    (tmp_path / "data").mkdir()
    shutil.copyfile(ROOT / "data" / "2024.xlsx", tmp_path / "data" / "2024.xlsx")
    args = ["--year", "2024", "--data", str(tmp_path / "data"), "--templates", str(tmp_path / "templates"),
            "--out", str(tmp_path / "output")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = tmp_path / "output" / "2024" / "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"
    text = "\n".join(p.text for p in docx.Document(report).paragraphs)
    assert "1813.15万元" in text  # 财务 › 资产总额 of the example, through the shipped template
    assert not (tmp_path / "templates").exists()  # nothing written into the templates folder
