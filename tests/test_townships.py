"""Any township, from its workbook and its Word template alone (issue 12).

Three made-up townships, each with a workbook written here with openpyxl (as a
clerk fills one: only what its report uses) and a template written here with
python-docx in its own words and outline, are generated in one county run beside
the example (郑家驿镇). For each: every sentence the test expects appears in the
report, every value typed into the workbook shows in the report or its tables
(no placeholder data), and the Excel copy holds exactly the template's forms.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.enum.section import WD_SECTION

from conftest import ROOT
from generator.cli import main

YEAR = 2024


def _fields(wb, name: str, values: dict) -> None:
    ws = wb.create_sheet(name)
    ws["A1"] = name
    ws["A2"], ws["B2"] = "项目", "内容"
    for r, (label, value) in enumerate(values.items(), start=3):
        ws.cell(r, 1, label)
        ws.cell(r, 2, value)


def _table(wb, name: str, headers: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(name)
    ws["A1"] = name
    for j, h in enumerate(headers, start=1):
        ws.cell(2, j, h)
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j, v)
            if isinstance(v, float) and 0 < v <= 1.5 and headers[j - 1] in ("年度指标值", "实际完成值"):
                ws.cell(i, j).number_format = "0%"


def _workbook(path: Path, sheets: list[tuple]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for kind, name, *rest in sheets:
        (_fields if kind == "fields" else _table)(wb, name, *rest)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


INDICATOR_HEADERS = ["一级指标", "二级指标", "三级指标", "比较", "年度指标值", "实际完成值", "单位", "分值"]


def _template(path: Path, paragraphs: list[tuple[str, str]], forms: list[tuple] = ()) -> None:
    """(style, text) paragraphs; forms: (marker, title, header cells, loop, row cells, total cells)."""
    d = docx.Document()
    for style, text in paragraphs:
        d.add_paragraph(text, style=style)
    for marker, title, header, loop, row, total in forms:
        d.add_section(WD_SECTION.NEW_PAGE)
        d.add_paragraph(marker)
        d.add_paragraph(title)
        table = d.add_table(rows=0, cols=len(header))
        for cells in (header, [f"{{%tr for {loop} %}}"] + [""] * (len(header) - 1), row,
                      ["{%tr endfor %}"] + [""] * (len(header) - 1), total):
            r = table.add_row()
            for c, text in zip(r.cells, cells):
                c.text = text
        d.add_paragraph("注：得分按财预〔2020〕10号规则计算。")
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(path)


# ------------------------------------------------------------------ 1. same county, other wording

SAME_COUNTY = "茶庵铺镇"


def same_county(data: Path, templates: Path) -> None:
    _workbook(data / SAME_COUNTY / f"{YEAR}.xlsx", [
        ("fields", "基本信息", {"年度": YEAR, "单位全称": "桃源县茶庵铺镇人民政府", "单位简称": "茶庵铺镇",
                                "报告日期": dt.datetime(2025, 9, 10), "报告标题": "部门整体支出绩效自评报告"}),
        ("table", "机构", ["分组", "名称"], [["内设机构", "党政综合办公室"], ["内设机构", "经济发展办公室"],
                                           ["内设机构", "社会事务办公室"], ["下设机构", "农业综合服务中心"],
                                           ["下设机构", "综合行政执法大队"], ["派驻机构", "财政所"],
                                           ["派驻机构", "司法所"]]),
        ("table", "人员编制", ["类别", "核定编制", "实有人数"], [["行政编制", 28, 25], ["全额拨款事业编制", 40, 37]]),
        ("fields", "财务", {"决算支出": 2100.5, "决算基本支出": 900.2, "决算项目支出": 1200.3, "决算收入": 2100.5,
                            "全年预算数": 2300}),
        ("table", "文字内容", ["栏目", "内容"], [["单位职责", "贯彻执行党的路线方针政策。"],
                                               ["单位职责", "负责辖区经济社会发展。"],
                                               ["存在问题", "项目资金支付进度偏慢。"]]),
        ("table", "绩效指标", INDICATOR_HEADERS, [["产出指标", "数量指标", "道路硬化", "≥", 6, 6, "公里", 50],
                                                 ["效益指标", "社会效益指标", "群众满意度", "≥", 0.9, 0.95, "%", 40]]),
    ])
    _template(templates / SAME_COUNTY / "report.docx", [
        ("Title", "{{ 报告名称 }}"),
        ("Heading 1", "一、部门概况"),
        ("Normal", "{{ 基本信息.单位简称 }}设{% for 组 in 机构.分组 %}{% if loop.last %}和{{ 组.名单|join('、') }}"
                   "{% else %}{{ 组.名单|join('、') }}{{ 组.个数|个数 }}个{{ 组.名称 }}，{% endif %}{% endfor %}。"),
        ("Normal", "核定行政编制{{ 人员编制.行政编制.核定编制|个数 }}个，实有{{ 人员编制.行政编制.实有人数|个数 }}人；"
                   "全额拨款事业编制{{ 人员编制.全额拨款事业编制.核定编制|个数 }}个，实有"
                   "{{ 人员编制.全额拨款事业编制.实有人数|个数 }}人。"),
        ("Normal", "主要职责：{% for 段 in 文字内容.单位职责 %}{{ loop.index }}.{{ 段.内容 }}{% endfor %}"),
        ("Heading 1", "二、部门支出与收入"),
        ("Normal", "{{ 年度 }}年决算支出{{ 财务.决算支出|万元 }}万元，其中基本支出{{ 财务.决算基本支出|万元 }}万元、"
                   "项目支出{{ 财务.决算项目支出|万元 }}万元；决算收入{{ 财务.决算收入|万元 }}万元。"),
        ("Normal", "全年预算数{{ 财务.全年预算数|万元 }}万元，预算执行率{{ 预算.执行率|百分比 }}。"),
        ("Heading 1", "三、绩效指标完成情况"),
        ("Normal", "{% for 指标 in 绩效指标.行 %}{{ 指标.三级指标 }}目标{{ 指标.年度指标值 }}，完成{{ 指标.实际完成值 }}，"
                   "分值{{ 指标.分值|数字 }}；{% endfor %}自评得分{{ 自评.总分|分数 }}分。"),
        ("Heading 1", "四、存在问题"),
        ("Normal", "{% for 段 in 文字内容.存在问题 %}{{ 段.内容 }}{% endfor %}"),
        ("Normal", "{{ 基本信息.报告日期|日期 }}"),
    ])


SAME_COUNTY_SENTENCES = [
    "2024年度桃源县茶庵铺镇人民政府部门整体支出绩效自评报告",
    "一、部门概况",
    "茶庵铺镇设党政综合办公室、经济发展办公室、社会事务办公室3个内设机构，农业综合服务中心、综合行政执法大队2个下设机构，"
    "和财政所、司法所。",
    "核定行政编制28个，实有25人；全额拨款事业编制40个，实有37人。",
    "主要职责：1.贯彻执行党的路线方针政策。2.负责辖区经济社会发展。",
    "二、部门支出与收入",
    "2024年决算支出2100.50万元，其中基本支出900.20万元、项目支出1200.30万元；决算收入2100.50万元。",
    "全年预算数2300.00万元，预算执行率91.33%。",
    # 道路硬化 met: 50; 满意度 met: 40; 预算执行率 10 × 2100.5/2300 = 9.13
    "道路硬化目标≥6公里，完成6公里，分值50；群众满意度目标≥90%，完成95%，分值40；自评得分99.13分。",
    "项目资金支付进度偏慢。",
    "2025年9月10日",
]

# ------------------------------------------------------------------ 2. neighbouring county

NEIGHBOUR = "岩汪湖镇"


def neighbour(data: Path, templates: Path) -> None:
    _workbook(data / NEIGHBOUR / f"{YEAR}.xlsx", [
        ("fields", "基本信息", {"年度": YEAR, "单位全称": "汉寿县岩汪湖镇人民政府", "辖区名称": "岩汪湖镇"}),
        ("table", "人员编制", ["类别", "上级", "类型", "核定编制", "实有人数"],
         [["合计", None, None, 52, 48], ["执行公务员津补贴人员", "合计", "人员类别", None, 21],
          ["执行绩效工资人员", "合计", "人员类别", None, 27]]),
        ("table", "概况数据", ["名称", "数值", "单位"], [["行政村", 21, "个"], ["居委会", 2, "个"],
                                                    ["人口", "5.6万余人", None]]),
        ("fields", "财务", {"决算支出": 1876.4, "全年预算数": 1900}),
        ("table", "文字内容", ["栏目", "内容"], [["部门职责", "负责全镇经济发展规划。"],
                                               ["部门职责", "负责全镇{人口}群众的公共服务。"],
                                               ["自评结论", "全年预算执行率{预算.执行率}，各项工作完成较好。"]]),
        ("table", "绩效指标", INDICATOR_HEADERS, [["产出指标", "数量指标", "农田水利项目", "≥", 8, 7, "个", 90]]),
    ])
    _template(templates / NEIGHBOUR / "report.docx", [
        ("Title", "{{ 基本信息.单位全称 }}{{ 年度 }}年度整体支出绩效自评报告"),
        ("Heading 1", "一、基本情况"),
        ("Normal", "{{ 基本信息.辖区名称 }}辖行政村{{ 概况数据.行政村 }}、居委会{{ 概况数据.居委会 }}，总人口{{ 概况数据.人口 }}。"),
        ("Heading 2", "（一）部门职责"),
        ("Normal", "{%p for 段 in 文字内容.部门职责 %}"),
        ("Normal", "{{ loop.index }}、{{ 段.内容 }}"),
        ("Normal", "{%p endfor %}"),
        ("Heading 2", "（二）人员情况"),
        ("Normal", "全镇核定编制{{ 人员编制.合计.核定编制|个数 }}名，实有{{ 人员编制.合计.实有人数|个数 }}人，"
                   "{% if 人员编制.合计.超编人数 %}超编{{ 人员编制.合计.超编人数 }}人{% else %}未超编{% endif %}。其中执行公务员"
                   "津补贴人员{{ 人员编制.执行公务员津补贴人员.实有人数|个数 }}人，执行绩效工资人员"
                   "{{ 人员编制.执行绩效工资人员.实有人数|个数 }}人。"),
        ("Heading 1", "二、自评情况"),
        ("Normal", "全年预算数{{ 财务.全年预算数|万元 }}万元，支出{{ 财务.决算支出|万元 }}万元。"
                   "{{ 绩效指标.行.0.三级指标 }}完成{{ 绩效指标.行.0.实际完成值 }}（目标{{ 绩效指标.行.0.年度指标值 }}）。"),
        ("Normal", "{{ 文字内容.自评结论.全文 }}自评得分{{ 自评.总分|分数 }}分。"),
    ])


NEIGHBOUR_SENTENCES = [
    "汉寿县岩汪湖镇人民政府2024年度整体支出绩效自评报告",
    "一、基本情况",
    "岩汪湖镇辖行政村21个、居委会2个，总人口5.6万余人。",
    "（一）部门职责",
    "1、负责全镇经济发展规划。",
    "2、负责全镇5.6万余人群众的公共服务。",
    "全镇核定编制52名，实有48人，未超编。其中执行公务员津补贴人员21人，执行绩效工资人员27人。",
    "全年预算数1900.00万元，支出1876.40万元。农田水利项目完成7个（目标≥8个）。",
    # 农田水利 ≥: 90 × 7/8 = 78.75; 预算 10 × 1876.4/1900 = 9.88
    "全年预算执行率98.76%，各项工作完成较好。自评得分88.63分。",
]

# ------------------------------------------------------------------ 3. another province's outline

PROVINCE = "石门乡"


def province(data: Path, templates: Path) -> None:
    _workbook(data / PROVINCE / f"{YEAR}.xlsx", [
        ("fields", "基本信息", {"年度": YEAR, "单位全称": "某县石门乡人民政府", "报告标题": "部门绩效自评报告"}),
        ("table", "人员编制", ["类别", "核定编制"], [["编制总数", 36]]),
        ("fields", "财务", {"决算收入": 980.25, "决算支出": 965.75, "全年预算数": 1000}),
        ("table", "文字内容", ["栏目", "内容"], [
            ["机构与职能", "本乡为一级政府，设党政办等机构。"],
            ["年度重点工作", "完成乡村振兴示范片建设。"],
            ["自评组织", "成立自评工作领导小组。"],
            ["评价依据与方法", "依据省财政厅有关文件，采用比较法。"]]),
        ("table", "绩效指标", INDICATOR_HEADERS, [["产出指标", "质量指标", "项目验收合格率", "≥", 0.95, 1, "%", 45],
                                                 ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", 0.9, 0.88,
                                                  "%", 45]]),
    ])
    _template(templates / PROVINCE / "report.docx", [
        ("Title", "{{ 报告名称 }}"),
        ("Normal", "根据省财政厅关于开展绩效自评的要求，现将{{ 基本信息.单位全称 }}{{ 年度 }}年度绩效自评情况报告如下。"),
        ("Heading 1", "一、单位基本情况"),
        ("Heading 2", "（一）机构与职能"),
        ("Normal", "{{ 文字内容.机构与职能.全文 }}核定编制{{ 人员编制.编制总数.核定编制|个数 }}名。"),
        ("Heading 2", "（二）年度重点工作"),
        ("Normal", "{{ 文字内容.年度重点工作.全文 }}"),
        ("Heading 2", "（三）收支与绩效目标"),
        ("Normal", "全年收入{{ 财务.决算收入|万元 }}万元，支出{{ 财务.决算支出|万元 }}万元，全年预算{{ 财务.全年预算数|万元 }}万元。"),
        ("Heading 1", "二、自评工作开展情况"),
        ("Heading 2", "（一）自评组织"),
        ("Normal", "{{ 文字内容.自评组织.全文 }}"),
        ("Heading 2", "（二）评价依据与方法"),
        ("Normal", "{{ 文字内容.评价依据与方法.全文 }}"),
    ], forms=[("附件", "部门绩效自评简表", ["指标", "目标值", "完成值", "分值", "得分"], "指标 in 绩效指标.行",
               ["{{ 指标.三级指标 }}", "{{ 指标.年度指标值 }}", "{{ 指标.实际完成值 }}", "{{ 指标.分值|数字 }}",
                "{{ 指标.得分|分数 }}"],
               ["合计", "", "", "{{ 绩效指标.分值合计|数字 }}", "{{ 自评.总分|分数 }}"])])


PROVINCE_SENTENCES = [
    "2024年度某县石门乡人民政府部门绩效自评报告",
    "根据省财政厅关于开展绩效自评的要求，现将某县石门乡人民政府2024年度绩效自评情况报告如下。",
    "一、单位基本情况",
    "本乡为一级政府，设党政办等机构。核定编制36名。",
    "完成乡村振兴示范片建设。",
    "全年收入980.25万元，支出965.75万元，全年预算1000.00万元。",
    "二、自评工作开展情况",
    "成立自评工作领导小组。",
    "依据省财政厅有关文件，采用比较法。",
]
# 附件: 合格率 met 45.00; 满意度 45 × 0.88/0.9 = 44.00; 预算 10 × 965.75/1000 = 9.66 (9.6575 → 9.66); total 98.66
PROVINCE_TABLE = [["指标", "目标值", "完成值", "分值", "得分"],
                  ["项目验收合格率", "≥95%", "100%", "45", "45.00"],
                  ["群众满意度", "≥90%", "88%", "45", "44.00"],
                  ["合计", "", "", "90", "98.66"]]

SHAPES = {SAME_COUNTY: ("桃源县茶庵铺镇人民政府", "部门整体支出绩效自评报告", SAME_COUNTY_SENTENCES),
          NEIGHBOUR: ("汉寿县岩汪湖镇人民政府", "整体支出绩效自评报告", NEIGHBOUR_SENTENCES),
          PROVINCE: ("某县石门乡人民政府", "部门绩效自评报告", PROVINCE_SENTENCES)}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("county")
    data, templates = root / "data", root / "templates"
    shutil.copytree(ROOT / "templates" / "default", templates / "default")
    (data / "郑家驿镇").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "2024.xlsx", data / "郑家驿镇" / "2024.xlsx")
    for make in (same_county, neighbour, province):
        make(data, templates)
    result = CliRunner().invoke(main, ["--year", str(YEAR), "--data", str(data), "--templates", str(templates),
                                       "--out", str(root / "output"), "--jobs", "2"], catch_exceptions=False)
    return root, result.output


def _report(root: Path, unit: str, unit_name: str, title: str) -> Path:
    """A unit's report: in its own folder ``output/<year>/<unit>/``, named after its 单位全称 and title (in the
    title's own word order: the neighbour's template puts the unit first)."""
    folder = root / "output" / str(YEAR) / unit
    if unit == NEIGHBOUR:
        return folder / f"{unit_name}{YEAR}年度{title}.docx"
    return folder / f"{YEAR}年度{unit_name}{title}.docx"


def _all_text(path: Path) -> list[str]:
    d = docx.Document(path)
    return [p.text for p in d.paragraphs]


def test_one_county_run_generates_every_shape_beside_the_example(county) -> None:
    root, output = county
    assert "共 4 个单位：4 个已生成，0 个失败" in output, output
    for unit, (name, title, _) in SHAPES.items():
        assert _report(root, unit, name, title).is_file(), (unit, output)
    assert _report(root, "郑家驿镇", "桃源县郑家驿镇人民政府", "整体支出绩效自评报告").is_file()


@pytest.mark.parametrize("unit", list(SHAPES))
def test_every_expected_sentence_is_in_the_report(county, unit: str) -> None:
    root, _ = county
    name, title, sentences = SHAPES[unit]
    paragraphs = _all_text(_report(root, unit, name, title))
    for sentence in sentences:
        assert sentence in paragraphs, (sentence, paragraphs)


def _typed_values(path: Path) -> list[tuple[str, str, object]]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=3):
            if ws["B2"].value == "内容":  # a field sheet: column B holds the values
                if row[1].value is not None:
                    out.append((ws.title, row[1].coordinate, row[1].value))
                continue
            for c in row:
                if c.value is not None:
                    out.append((ws.title, c.coordinate, c.value))
    return out


def _shown(value: object) -> list[str]:
    """How a typed value may read in the report: a text as it is; a number as money, count or percentage."""
    if isinstance(value, dt.datetime):
        return [f"{value.year}年{value.month}月{value.day}日"]
    if isinstance(value, (int, float)):
        shown = [f"{value:.2f}", str(value)]
        if isinstance(value, float) and value <= 1.5:
            shown.append(f"{round(value * 100):g}%")
        return shown
    return [str(value).replace("{人口}", "5.6万余人").replace("{预算.执行率}", "98.76%")]


STRUCTURE = {"产出指标", "效益指标", "满意度指标", "数量指标", "质量指标", "社会效益指标", "服务对象满意度指标", "≥",
             "合计", "人员类别", "公里", "个", "%", "内设机构", "下设机构", "派驻机构", "单位职责", "存在问题",
             "部门职责", "自评结论", "机构与职能", "年度重点工作", "自评组织", "评价依据与方法", "编制总数",
             "执行公务员津补贴人员", "执行绩效工资人员", "行政村", "居委会", "人口", "行政编制", "全额拨款事业编制"}


@pytest.mark.parametrize("unit", list(SHAPES))
def test_every_typed_value_is_used_by_the_report(county, unit: str) -> None:
    """No placeholder data: each value of the workbook shows in the report (its labels and groups as words)."""
    root, _ = county
    name, title, _ = SHAPES[unit]
    report = _report(root, unit, name, title)
    d = docx.Document(report)
    text = "\n".join(p.text for p in d.paragraphs) + "\n".join(c.text for t in d.tables for r in t.rows
                                                               for c in r.cells)
    unused = []
    for sheet, cell, value in _typed_values(root / "data" / unit / f"{YEAR}.xlsx"):
        if value in (YEAR,) or str(value) in STRUCTURE or (sheet, cell) in (("基本信息", "B3"),):
            continue
        if sheet == "绩效指标" and cell.startswith("H"):
            continue  # weights show in the score (计入自评得分) and, in the province's form, as 分值
        if not any(s in text for s in _shown(value)):
            unused.append((sheet, cell, value))
    assert unused == []


def test_only_the_province_template_has_a_form_and_its_excel_copy_is_that_form(county) -> None:
    root, _ = county
    folder = root / "output" / str(YEAR)
    assert not (folder / SAME_COUNTY / f"{YEAR}年度桃源县茶庵铺镇人民政府部门整体支出绩效自评报告-附表.xlsx").exists()
    assert not (folder / NEIGHBOUR / f"汉寿县岩汪湖镇人民政府{YEAR}年度整体支出绩效自评报告-附表.xlsx").exists()
    assert (folder / SAME_COUNTY / f"{YEAR}年度桃源县茶庵铺镇人民政府部门整体支出绩效自评报告.docx").is_file()
    report = _report(root, PROVINCE, "某县石门乡人民政府", "部门绩效自评报告")
    rows = [[c.text for c in r.cells] for r in docx.Document(report).tables[0].rows]
    assert rows == PROVINCE_TABLE
    wb = openpyxl.load_workbook(report.with_name(report.stem + "-附表.xlsx"))
    assert len(wb.sheetnames) == 1
    ws = wb.worksheets[0]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert ["指标", "目标值", "完成值", "分值", "得分"] in values
    assert ["群众满意度", "≥90%", 0.88, 45, 44] in values
    assert ws.cell(values.index(["群众满意度", "≥90%", 0.88, 45, 44]) + 1, 3).number_format == "0%"
