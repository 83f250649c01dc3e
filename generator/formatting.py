"""Number, money, percentage and date formatting, rounded half-up as Excel rounds.

These functions are the template filters (``FILTERS``: Chinese names, with the
English names of earlier templates as aliases) and are also used by the compute
stage to write sentences, so a figure reads the same everywhere. Floats are
never formatted directly: everything goes through ``Decimal``. A blank value
(None) formats as None, which prints as nothing; ``缺省`` gives a blank value a
stand-in (``{{ 楼堂馆所及节约.规模控制率|百分比|缺省("—") }}``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_DIGITS = "零一二三四五六七八九"


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    number = getattr(value, "数值", None)  # a free fact (概况数据): its number
    if number is not None:
        return to_decimal(number)
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None or value == "":  # a blank is not stated: never a 0 (the filters leave it blank before this)
        raise TypeError("a blank value has no number")
    return Decimal(value)


def round_half_up(value: Any, places: int = 2) -> Decimal:
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip() and not hasattr(value, "数值"))


def fixed(value: Any, places: int = 2, thousands: bool = False) -> str | None:
    """``fixed(1234.5)`` → ``1234.50``; with ``thousands=True`` → ``1,234.50``."""
    if _blank(value):
        return None
    d = round_half_up(value, places)
    if d == 0:
        d = abs(d)  # no "-0.00"
    return f"{d:,f}" if thousands else f"{d:f}"


def wan(value: Any, places: int = 2, thousands: bool = False) -> str | None:
    """A 万元 figure with two decimals: ``1813.15``."""
    return fixed(value, places, thousands)


def yuan(value: Any, places: int = 2, thousands: bool = False) -> str | None:
    """A 元 figure with two decimals: ``46000.00``."""
    return fixed(value, places, thousands)


def yuan_to_wan(value: Any, places: int = 2) -> str | None:
    """元 shown in 万元: ``96380`` → ``9.64``."""
    return None if _blank(value) else fixed(to_decimal(value) / 10000, places)


def pct(value: Any, places: int = 2) -> str | None:
    """A fraction as a percentage: ``0.022623`` → ``2.26%``."""
    return None if _blank(value) else fixed(to_decimal(value) * 100, places) + "%"


def pct_auto(value: Any, places: int | None = None, max_places: int = 2) -> str | None:
    """A percentage without trailing zeros unless ``places`` is fixed: ``1`` → ``100%``, ``0.955`` → ``95.5%``."""
    if _blank(value):
        return None
    if places is not None:
        return pct(value, places)
    return number(to_decimal(value) * 100, None, max_places) + "%"


def number(value: Any, places: int | None = None, max_places: int = 2) -> str | None:
    """A number as the clerk typed it (trailing zeros dropped) or with fixed ``places``."""
    if _blank(value):
        return None
    if places is not None:
        return fixed(value, places)
    d = round_half_up(value, max_places)
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def count(value: Any) -> str | None:
    """A head count or number of offices: ``81``."""
    return fixed(value, 0)


def count_or_length(value: Any) -> Any:
    """The English ``count`` filter of earlier templates: Jinja's ``count`` (the length of a list or
    text) wherever Jinja's would work, and for a number — which Jinja cannot count — the whole number."""
    if isinstance(value, (int, Decimal, float)) and not isinstance(value, bool) or hasattr(value, "数值"):
        return count(value)
    if value is None:
        return None
    return len(value)


def score(value: Any) -> str | None:
    """A score with two decimals: ``95.29``."""
    return fixed(value, 2)


def cn_date(value: Any) -> str | None:
    """``2025-09-15`` → ``2025年9月15日`` (GB/T 9704: no zero padding)."""
    if _blank(value):
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


def circled(n: int) -> str:
    """``1`` → ``①`` (up to 20, then ``(21)``)."""
    return _CIRCLED[n - 1] if 1 <= n <= len(_CIRCLED) else f"({n})"


