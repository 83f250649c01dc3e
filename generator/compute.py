"""Stage 3 — compute: derive every figure, score and sentence the report states.

Input is the validated ``Data``; output is the template context, a plain dict.
A figure stated in the text and in a table comes from one entry of this
context, so the report cannot contradict itself. Sentences that follow from
figures are written here and may be overridden from the workbook's 句子覆盖 sheet.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema

ZERO = Decimal(0)
BUDGET_WEIGHT = Decimal(10)

OP_CHECK = {
    "ge": lambda a, t: a >= t,
    "gt": lambda a, t: a > t,
    "le": lambda a, t: a <= t,
    "lt": lambda a, t: a < t,
    "eq": lambda a, t: a == t,
}

SANGONG_ITEM_WORDS = {
    "vehicle_purchase": "公务用车购置",
    "vehicle_running": "公务用车运行维护",
    "abroad": "因公出国（境）",
    "reception": "公务接待",
}


def ratio(part: Decimal | None, whole: Decimal | None) -> Decimal:
    """``part / whole``; zero when ``whole`` is zero or missing."""
    if not whole or part is None:
        return ZERO
    return part / whole


def budget_score(rate: Decimal, weight: Decimal = BUDGET_WEIGHT) -> Decimal:
    """预算执行率得分 = 分值 × 执行率, capped at 分值 (formats.md §4.3)."""
    return fmt.round_half_up(min(weight, weight * rate), 2)


# ------------------------------------------------------------------------ indicators


def value_text(value: Any, unit: str, decimals: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if unit.strip() == "%":
            return fmt.pct_auto(value, decimals)
        return fmt.number(value, decimals) + unit
    return str(value)


def indicator_item(row: dict[str, Any]) -> dict[str, Any]:
    unit = row.get("unit") or ""
    typed = row.get("comparator") or ""
    target, actual = row.get("target"), row.get("actual")
    numeric = isinstance(target, Decimal) and isinstance(actual, Decimal)
    if typed:
        op, phrase = schema.COMPARATORS[typed]
    elif isinstance(target, Decimal):
        op, phrase = "eq", "{v}"
    else:
        op, phrase = None, "{v}"
    target_text = value_text(target, unit, row.get("target_decimals"))
    actual_text = value_text(actual, unit, row.get("actual_decimals"))
    weight = row.get("weight") or ZERO

    if numeric and op:
        met = OP_CHECK[op](actual, target)
    else:
        met = row.get("band") == "达成" or (not row.get("band") and str(target) == str(actual))

    if numeric and op:
        if met:
            share = Decimal(1)
        elif op in ("ge", "gt"):
            share = ratio(actual, target) if target else ZERO
        elif op in ("le", "lt"):
            share = ratio(target, actual) if actual else Decimal(1)
        else:
            share = min(ratio(actual, target), ratio(target, actual)) if target and actual else ZERO
        share = max(ZERO, min(Decimal(1), share))
        method = "公式"
    elif row.get("band"):
        share = Decimal(schema.BANDS[row["band"]][0])
        method = "评价等级"
    else:
        share = Decimal(1) if met else ZERO
        method = "定性"
    computed_score = fmt.round_half_up(weight * share, 2)
    entered = row.get("manual_score") is not None
    score = fmt.round_half_up(row["manual_score"], 2) if entered else computed_score

    return {
        "level1": row.get("level1") or "",
        "level2": row.get("level2") or "",
        "name": row.get("name") or "",
        "project": row.get("project"),
        "op": op,
        "comparator": typed,
        "phrase": phrase,
        "unit": unit,
        "target": target,
        "actual": actual,
        "target_value_text": target_text,
        "target_text": phrase.format(v=target_text) if op else target_text,
        "actual_text": actual_text,
        "weight": weight,
        "score": score,
        "computed_score": computed_score,
        "score_entered": entered,
        "score_method": "手工评分" if entered else method,
        "band": row.get("band") or "",
        "met": bool(met),
        "reason": row.get("reason") or "",
        "source": row.get("source") or "",
        "row": row.get("row"),
    }


def _grouped_sentence(items: list[dict[str, Any]], mode: str, per_item: bool) -> str:
    """Write "A，B，C均为100%。D≥95%，E≤3万元。" from indicators.

    Items whose value (and comparison) are equal are grouped in order of first
    appearance; a group of several ends with "。", consecutive single items are
    joined by "，". ``per_item`` (数量指标) writes one sentence per item.
    """
    if per_item:
        return "".join(_single(it, mode) + "。" for it in items)
    groups: list[tuple[tuple, list[dict[str, Any]]]] = []
    index: dict[tuple, int] = {}
    for it in items:
        text = it["target_value_text"] if mode == "target" else it["actual_text"]
        qualitative = it["op"] is None or not isinstance(it["target" if mode == "target" else "actual"], Decimal)
        key = ("single", id(it)) if qualitative else (
            (it["op"], it["phrase"], text) if mode == "target" else ("eq", "{v}", text))
        if key in index:
            groups[index[key]][1].append(it)
        else:
            index[key] = len(groups)
            groups.append((key, [it]))
    out, run = [], []
    for key, members in groups:
        if len(members) == 1:
            run.append(_single(members[0], mode))
            continue
        if run:
            out.append("，".join(run) + "。")
            run = []
        op, phrase, text = key
        names = "，".join(m["name"] for m in members)
        out.append(names + "均" + ("为" + text if op == "eq" else phrase.format(v=text)) + "。")
    if run:
        out.append("，".join(run) + "。")
    return "".join(out)


def _single(it: dict[str, Any], mode: str) -> str:
    return it["name"] + (it["target_text"] if mode == "target" else it["actual_text"])


def group_indicators(items: list[dict[str, Any]], overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Nest items as 一级 → 二级 (in order of first appearance) with merge flags for tables."""
    overrides = overrides or {}
    level1: list[dict[str, Any]] = []
    by1: dict[str, dict[str, Any]] = {}
    for it in items:
        g1 = by1.get(it["level1"])
        if g1 is None:
            g1 = by1[it["level1"]] = {"name": it["level1"], "groups": [], "_by2": {}}
            level1.append(g1)
        g2 = g1["_by2"].get(it["level2"])
        if g2 is None:
            g2 = g1["_by2"][it["level2"]] = {"name": it["level2"], "entries": []}
            g1["groups"].append(g2)
        g2["entries"].append(it)
    rows = []
    for g1 in level1:
        del g1["_by2"]
        g1["weight"] = sum((e["weight"] for g2 in g1["groups"] for e in g2["entries"]), ZERO)
        g1["score"] = sum((e["score"] for g2 in g1["groups"] for e in g2["entries"]), ZERO)
        g1["size"] = sum(len(g2["entries"]) for g2 in g1["groups"])
        for i2, g2 in enumerate(g1["groups"]):
            per_item = g2["name"] == schema.LEVEL2_QUANTITY
            g2["weight"] = sum((e["weight"] for e in g2["entries"]), ZERO)
            g2["score"] = sum((e["score"] for e in g2["entries"]), ZERO)
            g2["size"] = len(g2["entries"])
            g2["target_sentence"] = overrides.get(f"{g2['name']}（目标）") or _grouped_sentence(g2["entries"], "target", per_item)
            g2["actual_sentence"] = overrides.get(f"{g2['name']}（完成）") or _grouped_sentence(g2["entries"], "actual", per_item)
            for i3, e in enumerate(g2["entries"]):
                rows.append({**e, "l1_first": i2 == 0 and i3 == 0, "l2_first": i3 == 0,
                             "l1_size": g1["size"], "l2_size": g2["size"]})
    std = {g["name"]: g for g in level1}
    empty = {"name": "", "groups": [], "weight": ZERO, "score": ZERO, "size": 0}
    return {
        "groups": level1,
        "rows": rows,
        "output": std.get(schema.LEVEL1_OUTPUT, empty),
        "benefit": std.get(schema.LEVEL1_BENEFIT, empty),
        "satisfaction": std.get(schema.LEVEL1_SATISFACTION, empty),
        "count": len(rows),
        "unmet": [r for r in rows if not r["met"]],
        "unmet_count": sum(1 for r in rows if not r["met"]),
        "weight": sum((r["weight"] for r in rows), ZERO),
        "score": sum((r["score"] for r in rows), ZERO),
        "entered": [r for r in rows if r["score_entered"]],
    }


