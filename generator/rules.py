"""The county's scoring rules: plain data, read from ``评分规则.xlsx`` and applied to a unit's score.

The national rules of 财预〔2020〕10号 are the default (``NATIONAL``): the unit's own 分值 per
indicator, 预算执行率 worth 10 points, qualitative bands 达成 100% / 部分达成 50% / 未达成 0%,
no cap by execution rate, no deduction for a target set too low, grades 优 ≥ 90, 良 ≥ 80,
中 ≥ 60, 差 below. A county (or a one-unit folder) may state its own in the settings workbook
``DATA/评分规则.xlsx`` (``generate rules`` writes a blank one); every rule left empty keeps
its national value.

Compute applies them in this order, recording each change as a ``Step`` (which rule, which
number, old → new), so the audit and the note under 附件2 can say which rule changed what:

1. indicator scores: a qualitative indicator scores its 分值 × the county's share of its band;
2. deductions: an indicator whose actual value exceeds its target by the threshold or more
   loses the configured points (never below 0), a hand score included (it stays marked);
3. weights: each 一级指标 group's score is scaled to the county's weight
   (group score × weight ÷ the group's 分值), and 预算执行率 scores weight × 执行率;
4. total: 预算执行率得分 + the weighted groups;
5. cap: the total is limited by the band of the execution rate (as the report prints it,
   two decimals of a percent) it falls in; then the grade follows from the final total.

Every figure is a Decimal rounded half-up to two places, as Excel rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import formatting as fmt
from . import schema
from .errors import Location, Problem, ValidationError
from .layout import RULES_NAME, YEAR_MAX, YEAR_MIN, rules_path, unit_data_dir
from .messages import msg
from .read import normalize_label

HUNDRED = Decimal(100)
ZERO = Decimal(0)

BUDGET = "预算执行率"
WEIGHT_NAMES = (BUDGET, schema.LEVEL1_OUTPUT, schema.LEVEL1_BENEFIT, schema.LEVEL1_SATISFACTION, "成本指标")
WEIGHTS_REQUIRED = WEIGHT_NAMES[:4]  # 成本指标 (a 一级指标 of the 2021 framework) is optional
NATIONAL_WEIGHTS = {BUDGET: Decimal(schema.BUDGET_WEIGHT),
                    **{k: Decimal(v) for k, v in schema.LEVEL1_WEIGHTS.items()}}
NATIONAL_SHARES = {band: Decimal(v[0]) for band, v in schema.BANDS.items()}
GRADE_NAMES = ("优", "良", "中", "差")
NATIONAL_GRADES = (("优", Decimal(90)), ("良", Decimal(80)), ("中", Decimal(60)), ("差", ZERO))

# the settings workbook: sheet names and the labels/headers the reader looks for
SHEET_INFO = "规则名称"
SHEET_WEIGHTS = "一级指标权重"
SHEET_CAPS = "执行率封顶"
SHEET_OVER = "超目标扣分"
SHEET_SHARES = "评价等级得分"
SHEET_GRADES = "等级划分"
LABEL_NAME = "规则名称"
LABEL_YEAR = "适用年度"
CAP_HEADERS = ("执行率下限（%）", "执行率上限（%）", "总分最高")
OVER_THRESHOLD = "超目标幅度（%）"
OVER_POINTS = "扣分"
HEADER_ROW = 2
FIRST_ROW = 3
CAP_ROWS = 12  # yellow rows for bands in the written workbook


@dataclass(frozen=True)
class Cap:
    """Execution rate in [low, high) percent → the total is at most ``top``."""

    low: Decimal
    high: Decimal
    top: Decimal


@dataclass(frozen=True)
class Rules:
    """The scoring rules in force. ``None`` / empty is the national rule for that family."""

    name: str = ""  # the county's short name for its rules ("" = national)
    file: str = ""  # where they were read, for messages
    weights: dict[str, Decimal] | None = None  # 一级指标 (and 预算执行率) → points; None: the unit's own 分值
    caps: tuple[Cap, ...] = ()
    over_threshold: Decimal | None = None  # percent above the target
    over_points: Decimal | None = None
    shares: dict[str, Decimal] | None = None  # 评价等级 → share of the 分值 (fraction); None: national
    grades: tuple[tuple[str, Decimal], ...] | None = None  # (grade, lowest total), best first; None: national

    @property
    def national(self) -> bool:
        return not (self.weights or self.caps or self.over_threshold is not None or self.shares or self.grades)

    @property
    def label(self) -> str:
        """Which rules were used, as the county summary says it."""
        if self.national:
            return msg("rules_national")
        return msg("rules_county", name=self.name) if self.name else msg("rules_county_unnamed")

    @property
    def which(self) -> str:
        """The county's rules in a sentence: 县规则（name）."""
        return msg("rules_says_named", name=self.name) if self.name else msg("rules_county_unnamed")

    def share(self, band: str) -> Decimal:
        return (self.shares or NATIONAL_SHARES)[band]

    @property
    def budget_weight(self) -> Decimal:
        return (self.weights or NATIONAL_WEIGHTS)[BUDGET]

    @property
    def bands(self) -> tuple[tuple[str, Decimal], ...]:
        """The grade bands in force: (grade, lowest total), best first; the county's, else the national ones."""
        return self.grades or NATIONAL_GRADES

    def grade(self, total: Decimal | None) -> str | None:
        """The grade of a total (a 自评分 or a 复核分) by the bands in force; None for no total."""
        if total is None:
            return None
        for name, low in self.bands:
            if total >= low:
                return name
        return GRADE_NAMES[-1]

    def cap_for(self, rate: Decimal | None) -> Cap | None:
        """The band a rate (a fraction, compared as printed: two decimals of a percent) falls in."""
        if rate is None or not self.caps:
            return None
        percent = fmt.round_half_up(rate * HUNDRED, 2)
        for cap in self.caps:
            if cap.low <= percent < cap.high:
                return cap
        return None