def cn_number(n: int) -> str:
    """``1`` → ``一``, ``12`` → ``十二``, ``20`` → ``二十`` (for 一、二、 headings, up to 99)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def enumerate_names(names: Any, last: str = "和", sep: str = "、") -> str:
    """``["A", "B", "C"]`` → ``A、B和C``."""
    items = [str(n) for n in (names or [])]
    if len(items) <= 1:
        return "".join(items)
    return sep.join(items[:-1]) + last + items[-1]


def org_summary(names: Any) -> str:
    """"3中心1站1队" from the names of the offices (suffix after removing any （…）)."""
    counts: dict[str, int] = {}
    for name in names or []:
        base = re.sub(r"[（(][^）)]*[）)]$", "", str(name).strip())
        suffix = "中心" if base.endswith("中心") else base[-1:]
        if suffix:
            counts[suffix] = counts.get(suffix, 0) + 1
    return "".join(f"{n}{s}" for s, n in counts.items())


def org_counts(summary: str) -> dict[str, int]:
    """"3中心1站1队" → {"中心": 3, "站": 1, "队": 1}."""
    out: dict[str, int] = {}
    for n, suffix in re.findall(r"(\d+)\s*([^\d\s、，,。]+)", summary or ""):
        out[suffix] = out.get(suffix, 0) + int(n)
    return out


def or_default(value: Any, fallback: str = "—") -> Any:
    """A blank value (None, empty text, a name the context lacks) shown as ``fallback``."""
    from jinja2 import Undefined

    return fallback if isinstance(value, Undefined) or _blank(value) else value


def numbered_lines(paragraphs: Any, style: str = "{n}.") -> str:
    """A text section's paragraphs one per line, numbered: ``1.甲\n2.乙`` (for a table cell)."""
    items = [p["内容"] if isinstance(p, dict) else str(p) for p in (paragraphs or [])]
    return "\n".join(style.format(n=k) + text for k, text in enumerate(items, start=1))


FILTERS = {
    # Chinese names: what a clerk writes
    "万元": wan,
    "元": yuan,
    "元折万元": yuan_to_wan,
    "百分比": pct,
    "百分数": pct_auto,
    "数字": number,
    "小数": fixed,
    "个数": count,
    "分数": score,
    "日期": cn_date,
    "带圈序号": circled,
    "中文序号": cn_number,
    "列举": enumerate_names,
    "缺省": or_default,
    "分行编号": numbered_lines,
    # English names of earlier templates (none shadows a Jinja built-in except ``count``, which keeps
    # Jinja's meaning wherever Jinja's would work: see count_or_length)
    "wan": wan,
    "yuan": yuan,
    "yuan_to_wan": yuan_to_wan,
    "pct": pct,
    "pct_auto": pct_auto,
    "number": number,
    "fixed": fixed,
    "count": count_or_length,
    "score": score,
    "cn_date": cn_date,
    "circled": circled,
    "cn_number": cn_number,
}

# The Chinese filters for the field reference: (name, English alias, what it does, example)
FILTER_DOCS = (
    ("万元", "wan", "万元金额，两位小数（四舍五入同 Excel）", "{{ 财务.资产总额|万元 }}"),
    ("元", "yuan", "元金额，两位小数", "{{ 三公经费.本年决算.合计|元 }}"),
    ("元折万元", "yuan_to_wan", "把元换算为万元，两位小数", "{{ 三公经费.本年决算.合计|元折万元 }}"),
    ("百分比", "pct", "百分数，默认两位小数；百分比(1) 为一位", "{{ 预算.调整率|百分比 }}"),
    ("百分数", "pct_auto", "百分数，去掉末尾的0", "{{ 预算.执行率|百分数 }}"),
    ("数字", "number", "数字，去掉末尾的0；数字(2) 固定两位", "{{ 财务.上年结转|数字 }}"),
    ("小数", "fixed", "固定小数位，小数(1)", "{{ 财务.资产总额|小数(1) }}"),
    ("个数", "count", "整数（人数、个数）", "{{ 人员编制.合计.核定编制|个数 }}"),
    ("分数", "score", "分数，两位小数", "{{ 自评.总分|分数 }}"),
    ("日期", "cn_date", "中文日期，如 2025年9月15日", "{{ 基本信息.报告日期|日期 }}"),
    ("带圈序号", "circled", "带圈序号 ①②③", "{{ loop.index|带圈序号 }}"),
    ("中文序号", "cn_number", "中文数字 一二三", "{{ loop.index|中文序号 }}"),
    ("列举", "", "名单连写为“甲、乙和丙”；列举('及') 改用“及”", "{{ 机构.内设机构.名单|列举 }}"),
    ("缺省", "", "空白时显示的文字，默认“—”", "{{ 楼堂馆所及节约.规模控制率|百分比|缺省 }}"),
    ("分行编号", "", "一个栏目的各段，每段一行并编号（用于表格单元格）", "{{ 文字内容.绩效总目标|分行编号 }}"),
)
