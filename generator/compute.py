"""Stage 3 — compute: derive every figure, score and sentence the report states.

Input is the validated ``Data``; output is a ``Context``: the template context
(a plain dict keyed by the workbook's own words, ``财务.资产总额``, with the
English names of earlier templates as aliases, ``finance.assets_total``, both
holding the same values), and for every value the workbook cells it comes from.
A figure stated in the text and in a table comes from one entry of this
context, so the report cannot contradict itself. Sentences that follow from
figures are written here and may be overridden from the workbook's 句子覆盖 sheet.

Blank cells stay None, and so does every figure computed from one: what a
unit's template needs is checked against the context (``Context.resolve``),
not demanded of every workbook.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema
from . import rules as scoring
from .names import NotText, full_name, placeholder_text, placeholder_value
from .errors import Location, Problem
from .messages import msg

ZERO = Decimal(0)
NO_PROJECTS = "本单位本年度没有项目支出，无项目支出绩效自评表。"
MANUAL_MARK = "手工评分"
BUDGET_WEIGHT = Decimal(schema.BUDGET_WEIGHT)

OP_CHECK = {
    "ge": lambda a, t: a >= t,
    "gt": lambda a, t: a > t,
    "le": lambda a, t: a <= t,
    "lt": lambda a, t: a < t,
    "eq": lambda a, t: a == t,
}

SANGONG_ITEM_WORDS = {
    "公车购置": "公务用车购置",
    "公车运行维护": "公务用车运行维护",
    "出国经费": "因公出国（境）",
    "公务接待": "公务接待",
}


def ratio(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """``part / whole``; None when either is blank or ``whole`` is zero (no rate follows from nothing)."""
    if part is None or whole is None or not whole:
        return None
    return part / whole


def minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def total(values: list[Decimal | None]) -> Decimal | None:
    """The sum of optional parts: of those stated; None when none is stated."""
    stated = [v for v in values if v is not None]
    return sum(stated, ZERO) if stated else None


def full_sum(values: list[Decimal | None]) -> Decimal | None:
    """The sum of required parts: None when any part (or the whole list) is not stated."""
    if not values or any(v is None for v in values):
        return None
    return sum(values, ZERO)


def budget_score(rate: Decimal | None, weight: Decimal = BUDGET_WEIGHT) -> Decimal | None:
    """预算执行率得分 = 分值 × 执行率, capped at 分值 (formats.md §4.3)."""
    if rate is None:
        return None
    return fmt.round_half_up(min(weight, weight * rate), 2)


class Section(list):
    """A text section: its paragraphs (``{小标题, 内容}``) in order; ``全文`` is all its 内容 run together."""

    @property
    def 全文(self) -> str:  # noqa: N802 - the template's own word
        return "".join(p["内容"] for p in self)


class Fact(str):
    """A free fact (概况数据): prints as its value with its unit (``31个``); ``数值`` and ``单位`` apart."""

    数值: Any
    单位: str
    类型: str

    def __new__(cls, value: Any, unit: str, decimals: int | None = None, percent: bool = False) -> Fact:
        if isinstance(value, Decimal) and percent:  # an Excel percentage: 0.95 shows as 95% (as Excel shows it)
            text = fmt.pct_auto(value, decimals) + (unit if unit.strip() != "%" else "")
            kind = "数字"
        elif isinstance(value, Decimal):
            text = fmt.number(value, decimals) + unit
            kind = "数字"
        elif isinstance(value, bool):  # a yes/no fact (its 类型 says 是否): 是 or 否, without a unit
            text, kind = ("是" if value else "否"), "是否"
        else:
            text = str(value) + (unit if unit and not str(value).endswith(unit) else "")
            kind = "文字"
        self = super().__new__(cls, text)
        self.数值, self.单位, self.类型 = value, unit, kind
        return self

    def __reduce__(self) -> tuple:
        return (_fact, (str(self), self.数值, self.单位, self.类型))


def _fact(text: str, value: Any, unit: str, kind: str) -> Fact:
    self = str.__new__(Fact, text)
    self.数值, self.单位, self.类型 = value, unit, kind
    return self


# ------------------------------------------------------------------------ the context and its sources


@dataclass
class Context:
    """The template context, with where each value comes from.

    ``values`` is what a template sees. ``cells`` maps a value's name (Chinese,
    concrete: ``人员编制.行政编制.核定编制``, ``项目.0.资金.合计.全年执行数``) to the
    validated data's name for it, whose cell is in ``data_cells``; ``derived``
    maps a computed value's name to the names it is computed from; ``places``
    tells where to add what is absent (a row, a section).
    """

    values: dict[str, Any]
    data_cells: dict[str, str]
    file: str
    links: dict[str, str] = field(default_factory=dict)  # context name → data name
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)  # container name → how to add an entry
    zh_paths: dict[int, str] = field(default_factory=dict)  # id(container) → its Chinese name
    aliases: dict[int, dict[str, str]] = field(default_factory=dict)  # id(container) → {English key: Chinese key}
    problems: list[Problem] = field(default_factory=list)  # placeholders that name nothing
    not_applicable: set[str] = field(default_factory=set)  # data names typed 不适用: stated, printed as nothing
    instructions: set[str] = field(default_factory=set)  # columns or rows to add (said as they are, not "fill")
    rules: scoring.Rules = scoring.NATIONAL  # the scoring rules the context was computed by
    rule_steps: list[scoring.Step] = field(default_factory=list)  # what the county's scoring rules changed

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def cells(self, name: str) -> list[str]:
        """The workbook cells a value comes from (through what it is computed from)."""
        if name in self.derived:
            out: list[str] = []
            for source in self.derived[name]:
                out += self.cells(source)
            return list(dict.fromkeys(out))
        cell = self.data_cells.get(self.links.get(name, name))
        return [cell] if cell else []

    def empty_inputs(self, name: str) -> list[str]:
        """The blank cells (or absent rows) that leave a computed value blank."""
        if name not in self.derived:
            cells = self.cells(name)
            return cells or [self.place_of_cell(name) or self._known_place(name) or ""]  # ("": nothing holds it)
        out: list[str] = []
        for source in self.derived[name]:
            if self.lookup(source) is None:
                out += self.empty_inputs(source)
        return list(dict.fromkeys(out)) or self.cells(name) or [self.place_of(name)]

    def lookup(self, name: str) -> Any:
        value: Any = self.values
        for part in name.split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return value

    def place_of_cell(self, name: str) -> str | None:
        """How to state a value whose cell the workbook lacks: the column or row to add (None: not a column or row)."""
        parts = self.links.get(name, name).split(".")
        sheet = schema.SHEETS_BY_NAME.get(parts[0])
        found = None
        if sheet is not None and sheet.kind == "table" and len(parts) == 3 and parts[1].isdigit():
            f = next((c for c in sheet.columns if c.zh == parts[2]), None)
            if f is not None:
                found = msg("place_column", file=self.file, sheet=sheet.name, row=schema.HEADER_ROW, column=f.label)
        if sheet is not None and sheet.kind == "fields" and len(parts) == 2:
            f = next((c for c in sheet.fields if c.zh == parts[1]), None)
            if f is not None:
                found = msg("place_field_row", file=self.file, sheet=sheet.name, label=f.label)
        if found:
            self.instructions.add(found)
        return found

    def _known_place(self, name: str) -> str | None:
        parts = name.split(".")
        for k in range(len(parts), 0, -1):
            prefix = ".".join(parts[:k])
            if prefix in self.places:
                return self.places[prefix]
        return None

    def place_of(self, name: str) -> str:
        found = self._known_place(name)
        if found:
            return found
        sheet = name.split(".")[0]
        if "." not in name and sheet not in schema.SHEETS_BY_NAME:  # a top-level name (年度, 报告名称)
            return msg("place_name", file=self.file, name=name)
        return msg("place_sheet", file=self.file, sheet=sheet)

    def _blank(self, path: str) -> tuple[str, str, str]:
        """A value left blank: ("empty", the cells to fill and the rows to add, as one instruction)."""
        inputs = list(dict.fromkeys(self.empty_inputs(path)))
        rows = set(self.places.values()) | self.instructions
        cells = [x for x in inputs if x and x not in rows]
        steps = ([msg("place_fill", cells="；".join(cells))] if cells else []) + [x for x in inputs if x in rows]
        return "empty", "；".join(steps) or msg("place_fill_name", file=self.file, name=path), ""

    def missing_sheet(self, name: str) -> str | None:
        """The schema sheet a dotted name needs that the workbook lacks (``财务`` for ``预算.执行率`` too)."""
        first = re.split(r"\.|\[", name.strip(), maxsplit=1)[0]
        source = self.links.get(first) or next(iter(self.derived.get(first, ())), first)  # (年度 → 基本信息.年度)
        first = source.split(".")[0]
        sheet = DERIVED_FROM.get(first, first)
        return sheet if sheet in schema.SHEETS_BY_NAME and sheet not in self.values else None

    def resolve(self, name: str) -> Iterator[tuple[str, str, str]]:
        """For each concrete value ``name`` stands for: (``ok`` | ``empty`` | ``absent``, where to fill it, hint).

        ``name`` is dotted; ``[]`` stands for every item of a list (``项目[].主管部门``).
        English names are followed through the same containers.
        """
        sheet = self.missing_sheet(name)
        if sheet is not None:  # a whole sheet of the schema is missing: said once, not name by name
            yield "no_sheet", msg("place_no_sheet", file=self.file, sheet=sheet), ""
            return
        yield from self._walk(self.values, "", [t for t in re.split(r"\.|(?=\[\])", name) if t])

    def _walk(self, value: Any, path: str, tokens: list[str]) -> Iterator[tuple[str, str, str]]:
        zh = self.zh_paths.get(id(value))
        if zh is not None:
            path = zh
        if not tokens:  # (an empty text is a text a row may leave blank, as compute gives it: not missing)
            if value is None and self.links.get(path, path) in self.not_applicable:
                yield "ok", "", ""  # typed 不适用: stated, printed as nothing
            elif value is None and path.endswith("率") and self.derived.get(path) \
                    and all(self.lookup(source) is not None for source in self.derived[path]):
                yield "uncomputable", "；".join(self.cells(path)), ""  # a rate over a zero whole
            elif value is None:
                yield self._blank(path)
            else:
                yield "ok", "", ""
            return
        token, rest = tokens[0], tokens[1:]
        if token == "[]":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    yield from self._walk(item, f"{path}.{i}", rest)
            return
        if isinstance(value, dict):
            key = self.aliases.get(id(value), {}).get(token, token)
            if token in value:
                yield from self._walk(value[token], f"{path}.{key}" if path else key, rest)
                return
            english = token.isascii()  # an English name is compared with the English names (its aliases)
            keys = [k for k in value if k.isascii() == english] or list(value)
            close = _nearest(token, keys)
            hint = msg("hint_did_you_mean", name=f"{path}.{close}" if path and not english else close) if close else ""
            yield "absent", self.place_of(f"{path}.{token}" if path else token), hint
            return
        if isinstance(value, list) and token.isdigit():
            if int(token) < len(value):
                yield from self._walk(value[int(token)], f"{path}.{token}", rest)
            else:
                yield "absent", self.place_of(path), ""
            return
        if value is None:
            yield self._blank(path)
            return
        yield "ok", "", ""  # an attribute of a value (a fact's 数值, a text's method): not ours to check


def _nearest(name: str, names: list[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return close[0] if close else None


class _Builder:
    """Builds a Context: registers containers, English aliases, links to data cells and derivations."""

    def __init__(self, data: dict[str, Any]):
        self.ctx = Context(values={}, data_cells=data.get("cells", {}), file=data.get("file", ""),
                           not_applicable=set(data.get("not_applicable") or ()))

    def node(self, zh_path: str, container: Any) -> Any:
        self.ctx.zh_paths[id(container)] = zh_path
        return container

    def bi(self, d: dict[str, Any], pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> dict[str, Any]:
        """Add English keys to ``d`` for its Chinese keys: (Chinese, English) pairs."""
        alias = self.ctx.aliases.setdefault(id(d), {})
        for zh, en in pairs:
            if en and zh in d:
                d[en] = d[zh]
                alias[en] = zh
        return d

    def link(self, ctx_path: str, data_path: str) -> None:
        self.ctx.links[ctx_path] = data_path

    def derive(self, path: str, *sources: str) -> None:
        self.ctx.derived[path] = sources

    def place(self, path: str, text: str) -> None:
        self.ctx.places[path] = text


# ------------------------------------------------------------------------ indicators

ITEM_NAMES = (
    ("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "name"), ("项目名称", "project"),
    ("比较方式", "op"), ("比较", "comparator"), ("比较写法", "phrase"), ("单位", "unit"),
    ("年度指标值数", "target"), ("实际完成值数", "actual"), ("指标值", "target_value_text"),
    ("年度指标值", "target_text"), ("实际完成值", "actual_text"), ("分值", "weight"), ("得分", "score"),
    ("计算得分", "computed_score"), ("手工评分", "score_entered"), ("评分方式", "score_method"),
    ("评价等级", "band"), ("是否完成", "met"), ("偏差原因分析及改进措施", "reason"), ("核对数据", "source"),
    ("行号", "row"), ("一级首行", "l1_first"), ("二级首行", "l2_first"), ("一级行数", "l1_size"),
    ("二级行数", "l2_size"), ("得分显示", ""),
)
LEVEL2_NAMES = (("名称", "name"), ("指标", "entries"), ("分值", "weight"), ("得分", "score"), ("个数", "size"),
                ("目标句", "target_sentence"), ("完成句", "actual_sentence"))
LEVEL1_NAMES = (("名称", "name"), ("二级", "groups"), ("分值", "weight"), ("得分", "score"), ("个数", "size"))
INDICATORS_NAMES = (("行", "rows"), ("一级", "groups"), ("个数", "count"), ("未完成", "unmet"),
                    ("未完成个数", "unmet_count"), ("分值合计", "weight"), ("得分合计", "score"),
                    ("手工评分", "entered"))


def value_text(value: Any, unit: str, decimals: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if unit.strip() == "%":
            return fmt.pct_auto(value, decimals)
        return fmt.number(value, decimals) + unit
    return str(value)


def indicator_item(row: dict[str, Any], rules: scoring.Rules = scoring.NATIONAL) -> dict[str, Any]:
    """One 三级指标 with its texts and score (财预〔2020〕10号 rules, formats.md §4.3; a band's share by ``rules``)."""
    unit = row.get("单位") or ""
    typed = row.get("比较") or ""
    target, actual = row.get("年度指标值"), row.get("实际完成值")
    numeric = isinstance(target, Decimal) and isinstance(actual, Decimal)
    if typed:
        op, phrase = schema.COMPARATORS[typed]
    elif isinstance(target, Decimal):
        op, phrase = "eq", "{v}"
    else:
        op, phrase = None, "{v}"
    target_text = value_text(target, unit, row.get("年度指标值_小数位"))
    actual_text = value_text(actual, unit, row.get("实际完成值_小数位"))
    weight = row.get("分值")
    band = row.get("评价等级") or ""

    # whether the target is met, and the share of the weight it earns: only from stated figures (None: not known)
    if numeric and op:
        met = OP_CHECK[op](actual, target)
    elif band:
        met = band == "达成"
    elif target is not None and actual is not None:
        met = str(target) == str(actual)
    else:
        met = None

    share: Decimal | None
    if numeric and op:
        if met:
            share = Decimal(1)
        elif op in ("ge", "gt"):
            share = actual / target if target else ZERO
        elif op in ("le", "lt"):
            share = target / actual if actual else Decimal(1)
        else:
            share = min(actual / target, target / actual) if target and actual else ZERO
        share = max(ZERO, min(Decimal(1), share))
        method = "公式"
    elif band:
        share = rules.share(band)
        method = "评价等级"
    else:
        share = None if met is None else Decimal(1) if met else ZERO
        method = "定性"
    computed_score = fmt.round_half_up(weight * share, 2) if weight is not None and share is not None else None
    entered = row.get("手工得分") is not None
    score = fmt.round_half_up(row["手工得分"], 2) if entered else computed_score
    return {
        "一级指标": row.get("一级指标") or "",
        "二级指标": row.get("二级指标") or "",
        "三级指标": row.get("三级指标") or "",
        "项目名称": row.get("项目名称"),
        "比较方式": op,
        "比较": typed,
        "比较写法": phrase,
        "单位": unit,
        "年度指标值数": target,
        "实际完成值数": actual,
        "指标值": target_text,
        "年度指标值": phrase.format(v=target_text) if op else target_text,
        "实际完成值": actual_text,
        "分值": weight,
        "得分": score,
        "计算得分": computed_score,
        "手工评分": entered,
        "评分方式": "手工评分" if entered else method,
        "评价等级": band,
        "是否完成": met,  # True, False, or None when the figures that decide it are not stated
        "偏差原因分析及改进措施": row.get("偏差原因分析及改进措施") or "",
        "核对数据": row.get("核对数据") or "",
        "行号": row.get("行号"),
        "得分显示": None if score is None else fmt.score(score) + ("\n" + MANUAL_MARK if entered else ""),  # as printed
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
        text = it["指标值"] if mode == "target" else it["实际完成值"]
        qualitative = it["比较方式"] is None or not isinstance(
            it["年度指标值数" if mode == "target" else "实际完成值数"], Decimal)
        key = ("single", id(it)) if qualitative else (
            (it["比较方式"], it["比较写法"], text) if mode == "target" else ("eq", "{v}", text))
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
        names = "，".join(m["三级指标"] for m in members)
        out.append(names + "均" + ("为" + text if op == "eq" else phrase.format(v=text)) + "。")
    if run:
        out.append("，".join(run) + "。")
    return "".join(out)


def _single(it: dict[str, Any], mode: str) -> str:
    return it["三级指标"] + (it["年度指标值"] if mode == "target" else it["实际完成值"])


def group_indicators(b: _Builder, items: list[dict[str, Any]], path: str, data_rows: list[int],
                     data_sheet: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Nest items as 一级 → 二级 (in order of first appearance) with merge flags for tables.

    ``data_rows[i]`` is the row index of item ``i`` in ``data_sheet`` (for its cells).
    """
    overrides = overrides or {}
    level1: list[dict[str, Any]] = []
    by1: dict[str, dict[str, Any]] = {}
    by2: dict[tuple[str, str], dict[str, Any]] = {}
    for it in items:
        g1 = by1.get(it["一级指标"])
        if g1 is None:
            g1 = by1[it["一级指标"]] = {"名称": it["一级指标"], "二级": []}
            level1.append(g1)
        g2 = by2.get((it["一级指标"], it["二级指标"]))
        if g2 is None:
            g2 = by2[(it["一级指标"], it["二级指标"])] = {"名称": it["二级指标"], "指标": []}
            g1["二级"].append(g2)
        g2["指标"].append(it)
    rows = []
    for g1 in level1:
        # a sum of weights or scores needs every part stated (a target list without scores has none)
        g1["分值"] = full_sum([e["分值"] for g2 in g1["二级"] for e in g2["指标"]])
        g1["得分"] = full_sum([e["得分"] for g2 in g1["二级"] for e in g2["指标"]])
        g1["个数"] = sum(len(g2["指标"]) for g2 in g1["二级"])
        for i2, g2 in enumerate(g1["二级"]):
            per_item = g2["名称"] == schema.LEVEL2_QUANTITY
            g2["分值"] = full_sum([e["分值"] for e in g2["指标"]])
            g2["得分"] = full_sum([e["得分"] for e in g2["指标"]])
            g2["个数"] = len(g2["指标"])
            first = len(rows)
            for i3, e in enumerate(g2["指标"]):
                e.update({"一级首行": i2 == 0 and i3 == 0, "二级首行": i3 == 0, "一级行数": g1["个数"],
                          "二级行数": g2["个数"]})
                rows.append(e)
            g2_path = f"{path}.{g1['名称']}.{g2['名称']}"
            for key, mode, value in (("目标句", "target", "年度指标值数"), ("完成句", "actual", "实际完成值数")):
                # a sentence of targets (or results) only when every one of them is stated
                stated = all(e[value] is not None for e in g2["指标"])
                g2[key] = overrides.get(f"{g2['名称']}（{'目标' if mode == 'target' else '完成'}）") \
                    or (_grouped_sentence(g2["指标"], mode, per_item) if stated else None)
                b.derive(f"{g2_path}.{key}", *(f"{path}.行.{k}.{value}" for k in range(first, len(rows))))
            for key in ("分值", "得分"):
                b.derive(f"{g2_path}.{key}", *(f"{path}.行.{k}.{key}" for k in range(first, len(rows))))
            b.node(g2_path, b.bi(g2, LEVEL2_NAMES))
        for g2 in g1["二级"]:
            g1.setdefault(g2["名称"], g2)  # 绩效指标.产出指标.数量指标
        b.node(f"{path}.{g1['名称']}", b.bi(g1, LEVEL1_NAMES))
    position = {id(it): i for i, it in enumerate(items)}
    for k, e in enumerate(rows):
        b.bi(e, ITEM_NAMES)
        b.node(f"{path}.行.{k}", e)
        i = position[id(e)]
        for zh, _ in ITEM_NAMES:
            source = _ITEM_SOURCE.get(zh)
            if source:
                b.link(f"{path}.行.{k}.{zh}", f"{data_sheet}.{data_rows[i]}.{source}")
        if e["得分"] is None:  # a score follows from the weight and the result (or a hand score)
            for zh in ("得分", "计算得分", "得分显示"):
                b.derive(f"{path}.行.{k}.{zh}", f"{path}.行.{k}.分值", f"{path}.行.{k}.实际完成值数")
        if e["是否完成"] is None:
            b.derive(f"{path}.行.{k}.是否完成", f"{path}.行.{k}.年度指标值数", f"{path}.行.{k}.实际完成值数")
    unmet = [r for r in rows if r["是否完成"] is False]
    for g1 in level1:
        for key in ("分值", "得分"):
            b.derive(f"{path}.{g1['名称']}.{key}",
                     *(f"{path}.行.{k}.{key}" for k, r in enumerate(rows) if r["一级指标"] == g1["名称"]))
    out: dict[str, Any] = {
        "行": rows,
        "一级": level1,
        "个数": len(rows),
        "未完成": unmet,
        "未完成个数": None if any(r["是否完成"] is None for r in rows) else len(unmet),  # (a result not stated)
        "分值合计": full_sum([r["分值"] for r in rows]),
        "得分合计": full_sum([r["得分"] for r in rows]),
        "手工评分": [r for r in rows if r["手工评分"]],
    }
    for key in ("分值", "得分"):
        b.derive(f"{path}.{key}合计", *(f"{path}.行.{k}.{key}" for k in range(len(rows))))
    b.derive(f"{path}.未完成个数", *(f"{path}.行.{k}.是否完成" for k in range(len(rows))))
    for key in ("分值合计", "得分合计"):
        b.place(f"{path}.{key}", msg("place_indicator_scores", file=b.ctx.file, sheet=data_sheet))
    for g1 in level1:
        out.setdefault(g1["名称"], g1)  # 绩效指标.产出指标
    b.bi(out, INDICATORS_NAMES)
    empty = {"名称": "", "二级": [], "分值": None, "得分": None, "个数": 0}
    b.bi(empty, LEVEL1_NAMES)
    for en, zh in (("output", schema.LEVEL1_OUTPUT), ("benefit", schema.LEVEL1_BENEFIT),
                   ("satisfaction", schema.LEVEL1_SATISFACTION)):
        out[en] = by1.get(zh, empty)
    return b.node(path, out)


# the workbook column behind each item value (those typed, not computed)
_ITEM_SOURCE = {"一级指标": "一级指标", "二级指标": "二级指标", "三级指标": "三级指标", "项目名称": "项目名称",
                "比较": "比较", "单位": "单位", "年度指标值数": "年度指标值", "实际完成值数": "实际完成值",
                "指标值": "年度指标值", "年度指标值": "年度指标值", "实际完成值": "实际完成值", "分值": "分值",
                "得分": "手工得分", "评价等级": "评价等级", "偏差原因分析及改进措施": "偏差原因分析及改进措施",
                "核对数据": "核对数据"}


# ------------------------------------------------------------------------ organisation and staff


GROUP_NAMES = (("名称", "name"), ("名单", "names"), ("个数", "count"), ("公布个数", "stated"), ("概述", "summary"),
               ("列举", ""))


def org_groups(b: _Builder, orgs: list[dict[str, Any]], overrides: dict[str, str]) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(orgs):
        name = r.get("分组")
        if not name or not r.get("名称"):
            continue
        g = groups.get(name)
        if g is None:
            g = groups[name] = {"名称": name, "名单": [], "_rows": [], "公布个数": None, "概述": None}
        g["名单"].append(r["名称"])
        g["_rows"].append(i)
        if r.get("公布个数") is not None and g["公布个数"] is None:
            g["公布个数"] = r["公布个数"]
            b.link(f"机构.{name}.公布个数", f"机构.{i}.公布个数")
        if r.get("概述") and g["概述"] is None:
            g["概述"] = r["概述"]
            b.link(f"机构.{name}.概述", f"机构.{i}.概述")
    out: dict[str, Any] = {}
    for name, g in groups.items():
        rows = g.pop("_rows")
        g["个数"] = len(g["名单"])
        if g["公布个数"] is None:
            g["公布个数"] = g["个数"]
            b.derive(f"机构.{name}.公布个数", *(f"机构.{name}.名单.{k}" for k in range(len(rows))))
        if g["概述"] is None:
            g["概述"] = fmt.org_summary(g["名单"])
        if name == "下设机构" and overrides.get(schema.SENTENCES["subunit_summary"]):
            g["概述"] = overrides[schema.SENTENCES["subunit_summary"]]
            b.link("机构.下设机构.概述", f"句子覆盖.{schema.SENTENCES['subunit_summary']}")
        g["列举"] = fmt.enumerate_names(g["名单"])
        for k, i in enumerate(rows):
            b.link(f"机构.{name}.名单.{k}", f"机构.{i}.名称")
        b.node(f"机构.{name}", g)
        b.node(f"机构.{name}.名单", g["名单"])
        out[name] = b.bi(g, GROUP_NAMES)
    result = dict(out)
    result["分组"] = list(out.values())
    b.place("机构", msg("place_org_group", file=b.ctx.file))
    return b.node("机构", result)


STAFF_ROW_NAMES = (("类别", "name"), ("核定编制", "established"), ("实有人数", "actual"), ("上级", "parent"),
                   ("类型", "kind"), ("下级", "children"), ("超编人数", "over"), ("编制使用率", "control_rate"),
                   ("备注", "note"))
STAFF_ALIASES = {"total": "合计", "admin": "行政编制", "worker": "机关工勤", "finance": "财政所",
                 "institution": "事业编制"}


def staff_context(b: _Builder, rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    entries: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        cat = r.get("类别")
        if not cat or cat in out:
            continue
        est, act = r.get("核定编制"), r.get("实有人数")
        entry = {"类别": cat, "上级": r.get("上级") or "", "类型": r.get("类型") or "编制类别", "核定编制": est,
                 "实有人数": act, "备注": r.get("备注") or "", "下级": [],
                 "超编人数": max(0, act - est) if est is not None and act is not None else None,
                 "编制使用率": ratio(Decimal(act), Decimal(est)) if est is not None and act is not None else None}
        path = f"人员编制.{cat}"
        for zh in ("类别", "上级", "类型", "核定编制", "实有人数", "备注"):
            b.link(f"{path}.{zh}", f"人员编制.{i}.{zh}")
        b.derive(f"{path}.超编人数", f"{path}.核定编制", f"{path}.实有人数")
        b.derive(f"{path}.编制使用率", f"{path}.核定编制", f"{path}.实有人数")
        out[cat] = b.node(path, entry)
        entries.append(entry)
    for entry in entries:
        parent = out.get(entry["上级"])
        if parent is not None:
            parent["下级"].append(entry)
    for entry in entries:
        b.node(f"人员编制.{entry['类别']}.下级", entry["下级"])
        b.bi(entry, STAFF_ROW_NAMES)
    result = dict(out)
    result["行"] = entries
    result["下属单位"] = [e for e in entries if e["类型"] == "下属单位"]
    b.place("人员编制", msg("place_staff_row", file=b.ctx.file))
    return b.node("人员编制", result)


def staff_aliases(staff: dict[str, Any]) -> dict[str, Any]:
    """``staff.total`` … of earlier templates: the rows of those categories."""
    out = {en: staff[zh] for en, zh in STAFF_ALIASES.items() if zh in staff}
    institution = staff.get("事业编制")
    out["subunits"] = institution["下级"] if institution and institution["下级"] else staff["下属单位"]
    total_row = staff.get("合计")
    out["control_rate"] = total_row["编制使用率"] if total_row else None
    return out


# ------------------------------------------------------------------------ projects

FUND_NAMES = (("年初预算数", "initial"), ("全年预算数", "full"), ("全年执行数", "exec"), ("执行率", "rate"),
              ("得分", "score"), ("分值", "weight"))
PROJECT_NAMES = (("项目名称", "name"), ("主管部门", "department"), ("实施单位", "implementer"),
                 ("上年决算数", "prev_actual"), ("资金", "funds"), ("预期目标", "goal"), ("实际完成情况", "achieved"),
                 ("备注", "note"), ("绩效指标", "indicators"), ("得分", "score"), ("满分", "weight"), ("行号", "row"))
SOURCE_KEYS = {zh: en for en, zh in schema.FUND_SOURCES}
STAGE_NAMES = {"initial": "年初预算数", "full": "全年预算数", "exec": "全年执行数"}


def project_context(b: _Builder, i: int, p: dict[str, Any], indicators: list[tuple[int, dict[str, Any]]],
                    competent: str, rules: scoring.Rules = scoring.NATIONAL) -> dict[str, Any]:
    path = f"项目.{i}"
    funds: dict[str, Any] = {}
    for source, source_zh in schema.FUND_SOURCES:
        entry = {}
        for stage, stage_zh in schema.FUND_STAGES:
            entry[STAGE_NAMES[stage]] = p.get(f"{stage_zh}{source_zh}")  # blank: none stated (shown blank)
            b.link(f"{path}.资金.{source_zh}.{STAGE_NAMES[stage]}", f"项目.{i}.{stage_zh}{source_zh}")
        funds[source_zh] = b.bi(entry, FUND_NAMES)
    # the sources are optional parts (a project has money of one or more of them): the sum of those stated
    whole = {k: total([funds[s][k] for _, s in schema.FUND_SOURCES]) for k in STAGE_NAMES.values()}
    for k in STAGE_NAMES.values():
        b.derive(f"{path}.资金.合计.{k}", *(f"{path}.资金.{s}.{k}" for _, s in schema.FUND_SOURCES))
    whole["执行率"] = ratio(whole["全年执行数"], whole["全年预算数"])
    whole["得分"] = budget_score(whole["执行率"])
    whole["分值"] = BUDGET_WEIGHT
    b.derive(f"{path}.资金.合计.执行率", f"{path}.资金.合计.全年执行数", f"{path}.资金.合计.全年预算数")
    b.derive(f"{path}.资金.合计.得分", f"{path}.资金.合计.执行率")
    funds["合计"] = b.bi(whole, FUND_NAMES)
    b.bi(funds, (("当年财政拨款", "fiscal"), ("上年结转资金", "carry"), ("其他资金", "other"), ("合计", "total")))
    items = [indicator_item(r, rules) for _, r in indicators]
    b.ctx.rule_steps += scoring.score_items(items, rules, "项目指标")
    ind = group_indicators(b, items, f"{path}.绩效指标", [k for k, _ in indicators], "项目指标")
    out = {
        "项目名称": p["项目名称"],
        "主管部门": p.get("主管部门") or competent,
        "实施单位": p.get("实施单位") or competent,
        "上年决算数": p.get("上年决算数"),
        "资金": funds,
        "预期目标": p.get("预期目标") or "",
        "实际完成情况": p.get("实际完成情况") or "",
        "备注": p.get("备注") or "",
        "绩效指标": ind,
        "得分": full_sum([whole["得分"], ind["得分合计"]]) if ind["行"] else None,
        "满分": full_sum([whole["分值"], ind["分值合计"]]) if ind["行"] else None,  # 总分 row's 分值 of 附件3
        "行号": p.get("行号"),
        "序号名称": f"{i + 1}、{p['项目名称']}",  # the row label of 附件1
    }
    for zh in ("项目名称", "主管部门", "实施单位", "上年决算数", "预期目标", "实际完成情况", "备注"):
        b.link(f"{path}.{zh}", f"项目.{i}.{zh}")
    b.derive(f"{path}.得分", f"{path}.资金.合计.得分", f"{path}.绩效指标.得分合计")
    b.derive(f"{path}.满分", f"{path}.绩效指标.分值合计")
    b.node(f"{path}.资金", funds)
    return b.node(path, b.bi(out, PROJECT_NAMES))


# ------------------------------------------------------------------------ texts

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DERIVED_FROM = {"预算": "财务"}  # context groups worked out from one sheet: a name in them needs that sheet


def fill_placeholders(b: _Builder, text: str, cell_path: str) -> str:
    values = b.ctx.values

    def repl(m: re.Match) -> str:
        name = m.group(1)
        try:
            value = placeholder_value(values, name)
        except KeyError:
            cell = b.ctx.data_cells.get(cell_path)
            parts = cell.split(" › ") if cell else []
            location = Location(*parts) if len(parts) == 3 else None
            sheet = b.ctx.missing_sheet(full_name(name))
            if sheet is not None:  # a known placeholder whose figures are in a sheet the workbook lacks
                b.ctx.problems.append(Problem(location, msg("placeholder_no_sheet", name=name, sheet=sheet,
                                                            file=b.ctx.file)))
                return m.group(0)
            names = [k for k in schema.PLACEHOLDER_ALIASES] + list(values.get("概况数据", {}))
            close = _nearest(name.strip(), names)
            parts = cell.split(" › ") if cell else []
            location = Location(*parts) if len(parts) == 3 else None
            b.ctx.problems.append(Problem(location, msg("placeholder_unknown", name=name)
                                          + (msg("hint_did_you_mean", name=close) if close else "")))
            return m.group(0)
        cell = b.ctx.data_cells.get(cell_path)
        parts = cell.split(" › ") if cell else []
        try:
            filled = placeholder_text(name, value)
        except NotText as exc:  # a group, a list, a yes/no: its repr is not a report's text
            b.ctx.problems.append(Problem(Location(*parts) if len(parts) == 3 else None,
                                          msg("placeholder_not_text", name=name, kind=msg(exc.kind))))
            return m.group(0)
        grown[0] += len(filled) - len(m.group(0))
        if grown[0] > MAX_FILLED and not grown[1]:  # a text amplified by its placeholders: said once, kept short
            grown[1] = True
            b.ctx.problems.append(Problem(Location(*parts) if len(parts) == 3 else None,
                                          msg("placeholder_too_long", limit=MAX_FILLED)))
        return m.group(0) if grown[1] else filled

    grown: list[Any] = [len(text), False]  # (length so far, over the limit)
    return _PLACEHOLDER.sub(repl, text)


MAX_FILLED = 100_000  # characters a text may reach once its placeholders are filled (a cell holds 32,767)


# ------------------------------------------------------------------------ the context


FINANCE_NAMES = tuple((f.zh, f.key) for f in schema.FINANCE.fields)
BASIC_NAMES = tuple((f.zh, f.key) for f in schema.BASIC.fields)
OTHER_NAMES = tuple((f.zh, f.key) for f in schema.OTHER.fields) + (("规模控制率", "area_control_rate"),
                                                                      ("投资概算控制率", "invest_control_rate"))
PERIOD_NAMES = tuple((c.zh, c.key) for c in schema.PERIOD_COLUMNS)
SANGONG_ROW_NAMES = tuple((r.zh, r.key) for r in schema.SANGONG_ROWS)
BUDGET_NAMES = (("年初预算数", "initial"), ("全年预算数", "full_year"), ("调整额", "adjustment"),
                ("调整率", "adjustment_rate"), ("执行数", "executed"), ("执行率", "execution_rate"), ("结余", "balance"),
                ("分值", "weight"), ("得分", "score"), ("按收入性质", "by_income"), ("按支出性质", "by_expense"),
                ("收入合计", "by_income_total"), ("支出合计", "by_expense_total"))
SANGONG_NAMES = PERIOD_NAMES + (("变动额", "change"), ("变动率", "change_rate"), ("本年构成", "items_actual"),
                                ("上年构成", "items_prev"), ("增减结论", "conclusion"))
SCORE_NAMES = (("预算执行得分", "budget"), ("指标得分", "indicators"), ("总分", "total"), ("满分", "weight_total"),
               ("等级", "grade"), ("评分规则", "rules"), ("规则说明", "rules_note"))
TEXT_ITEM_NAMES = (("小标题", "title"), ("内容", "text"))
TOTAL_NAMES = (("上年决算数", "prev_actual"), ("年初预算数", "initial"), ("全年预算数", "full"), ("全年执行数", "exec"))


def compute(data: dict[str, Any], rules: scoring.Rules = scoring.NATIONAL) -> Context:
    """The template context of one validated workbook, scored by ``rules`` (the national ones by default)."""
    b = _Builder(data)
    b.ctx.rules = rules
    v = b.ctx.values
    overrides = data.get("句子覆盖") or {}
    basic = dict(data.get("基本信息") or {})
    year = basic.get("年度")
    v["年度"] = year
    v["上年度"] = year - 1 if isinstance(year, int) else None
    b.link("上年度", "基本信息.年度")
    b.link("年度", "基本信息.年度")
    if basic:
        basic["报告标题"] = basic.get("报告标题") or schema.REPORT_TITLE
        basic["主管部门"] = basic.get("主管部门") or basic.get("单位全称")
        v["基本信息"] = b.node("基本信息", b.bi(basic, BASIC_NAMES))
        v["报告名称"] = f"{year}年度{basic.get('单位全称') or ''}{basic['报告标题']}"
        b.derive("报告名称", "基本信息.年度", "基本信息.单位全称", "基本信息.报告标题")

    v["机构"] = org_groups(b, data.get("机构") or [], overrides)
    v["人员编制"] = staff_context(b, data.get("人员编制") or [])

    fin = data.get("财务")
    if fin is not None:
        fin = dict(fin)
        v["财务"] = b.node("财务", b.bi(fin, FINANCE_NAMES))
        v["预算"] = _budget(b, fin, rules)

    if data.get("三公经费") is not None:
        v["三公经费"] = _sangong(b, data["三公经费"], overrides)
    if data.get("基础数据") is not None:
        grid = data["基础数据"]
        v["基础数据"] = b.node("基础数据", {col: b.node(f"基础数据.{col}", dict(rows)) for col, rows in grid.items()})
    other = data.get("楼堂馆所及节约")
    if other is not None:
        other = dict(other)
        other["规模控制率"] = ratio(other.get("实际规模"), other.get("批复规模")) if other.get("批复规模") else None
        other["投资概算控制率"] = ratio(other.get("实际投资"), other.get("预算投资")) if other.get("预算投资") else None
        b.derive("楼堂馆所及节约.规模控制率", "楼堂馆所及节约.实际规模", "楼堂馆所及节约.批复规模")
        b.derive("楼堂馆所及节约.投资概算控制率", "楼堂馆所及节约.实际投资", "楼堂馆所及节约.预算投资")
        v["楼堂馆所及节约"] = b.node("楼堂馆所及节约", b.bi(other, OTHER_NAMES))

    unit_rows = data.get("绩效指标") or []
    items = [indicator_item(r, rules) for r in unit_rows]
    item_steps = scoring.score_items(items, rules, "绩效指标")
    v["绩效指标"] = group_indicators(b, items, "绩效指标", list(range(len(items))), "绩效指标", overrides)

    by_project: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, r in enumerate(data.get("项目指标") or []):
        by_project.setdefault(r.get("项目名称"), []).append((i, r))
    competent = basic.get("主管部门") or ""
    projects = [project_context(b, i, p, by_project.get(p["项目名称"], []), competent, rules)
                for i, p in enumerate(data.get("项目") or []) if p.get("项目名称")]
    v["项目"] = b.node("项目", projects)
    # the projects' totals: over every project, each stating its figure (none listed: not stated)
    totals = {k: full_sum([p["资金"]["合计"][k] for p in projects]) for k in STAGE_NAMES.values()}
    totals["上年决算数"] = full_sum([p["上年决算数"] for p in projects])
    for k in totals:
        b.derive(f"项目合计.{k}", *(f"项目.{i}.资金.合计.{k}" if k != "上年决算数" else f"项目.{i}.上年决算数"
                                    for i in range(len(projects))))
    b.place("项目合计", msg("place_no_projects", file=b.ctx.file))
    # "没有项目支出" is said only when the unit lists no project and states its 项目支出 as 0
    stated_none = (data.get("财务") or {}).get("决算项目支出") == 0
    totals["无项目说明"] = "" if projects else NO_PROJECTS if stated_none else None
    b.derive("项目合计.无项目说明", "财务.决算项目支出", "项目合计.全年执行数")
    v["项目合计"] = b.node("项目合计", b.bi(totals, TOTAL_NAMES))

    budget_part = v.get("预算", {}).get("得分")
    indicators = v["绩效指标"]
    scored = scoring.unit_total(rules, budget_part, v.get("预算", {}).get("执行率"), indicators["一级"],
                                item_steps)
    b.ctx.rule_steps[:0] = scored.steps  # the unit's steps in order, then its projects' indicators'
    score = {  # (a total needs every scored part: ``rules.total_score`` leaves it None otherwise)
        "预算执行得分": budget_part,
        "指标得分": scored.indicators,
        "总分": scored.total,
        "满分": scored.weight,
        "等级": rules.grade(scored.total),
        "评分规则": rules.label,
        "规则说明": scoring.note(rules, scored.steps),
    }
    v["自评"] = b.node("自评", b.bi(score, SCORE_NAMES))
    b.derive("自评.总分", "预算.得分", *(f"绩效指标.行.{k}.得分" for k in range(len(indicators["行"]))))
    b.derive("自评.满分", *(f"绩效指标.行.{k}.分值" for k in range(len(indicators["行"]))))
    b.derive("自评.指标得分", "绩效指标.得分合计")
    b.derive("自评.预算执行得分", "预算.得分")
    if not indicators["行"]:
        b.place("自评", msg("place_indicator_scores", file=b.ctx.file, sheet=schema.INDICATORS.name))

    facts: dict[str, Any] = {}
    for i, r in enumerate(data.get("概况数据") or []):
        if r.get("名称") and r.get("数值") is not None and r["名称"] not in facts:
            facts[r["名称"]] = Fact(r["数值"], r.get("单位") or "", r.get("数值_小数位"), bool(r.get("数值_百分数")))
            b.link(f"概况数据.{r['名称']}", f"概况数据.{i}.数值")
    v["概况数据"] = b.node("概况数据", facts)
    b.place("概况数据", msg("place_fact", file=b.ctx.file))

    sections: dict[str, Section] = {}
    for i, r in enumerate(data.get("文字内容") or []):
        name = r.get("栏目")
        if not name:
            continue
        section = sections.setdefault(name, Section())
        k = len(section)
        para = {"小标题": fill_placeholders(b, r.get("小标题") or "", f"文字内容.{i}.小标题"),
                "内容": fill_placeholders(b, r.get("内容") or "", f"文字内容.{i}.内容")}
        b.link(f"文字内容.{name}.{k}.内容", f"文字内容.{i}.内容")
        b.link(f"文字内容.{name}.{k}.小标题", f"文字内容.{i}.小标题")
        section.append(b.bi(para, TEXT_ITEM_NAMES))
    texts: dict[str, Any] = dict(sections)
    for name, section in sections.items():
        b.node(f"文字内容.{name}", section)
    v["文字内容"] = b.node("文字内容", b.bi(texts, tuple((zh, en) for en, zh in schema.TEXT_SECTIONS.items())))
    b.place("文字内容", msg("place_text_section", file=b.ctx.file))
    _english(b, v)
    return b.ctx


def _budget(b: _Builder, fin: dict[str, Any], rules: scoring.Rules = scoring.NATIONAL) -> dict[str, Any]:
    full_year, executed, initial = fin.get("全年预算数"), fin.get("决算支出"), fin.get("年初预算支出")
    rate = ratio(executed, full_year)
    budget = {
        "年初预算数": initial,
        "全年预算数": full_year,
        "调整额": minus(full_year, initial),
        "调整率": ratio(minus(full_year, initial), initial),
        "执行数": executed,
        "执行率": rate,
        "结余": minus(full_year, executed),
        "分值": rules.budget_weight,
        "得分": budget_score(rate, rules.budget_weight),
        "收入合计": fin.get("决算收入"),  # the stated total, as the report states it (one figure per concept)
        "支出合计": executed,
    }
    for name, sources in (("年初预算数", ("财务.年初预算支出",)), ("全年预算数", ("财务.全年预算数",)),
                          ("调整额", ("财务.全年预算数", "财务.年初预算支出")),
                          ("调整率", ("财务.全年预算数", "财务.年初预算支出")), ("执行数", ("财务.决算支出",)),
                          ("执行率", ("财务.决算支出", "财务.全年预算数")), ("结余", ("财务.全年预算数", "财务.决算支出")),
                          ("得分", ("财务.决算支出", "财务.全年预算数")), ("收入合计", ("财务.决算收入",)),
                          ("支出合计", ("财务.决算支出",))):
        b.derive(f"预算.{name}", *sources)
    parts = (("一般公共预算", "一般公共预算拨款"), ("政府性基金拨款", "政府性基金预算财政拨款收入"),
             ("国有资本经营预算", "国有资本经营预算财政拨款收入"), ("纳入专户管理的非税收入拨款", "纳入专户管理的非税收入拨款"),
             ("其他资金", "其他收入"))
    budget["按收入性质"] = [b.bi({"名称": name, "金额": fin.get(label)}, (("名称", "name"), ("金额", "amount")))
                         for name, label in parts]
    budget["按支出性质"] = [b.bi({"名称": "基本支出", "金额": fin.get("决算基本支出")}, (("名称", "name"), ("金额", "amount"))),
                         b.bi({"名称": "项目支出", "金额": fin.get("决算项目支出")}, (("名称", "name"), ("金额", "amount")))]
    for k, (_, label) in enumerate(parts):
        b.link(f"预算.按收入性质.{k}.金额", f"财务.{label}")
    b.link("预算.按支出性质.0.金额", "财务.决算基本支出")
    b.link("预算.按支出性质.1.金额", "财务.决算项目支出")
    return b.node("预算", b.bi(budget, BUDGET_NAMES))


def _sangong(b: _Builder, grid: dict[str, dict[str, Any]], overrides: dict[str, str]) -> dict[str, Any]:
    periods = {col: b.node(f"三公经费.{col}", b.bi(dict(rows), SANGONG_ROW_NAMES)) for col, rows in grid.items()}

    def items_sentence(period: str) -> str | None:
        """"其中公务接待支出46000.00元": only when every item of the period is stated (else None)."""
        if any(periods[period][key] is None for key in SANGONG_ITEM_WORDS):
            return None
        parts = [f"{word}支出{fmt.yuan(periods[period][key])}元"
                 for key, word in SANGONG_ITEM_WORDS.items() if periods[period][key]]
        return "其中" + "，".join(parts) if parts else ""

    change = minus(periods["本年决算"]["合计"], periods["上年决算"]["合计"])
    conclusion = None if change is None else "三公经费支出未超过去年" if change <= 0 else "三公经费支出超过去年"
    out = {
        **periods,
        "变动额": change,
        "变动率": ratio(change, periods["上年决算"]["合计"]),
        "本年构成": overrides.get(schema.SENTENCES["sangong_items_actual"]) or items_sentence("本年决算"),
        "上年构成": overrides.get(schema.SENTENCES["sangong_items_prev"]) or items_sentence("上年决算"),
        "增减结论": overrides.get(schema.SENTENCES["sangong_conclusion"]) or conclusion,  # said only when stated
    }
    for name in ("变动额", "变动率", "增减结论"):
        b.derive(f"三公经费.{name}", "三公经费.本年决算.合计", "三公经费.上年决算.合计")
    for name, period in (("本年构成", "本年决算"), ("上年构成", "上年决算")):
        b.derive(f"三公经费.{name}", *(f"三公经费.{period}.{key}" for key in SANGONG_ITEM_WORDS))
    return b.node("三公经费", b.bi(out, SANGONG_NAMES))


def _english(b: _Builder, v: dict[str, Any]) -> None:
    """The English names of earlier templates, over the same values."""
    v["year"], v["prev_year"] = v["年度"], v["上年度"]
    for en, zh in (("unit", "基本信息"), ("finance", "财务"), ("budget", "预算"), ("sangong", "三公经费"),
                   ("other", "楼堂馆所及节约"), ("indicators", "绩效指标"), ("projects", "项目"),
                   ("projects_total", "项目合计"), ("score", "自评"), ("texts", "文字内容")):
        if zh in v:
            v[en] = v[zh]
    groups = v["机构"]
    internal, sub = groups.get("内设机构"), groups.get("下设机构")
    v["orgs"] = {"internal_count": internal["公布个数"] if internal else None,
                 "internal": internal["名单"] if internal else [],
                 "subunits": sub["名单"] if sub else [],
                 "subunit_summary": sub["概述"] if sub else ""}
    v["staff"] = staff_aliases(v["人员编制"])
    if "基础数据" in v:
        grid = v["基础数据"]
        rows = {r.zh: r.key for r in schema.BASE_DATA.rows}
        v["base_data"] = {en: {c.key: grid[c.zh][zh] for c in schema.PERIOD_COLUMNS} for zh, en in rows.items()}
    v["text"] = {en: v["文字内容"][zh].全文 for en, zh in schema.TEXT_SECTIONS.items() if zh in v["文字内容"]}
