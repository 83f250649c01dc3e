"""The three attachment tables (issue 3): labels, merges, numbers and scores, read back from the .docx and the .xlsx."""

from __future__ import annotations

import hashlib
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.table import _Cell
from lxml import etree

from conftest import REPORT_NAME, extend_example
from generator.pipeline import load
from generator.cli import main

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TABLES_NAME = REPORT_NAME.replace(".docx", "-附表.xlsx")


def run(project: Path):
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                       str(project / "templates"), "--out", str(project / "output")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "output" / "2024" / REPORT_NAME


def cells(row) -> list[tuple[str, int, str | None]]:
    """(text, gridSpan, vMerge) of each ``w:tc`` of a row; vMerge is "restart", "continue" or None."""
    out = []
    for tc in row._tr.tc_lst:
        pr = tc.tcPr
        span = pr.find(qn("w:gridSpan")) if pr is not None else None
        vm = pr.find(qn("w:vMerge")) if pr is not None else None
        vstate = None if vm is None else (vm.get(qn("w:val")) or "continue")
        out.append((_Cell(tc, None).text, int(span.get(qn("w:val"))) if span is not None else 1, vstate))
    return out


def texts(row) -> list[str]:
    return [c[0] for c in cells(row)]


def find_tables(document) -> dict[str, list]:
    """The attachment tables by role: base_lead/base_main, self_lead/self_main, project_leads/project_mains."""
    tables = document.tables
    out: dict[str, list] = {"project_leads": [], "project_mains": []}
    for i, t in enumerate(tables):
        first = texts(t.rows[0])[0]
        if first == "财政供养人员情况（人）":
            out["base_lead"], out["base_main"] = t, tables[i + 1]
        elif first == "预算部门、单位名称":
            out["self_lead"], out["self_main"] = t, tables[i + 1]
        elif first == "项目名称":
            out["project_leads"].append(t)
            out["project_mains"].append(tables[i + 1])
    return out


@pytest.fixture
def example(project: Path):
    path = run(project)
    data, ctx, _ = load(project / "data" / "2024.xlsx", 2024)
    return path, docx.Document(path), data, ctx.values


