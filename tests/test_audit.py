"""The audit (审核): every contradiction between a unit's figures, with the cells to fix.

The example workbook reproduces the published report with its slips; the audit finds each of
them and nothing else. A clean variant (the slips fixed, by hand, below) has no finding at all;
changing any one figure of an identity in it gives an error naming that cell, with both sides
and the difference. Every expectation (cells, figures, sums, differences) is written here or
worked out from the workbook's own cells read with openpyxl, never from the audit's messages.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from generator.errors import SEP
from generator.pipeline import audit_loaded, check, load
from conftest import EXAMPLE, REPORT_NAME, ROOT, column_of, row_of, run_cli, run_verb

ERROR, HINT = "错误", "提示"
WB = "2024.xlsx"


# ---------------------------------------------------------------------------- workbook access by labels


def addr(ws, key: str, header: str | None = None, key_header: str | None = None) -> str:
    """A field (财务 “资产总额”: column B), a grid cell (三公经费 “公务接待” × “本年决算”) or a table cell
    (人员编制 “事业编制” × “实有人数”; 项目 by “项目名称”)."""
    return f"{column_of(ws, header) if header else 'B'}{row_of(ws, key, key_header)}"


def full(sheet: str, coord: str, file: str = WB) -> str:
    return f"{file}{SEP}{sheet}{SEP}{coord}"


class Book:
    """A workbook open in openpyxl: cells set by label, saved as a unit's ``YEAR.xlsx``."""

    def __init__(self, path: Path):
        self.wb = openpyxl.load_workbook(path)
        # to save faster: the 模板字段 sheet (written by the tool, never read) and the formatted empty rows
        # below each table are dropped
        if "模板字段" in self.wb.sheetnames:
            del self.wb["模板字段"]
        for ws in self.wb:
            last = max((c.row for row in ws.iter_rows() for c in row if c.value is not None), default=1)
            if ws.max_row > last + 2:
                ws.delete_rows(last + 2, ws.max_row)

    def cell(self, sheet: str, key: str, header: str | None = None, key_header: str | None = None):
        return self.wb[sheet][addr(self.wb[sheet], key, header, key_header)]

    def set(self, sheet: str, key: str, header: str | None, value, key_header: str | None = None) -> str:
        """Set one cell; returns its full name (2024.xlsx › 财务 › B3)."""
        cell = self.cell(sheet, key, header, key_header)
        cell.value = value
        return full(sheet, cell.coordinate)

    def save(self, folder: Path, year: int = 2024) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{year}.xlsx"
        self.wb.save(path)
        return path


def indicator(book: Book, name: str, header: str, value) -> str:
    return book.set("绩效指标", name, header, value, key_header="三级指标")


def make_clean(book: Book) -> None:
    """Fix the example's slips (each one is a finding of the published report, see REFERENCE_FINDINGS)."""
    book.set("机构", "内设机构", "公布个数", 4)  # four offices are listed, not six
    book.set("人员编制", "事业编制", "实有人数", 41)  # 16 + 11 + 4 + 7 + 3
    book.set("人员编制", "合计", "实有人数", 67)  # 26 + 0 + 41
    book.set("财务", "其他收入", None, 86.54)  # 2717.40 + 21.90 + 0.39 + 0 + 86.54 = 2826.23
    book.set("财务", "决算基本支出", None, 1437.77)  # 1437.77 + 1388.46 = 2826.23
    # no reallocation between categories: the basic budget covers basic spending, the project budget shrinks
    book.set("财务", "年初预算基本支出", None, 1437.78)
    book.set("财务", "年初预算项目支出", None, 1810.21)  # 3247.99 − 1437.78
    book.set("项目", "乡村振兴及人居环境整治项目", "年初预算-当年财政拨款", 363.63, "项目名称")  # 1810.21 − 946.58 − 500
    # no unspent budget: the full-year budget is what was spent, and the indicator says 100%
    book.set("财务", "全年预算数", None, 2826.23)
    indicator(book, "预算支出执行率", "实际完成值", 1)


def findings(workbook: Path, year: int = 2024):
    """The audit of one workbook (against ``YEAR-1.xlsx`` beside it, if any), the template left aside."""
    data, ctx, _ = load(workbook, year)
    return audit_loaded(workbook, year, data, ctx).findings


@pytest.fixture(scope="module")
def clean_book() -> Book:
    book = Book(EXAMPLE)
    make_clean(book)
    return book