# ------------------------------------------------------------------------ organisation and staff


def subunit_summary(names: list[str]) -> str:
    """"3中心1站1队" from the names of the sub-units (suffix after removing any （…）)."""
    counts: dict[str, int] = {}
    for name in names:
        base = re.sub(r"[（(][^）)]*[）)]$", "", name.strip())
        suffix = "中心" if base.endswith("中心") else base[-1:]
        if suffix:
            counts[suffix] = counts.get(suffix, 0) + 1
    return "".join(f"{n}{s}" for s, n in counts.items())


def staff_context(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"subunits": []}
    keys = {"合计": "total", "行政编制": "admin", "机关工勤": "worker", "财政所": "finance", "事业编制": "institution"}
    for r in rows:
        entry = {"name": r.get("name") or r.get("category"), "established": r.get("established") or 0,
                 "actual": r.get("actual") or 0}
        if r.get("category") == "事业单位":
            out["subunits"].append(entry)
        elif r.get("category") in keys:
            out[keys[r["category"]]] = entry
    total = out.get("total", {"established": 0, "actual": 0})
    out["control_rate"] = ratio(Decimal(total["actual"]), Decimal(total["established"]))
    return out


# ------------------------------------------------------------------------ projects


def project_context(p: dict[str, Any], indicators: list[dict[str, Any]]) -> dict[str, Any]:
    def col(prefix: str, source: str) -> Decimal:
        return p.get(f"{prefix}_{source}") or ZERO

    funds = {}
    for source in ("fiscal", "carry", "other"):
        funds[source] = {"initial": col("initial", source), "full": col("full", source), "exec": col("exec", source)}
    funds["total"] = {k: sum((funds[s][k] for s in ("fiscal", "carry", "other")), ZERO) for k in ("initial", "full", "exec")}
    rate = ratio(funds["total"]["exec"], funds["total"]["full"])
    funds["total"]["rate"] = rate
    funds["total"]["score"] = budget_score(rate)
    funds["total"]["weight"] = BUDGET_WEIGHT
    ind = group_indicators([indicator_item(r) for r in indicators])
    return {
        "name": p["name"],
        "department": p.get("department") or "",
        "implementer": p.get("implementer") or "",
        "prev_actual": p.get("prev_actual") or ZERO,
        "funds": funds,
        "goal": p.get("goal") or "",
        "achieved": p.get("achieved") or "",
        "note": p.get("note") or "",
        "indicators": ind,
        "score": funds["total"]["score"] + ind["score"],
        "weight": funds["total"]["weight"] + ind["weight"],  # 总分 row's 分值 of 附件3
        "row": p.get("row"),
    }