NATIONAL = Rules()


# ------------------------------------------------------------------------ where

def stray_rules(data_dir: Path | str, unit: str | None) -> Problem | None:
    """A unit folder's own 评分规则.xlsx in a county folder: not used (the county's rules apply), said to the unit."""
    if unit is None:
        return None
    path = rules_path(unit_data_dir(Path(data_dir), unit))  # where a one-unit folder's own rules would be
    if not path.exists() and not path.is_symlink():
        return None
    return Problem(Location(f"{unit}/{RULES_NAME}"), msg("rules_unit_ignored", county=rules_path(data_dir)))


def load_rules(data_dir: Path | str, year: int | None = None) -> Rules:
    """The rules for the units of ``data_dir``: the settings workbook's, else the national ones.

    A bad settings workbook raises a ValidationError naming every bad cell (before any unit is scored);
    so does one whose 适用年度 is not ``year``.
    """
    path = rules_path(data_dir)
    if not path.exists() and not path.is_symlink():
        return NATIONAL
    from .formats.xlsx_read import open_book
    from .read import check_regular  # (the reader's checks of a path, as for the units' workbooks)

    check_regular(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, year)
    rules = _READ.get(key)
    if rules is None:  # (the web page asks for each unit it shows: the file is read again only when it changes)
        rules = read_rules(open_book(path), path.name, year)
        _READ.clear()
        _READ[key] = rules
    return rules


_READ: dict[tuple[str, int, int, int | None], Rules] = {}


# ------------------------------------------------------------------------ reading the workbook


