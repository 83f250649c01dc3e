"""Stage 4 — audit (审核): find every contradiction between a unit's figures, with the cells to fix.

Input is the validated ``data`` (with ``data["cells"]``: name → "file › sheet › cell")
and the compute ``Context``; optionally last year's ``(data, context)``, which the
pipeline loads from ``DATA/<YEAR-1>.xlsx`` when it exists. Output is a list of
plain ``Finding`` records. Nothing here reads files or renders text for a
template; every message is a template in ``messages.py``.

Severities (``errors.ERROR``, ``errors.HINT``):
    错误  an arithmetic contradiction between figures the clerk typed (a total
          that is not the sum of its parts, a count that is not the length of its
          list, a stated rate that does not follow from its inputs, an indicator
          whose status contradicts its figures), or a required entry missing
          where the figures demand it (偏差原因 of a missed target).
    提示  what is legal but worth a look: a rounding difference, a large
          reallocation between budget categories, staff above establishment,
          weights other than the usual 50 / 30 / 10, a budget balance that is not
          carried over, an indicator name outside the national vocabulary.

Rounding rule. Money is published with two decimals (万元 and 元), so one
figure may be off its true value by half a unit of the last decimal (0.005).
When a total is compared with the sum of ``n`` rounded figures, the rounding
of the parts can legitimately add up to ``n`` × 0.005, where ``n`` is the
number of non-zero figures on the longer side (a zero is typed as "none" and is
exact). A difference within that tolerance is reported as a 提示 saying it is a
rounding difference; beyond it, as an 错误 with both sides and the difference.
Two figures for the same money (``n`` = 1) must agree exactly at two decimals.
Counts (编制, 人数, 机构) are not rounded: any difference is an error. A stated
rate (an indicator's 实际完成值, a percentage typed in a text) is compared
with the rate computed from its inputs with a tolerance of half a unit in the
decimals it is published with (85% → ±0.5 个百分点).

Only what is stated is compared: a total left blank, or parts all blank, is no
contradiction. Staff rows are summed only where a row names its 上级.

The checks are data-driven where they can be: ``IDENTITIES`` (left = right over
names), ``AT_MOST`` (parts may not exceed a whole), ``PREVIOUS`` (this year's 上年
figures against last year's workbook), ``TEXT_FIGURES`` (rates and amounts
typed literally into the report texts). A name ``项目*.全年执行当年财政拨款``
stands for that column of every row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema
from .errors import ERROR, HINT, SEP
from .messages import msg
from .names import full_name, kind_of, placeholder_value

ZERO = Decimal(0)
HALF_CENT = Decimal("0.005")  # half a unit in the last published decimal of 万元 and 元 figures
PERIODS = tuple(c.zh for c in schema.PERIOD_COLUMNS)  # 上年决算, 本年预算, 本年决算
F = "财务."

# (id, left, right): the sum of the figures on the left must equal the sum on the right.
IDENTITIES: tuple[tuple[str, str | tuple[str, ...], tuple[str, ...]], ...] = (
    ("assets_parts", F + "资产总额", (F + "流动资产", F + "非流动资产")),
    ("assets_balance", F + "资产总额", (F + "负债总额", F + "净资产总额")),
    ("income_parts", F + "决算收入", (F + "一般公共预算拨款", F + "政府性基金预算财政拨款收入",
                                      F + "国有资本经营预算财政拨款收入", F + "纳入专户管理的非税收入拨款", F + "其他收入")),
    ("budget_parts", F + "年初预算支出", (F + "年初预算基本支出", F + "年初预算项目支出")),
    ("budget_balance", F + "年初预算收入", (F + "年初预算支出",)),
    ("expense_parts", F + "决算支出", (F + "决算基本支出", F + "决算项目支出")),
    ("funds_balance", (F + "决算收入", F + "上年结转"), (F + "决算支出", F + "年末结转结余")),
    *((f"sangong_total.{p}", f"三公经费.{p}.合计",
       (f"三公经费.{p}.公务用车购置和维护经费", f"三公经费.{p}.出国经费", f"三公经费.{p}.公务接待")) for p in PERIODS),
    *((f"sangong_vehicle.{p}", f"三公经费.{p}.公务用车购置和维护经费",
       (f"三公经费.{p}.公车购置", f"三公经费.{p}.公车运行维护")) for p in PERIODS),
    ("projects_initial", F + "年初预算项目支出", tuple(f"项目*.年初预算{s}" for _, s in schema.FUND_SOURCES)),
    ("projects_executed", F + "决算项目支出", tuple(f"项目*.全年执行{s}" for _, s in schema.FUND_SOURCES)),
    ("projects_prev", F + "上年项目支出决算数", ("项目*.上年决算数",)),
)

# (id, whole, parts): the parts (selected items, or a subset) may not add up to more than the whole.
AT_MOST: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *((f"public_items.{p}", f"基础数据.{p}.公用经费",
       (f"基础数据.{p}.办公经费", f"基础数据.{p}.水费电费差旅费", f"基础数据.{p}.会议费培训费")) for p in PERIODS),
    ("public_in_basic.actual", F + "决算基本支出", ("基础数据.本年决算.公用经费",)),
    ("public_in_basic.budget", F + "年初预算基本支出", ("基础数据.本年预算.公用经费",)),
)

# (id, this year's name, last year's name): figures stated for last year must be last year's figures.
PREVIOUS: tuple[tuple[str, str, str], ...] = (
    *((f"previous_sangong.{r.key}", f"三公经费.上年决算.{r.zh}", f"三公经费.本年决算.{r.zh}") for r in schema.SANGONG_ROWS),
    ("previous_exp_project", F + "上年项目支出决算数", F + "决算项目支出"),
    *((f"previous_base_data.{r.key}", f"基础数据.上年决算.{r.zh}", f"基础数据.本年决算.{r.zh}")
      for r in schema.BASE_DATA.rows),
)

# Figures a clerk may type literally into a text of the 文字内容 sheet instead of a
# placeholder: (name, pattern with a group "v" for the number, context name, kind).
# Placeholders are removed before matching: they are right by construction.
TEXT_FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("执行率", r"(?<!项目)(?<!项目支出)(?:预算|支出|资金)?执行率(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]",
     "预算.执行率", "pct"),
    ("调整率", r"(?<!项目)调整率(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]", "预算.调整率", "pct"),
    ("预算调整", r"预算调整(?:了|额|金额)?(?:为|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*万元", "预算.调整额", "wan"),
    ("预算结余", r"预算结余(?:了|额|金额)?(?:为|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*万元", "预算.结余", "wan"),
    ("编制使用率", r"(?:人员控制率|编制使用率)(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]",
     "人员编制.合计.编制使用率", "pct"),
    ("三公经费变动", r"三公[”\"]?经费[^。；;]{0,20}?比(?:去年|上年)(?P<dir>下降|减少|降低|增加|增长|上升)了?\s*"
                  r"(?P<v>\d+(?:\.\d+)?)\s*[%％]", "三公经费.变动率", "pct_change"),
)

# Words in a text or sentence saying how 三公经费 changed against last year.
SANGONG_UP = re.compile(r"(?<![未不没])超过(?:了)?(?:去年|上年)|比(?:去年|上年)(?:增加|增长|上升)")
SANGONG_NOT_UP = re.compile(r"(?:未|没有|不)超(?:过)?(?:去年|上年)|比(?:去年|上年)(?:减少|下降|降低|持平)")

# Phrases claiming that the unit had no project expenditure.
NO_PROJECTS_CLAIM = re.compile(r"(?:没有|无|未发生)(?:任何)?项目支出")

# Phrases claiming that every target was met.
ALL_MET = re.compile(r"(?:全部|均已|均|全面|圆满)(?:完成|达到|达成|实现)(?:了)?(?:年度|各项|全部)?(?:绩效)?(?:目标|指标)")

INDICATOR_WEIGHT_TOTAL = Decimal(100 - schema.BUDGET_WEIGHT)  # plus 10 for budget execution = 100
REALLOCATION_THRESHOLD = Decimal("0.2")  # a category spending 20% above its initial budget
_KIND_UNIT = {"wan": "万元", "yuan": "元", "核定编制": "个", "实有人数": "人", "count": "个"}


@dataclass(frozen=True)
class Finding:
    """One contradiction (or point worth a look), with every cell involved."""

    id: str
    severity: str  # ERROR "错误" or HINT "提示"
    sheet: str
    message: str
    cells: tuple[str, ...] = ()

    def line(self, verbose: bool = False) -> str:
        if verbose:
            return msg("audit_finding_verbose", severity=self.severity, id=self.id, message=self.message,
                       cells="；".join(self.cells) or "—")
        where = _short_cell(self.cells[0]) if self.cells else ""
        return msg("audit_finding_line", severity=self.severity, where=where, message=self.message)

    def __str__(self) -> str:
        return self.line(verbose=True)

    def places(self) -> list[tuple[str, str]]:
        """(sheet, cell) of every cell named, as the annotated workbook marks them."""
        out = []
        for c in self.cells:
            parts = c.split(SEP)
            if len(parts) == 3:
                out.append((parts[1], parts[2]))
        return out


def _short_cell(cell: str) -> str:
    """"2024.xlsx › 财务 › B7" → "财务 › B7" (the file is said once, in the heading)."""
    parts = cell.split(SEP)
    return SEP.join(parts[1:]) if len(parts) > 1 else cell


@dataclass
class AuditResult:
    """All findings for one workbook."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    notices: list[Any] = field(default_factory=list)  # validation notices (Problems), for display
    people: dict[str, str] = field(default_factory=dict)  # 填报人, 联系电话, 审核人 as the workbook gives them

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def hints(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == HINT]

    @property
    def ok(self) -> bool:
        return not self.errors

    def ordered(self) -> list[Finding]:
        """Errors first, then hints; within each, in workbook sheet order."""
        order = {s.name: i for i, s in enumerate(schema.SHEETS)}
        return sorted(self.findings, key=lambda f: (f.severity != ERROR, order.get(f.sheet, 99)))

    def by_sheet(self) -> dict[str, list[Finding]]:
        """Findings grouped by sheet, sheets in workbook order, errors first within a sheet."""
        order = {s.name: i for i, s in enumerate(schema.SHEETS)}
        groups: dict[str, list[Finding]] = {}
        for f in sorted(self.findings, key=lambda f: (order.get(f.sheet, 99), f.severity != ERROR)):
            groups.setdefault(f.sheet, []).append(f)
        return groups

    def summary(self) -> str:
        if not self.findings:
            return msg("audit_clean", file=self.file)
        return msg("audit_summary", file=self.file, errors=len(self.errors), hints=len(self.hints))

    def lines(self, verbose: bool = False) -> list[str]:
        """One line per finding, errors first, for the terminal."""
        return ["  " + f.line(verbose) for f in self.ordered()]

    def markdown(self, title: str) -> str:
        """The readable 审核 list written next to the report."""
        out = [f"# {title}", "", self.summary(), ""]
        people = [msg("audit_md_person", label=k, value=v) for k, v in self.people.items() if v]
        if people:
            out += ["；".join(people), ""]
        for sheet, findings in self.by_sheet().items():
            out += [f"## {sheet or msg('audit_md_no_sheet')}", ""]
            for f in findings:
                out.append(msg("audit_md_item", severity=f.severity, id=f.id, message=f.message))
                for c in f.cells:
                    out.append(f"    - {c}")
            out.append("")
        return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Fig:
    path: str
    value: Any
    cell: str
    label: str
    kind: str  # wan, yuan, count, score, pct, text


