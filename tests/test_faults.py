"""Faults while files are written (issue 14 items 5 and 7, and Windows' locked files): all or nothing, record
included; a run stopped half-way is repaired by the next one; PDF conversion that fails keeps the earlier PDF.

Full disks and locked files are simulated by making one system call raise the ``OSError`` the system would
raise; LibreOffice's failures by a real ``soffice`` program on PATH that sleeps, fails or writes garbage;
kills by ``kill -9`` of a real ``generate`` process.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docx import Document

from conftest import ROOT, set_field
from generator import write
from generator.write import BACKUP_PREFIX, JOURNAL, LOCK, MANIFEST, REMOVED_PREFIX, Folder, sha256
from test_bad_input import WB, run_cli, snapshot
from test_overlap import assert_consistent, command, environment, finish, make_county, start

REPORT = "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告"


def out_folder(project: Path) -> Path:
    return project / "output" / "2024"


def report_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(path).paragraphs)


@pytest.fixture
def generated(project: Path) -> Path:
    """The example generated once; then its 单位简称 changed, so the next run writes a different report."""
    first = run_cli(project)
    assert first.exit_code == 0, first.output
    set_field(project / "data" / WB, "基本信息", "单位简称", "郑家驿镇人民政府机关")
    return project


# ----------------------------------------------------------------------------- the record cannot be written


def test_full_disk_when_the_journal_is_written_leaves_the_unit_as_it_was(generated: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = out_folder(generated)
    before = snapshot(generated / "output")

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write.os, "write", full)  # the journal is the one thing written with os.write
    result = run_cli(generated)
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert f"无法写入生成记录 {folder / JOURNAL}（No space left on device），本单位的文件未做任何改动" in result.output
    assert "Traceback" not in result.output
    assert snapshot(generated / "output") == before  # every file, the record included, as it was
    # space freed: the rerun writes the new report, and finds the old files its own (no 被修改过)
    again = run_cli(generated)
    assert again.exit_code == 0, again.output
    assert "被修改过" not in again.output
    assert "郑家驿镇人民政府机关" in report_text(folder / f"{REPORT}.docx")
    assert_consistent(folder, 1)


def test_full_disk_at_fsync_of_the_journal(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = out_folder(generated)
    before = snapshot(generated / "output")
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(JOURNAL):  # (Linux: the file an fd is open on)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(write.os, "fsync", fsync)
    result = run_cli(generated)
    monkeypatch.undo()
    assert result.exit_code == 1 and "无法写入生成记录" in result.output, result.output
    assert snapshot(generated / "output") == before
    assert not (folder / JOURNAL).exists() or (folder / JOURNAL).read_bytes() == b""
    assert run_cli(generated).exit_code == 0


def test_record_that_cannot_be_folded_in_at_the_end_is_kept_as_a_journal(generated: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The files are in and their journal written; only the final manifest fails: the run says so and fails
    (issue 27 item 7), and the next run reads the journal and takes the files as its own."""
    folder = out_folder(generated)
    real = write.atomic_write

    def failing(path: Path, data: bytes) -> None:
        if Path(path).name == MANIFEST:
            raise write.UserError("disk full")
        real(path, data)

    monkeypatch.setattr(write, "atomic_write", failing)
    result = run_cli(generated)
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert f"文件已写出，但生成记录 {folder / MANIFEST} 未能更新（disk full）" in result.output
    assert "Traceback" not in result.output
    assert (folder / JOURNAL).exists()
    assert "郑家驿镇人民政府机关" in report_text(folder / f"{REPORT}.docx")
    set_field(generated / "data" / WB, "基本信息", "单位简称", "郑家驿镇")
    again = run_cli(generated)
    assert again.exit_code == 0 and "被修改过" not in again.output, again.output
    assert_consistent(folder, 1)


# ----------------------------------------------------------------------------- a file held open (Windows)


