"""Limits that hold (issue 27, item 5): whatever a template computes — huge integers, texts and lists doubled,
joined or amplified, output beyond the part limit — is stopped at once with a located message, long before the
time or memory limit would have to, and no step of it allocates more than a few tens of MB.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from conftest import REPORT_NAME
from generator.render import MAX_INT_BITS, MAX_STRING, make_env
from test_bad_input import assert_refused, plant, template_path

ATTACKS = [
    ("{{ (10 ** 1000) ** 1000 }}", f"more than {MAX_INT_BITS}"),
    ("{% set n = namespace(x=7) %}{% for i in range(40) %}{% set n.x = n.x * n.x %}{% endfor %}{{ n.x }}",
     f"more than {MAX_INT_BITS}"),
    ("{% set s = namespace(x='a') %}{% for i in range(40) %}{% set s.x = s.x ~ s.x %}{% endfor %}{{ s.x|length }}",
     f"longer than {MAX_STRING}"),
    ("{% set s = namespace(x=[1]) %}{% for i in range(40) %}{% set s.x = s.x + s.x %}{% endfor %}{{ s.x|length }}",
     f"longer than {MAX_STRING}"),
    ("{{ (['a' * 1000000] * 100000)|join }}", f"longer than {MAX_STRING}"),
    ("{{ ('a\\n' * 400000)|indent(9000) }}", f"longer than {MAX_STRING}"),
    # made as text in one step of compiled code (str() of a list repeats its items): refused before
    ("{{ ([('x' * 1000000)] * 10)|string }}", f"longer than {MAX_STRING}"),
    ("{{ '%s' % ([('x' * 1000000)] * 10,) }}", f"longer than {MAX_STRING}"),
    ("{{ '、'.join([('x' * 1000000)] * 10) }}", f"longer than {MAX_STRING}"),
    ("{{ '{}'.format([('x' * 1000000)] * 10) }}", f"longer than {MAX_STRING}"),
    ("{{ ([[1]] * 1000)|sum(start=[]) }}", "sum() is only for numbers"),
]


@pytest.mark.parametrize("bomb, detail", ATTACKS, ids=["power", "squaring", "concat", "plus", "join", "indent", "string", "percent",
                                                 "join-method", "format", "sum"])
def test_growth_is_refused_at_once_at_its_paragraph(project: Path, bomb: str, detail: str) -> None:
    plant(project, bomb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    out = assert_refused(project, f"模板 {template_path(project)} 试图访问不允许的内容", detail, "第5段",
                         extra=("--limit-seconds", "20"))
    assert time.monotonic() - start < 5  # refused by the sandbox, not by the 20 s limit
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, grown_mb
    assert "Traceback" not in out


def test_output_beyond_the_part_limit_is_stopped_as_it_is_made(project: Path) -> None:
    plant(project, "{% for i in range(100000) %}{{ 'a' * 1000000 }}{% endfor %}")  # 100 G characters asked
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    assert_refused(project, "渲染出的 word/document.xml 过大（超过 64 MB），未写出文件", extra=("--limit-seconds", "20"))
    assert time.monotonic() - start < 10
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 400
    assert not (project / "output" / "2024" / REPORT_NAME).exists()


def test_ordinary_arithmetic_and_joining_still_work() -> None:
    env = make_env()
    source = ("{{ 2 ** 10 }} {{ 12 * 3 }} {{ 'ab' ~ 'cd' }} {{ ([1, 2] + [3])|length }} {{ ['x', 'y']|join('、') }} "
              "{{ 'a' + 'b' }}")
    assert env.from_string(source).render() == "1024 36 abcd 3 x、y ab"


def test_a_worker_that_dies_takes_no_other_unit_down(tmp_path: Path) -> None:
    """The processes making a county's units are killed (as the system's out-of-memory killer would, or the
    worker's own hard deadline) while one unit loops: every unit they had not finished is made again alone; the
    looping one fails at its time limit, the others are generated."""
    import multiprocessing
    import os
    import shutil
    import signal
    import threading

    from click.testing import CliRunner

    from conftest import ROOT
    from generator.cli import main
    from test_hostile_templates import county_with_a_looping_township

    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    data, units = county_with_a_looping_township(tmp_path)
    killed: list[int] = []

    def kill_workers() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            children = multiprocessing.active_children()
            if children:
                time.sleep(0.8)  # (the workers have started their units)
                for child in multiprocessing.active_children():
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_workers, daemon=True)
    killer.start()
    result = CliRunner().invoke(main, ["--year", "2024", "--data", str(data), "--templates",
                                       str(tmp_path / "templates"), "--out", str(tmp_path / "output"),
                                       "--jobs", "2", "--limit-seconds", "3"])
    killer.join()
    out = result.output
    assert killed, "no worker was killed"
    assert result.exit_code == 1, out
    assert "共 3 个单位：2 个已生成，1 个失败" in out
    assert f"{units[2]}" in out and "渲染超过 3 秒，已停止" in out
    assert "进程意外退出" not in out  # made again alone, each unit got its own verdict
    folder = tmp_path / "output" / "2024"
    reports = sorted(p.name for p in folder.glob("*/*报告.docx"))
    assert len(reports) == 2 and not any(units[2] in r for r in reports)
    assert (folder / "2024年度部门整体支出绩效自评汇总表.xlsx").exists()
