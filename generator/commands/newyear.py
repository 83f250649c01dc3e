"""``generate init --year YEAR`` (next year's workbook from last year's) and ``generate new-unit`` (a new unit).

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

import contextlib
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import schema
from ..compute import total
from ..errors import UserError
from ..messages import msg
from ..layout import (LOCK_FILE_PREFIX, WORKBOOK_SUFFIX, check_unit_name, default_template, is_single_layout,
                      package_template, unit_data_dir, unit_template, workbook_name, workbook_path,
                      workbook_with_suffix)
from ..read import OLD_FORMATS, find_workbook, list_units, read_workbook
from ..validate import validate
from ..workbook_layout import write_workbook

STABLE_TEXTS = ("duties", "goals", "evaluation_work")  # 文字内容 sections carried over as written
STABLE_SENTENCES = (schema.SENTENCES["subunit_summary"],)  # 句子覆盖 rows whose override is carried over
FUND_COLUMNS = tuple(f"{stage}{source}" for _, stage in schema.FUND_STAGES for _, source in schema.FUND_SOURCES)


@dataclass
class InitResult:
    """What ``generate init`` did for one unit."""

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
    unit = row.get("单位") or ""
    return {
        "一级指标": row.get("一级指标"), "二级指标": row.get("二级指标"), "三级指标": row.get("三级指标"),
        "比较": row.get("比较"), "年度指标值": _keep_format(row.get("年度指标值"), row.get("年度指标值_小数位"), unit),
        "实际完成值": None, "单位": row.get("单位"), "分值": row.get("分值"), "评价等级": None, "手工得分": None,
        "偏差原因分析及改进措施": None, "核对数据": row.get("核对数据"),
    }


def next_year_data(data: dict[str, Any], year: int) -> tuple[dict[str, Any], set[str]]:
    """Last year's validated ``data`` → (data for ``year``'s workbook, names of the cells to colour "to fill")."""
    todo: set[str] = set()
    basic = {**(data.get("基本信息") or {}), "年度": year, "报告日期": None}
    todo.add("基本信息.报告日期")
    orgs = [{k: o.get(k) for k in ("分组", "名称", "公布个数", "概述")} for o in data.get("机构") or []]
    staff = []
    for i, r in enumerate(data.get("人员编制") or []):
        staff.append({"类别": r.get("类别"), "上级": r.get("上级"), "类型": r.get("类型"),
                      "核定编制": r.get("核定编制"), "实有人数": None, "备注": r.get("备注")})
        todo.add(f"人员编制.{i}.实有人数")
    finance: dict[str, Any] = {f.zh: None for f in schema.FINANCE.fields}
    finance["上年项目支出决算数"] = (data.get("财务") or {}).get("决算项目支出")
    todo |= {f"财务.{f.zh}" for f in schema.FINANCE.fields if f.zh != "上年项目支出决算数"}
    grids: dict[str, dict[str, dict[str, Any]]] = {}
    for sheet in (schema.SANGONG, schema.BASE_DATA):
        old = data.get(sheet.name) or {}
        grids[sheet.name] = {"上年决算": dict(old.get("本年决算") or {}), "本年预算": {}, "本年决算": {}}
        todo |= {f"{sheet.name}.{c}.{r.zh}" for c in ("本年预算", "本年决算") for r in sheet.rows}
    other = {f.zh: None for f in schema.OTHER.fields}
    other["厉行节约保障措施"] = (data.get("楼堂馆所及节约") or {}).get("厉行节约保障措施")
    todo |= {f"楼堂馆所及节约.{f.zh}" for f in schema.OTHER.fields if f.kind != "longtext"}
    indicators = []
    for i, r in enumerate(data.get("绩效指标") or []):
        indicators.append(_indicator(r))
        todo.add(f"绩效指标.{i}.实际完成值")
    projects = []
    for i, p in enumerate(data.get("项目") or []):
        executed = total([p.get(f"全年执行{s}") for _, s in schema.FUND_SOURCES])  # of the sources it stated
        projects.append({"项目名称": p.get("项目名称"), "主管部门": p.get("主管部门"), "实施单位": p.get("实施单位"),
                         "上年决算数": executed, **{c: None for c in FUND_COLUMNS}, "预期目标": p.get("预期目标"),
                         "实际完成情况": None, "备注": p.get("备注")})
        todo |= {f"项目.{i}.{c}" for c in (*FUND_COLUMNS, "实际完成情况")}
    project_indicators = []
    for i, r in enumerate(data.get("项目指标") or []):
        project_indicators.append({"项目名称": r.get("项目名称"), **_indicator(r)})
        todo.add(f"项目指标.{i}.实际完成值")
    stable = {schema.TEXT_SECTIONS[k] for k in STABLE_TEXTS}
    texts = []
    for i, r in enumerate(data.get("文字内容") or []):
        keep = r.get("栏目") in stable
        texts.append({"栏目": r.get("栏目"), "小标题": r.get("小标题"), "内容": r.get("内容") if keep else None})
        if not keep:
            todo.add(f"文字内容.{i}.内容")
    facts = [{"名称": r.get("名称"), "数值": r.get("数值"), "单位": r.get("单位"), "类型": r.get("类型"),
              "说明": r.get("说明")} for r in data.get("概况数据") or []]
    todo |= {f"概况数据.{i}.数值" for i in range(len(facts))}
    sentences = list(schema.SENTENCES.values())
    for r in data.get("绩效指标") or []:
        for suffix in ("（目标）", "（完成）"):
            name = f"{r.get('二级指标')}{suffix}"
            if r.get("二级指标") and name not in sentences:
                sentences.append(name)
    kept = data.get("句子覆盖") or {}
    overrides = [{"句子": s, "覆盖内容": kept.get(s) if s in STABLE_SENTENCES else None} for s in sentences]
    new = {"基本信息": basic, "机构": orgs, "人员编制": staff, "财务": finance, **grids, "楼堂馆所及节约": other,
           "绩效指标": indicators, "项目": projects, "项目指标": project_indicators, "文字内容": texts,
           "概况数据": facts, "句子覆盖": overrides}
    return new, todo


# ---------------------------------------------------------------------------- files


def _write_new(target: Path, data: dict[str, Any], notes: list[str], todo: set[str]) -> None:
    """Write the workbook to ``target`` only if nothing is there (checked atomically where the OS can)."""
    tmp = target.with_name(f".{target.stem}.init-{os.getpid()}{target.suffix}")
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
    data, problems, _notices = validate(raw, year - 1)
    if problems:
        raise UserError(problems, header=msg("init_prev_problems", name=raw.file, count=len(problems), year=year))
    new, todo = next_year_data(data, year)
    notes = ["", msg("init_note", year=year, prev=year - 1, source=source.name), msg("init_note_todo", year=year)]
    _write_new(target, new, notes, todo)
    return len(todo)


def _source_in(folder: Path, year: int, data_dir: Path, unit: str | None) -> Path:
    source = folder / workbook_name(year - 1)
    if source.is_file():
        return source
    if any(workbook_with_suffix(folder, year - 1, ext).is_file() for ext in OLD_FORMATS):
        find_workbook(data_dir, year - 1, unit)  # raises the message on converting .xls
    present = sorted(p.name for p in folder.glob("*" + WORKBOOK_SUFFIX) if not p.name.startswith(LOCK_FILE_PREFIX))
    found = msg("workbook_found_list", names="、".join(present)) if present else msg("workbook_found_none")
    raise UserError(msg("init_prev_missing", path=source, prev=year - 1, year=year, found=found,
                        unit=unit or "单位名称"))


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
        folder = unit_data_dir(data_dir, unit)
        if not folder.is_dir():
            find_workbook(data_dir, year - 1, unit)  # raises the "unit missing" message with the list of units
        source = _source_in(folder, year, data_dir, unit)
        target = workbook_path(data_dir, year, unit)
        return [InitResult(unit, source, target, "created", init_workbook(source, target, year))]
    if workbook_path(data_dir, year - 1).is_file() or any(workbook_with_suffix(data_dir, year - 1, e).is_file()
                                                          for e in OLD_FORMATS):
        source = _source_in(data_dir, year, data_dir, None)
        target = workbook_path(data_dir, year)
        return [InitResult(None, source, target, "created", init_workbook(source, target, year))]
    units = list_units(data_dir, year - 1)
    if not units:
        _source_in(data_dir, year, data_dir, None)  # raises: no YEAR-1 workbook here, naming what there is
    results = []
    for name, source in units:
        target = workbook_path(data_dir, year, name)
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


# ---------------------------------------------------------------------------- a new unit


def blank_workbook(target: Path, year: int, name: str) -> None:
    """A new unit's blank workbook at ``target`` (never overwritten): every input cell marked, its name filled in."""
    blank = {"基本信息": {"年度": year, "单位全称": name, "单位简称": None}}
    todo = {f"基本信息.{f.zh}" for f in schema.BASIC.fields if f.zh not in ("年度", "单位全称")}
    _write_new(Path(target), blank, ["", msg("new_unit_note", unit=name, year=year)], todo)


