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
]


@pytest.mark.parametrize("bomb, detail", ATTACKS, ids=["power", "squaring", "concat", "plus", "join", "indent"])
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
