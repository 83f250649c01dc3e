"""Blank means not stated (issue 26): no figure, score or total is made from an empty cell.

A county of three made-up townships, each workbook written here with openpyxl and each own template with
python-docx:

* 甲镇 states no 三公经费, no 公用经费 and no projects but keeps the default template with its attachments:
  generate refuses, naming every cell to fill and where the template uses it; with the attachments (and the
  三公 paragraph) removed from its copy of the template, the report has no figure it did not state;
* 乙镇 lists targets without scores (no 实际完成值, no 分值 column) and a template that prints only targets;
* 丙镇 states no 全年预算数: its report says nothing of a budget, and the county summary's 合计 and 执行率
  are over the other two units, saying so.

Every written file (report, -附表.xlsx, -审核.xlsx, the summary) is read back and scanned for a zero that was
never typed.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

from conftest import ROOT
from generator import schema
from generator.cli import main

YEAR = 2024
JIA, YI, BING = "甲镇", "乙镇", "丙镇"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["--year", str(YEAR), "--data", str(root / "data"), "--templates",
                                     str(root / "templates"), "--out", str(root / "output"), *args],
                              catch_exceptions=False)


# ------------------------------------------------------------------ workbooks, as a clerk fills them


def _sheet(wb, name: str, header: list[str]):
    ws = wb.create_sheet(name)
    ws["A1"] = name
    for j, h in enumerate(header, start=1):
        ws.cell(2, j, h)
    return ws


def _fields(wb, name: str, values: dict) -> None:
    ws = _sheet(wb, name, ["项目", "内容"])
    for r, (label, value) in enumerate(values.items(), start=3):
        ws.cell(r, 1, label)
        ws.cell(r, 2, value)


def _grid(wb, sheet: schema.GridSheet) -> None:
    """The form with its labels and headers, every figure left blank (the unit states none)."""
    ws = _sheet(wb, sheet.name, ["项目"] + [c.label for c in sheet.columns])
    for r, row in enumerate(sheet.rows, start=3):
        ws.cell(r, 1, row.label)


def _table(wb, name: str, header: list[str], rows: list[list]) -> None:
    ws = _sheet(wb, name, header)
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row, start=1):
            ws.cell(i, j, v)
            if header[j - 1] in ("年度指标值", "实际完成值") and isinstance(v, float) and v <= 1:
                ws.cell(i, j).number_format = "0%"


BASIC = {"年度": YEAR, "单位简称": "{short}", "辖区名称": "{name}", "单位性质及级别": "正科级行政机关",
         "办公地址": "示例县{name}人民路1号", "报告日期": dt.datetime(2025, 8, 20), "填报人": "李会计",
         "联系电话": "0736-1234567", "审核人": "王所长"}
FINANCE = {"资产总额": 500, "流动资产": 300, "非流动资产": 200, "负债总额": 100, "净资产总额": 400,
           "年初预算收入": 1000, "决算收入": 1100, "一般公共预算拨款": 1000, "政府性基金预算财政拨款收入": 40,
           "国有资本经营预算财政拨款收入": 5, "纳入专户管理的非税收入拨款": 5, "其他收入": 50, "上年结转": 10,
           "年初预算支出": 1000, "年初预算基本支出": 600, "年初预算项目支出": 400, "全年预算数": 1200,
           "决算支出": 1100, "决算基本支出": 700, "决算项目支出": 400, "年末结转结余": 10}
INDICATOR_HEADER = ["一级指标", "二级指标", "三级指标", "比较", "年度指标值", "实际完成值", "单位", "分值"]
INDICATORS = [["产出指标", "数量指标", "道路硬化", "≥", 5, 5, "公里", 50],
              ["效益指标", "社会效益指标", "群众生活条件", None, "改善", "改善", None, 30],
              ["满意度指标", "服务对象满意度指标", "群众满意度", "≥", 0.9, 0.95, "%", 10]]
SECTIONS = ("单位职责", "绩效总目标", "总体目标完成情况", "评价工作情况", "效益完成情况", "存在问题", "原因分析",
            "改进措施", "有关建议")


def workbook(path: Path, name: str, finance: dict, indicators: tuple[list[str], list[list]] | None = None) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    _fields(wb, "基本信息", {**{k: v.format(name=name, short=name + "政府") if isinstance(v, str) else v
                               for k, v in BASIC.items()}, "单位全称": f"示例县{name}人民政府"})
    _table(wb, "机构", ["分组", "名称", "公布个数"], [["内设机构", "党政办公室", 2], ["内设机构", "经济发展办公室", None],
                                                 ["下设机构", f"{name}农业综合服务中心", None]])
    _table(wb, "人员编制", ["类别", "上级", "类型", "核定编制", "实有人数"],
           [["合计", None, None, 12, 11], ["行政编制", "合计", None, 6, 6], ["机关工勤", "合计", None, 2, 2],
            ["事业编制", "合计", None, 4, 3], ["财政所", None, None, 3, 3],
            [f"{name}农业综合服务中心", "事业编制", "下属单位", 4, 3]])
    _fields(wb, "财务", finance)
    _grid(wb, schema.SANGONG)
    _grid(wb, schema.BASE_DATA)
    _fields(wb, "楼堂馆所及节约", {f.label: None for f in schema.OTHER.fields})
    _table(wb, "绩效指标", *(indicators or (INDICATOR_HEADER, INDICATORS)))
    _table(wb, "项目", [c.label for c in schema.PROJECTS.columns], [])
    _table(wb, "文字内容", ["栏目", "小标题", "内容"],
           [[s, f"{s}小标题" if s == "改进措施" else None, f"{name}的{s}。"] for s in SECTIONS])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


# ------------------------------------------------------------------ templates


def without_attachments(source: Path, target: Path, drop: tuple[str, ...] = ()) -> None:
    """The default template as a clerk trims it in Word: the attachments deleted with the section break before
    them (the body keeps its own page setup: portrait), and the paragraphs naming ``drop`` deleted."""
    d = docx.Document(source)
    body = d.element.body
    paragraphs = list(body.iterchildren(qn("w:p")))
    marker = next(p for p in paragraphs if "".join(t.text or "" for t in p.iter(qn("w:t"))) == "附件1")
    # the section that ends before 附件1: its break is in the paragraph before the marker
    breaks = [p.find(qn("w:pPr") + "/" + qn("w:sectPr")) for p in paragraphs[:paragraphs.index(marker)]]
    body_sect = next(b for b in reversed(breaks) if b is not None)
    final = body.find(qn("w:sectPr"))
    body.replace(final, copy.deepcopy(body_sect))
    body_sect.getparent().remove(body_sect)
    remove = False
    for el in list(body):
        if el is marker:
            remove = True
        if el.tag == qn("w:sectPr"):
            continue
        text = "".join(t.text or "" for t in el.iter(qn("w:t")))
        if remove or text.startswith("附件：") or text in ("2.部门整体支出绩效自评表", "3.项目支出绩效自评表") \
                or any(word in text for word in drop):
            body.remove(el)
    target.parent.mkdir(parents=True, exist_ok=True)
    d.save(target)


def own_template(path: Path, paragraphs: list[str], form: list[list[str]] | None = None) -> None:
    """A unit's own template in its own words (python-docx), with an attachment form when ``form`` is given."""
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    if form:
        d.add_paragraph("附件1")
        d.add_paragraph("{{ 年度 }}年度支出情况表")
        table = d.add_table(rows=0, cols=len(form[0]))
        for cells in form:
            for c, text in zip(table.add_row().cells, cells, strict=True):
                c.text = text
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(path)