@dataclass
class _Reader:
    book: Any
    file: str
    problems: list[Problem] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # a sheet's name here → as the workbook spells it

    def sheet(self, name: str) -> Any:
        """The sheet (None when absent, a problem, or without cells); stray spaces and full-width forms do not
        count in its name, nor in a label or header (``read.normalize_label``)."""
        actual = next((n for n in self.book.sheet_names if normalize_label(n) == normalize_label(name)), None)
        if actual is None:
            self.problems.append(Problem(Location(self.file), msg("rules_sheet_missing", sheet=name,
                                                                  names="、".join(self.book.sheet_names))))
            return None
        self.names[name] = actual
        return self.book.sheets.get(actual)

    def where(self, sheet: str, coord: str | None = None) -> Location:
        return Location(self.file, self.names.get(sheet, sheet), coord)

    def err(self, sheet: str, coord: str, message: str) -> None:
        self.problems.append(Problem(self.where(sheet, coord), message))

    def cell(self, ws: Any, row: int, col: int) -> Any:
        c = ws.cells.get((row, col)) if ws is not None else None
        if c is None or c.value is None or (isinstance(c.value, str) and not c.value.strip()):
            return None
        return c

    def number(self, ws: Any, sheet: str, row: int, col: int, label: str, percent: bool = False) -> Decimal | None:
        """A number typed in a cell (None when blank); a cell formatted as a percentage counts in percent."""
        from .formats.xlsx_write import column

        c = self.cell(ws, row, col)
        if c is None:
            return None
        value = c.value
        coord = f"{column(col)}{row}"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.err(sheet, coord, msg("rules_expect_number", label=label, value=value))
            return None
        try:
            number = fmt.to_decimal(value.strip() if isinstance(value, str) else value)
        except Exception:
            self.err(sheet, coord, msg("rules_expect_number", label=label, value=value))
            return None
        if not number.is_finite():
            self.err(sheet, coord, msg("rules_expect_number", label=label, value=value))
            return None
        if percent and "%" in (c.number_format or ""):
            number *= HUNDRED
        return number

    def labelled_rows(self, ws: Any, sheet: str, labels: tuple[str, ...]) -> dict[str, int]:
        """The row of each label in column A (from the first data row); a missing label is a problem."""
        if sheet not in self.names:
            return {}  # (the missing sheet is said once)
        wanted = {normalize_label(label): label for label in labels}
        found: dict[str, int] = {}
        if ws is not None:
            for (row, col), c in sorted(ws.cells.items()):
                label = wanted.get(normalize_label(c.value)) if isinstance(c.value, str) else None
                if col == 1 and row >= FIRST_ROW and label:
                    found.setdefault(label, row)
        for label in labels:
            if label not in found:
                self.problems.append(Problem(self.where(sheet), msg("rules_row_missing", label=label)))
        return found

    def header_columns(self, ws: Any, sheet: str, headers: tuple[str, ...]) -> dict[str, int]:
        if sheet not in self.names:
            return {}  # (the missing sheet is said once)
        wanted = {normalize_label(h): h for h in headers}  # (执行率下限（%）: its unit in （） does not count)
        found: dict[str, int] = {}
        if ws is not None:
            for (row, col), c in sorted(ws.cells.items()):
                header = wanted.get(normalize_label(c.value)) if isinstance(c.value, str) else None
                if row == HEADER_ROW and header:
                    found.setdefault(header, col)
        for header in headers:
            if header not in found:
                self.problems.append(Problem(self.where(sheet),
                                             msg("rules_column_missing", row=HEADER_ROW, label=header)))
        return found


def read_rules(book: Any, file: str, year: int | None = None) -> Rules:
    """Read and check the settings workbook (``formats.xlsx_read.Book``): the Rules, or a ValidationError
    naming every bad cell. A 适用年度 other than ``year`` (when both are given) is one."""
    r = _Reader(book, file)
    name = _read_name(r, year)
    weights = _read_weights(r)
    caps = _read_caps(r)
    threshold, points = _read_over(r)
    shares = _read_shares(r)
    grades = _read_grades(r)
    if r.problems:
        raise ValidationError(file, r.problems)
    return Rules(name=name, file=file, weights=weights, caps=caps, over_threshold=threshold, over_points=points,
                 shares=shares, grades=grades)


def _read_name(r: _Reader, year: int | None) -> str:
    ws = r.sheet(SHEET_INFO)
    if ws is None:
        return ""
    rows = r.labelled_rows(ws, SHEET_INFO, (LABEL_NAME, LABEL_YEAR))
    if LABEL_YEAR in rows:
        stated = r.number(ws, SHEET_INFO, rows[LABEL_YEAR], 2, LABEL_YEAR)
        if stated is not None and (stated != stated.to_integral_value() or not YEAR_MIN <= stated <= YEAR_MAX):
            r.err(SHEET_INFO, f"B{rows[LABEL_YEAR]}", msg("rules_year_invalid", value=fmt.number(stated)))
        elif stated is not None and year is not None and stated != year:
            r.err(SHEET_INFO, f"B{rows[LABEL_YEAR]}", msg("rules_year_other", stated=int(stated), year=year))
    c = r.cell(ws, rows[LABEL_NAME], 2) if LABEL_NAME in rows else None
    return str(c.value).strip() if c is not None else ""


