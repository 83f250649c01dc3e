"""Stage 2 — validate: turn raw cells into typed plain data, collecting every problem at once.

The result (``Data``) is keyed by the workbook's own names: ``data["财务"]["资产总额"]``,
``data["三公经费"]["本年决算"]["公务接待"]``, ``data["人员编制"][3]["实有人数"]``; values are
Decimals, ints, dates and strings, None where a cell is blank. ``data["cells"]``
gives, for every value, the workbook cell it came from ("2024.xlsx › 财务 › B7"),
so that the audit and every message can name the cell to fix.

Nothing is required here beyond what every report needs (the unit's name and
year, each row's own name): what else must be filled is what the unit's
template uses, checked after compute by ``check_uses``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from . import schema
from .errors import SEP, Location, Problem
from .layout import YEAR_MAX, YEAR_MIN
from .messages import msg
from .read import RawCell, RawWorkbook

Data = dict[str, Any]

# Control characters Excel lets through, and Unicode noncharacters (the renderer uses two of them internally)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff]")
MAX_MAGNITUDE = Decimal(10) ** 12  # no figure of a unit's report comes near this; beyond it is a typo or garbage
PERCENT_SLIP = Decimal("1.5")  # a percentage above 150% beside one of at most 100%: typed 80 in a % cell
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]")
_UNIT_SUFFIX = re.compile(r"^[-+]?[\d,.，．\s]+\s*(万元|万|元|亿元|亿|个|人|㎡|平方米|%|％)$")
_EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _format_chars(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cf" for ch in text)


def _strip_format_chars(text: str) -> str:
    """Remove invisible format characters (bidirectional overrides U+202E…, zero-width spaces, BOM)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@functools.lru_cache(maxsize=256)
def decimals_of(number_format: str) -> int | None:
    """Decimal places an Excel number format shows (``0.00`` → 2, ``0%`` → 0); None for General."""
    if not number_format or number_format == "General":
        return None
    section = number_format.split(";")[0]
    m = re.search(r"0\.(0+)", section)
    if m:
        return len(m.group(1))
    if "0" in section or "#" in section:
        return 0
    return None


_INVALID = object()
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system (serials after its 1900-02-29)
DATE_RANGE_YEARS = 10  # a serial number is read as a date only within this many years of the report year
NOT_APPLICABLE = "不适用"
NONE_WORDS = ("无", "没有", NOT_APPLICABLE)  # what a clerk may type in a figure's cell instead of a number
_NUMBER_KINDS = ("wan", "yuan", "area", "count", "score", "percent")