TARGETS_ONLY = (["一级指标", "二级指标", "三级指标", "比较", "年度指标值", "单位"],
                [["产出指标", "时效指标", "资金支出率", "≥", 0.98, "%"],
                 ["产出指标", "数量指标", "新修水渠", "≥", 3, "公里"],
                 ["效益指标", "社会效益指标", "灌溉条件", None, "改善", None]])
YI_TEMPLATE = ["{{ 基本信息.单位全称 }}{{ 年度 }}年度部门整体支出绩效自评报告", "{{ 基本信息.报告日期|日期 }}",
               "{{ 基本信息.单位简称 }}{{ 年度 }}年绩效目标：{% for 指标 in 绩效指标.行 %}{{ 指标.三级指标 }}"
               "{{ 指标.年度指标值 }}{% if not loop.last %}；{% endif %}{% endfor %}。",
               "决算支出{{ 财务.决算支出|万元 }}万元，全年预算数{{ 预算.全年预算数|万元 }}万元，执行率{{ 预算.执行率|百分比 }}。"]
BING_TEMPLATE = ["{{ 报告名称 }}", "{{ 基本信息.报告日期|日期 }}",
                 "{{ 年度 }}年决算支出{{ 财务.决算支出|万元 }}万元，其中基本支出{{ 财务.决算基本支出|万元 }}万元、"
                 "项目支出{{ 财务.决算项目支出|万元 }}万元。"]