@pytest.fixture
def clean(clean_book: Book, tmp_path: Path) -> Book:
    """A fresh clean workbook for one test (edit it, then ``findings(book.save(folder))``)."""
    book = Book.__new__(Book)
    path = clean_book.save(tmp_path / "master")
    book.wb = openpyxl.load_workbook(path)
    return book


# ---------------------------------------------------------------------------- the example


# Every contradiction of the published report (zhengjiayi-2024-report.txt), with the cells it names.
REFERENCE_FINDINGS = {
    # 内设机构6个, but four are listed (机构 C3 against B3:B6)
    ("org_count", ERROR, ("机构", "C3")),
    # 实有编制人数72, but 行政 26 + 工勤 0 + 事业 43 = 69 (核定 81 = 30 + 1 + 50: 财政所 has no 上级, it is not a part)
    ("staff_sum.actual", ERROR, ("人员编制", "E3")),
    # 事业 实有43, but the five units under it have 16 + 11 + 4 + 7 + 3 = 41
    ("staff_sum.actual", ERROR, ("人员编制", "E7")),
    # 决算收入 2826.23, but 2717.40 + 21.90 + 0.39 + 0 + 86.55 = 2826.24: four rounded figures, within 0.02
    ("income_parts", HINT, ("财务", "B9")),
    # 决算支出 2826.23, but 基本 1437.78 + 项目 1388.46 = 2826.24: two rounded figures, within 0.01
    ("expense_parts", HINT, ("财务", "B20")),
    # 基本支出 1437.78 against a budget of 601.41, while 项目支出 1388.46 against 2646.58
    ("budget_reallocation", HINT, ("财务", "B21")),
    # 年底预算结余495.24万元 “未使用完”, beside 年末结转结余 0
    ("budget_balance_not_carried", HINT, ("财务", "B19")),
}


@pytest.fixture(scope="module")
def example_findings():
    return findings(EXAMPLE)


def test_example_yields_every_contradiction_of_the_reference_and_no_other(example_findings) -> None:
    got = {(f.id, f.severity, tuple(f.cells[0].split(SEP)[1:])) for f in example_findings}
    assert got == REFERENCE_FINDINGS
    assert len(example_findings) == len(REFERENCE_FINDINGS)


def test_example_findings_quote_the_figures(example_findings) -> None:
    by_cell = {f.cells[0]: f for f in example_findings}
    f = by_cell[full("机构", "C3")]
    assert f.cells == (full("机构", "C3"), *(full("机构", f"B{r}") for r in range(3, 7)))
    assert "6 个" in f.message and "4 个" in f.message and "相差 2 个" in f.message
    assert "平安法治和应急管理办公室" in f.message
    f = by_cell[full("人员编制", "E3")]
    assert f.cells == tuple(full("人员编制", c) for c in ("E3", "E4", "E5", "E7"))  # not E6 (财政所)
    assert "72 人" in f.message and "= 69 人" in f.message and "差 3 人" in f.message
    f = by_cell[full("人员编制", "E7")]
    assert f.cells == tuple(full("人员编制", f"E{r}") for r in (7, 8, 9, 10, 11, 12))
    assert "43 人" in f.message and "= 41 人" in f.message and "差 2 人" in f.message
    f = by_cell[full("财务", "B9")]
    assert f.cells == tuple(full("财务", f"B{r}") for r in range(9, 15))
    assert "2826.23" in f.message and "= 2826.24" in f.message and "差 0.01 万元" in f.message
    assert "4 个" in f.message and "0.02 万元" in f.message  # the zero (纳入专户) is exact: 4 figures, not 5
    f = by_cell[full("财务", "B20")]
    assert "差 0.01 万元" in f.message and "2 个" in f.message
    f = by_cell[full("财务", "B21")]
    assert "1437.78" in f.message and "601.41" in f.message and "239.07%" in f.message  # 1437.78 / 601.41
    assert "1388.46" in f.message and "2646.58" in f.message and "52.46%" in f.message  # 1388.46 / 2646.58
    f = by_cell[full("财务", "B19")]
    assert "495.24" in f.message and "3321.47" in f.message and "2826.23" in f.message  # 3321.47 − 2826.23
    assert f.cells == tuple(full("财务", c) for c in ("B19", "B20", "B23"))


def test_clean_variant_has_no_finding(clean: Book, tmp_path: Path) -> None:
    assert findings(clean.save(tmp_path / "data")) == []


# ---------------------------------------------------------------------------- identities, one figure at a time