def _read_weights(r: _Reader) -> dict[str, Decimal] | None:
    ws = r.sheet(SHEET_WEIGHTS)
    rows = r.labelled_rows(ws, SHEET_WEIGHTS, WEIGHT_NAMES)
    values: dict[str, Decimal] = {}
    cells: dict[str, str] = {}
    invalid: set[str] = set()
    for name, row in rows.items():
        cells[name] = f"B{row}"
        before = len(r.problems)
        value = r.number(ws, SHEET_WEIGHTS, row, 2, name)
        if len(r.problems) > before:
            invalid.add(name)
        elif value is not None:
            if value < 0 or value > HUNDRED:
                r.err(SHEET_WEIGHTS, cells[name], msg("rules_weight_range", name=name, value=fmt.number(value)))
                invalid.add(name)
            values[name] = value
    if not values and not invalid:
        return None
    bad = bool(invalid)
    for name in WEIGHTS_REQUIRED:
        if name in rows and name not in values and name not in invalid:
            r.err(SHEET_WEIGHTS, cells[name], msg("rules_weight_blank", name=name))
            bad = True
    total = sum(values.values(), ZERO)
    if not bad and total != HUNDRED:
        for name in values:
            r.err(SHEET_WEIGHTS, cells[name], msg("rules_weight_sum", total=fmt.number(total),
                                                  diff=fmt.number(abs(total - HUNDRED))))
    return values


def _read_caps(r: _Reader) -> tuple[Cap, ...]:
    from .formats.xlsx_write import column

    ws = r.sheet(SHEET_CAPS)
    cols = r.header_columns(ws, SHEET_CAPS, CAP_HEADERS)
    if ws is None or len(cols) < len(CAP_HEADERS):
        return ()
    low_col, high_col, top_col = (cols[h] for h in CAP_HEADERS)
    typed_rows = sorted({row for (row, col) in ws.cells if row >= FIRST_ROW and col in cols.values()
                         and r.cell(ws, row, col) is not None})
    bands: list[tuple[int, Cap]] = []
    complete = True  # every typed band readable: only then are overlaps and gaps told (not a gap left by a typo)
    for row in typed_rows:
        coords = {h: f"{column(cols[h])}{row}" for h in CAP_HEADERS}
        present = [h for h in CAP_HEADERS if r.cell(ws, row, cols[h]) is not None]
        before = len(r.problems)
        low = r.number(ws, SHEET_CAPS, row, low_col, CAP_HEADERS[0], percent=True)
        high = r.number(ws, SHEET_CAPS, row, high_col, CAP_HEADERS[1], percent=True)
        top = r.number(ws, SHEET_CAPS, row, top_col, CAP_HEADERS[2])
        for h in CAP_HEADERS:
            if h not in present:
                r.err(SHEET_CAPS, coords[h], msg("rules_cap_blank", label=h, row=row))
        if len(r.problems) > before:
            complete = False
            continue
        assert low is not None and high is not None and top is not None
        if top > HUNDRED or top < 0:
            r.err(SHEET_CAPS, coords[CAP_HEADERS[2]], msg("rules_cap_top", value=fmt.number(top)))
        if low < 0:
            r.err(SHEET_CAPS, coords[CAP_HEADERS[0]], msg("rules_cap_negative", value=fmt.number(low)))
            complete = False
        elif high <= low:
            r.err(SHEET_CAPS, coords[CAP_HEADERS[1]], msg("rules_cap_order", low=fmt.number(low),
                                                         high=fmt.number(high)))
            complete = False
        else:  # a band whose range is sound takes part in the checks of overlaps and gaps
            bands.append((row, Cap(low, high, top)))
    bands.sort(key=lambda b: (b[1].low, b[1].high))
    low_coord = column(low_col)
    for k, (row, cap) in enumerate(bands if complete else ()):
        if k == 0:
            if cap.low != 0:
                r.err(SHEET_CAPS, f"{low_coord}{row}", msg("rules_cap_start", low=fmt.number(cap.low)))
            continue
        prev_row, prev = bands[k - 1]
        if cap.low < prev.high:
            r.err(SHEET_CAPS, f"{low_coord}{row}", msg("rules_cap_overlap", low=fmt.number(cap.low),
                                                       high=fmt.number(cap.high), prev_row=prev_row,
                                                       prev_low=fmt.number(prev.low), prev_high=fmt.number(prev.high)))
        elif cap.low > prev.high:
            r.err(SHEET_CAPS, f"{low_coord}{row}", msg("rules_cap_gap", low=fmt.number(cap.low), prev_row=prev_row,
                                                       prev_high=fmt.number(prev.high)))
    return tuple(cap for _, cap in bands)


