"""Each unit its own place (issue 24): per-unit output folders and locks, earlier flat outputs adopted, name
clashes as audit findings, the page's front door, and no request of one unit touching another's folders."""

from __future__ import annotations

import hashlib
import http.cookiejar
import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from conftest import ROOT, serving
from generator.cli import main
from generator.layout import RECORD
from generator.web import db
from test_overlap import command, environment, make_county
from test_web import (CSRF, NAMES, PASSWORDS, YEAR, app, books, client, generate, make_app, report_name,  # noqa: F401
                      root, snapshot, text_of)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unit_places(root: Path, unit: str) -> dict[str, str]:
    """Every byte of ``unit``'s data, template and output folders (relative path → SHA-256)."""
    out = {}
    for base in (root / "data" / unit, root / "templates" / unit, root / "output" / str(YEAR) / unit):
        if base.is_dir():
            out.update({str(p.relative_to(root)): sha(p) for p in sorted(base.rglob("*")) if p.is_file()})
    return out


# ----------------------------------------------------------------------------- the front door


def test_the_front_door_sends_each_visitor_where_they_belong(app: Flask) -> None:
    visitor = app.test_client().get("/")
    assert visitor.status_code == 302 and urllib.parse.urlsplit(visitor.headers["Location"]).path == "/login"
    unit = client(app, "a-clerk").get("/")
    assert unit.status_code == 302
    assert urllib.parse.unquote(urllib.parse.urlsplit(unit.headers["Location"]).path) == "/unit/A镇/"
    bureau = client(app, "county").get("/")
    assert bureau.status_code == 302 and urllib.parse.urlsplit(bureau.headers["Location"]).path == "/county/"
    # and each lands on a page that answers
    assert "登录" in text_of(app.test_client().get("/", follow_redirects=True))
    assert client(app, "a-clerk").get("/", follow_redirects=True).status_code == 200


# ----------------------------------------------------------------------------- no request reaches another unit


def test_no_state_changing_url_of_one_unit_changes_a_byte_of_another(app: Flask, root: Path,
                                                                      books: dict[str, Path]) -> None:
    """Every URL of the page that takes a POST, asked by A's account about B (or about the county, or the
    accounts): refused, and B's data, template and output folders are byte-for-byte as they were."""
    bureau = client(app, "county")
    generate(bureau, "B镇")
    own = root / "templates" / "B镇" / "report.docx"  # B has its own template too
    own.parent.mkdir(parents=True)
    shutil.copyfile(root / "templates" / "default" / "report.docx", own)
    before = unit_places(root, "B镇")
    assert any("output" in k for k in before) and any("templates" in k for k in before)
    a = client(app, "a-clerk")
    con = db.connect(app.config["DB_PATH"])
    try:
        b_account = db.account_by_name(con, "b-clerk").id
    finally:
        con.close()
    values = {"unit": "B镇", "year": YEAR, "account_id": b_account, "kind": "docx", "digest": "0" * 64, "number": 1}
    upload = books["B镇"].read_bytes()
    posted = []
    KNOWN = {"unit.upload_workbook", "unit.upload_template", "unit.generate", "county.generate", "admin.create",
             "admin.reset", "admin.active"}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("auth.login", "auth.logout", "auth.password"):
            continue
        arguments = {k: values.get(k, 1) for k in rule.arguments}  # (an id a later page adds: the first one)
        url = rule.build(arguments, append_unknown=False)[1]
        data = {"workbook": (io.BytesIO(upload), "b.xlsx"), "template": (io.BytesIO(own.read_bytes()), "t.docx"),
                "pdf": "0", "force": "1", "username": "intruder", "role": "bureau", "unit": "B镇", "active": "0"}
        r = a.post(url, data, content_type="multipart/form-data")
        assert r.status_code == 403 or (r.status_code == 404 and rule.endpoint not in KNOWN), (url, r.status_code)
        posted.append(rule.endpoint)
    assert KNOWN <= set(posted), posted
    assert unit_places(root, "B镇") == before
    # A's own requests (a workbook claiming B's 单位全称, generated) leave B's folders as they were too
    assert a.upload("A镇", "workbook", upload).status_code == 303
    generate(a, "A镇")
    assert a.post("/unit/A镇/2024/generate", {"force": "1", "pdf": "0"}).status_code in (200, 303)
    assert unit_places(root, "B镇") == before