BING_FORM = [["项目", "金额（万元）"], ["决算支出", "{{ 财务.决算支出|万元 }}"],
             ["基本支出", "{{ 财务.决算基本支出|万元 }}"], ["项目支出", "{{ 财务.决算项目支出|万元 }}"]]


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The three townships; 甲镇 first with the default template (refused), then with its trimmed copy; then the
    county run. Returns the root and both CLI results."""
    root = tmp_path_factory.mktemp("county")
    shutil.copytree(ROOT / "templates" / "default", root / "templates" / "default")
    workbook(root / "data" / JIA / f"{YEAR}.xlsx", JIA, FINANCE)
    workbook(root / "data" / YI / f"{YEAR}.xlsx", YI, {**FINANCE, "全年预算数": 1300}, TARGETS_ONLY)
    workbook(root / "data" / BING / f"{YEAR}.xlsx", BING, {k: v for k, v in FINANCE.items() if k != "全年预算数"})
    own_template(root / "templates" / YI / "report.docx", YI_TEMPLATE)
    own_template(root / "templates" / BING / "report.docx", BING_TEMPLATE, BING_FORM)
    refused = run(root, "--unit", JIA)
    checked = run(root, "--unit", JIA, "--template-check")
    without_attachments(root / "templates" / "default" / "report.docx", root / "templates" / JIA / "report.docx",
                        drop=("三公经费",))
    return {"root": root, "refused": refused, "checked": checked, "run": run(root)}


def _output(root: Path, pattern: str) -> Path:
    found = sorted((root / "output").rglob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


def test_the_default_attachments_need_what_they_print(county: dict) -> None:
    """Generate refuses with every cell to fill and its place in the template; the template check says the same."""
    refused, checked = county["refused"], county["checked"]
    assert refused.exit_code == 1 and checked.exit_code == 1
    problems = [line for line in refused.output.splitlines() if line.startswith("模板")]
    assert refused.output.splitlines()[0] == f"2024.xlsx 中发现 {len(problems)} 处问题，未生成报告："
    # every 三公经费 and 基础数据 cell of the form (3 periods × 6 rows, 3 × 5), and the 项目 sheet for 附件3
    for sheet, rows in (("三公经费", range(3, 9)), ("基础数据", range(3, 8))):
        for row in rows:
            for column in "BCD":
                assert any(line.endswith(f"请填写 2024.xlsx › {sheet} › {column}{row}。") for line in problems), \
                    (sheet, column, row)
    assert "模板表2第3行第2列“{{ 三公经费.上年决算.公务用车购置和维护经费|元折万元 }}”用到“三公经费.上年决算.公务用车购置和维护经费”，" \
           "但工作簿未填写：请填写 2024.xlsx › 三公经费 › B4。" in problems
    assert ("模板第23段“本年三公经费支出{{ 三公经费.本年决算.合计|元 }}元{% if 三公经费.本年构成 %}，{{ 三公经费.本…”用到"
            "“三公经费.增减结论”，但工作簿未填写：请填写 2024.xlsx › 三公经费 › D3；2024.xlsx › 三公经费 › B3。") in problems
    assert problems[-1] == ("模板第93段“{{ 项目合计.无项目说明 }}”用到“项目合计.无项目说明”，但工作簿未填写："
                            "请在 2024.xlsx 的“项目”表填写本单位的项目支出（一行一个项目）。")
    assert len(problems) == 18 + 15 + 2
    # --template-check --unit: the same list
    assert [line.strip() for line in checked.output.splitlines() if line.startswith("  模板")] == problems


ZERO = re.compile(r"(?<![\d.:])0+(?:\.0+)?%?(?![\d.:])")
COUNTS = re.compile(r"\d+ ?(处|项|条|个单位)")  # how many findings, list items, units: counted, not stated
COMPUTED = ("超编人数", "未完成个数")  # 模板字段 rows of figures computed from typed ones (实有 − 编制, a count)


def _zeros(texts: list[str]) -> list[str]:
    """The texts holding a zero figure (0, 0.00, 0%) that nobody typed (a file's seal, a hash, is no figure)."""
    return [t for t in texts if not any(name in t for name in COMPUTED) and not t.startswith("<!-- generator-seal")
            and ZERO.search(COUNTS.sub("", t))]


def _xlsx_texts(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            line = " ".join(str(c.value) for c in row if c.value is not None)
            comments = " ".join(c.comment.text for c in row if c.comment is not None)
            out += [x for x in (line, comments) if x]
    return out


def test_a_trimmed_template_states_only_what_was_typed(county: dict) -> None:
    root, result = county["root"], county["run"]
    assert result.exit_code == 0, result.output
    report = _output(root, "*甲镇*报告.docx")
    d = docx.Document(report)
    body = [p.text for p in d.paragraphs]
    assert not d.tables and d.sections[-1].orientation == 0  # the attachments gone, the page portrait again
    assert "2024年部门年初预算支出1000.00万元，其中：基本支出600.00万元，项目支出400.00万元。部门决算支出1100.00万元，" \
           "其中：基本支出700.00万元，项目支出400.00万元。" in body
    # 9.17 for budget execution (1100 / 1200 × 10) and 50 + 30 + 10 for the three indicators, all met
    assert any("自评分为99.17分。" in p for p in body)
    assert not any("三公" in p or "附件" in p or "没有项目支出" in p for p in body)
    assert not _zeros(body)
    # every figure of the report, worked out by hand from what was typed
    typed_money = {"5.00", "40.00", "50.00", "100.00", "200.00", "300.00", "400.00", "500.00", "600.00", "700.00",
                   "1000.00", "1100.00"}  # 财务 (上年结转 and 年末结转结余 print as 10 through |数字)
    counts = {"2", "3", "4", "6", "11", "12"}  # 机构 公布个数, 人员编制
    indicators = {"5", "90%", "95%"}  # 道路硬化≥5公里, 满意度 ≥90% / 95%
    dates = {"2024", "2025", "8", "20", "12", "31"}  # 报告日期, 12月底, 12月31日
    numbering = {"1", "2", "3"}  # （1）（2）（3）, 1.
    assert set(re.findall(r"\d+(?:\.\d+)?%?", "\n".join(body))) == \
        typed_money | {"10"} | counts | indicators | dates | numbering | {"99.17"}
    assert not list((root / "output").rglob("*甲镇*附表.xlsx"))  # no form, no tables
    audited = _xlsx_texts(_output(root, "*甲镇*审核.xlsx"))
    assert not _zeros(audited), _zeros(audited)
    assert not _zeros(_output(root, "*甲镇*审核.md").read_text("utf-8").splitlines())


def test_targets_without_scores(county: dict) -> None:
    root = county["root"]
    report = _output(root, "*乙镇*报告.docx")
    assert report.name == "示例县乙镇人民政府2024年度部门整体支出绩效自评报告.docx"  # the title's own word order
    body = [p.text for p in docx.Document(report).paragraphs]
    assert body == ["示例县乙镇人民政府2024年度部门整体支出绩效自评报告", "2025年8月20日",
                    "乙镇政府2024年绩效目标：资金支出率≥98%；新修水渠≥3公里；灌溉条件改善。",
                    "决算支出1100.00万元，全年预算数1300.00万元，执行率84.62%。"]
    audit = _output(root, "*乙镇*审核.md").read_text("utf-8")
    assert "分值合计" not in audit and "必填" not in audit  # no 90-point check, no column demanded
    assert not _zeros(_xlsx_texts(_output(root, "*乙镇*审核.xlsx")))


def test_a_unit_without_a_budget_and_the_county_summary(county: dict) -> None:
    root = county["root"]
    d = docx.Document(_output(root, "*丙镇*报告.docx"))
    assert [p.text for p in d.paragraphs][2] == "2024年决算支出1100.00万元，其中基本支出700.00万元、项目支出400.00万元。"
    tables = _xlsx_texts(_output(root, "*丙镇*附表.xlsx"))
    assert tables[2:] == ["项目 金额（万元）", "决算支出 1100.0", "基本支出 700.0", "项目支出 400.0"] and not _zeros(tables)
    summary = openpyxl.load_workbook(_output(root, "*汇总表.xlsx"))["汇总"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=3, values_only=True)}
    header = [c.value for c in summary[2]]
    col = {h: i for i, h in enumerate(header)}
    assert rows[BING][col["全年预算数（万元）"]] is None and rows[BING][col["执行率"]] is None
    assert rows[YI][col["自评分"]] is None and rows[BING][col["自评分"]] is None  # no score stated: none shown
    assert rows[JIA][col["自评分"]] == pytest.approx(99.17)
    assert rows[YI][col["未完成指标数"]] is None  # results not stated
    assert all(rows[u][col["三公经费本年（元）"]] is None for u in (JIA, YI, BING))
    total = rows["合计"]
    assert total[col["全年预算数（万元）"]] == 2500 and total[col["全年执行数（万元）"]] == 2200  # 甲 + 乙
    assert total[col["执行率"]] == pytest.approx(0.88)  # 2200 / 2500, not (3 × 1100) / 2500
    assert total[col["三公经费本年（元）"]] is None and total[col["自评分"]] is None
    assert total[col["状态"]] == ("全年预算数（万元）、全年执行数（万元）、执行率：只合计填写了的 2/3 个单位（丙镇 未填）；"
                                  "三公经费本年（元）、三公经费上年（元）、三公经费增减（元）：没有单位全部填写，不合计；"
                                  "未完成指标数：只合计填写了的 2/3 个单位（乙镇 未填）")
    assert not _zeros([" ".join(str(v) for v in r if v is not None and not isinstance(v, int))
                       for r in summary.iter_rows(min_row=3, values_only=True)])


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize("value, number_format, expected", [
    (202511, "General", "“报告日期”是数字 202511，按 Excel 的日期序号读作的日期不在报告年度前后 10 年内，未采用。"
                        "请输入日期（如 2025/9/15）。是否应为 2025年11月？"),
    (202511, "yyyy/m/d", "“报告日期”是数字 202511，按 Excel 的日期序号读作的日期不在报告年度前后 10 年内，未采用。"
                         "请输入日期（如 2025/9/15）。是否应为 2025年11月？"),  # as Excel stores it: not 2454年6月14日
    (20251115, "General", "“报告日期”是数字 20251115，按 Excel 的日期序号读作的日期不在报告年度前后 10 年内，未采用。"
                          "请输入日期（如 2025/9/15）。是否应为 2025年11月15日？"),
    ("2025年11月", "General", "“报告日期”应为日期（如 2025/9/15），实为“2025年11月”。"),
])
def test_a_date_cell_that_holds_no_date(tmp_path: Path, value, number_format: str, expected: str) -> None:
    workbook(tmp_path / "data" / BING / f"{YEAR}.xlsx", BING, FINANCE)
    own_template(tmp_path / "templates" / BING / "report.docx", BING_TEMPLATE)
    path = tmp_path / "data" / BING / f"{YEAR}.xlsx"
    wb = openpyxl.load_workbook(path)
    cell = wb["基本信息"]["B8"]
    assert wb["基本信息"]["A8"].value == "报告日期"
    cell.value, cell.number_format = value, number_format
    wb.save(path)
    result = run(tmp_path, "--unit", BING)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "B8" in line or "报告日期" in line]
    assert lines == [f"2024.xlsx › 基本信息 › B8：{expected}"]  # once: not again as a blank the template needs
    assert not (tmp_path / "output").exists()