class Validator:
    def __init__(self, raw: RawWorkbook, year: int | None = None):
        self.raw = raw
        self.year = year
        self.problems: list[Problem] = list(raw.problems)
        self.notices: list[Problem] = list(raw.notices)
        self.cells: dict[str, str] = {}
        self.not_applicable: set[str] = set()  # data names of cells typed 不适用: stated, printed as nothing
        self._last_not_applicable = False
        self._file_prefix = f"{raw.file}{SEP}" if raw.file else ""

    # ------------------------------------------------------------------ helpers
    def loc(self, cell: RawCell | None, sheet: str | None = None) -> Location:
        if cell is None:
            return Location(self.raw.file, sheet)
        return cell.location(self.raw.file)

    def problem(self, cell: RawCell | None, text: str, sheet: str | None = None) -> None:
        self.problems.append(Problem(self.loc(cell, sheet), text))

    def notice(self, cell: RawCell, text: str) -> None:
        self.notices.append(Problem(self.loc(cell), text))

    def remember(self, path: str, cell: RawCell | None) -> None:
        if cell is not None:  # str(self.loc(cell)), built directly: this runs once per cell of the workbook
            self.cells[path] = f"{self._file_prefix}{cell.sheet}{SEP}{cell.coord}"

    def raw_value(self, cell: RawCell | None, label: str) -> Any:
        """The cell's value with formula, error and invisible-character handling; None if blank."""
        if cell is None:
            return None
        value = cell.value
        if value is None and cell.formula:
            self.problem(cell, msg("formula_uncached", formula=cell.formula))
            return _INVALID
        if isinstance(value, str):
            if value.strip() in _EXCEL_ERRORS:
                self.problem(cell, msg("formula_error", value=value.strip()))
                return _INVALID
            if len(value) > schema.MAX_TEXT_CHARS:
                self.problem(cell, msg("text_too_long", label=label, length=len(value), limit=schema.MAX_TEXT_CHARS))
                return _INVALID
            value = _decode_xml_escapes(value)
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            if _CONTROL.search(value):
                self.notice(cell, msg("notice_control_chars", label=label))
                value = _CONTROL.sub("", value)
            if not value.isascii() and _format_chars(value):
                self.notice(cell, msg("notice_format_chars", label=label))
                value = _strip_format_chars(value)
            if not value.strip():
                return None
        return value

    # ------------------------------------------------------------------ typed conversions
    def convert(self, cell: RawCell | None, f: schema.Field, *, unit: str = "", label: str | None = None) -> Any:
        label = label or f.label
        self._last_not_applicable = False
        value = self.raw_value(cell, label)
        if value is _INVALID:
            return None
        if f.kind in _NUMBER_KINDS and isinstance(value, str) and value.strip() in NONE_WORDS:
            if value.strip() == NOT_APPLICABLE:
                self._last_not_applicable = True
                return None
            return 0 if f.kind == "count" else Decimal(0)  # 无: stated as none
        if value is None:
            if f.required:
                self.problem(cell, msg("required_empty", label=label))
            return None
        kind = f.kind
        if kind in ("text", "longtext"):
            text = _format_plain(value)
            return text.strip() if kind == "text" else text.strip("\n ")
        if kind == "choice":
            text = str(value).strip()
            if text not in f.choices:
                self.problem(cell, msg("choice_invalid", label=label, choices="、".join(f.choices), value=text))
                return None
            return text
        if kind == "comparator":
            text = str(value).strip()
            if text not in schema.COMPARATORS:
                words = "、".join(k for k in schema.COMPARATORS if not re.match(r"^[=＝<>＜＞≥≤]+$", k))
                self.problem(cell, msg("comparator_invalid", words=words, value=text))
                return None
            return text
        if kind == "year":
            n = self.number(cell, value, label, "expect_year")
            if n is None or n != n.to_integral_value() or not YEAR_MIN <= n <= YEAR_MAX:
                if n is not None:
                    self.problem(cell, msg("expect_year", label=label, value=value))
                return None
            return int(n)
        if kind == "count":
            n = self.number(cell, value, label, "expect_count")
            if n is None:
                return None
            if n != n.to_integral_value():
                self.problem(cell, msg("expect_count", label=label, value=value))
                return None
            if n < 0:
                self.problem(cell, msg("negative", label=label, value=value))
                return None
            return int(n)
        if kind in ("wan", "yuan", "area", "score"):
            n = self.number(cell, value, label, "expect_number")
            if n is not None and n < 0:
                self.problem(cell, msg("negative", label=label, value=_plain_number(n)))
                return None
            return n
        if kind == "percent":
            return self.percent(cell, value, label)
        if kind == "date":
            return self.date(cell, value, label)
        if kind == "value":
            if unit.strip() == "%":
                return self.percent(cell, value, label)
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                return self.magnitude(cell, _to_decimal(value), label)
            text = _format_plain(value).strip()
            parsed = _parse_number_text(text)
            if parsed is not None and unit:
                self.notice(cell, msg("notice_text_number", label=label, value=text, number=_plain_number(parsed)))
                return self.magnitude(cell, parsed, label)
            return text
        if kind == "fact":
            if isinstance(value, bool):  # (TRUE/FALSE: a yes/no fact, if its row's 类型 says so)
                return value
            if isinstance(value, (int, float, Decimal)):
                return self.magnitude(cell, _to_decimal(value), label)
            return _format_plain(value).strip()
        raise AssertionError(f"unknown field kind {kind}")

    def magnitude(self, cell: RawCell, number: Decimal, label: str) -> Decimal | None:
        """``number``, or None (with a problem) when it is not finite or absurdly large."""
        if not number.is_finite() or abs(number) >= MAX_MAGNITUDE:
            self.problem(cell, msg("number_too_large", label=label, value=_plain_number(number)
                                   if number.is_finite() else str(number), limit=_plain_number(MAX_MAGNITUDE)))
            return None
        return number

    def number(self, cell: RawCell, value: Any, label: str, error_key: str) -> Decimal | None:
        if isinstance(value, bool):
            self.problem(cell, msg(error_key, label=label, value=value))
            return None
        if isinstance(value, (int, float, Decimal)):
            return self.magnitude(cell, _to_decimal(value), label)
        if isinstance(value, (dt.date, dt.datetime)):
            self.problem(cell, msg(error_key, label=label, value=_format_plain(value)))
            return None
        text = str(value).strip()
        parsed = _parse_number_text(text)
        if parsed is None:
            self.problem(cell, msg(error_key, label=label, value=text) + _number_hint(text))
            return None
        self.notice(cell, msg("notice_text_number", label=label, value=text, number=_plain_number(parsed)))
        return self.magnitude(cell, parsed, label)

    def percent(self, cell: RawCell, value: Any, label: str) -> Decimal | None:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            number = self.magnitude(cell, _to_decimal(value), label)
            if number is None:
                return None
            if "%" in (cell.number_format or "") or abs(number) <= PERCENT_SLIP:
                return number
            self.problem(cell, msg("percent_as_number", label=label, value=_plain_number(number),
                                   fraction=_plain_number(number / 100)))
            return None
        text = unicodedata.normalize("NFKC", str(value)).strip()
        if text.endswith("%"):
            parsed = _parse_number_text(text[:-1])
            if parsed is not None and self.magnitude(cell, parsed, label) is not None:
                self.notice(cell, msg("notice_text_number", label=label, value=text, number=text))
                return parsed / 100
            if parsed is not None:
                return None
        self.problem(cell, msg("expect_percent", label=label, value=str(value).strip()))
        return None

    def date(self, cell: RawCell, value: Any, label: str) -> dt.date | None:
        """A date: a date cell, a date typed as text, or Excel's serial number when it gives a plausible date
        (within ``DATE_RANGE_YEARS`` of the report year); any other number is refused with the date it may mean."""
        if isinstance(value, dt.datetime) and not isinstance(value, bool):
            serial = (value - _EXCEL_EPOCH).days if value.time() == dt.time() else None
            if serial is None or self._plausible(value.date()):
                return value.date()
            return self._serial_refused(cell, Decimal(serial), label)  # 202511 in a date format: "2454年6月14日"
        if isinstance(value, dt.date):
            return value
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            number = _to_decimal(value)
            if number == number.to_integral_value() and 0 < number < 2_958_466:
                d = (_EXCEL_EPOCH + dt.timedelta(days=int(number))).date()
                if self._plausible(d):
                    return d
            return self._serial_refused(cell, number, label)
        text = unicodedata.normalize("NFKC", str(value)).strip()
        m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
        if m:
            try:
                d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                d = None
            if d:
                self.notice(cell, msg("notice_text_date", label=label, value=text,
                                      date=msg("date_cn", year=d.year, month=d.month, day=d.day)))
                return d
        self.problem(cell, msg("expect_date", label=label, value=text) + _date_hint(text))
        return None

    def report_year(self) -> int | None:
        if self.year is not None:
            return self.year
        cell = self.raw.fields.get(schema.BASIC.name, {}).get("year")
        value = cell.value if cell is not None else None
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and YEAR_MIN <= value <= YEAR_MAX else None

    def _plausible(self, d: dt.date) -> bool:
        year = self.report_year()
        if year is None:
            return YEAR_MIN <= d.year <= YEAR_MAX
        return abs(d.year - year) <= DATE_RANGE_YEARS

    def _serial_refused(self, cell: RawCell, number: Decimal, label: str) -> None:
        self.problem(cell, msg("date_number", label=label, value=_plain_number(number),
                               years=DATE_RANGE_YEARS) + _date_hint(_plain_number(number)))
        return None

    # ------------------------------------------------------------------ sheets
    def fields_sheet(self, sheet: schema.FieldsSheet) -> dict[str, Any] | None:
        cells = self.raw.fields.get(sheet.name)
        if cells is None:
            return None
        out: dict[str, Any] = {}
        for f in sheet.fields:
            cell = cells.get(f.key)
            out[f.zh] = self.convert(cell, f) if cell is not None else None
            self.remember(f"{sheet.name}.{f.zh}", cell)
            if cell is not None and self._last_not_applicable:
                self.not_applicable.add(f"{sheet.name}.{f.zh}")
        return out

    def grid_sheet(self, sheet: schema.GridSheet) -> dict[str, dict[str, Any]] | None:
        """表.列.行; a blank cell is not stated (None), never 0: a clerk types 0 (or 无) for none."""
        grid = self.raw.grids.get(sheet.name)
        if grid is None:
            return None
        out: dict[str, dict[str, Any]] = {c.zh: {} for c in sheet.columns}
        for r in sheet.rows:
            for c in sheet.columns:
                cell = grid.get(r.key, {}).get(c.key)
                f = schema.Field(c.key, f"{r.zh}（{c.label}）", sheet.cell_kind, sheet.unit)
                value = self.convert(cell, f) if cell is not None else None
                out[c.zh][r.zh] = value
                self.remember(f"{sheet.name}.{c.zh}.{r.zh}", cell)
                if self._last_not_applicable:
                    self.not_applicable.add(f"{sheet.name}.{c.zh}.{r.zh}")
        return out

    def table_sheet(self, sheet: schema.TableSheet) -> list[dict[str, Any]]:
        records = self.raw.tables.get(sheet.name)
        if records is None:
            return []
        out = []
        unit_field = next((f for f in sheet.columns if f.key == "unit"), None)
        for i, rec in enumerate(records):
            row: dict[str, Any] = {}
            unit_cell = rec.get("unit")
            unit = str(self.raw_value(unit_cell, unit_field.label) or "") if unit_cell is not None else ""
            for f in sheet.columns:
                cell = rec.get(f.key)
                if cell is None:
                    row[f.zh] = None
                    continue
                row[f.zh] = self.convert(cell, f, unit=unit)
                self.remember(f"{sheet.name}.{i}.{f.zh}", cell)
                if f.kind in ("value", "fact"):
                    row[f.zh + "_小数位"] = decimals_of(cell.number_format)
                if f.kind == "fact" and "%" in (cell.number_format or "") and isinstance(row[f.zh], Decimal):
                    row[f.zh + "_百分数"] = True  # typed as an Excel percentage (95% is stored as 0.95)
            first = next(iter(rec.values()))
            row["行号"] = int(re.sub(r"\D", "", first.coord))
            out.append(row)
        if len(out) < sheet.min_rows and sheet.name in self.raw.tables:
            self.problem(None, msg("table_empty", sheet=sheet.name), sheet=sheet.name)
        return out

    def record_cell(self, sheet: schema.TableSheet, i: int, key: str) -> RawCell | None:
        records = self.raw.tables.get(sheet.name) or []
        return records[i].get(key) if i < len(records) else None

    def merged_cells(self) -> None:
        for sheet, ranges in self.raw.merged.items():
            for rng in ranges:
                first = rng.split(":")[0]
                row = int(re.sub(r"\D", "", first))
                if row >= schema.FIRST_DATA_ROW:
                    self.problems.append(Problem(Location(self.raw.file, sheet, rng), msg("merged_cell", range=rng)))


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _decode_xml_escapes(text: str) -> str:
    """Excel stores characters XML cannot hold (``\x0b``, ``\x01``…) as ``_x000B_``; openpyxl leaves
    them encoded. Decode those (only those), so they are removed with a notice instead of printed."""
    if "_x" not in text:
        return text

    def decode(m: re.Match) -> str:
        char = chr(int(m.group(1), 16))
        return char if _CONTROL.match(char) else m.group(0)

    return _XML_ESCAPE.sub(decode, text)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _parse_number_text(text: str) -> Decimal | None:
    """Accept unambiguous numbers written as text: full-width digits, thousands separators."""
    t = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        t = t.replace(",", "")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _date_hint(text: str) -> str:
    """What a date typed as digits may mean: 202511 → 2025年11月, 20251115 → 2025年11月15日, 2025.11 → 2025年11月."""
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.fullmatch(r"(\d{4})[.]?(\d{1,2})", t) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t) \
        or re.fullmatch(r"(\d{4})[.](\d{1,2})[.](\d{1,2})", t)
    if not m or not YEAR_MIN <= int(m.group(1)) <= YEAR_MAX or not 1 <= int(m.group(2)) <= 12:
        return ""
    if m.re.groups == 3:
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return ""
        return msg("hint_date_meant", date=msg("date_cn", year=d.year, month=d.month, day=d.day))
    return msg("hint_date_meant", date=msg("date_month_cn", year=int(m.group(1)), month=int(m.group(2))))