def _read_over(r: _Reader) -> tuple[Decimal | None, Decimal | None]:
    ws = r.sheet(SHEET_OVER)
    rows = r.labelled_rows(ws, SHEET_OVER, (OVER_THRESHOLD, OVER_POINTS))
    if len(rows) < 2:
        return None, None
    before = len(r.problems)
    threshold = r.number(ws, SHEET_OVER, rows[OVER_THRESHOLD], 2, OVER_THRESHOLD, percent=True)
    points = r.number(ws, SHEET_OVER, rows[OVER_POINTS], 2, OVER_POINTS)
    if len(r.problems) > before or (threshold is None and points is None):
        return None, None
    if threshold is None or points is None:
        blank = OVER_THRESHOLD if threshold is None else OVER_POINTS
        r.err(SHEET_OVER, f"B{rows[blank]}", msg("rules_over_pair", label=blank))
        return None, None
    if threshold <= 0:
        r.err(SHEET_OVER, f"B{rows[OVER_THRESHOLD]}", msg("rules_over_threshold", value=fmt.number(threshold)))
    if points <= 0 or points > HUNDRED:
        r.err(SHEET_OVER, f"B{rows[OVER_POINTS]}", msg("rules_over_points", value=fmt.number(points)))
    return threshold, points


def _read_shares(r: _Reader) -> dict[str, Decimal] | None:
    ws = r.sheet(SHEET_SHARES)
    bands = tuple(schema.BANDS)
    rows = r.labelled_rows(ws, SHEET_SHARES, bands)
    typed: dict[str, Decimal] = {}
    for band, row in rows.items():
        value = r.number(ws, SHEET_SHARES, row, 2, band, percent=True)
        if value is None:
            continue
        if value < 0 or value > HUNDRED:
            r.err(SHEET_SHARES, f"B{row}", msg("rules_share_range", band=band, value=fmt.number(value)))
            continue
        typed[band] = value / HUNDRED
    if not typed:
        return None
    shares = {**NATIONAL_SHARES, **typed}
    for better, worse in zip(bands, bands[1:]):
        if shares[better] < shares[worse]:
            for band in (better, worse):  # the typed ones of the pair are named
                if band in typed:
                    r.err(SHEET_SHARES, f"B{rows[band]}", msg("rules_share_order", band=worse, better=better,
                                                              value=fmt.number(shares[worse] * HUNDRED),
                                                              better_value=fmt.number(shares[better] * HUNDRED)))
    return shares


def _read_grades(r: _Reader) -> tuple[tuple[str, Decimal], ...] | None:
    ws = r.sheet(SHEET_GRADES)
    rows = r.labelled_rows(ws, SHEET_GRADES, GRADE_NAMES)
    typed: dict[str, Decimal] = {}
    for grade, row in rows.items():
        value = r.number(ws, SHEET_GRADES, row, 2, grade)
        if value is None:
            continue
        if value < 0 or value > HUNDRED:
            r.err(SHEET_GRADES, f"B{row}", msg("rules_grade_range", grade=grade, value=fmt.number(value)))
            continue
        typed[grade] = value
    if not typed:
        return None
    bounds = dict(NATIONAL_GRADES) | typed
    if bounds["差"] != 0 and "差" in typed:
        r.err(SHEET_GRADES, f"B{rows['差']}", msg("rules_grade_lowest", value=fmt.number(bounds["差"])))
    for better, worse in zip(GRADE_NAMES, GRADE_NAMES[1:]):
        if bounds[better] <= bounds[worse]:
            for grade in (better, worse):  # the typed ones of the pair are named
                if grade in typed:
                    r.err(SHEET_GRADES, f"B{rows[grade]}", msg("rules_grade_order", grade=better, worse=worse,
                                                              value=fmt.number(bounds[better]),
                                                              worse_value=fmt.number(bounds[worse])))
    return tuple((g, bounds[g]) for g in GRADE_NAMES)


# ------------------------------------------------------------------------ applying them