# Each identity: (left side, right side); a figure is (sheet, row key, column header or None for a field,
# key column). Written from the forms' rules, not read from the code.
PROJECTS = ("乡村振兴及人居环境整治项目", "农村基础设施建设项目", "基层治理与民生保障项目")
SOURCES = ("当年财政拨款", "上年结转资金", "其他资金")
PERIODS = ("上年决算", "本年预算", "本年决算")


def fin(label: str) -> tuple:
    return ("财务", label, None, None)


def staff(category: str, column: str) -> tuple:
    return ("人员编制", category, column, None)


IDENTITIES: dict[str, tuple[list[tuple], list[tuple]]] = {
    "资产总额 = 流动资产 + 非流动资产": ([fin("资产总额")], [fin("流动资产"), fin("非流动资产")]),
    "资产总额 = 负债总额 + 净资产总额": ([fin("资产总额")], [fin("负债总额"), fin("净资产总额")]),
    "决算收入 = 各项收入之和": ([fin("决算收入")], [fin(x) for x in (
        "一般公共预算拨款", "政府性基金预算财政拨款收入", "国有资本经营预算财政拨款收入", "纳入专户管理的非税收入拨款",
        "其他收入")]),
    "年初预算支出 = 基本 + 项目": ([fin("年初预算支出")], [fin("年初预算基本支出"), fin("年初预算项目支出")]),
    "年初预算收入 = 年初预算支出": ([fin("年初预算收入")], [fin("年初预算支出")]),
    "决算支出 = 基本 + 项目": ([fin("决算支出")], [fin("决算基本支出"), fin("决算项目支出")]),
    "决算收入 + 上年结转 = 决算支出 + 年末结转结余": ([fin("决算收入"), fin("上年结转")],
                                                   [fin("决算支出"), fin("年末结转结余")]),
    **{f"三公经费合计（{p}）": ([("三公经费", "合计", p, None)],
                           [("三公经费", r, p, None) for r in ("公务用车购置和维护经费", "出国经费", "公务接待")])
       for p in PERIODS},
    **{f"公务用车购置和维护经费（{p}）": ([("三公经费", "公务用车购置和维护经费", p, None)],
                                [("三公经费", r, p, None) for r in ("公车购置", "公车运行维护")]) for p in PERIODS},
    "年初预算项目支出 = 各项目年初预算": ([fin("年初预算项目支出")],
                                  [("项目", n, f"年初预算-{s}", "项目名称") for n in PROJECTS for s in SOURCES]),
    "决算项目支出 = 各项目全年执行": ([fin("决算项目支出")],
                                [("项目", n, f"全年执行-{s}", "项目名称") for n in PROJECTS for s in SOURCES]),
    "上年项目支出决算数 = 各项目上年决算数": ([fin("上年项目支出决算数")], [("项目", n, "上年决算数", "项目名称") for n in PROJECTS]),
    # staff: summed only under a row named as 上级 (财政所 has none and is not part of 合计)
    **{f"合计{c} = 行政 + 工勤 + 事业": ([staff("合计", c)], [staff(x, c) for x in ("行政编制", "机关工勤", "事业编制")])
       for c in ("核定编制", "实有人数")},
    **{f"事业编制{c} = 下属单位之和": ([staff("事业编制", c)], [staff(x, c) for x in (
        "农业综合服务中心", "社会事务综合服务中心", "生态事务中心", "综合行政执法大队", "退役军人服务站")])
       for c in ("核定编制", "实有人数")},
}


def identity_cases() -> list[tuple[str, int]]:
    return [(name, k) for name, (left, right) in IDENTITIES.items() for k in range(len(left) + len(right))]


@pytest.mark.parametrize(("identity", "k"), identity_cases(), ids=lambda v: str(v))
def test_changing_one_figure_of_an_identity_is_an_error_naming_it(clean_book: Book, tmp_path: Path, identity: str,
                                                                  k: int) -> None:
    left, right = IDENTITIES[identity]
    figures = left + right
    counts = figures[0][0] == "人员编制"
    cells = [clean_book.cell(*f) for f in figures]
    names = [full(f[0], c.coordinate) for f, c in zip(figures, cells)]
    values = [Decimal(str(c.value or 0)) for c in cells]
    bump = Decimal(1) if counts else Decimal("7.00")
    target = cells[k]
    saved = target.value
    target.value = int(values[k] + bump) if counts else float(values[k] + bump)
    try:
        path = clean_book.save(tmp_path / "data")
    finally:
        target.value = saved
    values[k] += bump
    lsum, rsum = sum(values[:len(left)]), sum(values[len(left):])
    show = (lambda d: f"{d:.0f}") if counts else (lambda d: f"{d:.2f}")
    found = [f for f in findings(path) if set(names) <= set(f.cells)]
    assert len(found) == 1, (identity, names[k], [str(f) for f in findings(path)])
    f = found[0]
    assert f.severity == ERROR and names[k] in f.cells
    # both sides and the difference, in the units of the sheet
    assert show(lsum) in f.message and show(rsum) in f.message, f.message
    assert f"差 {show(abs(lsum - rsum))} {'人' if '实有' in identity else '个' if counts else ''}".rstrip() in f.message
    assert ("超出四舍五入范围" in f.message) != counts  # money may differ by rounding, counts never


