"""Hostile and messy input (issue 5): every bad input gives a clear Chinese message naming the place,
a non-zero exit, no traceback, and no new or changed file under the output folder.

Each case builds its bad input in a throw-away copy of ``data/`` and ``templates/`` and runs the
real CLI through click's CliRunner.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from conftest import EXAMPLE, set_cells
from generator.cli import main
from generator.errors import UserError
from generator.write import LOCK, Folder, atomic_write

WB = "2024.xlsx"
HEADING = "一、单位概况"  # a plain paragraph of the default template, used as the place to plant bad tags


# ----------------------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones included) with the SHA-256 of its content — but the empty lock
    file a run leaves in an output folder it held (``write.LOCK``: filelock keeps it on Linux, by design)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK}


def run_cli(project: Path, *extra: str):
    args = ["--year", "2024", "--data", str(project / "data"), "--templates", str(project / "templates"),
            "--out", str(project / "output"), *extra]
    return CliRunner().invoke(main, args)


def assert_refused(project: Path, *places: str, extra: tuple[str, ...] = ()) -> str:
    """Run the CLI; assert a clean refusal naming every one of ``places``; return the output."""
    out_dir = project / "output"
    before = snapshot(out_dir)
    result = run_cli(project, *extra)
    output = result.output
    assert result.exit_code == 1, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output
    for place in places:
        assert place in output, f"{place!r} not in:\n{output}"
    assert snapshot(out_dir) == before, "the output folder changed"
    return output


def edit_workbook(project: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    path = project / "data" / WB
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def field_row(wb: openpyxl.Workbook, sheet: str, label: str) -> int:
    for row in wb[sheet].iter_rows(min_col=1, max_col=1):
        if row[0].value is not None and str(row[0].value).strip() == label:
            return row[0].row
    raise KeyError(label)


def set_label(project: Path, sheet: str, label: str, value: object) -> str:
    """Set the value (column B) of the row labelled ``label``; return its address."""
    coord: list[str] = []

    def edit(wb: openpyxl.Workbook) -> None:
        coord.append(f"B{field_row(wb, sheet, label)}")
        wb[sheet][coord[0]] = value

    edit_workbook(project, edit)
    return coord[0]


def place(sheet: str, cell: str | None = None) -> str:
    return " › ".join(p for p in (WB, sheet, cell) if p)


def template_path(project: Path) -> Path:
    return project / "templates" / "default" / "report.docx"


def plant(project: Path, text: str, second_paragraph: str | None = None) -> None:
    """Replace the text of the template's HEADING paragraph (and, optionally, of the next one)."""
    path = template_path(project)
    doc = Document(path)
    paragraphs = doc.paragraphs
    index = next(i for i, p in enumerate(paragraphs) if p.text == HEADING)
    for k, new in ((index, text), (index + 1, second_paragraph)):
        if new is None:
            continue
        p = paragraphs[k]
        for r in p.runs[1:]:
            r._r.getparent().remove(r._r)
        p.runs[0].text = new
    doc.save(path)


def replace_workbook(project: Path, data: bytes, name: str = WB) -> None:
    (project / "data" / WB).unlink()
    (project / "data" / name).write_bytes(data)


def ole2_bytes(encrypted: bool) -> bytes:
    """Bytes that start like an OLE2 compound file; an encrypted .xlsx holds an EncryptedPackage stream."""
    body = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1016)
    name = "EncryptedPackage" if encrypted else "Workbook"
    body += name.encode("utf-16-le") + b"\0" * 2048
    return bytes(body)


# ----------------------------------------------------------------------------- files


def test_no_workbook_for_the_year_lists_what_is_there(project: Path) -> None:
    (project / "data" / WB).rename(project / "data" / "2023.xlsx")
    out = assert_refused(project, "2024", "2023.xlsx")
    assert "找不到" in out


def test_lock_file_is_skipped_and_real_files_listed(project: Path) -> None:
    (project / "data" / WB).rename(project / "data" / "2023.xlsx")
    (project / "data" / "~$2024.xlsx").write_bytes(b"\x0clock")
    out = assert_refused(project, "2023.xlsx")
    assert "~$" not in out


