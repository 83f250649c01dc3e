"""``generate --year YEAR --init``: next year's workbook from last year's.

``DATA/YEAR.xlsx`` (or ``DATA/<unit>/YEAR.xlsx`` for every unit) is created
beside ``YEAR-1.xlsx``:

* the unit's stable data is carried over — names, offices, establishment,
  indicator names, weights, comparisons and targets, projects and their goals,
  the stable texts (单位职责, 绩效总目标, 评价工作情况), 厉行节约 measures;
* last year's actuals move into the 上年 columns — 三公经费 and 基础数据
  上年决算数 = last year's 本年决算数, 财务 上年项目支出决算数 = last year's
  决算项目支出, each project's 上年决算数 = last year's 全年执行数;
* this year's figures and texts are left empty and coloured orange "to fill";
  the required ones make ``generate`` name their cells until they are filled.

An existing workbook is never overwritten. Last year's workbook is read
through the ordinary read and validate stages, so a mistake in it is reported
with its cell before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import schema
from .errors import UserError, ValidationError
from .messages import msg
from .validate import validate
from .workbook import OLD_FORMATS, find_workbook, list_units, read_workbook
from .xlsx_writer import write_workbook

STABLE_TEXTS = ("duties", "goals", "evaluation_work")  # 文字内容 sections carried over as written
STABLE_SENTENCES = (schema.SENTENCES["subunit_summary"],)  # 句子覆盖 rows whose override is carried over
FUND_COLUMNS = tuple(f"{stage}_{source}" for stage in ("initial", "full", "exec") for source in ("fiscal", "carry", "other"))


@dataclass
class InitResult:
    """What ``--init`` did for one unit."""

    unit: str | None
    source: Path
    target: Path
    status: str  # created | exists | failed
    todo: int = 0  # cells coloured "to fill"
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "created"


# ---------------------------------------------------------------------------- the carried-over data


def _keep_format(value: Any, decimals: int | None, unit: str) -> Any:
    """A number with as many decimals as last year's cell showed (so ``0.00%`` stays ``0.00%``)."""
    if not isinstance(value, Decimal) or decimals is None:
        return value
    places = decimals + (2 if unit.strip() == "%" else 0)
    return value.quantize(Decimal(1).scaleb(-places))


def _indicator(row: dict[str, Any]) -> dict[str, Any]:
    unit = row.get("unit") or ""
    return {
        "level1": row.get("level1"), "level2": row.get("level2"), "name": row.get("name"),
        "comparator": row.get("comparator"),
        "target": _keep_format(row.get("target"), row.get("target_decimals"), unit),
        "actual": None, "unit": row.get("unit"), "weight": row.get("weight"),
        "band": None, "manual_score": None, "reason": None, "source": row.get("source"),
    }


def next_year_data(data: dict[str, Any], year: int) -> tuple[dict[str, Any], set[str]]:
    """Last year's validated ``data`` → (data for ``year``'s workbook, cell paths to colour "to fill")."""
    todo: set[str] = set()

    basic = {**{f.key: data["basic"].get(f.key) for f in schema.BASIC.fields}, "year": year, "report_date": None}
    todo.add(f"{schema.BASIC.name}.report_date")

    orgs = [{"type": o.get("type"), "name": o.get("name")} for o in data["orgs"]]

    staff = []
    for i, r in enumerate(data["staff"]):
        staff.append({"category": r.get("category"), "name": r.get("name"), "established": r.get("established"),
                      "actual": None})
        todo.add(f"{schema.STAFF.name}.{i}.actual")

    finance: dict[str, Any] = {f.key: None for f in schema.FINANCE.fields}
    finance["exp_project_prev"] = data["finance"].get("exp_project")
    todo |= {f"{schema.FINANCE.name}.{f.key}" for f in schema.FINANCE.fields if f.key != "exp_project_prev"}

    grids: dict[str, dict[str, dict[str, Any]]] = {}
    for sheet, key in ((schema.SANGONG, "sangong"), (schema.BASE_DATA, "base_data")):
        grids[key] = {}
        for r in sheet.rows:
            grids[key][r.key] = {"prev_actual": data[key][r.key]["actual"], "budget": None, "actual": None}
            todo |= {f"{sheet.name}.{r.key}.budget", f"{sheet.name}.{r.key}.actual"}

    other = {f.key: None for f in schema.OTHER.fields}
    other["frugality"] = data["other"].get("frugality")
    todo |= {f"{schema.OTHER.name}.{f.key}" for f in schema.OTHER.fields if f.key.startswith("building")}

    indicators = []
    for i, r in enumerate(data["indicators"]):
        indicators.append(_indicator(r))
        todo.add(f"{schema.INDICATORS.name}.{i}.actual")

    projects = []
    for i, p in enumerate(data["projects"]):
        executed = sum((p.get(f"exec_{s}") or Decimal(0) for s in ("fiscal", "carry", "other")), Decimal(0))
        projects.append({"name": p.get("name"), "department": p.get("department"), "implementer": p.get("implementer"),
                         "prev_actual": executed, **{c: None for c in FUND_COLUMNS},
                         "goal": p.get("goal"), "achieved": None, "note": p.get("note")})
        todo |= {f"{schema.PROJECTS.name}.{i}.{c}" for c in (*FUND_COLUMNS, "achieved")}

    project_indicators = []
    for i, r in enumerate(data["project_indicators"]):
        project_indicators.append({"project": r.get("project"), **_indicator(r)})
        todo.add(f"{schema.PROJECT_INDICATORS.name}.{i}.actual")

    stable = {schema.TEXT_SECTIONS[k] for k in STABLE_TEXTS}
    texts = []
    for i, r in enumerate(data["texts"]):
        keep = r.get("section") in stable
        texts.append({"section": r.get("section"), "title": r.get("title"), "text": r.get("text") if keep else None})
        if not keep:
            todo.add(f"{schema.TEXTS.name}.{i}.text")

    sentences = list(schema.SENTENCES.values())
    for r in data["indicators"]:
        for suffix in ("（目标）", "（完成）"):
            name = f"{r.get('level2')}{suffix}"
            if r.get("level2") and name not in sentences:
                sentences.append(name)
    overrides = [{"sentence": s, "override": data["overrides"].get(s) if s in STABLE_SENTENCES else None}
                 for s in sentences]

    new = {"basic": basic, "orgs": orgs, "staff": staff, "finance": finance, **grids, "other": other,
           "indicators": indicators, "projects": projects, "project_indicators": project_indicators,
           "texts": texts, "overrides": overrides}
    return new, todo