def wan(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


# ------------------------------------------------------------------ 附件1


def test_base_data_table_labels_headers_and_numbers(example):
    _, document, data, ctx = example
    t = find_tables(document)
    lead, main_ = t["base_lead"], t["base_main"]
    assert cells(lead.rows[0]) == [("财政供养人员情况（人）", 1, "restart"), ("编制数", 2, None),
                                   ("2024年实际在职人数", 2, None), ("控制率", 2, None)]
    assert cells(lead.rows[1]) == [("", 1, "continue"), ("81", 2, None), ("72", 2, None), ("88.89%", 2, None)]
    labels = [texts(r)[0] for r in main_.rows]
    projects = [f"{i}、{p['项目名称']}" for i, p in enumerate(data["项目"], start=1)]
    assert labels == ["经费控制情况（万元）", "三公经费：", "1、公务用车购置和维护经费", "其中：公车购置", "　　　公车运行维护",
                      "2、出国经费", "3、公务接待", "项目支出："] + projects + [
                      "公用经费", "其中：办公经费", "　　　水费、电费、差旅费", "　　　会议费、培训费", "政府采购金额",
                      "部门整体支出预算调整", "楼堂馆所控制情况（2024年完工项目）", "", "厉行节约保障措施"]
    assert texts(main_.rows[0])[1:] == ["2023年决算数", "2024年预算数", "2024年决算数"]
    rows = {texts(r)[0]: cells(r) for r in main_.rows}
    # 三公经费 in 元 in the workbook, 万元 here; every value cell spans two grid columns
    sg = data["三公经费"]
    periods = ("上年决算", "本年预算", "本年决算")
    assert rows["三公经费："][1:] == [(wan(sg[k]["合计"] / 10000), 2, None) for k in periods]
    assert rows["3、公务接待"][1:] == [(wan(sg[k]["公务接待"] / 10000), 2, None) for k in periods]
    assert [c[0] for c in rows["三公经费："][1:]] == ["9.64", "9.64", "4.60"]  # 96380, 96400, 46000 元
    fin = data["财务"]
    assert [c[0] for c in rows["项目支出："][1:]] == [wan(fin["上年项目支出决算数"]), wan(fin["年初预算项目支出"]),
                                                  wan(fin["决算项目支出"])]
    for label, p in zip(projects, data["项目"]):
        assert [c[0] for c in rows[label][1:]] == [wan(p["上年决算数"]), wan(p["年初预算当年财政拨款"]),
                                                    wan(p["全年执行当年财政拨款"])]
    for label, key in (("公用经费", "公用经费"), ("其中：办公经费", "办公经费"), ("政府采购金额", "政府采购金额")):
        assert [c[0] for c in rows[label][1:]] == [wan(data["基础数据"][k][key]) for k in periods]
    assert rows["部门整体支出预算调整"][3][0] == wan(fin["全年预算数"] - fin["年初预算支出"])
    building = [r for r in main_.rows if texts(r)[0].startswith("楼堂馆所")][0]
    assert cells(building)[0][2] == "restart" and len(cells(building)) == 7
    frugality = cells(main_.rows[-1])
    assert frugality[1] == (data["楼堂馆所及节约"]["厉行节约保障措施"], 6, None)
    assert cells(main_.rows[-2])[0] == ("", 1, "continue")


# ------------------------------------------------------------------ 附件2


def expected_merges(rows: list[dict]) -> tuple[list[str], list[str]]:
    """vMerge states of the 一级 and 二级 columns, derived from the workbook's indicator rows (grouped in order)."""
    order1: dict[str, dict[str, list]] = {}
    for r in rows:
        order1.setdefault(r["一级指标"], {}).setdefault(r["二级指标"], []).append(r)
    l1, l2 = [], []
    for groups in order1.values():
        first1 = True
        for entries in groups.values():
            for k, _ in enumerate(entries):
                l1.append("restart" if first1 else "continue")
                l2.append("restart" if k == 0 else "continue")
                first1 = False
    return l1, l2


def indicator_rows(table) -> list[list[tuple[str, int, str | None]]]:
    return [cells(r) for r in table.rows[1:-1]]


def test_self_evaluation_table(example):
    _, document, data, ctx = example
    t = find_tables(document)
    lead, main_ = t["self_lead"], t["self_main"]
    assert cells(lead.rows[0]) == [("预算部门、单位名称", 1, None), ("桃源县郑家驿镇人民政府", 8, None)]
    assert texts(lead.rows[1]) == ["年度预算申请（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率",
                                   "自评得分"]
    fin = data["财务"]
    assert texts(lead.rows[2])[1:] == ["年度资金总额", wan(fin["年初预算支出"]), wan(fin["全年预算数"]),
                                       wan(fin["决算支出"]), "10", "85.09%", "8.51"]
    assert [c[2] for c in map(lambda r: cells(r)[0], lead.rows[1:9])] == ["restart"] + ["continue"] * 7
    # one figure per concept (issue 13 item 3): the totals are the stated 决算收入 / 决算支出, as in the body
    assert texts(lead.rows[3])[1:] == ["按收入性质分：2826.23", "按支出性质分：2826.23"]
    assert texts(lead.rows[4])[1] == f"其中：一般公共预算：{wan(fin['一般公共预算拨款'])}"
    assert texts(lead.rows[4])[2] == f"其中：基本支出：{wan(fin['决算基本支出'])}"
    assert texts(lead.rows[9]) == ["年度总体目标", "预期目标", "实际完成情况"]
    goals = texts(lead.rows[10])[1].split("\n")
    assert goals[0] == "1.全面深化基层党建标准化建设。" and len(goals) == 10

    header = texts(main_.rows[0])
    assert header == ["年度绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                      "偏差原因分析及改进措施"]
    rows = indicator_rows(main_)
    assert len(rows) == len(data["绩效指标"])
    assert [r[3][0] for r in rows] == [r["三级指标"] for r in data["绩效指标"]]
    assert [r[0][2] for r in rows] == ["continue"] * len(rows)  # 年度绩效指标 label spans them all
    l1, l2 = expected_merges(data["绩效指标"])
    assert [r[1][2] for r in rows] == l1
    assert [r[2][2] for r in rows] == l2
    assert [r[1][0] for r in rows if r[1][2] == "restart"] == ["产出指标", "效益指标", "满意度指标"]
    assert [r[6][0] for r in rows] == [f"{r['分值'].normalize():f}" for r in data["绩效指标"]]
    total = cells(main_.rows[-1])
    assert total[0] == ("总分", 6, None) and total[1][0] == "100"
    # 总分 = 预算执行得分 + the rows' scores = 自评分 of section 四
    scores = [Decimal(r[7][0].split("\n")[0]) for r in rows]
    budget_score = Decimal(texts(lead.rows[2])[-1])
    assert Decimal(total[2][0]) == budget_score + sum(scores) == ctx["自评"]["总分"] == Decimal("95.29")
    body = "\n".join(p.text for p in document.paragraphs)
    assert re.search(r"部门整体绩效评价自评分为(\d+\.\d\d)分", body).group(1) == total[2][0]


def test_manual_scores_are_marked_and_others_are_not(example):
    _, document, data, _ = example
    rows = indicator_rows(find_tables(document)["self_main"])
    manual = {r["三级指标"]: r["手工得分"] for r in data["绩效指标"] if r.get("手工得分") is not None}
    assert manual == {"人均收入和地区经济增长": Decimal("1.36")}
    for r in rows:
        if r[3][0] in manual:
            assert r[7][0] == f"{manual[r[3][0]]}\n手工评分"
        else:
            assert "手工" not in r[7][0]


# ------------------------------------------------------------------ 附件3


def test_one_project_table_per_project(example):
    _, document, data, ctx = example
    t = find_tables(document)
    assert len(t["project_leads"]) == len(data["项目"]) == 3
    by_project: dict[str, list] = {}
    for r in data["项目指标"]:
        by_project.setdefault(r["项目名称"], []).append(r)
    for lead, main_, p, pc in zip(t["project_leads"], t["project_mains"], data["项目"], ctx["项目"]):
        assert cells(lead.rows[0])[1] == (p["项目名称"], 8, None)
        assert texts(lead.rows[1]) == ["主管部门", p["主管部门"], "实施单位", p["实施单位"]]
        assert [texts(r)[1] for r in lead.rows[2:7]] == ["", "年度资金总额", "其中：当年财政拨款", "　　　上年结转资金",
                                                         "　　　其他资金"]
        assert texts(lead.rows[3])[2:5] == [wan(p["年初预算当年财政拨款"]), wan(p["全年预算当年财政拨款"]),
                                            wan(p["全年执行当年财政拨款"])]
        assert texts(lead.rows[2])[2:] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
        assert texts(lead.rows[8])[1:] == [p["预期目标"], p["实际完成情况"]]
        assert texts(main_.rows[0])[0] == "绩效指标"
        rows = indicator_rows(main_)
        assert [r[3][0] for r in rows] == [r["三级指标"] for r in by_project[p["项目名称"]]]
        l1, l2 = expected_merges(by_project[p["项目名称"]])
        assert [r[1][2] for r in rows] == l1 and [r[2][2] for r in rows] == l2
        total = texts(main_.rows[-1])
        scores = sum(Decimal(r[7][0]) for r in rows) + Decimal(texts(lead.rows[3])[-1])
        assert total[1:3] == ["100", f"{scores:f}"] and Decimal(total[2]) == pc["得分"]


# ------------------------------------------------------------------ data-driven rows and tables


def test_added_indicators_and_project_add_rows_and_table_without_touching_template(project):
    template = project / "templates" / "default" / "report.docx"
    before = hashlib.sha256(template.read_bytes()).hexdigest()
    workbook = project / "data" / "2024.xlsx"
    extend_example(workbook)
    # the two 示范点 rows go under a 二级指标 of the national vocabulary that the example already has (a name
    # outside it is refused), appended at the end of the sheet: the form groups them with that group's rows
    wb = openpyxl.load_workbook(workbook)
    for row in wb["绩效指标"].iter_rows():
        if row[1].value == "示范效益指标":
            row[1].value = "生态效益指标"
    wb.save(workbook)
    document = docx.Document(run(project))
    assert hashlib.sha256(template.read_bytes()).hexdigest() == before
    data, ctx, _ = load(workbook, 2024)
    t = find_tables(document)
    rows = indicator_rows(t["self_main"])
    assert len(rows) == 43
    l1, l2 = expected_merges(data["绩效指标"])
    assert [r[1][2] for r in rows] == l1 and [r[2][2] for r in rows] == l2
    names = [r[3][0] for r in rows]
    cost = [r for r in rows if r[3][0] in ("成本控制率", "三公经费控制", "成本总额", "会议费控制")]
    assert [r[2][2] for r in cost] == ["restart", "continue", "continue", "continue"]  # four rows under one 成本指标
    assert names.index("会议费控制") == names.index("成本总额") + 1
    demo = [i for i, r in enumerate(rows) if r[3][0].startswith("示范点")]
    ecology = [i for i, r in enumerate(rows) if r[2][2] == "restart" and r[2][0] == "生态效益指标"]
    assert len(ecology) == 1  # one 生态效益指标 group, not a second one at the end
    first_demo = demo[0]
    assert demo == [first_demo, first_demo + 1] and first_demo > ecology[0]
    assert all(rows[i][2][2] == "continue" for i in range(ecology[0] + 1, first_demo + 2))
    assert [rows[i][1][2] for i in demo] == ["continue", "continue"]  # inside the 效益指标 group
    assert Decimal(texts(t["self_main"].rows[-1])[2]) == ctx.values["自评"]["总分"]
    assert len(t["project_leads"]) == 4
    new_lead, new_main = t["project_leads"][-1], t["project_mains"][-1]
    assert texts(new_lead.rows[0])[1] == "新增示意项目"
    new_rows = indicator_rows(new_main)
    assert [(r[1][2], r[2][2]) for r in new_rows] == [("restart", "restart"), ("continue", "continue"),
                                                      ("restart", "restart")]
    assert [r[7][0] for r in new_rows] == ["50.00", "10.00", "20.00"]  # ≥ rule: 20 × 2/4
    base_labels = [texts(r)[0] for r in t["base_main"].rows]
    assert "4、新增示意项目" in base_labels


# ------------------------------------------------------------------ layout and package


def test_layout_sections_headers_and_cells(example):
    path, document, _, _ = example
    sections = document.sections
    assert [s.orientation for s in sections[-3:]] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.LANDSCAPE]
    markers = [p for p in document.paragraphs if p.style.name == "附件标记"]
    assert [p.text for p in markers] == ["附件1", "附件2", "附件3"]
    titles = [p.text for p in document.paragraphs if p.style.name == "附表标题"]
    assert titles[:3] == ["2024年度部门整体支出绩效评价基础数据表", "2024年度部门整体支出绩效自评表", "项目支出绩效自评表"]
    t = find_tables(document)
    for table in [t["base_main"], t["self_main"], *t["project_mains"]]:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in table.rows[1:])
    for table in [t["base_lead"], t["base_main"], t["self_lead"], t["self_main"]]:
        for r in table.rows:
            # every row stays on one page, the long free-text goal row included (a row taller than
            # a page still breaks: Word and LibreOffice split it anyway; tests/test_layout.py checks the PDF)
            assert r._tr.trPr is not None and r._tr.trPr.find(qn("w:cantSplit")) is not None, \
                r._tr.xpath("string(.)")[:40]
        for r in table.rows:
            for tc in r._tr.tc_lst:
                for p in tc.iter(qn("w:p")):
                    style = p.find(qn("w:pPr") + "/" + qn("w:pStyle"))
                    assert style is not None
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    tcs = list(root.iter(W + "tc"))
    assert tcs and all(tc.find(W + "p") is not None for tc in tcs)
