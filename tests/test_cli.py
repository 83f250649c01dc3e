"""The ``generate`` command as a clerk meets it (issue 13 items 8 and 9).

Consoles: a GBK console, a pipe in the C locale, a file — the output never raises, characters the console
cannot show are replaced, the exit code is the run's. click's own messages are Chinese. A run replaces its
whole set of files or none, and a file open in another program is named with that program.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import ENTRY, REPORT_NAME, ROOT
from generator.cli import main
from generator.messages import CLICK

STEM = REPORT_NAME[: -len(".docx")]
SET = (REPORT_NAME, f"{STEM}-附表.xlsx", f"{STEM}-审核.md", f"{STEM}-审核.xlsx")


def cli(project: Path, *args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The command in a process of its own, as a console runs it."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env or {})
    return subprocess.run([sys.executable, "-c", ENTRY, "--year", "2024", "--data", str(project / "data"),
                           "--templates", str(project / "templates"), "--out", str(project / "output"), *args],
                          env=environ, timeout=300, **kwargs)


def run(project: Path, *args: str):
    return CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


# ------------------------------------------------------------------ consoles


def test_gbk_console_gets_readable_text_and_exit_0(project: Path) -> None:
    result = cli(project, env={"PYTHONIOENCODING": "gbk"}, capture_output=True)
    assert result.returncode == 0, result.stderr.decode("gbk", "replace")
    out = result.stdout.decode("gbk")  # valid GBK throughout
    assert f"已生成：{project / 'output' / '2024' / REPORT_NAME}" in out
    assert "审核 2024.xlsx：发现" in out
    assert "[错误] 机构 ? C3：" in out  # “›” is not in GBK: replaced, not an error
    assert "Traceback" not in result.stderr.decode("gbk", "replace")
    assert (project / "output" / "2024" / REPORT_NAME).is_file()


def test_ascii_console_never_raises(project: Path) -> None:
    result = cli(project, "--check", env={"PYTHONIOENCODING": "ascii"}, capture_output=True)
    assert result.returncode == 1  # the example's audit finds 错误: the check's own verdict, not a crash
    assert "2024.xlsx" in result.stdout.decode("utf-8", "replace")  # (click writes UTF-8 to an ASCII stream)
    assert b"Traceback" not in result.stderr and b"UnicodeEncodeError" not in result.stderr


def test_pipe_in_the_c_locale(project: Path) -> None:
    cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    result = cli(project, env={"LC_ALL": "C", "LANG": "C"}, stdout=cat.stdin, stderr=subprocess.PIPE)
    cat.stdin.close()
    out = cat.stdout.read().decode("utf-8")
    cat.wait()
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert f"已生成：{project / 'output' / '2024' / REPORT_NAME}" in out
    assert b"Traceback" not in result.stderr


def test_output_to_a_file(project: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with log.open("wb") as handle:
        result = cli(project, "--check", stdout=handle, stderr=subprocess.STDOUT)
    assert result.returncode == 1
    text = log.read_text("utf-8")
    assert "审核 2024.xlsx：发现 3 处错误" in text and "Traceback" not in text


def test_output_piped_into_head_ends_quietly(project: Path) -> None:
    head = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    result = cli(project, "--check", "--verbose", stdout=head.stdin, stderr=subprocess.PIPE)
    head.stdin.close()
    head.wait()
    assert b"Traceback" not in result.stderr and b"BrokenPipe" not in result.stderr


# ------------------------------------------------------------------ click in Chinese


@pytest.mark.parametrize(("args", "expected"), [
    (["--yaer", "2024"], ["错误：没有选项 --yaer。", "是否应为以下之一", "--year"]),
    (["--year", "abc"], ["错误：'--year' 的值无效：“abc”不是有效的整数。"]),
    (["--year", "1800"], ["1800 不在允许的范围 1990<=x<=2200 内。"]),
    (["--year", "2024", "--limit-seconds", "x"], ["“x”不是有效的数字。"]),
    (["--year", "2024", "--jobs"], ["错误：选项 --jobs 后面需要填写一个值。"]),
    (["--year", "2024", "--check=1"], ["错误：选项 --check 不带值。"]),
    (["--year", "2024", "多余"], ["错误：多余的参数（多余）"]),
    ([], ["错误：请用 --year 指定报告年度"]),
])
def test_click_errors_are_chinese(args: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    for text in expected:
        assert text in result.output, result.output
    if "没有选项" in result.output or "无效" in result.output:
        assert "用法：" in result.output and "--help”查看帮助" in result.output
    for english in ("Usage", "Error", "Try ", "No such option", "Invalid value", "is not", "Did you mean", "[OPTIONS]"):
        assert english not in result.output, (english, result.output)


def test_help_is_chinese() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("用法：") and "[选项]" in out and "选项：" in out
    assert "显示本帮助并退出。" in out and "[默认：data]" in out
    for english in ("Usage", "Options", "Show this message", "default:", "TEXT", "INTEGER", "[OPTIONS]"):
        assert english not in out, english


# click messages this command can never show (no sub-commands, prompts, choices, editor, version option,
# shell completion, deprecations, bad declarations — the latter are the programmer's, at import time)
NOT_MET = {
    "d", "{editor}: Editing failed", "{editor}: Editing failed: {e}", "Windows error: {error}", "deprecated",
    "Missing command.", "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? Did you mean "
    "to pass '--{name}'?", "env var: {var}", "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "(dynamic)", "Name '{name}' defined twice", "Boolean option {decl!r} cannot use the same flag for true/false.",
    "Do you want to continue?", "Confirm the action without prompting.", "%(prog)s, version %(version)s",
    "Show the version and exit.", "No such command {name!r}.",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Shell completion is not supported for Bash versions older than 4.4.", "Press any key to continue...",
    "Repeat for confirmation", "Error: The two entered values do not match.", "Error: invalid input",
    "Unknown color {colour!r}", "Choose from:\n\t{choices}", "{value!r} is not {choice}.",
    "{value!r} is not one of {choices}.", "Choice({choices})", "{value!r} does not match the format {format}.",
    "{value!r} does not match the formats {formats}.", "{value!r} is not a valid boolean. Recognized values: {states}",
    "{len_type} values are required, but {len_value} was given.",
    "{len_type} values are required, but {len_value} were given.", "{value!r} is not a valid UUID.",
    "Unknown standard stream '{name}'",
}


def test_every_click_message_a_user_can_meet_is_translated() -> None:
    """Read click's own source: every text it passes to gettext is in messages.CLICK or listed as not met here."""
    found = set()
    for path in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    assert len(found) > 60
    missing = sorted(found - set(CLICK) - NOT_MET)
    assert not missing, missing
    for english, chinese in CLICK.items():  # the same placeholders, so click's .format() fills them
        import re

        names = lambda t: sorted(re.findall(r"\{(\w+)", t))  # noqa: E731
        assert names(english) == names(chinese), english