def _number_hint(text: str) -> str:
    """A hint for the usual ways a number is typed as words or with its unit."""
    if _UNIT_SUFFIX.match(unicodedata.normalize("NFKC", text)):
        return msg("hint_number_unit")
    if _CN_NUMERAL.search(text) and not re.search(r"\d", text):
        return msg("hint_cn_numeral")
    return ""


def plain_number(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_plain_number = plain_number


def _format_plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def nearest(name: str, names: list[str] | tuple[str, ...], cutoff: float = 0.5) -> str | None:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=cutoff)
    return close[0] if close else None


# ---------------------------------------------------------------------- semantic checks


def _check_staff(v: Validator, staff: list[dict[str, Any]]) -> None:
    rows_by_cat: dict[str, list[int]] = {}
    for r in staff:
        if r.get("类别"):
            rows_by_cat.setdefault(r["类别"], []).append(r["行号"])
    for cat, rows in rows_by_cat.items():
        if len(rows) > 1:
            v.problem(None, msg("staff_category_duplicate", category=cat, rows="、".join(map(str, rows))),
                      sheet=schema.STAFF.name)
    for i, r in enumerate(staff):
        parent = r.get("上级")
        if parent and parent not in rows_by_cat:
            hint = nearest(parent, list(rows_by_cat))
            v.problem(v.record_cell(schema.STAFF, i, "parent"),
                      msg("staff_parent_unknown", parent=parent, names="、".join(rows_by_cat) or msg("list_none"))
                      + (msg("hint_did_you_mean", name=hint) if hint else ""))
        elif parent and parent == r.get("类别"):
            v.problem(v.record_cell(schema.STAFF, i, "parent"), msg("staff_parent_self", category=parent))
    parents = {r["类别"]: r.get("上级") for r in staff if r.get("类别")}
    cleared: set[str] = set()  # categories whose chain of 上级 is known to end (each chain walked once)
    for start in parents:  # a cycle of 上级 would make the sums meaningless
        seen, node = set(), start
        while node in parents and parents[node] and node not in cleared:
            if node in seen:
                v.problem(None, msg("staff_parent_cycle", category=start), sheet=schema.STAFF.name)
                break
            seen.add(node)
            node = parents[node]
        else:
            cleared |= seen
            continue
        break
    for i, r in enumerate(staff):
        if r.get("类别") and r.get("核定编制") is None and r.get("实有人数") is None:
            v.problem(v.record_cell(schema.STAFF, i, "established"), msg("staff_row_empty", category=r["类别"]))