def test_every_identity_figure_is_stated_in_the_example(clean_book: Book) -> None:
    """The cases above are real: every figure they name is a filled cell of the example."""
    for left, right in IDENTITIES.values():
        for f in left + right:
            assert clean_book.cell(*f).value is not None, f


# ---------------------------------------------------------------------------- the rounding rule


def test_rounding_tolerance_is_half_a_cent_per_non_zero_figure(clean: Book, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    # 资产总额 1813.15 against two rounded parts: up to 2 × 0.005 = 0.01 is rounding
    cell = clean.set("财务", "流动资产", None, 1321.00)
    [f] = findings(clean.save(folder))
    assert (f.severity, f.cells[0]) == (HINT, full("财务", "B3")) and cell in f.cells
    assert "1813.15" in f.message and "= 1813.16" in f.message
    assert "差 0.01 万元" in f.message and "四舍五入" in f.message
    clean.set("财务", "流动资产", None, 1321.01)
    [f] = findings(clean.save(folder))
    assert f.severity == ERROR and "差 0.02 万元" in f.message and "超出四舍五入范围" in f.message
    clean.set("财务", "流动资产", None, 1320.99)
    # 决算收入 against five parts of which one is 0: four rounded figures, up to 0.02
    clean.set("财务", "其他收入", None, 86.56)  # parts 2826.25, 0.02 over
    [f] = findings(clean.save(folder))
    assert (f.severity, f.cells[0]) == (HINT, full("财务", "B9")) and "差 0.02 万元" in f.message
    clean.set("财务", "其他收入", None, 86.57)  # 0.03 over
    [f] = findings(clean.save(folder))
    assert f.severity == ERROR and "差 0.03 万元" in f.message
    # the zero made non-zero: five rounded figures, up to 0.025, and 0.03 is still too much … 0.02 is not
    clean.set("财务", "其他收入", None, 86.55)
    clean.set("财务", "纳入专户管理的非税收入拨款", None, 0.01)  # parts 2826.25 again, now of five figures
    [f] = findings(clean.save(folder))
    assert f.severity == HINT and "差 0.02 万元" in f.message and "5 个" in f.message
    clean.set("财务", "纳入专户管理的非税收入拨款", None, 0)
    clean.set("财务", "其他收入", None, 86.54)
    # the same money stated twice must agree to the cent (one figure each side: 0.005)
    clean.set("财务", "年初预算收入", None, 3248.00)
    [f] = findings(clean.save(folder))
    assert (f.severity, f.cells) == (ERROR, (full("财务", "B8"), full("财务", "B16")))
    assert "3248.00" in f.message and "3247.99" in f.message and "差 0.01 万元" in f.message


def test_counts_are_never_a_rounding_difference(clean: Book, tmp_path: Path) -> None:
    cell = clean.set("人员编制", "合计", "核定编制", 82)
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (ERROR, cell)
    assert "82 个" in f.message and "= 81 个" in f.message and "差 1 个" in f.message


# ---------------------------------------------------------------------------- staff: sums only under a declared 上级


def test_a_row_without_a_parent_is_never_summed(clean: Book, tmp_path: Path) -> None:
    clean.set("人员编制", "财政所", "核定编制", 60)
    clean.set("人员编制", "财政所", "实有人数", 50)
    assert findings(clean.save(tmp_path / "data")) == []


def test_a_row_naming_a_parent_is_added_to_it(clean: Book, tmp_path: Path) -> None:
    ws = clean.wb["人员编制"]
    row = row_of(ws, "退役军人服务站") + 1
    for header, value in (("类别", "驻镇协管员"), ("上级", "合计"), ("类型", "人员类别"), ("核定编制", 2),
                          ("实有人数", 2)):
        ws[f"{column_of(ws, header)}{row}"] = value
    found = findings(clean.save(tmp_path / "data"))
    assert sorted((f.severity, f.cells[0], f.cells[-1]) for f in found) == [
        (ERROR, full("人员编制", "D3"), full("人员编制", f"D{row}")),
        (ERROR, full("人员编制", "E3"), full("人员编制", f"E{row}"))]
    by_cell = {f.cells[0]: f.message for f in found}
    assert "81 个" in by_cell[full("人员编制", "D3")] and "= 83 个" in by_cell[full("人员编制", "D3")]  # 30+1+50+2
    assert "67 人" in by_cell[full("人员编制", "E3")] and "= 69 人" in by_cell[full("人员编制", "E3")]  # 26+0+41+2


def test_a_category_the_township_does_not_have_is_left_out_not_typed_as_zero(clean: Book, tmp_path: Path) -> None:
    ws = clean.wb["人员编制"]
    row = row_of(ws, "机关工勤")
    for cell in ws[row]:
        cell.value = None  # no 机关工勤 row at all
    clean.set("人员编制", "合计", "核定编制", 80)  # 30 + 50
    path = clean.save(tmp_path / "data")
    assert [f for f in findings(path) if f.sheet == "人员编制"] == []


def test_staff_above_establishment_is_a_hint(clean: Book, tmp_path: Path) -> None:
    cell = clean.set("人员编制", "财政所", "实有人数", 7)  # 核定 6
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells) == (HINT, (cell, full("人员编制", "D6")))
    assert "7 人" in f.message and "6 个" in f.message and "1 人" in f.message


