"""Number, money, percentage and date formatting, rounded half-up as Excel rounds.

These functions are the template filters (see ``FILTERS``) and are also used by
the compute stage to write sentences, so a figure reads the same everywhere.
Floats are never formatted directly: everything goes through ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_DIGITS = "零一二三四五六七八九"


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None or value == "":
        return Decimal(0)
    return Decimal(value)


def round_half_up(value: Any, places: int = 2) -> Decimal:
    return to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fixed(value: Any, places: int = 2, thousands: bool = False) -> str:
    """``fixed(1234.5)`` → ``1234.50``; with ``thousands=True`` → ``1,234.50``."""
    d = round_half_up(value, places)
    if d == 0:
        d = abs(d)  # no "-0.00"
    return f"{d:,f}" if thousands else f"{d:f}"


def wan(value: Any, places: int = 2, thousands: bool = False) -> str:
    """A 万元 figure with two decimals: ``1813.15``."""
    return fixed(value, places, thousands)


def yuan(value: Any, places: int = 2, thousands: bool = False) -> str:
    """A 元 figure with two decimals: ``46000.00``."""
    return fixed(value, places, thousands)


def yuan_to_wan(value: Any, places: int = 2) -> str:
    """元 shown in 万元: ``96380`` → ``9.64``."""
    return fixed(to_decimal(value) / 10000, places)


def pct(value: Any, places: int = 2) -> str:
    """A fraction as a percentage: ``0.022623`` → ``2.26%``."""
    return fixed(to_decimal(value) * 100, places) + "%"


def pct_auto(value: Any, places: int | None = None, max_places: int = 2) -> str:
    """A percentage without trailing zeros unless ``places`` is fixed: ``1`` → ``100%``, ``0.955`` → ``95.5%``."""
    if places is not None:
        return pct(value, places)
    return number(to_decimal(value) * 100, None, max_places) + "%"


def number(value: Any, places: int | None = None, max_places: int = 2) -> str:
    """A number as the clerk typed it (trailing zeros dropped) or with fixed ``places``."""
    if places is not None:
        return fixed(value, places)
    d = round_half_up(value, max_places)
    text = f"{d:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def count(value: Any) -> str:
    """A head count or number of offices: ``81``."""
    return fixed(value, 0)


def score(value: Any) -> str:
    """A score with two decimals: ``95.29``."""
    return fixed(value, 2)


def cn_date(value: Any) -> str:
    """``2025-09-15`` → ``2025年9月15日`` (GB/T 9704: no zero padding)."""
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


FILTERS = {
    "wan": wan,
    "yuan": yuan,
    "yuan_to_wan": yuan_to_wan,
    "pct": pct,
    "pct_auto": pct_auto,
    "number": number,
    "fixed": fixed,
    "count": count,
    "score": score,
    "cn_date": cn_date,
    "circled": circled,
    "cn_number": cn_number,
}

FILTER_DOCS = {
    "wan": ("万元金额，两位小数（四舍五入同 Excel）", "{{ finance.assets_total|wan }}"),
    "yuan": ("元金额，两位小数", "{{ sangong.actual.total|yuan }}"),
    "yuan_to_wan": ("把元换算为万元，两位小数", "{{ sangong.actual.total|yuan_to_wan }}"),
    "pct": ("百分数，默认两位小数", "{{ budget.adjustment_rate|pct }}"),
    "pct_auto": ("百分数，去掉末尾的0", "{{ budget.execution_rate|pct_auto }}"),
    "number": ("数字，去掉末尾的0；number(2) 固定两位", "{{ x|number }}"),
    "fixed": ("固定小数位，fixed(1)", "{{ x|fixed(1) }}"),
    "count": ("整数（人数、个数）", "{{ staff.total.established|count }}"),
    "score": ("分数，两位小数", "{{ score.total|score }}"),
    "cn_date": ("中文日期，如 2025年9月15日", "{{ unit.report_date|cn_date }}"),
    "circled": ("带圈序号 ①②③", "{{ loop.index|circled }}"),
    "cn_number": ("中文数字 一二三", "{{ loop.index|cn_number }}"),
}