def test_a_serial_near_the_report_year_is_a_date(tmp_path: Path) -> None:
    workbook(tmp_path / "data" / BING / f"{YEAR}.xlsx", BING, FINANCE)
    own_template(tmp_path / "templates" / BING / "report.docx", BING_TEMPLATE)
    path = tmp_path / "data" / BING / f"{YEAR}.xlsx"
    wb = openpyxl.load_workbook(path)
    wb["基本信息"]["B8"] = 45658  # Excel's serial of 2025-01-01, in a cell left General
    wb.save(path)
    result = run(tmp_path, "--unit", BING)
    assert result.exit_code == 0, result.output
    assert [p.text for p in docx.Document(_output(tmp_path, "*报告.docx")).paragraphs][1] == "2025年1月1日"


def test_a_percentage_in_the_facts_prints_as_excel_shows_it(tmp_path: Path) -> None:
    """概况数据: 95% typed in a percentage cell is stored as 0.95; it prints 95%, not 1 (its format's 0 places)."""
    from generator.pipeline import load

    path = tmp_path / f"{YEAR}.xlsx"
    workbook(path, JIA, FINANCE)
    wb = openpyxl.load_workbook(path)
    _table(wb, "概况数据", ["名称", "数值", "单位"], [["覆盖率", 0.95, None], ["合格率", 0.955, None], ["村", 31, "个"]])
    ws = wb["概况数据"]
    ws["B3"].number_format, ws["B4"].number_format = "0%", "0.0%"
    wb.save(path)
    _, ctx, _ = load(path, YEAR)
    facts = ctx.values["概况数据"]
    assert (str(facts["覆盖率"]), str(facts["合格率"]), str(facts["村"])) == ("95%", "95.5%", "31个")
    assert facts["覆盖率"].数值 == Decimal("0.95")