# ---------------------------------------------------------------------------- organisation groups


def test_each_group_is_counted_against_its_own_list(clean: Book, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ws = clean.wb["机构"]
    # 下设机构 stated as 5, which is its list: nothing to say
    sub = f"{column_of(ws, '公布个数')}{row_of(ws, '退役军人服务站', '名称')}"
    ws[sub] = 5
    assert findings(clean.save(folder)) == []
    # a third group with its own stated count, beside the two others
    row = row_of(ws, "综合行政执法大队", "名称") + 1
    for k, name in enumerate(("派出所", "司法所")):
        ws[f"A{row + k}"], ws[f"B{row + k}"] = "派驻机构", name
    ws[f"C{row + 1}"] = 3
    [f] = findings(clean.save(folder))
    assert (f.severity, f.cells) == (ERROR, (full("机构", f"C{row + 1}"), full("机构", f"B{row}"),
                                             full("机构", f"B{row + 1}")))
    assert "派驻机构" in f.message and "3 个" in f.message and "2 个" in f.message and "相差 1 个" in f.message
    assert "派出所、司法所" in f.message and "农业综合服务中心" not in f.message
    # 下设机构 stated as 6: its own finding, naming its own cell and list
    ws[f"C{row + 1}"] = 2
    ws[sub] = 6
    [f] = findings(clean.save(folder))
    assert f.cells[0] == full("机构", sub) and len(f.cells) == 6
    assert "6 个" in f.message and "5 个" in f.message and "相差 1 个" in f.message


def test_a_typed_summary_against_the_list(clean: Book, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    ws = clean.wb["机构"]
    summary = f"{column_of(ws, '概述')}{row_of(ws, '农业综合服务中心', '名称')}"
    ws[summary] = "3中心2站1队"  # 6 offices, five listed
    [f] = findings(clean.save(folder))
    assert (f.severity, f.cells[0], len(f.cells)) == (ERROR, full("机构", summary), 6)
    assert "3中心2站1队" in f.message and "6 个" in f.message and "5 个" in f.message
    ws[summary] = "2中心2站1队"  # five offices, but of other kinds than the list's
    [f] = findings(clean.save(folder))
    assert f.cells[0] == full("机构", summary)
    assert "2中心2站1队" in f.message and "3中心1站1队" in f.message  # the list's own summary
    assert "共 5 个" not in f.message  # never “共 5 个，但列出 5 个”
    ws[summary] = "3中心1站1队"
    assert findings(clean.save(folder)) == []


# ---------------------------------------------------------------------------- indicators


def test_missed_target_without_reason_is_an_error_naming_the_reason_cell(clean: Book, tmp_path: Path) -> None:
    cell = indicator(clean, "医保参保率", "偏差原因分析及改进措施", None)
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (ERROR, cell)
    assert "医保参保率" in f.message and "≥90%" in f.message and "80%" in f.message


def test_score_below_weight_without_reason(clean: Book, tmp_path: Path) -> None:
    indicator(clean, "群众生活幸福指数", "手工得分", 2)
    indicator(clean, "群众生活幸福指数", "评价等级", "达成")
    [f] = findings(clean.save(tmp_path / "data"))
    assert f.severity == ERROR and "群众生活幸福指数" in f.message and "2.00" in f.message and "2.5" in f.message


def test_band_contradicting_the_figures(clean: Book, tmp_path: Path) -> None:
    cell = indicator(clean, "医保参保率", "评价等级", "达成")  # 80% against ≥ 90%
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (ERROR, cell) and "未达到" in f.message and "达成" in f.message
    indicator(clean, "医保参保率", "评价等级", None)
    cell = indicator(clean, "司法调解率", "评价等级", "部分达成")  # 95% against ≥ 90%: met
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (ERROR, cell) and "已达到" in f.message


def test_manual_score_outside_its_band(clean: Book, tmp_path: Path) -> None:
    # 部分达成 gives 50% to 80% of the weight: 2.5 → [1.25, 2)
    cell = indicator(clean, "人均收入和地区经济增长", "手工得分", 2.1)
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (ERROR, cell) and "2.10" in f.message and "1.25" in f.message
    indicator(clean, "人均收入和地区经济增长", "手工得分", 1.25)
    assert findings(clean.save(tmp_path / "data")) == []


def test_weights_add_up_to_90_and_usually_50_30_10(clean: Book, tmp_path: Path) -> None:
    cell = indicator(clean, "直接受益对象满意度", "分值", 11)
    [f] = findings(clean.save(tmp_path / "data"))
    assert f.severity == ERROR and cell in f.cells and len(f.cells) == 40  # every weight of the table
    assert "91" in f.message and "90" in f.message and "相差 1" in f.message
    # one point moved from 满意度 to 效益: still 90, but not 30 / 10: a hint on each of the two groups
    indicator(clean, "直接受益对象满意度", "分值", 9)
    indicator(clean, "机构运行保障度", "分值", 3.5)
    satisfaction, benefit = sorted(findings(clean.save(tmp_path / "data")), key=lambda f: len(f.cells))
    assert (satisfaction.severity, len(satisfaction.cells), benefit.severity, len(benefit.cells)) == (HINT, 1, HINT, 12)
    assert "满意度指标" in satisfaction.message and "9 分" in satisfaction.message and "10 分" in satisfaction.message
    assert "效益指标" in benefit.message and "31 分" in benefit.message and "30 分" in benefit.message


def test_project_indicator_weights(clean: Book, tmp_path: Path) -> None:
    ws = clean.wb["项目指标"]
    row = next(r for r in range(3, ws.max_row + 1)
               if ws[f"A{r}"].value == "农村基础设施建设项目" and ws[f"D{r}"].value == "验收合格率")
    ws[f"{column_of(ws, '分值')}{row}"] = 10
    [f] = findings(clean.save(tmp_path / "data"))
    assert f.severity == ERROR and full("项目指标", f"I{row}") in f.cells and len(f.cells) == 7
    assert "农村基础设施建设项目" in f.message and "87.5" in f.message  # 90 − 12.5 + 10


def test_a_local_indicator_name_is_one_hint_naming_every_cell(clean: Book, tmp_path: Path) -> None:
    a = indicator(clean, "安全隐患排查", "二级指标", "安全生产专项指标")
    b = indicator(clean, "塘坝清淤数", "二级指标", "安全生产专项指标")
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells) == (HINT, (a, b)) and "安全生产专项指标" in f.message and "数量指标" in f.message


# ---------------------------------------------------------------------------- 核对数据


def test_indicator_checked_against_a_named_figure(clean: Book, tmp_path: Path) -> None:
    """核对数据 by full name (预算.执行率, a fraction, against a percentage) or short name."""
    source = indicator(clean, "预算支出执行率", "核对数据", "预算.执行率")
    assert findings(clean.save(tmp_path / "data")) == []  # 2826.23 / 2826.23 = 100%, as stated
    cell = indicator(clean, "预算支出执行率", "实际完成值", 0.98)
    [f] = findings(clean.save(tmp_path / "data"))
    assert f.severity == ERROR
    assert f.cells == (cell, source, full("财务", "B20"), full("财务", "B19"))  # 决算支出 ÷ 全年预算数
    assert "98%" in f.message and "100%" in f.message and "2 个百分点" in f.message


def test_indicator_source_in_other_units(clean: Book, tmp_path: Path) -> None:
    """三公经费 is in 元, the indicator in 万元: 46000 元 = 4.60 万元."""
    source = indicator(clean, "三公经费控制", "核对数据", "三公经费.本年决算.合计")
    cell = indicator(clean, "三公经费控制", "实际完成值", 5.6)
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells) == (ERROR, (cell, source, full("三公经费", "D3")))
    assert "5.6" in f.message and "4.60万元" in f.message
    indicator(clean, "三公经费控制", "实际完成值", 4.6)
    assert findings(clean.save(tmp_path / "data")) == []