# ------------------------------------------------------------------ a consistent file set


@pytest.fixture
def generated(project: Path) -> Path:
    result = run(project)
    assert result.exit_code == 0, result.output
    folder = project / "output" / "2024"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(SET)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


@pytest.mark.parametrize(("name", "program"), [(f"{STEM}-附表.xlsx", "Excel 或 WPS 表格"),
                                               (REPORT_NAME, "Word 或 WPS 文字"),
                                               (f"{STEM}-审核.xlsx", "Excel 或 WPS 表格")])
def test_a_file_open_in_another_program_is_named_and_nothing_is_replaced(
        generated: Path, project: Path, monkeypatch: pytest.MonkeyPatch, name: str, program: str) -> None:
    """Windows refuses to move a file another program holds open: the whole set stays as it was."""
    from generator import write

    from conftest import set_field

    set_field(project / "data" / "2024.xlsx", "财务", "资产总额", 1900.5)  # the new set differs from the old one
    before = _snapshot(generated)
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(src).name == name:  # the open file cannot be moved aside
            raise PermissionError(13, "Permission denied", str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(write.os, "replace", replace)
    result = run(project)
    assert result.exit_code == 1
    assert f"无法写入 {generated / name}：文件可能正在{program}中打开，请关闭后重试（未写入本单位的任何文件）。" \
        in result.output
    assert "Traceback" not in result.output
    assert _snapshot(generated) == before  # every file as before, nothing staged left behind
    monkeypatch.undo()
    assert run(project).exit_code == 0  # closed: the next run writes the new set
    report = __import__("docx").Document(generated / REPORT_NAME)
    assert any("资产总额1900.50万元" in p.text for p in report.paragraphs)


def test_a_failed_run_leaves_the_earlier_set(generated: Path, project: Path) -> None:
    """A clerk's mistake: nothing of the set is written or removed."""
    from conftest import set_field

    before = _snapshot(generated)
    set_field(project / "data" / "2024.xlsx", "财务", "资产总额", "一千八")
    result = run(project)
    assert result.exit_code == 1 and "资产总额" in result.output
    assert _snapshot(generated) == before


def test_copy_of_project_runs_from_elsewhere(tmp_path: Path) -> None:
    """The README's first command works from the project folder copied anywhere (no path of this checkout)."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    env = {k: v for k, v in os.environ.items()}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", ENTRY, "--year", "2024"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "output" / "2024" / REPORT_NAME).is_file()
