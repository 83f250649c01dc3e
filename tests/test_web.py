"""The web page (issue 15) through Flask's test client, in process: accounts, sessions, CSRF, throttled logins,
upload limits, one unit never reaching another's pages or files, hostile uploads, template checks, history,
the county's batch — and twenty units generated through the page giving the CLI's reports.

Every expected text below is written here (the library's Chinese messages as a clerk reads them, cells of
the example workbook found by their labels), never produced by the code under test.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from conftest import EXAMPLE, ROOT, field_cell, require, set_cells
from generator.cli import main
from generator.formats.pdf import find_soffice
from generator.web import db
from generator.web.app import create_app
from generator.web.passwords import hash_password
from generator.write import Folder

YEAR = 2024
NAMES = {"A镇": "桃源县A镇人民政府", "B镇": "桃源县B镇人民政府"}
PASSWORDS = {"a-clerk": "clerk-a-2024", "b-clerk": "clerk-b-2024", "county": "bureau-2024!"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ASSETS = field_cell(EXAMPLE, "财务", "资产总额")  # the cell of the slip: 资产总额 no longer 流动 + 非流动
HEADING = "一、单位概况"


def report_name(unit_name: str, year: int = YEAR) -> str:
    return f"{year}年度{unit_name}整体支出绩效自评报告.docx"


def workbook_for(path: Path, full_name: str, edits: dict[str, object] | None = None) -> Path:
    """A copy of the example workbook at ``path`` with its own 单位全称 (and cell edits of 财务)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE, path)
    set_cells(path, "基本信息", {field_cell(EXAMPLE, "基本信息", "单位全称"): full_name})
    if edits:
        set_cells(path, "财务", edits)
    return path


@pytest.fixture(scope="session")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workbooks the tests upload, made once: each unit's, and A's with a slip in 资产总额."""
    root = tmp_path_factory.mktemp("books")
    out = {unit: workbook_for(root / unit / f"{YEAR}.xlsx", name) for unit, name in NAMES.items()}
    out["slip"] = workbook_for(root / "slip" / f"{YEAR}.xlsx", NAMES["A镇"], {ASSETS: 9999.99})
    return out


@pytest.fixture
def root(tmp_path: Path, books: dict[str, Path]) -> Path:
    """A county laid out as the CLI's: data/A镇/2024.xlsx, data/B镇/2024.xlsx, templates/default, no output."""
    for unit in NAMES:
        (tmp_path / "data" / unit).mkdir(parents=True)
        shutil.copyfile(books[unit], tmp_path / "data" / unit / f"{YEAR}.xlsx")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def make_app(root: Path, **config: object) -> Flask:
    app = create_app(root / "data", root / "templates", root / "output", TESTING=True, **config)
    con = db.connect(app.config["DB_PATH"])
    try:
        for username, role, unit in (("a-clerk", "unit", "A镇"), ("b-clerk", "unit", "B镇"), ("county", "bureau", None)):
            if db.account_by_name(con, username) is None:
                account_id = db.create_account(con, username, role, unit, hash_password(PASSWORDS[username]))
                db.set_password(con, account_id, hash_password(PASSWORDS[username]), must_change=False)
    finally:
        con.close()
    return app


@pytest.fixture
def app(root: Path) -> Flask:
    return make_app(root)