def _check_orgs(v: Validator, orgs: list[dict[str, Any]]) -> None:
    stated: dict[str, tuple[int, int]] = {}
    for i, r in enumerate(orgs):
        n = r.get("公布个数")
        if n is None or not r.get("分组"):
            continue
        if r["分组"] in stated and stated[r["分组"]][0] != n:
            v.problem(v.record_cell(schema.ORGS, i, "stated"),
                      msg("org_stated_conflict", group=r["分组"], first=stated[r["分组"]][0],
                          row=stated[r["分组"]][1], value=n))
        stated.setdefault(r["分组"], (n, r["行号"]))


def _percent_text(value: Decimal) -> str:
    return plain_number((value * 100).normalize()) + "%"


def _check_indicators(v: Validator, rows: list[dict[str, Any]], sheet: schema.TableSheet) -> None:
    level1_names = list(schema.VOCABULARY)
    level2_names = [n for names in schema.VOCABULARY.values() for n in names]
    for i, r in enumerate(rows):
        def cell(key: str) -> RawCell | None:
            return v.record_cell(sheet, i, key)

        comp = r.get("比较")
        target, actual = r.get("年度指标值"), r.get("实际完成值")
        if comp and schema.COMPARATORS[comp][0] != "eq":
            for key, zh in (("target", "年度指标值"), ("actual", "实际完成值")):
                if isinstance(r.get(zh), str):
                    v.problem(cell(key), msg("text_value_with_comparator", label=zh, value=r[zh], comparator=comp))
        qualitative = isinstance(target, str) or isinstance(actual, str)
        if qualitative and target is not None and actual is not None and str(target) != str(actual) \
                and not r.get("评价等级") and r.get("手工得分") is None:
            v.problem(cell("band"), msg("band_required", name=r.get("三级指标") or ""))
        w, s = r.get("分值"), r.get("手工得分")
        if w is not None and s is not None and s > w:
            v.problem(cell("manual_score"), msg("score_over_weight", score=plain_number(s), weight=plain_number(w)))
        if (r.get("单位") or "").strip() == "%" and isinstance(target, Decimal) and isinstance(actual, Decimal):
            for key, zh, value, other in (("actual", "实际完成值", actual, target), ("target", "年度指标值", target, actual)):
                if value > PERCENT_SLIP and other <= 1:
                    v.problem(cell(key), msg("percent_slip", label=zh, shown=_percent_text(value),
                                             suggest=_percent_text(value / 100)))
        # the national vocabulary: a near miss is a typo (an error), anything else a local term (audit hint)
        level1 = r.get("一级指标")
        if level1 and level1 not in schema.VOCABULARY:
            hint = nearest(level1, level1_names, 0.6)
            if hint:
                v.problem(cell("level1"), msg("level_typo", label="一级指标", value=level1, suggest=hint))
        level2 = r.get("二级指标")
        allowed = schema.VOCABULARY.get(level1 or "", ())
        if level2 and level2 not in level2_names:
            hint = nearest(level2, list(allowed) or level2_names, 0.6)
            if hint:
                v.problem(cell("level2"), msg("level_typo", label="二级指标", value=level2, suggest=hint))