class Figures:
    """Typed figures of one workbook, addressed by name, with cell and Chinese label."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.cells: dict[str, str] = data.get("cells", {})
        self.file = data.get("file", "")

    def cell(self, path: str) -> str:
        return self.cells.get(path) or self.file

    def expand(self, path: str) -> list[str]:
        """Concrete names for ``项目*.x`` (that column of every row)."""
        m = re.fullmatch(r"([^.*]+)\*\.(.+)", path)
        if not m:
            return [path]
        table, rest = m.groups()
        return [f"{table}.{i}.{rest}" for i in range(len(self.data.get(table) or []))]

    def get(self, path: str) -> Fig | None:
        concrete = self.expand(path)
        if len(concrete) != 1:
            return None
        return self.fig(concrete[0])

    def fig(self, path: str) -> Fig:
        parts = path.split(".")
        head = parts[0]
        sheet = schema.SHEETS_BY_NAME[head]
        if sheet.kind == "fields":
            value = (self.data.get(head) or {}).get(parts[1])
            f = schema.field(sheet, parts[1])
            return Fig(path, value, self.cell(path), f.zh, f.kind)
        if sheet.kind == "grid":
            grid = self.data.get(head)
            value = grid[parts[1]][parts[2]] if grid is not None else None
            label = f"三公经费{parts[2]}" if head == "三公经费" and parts[2] == "合计" else parts[2]
            return Fig(path, value, self.cell(path), f"{label}（{parts[1]}）", sheet.cell_kind)
        row = (self.data.get(head) or [])[int(parts[1])]
        column = parts[2]
        if head == "人员编制":
            return Fig(path, row.get(column), self.cell(path), f"{row.get('类别')}（{column}）", column)
        if head == "项目":
            f = schema.field(sheet, column)
            return Fig(path, row.get(column), self.cell(path),
                       msg("audit_project_label", name=row.get("项目名称"), label=f.label), f.kind)
        raise KeyError(path)


def _sheet_of(cell: str) -> str:
    parts = cell.split(SEP)
    return parts[1] if len(parts) > 1 else ""


def _num(value: Any) -> Decimal:
    """A stated figure as a Decimal (a blank has none: callers leave blanks out, never count them as 0)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def _show(value: Any, kind: str) -> str:
    if value is None:
        return msg("audit_not_stated")  # a blank is shown as blank, never as 0
    if kind in ("wan", "yuan", "score"):
        return fmt.fixed(_num(value), 2)
    if kind in ("核定编制", "实有人数", "count"):
        return fmt.count(_num(value))
    return fmt.number(_num(value))