# ---------------------------------------------------------------------------- files


def _write_new(target: Path, data: dict[str, Any], notes: list[str], todo: set[str]) -> None:
    """Write the workbook to ``target`` only if nothing is there (checked atomically where the OS can)."""
    tmp = target.with_name(f".{target.stem}.init-{os.getpid()}.xlsx")
    try:
        write_workbook(tmp, data, notes=notes, todo=todo)
        try:
            os.link(tmp, target)  # fails if target exists: never overwrites, even in a race
        except FileExistsError:
            raise UserError(msg("init_exists", path=target)) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise UserError(msg("init_exists", path=target)) from None
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def init_workbook(source: Path, target: Path, year: int) -> int:
    """Create ``target`` (``year``) from ``source`` (``year - 1``); return the number of cells to fill."""
    source, target = Path(source), Path(target)
    if target.exists():
        raise UserError(msg("init_exists", path=target))
    raw = read_workbook(source)
    try:
        data, _notices = validate(raw, year - 1)
    except ValidationError as exc:
        raise UserError(exc.problems, header=msg("init_prev_problems", name=raw.file, count=len(exc.problems),
                                                 year=year)) from None
    new, todo = next_year_data(data, year)
    notes = ["", msg("init_note", year=year, prev=year - 1, source=source.name), msg("init_note_todo", year=year)]
    _write_new(target, new, notes, todo)
    return len(todo)


def _source_in(folder: Path, year: int, data_dir: Path, unit: str | None) -> Path:
    source = folder / f"{year - 1}.xlsx"
    if source.is_file():
        return source
    if any((folder / f"{year - 1}{ext}").is_file() for ext in OLD_FORMATS):
        find_workbook(data_dir, year - 1, unit)  # raises the message on converting .xls
    present = sorted(p.name for p in folder.glob("*.xlsx") if not p.name.startswith("~$"))
    found = msg("workbook_found_list", names="、".join(present)) if present else msg("workbook_found_none")
    raise UserError(msg("init_prev_missing", path=source, prev=year - 1, year=year, found=found))


def init_year(year: int, data_dir: Path | str = "data", unit: str | None = None) -> list[InitResult]:
    """Create ``year``'s workbook for one unit, or for every unit of ``data_dir``.

    With one unit (``DATA/YEAR-1.xlsx``, or ``unit`` given) a problem raises
    ``UserError``. With several units each gets its own result: one unit's
    problem never stops the others.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(msg("data_dir_missing", path=data_dir))
    if unit is not None:
        folder = data_dir / unit
        if not folder.is_dir():
            find_workbook(data_dir, year - 1, unit)  # raises the "unit missing" message with the list of units
        source = _source_in(folder, year, data_dir, unit)
        target = folder / f"{year}.xlsx"
        return [InitResult(unit, source, target, "created", init_workbook(source, target, year))]
    if (data_dir / f"{year - 1}.xlsx").is_file() or any((data_dir / f"{year - 1}{e}").is_file() for e in OLD_FORMATS):
        source = _source_in(data_dir, year, data_dir, None)
        target = data_dir / f"{year}.xlsx"
        return [InitResult(None, source, target, "created", init_workbook(source, target, year))]
    units = list_units(data_dir, year - 1)
    if not units:
        _source_in(data_dir, year, data_dir, None)  # raises: no YEAR-1 workbook here, naming what there is
    results = []
    for name, source in units:
        target = source.with_name(f"{year}.xlsx")
        if target.exists():
            results.append(InitResult(name, source, target, "exists", reason=msg("init_exists", path=target)))
            continue
        try:
            todo = init_workbook(source, target, year)
        except UserError as exc:
            results.append(InitResult(name, source, target, "failed", reason=exc.render()))
            continue
        results.append(InitResult(name, source, target, "created", todo))
    return results


def result_lines(results: list[InitResult], year: int) -> list[tuple[str, bool]]:
    """(line, is_error) for the CLI: one per unit, then totals when there are several."""
    if len(results) == 1 and results[0].ok:
        r = results[0]
        return [(msg("init_created", path=r.target, source=r.source.name, year=year, prev=year - 1,
                     count=r.todo), False)]
    lines = []
    for r in results:
        if r.status == "created":
            lines.append((msg("init_unit_created", unit=r.unit, path=r.target, count=r.todo), False))
        elif r.status == "exists":
            lines.append((msg("init_unit_exists", unit=r.unit, path=r.target), True))
        else:
            lines.append((msg("init_unit_failed", unit=r.unit, reason=r.reason), True))
    lines.append((msg("init_totals", total=len(results), created=sum(r.status == "created" for r in results),
                      skipped=sum(r.status == "exists" for r in results),
                      failed=sum(r.status == "failed" for r in results)), False))
    return lines