def test_indicator_checked_against_a_head_count(clean: Book, tmp_path: Path) -> None:
    """A count (人员编制.合计.实有人数, 67 in the clean variant) against an indicator in 人."""
    ws = clean.wb["绩效指标"]
    row = row_of(ws, "安全隐患排查", "三级指标")
    for header, value in (("三级指标", "在编人员"), ("比较", "≥"), ("年度指标值", 60), ("实际完成值", 67), ("单位", "人"),
                          ("核对数据", "人员编制.合计.实有人数")):
        ws[f"{column_of(ws, header)}{row}"] = value
    assert findings(clean.save(tmp_path / "data")) == []
    ws[f"{column_of(ws, '实际完成值')}{row}"] = 70
    [f] = findings(clean.save(tmp_path / "data"))
    assert f.severity == ERROR and f.cells[:2] == (full("绩效指标", f"F{row}"), full("绩效指标", f"L{row}"))
    assert full("人员编制", "E3") in f.cells and "70人" in f.message and "67人" in f.message


def test_a_stated_rate_rounded_is_not_a_finding(example_findings) -> None:
    """The example states 执行率 as 85% (核对数据 执行率) while it computes to 85.09%: the same rate, rounded."""
    assert not [f for f in example_findings if "绩效指标" in f.sheet]