def test_none_and_not_applicable_in_a_figure_cell(tmp_path: Path) -> None:
    """“无” is stated as none (0); “不适用” is stated and printed blank; a blank is asked for."""
    path = tmp_path / "data" / JIA / f"{YEAR}.xlsx"
    workbook(path, JIA, FINANCE)
    wb = openpyxl.load_workbook(path)
    ws = wb["三公经费"]
    assert (ws["A8"].value, ws["C2"].value, ws["D2"].value) == ("公务接待", "本年预算", "本年决算")
    ws["D8"], ws["C8"] = "无", "不适用"
    wb.save(path)
    own_template(tmp_path / "templates" / JIA / "report.docx",
                 ["公务接待{{ 三公经费.本年决算.公务接待|元 }}元。", "预算[{{ 三公经费.本年预算.公务接待|元 }}]",
                  "出国{{ 三公经费.本年决算.出国经费|元 }}元。"])
    refused = run(tmp_path, "--unit", JIA)
    assert refused.exit_code == 1
    assert [line for line in refused.output.splitlines()[1:]] == [
        "模板第3段“出国{{ 三公经费.本年决算.出国经费|元 }}元。”用到“三公经费.本年决算.出国经费”，但工作簿未填写："
        "请填写 2024.xlsx › 三公经费 › D7。"]
    wb = openpyxl.load_workbook(path)
    wb["三公经费"]["D7"] = 0
    wb.save(path)
    assert run(tmp_path, "--unit", JIA).exit_code == 0
    body = [p.text for p in docx.Document(_output(tmp_path, "*报告.docx")).paragraphs]
    assert body == ["公务接待0.00元。", "预算[]", "出国0.00元。"]  # 无 and 0 were typed; 不适用 prints nothing