# ----------------------------------------------------------------------------- through the real server


class Http:
    """A browser's side of the real server: cookies, the CSRF token of the last page, uploads, no redirects."""

    class _Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  self._Stay())
        self.token = ""

    def request(self, path: str, fields: dict[str, str] | None = None, files: dict[str, tuple[str, bytes]] | None = None
                ) -> tuple[int, str, str]:
        """(status, Location, page text)."""
        headers, body = {}, None
        if fields is not None or files is not None:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in {**(fields or {}), "csrf_token": self.token}.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                             .encode())
            for name, (filename, data) in (files or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
                             f'\r\nContent-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        req = urllib.request.Request(self.url + urllib.parse.quote(path), data=body, headers=headers,
                                     method="POST" if body is not None else "GET")
        try:
            with self.opener.open(req, timeout=120) as r:
                status, location, page = r.status, r.headers.get("Location", ""), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, location, page = exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8", "replace")
        found = CSRF.search(page)
        if found:
            self.token = found.group(1)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&#34;", '"').replace("&#39;", "'")
        return status, location, text

    def login(self, username: str) -> None:
        self.request("/login")
        status, _, text = self.request("/login", {"username": username, "password": PASSWORDS[username]})
        assert status == 302, text


def test_a_workbook_claiming_another_unit_through_the_real_server(root: Path, books: dict[str, Path]) -> None:
    """Unit A's workbook gives unit B's 单位全称; A generates: B's files are byte-for-byte unchanged, B can still
    upload and generate, both audits name the clash."""
    make_app(root)  # the accounts, in the data folder the server opens
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    args = ["--serve", "--data", str(root / "data"), "--templates", str(root / "templates"), "--out",
            str(root / "output")]
    with serving(args, root, env) as url:
        b = Http(url)
        b.login("b-clerk")
        b.request(f"/unit/B镇/{YEAR}/")
        status, _, text = b.request(f"/unit/B镇/{YEAR}/generate", {"pdf": "0"})
        assert status == 303, text
        b_out = root / "output" / str(YEAR) / "B镇"
        b_report = b_out / report_name(NAMES["B镇"])
        assert b_report.is_file()
        before = unit_places(root, "B镇")
        a = Http(url)
        a.login("a-clerk")
        a.request(f"/unit/A镇/{YEAR}/")
        status, _, text = a.request(f"/unit/A镇/{YEAR}/workbook", files={"workbook": ("a.xlsx",
                                                                                       books["B镇"].read_bytes())})
        assert status == 303, text  # stored: a clash is a finding, not a refusal
        status, _, text = a.request(f"/unit/A镇/{YEAR}/generate", {"pdf": "0"})
        assert status == 303, text
        assert (root / "output" / str(YEAR) / "A镇" / report_name(NAMES["B镇"])).is_file()  # in A's own folder
        assert unit_places(root, "B镇") == before
        clash = "的单位全称“桃源县B镇人民政府”与单位“{}”的工作簿相同"
        assert "单位“A镇”" + clash.format("B镇") in a.request(f"/unit/A镇/{YEAR}/")[2]
        assert "单位“B镇”" + clash.format("A镇") in b.request(f"/unit/B镇/{YEAR}/")[2]
        status, _, text = b.request(f"/unit/B镇/{YEAR}/workbook", files={"workbook": ("b.xlsx",
                                                                                       books["B镇"].read_bytes())})
        assert status == 303, text
        status, _, text = b.request(f"/unit/B镇/{YEAR}/generate", {"pdf": "0"})
        assert status == 303, text
        assert b_report.is_file() and "单位“B镇”" + clash.format("A镇") in (
            b_out / report_name(NAMES["B镇"]).replace(".docx", "-审核.md")).read_text("utf-8")
        visitor = Http(url)
        assert visitor.request("/")[0] == 302


# ----------------------------------------------------------------------------- six units at once