def _check_texts(v: Validator, texts: list[dict[str, Any]]) -> None:
    for i, r in enumerate(texts):
        for key, zh in (("text", "内容"), ("title", "小标题")):
            text = r.get(zh) or ""
            stripped = _PLACEHOLDER.sub("", text)
            if "{" in stripped or "}" in stripped:
                v.problem(v.record_cell(schema.TEXTS, i, key), msg("placeholder_unclosed"))


YES_NO = {"是": True, "否": False}


def _check_facts(v: Validator, facts: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for i, r in enumerate(facts):
        name = r.get("名称")
        if not name:
            continue
        if name in seen:
            v.problem(v.record_cell(schema.FACTS, i, "name"), msg("fact_duplicate", name=name, row=seen[name]))
        seen.setdefault(name, r["行号"])
        if not re.fullmatch(r"[^\s.\[\]{}'\"]+", name):
            v.problem(v.record_cell(schema.FACTS, i, "name"), msg("fact_name_invalid", name=name))
        if r.get("类型") == "数字" and isinstance(r.get("数值"), str):
            v.problem(v.record_cell(schema.FACTS, i, "value"), msg("fact_not_number", name=name, value=r["数值"]))
        value = r.get("数值")
        if r.get("类型") == schema.FACT_YES_NO:
            if isinstance(value, str) and value.strip() in YES_NO:
                r["数值"] = YES_NO[value.strip()]
            elif not isinstance(value, bool) and value is not None:
                v.problem(v.record_cell(schema.FACTS, i, "value"), msg("fact_not_yes_no", name=name, value=value))
        elif isinstance(value, bool):
            v.problem(v.record_cell(schema.FACTS, i, "value"),
                      msg("fact_boolean", name=name, value="TRUE" if value else "FALSE", kind=schema.FACT_YES_NO))
            r["数值"] = None


def _check_sections(v: Validator, texts: list[dict[str, Any]]) -> None:
    for i, r in enumerate(texts):
        name = r.get("栏目")
        if name and not re.fullmatch(r"[^\s.\[\]{}'\"]+", name):
            v.problem(v.record_cell(schema.TEXTS, i, "section"), msg("section_name_invalid", name=name))


def validate(raw: RawWorkbook, year: int | None = None) -> tuple[Data, list[Problem], list[Problem]]:
    """(data, problems, notices): every problem of the workbook, not raised (the pipeline adds those
    found after compute and raises them together)."""
    v = Validator(raw, year)
    v.merged_cells()
    data: Data = {"file": raw.file, "path": str(raw.path)}
    for sheet in (schema.BASIC, schema.FINANCE, schema.OTHER):
        data[sheet.name] = v.fields_sheet(sheet)
    for sheet in (schema.SANGONG, schema.BASE_DATA):
        data[sheet.name] = v.grid_sheet(sheet)
    for sheet in (schema.ORGS, schema.STAFF, schema.INDICATORS, schema.PROJECTS, schema.PROJECT_INDICATORS,
                  schema.TEXTS, schema.FACTS):
        data[sheet.name] = v.table_sheet(sheet)
    overrides = v.table_sheet(schema.OVERRIDES)
    data["present"] = sorted(set(raw.fields) | set(raw.grids) | set(raw.tables))  # the schema sheets it has

    _check_staff(v, data["人员编制"])
    _check_orgs(v, data["机构"])
    _check_indicators(v, data["绩效指标"], schema.INDICATORS)
    _check_indicators(v, data["项目指标"], schema.PROJECT_INDICATORS)
    _check_texts(v, data["文字内容"])
    _check_sections(v, data["文字内容"])
    _check_facts(v, data["概况数据"])

    names = {p["项目名称"] for p in data["项目"] if p.get("项目名称")}
    for i, r in enumerate(data["项目指标"]):
        if r.get("项目名称") and r["项目名称"] not in names:
            hint = nearest(r["项目名称"], sorted(names))
            v.problem(v.record_cell(schema.PROJECT_INDICATORS, i, "project"),
                      msg("project_unknown", name=r["项目名称"]) + (msg("hint_did_you_mean", name=hint) if hint else ""))

    known_sentences = set(schema.SENTENCES.values())
    level2_names = {r["二级指标"] for r in data["绩效指标"] if r.get("二级指标")}
    known_sentences |= {f"{n}（目标）" for n in level2_names} | {f"{n}（完成）" for n in level2_names}
    data["句子覆盖"] = {}
    for i, r in enumerate(overrides):
        if not r.get("覆盖内容"):
            continue
        if r.get("句子") not in known_sentences:
            v.problem(v.record_cell(schema.OVERRIDES, i, "sentence"),
                      msg("sentence_unknown", names="、".join(sorted(known_sentences)), value=r.get("句子")))
            continue
        data["句子覆盖"][r["句子"]] = r["覆盖内容"]
        v.cells[f"句子覆盖.{r['句子']}"] = v.cells.get(f"句子覆盖.{i}.覆盖内容", "")

    basic = data["基本信息"] or {}
    found_year = basic.get("年度")
    if year is not None and found_year is not None and found_year != year:
        v.problem(raw.fields.get(schema.BASIC.name, {}).get("year"), msg("year_mismatch", found=found_year, year=year))

    data["cells"] = v.cells
    data["not_applicable"] = sorted(v.not_applicable)
    return data, v.problems, v.notices


# ---------------------------------------------------------------------- what the template uses


def check_uses(uses: list[Any], resolve: Any, file: str, reported: set[str] = frozenset()) -> list[Problem]:
    """The values a template prints that the workbook leaves empty or lacks, each with both places.

    ``uses`` are the template's ``Use`` records (name, where in the template,
    whether an ``if`` or a default guards it); ``resolve(name)`` answers, for
    every concrete value the name stands for (one per list item), its state and
    where to fill it: ``("ok" | "empty" | "absent" | "no_sheet", place, hint)``. A missing sheet is
    reported once, at the first paragraph that uses it; a value whose cells are all in ``reported`` (refused
    already: a date that is not one) is not asked for again as empty.
    """
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    absent: list[str] = []  # names already reported missing: what lies under them is not reported again
    for use in uses:
        if any(use.name.startswith((name + ".", name + "[]")) for name in absent):
            continue
        for state, place, hint in resolve(use.name):
            if state == "ok" or (use.guarded and state in ("empty", "uncomputable")) \
                    or (getattr(use, "may_lack", False) and state in ("absent", "empty")):
                continue
            if state == "empty" and place and reported and _only_reported(place, reported):
                continue
            if state in ("absent", "no_sheet"):
                absent.append(use.name)
            key = ("", place) if state == "no_sheet" else (use.name, place)
            if key in seen:
                continue
            seen.add(key)
            key = {"empty": "uses_empty", "no_sheet": "uses_no_sheet", "uncomputable": "uses_uncomputable"}.get(
                state, "uses_absent")
            text = msg(key, name=use.name, where=use.where, place=place) + (hint or "")
            problems.append(Problem(None, text))
    return problems


def _only_reported(place: str, reported: set[str]) -> bool:
    """Whether every cell ``place`` names (``file › sheet › cell``) is one already refused."""
    rest = place
    for cell in reported:
        rest = rest.replace(cell, "")
    return rest != place and SEP.strip() not in rest