# ------------------------------------------------------------------------ texts


def _lookup(ctx: dict[str, Any], path: str) -> Any:
    value: Any = ctx
    for part in path.split("."):
        value = value[part]
    return value


def fill_placeholders(text: str, ctx: dict[str, Any]) -> str:
    def repl(m: re.Match) -> str:
        path, kind = schema.PLACEHOLDERS[m.group(1).strip()]
        value = _lookup(ctx, path)
        if kind == "wan":
            return fmt.wan(value)
        if kind == "yuan":
            return fmt.yuan(value)
        if kind == "pct":
            return fmt.pct(value)
        if kind == "score":
            return fmt.score(value)
        return str(value)

    return re.sub(r"\{([^{}]*)\}", repl, text)


# ------------------------------------------------------------------------ the context


def compute(data: dict[str, Any]) -> dict[str, Any]:
    basic, fin = data["basic"], data["finance"]
    overrides = data.get("overrides", {})
    year = basic["year"]

    orgs_internal = [o["name"] for o in data["orgs"] if o.get("type") == "内设机构"]
    orgs_sub = [o["name"] for o in data["orgs"] if o.get("type") == "下设机构"]
    summary = (overrides.get(schema.SENTENCES["subunit_summary"]) or basic.get("subunit_summary")
               or subunit_summary(orgs_sub))

    full_year = fin["budget_full_year"]
    executed = fin["exp_total"]
    execution_rate = ratio(executed, full_year)
    budget = {
        "initial": fin["exp_budget"],
        "full_year": full_year,
        "adjustment": full_year - fin["exp_budget"],
        "adjustment_rate": ratio(full_year - fin["exp_budget"], fin["exp_budget"]),
        "executed": executed,
        "execution_rate": execution_rate,
        "balance": full_year - executed,
        "weight": BUDGET_WEIGHT,
        "score": budget_score(execution_rate),
    }
    income_parts = [
        ("一般公共预算", fin["income_general"]),
        ("政府性基金拨款", fin["income_fund"]),
        ("国有资本经营预算", fin["income_state_capital"]),
        ("纳入专户管理的非税收入拨款", fin["income_special"]),
        ("其他资金", fin["income_other"]),
    ]
    budget["by_income"] = [{"name": n, "amount": a} for n, a in income_parts]
    budget["by_income_total"] = sum((a for _, a in income_parts), ZERO)
    budget["by_expense"] = [{"name": "基本支出", "amount": fin["exp_basic"]},
                            {"name": "项目支出", "amount": fin["exp_project"]}]
    budget["by_expense_total"] = fin["exp_basic"] + fin["exp_project"]

    sg = data["sangong"]
    columns = {c.key: {r: sg[r][c.key] for r in sg} for c in schema.PERIOD_COLUMNS}

    def items_sentence(period: str) -> str:
        parts = [f"{word}支出{fmt.yuan(columns[period][key])}元"
                 for key, word in SANGONG_ITEM_WORDS.items() if columns[period][key]]
        return "其中" + "，".join(parts) if parts else ""

    change = columns["actual"]["total"] - columns["prev_actual"]["total"]
    sangong = {
        **columns,
        "change": change,
        "change_rate": ratio(change, columns["prev_actual"]["total"]),
        "items_actual": overrides.get(schema.SENTENCES["sangong_items_actual"]) or items_sentence("actual"),
        "items_prev": overrides.get(schema.SENTENCES["sangong_items_prev"]) or items_sentence("prev_actual"),
        "conclusion": overrides.get(schema.SENTENCES["sangong_conclusion"])
        or ("三公经费支出未超过去年" if change <= 0 else "三公经费支出超过去年"),
    }

    indicators = group_indicators([indicator_item(r) for r in data["indicators"]], overrides)
    project_rows: dict[str, list[dict[str, Any]]] = {}
    for r in data["project_indicators"]:
        project_rows.setdefault(r["project"], []).append(r)
    projects = [project_context(p, project_rows.get(p["name"], [])) for p in data["projects"]]

    score = {
        "budget": budget["score"],
        "indicators": indicators["score"],
        "total": budget["score"] + indicators["score"],
        "weight_total": BUDGET_WEIGHT + indicators["weight"],
    }

    ctx: dict[str, Any] = {
        "year": year,
        "prev_year": year - 1,
        "unit": {
            "name": basic["unit_name"],
            "short_name": basic["unit_short"],
            "area_name": basic["area_name"],
            "rank": basic["unit_rank"],
            "address": basic["address"],
            "report_date": basic["report_date"],
            "competent_dept": basic.get("competent_dept") or basic["unit_name"],
        },
        "orgs": {
            "internal_count": basic["internal_count"],
            "internal": orgs_internal,
            "subunits": orgs_sub,
            "subunit_summary": summary,
        },
        "staff": staff_context(data["staff"]),
        "finance": fin,
        "budget": budget,
        "sangong": sangong,
        "base_data": data["base_data"],
        "other": {
            **data["other"],
            "area_control_rate": ratio(data["other"].get("building_actual_area"), data["other"].get("building_approved_area")),
            "invest_control_rate": ratio(data["other"].get("building_actual_invest"), data["other"].get("building_budget")),
        },
        "indicators": indicators,
        "projects": projects,
        "projects_total": {
            k: sum((p["funds"]["total"][k] for p in projects), ZERO) for k in ("initial", "full", "exec")
        } | {"prev_actual": sum((p["prev_actual"] for p in projects), ZERO)},
        "score": score,
    }

    sections = {label: key for key, label in schema.TEXT_SECTIONS.items()}
    texts: dict[str, list[dict[str, str]]] = {key: [] for key in schema.TEXT_SECTIONS}
    for r in data["texts"]:
        texts[sections[r["section"]]].append({
            "title": fill_placeholders(r.get("title") or "", ctx),
            "text": fill_placeholders(r.get("text") or "", ctx),
        })
    ctx["texts"] = texts
    ctx["text"] = {key: "".join(p["text"] for p in paras) for key, paras in texts.items()}
    return ctx
