"""Every ``generate`` command of the README (Chinese part), run as written, in order, in a copy of the project
(issue 12 item 9: every command in the README works exactly as written from a fresh clone).

The commands are read from the README itself, so a command added there is tried here. Each runs in its own
process from the project folder, as a clerk types it; ``generate serve`` is started, asked for its login page
and stopped. The expected exit codes are those the README states: ``generate check`` finds the reference report's
own contradictions (exit 1), the template check of a unit just created lists the cells still to fill (exit 1).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import ENTRY, REPORT_NAME, ROOT, serving

EXPECTED_EXIT = {"generate check --year 2024": 1, "generate template-check --year 2024 --unit 热市镇": 1}
TRACEBACK = "Traceback (most recent call last)"


def readme_commands() -> list[str]:
    """The ``generate`` lines of the README's Chinese part, comments removed, in order."""
    text = (ROOT / "README.md").read_text("utf-8")
    chinese = text.split("\n# Performance self-evaluation report generator (English)")[0]
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", chinese, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("generate "):
                lines.append(" ".join(line.split()))
    return lines


def test_the_readme_names_the_commands_a_clerk_and_a_bureau_need() -> None:
    commands = readme_commands()
    for needed in ("generate --year 2024", "generate --year 2024 --pdf", "generate check --year 2024",
                   "generate new-unit 热市镇 --year 2024", "generate init --year 2025",
                   "generate create-admin 财政局", "generate reset-password 财政局"):
        assert needed in commands, needed
    assert any(c.startswith("generate serve") for c in commands)


def _serve(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Start ``generate serve`` as written (on a free port instead of 8000), read the login page, stop it."""
    with serving(args, cwd, env) as url, urllib.request.urlopen(url + "/login", timeout=5) as response:
        return response.read().decode("utf-8")


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="the README's --pdf command needs LibreOffice (installed by its first step)")
def test_every_readme_command_works_as_written(tmp_path: Path) -> None:
    project = tmp_path / "clone"
    project.mkdir()
    for folder in ("data", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    env["GENERATOR_CACHE_DIR"] = str(tmp_path / "cache")
    folder = project / "output" / "2024"
    for command in readme_commands():
        args = shlex.split(command)[1:]
        if args[0] == "serve":
            page = _serve(args, project, env)
            assert "登录" in page, command
            continue
        result = subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=project, env=env, capture_output=True,
                                text=True, timeout=600)
        output = result.stdout + result.stderr
        assert TRACEBACK not in output, (command, output)
        assert result.returncode == EXPECTED_EXIT.get(command, 0), (command, output)
        assert re.search(r"[\u4e00-\u9fff]", output), (command, output)  # it told the clerk something
        if command == "generate --year 2024 --pdf":
            assert (folder / REPORT_NAME.replace(".docx", ".pdf")).stat().st_size > 10_000
    assert (folder / REPORT_NAME).is_file()
    assert not (folder / REPORT_NAME.replace(".docx", ".pdf")).exists()  # the later runs without --pdf removed it
    assert (project / "data" / "热市镇" / "2024.xlsx").is_file()
    assert (project / "templates" / "热市镇" / "report.docx").is_file()
    assert (project / "data" / "2025.xlsx").is_file()
    assert (project / "data" / ".web" / "accounts.sqlite3").is_file()
