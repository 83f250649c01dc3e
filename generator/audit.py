"""Stage 4 — audit (审核): find every contradiction between a unit's figures, with the cells to fix.

Input is the validated ``data`` (with ``data["cells"]``: path → "file › sheet › cell")
and the compute ``context``; optionally last year's ``(data, context)``, which
the pipeline loads from ``DATA/<YEAR-1>.xlsx`` when it exists. Output is a list
of plain ``Finding`` records. Nothing here reads files or renders text for a
template; every message is a template in ``messages.py``.

Severities:
    错误  an arithmetic contradiction between figures the clerk typed (a total
          that is not the sum of its parts, a count that is not the length of its
          list, a stated rate that does not follow from its inputs, an indicator
          whose status contradicts its figures), or a required entry missing
          where the figures demand it (偏差原因 of a missed target).
    提示  what is legal but worth a look: a rounding difference, a large
          reallocation between budget categories, staff above establishment,
          weights other than the usual 50 / 30 / 10, a budget balance that is not
          carried over.

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
decimals it is published with (85% → ±0.5 个百分点): within it, the stated
rate is simply the computed one rounded, and nothing is reported.

The checks are data-driven where they can be: ``IDENTITIES`` (left = right over
field paths), ``AT_MOST`` (parts may not exceed a whole), ``PREVIOUS`` (this
year's 上年 figures against last year's workbook), ``SOURCES`` (the 核对数据
names an indicator may be checked against) and ``TEXT_FIGURES`` (rates and
amounts typed literally into the report texts). A new identity is one line.

Field paths are those of ``data["cells"]`` ("finance.assets_total",
"sangong.total.actual") with two extensions for table sheets:
``staff[合计].actual`` is the row of that category, ``staff[事业单位]*.actual``
and ``projects*.exec_fiscal`` are every such row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema
from .compute import subunit_summary
from .errors import SEP
from .messages import msg

ERROR = "错误"
HINT = "提示"
ZERO = Decimal(0)
HALF_CENT = Decimal("0.005")  # half a unit in the last published decimal of 万元 and 元 figures

PERIODS = tuple(c.key for c in schema.PERIOD_COLUMNS)  # prev_actual, budget, actual

# (id, left, right): the sum of the figures on the left must equal the sum on the right.
IDENTITIES: tuple[tuple[str, str | tuple[str, ...], tuple[str, ...]], ...] = (
    ("assets_parts", "finance.assets_total", ("finance.assets_current", "finance.assets_noncurrent")),
    ("assets_balance", "finance.assets_total", ("finance.liabilities", "finance.net_assets")),
    ("income_parts", "finance.income_total", ("finance.income_general", "finance.income_fund",
                                              "finance.income_state_capital", "finance.income_special",
                                              "finance.income_other")),
    ("budget_parts", "finance.exp_budget", ("finance.exp_budget_basic", "finance.exp_budget_project")),
    ("budget_balance", "finance.income_budget", ("finance.exp_budget",)),
    ("expense_parts", "finance.exp_total", ("finance.exp_basic", "finance.exp_project")),
    ("funds_balance", ("finance.income_total", "finance.carry_in"), ("finance.exp_total", "finance.carry_out")),
    ("staff_established", "staff[合计].established",
     ("staff[行政编制].established", "staff[机关工勤].established", "staff[事业编制].established")),
    ("staff_actual", "staff[合计].actual",
     ("staff[行政编制].actual", "staff[机关工勤].actual", "staff[事业编制].actual")),
    ("institution_established", "staff[事业编制].established", ("staff[事业单位]*.established",)),
    ("institution_actual", "staff[事业编制].actual", ("staff[事业单位]*.actual",)),
    *((f"sangong_total.{p}", f"sangong.total.{p}",
       (f"sangong.vehicle.{p}", f"sangong.abroad.{p}", f"sangong.reception.{p}")) for p in PERIODS),
    *((f"sangong_vehicle.{p}", f"sangong.vehicle.{p}",
       (f"sangong.vehicle_purchase.{p}", f"sangong.vehicle_running.{p}")) for p in PERIODS),
    ("projects_initial", "finance.exp_budget_project",
     ("projects*.initial_fiscal", "projects*.initial_carry", "projects*.initial_other")),
    ("projects_executed", "finance.exp_project",
     ("projects*.exec_fiscal", "projects*.exec_carry", "projects*.exec_other")),
    ("projects_prev", "finance.exp_project_prev", ("projects*.prev_actual",)),
)

# (id, whole, parts): the parts (selected items, or a subset) may not add up to more than the whole.
AT_MOST: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *((f"public_items.{p}", f"base_data.public.{p}",
       (f"base_data.office.{p}", f"base_data.utilities.{p}", f"base_data.meetings.{p}")) for p in PERIODS),
    ("public_in_basic.actual", "finance.exp_basic", ("base_data.public.actual",)),
    ("public_in_basic.budget", "finance.exp_budget_basic", ("base_data.public.budget",)),
)

# (id, this year's path, last year's path): figures stated for last year must be last year's figures.
PREVIOUS: tuple[tuple[str, str, str], ...] = (
    *((f"previous_sangong.{r.key}", f"sangong.{r.key}.prev_actual", f"sangong.{r.key}.actual")
      for r in schema.SANGONG_ROWS),
    ("previous_exp_project", "finance.exp_project_prev", "finance.exp_project"),
    *((f"previous_base_data.{r.key}", f"base_data.{r.key}.prev_actual", f"base_data.{r.key}.actual")
      for r in schema.BASE_DATA.rows),
)

# Placeholder context paths (schema.PLACEHOLDERS) → the typed figures they are computed from.
INPUTS: dict[str, tuple[str, ...]] = {
    "year": ("basic.year",),
    "budget.initial": ("finance.exp_budget",),
    "budget.full_year": ("finance.budget_full_year",),
    "budget.adjustment": ("finance.budget_full_year", "finance.exp_budget"),
    "budget.adjustment_rate": ("finance.budget_full_year", "finance.exp_budget"),
    "budget.executed": ("finance.exp_total",),
    "budget.execution_rate": ("finance.exp_total", "finance.budget_full_year"),
    "budget.balance": ("finance.budget_full_year", "finance.exp_total"),
    "finance.exp_basic": ("finance.exp_basic",),
    "finance.exp_project": ("finance.exp_project",),
    "sangong.actual.total": ("sangong.total.actual",),
    "sangong.prev_actual.total": ("sangong.total.prev_actual",),
    "sangong.change_rate": ("sangong.total.actual", "sangong.total.prev_actual"),
    "staff.control_rate": ("staff[合计].actual", "staff[合计].established"),
}

# Figures a clerk may type literally into a text of the 文字内容 sheet instead of a
# placeholder: (name, pattern with a group "v" for the number, context path, kind).
# Placeholders are removed before matching: they are right by construction.
TEXT_FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("执行率", r"(?<!项目)(?<!项目支出)(?:预算|支出|资金)?执行率(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]",
     "budget.execution_rate", "pct"),
    ("调整率", r"(?<!项目)调整率(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]", "budget.adjustment_rate", "pct"),
    ("预算调整", r"预算调整(?:了|额|金额)?(?:为|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*万元", "budget.adjustment", "wan"),
    ("预算结余", r"预算结余(?:了|额|金额)?(?:为|是)?\s*(?P<v>\d+(?:\.\d+)?)\s*万元", "budget.balance", "wan"),
    ("人员控制率", r"人员控制率(?:为|是|达到|达)?\s*(?P<v>[-−－]?\d+(?:\.\d+)?)\s*[%％]", "staff.control_rate", "pct"),
    ("三公经费变动", r"三公[”\"]?经费[^。；;]{0,20}?比(?:去年|上年)(?P<dir>下降|减少|降低|增加|增长|上升)了?\s*"
                  r"(?P<v>\d+(?:\.\d+)?)\s*[%％]", "sangong.change_rate", "pct_change"),
)

# Words in a text or sentence saying how 三公经费 changed against last year.
SANGONG_UP = re.compile(r"(?<![未不没])超过(?:了)?(?:去年|上年)|比(?:去年|上年)(?:增加|增长|上升)")
SANGONG_NOT_UP = re.compile(r"(?:未|没有|不)超(?:过)?(?:去年|上年)|比(?:去年|上年)(?:减少|下降|降低|持平)")

# Phrases claiming that every target was met.
ALL_MET = re.compile(r"(?:全部|均已|均|全面|圆满)(?:完成|达到|达成|实现)(?:了)?(?:年度|各项|全部)?(?:绩效)?(?:目标|指标)")

LEVEL1_WEIGHTS = {schema.LEVEL1_OUTPUT: Decimal(50), schema.LEVEL1_BENEFIT: Decimal(30),
                  schema.LEVEL1_SATISFACTION: Decimal(10)}
INDICATOR_WEIGHT_TOTAL = Decimal(90)  # plus 10 for budget execution = 100
REALLOCATION_THRESHOLD = Decimal("0.2")  # a category spending 20% above its initial budget

_KIND_UNIT = {"wan": "万元", "yuan": "元", "established": "个", "actual": "人", "count": "个"}


@dataclass(frozen=True)
class Finding:
    """One contradiction (or point worth a look), with every cell involved."""

    id: str
    severity: str  # ERROR "错误" or HINT "提示"
    sheet: str
    message: str
    cells: tuple[str, ...] = ()

    def __str__(self) -> str:
        return msg("audit_finding_line", severity=self.severity, id=self.id, message=self.message,
                   cells="；".join(self.cells) or "—")


@dataclass
class AuditResult:
    """All findings for one workbook."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    notices: list[Any] = field(default_factory=list)  # validation notices (Problems), for display

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def hints(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == HINT]

    @property
    def ok(self) -> bool:
        return not self.errors

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

    def lines(self) -> list[str]:
        """Plain-text listing grouped by sheet, for the terminal."""
        out = []
        for sheet, findings in self.by_sheet().items():
            out.append(msg("audit_sheet_heading", sheet=sheet))
            out += ["  " + str(f) for f in findings]
        return out

    def markdown(self, title: str) -> str:
        """The readable 审核 list written next to the report."""
        out = [f"# {title}", "", self.summary(), ""]
        for sheet, findings in self.by_sheet().items():
            out += [f"## {sheet}", ""]
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
    """Typed figures of one workbook, addressed by field path, with cell and Chinese label."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.cells: dict[str, str] = data.get("cells", {})
        self.file = data.get("file", "")

    def cell(self, path: str) -> str:
        return self.cells.get(path) or self.file

    def expand(self, path: str) -> list[str]:
        """Concrete paths for ``staff[cat].x``, ``staff[cat]*.x`` and ``projects*.x``."""
        m = re.fullmatch(r"(\w+)(?:\[([^\]]+)\])?(\*)?\.(.+)", path)
        if not m or (m.group(2) is None and m.group(3) is None):
            return [path]
        table, category, star, rest = m.groups()
        rows = self.data.get(table) or []
        idx = [i for i, r in enumerate(rows) if category is None or r.get("category") == category]
        if not star:
            idx = idx[:1]
        return [f"{table}.{i}.{rest}" for i in idx]

    def get(self, path: str) -> Fig | None:
        concrete = self.expand(path)
        if len(concrete) != 1:
            return None
        return self.fig(concrete[0])

    def fig(self, path: str) -> Fig:
        parts = path.split(".")
        head = parts[0]
        if head in ("finance", "basic", "other"):
            value = (self.data.get(head) or {}).get(parts[1])
            sheet = {"finance": schema.FINANCE, "basic": schema.BASIC, "other": schema.OTHER}[head]
            f = next(f for f in sheet.fields if f.key == parts[1])
            return Fig(path, value, self.cell(path), f.label, f.kind)
        if head in ("sangong", "base_data"):
            sheet = schema.SANGONG if head == "sangong" else schema.BASE_DATA
            value = self.data[head][parts[1]][parts[2]]
            row = next(r for r in sheet.rows if r.key == parts[1]).label.removeprefix("其中：")
            col = next(c for c in sheet.columns if c.key == parts[2]).label
            return Fig(path, value, self.cell(path), f"{row}（{col}）", sheet.cell_kind)
        if head == "staff":
            r = self.data["staff"][int(parts[1])]
            name = r.get("name") if r.get("category") == "事业单位" else r.get("category")
            col = next(c for c in schema.STAFF.columns if c.key == parts[2])
            return Fig(path, r.get(parts[2]), self.cell(path), f"{name}（{col.label}）", parts[2])
        if head == "projects":
            r = self.data["projects"][int(parts[1])]
            col = next(c for c in schema.PROJECTS.columns if c.key == parts[2])
            return Fig(path, r.get(parts[2]), self.cell(path), msg("audit_project_label", name=r.get("name"),
                                                                     label=col.label), col.kind)
        raise KeyError(path)


def _sheet_of(cell: str) -> str:
    parts = cell.split(SEP)
    return parts[1] if len(parts) > 1 else ""


def _num(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0)


def _show(value: Any, kind: str) -> str:
    if kind in ("wan", "yuan", "score"):
        return fmt.fixed(_num(value), 2)
    if kind in ("established", "actual", "count"):
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
    def __init__(self, data: dict[str, Any], ctx: dict[str, Any],
                 previous: tuple[dict[str, Any], dict[str, Any]] | None = None,
                 previous_problem: str | None = None):
        self.data, self.ctx = data, ctx
        self.figs = Figures(data)
        self.previous = previous
        self.previous_problem = previous_problem
        self.findings: list[Finding] = []

    def add(self, id: str, severity: str, message: str, cells: list[str] | tuple[str, ...], sheet: str = "") -> None:
        cells = tuple(dict.fromkeys(c for c in cells if c))
        sheet = sheet or (_sheet_of(cells[0]) if cells else "")
        self.findings.append(Finding(id, severity, sheet, message, cells))

    def run(self) -> list[Finding]:
        for check in (self.identities, self.at_most, self.org_counts, self.staff_over, self.budget_categories,
                      self.budget_balance, self.indicators, self.project_indicators, self.sources, self.texts,
                      self.sangong_claims, self.previous_year):
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
        if len(figs) > 1:
            terms += " = " + _show(sum((_num(f.value) for f in figs), ZERO), kind)
        return terms

    def identities(self) -> None:
        for id, left_paths, right_paths in IDENTITIES:
            left, right = self._side(left_paths), self._side(right_paths)
            if not left or not right or all(f.value is None for f in right) or all(f.value is None for f in left):
                continue  # nothing typed on one side (no projects, no sub-units): nothing to compare
            kind = left[0].kind
            lsum = sum((_num(f.value) for f in left), ZERO)
            rsum = sum((_num(f.value) for f in right), ZERO)
            diff = abs(lsum - rsum)
            if diff == 0:
                continue
            severity, verdict = self._verdict(diff, kind, left, right)
            unit = _unit(kind)
            self.add(id, severity, msg("audit_identity", left=self._terms(left, kind), right=self._terms(right, kind),
                                       unit=unit, diff=_show(diff, kind), verdict=verdict),
                     [f.cell for f in left + right])

    def _verdict(self, diff: Decimal, kind: str, left: list[Fig], right: list[Fig]) -> tuple[str, str]:
        unit = _unit(kind)
        if not _rounded(kind):
            return ERROR, msg("audit_verdict_exact")
        n = max(1, sum(1 for f in left if _num(f.value) != 0), sum(1 for f in right if _num(f.value) != 0))
        tolerance = HALF_CENT * n
        if diff <= tolerance:
            return HINT, msg("audit_verdict_rounding", tolerance=fmt.number(tolerance, None, 3), unit=unit, n=n)
        return ERROR, msg("audit_verdict_error", tolerance=fmt.number(tolerance, None, 3), unit=unit)

    def at_most(self) -> None:
        for id, whole_path, part_paths in AT_MOST:
            whole, parts = self._side(whole_path), self._side(part_paths)
            if not whole or not parts or whole[0].value is None:
                continue
            kind = whole[0].kind
            total = sum((_num(f.value) for f in parts), ZERO)
            tolerance = HALF_CENT * max(1, len(parts)) if _rounded(kind) else ZERO
            if total - _num(whole[0].value) > tolerance:
                self.add(id, ERROR, msg("audit_at_most", whole=self._terms(whole, kind), parts=self._terms(parts, kind),
                                        unit=_unit(kind), diff=_show(total - _num(whole[0].value), kind)),
                         [f.cell for f in parts + whole])

    # ------------------------------------------------------------------ organisation and staff
    def org_counts(self) -> None:
        orgs = self.data.get("orgs") or []
        stated = self.data["basic"].get("internal_count")
        internal = [i for i, o in enumerate(orgs) if o.get("type") == "内设机构"]
        if stated is not None and stated != len(internal):
            names = "、".join(orgs[i]["name"] for i in internal) or "无"
            self.add("internal_count", ERROR,
                     msg("audit_internal_count", stated=stated, listed=len(internal), names=names,
                         diff=abs(stated - len(internal))),
                     [self.figs.cell("basic.internal_count")] + [self.figs.cell(f"orgs.{i}.name") for i in internal])
        sub = [i for i, o in enumerate(orgs) if o.get("type") == "下设机构"]
        listed = _counts(subunit_summary([orgs[i]["name"] for i in sub]))
        override = (self.data.get("overrides") or {}).get(schema.SENTENCES["subunit_summary"])
        for typed, cell in ((self.data["basic"].get("subunit_summary"), self.figs.cell("basic.subunit_summary")),
                            (override, self.figs.cell(f"overrides.{schema.SENTENCES['subunit_summary']}"))):
            stated = _counts(typed or "")
            if stated and stated != listed:
                self.add("subunit_count", ERROR,
                         msg("audit_subunit_count", typed=typed, stated=sum(stated.values()), listed=len(sub),
                             names="、".join(orgs[i]["name"] for i in sub) or "无"),
                         [cell] + [self.figs.cell(f"orgs.{i}.name") for i in sub])

    def staff_over(self) -> None:
        for i, r in enumerate(self.data.get("staff") or []):
            est, act = r.get("established"), r.get("actual")
            if est is not None and act is not None and act > est:
                f = self.figs.fig(f"staff.{i}.actual")
                self.add("staff_over_establishment", HINT,
                         msg("audit_staff_over", name=f.label.split("（")[0], actual=act, established=est,
                             diff=act - est),
                         [f.cell, self.figs.cell(f"staff.{i}.established")])

    # ------------------------------------------------------------------ budget
    def budget_categories(self) -> None:
        fin = self.data["finance"]
        pairs = [("基本支出", "exp_budget_basic", "exp_basic"), ("项目支出", "exp_budget_project", "exp_project")]
        rates = {}
        for name, b, a in pairs:
            if fin.get(b):
                rates[name] = (fin[a] or ZERO) / fin[b]
        for name, b, a in pairs:
            rate = rates.get(name)
            if rate is None or rate - 1 <= REALLOCATION_THRESHOLD:
                continue
            others = [(n, bb, aa) for n, bb, aa in pairs if n != name and n in rates and rates[n] < 1]
            other_text = "".join(msg("audit_reallocation_other", name=n, actual=fmt.wan(fin[aa]),
                                     budget=fmt.wan(fin[bb]),
                                     rate=fmt.pct(rates[n])) for n, bb, aa in others)
            cells = [self.figs.cell(f"finance.{a}"), self.figs.cell(f"finance.{b}")]
            for _, bb, aa in others:
                cells += [self.figs.cell(f"finance.{aa}"), self.figs.cell(f"finance.{bb}")]
            self.add("budget_reallocation", HINT,
                     msg("audit_reallocation", name=name, actual=fmt.wan(fin[a]), budget=fmt.wan(fin[b]),
                         rate=fmt.pct(rate), over=fmt.wan(fin[a] - fin[b]), other=other_text), cells)

    def budget_balance(self) -> None:
        fin, budget = self.data["finance"], self.ctx["budget"]
        full, executed = fin.get("budget_full_year"), fin.get("exp_total")
        if full is None or executed is None:
            return
        cells = [self.figs.cell("finance.budget_full_year"), self.figs.cell("finance.exp_total")]
        if executed - full > HALF_CENT:
            self.add("execution_over_budget", HINT,
                     msg("audit_execution_over", executed=fmt.wan(executed), full=fmt.wan(full),
                         rate=fmt.pct(budget["execution_rate"])), cells)
            return
        carry_out = fin.get("carry_out") or ZERO
        balance = full - executed
        if balance - carry_out > HALF_CENT * 2:
            self.add("budget_balance_not_carried", HINT,
                     msg("audit_balance_not_carried", full=fmt.wan(full), executed=fmt.wan(executed),
                         balance=fmt.wan(balance), carry_out=fmt.wan(carry_out)),
                     cells + [self.figs.cell("finance.carry_out")])

    # ------------------------------------------------------------------ indicators
    def indicators(self) -> None:
        self._indicator_rows("indicators", self.ctx["indicators"]["rows"])
        self._weights("indicators", self.ctx["indicators"]["rows"], msg("audit_unit_indicators"), level1=True)

    def project_indicators(self) -> None:
        for p in self.ctx.get("projects") or []:
            rows = p["indicators"]["rows"]
            if not rows:
                continue
            self._indicator_rows("project_indicators", rows)
            self._weights("project_indicators", rows, msg("audit_project_indicators", name=p["name"]), level1=False)

    def _index(self, table: str) -> dict[int, int]:
        return {r["row"]: i for i, r in enumerate(self.data.get(table) or [])}

    def _indicator_rows(self, table: str, items: list[dict[str, Any]]) -> None:
        index = self._index(table)
        for it in items:
            i = index.get(it["row"])
            if i is None:
                continue

            def cell(key: str, i: int = i) -> str:
                return self.figs.cell(f"{table}.{i}.{key}")

            name = it["name"]
            numeric = isinstance(it["target"], Decimal) and isinstance(it["actual"], Decimal) and it["op"]
            band = it["band"]
            # status (band) against the figures
            if numeric and band:
                if it["met"] and band != "达成" or not it["met"] and band == "达成":
                    self.add("indicator_band_status", ERROR,
                             msg("audit_band_status", name=name, target=it["target_text"], actual=it["actual_text"],
                                 status=msg("audit_met") if it["met"] else msg("audit_not_met"), band=band),
                             [cell("band"), cell("actual"), cell("target")])
            elif band and band != "达成" and not numeric and it["target"] is not None \
                    and str(it["target"]) == str(it["actual"]):
                self.add("indicator_band_same_text", HINT,
                         msg("audit_band_same_text", name=name, value=it["actual_text"], band=band),
                         [cell("band"), cell("actual"), cell("target")])
            # a manual score inside its band
            if band and it["score_entered"] and it["weight"]:
                share = it["score"] / it["weight"]
                _, low, high = (Decimal(x) for x in schema.BANDS[band])
                top = high == 1
                if share < low or share > high or (not top and share >= high):
                    self.add("indicator_score_band", ERROR,
                             msg("audit_score_band", name=name, score=fmt.score(it["score"]),
                                 weight=fmt.number(it["weight"]), band=band,
                                 low=fmt.number(it["weight"] * low), high=fmt.number(it["weight"] * high),
                                 closed="]" if top else "）"),
                             [cell("manual_score"), cell("band"), cell("weight")])
            # 偏差原因 wherever a target is missed or a score is below its weight
            if not it["reason"].strip() and (not it["met"] or it["score"] < it["weight"]):
                why = (msg("audit_reason_missed", target=it["target_text"], actual=it["actual_text"])
                       if not it["met"] else
                       msg("audit_reason_low_score", score=fmt.score(it["score"]), weight=fmt.number(it["weight"])))
                self.add("indicator_reason_missing", ERROR, msg("audit_reason_missing", name=name, why=why),
                         [cell("reason"), cell("actual"), cell("target")]
                         + ([cell("manual_score")] if it["score_entered"] else []))

    def _weights(self, table: str, items: list[dict[str, Any]], what: str, level1: bool) -> None:
        index = self._index(table)
        weight_cells = [self.figs.cell(f"{table}.{index[it['row']]}.weight") for it in items if it["row"] in index]
        total = sum((it["weight"] for it in items), ZERO)
        if total != INDICATOR_WEIGHT_TOTAL:
            self.add("indicator_weights", ERROR,
                     msg("audit_weights", what=what, total=fmt.number(total),
                         expected=fmt.number(INDICATOR_WEIGHT_TOTAL),
                         diff=fmt.number(abs(total - INDICATOR_WEIGHT_TOTAL))), weight_cells)
            return
        if not level1:
            return
        for name, expected in LEVEL1_WEIGHTS.items():
            members = [it for it in items if it["level1"] == name]
            got = sum((it["weight"] for it in members), ZERO)
            if got != expected:
                self.add("indicator_level1_weights", HINT,
                         msg("audit_level1_weights", name=name, total=fmt.number(got), expected=fmt.number(expected)),
                         [self.figs.cell(f"{table}.{index[it['row']]}.weight") for it in members if it["row"] in index]
                         or weight_cells)

    # ------------------------------------------------------------------ 核对数据
    def _input_cells(self, ctx_path: str) -> list[str]:
        out = []
        for p in INPUTS.get(ctx_path, ()):
            out += [self.figs.cell(c) for c in self.figs.expand(p)]
        return out

    def sources(self) -> None:
        index = self._index("indicators")
        for it in self.ctx["indicators"]["rows"]:
            source = (it.get("source") or "").strip()
            i = index.get(it["row"])
            if not source or i is None:
                continue
            cell = self.figs.cell(f"indicators.{i}.actual")
            source_cell = self.figs.cell(f"indicators.{i}.source")
            if source not in schema.PLACEHOLDERS:
                self.add("indicator_source_unknown", ERROR,
                         msg("audit_source_unknown", name=it["name"], source=source,
                             names="、".join(schema.PLACEHOLDERS)), [source_cell])
                continue
            path, kind = schema.PLACEHOLDERS[source]
            expected = _lookup(self.ctx, path)
            actual, unit = it["actual"], (it["unit"] or "").strip()
            factor = _unit_factor(kind, unit)
            if not isinstance(actual, Decimal) or factor is None or not isinstance(expected, (Decimal, int)):
                self.add("indicator_source_unit", HINT,
                         msg("audit_source_unit", name=it["name"], source=source, unit=unit or "无"),
                         [cell, source_cell])
                continue
            value = _num(expected) * factor
            percent = unit == "%"
            places = _places(actual, self._decimals("indicators", i), percent)
            tolerance = Decimal("0.5").scaleb(-places) / (100 if percent else 1)
            diff = abs(actual - value)
            if diff > tolerance:
                shown = fmt.pct_auto(value, places) if percent else fmt.number(value, places) + unit
                diff_text = (fmt.number(diff * 100, None, 2) + msg("audit_points")) if percent \
                    else fmt.number(diff, None, 4) + unit
                self.add("indicator_source", ERROR,
                         msg("audit_source", name=it["name"], actual=it["actual_text"], source=source,
                             expected=shown, diff=diff_text),
                         [cell, source_cell] + self._input_cells(path))

    def _decimals(self, table: str, i: int) -> int | None:
        rows = self.data.get(table) or []
        return rows[i].get("actual_decimals") if i < len(rows) else None

    # ------------------------------------------------------------------ texts
    def texts(self) -> None:
        unmet = [it for it in self.ctx["indicators"]["rows"] if not it["met"]]
        index = self._index("indicators")
        for i, r in enumerate(self.data.get("texts") or []):
            raw = r.get("text") or ""
            literal = re.sub(r"\{[^{}]*\}", "〔〕", raw)
            cell = self.figs.cell(f"texts.{i}.text")
            for name, pattern, path, kind in TEXT_FIGURES:
                for m in re.finditer(pattern, literal):
                    self._text_figure(name, m, path, kind, cell)
            if unmet and ALL_MET.search(literal):
                names = "、".join(it["name"] for it in unmet)
                self.add("text_claims_all_met", HINT,
                         msg("audit_text_all_met", phrase=ALL_MET.search(literal).group(0), names=names),
                         [cell] + [self.figs.cell(f"indicators.{index[it['row']]}.actual")
                                   for it in unmet if it["row"] in index])

    def _text_figure(self, name: str, m: re.Match, path: str, kind: str, cell: str) -> None:
        typed = Decimal(re.sub("[−－]", "-", m.group("v")))
        places = max(0, -typed.as_tuple().exponent)
        computed = _num(_lookup(self.ctx, path))
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
                     [cell] + self._input_cells(path))

    def sangong_claims(self) -> None:
        change = self.ctx["sangong"]["change"]
        cells = [self.figs.cell("sangong.total.actual"), self.figs.cell("sangong.total.prev_actual")]
        claims = []
        override = (self.data.get("overrides") or {}).get(schema.SENTENCES["sangong_conclusion"])
        if override:
            claims.append((override, self.figs.cell(f"overrides.{schema.SENTENCES['sangong_conclusion']}"), "句子覆盖"))
        for i, r in enumerate(self.data.get("texts") or []):
            if r.get("section") == schema.TEXT_SECTIONS["sangong_note"] or "三公" in (r.get("text") or ""):
                claims.append((r.get("text") or "", self.figs.cell(f"texts.{i}.text"), ""))
        for text, cell, sheet in claims:
            up, not_up = SANGONG_UP.search(text), SANGONG_NOT_UP.search(text)
            if up and change <= 0 or not_up and change > 0:
                phrase = (up or not_up).group(0)
                self.add("sangong_change_claim", ERROR,
                         msg("audit_sangong_claim", phrase=phrase,
                             actual=fmt.yuan(self.ctx["sangong"]["actual"]["total"]),
                             prev=fmt.yuan(self.ctx["sangong"]["prev_actual"]["total"]),
                             direction=msg("audit_change_up" if change > 0 else "audit_change_down"),
                             diff=fmt.yuan(abs(change))),
                         [cell] + cells, sheet=sheet)

    # ------------------------------------------------------------------ last year
    def previous_year(self) -> None:
        if self.previous_problem:
            self.add("previous_unreadable", HINT, self.previous_problem, [], sheet="基本信息")
        if self.previous is None:
            return
        prev_data, _ = self.previous
        prev = Figures(prev_data)
        for id, this_path, prev_path in PREVIOUS:
            a, b = self.figs.get(this_path), prev.get(prev_path)
            if a is None or b is None or a.value is None or b.value is None:
                continue
            if _num(a.value) != _num(b.value):
                self.add(id, ERROR,
                         msg("audit_previous", label=a.label, value=_show(a.value, a.kind), unit=_unit(a.kind),
                             prev_file=prev.file, prev_label=b.label, prev_value=_show(b.value, b.kind),
                             diff=_show(abs(_num(a.value) - _num(b.value)), a.kind)),
                         [a.cell, b.cell])
        prev_projects = {p.get("name"): i for i, p in enumerate(prev_data.get("projects") or [])}
        for i, p in enumerate(self.data.get("projects") or []):
            j = prev_projects.get(p.get("name"))
            if j is None or p.get("prev_actual") is None:
                continue
            q = prev_data["projects"][j]
            executed = sum((_num(q.get(k)) for k in ("exec_fiscal", "exec_carry", "exec_other")), ZERO)
            if _num(p["prev_actual"]) != executed:
                a = self.figs.fig(f"projects.{i}.prev_actual")
                self.add("previous_project", ERROR,
                         msg("audit_previous", label=a.label, value=fmt.wan(a.value), unit="万元", prev_file=prev.file,
                             prev_label=msg("audit_project_label", name=p.get("name"), label="全年执行数"),
                             prev_value=fmt.wan(executed), diff=fmt.wan(abs(_num(a.value) - executed))),
                         [a.cell] + [prev.cell(f"projects.{j}.{k}")
                                     for k in ("exec_fiscal", "exec_carry", "exec_other")])


def _counts(summary: str) -> dict[str, int]:
    """"3中心1站1队" → {"中心": 3, "站": 1, "队": 1}."""
    out: dict[str, int] = {}
    for n, suffix in re.findall(r"(\d+)\s*([^\d\s、，,。]+)", summary):
        out[suffix] = out.get(suffix, 0) + int(n)
    return out


def _lookup(ctx: dict[str, Any], path: str) -> Any:
    value: Any = ctx
    for part in path.split("."):
        value = value[part]
    return value


def _unit_factor(kind: str, unit: str) -> Decimal | None:
    """Multiply a placeholder's figure by this to get it in the indicator's unit; None if incomparable."""
    if kind == "pct":
        return Decimal(1) if unit == "%" else None
    if kind == "wan":
        return {"万元": Decimal(1), "元": Decimal(10000)}.get(unit)
    if kind == "yuan":
        return {"元": Decimal(1), "万元": Decimal("0.0001")}.get(unit)
    if kind == "score":
        return Decimal(1) if unit in ("分", "") else None
    return Decimal(1) if unit in ("", "年") else None


def audit(data: dict[str, Any], ctx: dict[str, Any],
          previous: tuple[dict[str, Any], dict[str, Any]] | None = None,
          previous_problem: str | None = None) -> AuditResult:
    """Every contradiction in one unit's figures; ``previous`` is last year's (data, context) if any."""
    findings = Auditor(data, ctx, previous, previous_problem).run()
    return AuditResult(file=data.get("file", ""), findings=findings)