def _unit(kind: str) -> str:
    return _KIND_UNIT.get(kind, "")


def _rounded(kind: str) -> bool:
    return kind in ("wan", "yuan")


def _places(value: Decimal, decimals: int | None, percent: bool) -> int:
    """Decimals a value is published with: its number format, else as typed."""
    if decimals is not None:
        return decimals
    exponent = value.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 2
    return max(0, places - 2) if percent else places


# ---------------------------------------------------------------------------- the auditor


class Auditor:
    def __init__(self, data: dict[str, Any], ctx: Any, previous: tuple[dict[str, Any], Any] | None = None,
                 previous_problem: str | None = None, uses: Any = None):
        self.uses = None if uses is None else set(uses)  # the names the unit's template uses (None: not known)
        self.data = data
        self.ctx = ctx
        self.values = ctx.values
        self.figs = Figures(data)
        self.previous = previous
        self.previous_problem = previous_problem
        self.findings: list[Finding] = []
        self._indexes: dict[str, dict[int, int]] = {}

    def add(self, id: str, severity: str, message: str, cells: list[str] | tuple[str, ...], sheet: str = "") -> None:
        cells = tuple(dict.fromkeys(c for c in cells if c)) or (self.figs.file,)  # every finding names a place
        sheet = sheet or (_sheet_of(cells[0]) if cells else "")
        self.findings.append(Finding(id, severity, sheet, message, cells))

    def run(self) -> list[Finding]:
        for check in (self.identities, self.at_most, self.org_counts, self.staff_sums, self.staff_over,
                      self.budget_categories, self.budget_balance, self.indicators, self.project_indicators,
                      self.vocabulary, self.sources, self.texts, self.sangong_claims, self.project_claims,
                      self.previous_year, self.rule_steps):
            check()
        return self.findings

    # ------------------------------------------------------------------ sums
    def _side(self, paths: str | tuple[str, ...]) -> list[Fig]:
        if isinstance(paths, str):
            paths = (paths,)
        out = []
        for p in paths:
            out += [self.figs.fig(c) for c in self.figs.expand(p)]
        return out

    @staticmethod
    def _terms(figs: list[Fig], kind: str) -> str:
        terms = " + ".join(f"{f.label} {_show(f.value, kind)}" for f in figs)
        stated = [f.value for f in figs if f.value is not None]
        if len(stated) > 1:
            terms += " = " + _show(sum((_num(v) for v in stated), ZERO), kind)
        return terms

    def _compare(self, id: str, left: list[Fig], right: list[Fig]) -> None:
        if not left or not right or all(f.value is None for f in right) or all(f.value is None for f in left):
            return  # nothing stated on one side (no projects, a figure the unit does not give): nothing to compare
        kind = left[0].kind
        lsum = sum((_num(f.value) for f in left if f.value is not None), ZERO)
        rsum = sum((_num(f.value) for f in right if f.value is not None), ZERO)
        diff = abs(lsum - rsum)
        if diff == 0:
            return
        # a side with a blank part may hold the difference in it: no contradiction, only a shortfall there
        if any(f.value is None for f in left) and lsum < rsum or any(f.value is None for f in right) and rsum < lsum:
            return
        severity, verdict = self._verdict(diff, kind, left, right)
        unit = _unit(kind)
        self.add(id, severity, msg("audit_identity", left=self._terms(left, kind), right=self._terms(right, kind),
                                   unit=unit, diff=_show(diff, kind), verdict=verdict),
                 [f.cell for f in left + right])

    def identities(self) -> None:
        present = set(self.data.get("present") or ())
        for id, left_paths, right_paths in IDENTITIES:
            names = (left_paths,) if isinstance(left_paths, str) else left_paths
            if any(n.split(".")[0].rstrip("*") not in present for n in names + right_paths):
                continue
            self._compare(id, self._side(left_paths), self._side(right_paths))

    def _verdict(self, diff: Decimal, kind: str, left: list[Fig], right: list[Fig]) -> tuple[str, str]:
        unit = _unit(kind)
        if not _rounded(kind):
            return ERROR, msg("audit_verdict_exact")
        n = max(1, sum(1 for f in left if f.value is not None and _num(f.value) != 0),
                sum(1 for f in right if f.value is not None and _num(f.value) != 0))
        tolerance = HALF_CENT * n
        if diff <= tolerance:
            return HINT, msg("audit_verdict_rounding", tolerance=fmt.number(tolerance, None, 3), unit=unit, n=n)
        return ERROR, msg("audit_verdict_error", tolerance=fmt.number(tolerance, None, 3), unit=unit)

    def at_most(self) -> None:
        present = set(self.data.get("present") or ())
        for id, whole_path, part_paths in AT_MOST:
            if any(n.split(".")[0] not in present for n in (whole_path, *part_paths)):
                continue
            whole, parts = self._side(whole_path), self._side(part_paths)
            if not whole or not parts or whole[0].value is None:
                continue
            kind = whole[0].kind
            total = sum((_num(f.value) for f in parts if f.value is not None), ZERO)
            tolerance = HALF_CENT * max(1, len(parts)) if _rounded(kind) else ZERO
            if total - _num(whole[0].value) > tolerance:
                self.add(id, ERROR, msg("audit_at_most", whole=self._terms(whole, kind), parts=self._terms(parts, kind),
                                        unit=_unit(kind), diff=_show(total - _num(whole[0].value), kind)),
                         [f.cell for f in parts + whole])

    # ------------------------------------------------------------------ organisation and staff
    def org_counts(self) -> None:
        orgs = self.data.get("机构") or []
        overrides = self.data.get("句子覆盖") or {}
        by_group: dict[str, list[int]] = {}
        for i, o in enumerate(orgs):
            if o.get("分组") and o.get("名称"):
                by_group.setdefault(o["分组"], []).append(i)
        for group, rows in by_group.items():
            names = "、".join(orgs[i]["名称"] for i in rows)
            name_cells = [self.figs.cell(f"机构.{i}.名称") for i in rows]
            stated = next(((orgs[i]["公布个数"], i) for i in rows if orgs[i].get("公布个数") is not None), None)
            if stated is not None and stated[0] != len(rows):
                self.add("org_count", ERROR,
                         msg("audit_org_count", group=group, stated=stated[0], listed=len(rows), names=names,
                             diff=abs(stated[0] - len(rows))),
                         [self.figs.cell(f"机构.{stated[1]}.公布个数")] + name_cells)
            listed = fmt.org_counts(fmt.org_summary([orgs[i]["名称"] for i in rows]))
            typed = [(orgs[i]["概述"], self.figs.cell(f"机构.{i}.概述")) for i in rows if orgs[i].get("概述")]
            if group == "下设机构" and overrides.get(schema.SENTENCES["subunit_summary"]):
                typed.append((overrides[schema.SENTENCES["subunit_summary"]],
                              self.figs.cell(f"句子覆盖.{schema.SENTENCES['subunit_summary']}")))
            for text, cell in typed[:2]:
                counts = fmt.org_counts(text)
                if counts and counts != listed:
                    stated_total = sum(counts.values())
                    message = (msg("audit_org_summary", group=group, typed=text, stated=stated_total,
                                   listed=len(rows), names=names) if stated_total != len(rows) else
                               # the same number of offices, of other kinds: say which kinds the list has
                               msg("audit_org_summary_kinds", group=group, typed=text,
                                   listed="".join(f"{n}{s}" for s, n in listed.items()), names=names))
                    self.add("org_summary", ERROR, message, [cell] + name_cells)

    def staff_sums(self) -> None:
        staff = self.data.get("人员编制") or []
        index = {r.get("类别"): i for i, r in enumerate(staff) if r.get("类别")}
        children: dict[str, list[int]] = {}
        for i, r in enumerate(staff):
            if r.get("上级") in index:
                children.setdefault(r["上级"], []).append(i)
        for parent, kids in children.items():
            p = index[parent]
            for column, key in (("核定编制", "established"), ("实有人数", "actual")):
                parts = [k for k in kids if staff[k].get(column) is not None]
                if staff[p].get(column) is None or not parts:
                    continue
                self._compare(f"staff_sum.{key}", [self.figs.fig(f"人员编制.{p}.{column}")],
                              [self.figs.fig(f"人员编制.{k}.{column}") for k in parts])

    def staff_over(self) -> None:
        for i, r in enumerate(self.data.get("人员编制") or []):
            est, act = r.get("核定编制"), r.get("实有人数")
            if est is not None and act is not None and act > est:
                self.add("staff_over_establishment", HINT,
                         msg("audit_staff_over", name=r.get("类别"), actual=act, established=est, diff=act - est),
                         [self.figs.cell(f"人员编制.{i}.实有人数"), self.figs.cell(f"人员编制.{i}.核定编制")])

    # ------------------------------------------------------------------ budget
    def budget_categories(self) -> None:
        fin = self.data.get("财务") or {}
        pairs = [("基本支出", "年初预算基本支出", "决算基本支出"), ("项目支出", "年初预算项目支出", "决算项目支出")]
        rates = {}
        for name, b, a in pairs:
            if fin.get(b) and fin.get(a) is not None:
                rates[name] = fin[a] / fin[b]
        for name, b, a in pairs:
            rate = rates.get(name)
            if rate is None or rate - 1 <= REALLOCATION_THRESHOLD:
                continue
            others = [(n, bb, aa) for n, bb, aa in pairs if n != name and n in rates and rates[n] < 1]
            other_text = "".join(msg("audit_reallocation_other", name=n, actual=fmt.wan(fin[aa]),
                                     budget=fmt.wan(fin[bb]), rate=fmt.pct(rates[n])) for n, bb, aa in others)
            cells = [self.figs.cell(F + a), self.figs.cell(F + b)]
            for _, bb, aa in others:
                cells += [self.figs.cell(F + aa), self.figs.cell(F + bb)]
            self.add("budget_reallocation", HINT,
                     msg("audit_reallocation", name=name, actual=fmt.wan(fin[a]), budget=fmt.wan(fin[b]),
                         rate=fmt.pct(rate), over=fmt.wan(fin[a] - fin[b]), other=other_text), cells)

    def budget_balance(self) -> None:
        fin = self.data.get("财务") or {}
        full, executed = fin.get("全年预算数"), fin.get("决算支出")
        if full is None or executed is None:
            return
        cells = [self.figs.cell(F + "全年预算数"), self.figs.cell(F + "决算支出")]
        if executed - full > HALF_CENT:
            self.add("execution_over_budget", HINT,
                     msg("audit_execution_over", executed=fmt.wan(executed), full=fmt.wan(full),
                         rate=fmt.pct(executed / full) if full else "—"), cells)  # (no rate over a zero budget)
            return
        carry_out = fin.get("年末结转结余")
        balance = full - executed
        if carry_out is not None and balance - carry_out > HALF_CENT * 2:
            self.add("budget_balance_not_carried", HINT,
                     msg("audit_balance_not_carried", full=fmt.wan(full), executed=fmt.wan(executed),
                         balance=fmt.wan(balance), carry_out=fmt.wan(carry_out)),
                     cells + [self.figs.cell(F + "年末结转结余")])

    # ------------------------------------------------------------------ indicators
    def _index(self, table: str) -> dict[int, int]:
        """Sheet row number → record index, built once per table."""
        index = self._indexes.get(table)
        if index is None:
            index = self._indexes[table] = {r["行号"]: i for i, r in enumerate(self.data.get(table) or [])}
        return index

    def _scored(self, roots: tuple[str, ...]) -> bool:
        """Whether the unit's template prints indicators or scores under ``roots`` (unknown template: yes)."""
        if self.uses is None:
            return True
        return any(re.split(r"[.\[]", name, maxsplit=1)[0] in roots for name in self.uses)

    def indicators(self) -> None:
        rows = self.values["绩效指标"]["行"]
        self._indicator_rows("绩效指标", rows)
        # the 90 points are checked only where the report shows indicators or scores, and their weights are stated
        if rows and self.values["绩效指标"]["分值合计"] is not None \
                and self._scored(("绩效指标", "indicators", "自评", "score")):
            rules = getattr(self.ctx, "rules", None)
            if rules is None or rules.weights is None:
                self._weights("绩效指标", rows, msg("audit_unit_indicators"), level1=True)
            else:  # county weights: each group is scaled to its weight; what is left out of 100 is said
                self._county_weights(rows, rules)

    def project_indicators(self) -> None:
        for p in self.values.get("项目") or []:
            rows = p["绩效指标"]["行"]
            if rows:
                self._indicator_rows("项目指标", rows)
                if p["绩效指标"]["分值合计"] is not None and self._scored(("项目", "projects")):
                    self._weights("项目指标", rows, msg("audit_project_indicators", name=p["项目名称"]),
                                  level1=False)

    def _indicator_rows(self, table: str, items: list[dict[str, Any]]) -> None:
        index = self._index(table)
        for it in items:
            i = index.get(it["行号"])
            if i is None:
                continue

            def cell(key: str, i: int = i) -> str:
                return self.figs.cell(f"{table}.{i}.{key}")

            name = it["三级指标"]
            numeric = isinstance(it["年度指标值数"], Decimal) and isinstance(it["实际完成值数"], Decimal) \
                and it["比较方式"]
            band = it["评价等级"]
            if numeric and band:
                if it["是否完成"] and band != "达成" or not it["是否完成"] and band == "达成":
                    self.add("indicator_band_status", ERROR,
                             msg("audit_band_status", name=name, target=it["年度指标值"], actual=it["实际完成值"],
                                 status=msg("audit_met") if it["是否完成"] else msg("audit_not_met"), band=band),
                             [cell("评价等级"), cell("实际完成值"), cell("年度指标值")])
            elif band and band != "达成" and not numeric and it["年度指标值数"] is not None \
                    and str(it["年度指标值数"]) == str(it["实际完成值数"]):
                self.add("indicator_band_same_text", HINT,
                         msg("audit_band_same_text", name=name, value=it["实际完成值"], band=band),
                         [cell("评价等级"), cell("实际完成值"), cell("年度指标值")])
            if band and it["手工评分"] and it["分值"]:
                share = it["得分"] / it["分值"]
                _, low, high = (Decimal(x) for x in schema.BANDS[band])
                top = high == 1
                if share < low or share > high or (not top and share >= high):
                    self.add("indicator_score_band", ERROR,
                             msg("audit_score_band", name=name, score=fmt.score(it["得分"]),
                                 weight=fmt.number(it["分值"]), band=band,
                                 low=fmt.number(it["分值"] * low), high=fmt.number(it["分值"] * high),
                                 closed="]" if top else "）"),
                             [cell("手工得分"), cell("评价等级"), cell("分值")])
            low = it["得分"] is not None and it["分值"] is not None and it["得分"] < it["分值"]
            if not it["偏差原因分析及改进措施"].strip() and (it["是否完成"] is False or low):
                why = (msg("audit_reason_missed", target=it["年度指标值"], actual=it["实际完成值"])
                       if it["是否完成"] is False else
                       msg("audit_reason_low_score", score=fmt.score(it["得分"]), weight=fmt.number(it["分值"])))
                self.add("indicator_reason_missing", ERROR, msg("audit_reason_missing", name=name, why=why),
                         [cell("偏差原因分析及改进措施"), cell("实际完成值"), cell("年度指标值")]
                         + ([cell("手工得分")] if it["手工评分"] else []))

    def _weights(self, table: str, items: list[dict[str, Any]], what: str, level1: bool) -> None:
        index = self._index(table)
        weight_cells = [self.figs.cell(f"{table}.{index[it['行号']]}.分值") for it in items if it["行号"] in index]
        total = sum((it["分值"] for it in items), ZERO)
        if total != INDICATOR_WEIGHT_TOTAL:
            self.add("indicator_weights", ERROR,
                     msg("audit_weights", what=what, total=fmt.number(total),
                         expected=fmt.number(INDICATOR_WEIGHT_TOTAL),
                         diff=fmt.number(abs(total - INDICATOR_WEIGHT_TOTAL))), weight_cells)
            return
        if not level1:
            return
        for name, expected in schema.LEVEL1_WEIGHTS.items():
            members = [it for it in items if it["一级指标"] == name]
            got = sum((it["分值"] for it in members), ZERO)
            if got != expected:
                self.add("indicator_level1_weights", HINT,
                         msg("audit_level1_weights", name=name, total=fmt.number(got), expected=fmt.number(expected)),
                         [self.figs.cell(f"{table}.{index[it['行号']]}.分值") for it in members if it["行号"] in index]
                         or weight_cells)

    def _county_weights(self, rows: list[dict[str, Any]], rules: Any) -> None:
        full = self.values["自评"]["满分"]
        if full is None or full == 100:
            return
        groups = {g["名称"]: g for g in self.values["绩效指标"]["一级"]}
        detail = [msg("audit_rules_weight_unused", name=name, weight=fmt.number(weight))
                  for name, weight in rules.weights.items() if name != "预算执行率" and weight and name not in groups]
        detail += [msg("audit_rules_weight_unlisted", name=name, points=fmt.number(g["分值"]))
                   for name, g in groups.items() if name not in rules.weights]
        index = self._index("绩效指标")
        self.add("rules_full_marks", HINT, msg("audit_rules_full_marks", which=rules.which, total=fmt.number(full),
                                               detail="".join(detail)),
                 [self.figs.cell(f"绩效指标.{index[it['行号']]}.分值") for it in rows if it["行号"] in index])

    def rule_steps(self) -> None:
        """What the county's scoring rules changed (rules.Step), as hints on the cells behind each number."""
        rules = getattr(self.ctx, "rules", None)
        for step in getattr(self.ctx, "rule_steps", ()):
            if step.row is not None:  # one indicator: its row's figures
                i = self._index(step.what).get(step.row)
                keys = ("分值", "实际完成值", "年度指标值", "评价等级", "手工得分")
                cells = [self.figs.cell(f"{step.what}.{i}.{k}") for k in keys] if i is not None else []
            elif step.rule == "weight":  # a 一级指标 group: the 分值 of its rows
                group = step.what.split(".")[1]
                index = self._index("绩效指标")
                cells = [self.figs.cell(f"绩效指标.{index[it['行号']]}.分值") for it in self.values["绩效指标"]["行"]
                         if it["一级指标"] == group and it["行号"] in index]
            else:  # 预算执行率: the figures of the rate
                cells = self.ctx.cells("预算.执行率")
            self.add(f"rules_{step.rule}", HINT, msg("audit_rules_step", which=rules.which, text=step.text), cells)

    def vocabulary(self) -> None:
        """一级/二级指标 outside the national vocabulary (near misses are refused by validate)."""
        level2_all = {n for names in schema.VOCABULARY.values() for n in names}
        found: dict[tuple[str, str], list[str]] = {}  # one finding per name, with every cell that holds it
        for table in ("绩效指标", "项目指标"):
            for i, r in enumerate(self.data.get(table) or []):
                for column, known in (("一级指标", schema.VOCABULARY), ("二级指标", level2_all)):
                    value = r.get(column)
                    if value and value not in known:
                        found.setdefault((column, value), []).append(self.figs.cell(f"{table}.{i}.{column}"))
        for (column, value), cells in found.items():
            self.add("indicator_vocabulary", HINT,
                     msg("audit_vocabulary", label=column, value=value,
                         names="、".join(schema.VOCABULARY if column == "一级指标" else
                                        [n for v in schema.VOCABULARY.values() for n in v])), cells)

    # ------------------------------------------------------------------ 核对数据
    def sources(self) -> None:
        index = self._index("绩效指标")
        for it in self.values["绩效指标"]["行"]:
            source = (it.get("核对数据") or "").strip()
            i = index.get(it["行号"])
            if not source or i is None:
                continue
            cell = self.figs.cell(f"绩效指标.{i}.实际完成值")
            source_cell = self.figs.cell(f"绩效指标.{i}.核对数据")
            try:
                expected = placeholder_value(self.values, source)
            except KeyError:
                self.add("indicator_source_unknown", ERROR,
                         msg("audit_source_unknown", name=it["三级指标"], source=source,
                             names="、".join(schema.PLACEHOLDER_ALIASES)), [source_cell])
                continue
            actual, unit = it["实际完成值数"], (it["单位"] or "").strip()
            factor = _unit_factor(kind_of(source), unit)
            if not isinstance(actual, Decimal) or factor is None or not isinstance(expected, (Decimal, int)):
                self.add("indicator_source_unit", HINT,
                         msg("audit_source_unit", name=it["三级指标"], source=source, unit=unit or "无"),
                         [cell, source_cell])
                continue
            value = _num(expected) * factor
            percent = unit == "%"
            places = _places(actual, (self.data["绩效指标"][i]).get("实际完成值_小数位"), percent)
            tolerance = Decimal("0.5").scaleb(-places) / (100 if percent else 1)
            diff = abs(actual - value)
            if diff > tolerance:
                shown = fmt.pct_auto(value, places) if percent else fmt.number(value, places) + unit
                diff_text = (fmt.number(diff * 100, None, 2) + msg("audit_points")) if percent \
                    else fmt.number(diff, None, 4) + unit
                self.add("indicator_source", ERROR,
                         msg("audit_source", name=it["三级指标"], actual=it["实际完成值"], source=source,
                             expected=shown, diff=diff_text),
                         [cell, source_cell] + self.ctx.cells(full_name(source)))

    # ------------------------------------------------------------------ texts
    def texts(self) -> None:
        unmet = [it for it in self.values["绩效指标"]["行"] if it["是否完成"] is False]
        index = self._index("绩效指标")
        for i, r in enumerate(self.data.get("文字内容") or []):
            raw = r.get("内容") or ""
            literal = re.sub(r"\{[^{}]*\}", "〔〕", raw)
            cell = self.figs.cell(f"文字内容.{i}.内容")
            for name, pattern, path, kind in TEXT_FIGURES:
                for m in re.finditer(pattern, literal):
                    self._text_figure(name, m, path, kind, cell)
            if unmet and ALL_MET.search(literal):
                names = "、".join(it["三级指标"] for it in unmet)
                self.add("text_claims_all_met", HINT,
                         msg("audit_text_all_met", phrase=ALL_MET.search(literal).group(0), names=names),
                         [cell] + [self.figs.cell(f"绩效指标.{index[it['行号']]}.实际完成值")
                                   for it in unmet if it["行号"] in index])

    def _text_figure(self, name: str, m: re.Match, path: str, kind: str, cell: str) -> None:
        try:
            computed = placeholder_value(self.values, path)
        except KeyError:
            return
        if not isinstance(computed, Decimal):
            return
        typed = Decimal(re.sub("[−－]", "-", m.group("v")))
        places = max(0, -typed.as_tuple().exponent)
        if kind == "pct_change":
            down = m.group("dir") in ("下降", "减少", "降低")
            stated = (-typed if down else typed) / 100
            tolerance = Decimal("0.5").scaleb(-places) / 100
            shown = msg("audit_change_down" if computed < 0 else "audit_change_up") + fmt.pct(abs(computed), places)
        elif kind == "pct":
            stated = typed / 100
            tolerance = Decimal("0.5").scaleb(-places) / 100
            shown = fmt.pct(computed, places)
        else:
            stated = typed
            tolerance = Decimal("0.5").scaleb(-places)
            shown = fmt.fixed(computed, places) + "万元"
        if abs(stated - computed) > tolerance:
            self.add("text_figure", ERROR,
                     msg("audit_text_figure", text=m.group(0), name=name, computed=shown),
                     [cell] + self.ctx.cells(path))

    def sangong_claims(self) -> None:
        sangong = self.values.get("三公经费")
        if sangong is None:
            return
        change = sangong["变动额"]
        cells = [self.figs.cell("三公经费.本年决算.合计"), self.figs.cell("三公经费.上年决算.合计")]
        claims = []
        override = (self.data.get("句子覆盖") or {}).get(schema.SENTENCES["sangong_conclusion"])
        if override:
            claims.append((override, self.figs.cell(f"句子覆盖.{schema.SENTENCES['sangong_conclusion']}"), "句子覆盖"))
        for i, r in enumerate(self.data.get("文字内容") or []):
            if r.get("栏目") == schema.TEXT_SECTIONS["sangong_note"] or "三公" in (r.get("内容") or ""):
                claims.append((r.get("内容") or "", self.figs.cell(f"文字内容.{i}.内容"), ""))
        for text, cell, sheet in claims:
            up, not_up = SANGONG_UP.search(text), SANGONG_NOT_UP.search(text)
            if change is None and (up or not_up):  # a claim the figures do not state: it cannot be shown true
                self.add("sangong_claim_unstated", HINT,
                         msg("audit_sangong_claim_unstated", phrase=(up or not_up).group(0)), [cell] + cells,
                         sheet=sheet)
            elif change is None:
                continue
            elif up and change <= 0 or not_up and change > 0:
                phrase = (up or not_up).group(0)
                self.add("sangong_change_claim", ERROR,
                         msg("audit_sangong_claim", phrase=phrase, actual=fmt.yuan(sangong["本年决算"]["合计"]),
                             prev=fmt.yuan(sangong["上年决算"]["合计"]),
                             direction=msg("audit_change_up" if change > 0 else "audit_change_down"),
                             diff=fmt.yuan(abs(change))),
                         [cell] + cells, sheet=sheet)

    def project_claims(self) -> None:
        """"没有项目支出" (said by a text, or by a template's note when no project is listed) against 决算项目支出."""
        amount = (self.data.get("财务") or {}).get("决算项目支出")
        if amount is None or amount <= 0:
            return
        figure = self.figs.cell(F + "决算项目支出")
        if not self.values.get("项目") and "项目" in (self.data.get("present") or ()) \
                and (self.uses is None or any(n.split(".")[0].split("[")[0] in ("项目", "projects") for n in self.uses)):
            sheet = f"{self.data.get('file', '')}{SEP}项目{SEP}A{schema.FIRST_DATA_ROW}"
            self.add("no_projects_listed", ERROR, msg("audit_no_projects", amount=fmt.wan(amount)), [sheet, figure],
                     sheet="项目")
        texts = [(r.get("内容") or "", f"文字内容.{i}.内容") for i, r in enumerate(self.data.get("文字内容") or [])]
        texts += [(t, f"句子覆盖.{name}") for name, t in (self.data.get("句子覆盖") or {}).items()]
        for text, path in texts:
            m = NO_PROJECTS_CLAIM.search(text)
            if m:
                self.add("text_claims_no_projects", ERROR,
                         msg("audit_text_no_projects", phrase=m.group(0), amount=fmt.wan(amount)),
                         [self.figs.cell(path), figure])

    # ------------------------------------------------------------------ last year
    def previous_year(self) -> None:
        if self.previous_problem:
            self.add("previous_unreadable", HINT, self.previous_problem, [self.figs.cell("基本信息.年度")],
                     sheet="基本信息")
        if self.previous is None:
            return
        prev_data, _ = self.previous
        prev = Figures(prev_data)
        present = set(self.data.get("present") or ()) & set(prev_data.get("present") or ())
        for id, this_path, prev_path in PREVIOUS:
            if this_path.split(".")[0] not in present:
                continue
            a, b = self.figs.get(this_path), prev.get(prev_path)
            if a is None or b is None or a.value is None or b.value is None:
                continue
            if _num(a.value) != _num(b.value):
                self.add(id, ERROR,
                         msg("audit_previous", label=a.label, value=_show(a.value, a.kind), unit=_unit(a.kind),
                             prev_file=prev.file, prev_label=b.label, prev_value=_show(b.value, b.kind),
                             diff=_show(abs(_num(a.value) - _num(b.value)), a.kind)),
                         [a.cell, b.cell])
        prev_projects = {p.get("项目名称"): i for i, p in enumerate(prev_data.get("项目") or [])}
        columns = [f"全年执行{s}" for _, s in schema.FUND_SOURCES]
        for i, p in enumerate(self.data.get("项目") or []):
            j = prev_projects.get(p.get("项目名称"))
            if j is None or p.get("上年决算数") is None:
                continue
            q = prev_data["项目"][j]
            stated = [q.get(k) for k in columns if q.get(k) is not None]
            if not stated:
                continue
            executed = sum(stated, ZERO)
            if _num(p["上年决算数"]) != executed:
                a = self.figs.fig(f"项目.{i}.上年决算数")
                self.add("previous_project", ERROR,
                         msg("audit_previous", label=a.label, value=fmt.wan(a.value), unit="万元", prev_file=prev.file,
                             prev_label=msg("audit_project_label", name=p.get("项目名称"), label="全年执行数"),
                             prev_value=fmt.wan(executed), diff=fmt.wan(abs(_num(a.value) - executed))),
                         [a.cell] + [prev.cell(f"项目.{j}.{k}") for k in columns])


