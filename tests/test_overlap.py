"""Overlapping runs on one output folder (issue 14 item 4): the folder's lock, a bounded wait, a record that is
never lost or rewritten from a stale copy.

Two real ``generate`` processes are started at once on one county folder, 10 times; each trial must leave every
report, a record (``.generated.json``) holding the hash of every file in the folder, no journal or staging
file, and a rerun that finds nothing "被修改过". The county has ``OVERLAP_UNITS`` units (4 by default, to keep
the suite fast; ``OVERLAP_UNITS=100`` runs the issue's 100-unit county).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from filelock import FileLock

from conftest import EXAMPLE, ROOT

YEAR = 2024
UNITS = int(os.environ.get("OVERLAP_UNITS", "4"))
TRIALS = 10
BASIC_PART = "xl/worksheets/sheet2.xml"  # 基本信息
NAME_ROW = 4  # 单位全称 is in B4 of the example


FIELDS_PART = "xl/worksheets/sheet15.xml"  # 模板字段: the program's own list of names, 1.1 MB of XML


def unit_workbook(name: str) -> bytes:
    """The example workbook with its 单位全称 changed (its XML edited: fast, nothing else touched) and without
    its 模板字段 sheet, which the program writes for the clerk and never reads (it would make every unit's
    annotated copy, and so these tests, several times slower)."""
    with zipfile.ZipFile(EXAMPLE) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    xml = members[BASIC_PART].decode("utf-8")
    cell = re.search(rf'<c r="B{NAME_ROW}"[^>]*>.*?</c>', xml).group(0)
    assert "<is><t>" in cell
    members[BASIC_PART] = xml.replace(cell, re.sub(r"<t>.*?</t>", f"<t>{name}</t>", cell)).encode("utf-8")
    book = members["xl/workbook.xml"].decode("utf-8")
    sheet = re.search(r'<sheet [^>]*name="模板字段"[^>]*/>', book).group(0)
    index = book[:book.index("<sheets>") + 8 + book[book.index("<sheets>") + 8:].index(sheet)].count("<sheet ")
    book = re.sub(rf'<definedName [^>]*localSheetId="{index}"[^>]*>.*?</definedName>', "", book.replace(sheet, ""))
    members["xl/workbook.xml"] = book.encode("utf-8")
    rel_id = re.search(r'r:id="([^"]+)"', sheet).group(1)
    members["xl/_rels/workbook.xml.rels"] = re.sub(rf'<Relationship [^>]*Id="{rel_id}"[^>]*/>', "",
                                                  members["xl/_rels/workbook.xml.rels"].decode("utf-8")).encode()
    members["[Content_Types].xml"] = re.sub(rf'<Override PartName="/{FIELDS_PART}"[^>]*/>', "",
                                            members["[Content_Types].xml"].decode("utf-8")).encode("utf-8")
    del members[FIELDS_PART]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, data in members.items():
            zf.writestr(part, data)
    return buf.getvalue()


def make_county(root: Path, count: int) -> Path:
    """``root/data/<unit>/2024.xlsx`` for ``count`` units named 单位01… (桃源县单位01镇人民政府…)."""
    data = root / "data"
    for i in range(1, count + 1):
        folder = data / f"单位{i:03d}"
        folder.mkdir(parents=True)
        (folder / f"{YEAR}.xlsx").write_bytes(unit_workbook(f"桃源县单位{i:03d}镇人民政府"))
    return data


def command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator.cli", "--year", str(YEAR), "--data", str(root / "data"),
            "--templates", str(root / "templates"), "--out", str(root / "output"), *extra]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start(root: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(command(root, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment(), cwd=root)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out + err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_consistent(folder: Path, reports: int) -> dict[str, str]:
    """Every file in ``folder`` and in each unit's folder under it is in that folder's record with its own hash;
    no journal, staging or set-aside file; ``reports`` reports in all. The records, merged (unit/name → hash)."""
    merged: dict[str, str] = {}
    count = 0
    for sub in [folder] + sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p.name for p in sub.iterdir() if p.is_file() and not p.name.startswith("."))
        leftovers = [p.name for p in sub.iterdir() if p.name.startswith((".tmp-", ".bak~", ".del~"))]
        assert leftovers == [], sub
        assert not (sub / ".generated.log").exists(), sub
        record = json.loads((sub / ".generated.json").read_text("utf-8"))["files"] if files else {}
        assert sorted(record) == files, sub
        for name in files:
            assert record[name] == sha(sub / name), name
            merged[str((sub / name).relative_to(folder))] = record[name]
        count += len([n for n in files if n.endswith("报告.docx")])
    assert count == reports
    return merged


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("overlap")
    make_county(root, UNITS)
    import shutil

    shutil.copytree(ROOT / "templates", root / "templates")
    return root


def test_two_batches_at_once_ten_times(county: Path) -> None:
    folder = county / "output" / str(YEAR)
    waited = 0
    for trial in range(TRIALS):
        first, second = start(county, "--jobs", "1"), start(county, "--jobs", "1")
        results = [finish(first), finish(second)]
        for code, out in results:
            assert code == 1 and "共 %d 个单位：%d 个已生成，0 个失败" % (UNITS, UNITS) in out or code == 0, out
            assert "被修改过" not in out and "Traceback" not in out, out
        waited += sum("等待它结束" in out for _, out in results)
        assert sum("等待它结束" in out for _, out in results) <= 1
        assert_consistent(folder, UNITS)
    assert waited >= 1  # the runs did overlap: one of them waited for the other
    code, out = finish(start(county, "--jobs", "1"))  # and a rerun finds every file its own
    assert "被修改过" not in out and "共 %d 个单位：%d 个已生成" % (UNITS, UNITS) in out, out
    assert_consistent(folder, UNITS)


def test_a_batch_and_a_single_unit_at_once_ten_times(county: Path) -> None:
    folder = county / "output" / str(YEAR)
    unit = "单位002"
    for trial in range(TRIALS):
        batch, single = start(county, "--jobs", "1"), start(county, "--unit", unit)
        (code_b, out_b), (code_s, out_s) = finish(batch), finish(single)
        assert code_s == 0, out_s
        assert "被修改过" not in out_b + out_s and "Traceback" not in out_b + out_s, out_b + out_s
        assert "共 %d 个单位：%d 个已生成，0 个失败" % (UNITS, UNITS) in out_b, out_b
        assert_consistent(folder, UNITS)
    code, out = finish(start(county, "--unit", unit))
    assert code == 0 and "被修改过" not in out, out


def test_a_run_that_cannot_get_the_folder_refuses_after_its_wait(county: Path) -> None:
    folder = county / "output" / str(YEAR) / "单位001"  # the unit's own folder
    folder.mkdir(parents=True, exist_ok=True)
    before = {p.name: sha(p) for p in folder.iterdir() if p.is_file() and p.name != ".generated.lock"}
    with FileLock(str(folder / ".generated.lock")):  # another run holds the unit
        began = time.monotonic()
        code, out = finish(start(county, "--unit", "单位001", "--wait", "1"))
        took = time.monotonic() - began
    assert code == 1, out
    assert f"另一个生成任务正在写入单位“单位001”的报告（{folder}），等待它结束（最多 1 秒）" in out
    assert f"等待 1 秒后仍未结束，本次未生成" in out and "--wait" in out
    assert took < 60
    assert {p.name: sha(p) for p in folder.iterdir() if p.is_file() and p.name != ".generated.lock"} == before