@pytest.mark.parametrize("ext", [".xls", ".et"])
def test_old_formats_get_save_as_instructions(project: Path, ext: str) -> None:
    replace_workbook(project, ole2_bytes(encrypted=False), f"2024{ext}")
    out = assert_refused(project, f"2024{ext}")
    assert "另存为" in out and ".xlsx" in out


def test_text_file_named_xlsx(project: Path) -> None:
    replace_workbook(project, "这不是表格".encode())
    assert "不是有效的 .xlsx" in assert_refused(project, WB)


def test_empty_file(project: Path) -> None:
    replace_workbook(project, b"")
    assert "不是有效的 .xlsx" in assert_refused(project, WB)


def test_truncated_workbook(project: Path) -> None:
    data = EXAMPLE.read_bytes()
    replace_workbook(project, data[: len(data) // 2])
    assert "不是有效的 .xlsx" in assert_refused(project, WB)


def test_word_document_renamed_to_xlsx(project: Path) -> None:
    replace_workbook(project, template_path(project).read_bytes())
    assert "不是有效的 .xlsx" in assert_refused(project, WB)


def test_password_protected_workbook(project: Path) -> None:
    replace_workbook(project, ole2_bytes(encrypted=True))
    assert "密码" in assert_refused(project, WB)


def test_xls_renamed_to_xlsx(project: Path) -> None:
    replace_workbook(project, ole2_bytes(encrypted=False))
    assert "另存为" in assert_refused(project, WB)


def test_zip_bomb(project: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(260):  # 260 MB of zeros, about 250 KB compressed
                fh.write(chunk)
    assert len(buf.getvalue()) < 2 * 1024 * 1024
    replace_workbook(project, buf.getvalue())
    out = assert_refused(project, WB, "xl/worksheets/sheet1.xml")
    assert "上限 40 MB" in out and "已拒绝读取" in out


def test_data_folder_missing(project: Path) -> None:
    shutil.rmtree(project / "data")
    assert "数据文件夹" in assert_refused(project, str(project / "data"))


# ----------------------------------------------------------------------------- workbook structure


def test_missing_required_sheet(project: Path) -> None:
    edit_workbook(project, lambda wb: wb.remove(wb["基本信息"]))
    assert "缺少工作表" in assert_refused(project, place("基本信息"))


def test_missing_sheet_the_template_uses(project: Path) -> None:
    edit_workbook(project, lambda wb: wb.remove(wb["财务"]))
    out = assert_refused(project, "财务.资产总额", "模板第17段")
    assert "请在 2024.xlsx 中添加“财务”表" in out


def test_missing_column(project: Path) -> None:
    set_cells(project / "data" / WB, "绩效指标", {"H2": "分数"})
    assert "分值" in assert_refused(project, place("绩效指标"))


def test_missing_row(project: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:
        wb["基本信息"][f"A{field_row(wb, '基本信息', '单位全称')}"] = "单位名"

    edit_workbook(project, edit)
    assert "单位全称" in assert_refused(project, place("基本信息"))


def test_merged_cells_in_data_area(project: Path) -> None:
    edit_workbook(project, lambda wb: wb["机构"].merge_cells("B3:B4"))
    assert "合并" in assert_refused(project, place("机构", "B3:B4"))


# ----------------------------------------------------------------------------- cell values


def test_empty_required_cell(project: Path) -> None:
    coord = set_label(project, "基本信息", "单位全称", None)
    assert "必填" in assert_refused(project, place("基本信息", coord))


def test_chinese_numeral_refused(project: Path) -> None:
    coord = set_label(project, "财务", "资产总额", "一千")
    assert "阿拉伯数字" in assert_refused(project, place("财务", coord), "一千")


def test_number_with_wan_suffix_refused(project: Path) -> None:
    coord = set_label(project, "财务", "流动资产", "1,234.5万")
    assert "不要带单位" in assert_refused(project, place("财务", coord), "1,234.5万")


def test_negative_money(project: Path) -> None:
    coord = set_label(project, "财务", "负债总额", -12.5)
    assert "负数" in assert_refused(project, place("财务", coord))


def test_absurdly_large_number(project: Path) -> None:
    coord = set_label(project, "财务", "资产总额", 1e20)
    assert "过大" in assert_refused(project, place("财务", coord))


def test_count_with_fraction(project: Path) -> None:
    set_cells(project / "data" / WB, "人员编制", {"D3": 81.5})  # 合计 › 核定编制
    assert "整数" in assert_refused(project, place("人员编制", "D3"))


def test_percent_typed_as_plain_number(project: Path) -> None:
    def edit(wb: openpyxl.Workbook) -> None:  # unit “%”: 85 typed in a General cell where 85% was meant
        wb["绩效指标"]["E13"] = 85
        wb["绩效指标"]["E13"].number_format = "General"

    edit_workbook(project, edit)
    out = assert_refused(project, place("绩效指标", "E13"))
    assert "85%" in out


def test_date_as_unreadable_text(project: Path) -> None:
    coord = set_label(project, "基本信息", "报告日期", "去年九月")
    assert "日期" in assert_refused(project, place("基本信息", coord), "去年九月")


def test_year_differs_from_command(project: Path) -> None:
    coord = set_label(project, "基本信息", "年度", 2023)
    assert "--year 2024" in assert_refused(project, place("基本信息", coord), "2023")


def test_wrong_choice_in_drop_down_column(project: Path) -> None:
    set_cells(project / "data" / WB, "绩效指标", {"I3": "完成得很好"})  # 评价等级: 达成 / 部分达成 / 未达成
    assert "部分达成" in assert_refused(project, place("绩效指标", "I3"), "完成得很好")


def test_unknown_placeholder_in_text(project: Path) -> None:
    set_cells(project / "data" / WB, "文字内容", {"C3": "全年预算调整{预算调正}万元"})
    assert "占位符" in assert_refused(project, place("文字内容", "C3"), "预算调正")


def test_unpaired_brace_in_text(project: Path) -> None:
    set_cells(project / "data" / WB, "文字内容", {"C3": "全年预算调整{预算调整万元"})
    assert "花括号" in assert_refused(project, place("文字内容", "C3"))


def test_excel_error_value(project: Path) -> None:
    coord = set_label(project, "财务", "资产总额", "#DIV/0!")
    assert "错误值" in assert_refused(project, place("财务", coord), "#DIV/0!")


def test_formula_without_cached_value(project: Path) -> None:
    # openpyxl (like other non-calculating programs) saves formulas with no result
    coord = set_label(project, "财务", "资产总额", "=B4+B5")
    out = assert_refused(project, place("财务", coord), "=B4+B5")
    assert "保存一次" in out


def test_all_problems_reported_at_once(project: Path) -> None:
    path = project / "data" / WB
    set_cells(path, "绩效指标", {"I3": "完成得很好", "E13": "八成"})
    a = set_label(project, "财务", "资产总额", "一千")
    b = set_label(project, "基本信息", "报告日期", "去年九月")
    out = assert_refused(project, place("绩效指标", "I3"), place("绩效指标", "E13"), place("财务", a),
                         place("基本信息", b))
    assert "处问题" in out and out.count("2024.xlsx › ") >= 4


@pytest.mark.parametrize("name", ["CON", "..", "aux.txt"])
def test_unit_name_unusable_as_file_name(project: Path, name: str) -> None:
    set_label(project, "基本信息", "单位全称", name)
    assert "不能用作文件名" in assert_refused(project, name)


# ----------------------------------------------------------------------------- templates


@pytest.mark.parametrize("attack, attribute", [
    ("{{ ''.__class__.__mro__ }}", "__class__"),
    ("{{ cycler.__init__.__globals__ }}", "__init__"),
    ("{{ self._TemplateReference__context }}", "_TemplateReference__context"),
    ("{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}", "__class__"),
    ("{{ '{0.__class__}'.format(1) }}", "__class__"),
])
def test_template_attack_is_refused_with_its_paragraph(project: Path, attack: str, attribute: str) -> None:
    plant(project, attack)
    out = assert_refused(project, str(template_path(project)), "不允许", attribute, "第5段", attack[:20])


@pytest.mark.parametrize("bomb", ["{{ 99999**99999 }}", "{{ 'x' * 100000000000 }}",
                                  "{% for i in range(10**9) %}{% endfor %}", "{{ 'x'|center(2000000000) }}"])
def test_template_resource_bomb_is_refused(project: Path, bomb: str) -> None:
    plant(project, bomb)
    assert "不允许" in assert_refused(project, str(template_path(project)))


def test_template_unclosed_for(project: Path) -> None:
    plant(project, "{% for x in 文字内容.单位职责 %}{{ x.内容 }}")
    out = assert_refused(project, str(template_path(project)), "endfor", "第5段")
    assert "“{% for x in 文字内容.单位职责 %}”没有对应的 endfor" in out


def test_template_two_paragraph_tags_in_one_paragraph(project: Path) -> None:
    plant(project, "{%p if 年度 %}{%p endif %}")
    assert "同一段中有多个段落/行/列标签" in assert_refused(project, str(template_path(project)), "第5段")


def test_template_row_tag_outside_table(project: Path) -> None:
    plant(project, "{%tr for x in 文字内容.单位职责 %}", "{%tr endfor %}")
    assert "只能用在表格单元格中" in assert_refused(project, str(template_path(project)), "第5段", "第6段")


def test_template_tag_split_across_paragraphs(project: Path) -> None:
    plant(project, "{{ 基本信息.单位全称", " }}")
    assert "同一段" in assert_refused(project, str(template_path(project)), "第5段", "第6段")


def test_template_stray_closing_braces(project: Path) -> None:
    plant(project, HEADING + " }}")
    assert_refused(project, str(template_path(project)), "第5段", HEADING)


def test_template_malformed_tag(project: Path) -> None:
    plant(project, "{{ 基本信息.单位全称 | }}")
    out = assert_refused(project, str(template_path(project)), "第5段")
    assert "写法有误：此处应为一个名称，却是标签结尾“}}”" in out


def test_template_unknown_variable(project: Path) -> None:
    plant(project, "{{ 基本信息.单位昵称 }}")
    out = assert_refused(project, "基本信息.单位昵称", "模板第5段")
    assert "是否应为“基本信息.单位简称”" in out


def test_template_that_is_not_a_docx(project: Path) -> None:
    template_path(project).write_bytes(b"PK\x03\x04 not really a zip")
    assert "不是有效的 Word" in assert_refused(project, str(template_path(project)))


# ----------------------------------------------------------------------------- output


def test_hand_edited_report_is_kept(project: Path) -> None:
    first = run_cli(project)
    assert first.exit_code == 0, first.output
    report = next((project / "output" / "2024").glob("*报告.docx"))
    report.write_bytes(report.read_bytes() + b"edited")
    out = assert_refused(project, str(report))
    assert "--force" in out and "手工" in out


def test_force_backs_up_the_edited_report(project: Path) -> None:
    assert run_cli(project).exit_code == 0
    report = next((project / "output" / "2024").glob("*报告.docx"))
    edited = report.read_bytes() + b"edited"
    report.write_bytes(edited)
    result = run_cli(project, "--force")
    assert result.exit_code == 0, result.output
    backups = list(report.parent.glob("*.备份-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited
    assert "已备份" in result.output and backups[0].name in result.output
    Document(report)  # the new report is a sound document


def test_report_open_in_word_gets_close_it_message(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def locked(src, dst):  # Windows refuses to replace a file Word holds open
        if str(dst).endswith(".docx"):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    out = assert_refused(project, "报告.docx")
    assert "关闭" in out
    assert not list((project / "output").rglob(".tmp-*"))


def test_atomic_write_permission_denied_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "报告.docx"
    target.parent.mkdir()
    target.write_bytes(b"old")

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(UserError) as info:
        atomic_write(target, b"new")
    assert "Word 或 WPS" in str(info.value) and str(target) in str(info.value)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["报告.docx"]


def test_a_set_is_written_all_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    (tmp_path / "blocked").write_text("a file where a folder should be")
    bad = tmp_path / "blocked" / "b.docx"  # cannot be staged
    with Folder(folder) as out:
        with pytest.raises(UserError) as info:
            out.write({folder / "a.docx": b"A", bad: b"B"})
    assert str(bad) in str(info.value)
    assert sorted(p.name for p in folder.iterdir()) == [".generated.lock"]  # a.docx was staged, then removed


def test_written_files_are_not_private(project: Path) -> None:
    assert run_cli(project).exit_code == 0
    report = next((project / "output" / "2024").glob("*报告.docx"))
    mask = os.umask(0)
    os.umask(mask)
    assert report.stat().st_mode & 0o777 == 0o666 & ~mask


# ----------------------------------------------------------------------------- paths that are not files (issue 14)


def test_dangling_link_for_the_workbook(project: Path) -> None:
    (project / "data" / WB).unlink()
    (project / "data" / WB).symlink_to(project / "elsewhere" / WB)
    out = assert_refused(project, str(project / "data" / WB))
    assert "失效的快捷方式（链接）" in out


def test_fifo_for_the_workbook(project: Path) -> None:
    (project / "data" / WB).unlink()
    os.mkfifo(project / "data" / WB)  # a reader that opened it would wait for ever
    out = assert_refused(project, str(project / "data" / WB))
    assert "管道（FIFO）" in out


def test_folder_named_like_the_workbook(project: Path) -> None:
    (project / "data" / WB).unlink()
    (project / "data" / WB).mkdir()
    assert "是一个文件夹" in assert_refused(project, str(project / "data" / WB))


# ----------------------------------------------------------------------------- workbooks that cost more than they should


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_members(path: Path, members: dict[str, bytes], level: int = 6) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


BASIC_PART = "xl/worksheets/sheet2.xml"  # the example's 基本信息 sheet


def test_part_with_a_huge_comment_is_refused_quickly(project: Path) -> None:
    """A small file whose sheet XML holds a 190 MB comment: refused on the part's size, before any parsing."""
    path = project / "data" / WB
    members = zip_members(path)
    xml = members[BASIC_PART]
    members[BASIC_PART] = xml[:xml.index(b"<sheetData")] + b"<!--" + b" " * (190 * 1024 * 1024) + b"-->" \
        + xml[xml.index(b"<sheetData"):]
    write_members(path, members, level=1)
    assert path.stat().st_size < 2 * 1024 * 1024
    out = assert_refused(project, WB, BASIC_PART, "工作表“基本信息”")
    assert "解压后约 190 MB" in out and "上限 40 MB" in out


def _central_offset(data: bytes, name: str) -> int:
    """Where the central directory entry of member ``name`` starts."""
    at = 0
    encoded = name.encode("utf-8")
    while True:
        at = data.index(b"PK\x01\x02", at)
        length = int.from_bytes(data[at + 28: at + 30], "little")
        if data[at + 46: at + 46 + length] == encoded:
            return at
        at += 4


def test_bad_crc_names_the_part(project: Path) -> None:
    path = project / "data" / WB
    data = bytearray(path.read_bytes())
    at = _central_offset(bytes(data), BASIC_PART) + 16  # the CRC-32 field zipfile checks against
    data[at: at + 4] = (int.from_bytes(data[at: at + 4], "little") ^ 0xFFFF).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    out = assert_refused(project, WB, BASIC_PART, "工作表“基本信息”")
    assert "校验码（CRC）不符" in out and "另存为" in out


def test_corrupt_compressed_data_names_the_part(project: Path) -> None:
    path = project / "data" / WB
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(BASIC_PART)
    local = info.header_offset
    start = local + 30 + int.from_bytes(data[local + 26: local + 28], "little") \
        + int.from_bytes(data[local + 28: local + 30], "little")
    data[start + 10: start + 60] = b"\xff" * 50  # the DEFLATE stream, garbled
    path.write_bytes(bytes(data))
    out = assert_refused(project, WB, BASIC_PART, "工作表“基本信息”")
    assert "已损坏" in out and ("压缩数据无法解压" in out or "校验码（CRC）不符" in out)
    assert "程序内部错误" not in out


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
    b'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd">',
], ids=["entities", "external-entity", "external-dtd"])
def test_entity_declarations_name_the_part(project: Path, doctype: bytes) -> None:
    path = project / "data" / WB
    members = zip_members(path)
    xml = members[BASIC_PART]
    members[BASIC_PART] = doctype + xml
    write_members(path, members)
    out = assert_refused(project, WB, BASIC_PART, "工作表“基本信息”")
    assert "实体声明" in out


def test_text_cell_of_four_million_characters_is_refused_at_its_cell(project: Path) -> None:
    """Excel stops a cell at 32,767 characters, other programs do not: the XML is written here directly."""
    coord = set_label(project, "基本信息", "办公地址", "占位")
    path = project / "data" / WB
    members = zip_members(path)
    xml = members[BASIC_PART].decode("utf-8")
    cell = re.search(rf'<c r="{coord}"[^>]*>.*?</c>', xml).group(0)
    long_cell = re.sub(r"<t>.*?</t>", "<t>" + "甲" * 4_000_000 + "</t>", cell)
    members[BASIC_PART] = xml.replace(cell, long_cell).encode("utf-8")
    write_members(path, members)
    out = assert_refused(project, place("基本信息", coord))
    assert "有 4000000 个字，超过一个单元格的上限 20000 字" in out


# ----------------------------------------------------------------------------- a column inserted (issue 14)


@pytest.mark.parametrize("sheet, label", [("基本信息", "单位全称"), ("财务", "资产总额")])
def test_values_one_column_to_the_right_are_a_probable_inserted_column(project: Path, sheet: str,
                                                                       label: str) -> None:
    """The values moved one column right under an unchanged 内容 header (a column inserted below the header,
    or pasted one column off): named once, at the first value cell, as a probable inserted column."""
    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws.move_range(f"B3:B{ws.max_row}", cols=1)  # over the 单位 column, as a paste would

    edit_workbook(project, edit)
    out = assert_refused(project, place(sheet, "B3"))
    assert "B 列的数据全部为空，而右边的 C 列有数据：可能插入了一列" in out


def test_a_column_inserted_before_b_with_its_header_is_read_from_the_new_place(project: Path) -> None:
    """Excel moves the 内容 header with an inserted column: the values are read where the header is now."""
    edit_workbook(project, lambda wb: wb["财务"].insert_cols(2))
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    report = next((project / "output" / "2024").glob("*报告.docx"))
    text = "\n".join(p.text for p in Document(report).paragraphs)
    assert "资产总额" in text and "未填写" not in result.output


# ----------------------------------------------------------------------------- text that disguises itself (issue 14)


def test_invisible_format_characters_are_removed_with_a_located_notice(project: Path) -> None:
    """A right-to-left override (U+202E) shows "镇政府" as "府政镇"; zero-width spaces and a BOM hide in text.
    They are removed, the place is named, and the report holds the plain text."""
    path = project / "data" / WB
    short = set_label(project, "基本信息", "单位简称", "郑家驿\u202e镇政府\u202c")
    address = set_label(project, "基本信息", "办公地址", "\ufeff桃源县\u200b郑家驿镇\u2066集镇\u2069")
    result = run_cli(project)
    assert result.exit_code == 0, result.output
    for coord, label in ((short, "单位简称"), (address, "办公地址")):
        assert f"{place('基本信息', coord)}：“{label}”中有不可见的格式字符（如反向书写符 U+202E、零宽空格）" \
               in result.output, result.output
    report = next((project / "output" / "2024").glob("*报告.docx"))
    text = "\n".join(p.text for p in Document(report).paragraphs)
    assert "郑家驿镇政府" in text and "桃源县郑家驿镇集镇" in text
    assert not any(ch in text for ch in "\u202e\u202c\u200b\ufeff\u2066\u2069")
    assert path.exists()