def test_the_template_check_lists_what_generate_lists(tmp_path: Path) -> None:
    """A date that is no date and a blank the template needs: both commands give the same lines."""
    path = tmp_path / "data" / BING / f"{YEAR}.xlsx"
    workbook(path, BING, {**FINANCE, "决算基本支出": None})
    own_template(tmp_path / "templates" / BING / "report.docx", BING_TEMPLATE)
    wb = openpyxl.load_workbook(path)
    wb["基本信息"]["B8"] = 202511
    wb.save(path)
    generated, checked = run(tmp_path, "--unit", BING), run(tmp_path, "--unit", BING, "--template-check")
    assert generated.exit_code == checked.exit_code == 1
    expected = ["2024.xlsx › 基本信息 › B8：“报告日期”是数字 202511，按 Excel 的日期序号读作的日期不在报告年度前后 10 年内，"
                "未采用。请输入日期（如 2025/9/15）。是否应为 2025年11月？",
                "模板第3段“{{ 年度 }}年决算支出{{ 财务.决算支出|万元 }}万元，其中基本支出{{ 财务.决算基本支出|万元 }}万…”"
                "用到“财务.决算基本支出”，但工作簿未填写：请填写 2024.xlsx › 财务 › B21。"]
    assert generated.output.splitlines()[1:] == expected
    assert [line.strip() for line in checked.output.splitlines() if line.startswith("  ")] == expected


