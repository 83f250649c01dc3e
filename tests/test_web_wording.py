"""No message on the page tells a clerk to type a command or read ``docs/`` (issue 25 item 6): every library
message that can reach the page, as the page says it, names what to do on the page instead. The messages
written only at the command line or into workbooks are listed here by name."""

from __future__ import annotations

import re
import string

from generator.messages import MESSAGES
from generator.web.wording import for_page

CLI_ONLY = {  # said at the command line, or written into the clerk's workbook: never on the page
    "data_dir_missing", "init_prev_missing", "init_note", "wb_instructions", "new_unit_note", "new_unit_done",
    "new_unit_beside_single", "year_required", "web_no_admin", "web_port_busy", "web_proxy_bad", "init_exists",
    "new_unit_exists", "web_admin_exists", "new_unit_workbook_done",
}
COMMAND = re.compile(r"generate |docs/|(?<![\w-])--[a-z]")


class Values(dict):
    def __missing__(self, key: str) -> str:
        return "2024"


class Formatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        return format(2024, format_spec) if format_spec else str(value)


def test_no_message_on_the_page_names_a_command_or_a_document() -> None:
    said = {}
    for key, text in MESSAGES.items():
        if key in CLI_ONLY or key.startswith(("help_", "cli_")):
            continue
        page = for_page(Formatter().vformat(text, (), Values()))
        if COMMAND.search(page):
            said[key] = page
    assert said == {}


def test_what_the_page_says_instead() -> None:
    text = MESSAGES["output_edited"].format(path="output/2024/报告.docx", backup_hint="报告.备份.docx")
    assert for_page(text).endswith("如确需重新生成，请勾选“覆盖手工修改过的文件”再生成（会先备份为 报告.备份.docx）。")
    text = MESSAGES["year_mismatch"].format(found=2023, year=2024)
    assert for_page(text) == "工作簿中的年度为 2023，但这是 2024 年度的页面。请上传 2024 年度的工作簿，或到该年度的页面上传。"
    text = MESSAGES["audit_previous_unreadable"].format(name="2023.xlsx", year=2023)
    assert for_page(text) == "上年工作簿 2023.xlsx 有错误，未与上年数据比对（请打开上一年度的页面查看它的问题）。"