def test_unknown_source_name(clean: Book, tmp_path: Path) -> None:
    cell = indicator(clean, "成本总额", "核对数据", "支出合计")
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells) == (ERROR, (cell,)) and "支出合计" in f.message and "决算支出" in f.message


# ---------------------------------------------------------------------------- texts


def text_cell(book: Book, fragment: str):
    ws = book.wb["文字内容"]
    column = column_of(ws, "内容")
    return next(c for c in ws[column][2:] if c.value and fragment in str(c.value))


def test_rate_typed_into_a_text_against_its_inputs(clean: Book, tmp_path: Path) -> None:
    cell = text_cell(clean, "{预算调整率}")
    text = cell.value
    cell.value = text.replace("{预算调整率}", "2.26%")
    [f] = findings(clean.save(tmp_path / "data"))
    # the clean full-year budget is 2826.23 against 3247.99: (2826.23 − 3247.99) / 3247.99 = −12.99%
    assert f.severity == ERROR
    assert f.cells == (full("文字内容", cell.coordinate), full("财务", "B19"), full("财务", "B16"))
    assert "调整率2.26%" in f.message and "-12.99%" in f.message
    cell.value = text.replace("{预算调整率}", "-13.0%")  # the same rate at one decimal
    assert findings(clean.save(tmp_path / "data")) == []


def test_sangong_change_claim(clean: Book, tmp_path: Path) -> None:
    cell = text_cell(clean, "三公经费")
    cell.value = "今年本镇三公经费支出超过去年"
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells) == (ERROR, (full("文字内容", cell.coordinate), full("三公经费", "D3"),
                                             full("三公经费", "B3")))
    assert "46000.00" in f.message and "96380.00" in f.message and "50380.00" in f.message  # 96380 − 46000


def test_text_claiming_all_targets_met(clean: Book, tmp_path: Path) -> None:
    cell = text_cell(clean, "重点工作")
    cell.value = "全年各项工作均已完成年度目标。"
    [f] = findings(clean.save(tmp_path / "data"))
    assert (f.severity, f.cells[0]) == (HINT, full("文字内容", cell.coordinate))
    assert "医保参保率" in f.message and "秀美桃源排名" in f.message
    ws = clean.wb["绩效指标"]
    assert full("绩效指标", addr(ws, "医保参保率", "实际完成值", "三级指标")) in f.cells


# ---------------------------------------------------------------------------- last year's workbook


