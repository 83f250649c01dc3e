"""The library's messages said for the page: what they tell a clerk to type at a command line or read in
``docs/`` becomes what to do on the page (issue 25 item 6). ``Site.display`` applies it to every message."""

from __future__ import annotations

import re

from ..messages import msg

# (what the CLI's message says, the message key of what the page says instead)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), k) for p, k in (
    (r"（可单独运行 generate (?:--year \S+ --check|check --year \S+) 查看）", "web_say_previous"),
    (r"可用变量见 docs/fields\.md。", "web_say_fields"),
    (r"（全部名称见 docs/fields\.md，或(?:加 --template-check|运行 generate template-check) --fields 列出）",
     "web_say_fields_paren"),
    (r"（含义和示例值见 docs/fields\.md；", "web_say_fields_open"),
    (r"表的格式见 generate (?:--)?new-unit 生成的空白工作簿", "web_say_blank"),
    (r"（generate (?:--)?template-check 可单独检查模板）", "web_say_template_check"),
    (r"如确需重新生成，请加 --force（会先备份为 ([^）]*)）", "web_say_force"),
    (r"请稍后再运行，或用 --wait 延长等待时间。", "web_say_wait"),
    (r"如确需更长时间，可加 --limit-seconds。", "web_say_limit"),
    (r"如确需更多内存，可加 --limit-mb。", "web_say_limit"),
    (r"请单独运行 generate --year \S+ --unit \S+ 查看原因。", "web_say_unit_alone"),
    (r"，按 --strict 未生成报告", "web_say_strict"),
    (r"加 --fields 可列出模板中可以使用的全部名称。", "web_say_fields"),
    (r"可用 generate rules 另写一份评分规则工作簿对照。", "web_say_rules"),
    (r"但命令要求生成 (\S+) 年的报告（--year \S+）。请核对文件或年度。", "web_say_year"),
))


def for_page(text: str) -> str:
    for pattern, key in _RULES:
        text = pattern.sub(lambda m, key=key: msg(key, **{f"g{i}": g for i, g in enumerate(m.groups(), 1)}), text)
    return text