# ------------------------------------------------------------------ compute on its own


def test_compute_never_makes_a_figure_from_a_blank() -> None:
    from generator.compute import compute, indicator_item

    # an indicator: a score only from a stated weight and result
    target_only = indicator_item({"三级指标": "资金支出率", "比较": "≥", "年度指标值": Decimal("0.98"), "单位": "%"})
    assert (target_only["得分"], target_only["得分显示"], target_only["是否完成"]) == (None, None, None)
    assert target_only["年度指标值"] == "≥98%"
    scored = indicator_item({"三级指标": "道路", "比较": "≥", "年度指标值": Decimal(8), "实际完成值": Decimal(6),
                             "单位": "公里", "分值": Decimal(20)})
    assert (scored["得分"], scored["是否完成"]) == (Decimal("15.00"), False)  # 20 × 6 / 8
    data = {"file": "x.xlsx", "cells": {}, "基本信息": {"年度": YEAR, "单位全称": "某镇"},
            "财务": {"决算支出": Decimal(90), "全年预算数": None, "年初预算支出": Decimal(0), "决算项目支出": Decimal(0)},
            "三公经费": {c: {r.zh: None for r in schema.SANGONG_ROWS} for c in ("上年决算", "本年预算", "本年决算")},
            "绩效指标": [{"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "道路", "比较": "≥",
                       "年度指标值": Decimal(8), "实际完成值": Decimal(8), "分值": Decimal(90), "行号": 3}],
            "项目": [{"项目名称": "甲", "全年执行当年财政拨款": Decimal(5), "行号": 3},
                     {"项目名称": "乙", "行号": 4}]}
    v = compute(data).values
    assert v["预算"]["执行率"] is None and v["预算"]["得分"] is None  # no 全年预算数
    assert v["预算"]["调整率"] is None  # a rate over a zero 年初预算支出: none
    assert v["自评"]["总分"] is None and v["自评"]["指标得分"] == Decimal("90.00")  # a total needs every part
    sangong = v["三公经费"]
    assert (sangong["变动额"], sangong["增减结论"], sangong["本年构成"]) == (None, None, None)
    first, second = v["项目"]
    assert first["资金"]["合计"]["全年执行数"] == Decimal(5)  # sources are optional parts: those stated
    assert first["资金"]["上年结转资金"]["全年执行数"] is None  # shown blank, not 0.00
    assert second["资金"]["合计"]["全年执行数"] is None and v["项目合计"]["全年执行数"] is None
    assert v["项目合计"]["无项目说明"] == ""  # projects listed: the note is never printed
    data["项目"] = []
    assert compute(data).values["项目合计"]["无项目说明"] == "本单位本年度没有项目支出，无项目支出绩效自评表。"
    data["财务"]["决算项目支出"] = None
    assert compute(data).values["项目合计"]["无项目说明"] is None  # not stated: not claimed