@dataclass(frozen=True)
class Step:
    """One change a county rule made to a number: which rule, what, old → new, and the sentence."""

    rule: str  # "share" | "over" | "weight" | "budget_weight" | "cap"
    what: str  # the number changed: an indicator's sheet (绩效指标, 项目指标; see ``row``) or a context name
    old: Decimal
    new: Decimal
    text: str
    row: int | None = None  # the indicator's 行号 in its sheet, when the step is about one indicator

    def as_dict(self) -> dict[str, Any]:
        return {"规则": self.rule, "对象": self.what, "原值": self.old, "新值": self.new, "说明": self.text,
                "行号": self.row}


def band_step(item: dict[str, Any], rules: Rules, what: str) -> Step | None:
    """Step 1: the county's share of a qualitative band changed an indicator's computed score."""
    band = item.get("评价等级")
    if rules.shares is None or item["评分方式"] != "评价等级" or not band or item["分值"] is None \
            or item["得分"] is None:
        return None
    national = fmt.round_half_up(item["分值"] * NATIONAL_SHARES[band], 2)
    if national == item["得分"]:
        return None
    return Step("share", what, national, item["得分"],
                msg("rules_step_share", name=item["三级指标"], band=band,
                    share=fmt.number(rules.share(band) * HUNDRED), old=fmt.score(national),
                    new=fmt.score(item["得分"])), item.get("行号"))


def over_target(item: dict[str, Any]) -> Decimal | None:
    """How far (percent) the actual value of a floor or exact target exceeds it; None when it does not apply."""
    target, actual = item.get("年度指标值数"), item.get("实际完成值数")
    if item.get("比较方式") not in ("ge", "gt", "eq") or not isinstance(target, Decimal) \
            or not isinstance(actual, Decimal) or target <= 0 or actual <= target:
        return None
    return (actual - target) / target * HUNDRED


def deduct(item: dict[str, Any], rules: Rules, what: str) -> Step | None:
    """Step 2: an indicator whose actual value exceeds its target by the threshold or more loses the points.

    Changes the item's 得分 (and 得分显示) in place; a hand score is deducted too and stays marked."""
    if rules.over_threshold is None or rules.over_points is None:
        return None
    excess = over_target(item)
    if excess is None or excess < rules.over_threshold or item["得分"] is None:
        return None
    old = item["得分"]
    new = max(ZERO, old - rules.over_points)
    if new == old:
        return None
    item["得分"] = new
    item["得分显示"] = fmt.score(new) + "".join("\n" + line for line in item["得分显示"].split("\n")[1:]) \
        + "\n" + msg("rules_mark_over", points=fmt.number(old - new))
    return Step("over", what, old, new,
                msg("rules_step_over", name=item["三级指标"], target=item["年度指标值"], actual=item["实际完成值"],
                    excess=fmt.number(excess, 2), threshold=fmt.number(rules.over_threshold),
                    points=fmt.number(old - new), old=fmt.score(old), new=fmt.score(new)), item.get("行号"))


def score_items(items: list[dict[str, Any]], rules: Rules, path: str) -> list[Step]:
    """Steps 1 and 2 over one table's indicators (``path``: the sheet of their rows, 绩效指标 or 项目指标)."""
    steps: list[Step] = []
    for item in items:
        for step in (band_step(item, rules, path), deduct(item, rules, path)):
            if step is not None:
                steps.append(step)
    return steps


def budget_step(rules: Rules, rate: Decimal | None, score: Decimal | None) -> Step | None:
    """Step 3 for 预算执行率: the county's weight instead of 10 points."""
    if rules.weights is None or score is None or rate is None:
        return None
    national = fmt.round_half_up(min(NATIONAL_WEIGHTS[BUDGET], NATIONAL_WEIGHTS[BUDGET] * rate), 2)
    if national == score:
        return None
    return Step("budget_weight", "预算.得分", national, score,
                msg("rules_step_budget", weight=fmt.number(rules.budget_weight), rate=fmt.pct(rate),
                    old=fmt.score(national), new=fmt.score(score)))


@dataclass(frozen=True)
class Total:
    """Steps 3–5 for the unit: the indicator part after weights, the total before and after its cap.

    A part not stated leaves what depends on it None: a group whose score or 分值 is unknown, no group at all
    (no indicator listed), and for the total a blank 预算执行率 score (not stated is not zero)."""

    indicators: Decimal | None  # the indicators' score after weights
    weight: Decimal | None  # 满分: 预算执行率 + the indicators' points after weights
    total: Decimal | None
    steps: tuple[Step, ...]


