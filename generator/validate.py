"""Stage 2 — validate: turn raw cells into typed plain data, collecting every problem at once.

The result is a plain dict (``Data``) of Decimals, ints, dates and strings, plus
``cells``: for every figure, the workbook cell it came from, so that the audit
and every message can name the cell to fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from . import schema
from .errors import SEP, Location, Problem, ValidationError
from .messages import msg
from .workbook import RawCell, RawWorkbook

Data = dict[str, Any]

# Control characters Excel lets through, and Unicode noncharacters (the renderer uses two of them internally)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufdd0-\ufdef\ufffe\uffff]")
MAX_MAGNITUDE = Decimal(10) ** 12  # no figure of a unit's report comes near this; beyond it is a typo or garbage
_CN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]")
_UNIT_SUFFIX = re.compile(r"^[-+]?[\d,.，．\s]+\s*(万元|万|元|亿元|亿|个|人|㎡|平方米|%|％)$")
_EXCEL_ERRORS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


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


class Validator:
    def __init__(self, raw: RawWorkbook, year: int | None = None):
        self.raw = raw
        self.year = year
        self.problems: list[Problem] = list(raw.problems)
        self.notices: list[Problem] = []
        self.cells: dict[str, str] = {}
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
        """The cell's value with formula, error and control-character handling; None if blank."""
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
            value = _decode_xml_escapes(value)
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            if _CONTROL.search(value):
                self.notice(cell, msg("notice_control_chars", label=label))
                value = _CONTROL.sub("", value)
            if not value.strip():
                return None
        return value

    # ------------------------------------------------------------------ typed conversions
    def convert(self, cell: RawCell | None, f: schema.Field, *, unit: str = "", label: str | None = None) -> Any:
        label = label or f.label
        value = self.raw_value(cell, label)
        if value is _INVALID:
            return None
        if value is None:
            if f.required:
                self.problem(cell, msg("required_empty", label=label), sheet=None)
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
            if n is None or n != n.to_integral_value() or not 1990 <= n <= 2200:
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
            if "%" in (cell.number_format or "") or abs(number) <= Decimal("1.5"):
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
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
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
        self.problem(cell, msg("expect_date", label=label, value=text))
        return None

    # ------------------------------------------------------------------ sheets
    def fields_sheet(self, sheet: schema.FieldsSheet, prefix: str) -> dict[str, Any]:
        cells = self.raw.fields.get(sheet.name)
        out: dict[str, Any] = {}
        if cells is None:
            return {f.key: None for f in sheet.fields}
        for f in sheet.fields:
            cell = cells.get(f.key)
            if cell is None:
                out[f.key] = None
                continue
            out[f.key] = self.convert(cell, f)
            self.remember(f"{prefix}.{f.key}", cell)
        return out

    def grid_sheet(self, sheet: schema.GridSheet, prefix: str) -> dict[str, dict[str, Any]]:
        grid = self.raw.grids.get(sheet.name)
        out: dict[str, dict[str, Any]] = {}
        for r in sheet.rows:
            out[r.key] = {}
            for c in sheet.columns:
                cell = grid.get(r.key, {}).get(c.key) if grid else None
                f = schema.Field(c.key, f"{r.label}（{c.label}）", sheet.cell_kind, sheet.unit, required=False)
                value = self.convert(cell, f) if cell is not None else None
                out[r.key][c.key] = value if value is not None else Decimal(0)
                self.remember(f"{prefix}.{r.key}.{c.key}", cell)
        return out

    def table_sheet(self, sheet: schema.TableSheet, prefix: str) -> list[dict[str, Any]]:
        records = self.raw.tables.get(sheet.name)
        if records is None:
            return []
        out = []
        unit_label = _label(sheet, "unit") if any(f.key == "unit" for f in sheet.columns) else ""
        for i, rec in enumerate(records):
            row: dict[str, Any] = {}
            unit_cell = rec.get("unit")
            unit = str(self.raw_value(unit_cell, unit_label) or "") if unit_cell is not None else ""
            for f in sheet.columns:
                cell = rec.get(f.key)
                if cell is None:
                    row[f.key] = None
                    continue
                row[f.key] = self.convert(cell, f, unit=unit)
                self.remember(f"{prefix}.{i}.{f.key}", cell)
                if f.kind == "value" and cell is not None:
                    row[f.key + "_decimals"] = decimals_of(cell.number_format)
            first = next(iter(rec.values()))
            row["row"] = int(re.sub(r"\D", "", first.coord))
            out.append(row)
        if len(out) < sheet.min_rows and sheet.name in self.raw.sheet_names:
            self.problem(None, msg("required_empty", label=sheet.columns[0].label), sheet=sheet.name)
        return out

    def merged_cells(self) -> None:
        for sheet, ranges in self.raw.merged.items():
            for rng in ranges:
                first = rng.split(":")[0]
                row = int(re.sub(r"\D", "", first))
                if row >= schema.FIRST_DATA_ROW:
                    self.problems.append(Problem(Location(self.raw.file, sheet, rng), msg("merged_cell", range=rng)))


_INVALID = object()


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


def _label(sheet: schema.TableSheet, key: str) -> str:
    return next(f.label for f in sheet.columns if f.key == key)


def _number_hint(text: str) -> str:
    """A hint for the usual ways a number is typed as words or with its unit."""
    if _UNIT_SUFFIX.match(unicodedata.normalize("NFKC", text)):
        return msg("hint_number_unit")
    if _CN_NUMERAL.search(text) and not re.search(r"\d", text):
        return msg("hint_cn_numeral")
    return ""


