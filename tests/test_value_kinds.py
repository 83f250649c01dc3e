"""Only stated kinds of values in text (issue 27, item 4): a placeholder or a tag that yields a group, a list, a
yes/no or an object is a located error, never its Python repr; a TRUE fact prints 是/否 only when its 类型 says
是否, and is refused otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from conftest import REPORT_NAME, append_rows, run_cli, set_cells
from test_bad_input import assert_refused, plant, template_path


def report_texts(project: Path) -> list[str]:
    return [p.text for p in Document(project / "output" / "2024" / REPORT_NAME).paragraphs]


@pytest.mark.parametrize("tag, kind", [
    ("{{ 财务 }}", "一组数据"),
    ("{{ 文字内容.单位职责 }}", "一个列表"),
    ("{{ 年度 > 2000 }}", "是非值（TRUE/FALSE）"),
    ("{{ range(3) }}", "程序内部对象"),
], ids=["group", "list", "boolean", "object"])
def test_a_tag_that_prints_no_text_is_refused_at_its_paragraph(project: Path, tag: str, kind: str) -> None:
    plant(project, "甲" + tag)
    out = assert_refused(project, f"模板 {template_path(project)} 第5段“甲{tag}”输出的是{kind}，不是文字或数字")
    assert "dict" not in out and "{'" not in out and "True" not in out
    assert not (project / "output" / "2024" / REPORT_NAME).exists()
    check = run_cli(project, "--template-check")
    assert check.exit_code == 1 and f"输出的是{kind}" in check.output


@pytest.mark.parametrize("placeholder, kind", [("{财务}", "一组数据"), ("{机构.内设机构.名单}", "一个列表")])
def test_a_placeholder_naming_a_group_is_refused_at_its_cell(project: Path, placeholder: str, kind: str) -> None:
    set_cells(project / "data" / "2024.xlsx", "文字内容", {"C3": "资产情况见" + placeholder + "。"})
    assert_refused(project, f"2024.xlsx › 文字内容 › C3：内容中的占位符 {placeholder} 指向的是{kind}，不是文字或数字")


def test_a_true_fact_without_a_yes_no_type_is_refused(project: Path) -> None:
    append_rows(project / "data" / "2024.xlsx", "概况数据", [["通村公路", True, "个", None]])
    plant(project, "通村公路：{{ 概况数据.通村公路 }}")
    out = assert_refused(project, "2024.xlsx › 概况数据 › B3：“通村公路”的数值为 TRUE（是非值）",
                         "请把“类型”填为“是否”")
    assert "True个" not in out


def test_a_yes_no_fact_prints_yes_or_no(project: Path) -> None:
    append_rows(project / "data" / "2024.xlsx", "概况数据", [["通村公路", True, None, "是否"],
                                                           ["集中供水", "否", None, "是否"]])
    plant(project, "通村公路：{{ 概况数据.通村公路 }}；集中供水：{{ 概况数据.集中供水 }}")
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    texts = report_texts(project)
    assert "通村公路：是；集中供水：否" in texts
    assert not any("True" in t or "False" in t for t in texts)


def test_a_text_amplified_by_its_placeholders_is_refused_at_its_cell(project: Path) -> None:
    """A fact of 19,000 characters named 3,000 times in each of a few cells would make gigabytes: refused at the
    first cell that passes 100,000 characters, without building the rest."""
    import resource
    import time

    workbook = project / "data" / "2024.xlsx"
    append_rows(workbook, "概况数据", [["长文", "字" * 19000, None, "文字"]])
    set_cells(workbook, "文字内容", {f"C{row}": "{长文}" * 3000 for row in (3, 4, 5)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    out = assert_refused(project, "2024.xlsx › 文字内容 › C3：内容中的占位符填入后超过 100000 字",
                         "2024.xlsx › 文字内容 › C5：内容中的占位符填入后超过 100000 字")
    assert time.monotonic() - start < 20
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 300
    assert "Traceback" not in out
