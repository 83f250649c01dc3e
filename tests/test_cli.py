"""The ``generate`` command as a clerk meets it (issue 13 items 8 and 9).

Consoles: a GBK console, a pipe in the C locale, a file — the output never raises, characters the console
cannot show are replaced, the exit code is the run's. click's own messages are Chinese. A run replaces its
whole set of files or none, and a file open in another program is named with that program.
"""

from __future__ import annotations

import ast
import os
import re
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


# ------------------------------------------------------------------ verbs (issue 28 items 1–3)


def test_help_lists_the_verbs() -> None:
    out = CliRunner().invoke(main, ["--help"]).output
    assert "命令：" in out
    for name in ("report", "check", "init", "new-unit", "template-check", "compare", "serve", "create-admin",
                 "reset-password", "rules"):
        assert f"\n  {name} " in out, name


def test_every_command_and_option_is_documented() -> None:
    """As sqlite-utils does: each command has its row in the README's Chinese command table naming each of its
    options, and its own ``--help`` shows each option and an example."""
    text = (ROOT / "README.md").read_text("utf-8")
    chinese = text.split("\n# Performance self-evaluation report generator (English)")[0]
    english = text[len(chinese):]
    rows = {}
    for line in chinese.splitlines():
        found = re.match(r"\| `generate ([a-z-]+)", line)
        if found:
            rows[found.group(1)] = line
    assert set(rows) == set(main.commands)
    for name, command in main.commands.items():
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "示例：generate " in result.output, name
        assert re.search(rf"^generate \[?{name}\b", english, re.M), name  # the English usage block names it too
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                option = next(o for o in param.opts if o.startswith("--"))
                assert f"`{option}`" in rows[name], (name, option)
                assert re.search(rf"^\s+(-\w, )?{option}\b", result.output, re.M), (name, option)


def test_old_mode_flags_still_work_and_say_the_new_form(project: Path) -> None:
    """``generate --year 2024 --check`` and the other mode flags of earlier releases do what they did, and say on
    stderr what to type instead (the folders of the old line kept where the new command takes them)."""
    data, templates, out = (str(project / name) for name in ("data", "templates", "output"))
    folders = ["--data", data, "--templates", templates, "--out", out]
    runner = CliRunner()
    checked = runner.invoke(main, ["--year", "2024", *folders, "--check"])
    assert checked.exit_code == 1 and "审核 2024.xlsx：发现 3 处错误" in checked.stdout
    assert checked.stderr.startswith(f"提示：--check 已改为 generate check，旧写法只保留到下一版本。今后请运行："
                                     f"generate check --year 2024 --data {data} --templates {templates}\n")
    fields = runner.invoke(main, ["--year", "2024", *folders, "--template-check", "--fields"])
    assert fields.exit_code == 0 and fields.stdout.startswith("模板检查通过")
    assert "财务.资产总额" in fields.stdout
    assert (f"今后请运行：generate template-check --year 2024 --data {data} --templates {templates} --fields"
            in fields.stderr)
    made = runner.invoke(main, ["--year", "2024", *folders, "--new-unit", "新 镇"])
    assert made.exit_code == 0 and (project / "data" / "新 镇" / "2024.xlsx").is_file()
    assert f"今后请运行：generate new-unit '新 镇' --year 2024 --data {data}" in made.stderr
    init = runner.invoke(main, ["--year", "2025", "--data", data, "--init", "--unit", "新 镇"])
    assert init.exit_code == 0 and (project / "data" / "新 镇" / "2025.xlsx").is_file()
    assert "今后请运行：generate init --year 2025 --unit '新 镇' --data" in init.stderr
    admin = runner.invoke(main, ["--data", data, "--create-admin", "局长"])
    assert admin.exit_code == 0 and "一次性密码：" in admin.stdout
    assert f"今后请运行：generate create-admin 局长 --data {data}" in admin.stderr
    serve = runner.invoke(main, ["--serve", "--proxy", "代理", "--data", data])  # refused before serving
    assert serve.exit_code == 2 and "--proxy 应为反向代理的 IP 地址" in serve.output
    assert "今后请运行：generate serve --data" in serve.stderr and "--proxy 代理" in serve.stderr
    assert not (project / "output").exists()  # none of them wrote a report


@pytest.mark.parametrize(("args", "expected"), [
    (["--year", "2025", "--init", "--check"], "错误：--check 与 --init 不能同用：它们是两个命令（generate check 和 "
                                              "generate init），请分两次运行。"),
    (["--year", "2024", "--check", "--pdf", "--jobs", "3", "--force"],
     "错误：--force、--pdf、--jobs 不能与 --check 同用（generate check 没有这样的选项）。"),
    (["--year", "2024", "--check", "--pdf-tables"], "错误：--pdf-tables 不能与 --check 同用"),
    (["--year", "2024", "--fields"], "错误：--fields 不用于生成报告，只用于 generate template-check。"),
    (["--year", "2024", "--port", "80"], "错误：--port 不用于生成报告，只用于 generate serve。"),
    (["--year", "2024", "--template-check", "--strict"], "错误：--strict 不能与 --template-check 同用"),
    (["--data", "x", "--create-admin", "a", "--serve"], "错误：--serve 与 --create-admin 不能同用"),
    (["--year", "2024", "--unit", "甲镇", "--jobs", "2"],
     "错误：--unit 与 --jobs 不能同用：只生成一个单位时不并行，--jobs 只用于批量生成多个单位。"),
    (["report", "--year", "2024", "--unit", "甲镇", "--jobs", "2"], "错误：--unit 与 --jobs 不能同用"),
])
def test_options_that_do_not_go_together_are_refused(project: Path, args: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, [*args, "--out", str(project / "output")])
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "用法：" in result.output and "Traceback" not in result.output
    assert not (project / "output").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["check", "--year", "2024", "--pdf"], "错误：没有选项 --pdf。"),
    (["check", "--year", "2024", "--out", "x"], "错误：没有选项 --out。"),
    (["init", "--year", "2025", "--templates", "t"], "错误：没有选项 --templates。"),
    (["serve", "--year", "2024"], "错误：没有选项 --year。"),
    (["create-admin", "局长", "--host", "0.0.0.0"], "错误：没有选项 --host。"),
    (["template-check", "--year", "2024", "--verbose"], "错误：没有选项 --verbose。"),
    (["new-unit", "--year", "2024"], "错误：缺少参数"),
    (["compare", "a.xlsx"], "错误：缺少参数"),
    (["chek", "--year", "2024"], "错误：没有命令“chek”。是否应为 check？"),
    (["check"], "错误：请用 --year 指定报告年度，如 generate check --year 2024。"),
])
def test_a_verb_refuses_what_it_does_not_take(args: list[str], expected: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    for english in ("Usage", "Error", "No such", "Missing"):
        assert english not in result.output, result.output