def test_six_units_generated_at_once_by_six_processes(tmp_path: Path) -> None:
    """Each run holds only its unit's lock: six at once with --wait 0, all six succeed."""
    units = [f"单位{i:03d}" for i in range(1, 7)]
    make_county(tmp_path, len(units))
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    procs = [subprocess.Popen(command(tmp_path, "--unit", unit, "--wait", "0"), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=environment(), cwd=tmp_path)
             for unit in units]
    results = [(p.communicate(timeout=300)[0], p.returncode) for p in procs]
    for unit, (out, code) in zip(units, results, strict=True):
        assert code == 0, out
        assert "等待" not in out, out
        folder = tmp_path / "output" / str(YEAR) / unit
        assert (folder / f"{YEAR}年度桃源县{unit}镇人民政府整体支出绩效自评报告.docx").is_file()
        record = json.loads((folder / RECORD).read_text("utf-8"))["files"]
        assert sorted(record) == sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert not list((tmp_path / "output" / str(YEAR)).glob("*.docx"))


# ----------------------------------------------------------------------------- earlier flat outputs


def test_a_flat_output_folder_of_an_earlier_version_is_adopted_without_losing_a_file(tmp_path: Path) -> None:
    """``output/2024/`` as earlier versions wrote it (every unit's files in one folder, one record): the next run
    moves each unit's set into its folder with its record, keeps what it cannot place (with a notice), and
    deletes nothing; a file edited by hand moves and stays protected."""
    make_county(tmp_path, 3)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    args = ["--year", str(YEAR), "--data", str(tmp_path / "data"), "--templates", str(tmp_path / "templates"),
            "--out", str(tmp_path / "output"), "--jobs", "1"]
    assert CliRunner().invoke(main, args).exit_code == 0
    year = tmp_path / "output" / str(YEAR)
    # lay it out as an earlier version did: every file in output/2024/, one record for them all
    record = json.loads((year / RECORD).read_text("utf-8"))["files"]
    for unit in ("单位001", "单位002", "单位003"):
        record.update(json.loads((year / unit / RECORD).read_text("utf-8"))["files"])
        for path in (year / unit).iterdir():
            if not path.name.startswith("."):
                os.replace(path, year / path.name)
        shutil.rmtree(year / unit)
    old_name = f"{YEAR}年度桃源县旧名称镇人民政府整体支出绩效自评报告.docx"  # a unit renamed since
    (year / old_name).write_bytes(b"an earlier report")
    record[old_name] = hashlib.sha256(b"an earlier report").hexdigest()
    (year / "局里的说明.txt").write_text("不是程序写的", "utf-8")  # not ours at all
    edited = year / f"{YEAR}年度桃源县单位002镇人民政府整体支出绩效自评报告-审核.md"
    edited.write_text(edited.read_text("utf-8") + "\n经办人补充的说明\n", "utf-8")  # ours, then edited by hand
    (year / RECORD).write_text(json.dumps({"version": 2, "files": record}, ensure_ascii=False), "utf-8")
    before = {p.name: sha(p) for p in year.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert len(before) == 3 * 4 + 1 + 2

    result = CliRunner().invoke(main, args)
    after: dict[str, list[str]] = {}
    for path in year.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            after.setdefault(path.name, []).append(str(path.relative_to(year)))
    assert set(before) <= set(after)  # no file lost
    for unit in ("单位001", "单位003"):  # moved into their folders (and then regenerated there)
        stem = f"{YEAR}年度桃源县{unit}镇人民政府整体支出绩效自评报告"
        for suffix in (".docx", "-附表.xlsx", "-审核.md", "-审核.xlsx"):
            assert after[stem + suffix] == [f"{unit}/{stem}{suffix}"]
        assert f"{year}/{stem}.docx" not in result.output
    # the hand-edited file moved with its set and was not overwritten: its unit says so, the rest of it stays
    assert after[edited.name] == [f"单位002/{edited.name}"]
    assert "经办人补充的说明" in (year / "单位002" / edited.name).read_text("utf-8")
    assert "被修改过" in result.output and result.exit_code == 1
    # what no unit's set claims stays where it was, said once
    assert after[old_name] == [old_name] and after["局里的说明.txt"] == ["局里的说明.txt"]
    assert (year / old_name).read_bytes() == b"an earlier report"
    assert f"无法确定属于哪个单位，已原样保留：{old_name}" in result.output
    # each folder's record holds its own files
    flat = json.loads((year / RECORD).read_text("utf-8"))["files"]
    assert sorted(flat) == sorted([old_name, f"{YEAR}年度部门整体支出绩效自评汇总表.xlsx"])
    unit_record = json.loads((year / "单位001" / RECORD).read_text("utf-8"))["files"]
    assert sorted(unit_record) == sorted(n for n in after if after[n][0].startswith("单位001/"))
    # and the next run with --force regenerates 单位002 (a dated backup of the edited file is kept)
    again = CliRunner().invoke(main, [*args, "--force"])
    assert again.exit_code == 0, again.output
    assert any("经办人补充的说明" in p.read_text("utf-8") for p in (year / "单位002").glob("*备份*.md"))


# ----------------------------------------------------------------------------- the record survives any console and disk


@pytest.fixture
def one_unit(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def one_run(project: Path, *extra: str):
    return CliRunner().invoke(main, ["--year", str(YEAR), "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *extra])


EXAMPLE_REPORT = f"{YEAR}年度桃源县郑家驿镇人民政府整体支出绩效自评报告"


def test_the_record_is_written_alike_on_a_console_that_is_not_utf8(one_unit: Path) -> None:
    env = {**environment(), "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    cmd = [sys.executable, "-m", "generator.cli", "--year", str(YEAR)]
    for _ in range(2):
        done = subprocess.run(cmd, cwd=one_unit, env=env, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        assert "被修改过".encode() not in done.stdout + done.stderr
        assert b"Traceback" not in done.stdout + done.stderr
    folder = one_unit / "output" / str(YEAR)
    record = json.loads((folder / RECORD).read_bytes().decode("utf-8"))["files"]
    assert record[f"{EXAMPLE_REPORT}.docx"] == sha(folder / f"{EXAMPLE_REPORT}.docx")
    assert sorted(record) == sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_a_record_that_cannot_be_written_is_an_error(one_unit: Path) -> None:
    folder = one_unit / "output" / str(YEAR)
    (folder / RECORD).mkdir(parents=True)  # where the record goes, something that is not a file
    result = one_run(one_unit)
    assert result.exit_code == 1, result.output
    assert f"文件已写出，但生成记录 {folder / RECORD} 未能更新" in result.output
    assert "Traceback" not in result.output
    # the record is kept in its journal: once the folder is right again, nothing is taken for edited
    (folder / RECORD).rmdir()
    again = one_run(one_unit)
    assert again.exit_code == 0 and "被修改过" not in again.output, again.output


@pytest.mark.parametrize("damage", [b"", b"{\"version\": 2, \"files\": {", b"\xff\xfe garbage", b"[]"])
def test_a_damaged_record_is_rebuilt_from_the_files_themselves(one_unit: Path, damage: bytes) -> None:
    assert one_run(one_unit).exit_code == 0
    folder = one_unit / "output" / str(YEAR)
    edited = folder / f"{EXAMPLE_REPORT}-审核.md"
    (folder / RECORD).write_bytes(damage)
    result = one_run(one_unit)
    assert result.exit_code == 0 and "被修改过" not in result.output, result.output  # our reports are ours
    assert f"生成记录 {folder / RECORD} 已损坏或为空，已按文件内容重建" in result.output
    assert sorted(json.loads((folder / RECORD).read_text("utf-8"))["files"]) == sorted(
        p.name for p in folder.iterdir() if not p.name.startswith("."))
    # a file edited by hand is still told apart, record or no record
    edited.write_bytes(edited.read_bytes().replace("审核".encode(), "审阅".encode(), 1))
    (folder / RECORD).write_bytes(damage)
    result = one_run(one_unit)
    assert result.exit_code == 1 and "被修改过" in result.output, result.output
    assert "审阅".encode() in edited.read_bytes()


# ----------------------------------------------------------------------------- a unit renamed; a unit busy


def test_a_unit_that_changes_its_name_leaves_no_earlier_set_behind(tmp_path: Path) -> None:
    """A new 单位全称 or 报告标题: the earlier set goes from the unit's folder with the new set moving in; a file
    of the earlier set edited by hand is kept."""
    from conftest import set_field

    make_county(tmp_path, 2)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    args = ["--year", str(YEAR), "--data", str(tmp_path / "data"), "--templates", str(tmp_path / "templates"),
            "--out", str(tmp_path / "output"), "--unit", "单位001"]
    assert CliRunner().invoke(main, args).exit_code == 0
    folder = tmp_path / "output" / str(YEAR) / "单位001"
    first = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert len(first) == 4
    set_field(tmp_path / "data" / "单位001" / f"{YEAR}.xlsx", "基本信息", "单位全称", "桃源县新名镇人民政府")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    now = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert now == sorted(n.replace("桃源县单位001镇人民政府", "桃源县新名镇人民政府") for n in first)
    assert sorted(json.loads((folder / RECORD).read_text("utf-8"))["files"]) == now
    # the title changes too, and the clerk had written in the audit list of the current set: that file stays
    audit = folder / f"{YEAR}年度桃源县新名镇人民政府整体支出绩效自评报告-审核.md"
    audit.write_text(audit.read_text("utf-8") + "经办人的说明\n", "utf-8")
    set_field(tmp_path / "data" / "单位001" / f"{YEAR}.xlsx", "基本信息", "报告标题", "部门整体支出绩效自评报告")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert audit.name in names and "经办人的说明" in audit.read_text("utf-8")
    assert sorted(n for n in names if n != audit.name) == sorted(
        n.replace("整体支出绩效自评报告", "部门整体支出绩效自评报告") for n in now)
    assert not (tmp_path / "output" / str(YEAR) / "单位002").exists()  # the other unit was never touched


def test_a_unit_busy_on_the_page_names_the_unit(root: Path) -> None:
    from generator.write import Folder

    app = make_app(root, GENERATE_WAIT=0.2)
    a = client(app, "a-clerk")
    with Folder(root / "output" / str(YEAR) / "A镇", wait=0, unit="A镇"):  # a CLI run writing A
        r = a.post(f"/unit/A镇/{YEAR}/generate", follow_redirects=True)
        page = text_of(r)
    assert "另一个生成任务正在写入单位“A镇”的报告" in page and "等待 0.2 秒后仍未结束" in page
    assert "output/2024，" not in page
    generate(client(app, "b-clerk"), "B镇")  # B is not held up by A's run
    assert (root / "output" / str(YEAR) / "B镇" / report_name(NAMES["B镇"])).is_file()


# ----------------------------------------------------------------------------- a unit's name


@pytest.mark.parametrize(("name", "says"), [
    ("~$热市镇", "以“.”或“~$”开头"), (".热市镇", "以“.”或“~$”开头"), ("CON", "系统保留名"), ("com1.txt", "系统保留名"),
    ("default", "系统保留名"), ("热市/镇", "含有路径符号"), ("..", "含有路径符号"), ("热市镇.", "以空格或句点开头或结尾"),
    ("镇" * 61, "过长"), ("热\u200b市镇", "不可见字符"),
])
def test_a_unit_name_that_cannot_be_a_folder_is_refused_before_anything_is_made(tmp_path: Path, name: str,
                                                                                 says: str) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(main, ["--year", str(YEAR), "--new-unit", name, "--data", str(tmp_path / "data"),
                                       "--templates", str(tmp_path / "templates")])
    assert result.exit_code == 1, result.output
    assert says in result.output and "Traceback" not in result.output
    assert list((tmp_path / "data").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "templates").iterdir()) == ["default"]


def test_the_longest_unit_name_allowed_fits_any_file_system() -> None:
    """60 characters at most, and never over 255 bytes of UTF-8 (a folder name's limit on Linux and Windows)."""
    from generator.layout import unit_name_problem

    widest = "𠀀" * 60  # 60 characters of 4 bytes each: 240 bytes, a folder name every file system takes
    assert unit_name_problem(widest) is None and len(widest.encode("utf-8")) <= 255
    assert "过长" in unit_name_problem(widest + "镇")
    assert "过长" in unit_name_problem("镇" * 86)  # 258 bytes


def test_a_unit_given_with_path_symbols_stays_out_of_other_folders(tmp_path: Path) -> None:
    """``--unit ../x`` names no unit: refused with the reason before any folder is read or written."""
    make_county(tmp_path, 1)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    for unit in ("../单位001", "单位001/..", "..", "a\\b"):
        result = CliRunner().invoke(main, ["--year", str(YEAR), "--data", str(tmp_path / "data"), "--templates",
                                           str(tmp_path / "templates"), "--out", str(tmp_path / "output"),
                                           "--unit", unit])
        assert result.exit_code == 1 and "含有路径符号" in result.output, (unit, result.output)
    assert not (tmp_path / "output").exists()