def test_audit_of_claims_and_of_what_is_used(tmp_path: Path) -> None:
    from generator.audit import audit
    from generator.pipeline import load

    path = tmp_path / f"{YEAR}.xlsx"
    workbook(path, JIA, FINANCE, (INDICATOR_HEADER, [row[:7] + [40] for row in INDICATORS]))  # 3 × 40 = 120 points
    wb = openpyxl.load_workbook(path)
    wb["文字内容"]["C4"] = "本单位本年度没有项目支出。"
    wb["文字内容"]["C5"] = "三公经费支出未超过去年。"  # and the 三公经费 form is left blank
    wb.save(path)
    data, ctx, _ = load(path, YEAR)
    findings = audit(data, ctx, uses=["基本信息.单位全称"]).findings  # a template with no indicator, no project
    assert [(f.id, f.severity, f.cells) for f in findings if f.severity == "错误"] == [
        ("text_claims_no_projects", "错误", ("2024.xlsx › 文字内容 › C4", "2024.xlsx › 财务 › B22"))]
    assert next(f for f in findings if f.id == "text_claims_no_projects").message == \
        "文字写“没有项目支出”，但决算项目支出为 400.00 万元，请核对。"
    assert all(f.cells for f in findings)
    unstated = next(f for f in findings if f.id == "sangong_claim_unstated")
    assert (unstated.severity, unstated.cells) == ("提示", ("2024.xlsx › 文字内容 › C5", "2024.xlsx › 三公经费 › D3",
                                                           "2024.xlsx › 三公经费 › B3"))
    assert unstated.message == "文字写“未超过去年”，但本年或上年三公经费合计未填写，无法核对：请填写这两个数，或删去这句话。"
    # a template that shows the indicators: their 120 points are checked; with the attachments, the empty 项目 sheet too
    ids = [f.id for f in audit(data, ctx, uses=["绩效指标.行", "项目"]).findings if f.severity == "错误"]
    assert sorted(ids) == ["indicator_weights", "no_projects_listed", "text_claims_no_projects"]


def test_no_written_file_has_a_zero_nobody_typed(county: dict) -> None:
    """Every file the county run wrote — reports, forms, audit lists and annotated workbooks, the summary."""
    files = sorted(p for p in (county["root"] / "output").rglob("*") if p.is_file() and not p.name.startswith("."))
    kinds = {p.suffix for p in files}
    assert kinds == {".docx", ".xlsx", ".md"}, files
    assert len([p for p in files if p.suffix == ".docx"]) == 3
    for path in files:
        if path.suffix == ".docx":
            d = docx.Document(path)
            texts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
        elif path.name.endswith("汇总表.xlsx"):  # counted columns (findings, unmet indicators) may count none
            ws = openpyxl.load_workbook(path)["汇总"]
            header = [c.value for c in ws[2]]
            counted = {header.index(h) for h in ("未完成指标数", "审核错误数", "审核提示数")}
            texts = [" ".join(str(v) for j, v in enumerate(row) if v is not None and j not in counted)
                     for row in ws.iter_rows(min_row=3, values_only=True)]
        elif path.suffix == ".xlsx":
            texts = _xlsx_texts(path)
        else:
            texts = path.read_text("utf-8").splitlines()
        assert not _zeros(texts), (path.name, _zeros(texts))


def test_a_rate_over_zero_is_not_computed_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "data" / BING / f"{YEAR}.xlsx"
    workbook(path, BING, {**FINANCE, "全年预算数": 0})
    own_template(tmp_path / "templates" / BING / "report.docx", ["执行率{{ 预算.执行率|百分比 }}。"])
    result = run(tmp_path, "--unit", BING)
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "模板第1段“执行率{{ 预算.执行率|百分比 }}。”用到“预算.执行率”，但按工作簿的数字算不出（除数为 0）："
        "请核对 2024.xlsx › 财务 › B20；2024.xlsx › 财务 › B19。"]