def test_file_open_in_word_rolls_the_whole_set_back(generated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows refuses to replace a file another program holds open (PermissionError): the message names the
    file and the program, and the files of the set already moved in go back to their previous version."""
    folder = out_folder(generated)
    before = snapshot(generated / "output")
    real_replace = os.replace
    tables = f"{REPORT}-附表.xlsx"

    def locked(src, dst):
        if Path(src).name == tables:  # Excel holds the tables open: Windows will not move them (the report went)
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(write.os, "replace", locked)
    result = run_cli(generated)
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert f"无法写入 {folder / tables}：文件可能正在Excel 或 WPS 表格中打开，请关闭后重试（未写入本单位的任何文件）" \
        in result.output
    after = snapshot(generated / "output")
    assert {k: v for k, v in after.items() if k != f"2024/{MANIFEST}"} == \
        {k: v for k, v in before.items() if k != f"2024/{MANIFEST}"}
    assert not [p for p in folder.iterdir() if p.name.startswith((".tmp-", BACKUP_PREFIX))]
    assert run_cli(generated).exit_code == 0


# ----------------------------------------------------------------------------- a run stopped half-way


def _folder_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "2024"
    with Folder(folder) as out:
        out.write({folder / name: data for name, data in files.items()})
    return folder


def test_half_moved_set_is_put_back_whole(tmp_path: Path) -> None:
    """Killed between moving a.docx in and b.xlsx in: both are the previous version after the next start."""
    folder = _folder_with(tmp_path, {"a.docx": b"A1", "b.xlsx": b"B1"})
    token = "1a2b3c4d"
    os.replace(folder / "a.docx", folder / f"{BACKUP_PREFIX}{token}~a.docx")
    (folder / "a.docx").write_bytes(b"A2")
    os.replace(folder / "b.xlsx", folder / f"{BACKUP_PREFIX}{token}~b.xlsx")
    (folder / ".tmp-x7y8.xlsx").write_bytes(b"B2")  # staged, not moved in
    with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write(f"{sha256(b'A2')}\ta.docx\n{sha256(b'B2')}\tb.xlsx\n")
    with Folder(folder) as out:
        assert out.ours(folder / "a.docx") and out.ours(folder / "b.xlsx")
    assert (folder / "a.docx").read_bytes() == b"A1" and (folder / "b.xlsx").read_bytes() == b"B1"
    assert sorted(p.name for p in folder.iterdir()) == sorted([LOCK, MANIFEST, "a.docx", "b.xlsx"])


def test_whole_set_left_with_its_previous_versions_keeps_the_new_one(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, {"a.docx": b"A1", "old.pdf": b"P1"})
    token = "00ff00ff"
    (folder / f"{BACKUP_PREFIX}{token}~a.docx").write_bytes(b"A1")  # set aside, then the new one moved in
    (folder / "a.docx").write_bytes(b"A2")
    os.replace(folder / "old.pdf", folder / f"{REMOVED_PREFIX}{token}~old.pdf")  # the stale PDF set aside
    with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write(f"{sha256(b'A2')}\ta.docx\n")
    with Folder(folder):
        pass
    assert (folder / "a.docx").read_bytes() == b"A2" and not (folder / "old.pdf").exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([LOCK, MANIFEST, "a.docx"])
    assert json.loads((folder / MANIFEST).read_text("utf-8"))["files"] == {"a.docx": sha256(b"A2")}


def test_hand_edited_file_replaced_with_force_is_backed_up_even_after_a_kill(tmp_path: Path) -> None:
    folder = _folder_with(tmp_path, {"a.docx": b"A1"})
    (folder / f"{BACKUP_PREFIX}feedc0de~a.docx").write_bytes(b"A1 edited by hand")  # not ours
    (folder / "a.docx").write_bytes(b"A2")
    with open(folder / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write(f"{sha256(b'A2')}\ta.docx\n")
    with Folder(folder):
        pass
    backups = list(folder.glob("a.备份-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"A1 edited by hand"


def test_leftovers_of_a_killed_run_are_repaired_by_the_next_generate(generated: Path) -> None:
    folder = out_folder(generated)
    report = folder / f"{REPORT}.docx"
    old = report.read_bytes()
    os.replace(report, folder / f"{BACKUP_PREFIX}deadbeef~{report.name}")  # set aside, new one never moved in
    (folder / ".tmp-abcd1234.docx").write_bytes(b"half a report")
    (folder / ".tmp-0000.xlsx").write_bytes(b"")
    result = run_cli(generated)
    assert result.exit_code == 0 and "被修改过" not in result.output, result.output
    assert not [p for p in folder.iterdir() if p.name.startswith((".tmp-", BACKUP_PREFIX, REMOVED_PREFIX))]
    assert report.read_bytes() != old and "郑家驿镇人民政府机关" in report_text(report)
    assert_consistent(folder, 1)


def test_staging_files_of_a_worker_that_died_are_removed_by_the_batch(tmp_path: Path) -> None:
    """What a worker staged before it was killed never reaches the batch: the batch removes it at the end."""
    folder = tmp_path / "2024"
    with Folder(folder) as out:
        orphan = write.stage(folder / "x.docx", b"staged by a worker that died")
        assert orphan.tmp.exists()
        out.write({folder / "y.docx": b"Y"})
    assert not orphan.tmp.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([LOCK, MANIFEST, "y.docx"])


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_a_worker_killed_mid_batch_leaves_no_staging_file(tmp_path: Path) -> None:
    """A worker process killed (out of memory, by hand) mid-batch: its units fail with a message, the others are
    written, the summary too, and nothing it staged is left in the folder."""
    import shutil

    make_county(tmp_path, 16)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    proc = start(tmp_path, "--jobs", "2")
    deadline = time.monotonic() + 60
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    staging = tmp_path / "output" / "2024"
    while time.monotonic() < deadline and proc.poll() is None and not (
            staging.is_dir() and any(p.name.startswith(".tmp-") for p in staging.rglob(".tmp-*"))):
        time.sleep(0.005)  # until the workers are staging units (a unit takes a tenth of a second)
    workers = _children(proc.pid)
    assert workers, "the batch started no worker"
    os.kill(workers[0], signal.SIGKILL)
    code, out = finish(proc)
    folder = tmp_path / "output" / "2024"
    assert "Traceback" not in out
    assert not [p for p in folder.rglob("*") if p.name.startswith((".tmp-", BACKUP_PREFIX, REMOVED_PREFIX))]
    if code:  # the kill came before the last unit was made
        assert "处理该单位的进程意外退出" in out and "汇总表" in out, out
    for sub in [folder] + [p for p in folder.iterdir() if p.is_dir()]:  # the year folder and each unit's
        record = json.loads((sub / MANIFEST).read_text("utf-8"))["files"] if (sub / MANIFEST).exists() else {}
        for path in sub.iterdir():  # what was written (units made before the kill) is recorded as ours
            if path.is_file() and not path.name.startswith("."):
                assert record[path.name] == sha256(path.read_bytes())
    code, out = finish(start(tmp_path, "--jobs", "2"))
    assert code == 0 and "被修改过" not in out, out
    assert_consistent(folder, 16)


def test_kill_9_at_random_points_of_a_batch_ten_times(tmp_path: Path) -> None:
    """A batch killed (SIGKILL) at a random moment, ten times over the same folder, then run to the end: no
    staging or set-aside file is left and every report is recognised as ours."""
    import shutil

    units = 4
    make_county(tmp_path, units)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    folder = tmp_path / "output" / "2024"
    code, out = finish(start(tmp_path, "--jobs", "1"))  # a complete run first: the timings, and files to replace
    assert code == 0, out
    began = time.monotonic()
    code, out = finish(start(tmp_path, "--jobs", "1"))
    full = time.monotonic() - began
    rng = random.Random(14)
    for trial in range(10):
        if trial == 5:
            set_all = [p for p in (tmp_path / "data").glob("*/2024.xlsx")]
            for path in set_all[:3]:  # new content for half the units: their sets really are replaced
                set_field(path, "基本信息", "单位简称", f"新简称{trial}")
        proc = subprocess.Popen(command(tmp_path, "--jobs", "1"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=environment(), cwd=tmp_path)
        time.sleep(rng.uniform(0.2, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    code, out = finish(start(tmp_path, "--jobs", "1"))
    assert code == 0 and "被修改过" not in out and f"共 {units} 个单位：{units} 个已生成，0 个失败" in out, out
    assert_consistent(folder, units)


# ----------------------------------------------------------------------------- PDF faults (a real fake soffice)


def minimal_pdf(pages: int = 1) -> bytes:
    """A small, valid PDF: catalogue, page tree, ``pages`` empty A4 pages, a correct cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + i) for i in range(pages)),
                                                            pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