def _sum(values: list[Decimal | None]) -> Decimal | None:
    return None if any(v is None for v in values) else sum(values, ZERO)  # type: ignore[arg-type]


def total_score(rules: Rules, budget_part: Decimal | None, groups: list[dict[str, Any]],
                rate: Decimal | None) -> Total:
    """Weights, total and cap: ``groups`` are the 一级指标 groups (``名称``, ``分值``, ``得分``) as typed.
    The total needs every scored part: 预算执行率's score (``budget_part``) and at least one group, each stated."""
    steps: list[Step] = []
    scores: list[Decimal | None] = []
    points: list[Decimal | None] = []
    for g in groups:
        weight = (rules.weights or {}).get(g["名称"])
        score, typed = g["得分"], g["分值"]
        if weight is None or not typed or score is None or weight == typed:
            scores.append(score)
            points.append(typed)
            continue
        new = fmt.round_half_up(score * weight / typed, 2)
        steps.append(Step("weight", f"绩效指标.{g['名称']}.得分", score, new,
                          msg("rules_step_weight", name=g["名称"], points=fmt.number(typed),
                              weight=fmt.number(weight), old=fmt.score(score), new=fmt.score(new))))
        scores.append(new)
        points.append(weight)
    indicators, typed_points = (_sum(scores), _sum(points)) if groups else (None, None)
    total = None if indicators is None or budget_part is None else budget_part + indicators
    cap = rules.cap_for(rate)
    if cap is not None and total is not None and total > cap.top:
        capped = fmt.round_half_up(cap.top, 2)
        steps.append(Step("cap", "自评.总分", total, capped,
                          msg("rules_step_cap", rate=fmt.pct(rate), top=fmt.number(cap.top), old=fmt.score(total),
                              new=fmt.score(capped), low=fmt.number(cap.low), high=fmt.number(cap.high))))
        total = capped
    weight_total = None if typed_points is None else rules.budget_weight + typed_points
    return Total(indicators, weight_total, total, tuple(steps))


def unit_total(rules: Rules, budget_part: Decimal | None, rate: Decimal | None, groups: list[dict[str, Any]],
               item_steps: list[Step]) -> Total:
    """The unit's 自评 total by ``rules``, with every step of it in order: its indicators' (steps 1–2,
    already applied to the items), 预算执行率's weight, the groups' weights, the cap."""
    scored = total_score(rules, budget_part, groups, rate)
    budget = budget_step(rules, rate, budget_part)
    steps = tuple(item_steps) + ((budget,) if budget else ()) + scored.steps
    return Total(scored.indicators, scored.weight, scored.total, steps)


def statement(rules: Rules) -> str:
    """The rules in force where they differ from the national ones, in one Chinese sentence ("" if none)."""
    if rules.national:
        return ""
    parts: list[str] = []
    if rules.weights is not None:
        parts.append(msg("rules_says_weights", weights="、".join(f"{k} {fmt.number(v)} 分"
                                                                 for k, v in rules.weights.items())))
    if rules.caps:
        parts.append(msg("rules_says_caps", caps="；".join(
            msg("rules_says_cap", low=fmt.number(c.low), high=fmt.number(c.high), top=fmt.number(c.top))
            for c in reversed(rules.caps))))  # (from the highest band down, as the manuals list them)
    if rules.over_threshold is not None and rules.over_points is not None:
        parts.append(msg("rules_says_over", threshold=fmt.number(rules.over_threshold),
                         points=fmt.number(rules.over_points)))
    if rules.shares is not None:
        parts.append(msg("rules_says_shares", shares="、".join(f"{k} {fmt.number(v * HUNDRED)}%"
                                                               for k, v in rules.shares.items())))
    if rules.grades is not None:
        parts.append(msg("rules_says_grades", grades="、".join(
            msg("rules_says_grade", grade=g, low=fmt.number(low)) if low else
            msg("rules_says_grade_last", grade=g, high=fmt.number(prev))
            for (g, low), (_, prev) in zip(rules.grades, ((None, None),) + rules.grades[:-1]))))
    return msg("rules_says", which=rules.which, rules="；".join(parts))


def note(rules: Rules, steps: list[Step] | tuple[Step, ...]) -> str:
    """The sentence under 附件2: the rules in force and what they changed ("" under the national rules)."""
    if rules.national:
        return ""
    changed = "".join(s.text + "。" for s in steps)
    return statement(rules) + changed