class Client:
    """Flask's test client with the page's login and CSRF token."""

    def __init__(self, app: Flask, ip: str = "127.0.0.1") -> None:
        self.app = app
        self.c = app.test_client()
        self.c.environ_base["REMOTE_ADDR"] = ip

    def token(self) -> str:
        with self.c.session_transaction() as s:
            if "csrf" in s:
                return s["csrf"]
        return CSRF.search(self.c.get("/login").text).group(1)

    def login(self, username: str, password: str | None = None):
        token = CSRF.search(self.c.get("/login").text).group(1)
        return self.c.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                           "csrf_token": token})

    def get(self, path: str, **kw):
        return self.c.get(path, **kw)

    def post(self, path: str, data: dict | None = None, token: str | None = "", **kw):
        data = dict(data or {})
        if token is not None:
            data["csrf_token"] = token or self.token()
        return self.c.post(path, data=data, **kw)

    def upload(self, unit: str, what: str, content: bytes, filename: str = "填报表.xlsx", year: int = YEAR):
        return self.post(f"/unit/{unit}/{year}/{what}", {what: (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")


def client(app: Flask, username: str | None = None, ip: str = "127.0.0.1") -> Client:
    c = Client(app, ip)
    if username:
        r = c.login(username)
        assert r.status_code == 302, r.text
    return c


def text_of(response) -> str:
    """The page as a reader sees it: tags removed, entities of the autoescape undone, spaces collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    for entity, char in (("&#34;", '"'), ("&#39;", "'"), ("&quot;", '"'), ("&lt;", "<"), ("&gt;", ">"),
                         ("&amp;", "&")):
        body = body.replace(entity, char)
    return re.sub(r"\s+", " ", body)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".web" not in p.parts}


def docx_text(data: bytes | Path) -> list[str]:
    """Every paragraph, then every table cell, of a .docx."""
    document = docx.Document(io.BytesIO(data) if isinstance(data, bytes) else str(data))
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out += [cell.text for cell in row.cells]
    return out


def generate(c: Client, unit: str, pdf: bool = False) -> None:
    r = c.post(f"/unit/{unit}/{YEAR}/generate", {"pdf": "1"} if pdf else {})
    assert r.status_code in (200, 303), text_of(r)


def wait_batch(c: Client, year: int = YEAR, timeout: float = 120) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        job = c.get(f"/county/{year}/progress").get_json()
        if not job["running"]:
            return job
        time.sleep(0.2)
    raise AssertionError("the batch did not finish")


# ----------------------------------------------------------------------------- accounts and sessions


def test_login_logout_and_cookie_flags(app: Flask) -> None:
    c = Client(app)
    assert c.get("/unit/A镇/2024/").headers["Location"].startswith("/login")
    r = c.login("a-clerk")
    assert r.status_code == 302 and r.headers["Location"] == "/unit/A%E9%95%87/"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = c.get("/unit/A镇/2024/")
    assert page.status_code == 200 and "A镇" in text_of(page) and "上传并审核" in text_of(page)
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert c.post("/logout").status_code == 302
    assert c.get("/unit/A镇/2024/").headers["Location"].startswith("/login")


def test_wrong_password_is_slowed_then_locked(root: Path) -> None:
    app = make_app(root, LOGIN_SLOW_AFTER=2, LOGIN_DELAY=0.4, LOGIN_LOCK_AFTER=4, LOGIN_LOCK_SECONDS=600)
    c = Client(app)
    for _ in range(2):
        r = c.login("a-clerk", "wrong")
        assert r.status_code == 401 and "用户名或密码不正确" in text_of(r)
    r = c.login("a-clerk")  # the right password, too soon: refused without a check
    assert r.status_code == 429 and "秒后再试" in text_of(r)
    time.sleep(0.45)
    assert c.login("a-clerk", "wrong").status_code == 401  # third failure: the next wait is 0.8 s
    assert c.login("a-clerk", "wrong").status_code == 429
    time.sleep(0.85)
    assert c.login("a-clerk", "wrong").status_code == 401  # fourth: locked
    r = c.login("a-clerk")
    assert r.status_code == 429 and "已暂时锁定" in text_of(r) and "10 分钟" in text_of(r)
    assert client(app, "b-clerk").get("/unit/B镇/2024/").status_code == 200  # another account is not affected
    accounts_page = text_of(client(app, "county").get("/admin/accounts"))
    assert accounts_page.count("登录已锁定") == 1
    # the bureau resets the password: the lock is lifted, the one-time password works (and must be changed)
    bureau = client(app, "county")
    account_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "a-clerk").id
    otp = re.search(r'id="otp">([^<]+)<', bureau.post(f"/admin/accounts/{account_id}/reset").text).group(1)
    r = c.login("a-clerk", otp)
    assert r.status_code == 302 and r.headers["Location"] == "/password"


def test_a_reset_is_asked_first_and_only_the_bureau_is_asked(root: Path) -> None:
    app = make_app(root)
    bureau = client(app, "county")
    account_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "a-clerk").id
    accounts = bureau.get("/admin/accounts").get_data(as_text=True)
    assert f'href="/admin/accounts/{account_id}/reset"' in accounts  # the list links to the question, posts nothing
    assert f'action="/admin/accounts/{account_id}/reset"' not in accounts
    page = bureau.get(f"/admin/accounts/{account_id}/reset")
    assert page.status_code == 200
    words = text_of(page)
    assert "a-clerk" in words and "单位：A镇" in words and "原密码立即失效" in words
    assert "确认重置" in words and "取消" in words
    assert f'action="/admin/accounts/{account_id}/reset"' in page.get_data(as_text=True)
    # asking changed nothing: the clerk still logs in with the old password
    assert client(app, "a-clerk").get("/unit/A镇/2024/").status_code == 200
    # a unit's account is refused the question, for itself or another; an unknown account is not found
    clerk = client(app, "a-clerk")
    assert clerk.get(f"/admin/accounts/{account_id}/reset").status_code == 403
    assert bureau.get("/admin/accounts/99999/reset").status_code == 404


def test_failures_from_one_address_are_slowed_whatever_the_name(root: Path) -> None:
    app = make_app(root, LOGIN_IP_SLOW_AFTER=3, LOGIN_DELAY=30)
    c = Client(app, ip="10.1.2.3")
    for name in ("x1", "x2", "x3"):
        assert c.login(name, "guess").status_code == 401
    r = c.login("b-clerk")
    assert r.status_code == 429 and "秒后再试" in text_of(r)
    assert client(app, "b-clerk", ip="10.9.9.9").get("/unit/B镇/2024/").status_code == 200


def test_one_time_password_must_be_changed_and_disabling_ends_the_session(app: Flask, root: Path) -> None:
    bureau = client(app, "county")
    r = bureau.post("/admin/accounts", {"username": "c-clerk", "role": "unit", "unit": "C镇"})
    assert r.status_code == 200
    otp = re.search(r'id="otp">([^<]+)<', r.text).group(1)
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", otp)
    c = Client(app)
    assert c.login("c-clerk", otp).headers["Location"] == "/password"
    assert c.get("/unit/C镇/2024/").headers["Location"] == "/password"  # nothing else until it is changed
    r = c.post("/password", {"current": "a guess", "new": "c-clerk-new-pw", "again": "c-clerk-new-pw"})
    assert r.status_code == 400 and "当前密码不正确" in text_of(r)
    with db.connect(app.config["DB_PATH"]) as con:
        assert db.failures(con, "user:c-clerk").failures == 1  # a guess of the password, counted as a login
    r = c.post("/password", {"current": otp, "new": "short", "again": "short"})
    assert r.status_code == 400 and "8–200 个字符" in text_of(r)
    r = c.post("/password", {"current": otp, "new": "c-clerk-new-pw", "again": "c-clerk-new-pw"})
    assert r.status_code == 302 and r.headers["Location"] == "/unit/C%E9%95%87/"
    page = c.get("/unit/C镇/2024/")
    assert page.status_code == 200 and "还没有 2024 年度的工作簿" in text_of(page)
    r = c.post("/unit/C镇/2024/generate")  # nothing to generate from; no other unit is named
    assert r.status_code == 422 and "还没有 2024 年度的工作簿：请先上传" in text_of(r)
    assert "A镇" not in text_of(r) and "B镇" not in text_of(r)
    assert Client(app).login("c-clerk", otp).status_code == 401  # the one-time password is gone
    # the bureau disables the account: the open session ends at once
    account_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "c-clerk").id
    assert bureau.post(f"/admin/accounts/{account_id}/active", {"active": "0"}).status_code == 303
    assert c.get("/unit/C镇/2024/").headers["Location"].startswith("/login")
    r = Client(app).login("c-clerk", "c-clerk-new-pw")
    assert r.status_code == 401 and "用户名或密码不正确" in text_of(r)  # as a wrong password is answered
    # names that cannot be a unit's folder are refused
    for bad in ("../B镇", "default", ".hidden", "a/b", "C镇\x00"):
        r = bureau.post("/admin/accounts", {"username": "bad-one", "role": "unit", "unit": bad})
        assert r.status_code == 400 and "不能用作文件夹名" in text_of(r), bad
    assert db.account_by_name(db.connect(app.config["DB_PATH"]), "bad-one") is None


def test_csrf_token_is_required_on_every_post(app: Flask, root: Path) -> None:
    c = Client(app)
    c.get("/login")
    for token in (None, "forged-token"):
        r = c.post("/login", {"username": "a-clerk", "password": PASSWORDS["a-clerk"]}, token=token)
        assert r.status_code == 400 and "缺少或不符的表单令牌" in text_of(r)
    c = client(app, "a-clerk")
    before = snapshot(root)
    slip = (root / "data" / "A镇" / "2024.xlsx").read_bytes()
    for token in (None, "forged-token", client(app, "b-clerk").token()):  # none, made up, another session's
        r = c.post("/unit/A镇/2024/workbook", {"workbook": (io.BytesIO(slip), "x.xlsx")}, token=token,
                   content_type="multipart/form-data")
        assert r.status_code == 400 and "未做任何改动" in text_of(r)
        assert c.post("/unit/A镇/2024/generate", token=token).status_code == 400
        assert c.post("/logout", token=token).status_code == 400
    assert snapshot(root) == before
    assert c.get("/unit/A镇/2024/").status_code == 200  # still logged in


def test_forged_or_outdated_session_cookie_is_refused(app: Flask) -> None:
    bureau_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "county").id
    forger = Flask("forger")
    forger.secret_key = "a guessed key"
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"uid": bureau_id, "epoch": 1, "t": time.time(), "csrf": "x"})
    real = client(app, "county").c.get_cookie("generator_session").value
    payload, _, signature = real.partition(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    for cookie in (forged, tampered, "not-a-session", real.rsplit(".", 1)[0] + ".AAAA"):
        c = Client(app)
        c.c.set_cookie("generator_session", cookie)
        r = c.get("/county/2024/")
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), cookie
    # a genuine session ends when the account's password is reset
    a = client(app, "a-clerk")
    account_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "a-clerk").id
    client(app, "county").post(f"/admin/accounts/{account_id}/reset")
    assert a.get("/unit/A镇/2024/").headers["Location"].startswith("/login")


def test_oversized_uploads_are_refused_with_a_chinese_page(app: Flask, root: Path) -> None:
    c = client(app, "a-clerk")
    before = snapshot(root)
    r = c.upload("A镇", "workbook", b"PK" + b"\0" * (10 * 1024 * 1024 + 10))
    assert r.status_code == 413
    assert "上传的文件过大：工作簿不能超过 10 MB，模板不能超过 20 MB" in text_of(r)
    r = c.upload("A镇", "template", b"PK" + b"\0" * (20 * 1024 * 1024 + 10), "report.docx")
    assert r.status_code == 413
    r = c.upload("A镇", "template", b"x" * (12 * 1024 * 1024), "report.docx")  # within a template's limit
    assert r.status_code == 422 and "不是有效的 Word" in text_of(r)
    assert snapshot(root) == before


def test_a_requests_connection_is_one_and_closed_when_it_ends(app: Flask) -> None:
    """web/db.py: ``connection()`` is the request's one connection, closed by ``init_app``'s teardown."""
    import sqlite3

    with app.test_request_context("/login"):
        con = db.connection()
        assert db.connection() is con
        assert con.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 3
    with pytest.raises(sqlite3.ProgrammingError):
        con.execute("SELECT 1")  # closed with the request


def test_cli_creates_the_first_bureau_account(root: Path) -> None:
    args = ["--data", str(root / "data")]
    result = CliRunner().invoke(main, ["create-admin", "局长", *args])
    assert result.exit_code == 0, result.output
    otp = re.search(r"一次性密码：(\S+)", result.output).group(1)
    again = CliRunner().invoke(main, ["create-admin", "局长", *args])
    assert again.exit_code == 1 and "已存在" in again.output
    state = root / "data" / ".web"
    if os.name == "posix":
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / "accounts.sqlite3").stat().st_mode) == 0o600
    app = create_app(root / "data", root / "templates", root / "output", TESTING=True)
    if os.name == "posix":
        assert stat.S_IMODE((state / "secret_key").stat().st_mode) == 0o600
    c = Client(app)
    assert c.login("局长", otp).headers["Location"] == "/password"
    missing = CliRunner().invoke(main, ["create-admin", "x1", "--data", str(root / "nowhere")])
    assert missing.exit_code == 1 and "找不到数据文件夹" in missing.output


# ----------------------------------------------------------------------------- one unit, never another's


def test_cli_reset_password_is_the_bureaus_way_back_in(root: Path) -> None:
    """``generate reset-password NAME`` from the server's console, the page running: a new one-time password
    (printed once, to be changed at the next login), the lock lifted, a disabled account enabled again, the old
    password and every open session ended; an unknown name changes nothing and names the accounts there are."""
    app = make_app(root, LOGIN_LOCK_AFTER=2, LOGIN_SLOW_AFTER=5, LOGIN_LOCK_SECONDS=600)
    data = ["--data", str(root / "data")]
    open_session = client(app, "county")
    assert open_session.get("/admin/accounts").status_code == 200
    with db.connect(app.config["DB_PATH"]) as con:
        db.set_active(con, db.account_by_name(con, "county").id, False)  # disabled (by another bureau account)
    attacker = Client(app, ip="10.0.0.7")
    for _ in range(2):
        assert attacker.login("county", "a guess").status_code == 401
    assert attacker.login("county").status_code == 429  # locked: even the right password is refused

    result = CliRunner().invoke(main, ["reset-password", "county", *data])
    assert result.exit_code == 0, result.output
    otp = re.search(r"一次性密码：(\S+)", result.output).group(1)
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", otp)
    assert "已解除该账户的登录锁定。" in result.output and "该账户原已停用，现已重新启用。" in result.output
    assert open_session.get("/admin/accounts").headers["Location"].startswith("/login")  # the old session ended
    assert Client(app, ip="10.0.0.8").login("county").status_code == 401  # the old password no longer works
    c = Client(app, ip="10.0.0.9")
    r = c.login("county", otp)
    assert r.status_code == 302 and r.headers["Location"] == "/password"  # in, and must set its own password
    r = c.post("/password", {"current": otp, "new": "bureau-2025!", "again": "bureau-2025!"})
    assert r.status_code == 302 and c.get("/admin/accounts").status_code == 200
    again = CliRunner().invoke(main, ["reset-password", "county", *data])  # neither locked nor disabled now
    assert again.exit_code == 0 and "锁定" not in again.output and "启用" not in again.output

    with db.connect(app.config["DB_PATH"]) as con:
        before = [(a.username, a.password, a.epoch, a.active) for a in db.accounts(con)]
    unknown = CliRunner().invoke(main, ["reset-password", "nobody", *data])
    assert unknown.exit_code == 1
    assert "没有账户“nobody”。已有的账户：" in unknown.output and "a-clerk" in unknown.output
    with db.connect(app.config["DB_PATH"]) as con:
        assert [(a.username, a.password, a.epoch, a.active) for a in db.accounts(con)] == before
    missing = CliRunner().invoke(main, ["reset-password", "county", "--data", str(root / "nowhere")])
    assert missing.exit_code == 1 and "找不到数据文件夹" in missing.output
    assert not (root / "nowhere").exists()


def test_a_unit_cannot_reach_another_units_pages_or_files(app: Flask, root: Path) -> None:
    bureau = client(app, "county")
    for unit in NAMES:
        generate(bureau, unit)
    b_docx = root / "output" / "2024" / "B镇" / report_name(NAMES["B镇"])  # B's own folder
    assert b_docx.is_file()
    b_secret = NAMES["B镇"]
    a = client(app, "a-clerk")
    assert a.get("/unit/A镇/2024/file/docx").status_code == 200  # its own file: yes
    before = snapshot(root)
    urls = [f"/unit/B镇/", f"/unit/B镇/{YEAR}/", f"/unit/B镇/{YEAR}/pages", f"/unit/B镇/{YEAR}/page/{'0' * 64}/1.png",
            *(f"/unit/B镇/{YEAR}/file/{k}" for k in ("docx", "tables", "pdf", "audit", "workbook", "blank", "template")),
            # path tricks in unit names and file kinds
            "/unit/..%2FB镇/2024/file/docx", "/unit/%2e%2e/2024/", "/unit/%2E%2E%2FB镇/2024/", "/unit/./2024/",
            "/unit/A镇%2F..%2FB镇/2024/file/docx", "/unit/A镇/..%2F..%2FB镇/2024/", "/unit/B镇%00/2024/",
            "/unit/A镇%00B镇/2024/", "/unit/A镇/2024/file/..%2F..%2Fdata%2FB镇%2F2024.xlsx",
            "/unit/A镇/2024/file/%2Fetc%2Fpasswd", "/unit/A镇/2024/file/docx%00", "/unit/A镇/2024/file/..",
            f"/unit/A镇/2024/file/{b_docx}", "/unit//etc/2024/", "/unit/%2Fetc%2Fpasswd/2024/",
            "/unit/A镇/2024/file/C:%5Cboot.ini", "/unit/..%5CB镇/2024/",
            "/county/", "/county/2024/", "/county/2024/summary", "/county/2024/reports.zip", "/county/2024/progress",
            "/admin/accounts"]
    for url in urls:
        r = a.get(url, follow_redirects=True)  # "//" is merged by a redirect first
        assert r.status_code in (403, 404), (url, r.status_code)
        assert b_secret not in r.get_data(as_text=True), url
        assert not r.get_data().startswith(b"PK"), url
    for what in ("workbook", "template"):
        r = a.upload("B镇", what, (root / "data" / "A镇" / "2024.xlsx").read_bytes())
        assert r.status_code == 403 and "不能访问其他单位" in text_of(r)
    assert a.post("/unit/B镇/2024/generate").status_code == 403
    assert a.post("/county/2024/generate").status_code == 403
    assert a.post("/admin/accounts", {"username": "mine", "role": "bureau"}).status_code == 403
    assert snapshot(root) == before
    # the page images of B's report are B's: A asking with B's hash under its own unit gets nothing
    digest = hashlib.sha256(b_docx.read_bytes()).hexdigest()
    assert a.get(f"/unit/A镇/2024/page/{digest}/1.png").status_code == 404


def test_a_workbook_naming_another_unit_is_an_audit_error_not_a_refusal(app: Flask, root: Path,
                                                                         books: dict[str, Path]) -> None:
    """A's workbook gives B's 单位全称: stored, generated into A's own folder; B's files untouched; both audits
    (A's page, B's page, the county page) name the clash; B can still upload and generate."""
    generate(client(app, "county"), "B镇")
    b_folder = root / "output" / "2024" / "B镇"
    b_before = snapshot(b_folder)
    a = client(app, "a-clerk")
    r = a.upload("A镇", "workbook", books["B镇"].read_bytes())
    assert r.status_code == 303, text_of(r)
    generate(a, "A镇")
    assert (root / "output" / "2024" / "A镇" / report_name(NAMES["B镇"])).is_file()
    assert snapshot(b_folder) == b_before
    clash = "的单位全称“桃源县B镇人民政府”与单位“{}”的工作簿相同"
    assert "单位“A镇”" + clash.format("B镇") in text_of(a.get("/unit/A镇/2024/"))
    b = client(app, "b-clerk")
    assert "单位“B镇”" + clash.format("A镇") in text_of(b.get("/unit/B镇/2024/"))
    assert "与 A镇 同名" in text_of(client(app, "county").get("/county/2024/"))
    r = b.upload("B镇", "workbook", books["B镇"].read_bytes())
    assert r.status_code == 303, text_of(r)
    generate(b, "B镇")
    assert (b_folder / report_name(NAMES["B镇"])).is_file()


def test_bureau_sees_every_unit(app: Flask, root: Path) -> None:
    bureau = client(app, "county")
    generate(bureau, "A镇")
    page = text_of(bureau.get("/county/2024/"))
    assert "共 2 个单位，已收到 2 份 2024 年度工作簿" in page
    for unit, name in NAMES.items():
        assert unit in page and name in page
        assert bureau.get(f"/unit/{unit}/2024/").status_code == 200
        assert bureau.get(f"/unit/{unit}/2024/file/workbook").data == (root / "data" / unit / "2024.xlsx").read_bytes()
    assert bureau.get("/unit/A镇/2024/file/docx").status_code == 200
    assert bureau.get("/unit/B镇/2024/file/docx").status_code == 404  # not generated yet
    assert bureau.get("/unit/不存在/2024/").status_code == 404


# ----------------------------------------------------------------------------- uploads


def test_upload_with_a_slip_shows_the_finding_and_its_cell(app: Flask, root: Path, books: dict[str, Path]) -> None:
    a = client(app, "a-clerk")
    r = a.upload("A镇", "workbook", books["slip"].read_bytes(), "../../郑家驿 最终版(2).xlsx")
    assert r.status_code == 303
    assert (root / "data" / "A镇" / "2024.xlsx").read_bytes() == books["slip"].read_bytes()
    assert sorted(p.name for p in (root / "data" / "A镇").iterdir()) == ["2024.xlsx"]  # the client's name is not used
    assert not (root / "郑家驿 最终版(2).xlsx").exists()
    page = a.get("/unit/A镇/2024/")
    rows = re.findall(r'<tr class="(error|hint)">\s*<td class="severity">([^<]+)</td>\s*<td class="where">([^<]+)',
                      page.text)
    severities = [sev for _, sev, _ in rows]
    assert severities == sorted(severities, key=lambda s: s != "错误")  # 错误 first
    assert ("error", "错误", f"财务 › {ASSETS}") in rows
    assert "资产总额 9999.99 万元" in text_of(page)
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert history[0]["kind"] == "workbook" and history[0]["ok"] == 1
    assert history[0]["errors"] == severities.count("错误") and history[0]["hints"] == severities.count("提示")
    assert history[0]["sha256"] == hashlib.sha256(books["slip"].read_bytes()).hexdigest()
    # the annotated workbook marks the cell with its message
    audit = a.get("/unit/A镇/2024/file/audit")
    assert audit.status_code == 200
    assert "attachment" in audit.headers["Content-Disposition"] and "-%E5%AE%A1%E6%A0%B8.xlsx" in \
        audit.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(audit.data))
    assert wb.sheetnames[0] == "审核结果"
    assert "资产总额" in wb["财务"][ASSETS].comment.text
    # the corrected workbook: the finding is gone
    a.upload("A镇", "workbook", books["A镇"].read_bytes())
    assert f"财务 › {ASSETS}<" not in a.get("/unit/A镇/2024/").text
    page = text_of(a.get("/unit/A镇/2024/"))
    assert "上传工作簿 a-clerk 成功 3 4" in page  # the history: the second upload's counts


@pytest.mark.parametrize("content, expected", [
    (b"just some text, not a workbook", "2024.xlsx 不是有效的 .xlsx 工作簿"),
    (b"", "2024.xlsx 不是有效的 .xlsx 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1016 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 2048,
     "2024.xlsx 设有打开密码，无法读取"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "2024.xlsx 是旧版 Excel（.xls）或 WPS（.et）格式"),
    ("bomb", "不像是一个单位的填报表，已拒绝读取"),
    ("word", "2024.xlsx 不是有效的 .xlsx 工作簿"),
    ("no-sheets", "缺少工作表“基本信息”"),
])
def test_hostile_workbook_gets_the_librarys_message(app: Flask, root: Path, content: bytes | str,
                                                    expected: str) -> None:
    if content == "bomb":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/workbook.xml", "<workbook/>")
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
                for _ in range(260):
                    fh.write(b"\0" * (1 << 20))
        content = buf.getvalue()
    elif content == "word":
        content = (ROOT / "templates" / "default" / "report.docx").read_bytes()
    elif content == "no-sheets":
        buf = io.BytesIO()
        wb = openpyxl.Workbook()
        wb.active["A1"] = "一张别的表"
        wb.save(buf)
        content = buf.getvalue()
    a = client(app, "a-clerk")
    before = snapshot(root)
    r = a.upload("A镇", "workbook", content)
    assert r.status_code == 422
    assert expected in text_of(r)
    assert "Traceback" not in r.text
    assert snapshot(root) == before
    assert list((root / "data" / ".web" / "staging").iterdir()) == []  # nothing left behind
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert history[0]["ok"] == 0 and expected in history[0]["detail"]


def plant(path: Path, text: str) -> None:
    """The default template with its heading paragraph replaced by ``text``."""
    document = docx.Document(str(path))
    paragraph = next(p for p in document.paragraphs if p.text == HEADING)
    for run in paragraph.runs[1:]:
        run._r.getparent().remove(run._r)
    paragraph.runs[0].text = text
    document.save(str(path))


def test_template_upload_is_checked_before_it_is_stored(app: Flask, root: Path, tmp_path: Path) -> None:
    a = client(app, "a-clerk")
    bad = tmp_path / "bad.docx"
    shutil.copyfile(root / "templates" / "default" / "report.docx", bad)
    plant(bad, "{{ 财务.资产合计 }}")
    r = a.upload("A镇", "template", bad.read_bytes(), "report.docx")
    assert r.status_code == 422
    page = text_of(r)
    assert "模板检查发现 1 处问题，模板未保存" in page
    assert "财务.资产合计" in page and "第5段" in page
    assert not (root / "templates" / "A镇").exists()
    broken = tmp_path / "broken.docx"
    shutil.copyfile(root / "templates" / "default" / "report.docx", broken)
    plant(broken, "{% for x in 文字内容 %}{{ x }}")
    r = a.upload("A镇", "template", broken.read_bytes(), "report.docx")
    assert r.status_code == 422 and "endfor" in text_of(r) and "第5段" in text_of(r)
    good = tmp_path / "good.docx"
    shutil.copyfile(root / "templates" / "default" / "report.docx", good)
    plant(good, "一、单位概况（A镇自己的模板）")
    r = a.upload("A镇", "template", good.read_bytes(), "../../default/report.docx")
    assert r.status_code == 200 and "模板检查通过，已保存为本单位的模板" in text_of(r)
    stored = root / "templates" / "A镇" / "report.docx"  # as cleaned: the same text, no custom XML (not a report's)
    assert docx_text(stored) == docx_text(good)
    with zipfile.ZipFile(stored) as s_zip, zipfile.ZipFile(good) as g_zip:
        assert set(s_zip.namelist()) == {n for n in g_zip.namelist() if not n.startswith("customXml/")}
    assert (root / "templates" / "default" / "report.docx").read_bytes() == \
        (ROOT / "templates" / "default" / "report.docx").read_bytes()
    assert "当前使用：本单位的模板" in text_of(a.get("/unit/A镇/2024/"))
    generate(a, "A镇")
    assert "一、单位概况（A镇自己的模板）" in docx_text(a.get("/unit/A镇/2024/file/docx").data)
    b = client(app, "b-clerk")
    generate(b, "B镇")
    b_text = docx_text(b.get("/unit/B镇/2024/file/docx").data)
    assert HEADING in b_text and "一、单位概况（A镇自己的模板）" not in b_text  # B keeps the default
    kinds = [(h["kind"], h["ok"]) for h in db.history(db.connect(app.config["DB_PATH"]), "A镇")]
    assert kinds == [("generate", 1), ("template", 1), ("template", 0), ("template", 0)]


# ----------------------------------------------------------------------------- reports and files


def test_generate_and_download_the_units_files(app: Flask, root: Path) -> None:
    a = client(app, "a-clerk")
    r = a.post("/unit/A镇/2024/generate")
    assert r.status_code == 303 and r.headers["Location"].endswith("#report")
    out = root / "output" / "2024" / "A镇"  # the unit's own folder
    name = report_name(NAMES["A镇"])
    r = a.get("/unit/A镇/2024/file/docx")
    assert r.status_code == 200 and r.data == (out / name).read_bytes()  # the CLI's folder, the CLI's file
    assert "attachment" in r.headers["Content-Disposition"]
    text = docx_text(r.data)
    assert f"2024年度{NAMES['A镇']}整体支出绩效自评报告" in "".join(text)
    tables = a.get("/unit/A镇/2024/file/tables")
    assert tables.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(tables.data)).sheetnames
    page = text_of(a.get("/unit/A镇/2024/"))
    assert "最近生成" in page and "报告（Word）" in page
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert history[0]["kind"] == "generate" and history[0]["ok"] == 1
    # a stale report is marked after a new upload
    time.sleep(0.01)
    a.upload("A镇", "workbook", (root / "data" / "A镇" / "2024.xlsx").read_bytes())
    assert "工作簿在此之后改过，请重新生成" in text_of(a.get("/unit/A镇/2024/"))


def test_blank_workbooks_for_a_new_year(app: Flask, root: Path) -> None:
    a = client(app, "a-clerk")
    r = a.get("/unit/A镇/2025/file/blank")  # from 2024's workbook, as --init makes it
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    basic = {row[0].value: row[1].value for row in wb["基本信息"].iter_rows(min_col=1, max_col=2)}
    assert basic["年度"] == 2025 and basic["单位全称"] == NAMES["A镇"]
    assert not (root / "data" / "A镇" / "2025.xlsx").exists()  # downloaded, not put in the unit's folder
    r = a.get("/unit/A镇/2024/file/blank")  # no 2023 workbook: a new unit's blank
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    basic = {row[0].value: row[1].value for row in wb["基本信息"].iter_rows(min_col=1, max_col=2)}
    assert basic["年度"] == 2024 and basic["单位全称"] == "A镇"


@pytest.mark.skipif(not find_soffice() or not shutil.which("pdftoppm"), reason="LibreOffice and pdftoppm")
def test_report_pages_as_images_and_the_pdf(app: Flask, root: Path) -> None:
    require(bool(find_soffice()) and bool(shutil.which("pdftoppm")), "LibreOffice and pdftoppm")
    a = client(app, "a-clerk")
    generate(a, "A镇", pdf=True)
    pdf = a.get("/unit/A镇/2024/file/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    page = a.get("/unit/A镇/2024/pages")
    images = re.findall(r'<img src="([^"]+)"', page.text)
    assert len(images) >= 5, text_of(page)
    first = a.get(images[0])
    assert first.status_code == 200 and first.data.startswith(b"\x89PNG") and first.mimetype == "image/png"
    assert client(app, "b-clerk").get(images[0]).status_code == 403


def test_county_batch_with_progress_summary_and_zip(root: Path) -> None:
    app = make_app(root, BATCH_WAIT=1.0, BATCH_JOBS=1)
    bureau = client(app, "county")
    # A's folder held by another run (the CLI): the batch waits for A, then says so; B is written
    with Folder(root / "output" / "2024" / "A镇", wait=0, unit="A镇"):
        r = bureau.post("/county/2024/generate")
        assert r.status_code == 303
        second = bureau.post("/county/2024/generate", follow_redirects=True)
        assert "全部生成正在进行" in text_of(second)  # one batch at a time
        job = wait_batch(bureau)
    assert job["ok"] is False
    assert any("A镇：失败" in line["text"] and "另一个生成任务正在写入单位“A镇”的报告" in line["text"]
               for line in job["lines"]), job
    assert not list((root / "output" / "2024" / "A镇").glob("*.docx"))
    assert (root / "output" / "2024" / "B镇" / report_name(NAMES["B镇"])).is_file()
    r = bureau.post("/county/2024/generate", follow_redirects=True)
    assert "已开始生成 2024 年度全部 2 个单位的报告" in text_of(r)
    job = wait_batch(bureau)
    assert job["ok"] is True and job["done"] == 2 and job["total"] == 2
    assert any("共 2 个单位" in line["text"] for line in job["lines"])
    page = text_of(bureau.get("/county/2024/"))
    assert "全部生成完成" in page
    summary = bureau.get("/county/2024/summary")
    assert summary.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(summary.data)).active
    assert {ws.cell(r, 1).value for r in range(3, 5)} == set(NAMES)
    archive = zipfile.ZipFile(io.BytesIO(bureau.get("/county/2024/reports.zip").data))
    names = set(archive.namelist())
    assert {f"{u}/{report_name(n)}" for u, n in NAMES.items()} <= names  # each unit's folder
    assert "2024年度部门整体支出绩效自评汇总表.xlsx" in names
    assert archive.read(f"B镇/{report_name(NAMES['B镇'])}") == (
        root / "output" / "2024" / "B镇" / report_name(NAMES["B镇"])).read_bytes()
    history = db.history(db.connect(app.config["DB_PATH"]), "B镇")
    assert history[0]["kind"] == "generate" and history[0]["ok"] == 1 and history[0]["account"] == "county"
    assert "上传工作簿" not in [h["kind"] for h in history]


# ----------------------------------------------------------------------------- a unit's state, kept and renewed


GENERATED = r"\d{4}-\d\d-\d\d \d\d:\d\d"  # the time of the last report, in its column


def county_row(bureau: Client, unit: str) -> str:
    """The county page's row of ``unit``, as a reader sees it."""
    html = bureau.get(f"/county/{YEAR}/").get_data(as_text=True)
    row = re.search(rf'<tr data-unit="{unit}">(.*?)</tr>', html, re.S)
    assert row, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))


def test_the_county_page_follows_an_edited_workbook_new_rules_and_a_generation(app: Flask, root: Path) -> None:
    """Kept states are never stale: a workbook changed in data/ (as by the CLI or a copy), the county's rules
    workbook put in place, and a generation each show on the next county page."""
    from decimal import Decimal

    from test_rules import CAPS, rules_book

    bureau = client(app, "county")
    site = app.extensions["generator"]
    row = county_row(bureau, "A镇")
    assert NAMES["A镇"] in row and not re.search(GENERATED, row)
    assert site.state(YEAR, "A镇").values["自评"]["总分"] == Decimal("95.29")  # 8.51 + 86.78, the example's
    generate(bureau, "A镇")
    row = county_row(bureau, "A镇")
    assert re.search(GENERATED, row) and "工作簿已更新" not in row
    assert set(site.state(YEAR, "A镇").outputs) >= {"docx", "tables", "audit_md", "audit_xlsx"}
    # the workbook edited in place (the slip in 资产总额): the report is marked as older than it, the slip found
    workbook = root / "data" / "A镇" / f"{YEAR}.xlsx"
    workbook_for(workbook, NAMES["A镇"], {ASSETS: 9999.99})
    later = time.time_ns() + 10**9  # (later than the report, whatever the clock's grain)
    os.utime(workbook, ns=(later, later))
    assert "工作簿已更新" in county_row(bureau, "A镇")
    assert any(f"财务 › {ASSETS}" in f.line() for f in site.state(YEAR, "A镇").audit.errors)
    # and given another 单位全称
    workbook_for(workbook, "桃源县A镇新名人民政府")
    os.utime(workbook, ns=(later + 10**9, later + 10**9))
    row = county_row(bureau, "A镇")
    assert "桃源县A镇新名人民政府" in row and NAMES["A镇"] not in row
    # the county's rules: 85.09% falls in the band 70–90, at most 89 → 95.29 is capped at 89.00
    rules_book(root / "data", {"执行率封顶": CAPS | {"B3": 90}})
    assert site.state(YEAR, "A镇").values["自评"]["总分"] == Decimal("89.00")
    assert site.state(YEAR, "B镇").values["自评"]["总分"] == Decimal("89.00")
    # generated again: the page shows it, and the state kept is the one a fresh read gives
    assert not re.search(GENERATED, county_row(bureau, "A镇"))  # (no report of that name yet)
    generate(bureau, "A镇")
    assert re.search(GENERATED, county_row(bureau, "A镇"))
    assert site.state(YEAR, "A镇").outputs["docx"] == root / "output" / "2024" / "A镇" / report_name(
        "桃源县A镇新名人民政府")
    from generator.api import unit_state
    kept, fresh = site.state(YEAR, "A镇"), unit_state(YEAR, "A镇", root / "data", root / "templates", root / "output")
    assert kept.values["自评"]["总分"] == Decimal("89.00")
    assert (kept.workbook, kept.names, kept.outputs) == (fresh.workbook, fresh.names, fresh.outputs)
    assert [f.line() for f in kept.audit.findings] == [f.line() for f in fresh.audit.findings]
    assert kept.values == fresh.values


def test_a_units_workbook_is_read_again_only_when_a_file_it_comes_from_changes(app: Flask, root: Path,
                                                                                 monkeypatch) -> None:
    """The county page reads each workbook once; a generation reads its unit's once, and neither the pages after
    it nor the other units' rows read anything again; a touched workbook is read again, alone."""
    import generator.pipeline

    reads: list[Path] = []
    real = generator.pipeline.read_workbook

    def counted(path, *args, **kwargs):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(generator.pipeline, "read_workbook", counted)
    bureau = client(app, "county")
    bureau.get(f"/county/{YEAR}/")
    assert sorted(p.parent.name for p in reads) == ["A镇", "B镇"]
    reads.clear()
    bureau.get(f"/county/{YEAR}/")
    assert reads == []
    generate(bureau, "A镇")
    assert [p.parent.name for p in reads] == ["A镇"]  # the generation's own read, nothing more
    reads.clear()
    generate(client(app, "b-clerk"), "B镇")
    bureau.get(f"/county/{YEAR}/")
    bureau.get("/unit/A镇/2024/")
    assert [p.parent.name for p in reads] == ["B镇"]
    reads.clear()
    workbook = root / "data" / "B镇" / f"{YEAR}.xlsx"
    st = workbook.stat()
    os.utime(workbook, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    bureau.get(f"/county/{YEAR}/")
    assert [p.parent.name for p in reads] == ["B镇"]


# ----------------------------------------------------------------------------- twenty units: the page = the CLI


def renamed(source: Path, target: Path, old: str, new: str) -> None:
    """A copy of the workbook ``source`` in which the text ``old`` reads ``new`` in every cell (the name of a
    unit, wherever the example states it): the sheets' XML edited in the package, as fast as a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):  # as UTF-8 or as character references
                for form in (lambda t: t.encode(), lambda t: "".join(f"&#{ord(c)};" if ord(c) > 127 else c
                                                                      for c in t).encode()):
                    data = data.replace(form(old), form(new))
            zout.writestr(info, data)


def body_text(path: Path) -> list[str]:
    """The text of every paragraph of a .docx's body, those in table cells included, in document order."""
    document = docx.Document(str(path))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return ["".join(t.text or "" for t in p.iter(f"{w}t")) for p in document.element.body.iter(f"{w}p")]


def test_twenty_units_through_the_page_give_the_clis_reports(tmp_path: Path) -> None:
    units = {f"{i:02d}镇": f"桃源县第{i:02d}镇人民政府" for i in range(1, 21)}
    books = tmp_path / "books"
    for unit, name in units.items():
        renamed(EXAMPLE, books / unit / f"{YEAR}.xlsx", "桃源县郑家驿镇人民政府", name)
    web = tmp_path / "web"
    (web / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "templates", web / "templates")
    app = make_app(web)
    bureau = client(app, "county")
    for unit in units:
        r = bureau.post("/admin/accounts", {"username": f"clerk{unit[:2]}", "role": "unit", "unit": unit})
        assert r.status_code == 200
    for unit in units:
        r = bureau.upload(unit, "workbook", (books / unit / f"{YEAR}.xlsx").read_bytes(), "upload.xlsx")
        assert r.status_code == 303, text_of(r)
    for unit in list(units)[:2]:  # two through their own page, then all in the county's batch
        generate(bureau, unit)
    bureau.post("/county/2024/generate")
    job = wait_batch(bureau)
    assert job["ok"] is True, job
    cli = tmp_path / "cli"
    shutil.copytree(books, cli / "data")
    shutil.copytree(ROOT / "templates", cli / "templates")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "generator.cli", "--year", "2024", "--data", str(cli / "data"),
                           "--templates", str(cli / "templates"), "--out", str(cli / "output")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    reports = sorted((web / "output" / "2024").glob("*/*报告.docx"))
    assert len(reports) == 20
    for unit, name in units.items():
        page = body_text(web / "output" / "2024" / unit / report_name(name))
        assert page == body_text(cli / "output" / "2024" / unit / report_name(name)), unit
        assert len(page) > 300 and sum(name in line for line in page) >= 2, unit