FAKE_SOFFICE = '''#!{python}
"""A stand-in for LibreOffice: --convert-to pdf --outdir DIR FILES…; what it does is read from FAKE_SOFFICE."""
import os, sys, time
args = sys.argv[1:]
outdir = args[args.index("--outdir") + 1]
files = [a for a in args[args.index("--outdir") + 2:]]
mode = os.environ.get("FAKE_SOFFICE", "good")
if mode == "sleep":
    time.sleep(120)
if mode == "fail":
    print("Error: source file could not be loaded", file=sys.stderr)
    sys.exit(1)
good = open(os.environ["FAKE_SOFFICE_PDF"], "rb").read()
for f in files:
    stem = os.path.splitext(os.path.basename(f))[0]
    data = {{"good": good, "garbage": b"this is not a PDF at all", "cut": good[: len(good) // 2]}}[mode]
    with open(os.path.join(outdir, stem + ".pdf"), "wb") as fh:
        fh.write(data)
'''


@pytest.fixture
def fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    script.write_text(FAKE_SOFFICE.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (tmp_path / "good.pdf").write_bytes(minimal_pdf(2))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SOFFICE_PDF", str(tmp_path / "good.pdf"))
    monkeypatch.setenv("FAKE_SOFFICE", "good")
    return script


def test_check_pdf_accepts_a_whole_pdf_and_refuses_cut_or_garbage() -> None:
    from generator.formats.pdf import PdfError, check_pdf

    good = minimal_pdf(3)
    assert check_pdf(good, "a.pdf") == 3
    for bad in (good[: len(good) // 2], b"garbage", good.replace(b"/Count 3", b"/Count 0").replace(b"/Type /Page ",
                                                                                                     b"/Type /Xage "),
                good.replace(b"startxref\n", b"startxref\n9").replace(b"%%EOF", b"%%EOF")):
        with pytest.raises(PdfError) as info:
            check_pdf(bad, "a.pdf")
        assert "a.pdf 不完整或没有页面，未采用" in info.value.message_zh


@pytest.fixture
def with_pdf(generated: Path, fake_soffice: Path) -> Path:
    """The example generated with its PDF (by the fake LibreOffice), then its workbook changed."""
    result = run_cli(generated, "--pdf")
    assert result.exit_code == 0, result.output
    # the fake's PDF as it made it, and our seal after %%EOF (formats/seal.py: the SHA-256 of what precedes it)
    seal = b"\n%generator-seal:" + hashlib.sha256(minimal_pdf(2)).hexdigest().encode() + b"\n"
    assert (out_folder(generated) / f"{REPORT}.pdf").read_bytes() == minimal_pdf(2) + seal
    return generated


@pytest.mark.parametrize("mode, reason", [("fail", "PDF 转换失败：LibreOffice 没有生成"),
                                          ("garbage", "不完整或没有页面，未采用"),
                                          ("cut", "不完整或没有页面，未采用")])
def test_failed_conversion_keeps_the_earlier_pdf(with_pdf: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                                 reason: str) -> None:
    folder = out_folder(with_pdf)
    pdf = folder / f"{REPORT}.pdf"
    earlier = pdf.read_bytes()
    monkeypatch.setenv("FAKE_SOFFICE", mode)
    result = run_cli(with_pdf, "--pdf")
    assert result.exit_code == 1, result.output
    assert reason in result.output
    assert f"上次生成的 {pdf.name} 已保留，未被替换" in result.output
    assert "报告 .docx 已生成，但未生成 PDF" in result.output
    assert pdf.read_bytes() == earlier  # kept, neither replaced nor removed as stale
    assert "郑家驿镇人民政府机关" in report_text(folder / f"{REPORT}.docx")  # the rest of the set is new
    assert_consistent(folder, 1)
    monkeypatch.setenv("FAKE_SOFFICE", "good")
    assert run_cli(with_pdf, "--pdf").exit_code == 0


def test_timeout_scales_with_the_number_of_files(with_pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.formats import pdf as pdf_module

    folder = out_folder(with_pdf)
    earlier = (folder / f"{REPORT}.pdf").read_bytes()
    monkeypatch.setattr(pdf_module, "DEFAULT_TIMEOUT_BASE", 1.0)
    monkeypatch.setattr(pdf_module, "DEFAULT_TIMEOUT_PER_FILE", 1.0)
    monkeypatch.setenv("FAKE_SOFFICE", "sleep")
    for flag, seconds, files in (("--pdf", 2, 1), ("--pdf-tables", 3, 2)):  # the report; and its tables too
        began = time.monotonic()
        result = run_cli(with_pdf, flag)
        took = time.monotonic() - began
        assert result.exit_code == 1, result.output
        assert f"PDF 转换超时（超过 {seconds} 秒），已终止 LibreOffice" in result.output
        assert result.output.count(".docx") >= 1 and (files == 1 or "附表.xlsx" in result.output)
        assert took < 60  # LibreOffice (the fake, sleeping 120 s) was stopped, not waited for
        assert (folder / f"{REPORT}.pdf").read_bytes() == earlier  # the earlier good PDF is kept
    assert_consistent(folder, 1)