def _unit_factor(kind: str, unit: str) -> Decimal | None:
    """Multiply a named figure by this to get it in the indicator's unit; None if incomparable."""
    if kind == "pct":
        return Decimal(1) if unit == "%" else None
    if kind == "wan":
        return {"万元": Decimal(1), "元": Decimal(10000), "": Decimal(1)}.get(unit)
    if kind == "yuan":
        return {"元": Decimal(1), "万元": Decimal("0.0001")}.get(unit)
    if kind == "score":
        return Decimal(1) if unit in ("分", "") else None
    if kind == "count":
        return Decimal(1) if unit in ("", "人", "个", "名") else None
    return Decimal(1) if unit in ("", "年") else None


def audit(data: dict[str, Any], ctx: Any, previous: tuple[dict[str, Any], Any] | None = None,
          previous_problem: str | None = None, uses: Any = None) -> AuditResult:
    """Every contradiction in one unit's figures; ``previous`` is last year's (data, context) if any; ``uses``
    the names the unit's template uses (checks of what it does not show are skipped)."""
    findings = Auditor(data, ctx, previous, previous_problem, uses).run()
    basic = data.get("基本信息") or {}
    people = {label: basic.get(label) for label in ("填报人", "联系电话", "审核人")}
    return AuditResult(file=data.get("file", ""), findings=findings, people=people)


def _same_name(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def clashing_units(unit: str | None, names: dict[str, tuple[str, str]]) -> list[str]:
    """The other units of ``names`` (unit → (单位全称, its cell)) whose 单位全称 is ``unit``'s, sorted."""
    if unit is None or unit not in names:
        return []
    own = _same_name(names[unit][0])
    return sorted(u for u, (n, _) in names.items() if u != unit and _same_name(n) == own)


def name_clashes(unit: str | None, names: dict[str, tuple[str, str]]) -> list[Finding]:
    """An error when another unit of the county gives the same 单位全称 as ``unit`` (``names``: unit → (单位全称,
    its cell), as ``read.read_unit_name`` reads them): both reports would be named alike where they are published.
    Each unit's files stay in its own folder; the clash is the audit's to tell, in both units' audits."""
    others = clashing_units(unit, names)
    if not others:
        return []
    name, cell = names[unit]
    return [Finding("name_clash", ERROR, schema.BASIC.name, msg("audit_name_clash", unit=unit, name=name,
                                                               other="、".join(others)), (cell,))]