def default_template_bytes(templates_dir: Path) -> bytes:
    """The county's default template (``TEMPLATES/default/report.docx``), else the one shipped in the package."""
    county = default_template(templates_dir)
    return county.read_bytes() if county.is_file() else package_template()


def _place_new(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` only if nothing is there (atomically where the OS can)."""
    tmp = target.with_name(f".{target.name}.new-{os.getpid()}")
    try:
        tmp.write_bytes(content)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise UserError(msg("new_unit_exists", path=target)) from None
        except OSError:
            if target.exists():
                raise UserError(msg("new_unit_exists", path=target)) from None
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def new_unit(year: int, name: str, data_dir: Path | str = "data", templates_dir: Path | str = "templates",
             out_dir: Path | str = Path("output"), workbook_only: bool = False) -> list[str]:
    """``generate new-unit NAME``: ``DATA/<unit>/YEAR.xlsx`` (every input cell marked, the unit's name filled in,
    nothing of any other unit) and ``TEMPLATES/<unit>/report.docx`` (a copy of the county's default template, or
    of the package's when the county has none) — both or neither, never overwriting. ``workbook_only``: a fresh
    blank workbook for a unit that has its template, which is left as it is. Returns the next steps, as commands
    carrying the same folders."""
    unit = check_unit_name(name)  # (a name a county run would skip, or no file system takes: refused here)
    data_dir, templates_dir, out_dir = Path(data_dir), Path(templates_dir), Path(out_dir)
    workbook = workbook_path(data_dir, year, unit)
    template = unit_template(templates_dir, unit)
    if workbook.exists():
        raise UserError(msg("new_unit_exists", path=workbook))
    if not workbook_only and template.exists():
        raise UserError(msg("new_unit_exists", path=template))
    content = None if workbook_only else default_template_bytes(templates_dir)
    made: list[Path] = []  # what this call created (files and folders), removed again if anything fails
    try:
        for folder in (workbook.parent,) + (() if workbook_only else (template.parent,)):
            missing = [p for p in (folder, *folder.parents) if not p.exists()]
            folder.mkdir(parents=True, exist_ok=True)
            made += sorted(missing, key=lambda p: len(p.parts))
        blank_workbook(workbook, year, unit)
        made.append(workbook)
        if content is not None:
            _place_new(template, content)
            made.append(template)
    except BaseException as exc:
        for path in reversed(made):  # both files or neither
            with contextlib.suppress(OSError):
                path.rmdir() if path.is_dir() else path.unlink()
        if isinstance(exc, OSError):
            where = exc.filename or workbook
            raise UserError(msg("new_unit_os_error", path=where, detail=exc.strerror or str(exc))) from None
        raise
    # the next steps work as printed, from where this ran; --out only for the step that writes
    given = [(flag, path) for flag, path, default in (("--data", data_dir, "data"),
                                                      ("--templates", templates_dir, "templates"),
                                                      ("--out", out_dir, "output")) if path != Path(default)]
    check_options = "".join(f" {flag} {path}" for flag, path in given if flag != "--out")
    options = "".join(f" {flag} {path}" for flag, path in given)
    key = "new_unit_workbook_done" if workbook_only else "new_unit_done"
    lines = msg(key, unit=unit, workbook=workbook, template=template, year=year, options=options,
                check_options=check_options).splitlines()
    if is_single_layout(data_dir, year):  # a one-unit folder: the others are reached with --unit
        lines.append(msg("new_unit_beside_single", path=workbook_path(data_dir, year), unit=unit, year=year))
    return lines