def _plain_number(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _format_plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


# ---------------------------------------------------------------------- semantic checks


def _check_staff(v: Validator, staff: list[dict[str, Any]]) -> None:
    rows_by_cat: dict[str, list[int]] = {}
    for r in staff:
        if r.get("category"):
            rows_by_cat.setdefault(r["category"], []).append(r["row"])
    if schema.STAFF.name not in v.raw.tables:
        return
    for cat in schema.STAFF_CATEGORIES[:-1]:
        rows = rows_by_cat.get(cat, [])
        if not rows:
            v.problem(None, msg("staff_category_missing", category=cat), sheet=schema.STAFF.name)
        elif len(rows) > 1:
            v.problem(None, msg("staff_category_duplicate", category=cat, rows="、".join(map(str, rows))),
                      sheet=schema.STAFF.name)


def _check_indicators(v: Validator, rows: list[dict[str, Any]], prefix: str, sheet: str) -> None:
    for i, r in enumerate(rows):
        def cell(key: str) -> RawCell | None:
            records = v.raw.tables.get(sheet) or []
            return records[i].get(key) if i < len(records) else None

        comp = r.get("comparator")
        target, actual = r.get("target"), r.get("actual")
        if comp and schema.COMPARATORS[comp][0] != "eq":
            for key in ("target", "actual"):
                if isinstance(r.get(key), str):
                    v.problem(cell(key), msg("text_value_with_comparator", label=_label(schema.INDICATORS, key),
                                             value=r[key], comparator=comp))
        qualitative = isinstance(target, str) or isinstance(actual, str)
        if qualitative and target is not None and actual is not None and str(target) != str(actual) \
                and not r.get("band") and r.get("manual_score") is None:
            v.problem(cell("band"), msg("band_required", name=r.get("name") or ""))
        w, s = r.get("weight"), r.get("manual_score")
        if w is not None and s is not None and s > w:
            v.problem(cell("manual_score"), msg("score_over_weight", score=_plain_number(s), weight=_plain_number(w)))


def _check_texts(v: Validator, texts: list[dict[str, Any]]) -> None:
    records = v.raw.tables.get(schema.TEXTS.name) or []
    for i, r in enumerate(texts):
        text = r.get("text") or ""
        cell = records[i].get("text") if i < len(records) else None
        stripped = _PLACEHOLDER.sub("", text)
        if "{" in stripped or "}" in stripped:
            v.problem(cell, msg("placeholder_unclosed"))
        for name in _PLACEHOLDER.findall(text):
            if name.strip() not in schema.PLACEHOLDERS:
                v.problem(cell, msg("placeholder_unknown", name=name))


def validate(raw: RawWorkbook, year: int | None = None) -> tuple[Data, list[Problem]]:
    """Return (data, notices); raise ``ValidationError`` listing every problem."""
    v = Validator(raw, year)
    v.merged_cells()
    data: Data = {"file": raw.file, "path": str(raw.path)}
    data["basic"] = v.fields_sheet(schema.BASIC, "basic")
    data["orgs"] = v.table_sheet(schema.ORGS, "orgs")
    data["staff"] = v.table_sheet(schema.STAFF, "staff")
    data["finance"] = v.fields_sheet(schema.FINANCE, "finance")
    for f in schema.FINANCE.fields:  # an optional figure left blank counts as zero
        if data["finance"].get(f.key) is None and not f.required:
            data["finance"][f.key] = Decimal(0)
    data["sangong"] = v.grid_sheet(schema.SANGONG, "sangong")
    data["base_data"] = v.grid_sheet(schema.BASE_DATA, "base_data")
    data["other"] = v.fields_sheet(schema.OTHER, "other")
    data["indicators"] = v.table_sheet(schema.INDICATORS, "indicators")
    data["projects"] = v.table_sheet(schema.PROJECTS, "projects")
    data["project_indicators"] = v.table_sheet(schema.PROJECT_INDICATORS, "project_indicators")
    data["texts"] = v.table_sheet(schema.TEXTS, "texts")
    overrides = v.table_sheet(schema.OVERRIDES, "overrides")

    _check_staff(v, data["staff"])
    _check_indicators(v, data["indicators"], "indicators", schema.INDICATORS.name)
    _check_indicators(v, data["project_indicators"], "project_indicators", schema.PROJECT_INDICATORS.name)
    _check_texts(v, data["texts"])

    names = {p["name"] for p in data["projects"] if p.get("name")}
    records = raw.tables.get(schema.PROJECT_INDICATORS.name) or []
    for i, r in enumerate(data["project_indicators"]):
        if r.get("project") and r["project"] not in names:
            v.problem(records[i].get("project"), msg("project_unknown", name=r["project"]))

    known_sentences = set(schema.SENTENCES.values())
    level2_names = {r["level2"] for r in data["indicators"] if r.get("level2")}
    known_sentences |= {f"{n}（目标）" for n in level2_names} | {f"{n}（完成）" for n in level2_names}
    data["overrides"] = {}
    o_records = raw.tables.get(schema.OVERRIDES.name) or []
    for i, r in enumerate(overrides):
        if not r.get("override"):
            continue
        if r.get("sentence") not in known_sentences:
            v.problem(o_records[i].get("sentence"), msg("sentence_unknown", names="、".join(sorted(known_sentences)),
                                                        value=r.get("sentence")))
            continue
        data["overrides"][r["sentence"]] = r["override"]
        v.cells[f"overrides.{r['sentence']}"] = v.cells.get(f"overrides.{i}.override", "")

    found_year = data["basic"].get("year")
    if year is not None and found_year is not None and found_year != year:
        cell = raw.fields.get(schema.BASIC.name, {}).get("year")
        v.problem(cell, msg("year_mismatch", found=found_year, year=year))

    data["cells"] = v.cells
    if v.problems:
        raise ValidationError(raw.file, v.problems)
    return data, v.notices
