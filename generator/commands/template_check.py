"""``generate template-check [TEMPLATE]``: check a Word template before any report is generated.

A township edits its own copy of the report template in Word; this tells the
author everything that is wrong with it, each with its place (part, paragraph
number and text), verdict first:

* what the template linter finds (``template_lint``, run by ``template.load_template``: broken tags,
  structure docxtpl would corrupt, ``include``/``import``, unknown filters,
  sandbox violations), and what was removed from it as foreign (macros, OLE
  objects, remote templates and links);
* every name it uses that the workbook does not have (``财务.资产合计``: is it
  ``财务.资产总额``?) or leaves empty — against the unit's own workbook with
  ``--unit``, else against a sample built from the schema (not any unit's figures), in which the names
  that depend on a unit's data (a staff category, a text section, a fact) are
  taken as the template gives them;
* and then a trial render, bounded in time and memory like ``generate``.

``--fields`` adds the list of names (from ``commands.fieldref``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import schema
from ..compute import Context, compute
from ..errors import UserError
from ..layout import resolve_template
from ..limits import Limits
from ..messages import msg
from ..pipeline import load, removed_message
from ..read import find_workbook
from ..render import make_env, render
from ..template import load_template
from ..validate import check_uses

OPEN = {"人员编制": "staff", "文字内容": "texts", "概况数据": "facts", "机构": "orgs"}


@dataclass
class CheckResult:
    template: Path
    against: str  # what the names were checked against (the unit's workbook, or the sample)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # removed as foreign
    fields: list[Any] = field(default_factory=list)  # FieldRow
    rendered: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self, with_variables: bool = False) -> list[str]:
        out = [msg("tc_ok", path=self.template) if self.ok else
               msg("tc_failed", path=self.template, count=len(self.problems)), msg("tc_header", against=self.against)]
        out += [f"  {p}" for p in self.problems]
        if self.warnings:
            out.append(msg("tc_removed_header"))
            out += [f"  {w}" for w in self.warnings]
        if with_variables:
            out.append(msg("tc_variables_header"))
            width = max((len(r.name) for r in self.fields), default=0)
            out += [f"  {r.name.ljust(width)}  {r.meaning}" for r in self.fields]
        elif self.ok:
            out.append(msg("tc_fields_hint"))
        return out


def run(year: int, templates_dir: Path, data_dir: Path, unit: str | None = None, path: str | Path | None = None,
        limits: Limits | None = None) -> CheckResult:
    """Check ``path``, or the template the unit would use."""
    from ..fields import field_rows

    template_path = Path(path) if path else resolve_template(Path(templates_dir), unit)
    env = make_env()
    template = load_template(template_path, env)
    # a unit's own workbook with --unit; otherwise a sample laid out from the schema (never the example's figures)
    workbook = find_workbook(Path(data_dir), year, unit) if unit is not None else None
    result = CheckResult(template_path, msg("tc_against_unit", workbook=workbook) if workbook
                         else msg("tc_against_sample"))
    result.warnings = [removed_message(r) for r in template.told]
    if template.problems:
        result.problems = [str(p) for p in template.problems]
        return result
    if workbook is not None:
        try:  # the template's needs checked as generate checks them: the same list, the same order
            _, ctx, _ = load(workbook, year, template)
        except UserError as exc:
            result.problems = [str(p) for p in exc.problems] or [exc.render()]
            return result
    else:
        ctx = sample_context(year, [u.name for u in template.uses])
    result.fields = field_rows(ctx)
    result.problems = [p.message for p in check_uses(template.uses, ctx.resolve, "")]
    if result.problems:
        return result
    try:
        rendered = render(template, ctx.values, env, limits or Limits())
        result.warnings += [removed_message(r) for r in rendered.removed]
        result.rendered = True
    except UserError as exc:
        result.problems.append(msg("tc_where_render") + "：" + exc.render())
    return result


# ---------------------------------------------------------------------------- the sample


def _sample_value(f: schema.Field, year: int) -> Any:
    if f.kind in ("wan", "yuan", "area", "score"):
        return Decimal("100.00")
    if f.kind == "count":
        return 1
    if f.kind == "year":
        return year
    if f.kind == "date":
        return dt.date(year + 1, 3, 31)
    if f.kind == "percent":
        return Decimal("0.9")
    if f.choices:
        return f.choices[0]
    return f"（{f.label}）"


def _open_key(name: str, root: str) -> str | None:
    """The unit-dependent key right after an open container in a use name (``人员编制.X.核定编制`` → X)."""
    parts = [p for p in re.split(r"\.|(?=\[\])", name) if p]
    if len(parts) < 2 or parts[0] not in (root, OPEN[root]) or parts[1] in ("[]", "行", "下属单位", "分组"):
        return None
    key = parts[1]
    return None if key.isascii() else key


def sample_data(year: int, uses: list[str] = ()) -> dict[str, Any]:
    """Validated-shaped data with every schema field filled by kind, plus the rows and sections ``uses`` name."""
    data: dict[str, Any] = {"file": "工作簿格式", "cells": {}, "present": [s.name for s in schema.SHEETS]}
    for sheet in (schema.BASIC, schema.FINANCE, schema.OTHER):
        data[sheet.name] = {f.zh: _sample_value(f, year) for f in sheet.fields}
    data["基本信息"].update({"年度": year, "单位全称": "示例单位", "报告标题": None})
    for sheet in (schema.SANGONG, schema.BASE_DATA):
        data[sheet.name] = {c.zh: {r.zh: Decimal("10.00") for r in sheet.rows} for c in sheet.columns}
    data["机构"] = [{"分组": g, "名称": f"示例{g}{i}", "公布个数": None, "概述": None, "行号": 3}
                   for g in ("内设机构", "下设机构") for i in (1, 2)]
    data["人员编制"] = [
        {"类别": "合计", "上级": None, "类型": None, "核定编制": 10, "实有人数": 9, "行号": 3},
        *({"类别": c, "上级": "合计", "类型": None, "核定编制": 4, "实有人数": 4, "行号": 4}
          for c in ("行政编制", "机关工勤", "事业编制")),
        {"类别": "财政所", "上级": None, "类型": None, "核定编制": 2, "实有人数": 2, "行号": 8},
        {"类别": "示例中心", "上级": "事业编制", "类型": "下属单位", "核定编制": 4, "实有人数": 4, "行号": 9},
    ]
    indicators = []
    for level1, level2s in schema.VOCABULARY.items():
        if level1 == "成本指标":
            continue
        for level2 in level2s:
            indicators.append({"一级指标": level1, "二级指标": level2, "三级指标": f"示例{level2}", "比较": "≥",
                               "年度指标值": Decimal("0.9"), "实际完成值": Decimal("0.95"), "单位": "%",
                               "分值": Decimal(1), "行号": 3 + len(indicators)})
    data["绩效指标"] = indicators
    data["项目"] = [{"项目名称": "示例项目", "行号": 3, **{f"{st}{so}": Decimal("10.00") for _, st in schema.FUND_STAGES
                                                      for _, so in schema.FUND_SOURCES},
                   "预期目标": "（预期目标）", "实际完成情况": "（实际完成情况）"}]
    data["项目指标"] = [{"项目名称": "示例项目", **r} for r in indicators]
    data["文字内容"] = [{"栏目": s, "小标题": f"（{s}小标题）", "内容": f"（{s}内容）", "行号": 3}
                     for s in schema.TEXT_SECTIONS.values()]
    data["概况数据"] = []
    data["句子覆盖"] = {}
    for name in uses:
        if (key := _open_key(name, "人员编制")) and all(r["类别"] != key for r in data["人员编制"]):
            data["人员编制"].append({"类别": key, "上级": None, "类型": None, "核定编制": 1, "实有人数": 1, "行号": 20})
        if (key := _open_key(name, "文字内容")) and all(r["栏目"] != key for r in data["文字内容"]):
            data["文字内容"].append({"栏目": key, "小标题": f"（{key}小标题）", "内容": f"（{key}内容）", "行号": 20})
        if (key := _open_key(name, "概况数据")) and all(r["名称"] != key for r in data["概况数据"]):
            data["概况数据"].append({"名称": key, "数值": "（示例）", "单位": "", "行号": 20})
        if (key := _open_key(name, "机构")) and all(r["分组"] != key for r in data["机构"]):
            data["机构"].append({"分组": key, "名称": f"示例{key}", "公布个数": None, "概述": None, "行号": 20})
    return data


def sample_context(year: int, uses: list[str] = ()) -> Context:
    """The context of ``sample_data``: what ``generate template-check`` renders a template with when no unit is named."""
    return compute(sample_data(year, uses))
