"""Values by name: the one lookup of a dotted name (``预算.执行率``) in a context, and how a name prints.

Templates, 文字内容 placeholders (``{预算.调整额}``), 核对数据 and the field
reference all name values the same way; this is where such a name is looked
up and where the kind of figure it names (money in 万元 or 元, a rate, a score)
is told from the name, so that a placeholder and the audit print it alike.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import formatting as fmt
from . import schema


def lookup(values: Any, name: str) -> Any:
    """The value at a dotted name (list items by index); KeyError when there is none."""
    value = values
    for part in name.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(name)
    return value


def full_name(name: str) -> str:
    """A short placeholder name (``预算调整``) as the full name (``预算.调整额``)."""
    name = name.strip()
    return schema.PLACEHOLDER_ALIASES.get(name, name)


def placeholder_value(values: dict[str, Any], name: str) -> Any:
    """The context value a placeholder names: ``预算.调整额``, a short alias, or a fact's name alone."""
    name = name.strip()
    facts = values.get("概况数据") or {}
    if "." not in name and name in facts:
        return facts[name]
    return lookup(values, full_name(name))


COUNT_LEAVES = ("核定编制", "实有人数", "超编人数", "公布个数", "个数")


def kind_of(name: str) -> str:
    """What a named figure is: ``pct`` (a rate), ``count`` (人, 个), ``yuan`` (三公经费, in 元), ``score``,
    else ``wan`` (万元)."""
    full = full_name(name)
    leaf = full.rsplit(".", 1)[-1]
    if leaf.endswith(COUNT_LEAVES):
        return "count"
    if leaf.endswith("率"):
        return "pct"
    if full.startswith("三公经费"):
        return "yuan"
    if full.startswith("自评") or leaf in ("得分", "分值", "满分"):
        return "score"
    return "wan"


class NotText(ValueError):
    """A value that is not a text, a number or a date (a group, a list, a yes/no, an object): nothing to print."""

    def __init__(self, value: Any):
        super().__init__(type(value).__name__)
        self.kind = value_kind(value)


def value_kind(value: Any) -> str:
    """What a value that cannot be printed is, in the messages' words (``kind_group``, ``kind_list``, …)."""
    if isinstance(value, bool):
        return "kind_boolean"
    if isinstance(value, dict):
        return "kind_group"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "kind_list"
    return "kind_object"


def placeholder_text(name: str, value: Any) -> str:
    """A placeholder's value as the report prints it: money with two decimals, rates as percentages.
    ``NotText`` for a group, a list, a yes/no or an object."""
    if isinstance(value, str):  # a text, or a fact (printed with its unit)
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)) and not hasattr(value, "year"):
        raise NotText(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        kind = kind_of(name)
        return {"pct": fmt.pct, "yuan": fmt.yuan, "score": fmt.score}.get(kind, fmt.wan)(value)
    if hasattr(value, "year"):
        return fmt.cn_date(value)
    return str(value)