def last_year(book: Book) -> Book:
    """Last year's workbook as it should be: this year's 上年 figures are its 本年 figures."""
    prev = Book(EXAMPLE)
    make_clean(prev)
    prev.set("基本信息", "年度", None, 2023)
    for row in ("合计", "公务用车购置和维护经费", "公车购置", "公车运行维护", "出国经费", "公务接待"):
        prev.set("三公经费", row, "本年决算", book.cell("三公经费", row, "上年决算").value)
    for row in ("公用经费", "办公经费", "水费、电费、差旅费", "会议费、培训费", "政府采购金额"):
        prev.set("基础数据", row, "本年决算", book.cell("基础数据", row, "上年决算").value)
    prev.set("财务", "决算项目支出", None, book.cell("财务", "上年项目支出决算数").value)
    for name in PROJECTS:
        prev.set("项目", name, "全年执行-当年财政拨款", book.cell("项目", name, "上年决算数", "项目名称").value,
                 "项目名称")
    return prev


def test_last_years_figures_against_last_years_workbook(clean: Book, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    this = clean.save(folder)
    prev = last_year(clean)
    prev.save(folder, 2023)
    assert findings(this) == []  # last year's workbook agrees: nothing to say
    prev.set("三公经费", "公务接待", "本年决算", 96000)
    prev.save(folder, 2023)
    [f] = findings(this)
    assert (f.severity, f.cells) == (ERROR, (full("三公经费", "B8"), full("三公经费", "D8", "2023.xlsx")))
    assert "96380.00" in f.message and "96000.00" in f.message and "380.00" in f.message and "2023.xlsx" in f.message
    prev.set("三公经费", "公务接待", "本年决算", 96380)
    prev.set("项目", "农村基础设施建设项目", "全年执行-当年财政拨款", 440, "项目名称")
    prev.save(folder, 2023)
    [f] = findings(this)
    assert f.severity == ERROR and f.cells[0] == full("项目", "D4") and "450.00" in f.message and "440.00" in f.message
    assert full("项目", "K4", "2023.xlsx") in f.cells


def test_unreadable_last_year_is_a_hint_not_a_failure(clean: Book, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    this = clean.save(folder)
    shutil.copy(this, folder / "2023.xlsx")  # says 2024 inside: refused as 2023's workbook
    [f] = findings(this)
    assert f.severity == HINT and "2023.xlsx" in f.message


# ---------------------------------------------------------------------------- the command line


def project_with(tmp_path: Path, book: Book | None = None) -> Path:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    if book is None:
        shutil.copytree(ROOT / "data", tmp_path / "data")
    else:
        book.save(tmp_path / "data")
    return tmp_path


def test_check_on_the_example_exits_1_and_lists_each_finding_with_its_cell(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    result = run_verb(project, "check")
    assert result.exit_code == 1, result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith("[")]
    assert len(lines) == 7
    assert [line[:4] for line in lines] == ["[错误]"] * 3 + ["[提示]"] * 4  # errors first
    assert lines[0].startswith("[错误] 机构 › C3：") and any(line.startswith("[错误] 人员编制 › E7：") for line in lines)
    assert "发现 3 处错误、4 处提示" in result.output and "Traceback" not in result.output
    assert not (project / "output").exists()


def test_check_on_a_clean_workbook_exits_0(clean: Book, tmp_path: Path) -> None:
    project = project_with(tmp_path, clean)
    result = run_verb(project, "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == ["审核通过：2024.xlsx 中未发现前后矛盾的数字。"]
    assert not (project / "output").exists()


def test_strict_writes_nothing_when_there_are_errors(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    result = run_cli(project, "--strict")
    assert result.exit_code == 1
    assert "--strict" in result.output and "机构 › C3" in result.output
    assert not (project / "output").exists() or not any((project / "output").rglob("*.*"))


def test_generation_writes_the_audit_lists_next_to_the_report(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    folder = project / "output" / "2024"
    md = folder / REPORT_NAME.replace(".docx", "-审核.md")
    text = md.read_text("utf-8")
    assert "## 人员编制" in text and f"    - {full('人员编制', 'E12')}" in text
    annotated = openpyxl.load_workbook(folder / REPORT_NAME.replace(".docx", "-审核.xlsx"))
    assert annotated["机构"]["C3"].comment is not None  # the finding's cell carries its message
    assert "6 个" in annotated["机构"]["C3"].comment.text


def test_check_function_gives_the_same_findings_as_generation(tmp_path: Path, example_findings) -> None:
    project = project_with(tmp_path)
    result = check(2024, data_dir=project / "data", templates_dir=project / "templates")
    assert [(f.id, f.cells) for f in result.findings] == [(f.id, f.cells) for f in example_findings]
    assert not result.ok and len(result.errors) == 3 and len(result.hints) == 4
