"""The page against an attacker with one unit's account (issue 27, item 8), through the real application:
sessions that end, ``next`` that stays on the site, login limits that cannot lock the bureau out, one answer
for a disabled account and a wrong password, templates stored as cleaned, 405 for other methods, uploads
checked without holding them in memory. Limits of the WSGI server itself are tested through the real server.

Every expected text is written here as the clerk reads it; every refusal also checks that nothing changed
on disk.
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import io
import http.cookiejar
import os
import re
import shutil
import socket
import time
import tracemalloc
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote

from flask import Flask
from lxml import etree

from conftest import EXAMPLE, ROOT, serving
from test_hostile_templates import MAIL_LINK, REMOTE_TEMPLATE, WEB_LINK, hostile_template
from test_web import (CSRF, PASSWORDS, Client, books, client, docx_text, generate, make_app, plant,  # noqa: F401
                      root, snapshot, text_of)
from generator.formats import zip as zipout
from generator.web import db
from generator.web.auth import same_site


def account_id(app: Flask, username: str) -> int:
    con = db.connect(app.config["DB_PATH"])
    try:
        return db.account_by_name(con, username).id
    finally:
        con.close()


def copy_of(c: Client, app: Flask) -> Client:
    """Another browser holding a copy of ``c``'s session cookie (as an attacker who read it would)."""
    other = Client(app)
    other.c.set_cookie("generator_session", c.c.get_cookie("generator_session").value)
    return other


def logged_in(c: Client, unit: str = "A镇") -> bool:
    r = c.get(f"/unit/{unit}/2024/")
    if r.status_code == 200:
        return True
    assert r.status_code == 302 and r.headers["Location"].startswith("/login"), r.status_code
    return False


# ----------------------------------------------------------------------------- sessions end


def test_logout_ends_the_session_for_every_copy_of_its_cookie(root: Path) -> None:
    app = make_app(root)
    before = snapshot(root)
    a = client(app, "a-clerk")
    stolen = copy_of(a, app)
    elsewhere = client(app, "a-clerk")  # the same account in another browser
    assert logged_in(stolen) and logged_in(elsewhere)
    r = a.post("/logout")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert not logged_in(a)
    assert not logged_in(stolen)  # the copy taken before the logout is refused after it
    assert logged_in(elsewhere)  # a logout ends this session only
    r = stolen.get("/unit/A镇/2024/file/workbook")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert snapshot(root) == before


def test_a_new_password_ends_every_other_session_of_the_account(root: Path) -> None:
    app = make_app(root)
    a = client(app, "a-clerk")
    stolen = copy_of(a, app)
    other = client(app, "a-clerk")
    b = client(app, "b-clerk")
    r = a.post("/password", {"current": PASSWORDS["a-clerk"], "new": "a-clerk-new-2025", "again": "a-clerk-new-2025"})
    assert r.status_code == 302
    assert logged_in(a)  # the session that changed it goes on
    assert not logged_in(stolen) and not logged_in(other)
    assert logged_in(b, "B镇")  # another account is not touched
    # the bureau resets the password: the clerk's session ends too, and a copy of it
    again = copy_of(a, app)
    client(app, "county").post(f"/admin/accounts/{account_id(app, 'a-clerk')}/reset")
    assert not logged_in(a) and not logged_in(again)
    con = db.connect(app.config["DB_PATH"])
    try:
        sessions = con.execute("SELECT COUNT(*) FROM sessions WHERE account = ?",
                               (account_id(app, "a-clerk"),)).fetchone()[0]
    finally:
        con.close()
    assert sessions == 0


def test_a_session_ends_after_twelve_hours(root: Path) -> None:
    app = make_app(root)
    a = client(app, "a-clerk")
    assert logged_in(a)
    con = db.connect(app.config["DB_PATH"])
    try:  # the session began 12 hours and a minute ago
        con.execute("UPDATE sessions SET created = created - ?", (12 * 3600 + 60,))
    finally:
        con.close()
    assert not logged_in(a)


# ----------------------------------------------------------------------------- next stays on the site

HOME_A = "/unit/A%E9%95%87/"  # a-clerk's home, as the page redirects to it


def login_to(app: Flask, query: str) -> tuple[int, str]:
    """POST the login form of ``/login?next=…`` (``query`` as a browser sends it); (status, Location)."""
    c = Client(app)
    token = c.token()
    r = c.c.post(f"/login?next={query}", data={"username": "a-clerk", "password": PASSWORDS["a-clerk"],
                                               "csrf_token": token})
    return r.status_code, r.headers.get("Location", "")


REFUSED_NEXT = [  # as a browser sends them in the query string
    "/%09/example.com",  # a tab: browsers drop it, and "/\t/example.com" becomes "//example.com"
    "/%0A/example.com", "/%0D/example.com", "%09//example.com",
    "/a%0D%0ASet-Cookie:%20x%3D1",  # CR LF: a header of our own making
    "/%2509/example.com",  # the tab percent-encoded once more
    "//example.com", "///example.com", "/%5Cexample.com", "/%5C/example.com", "%5C%5Cexample.com",
    "/%252F/example.com", "https://example.com/", "https:example.com", "javascript:alert(1)",
    "example.com", "", "/%00", "/%E2%80%AE/moc.elpmaxe", "/%E3%80%80/example.com",  # NUL, RLO, ideographic space
    "/" + "a" * 2001,
]


def test_next_is_followed_only_to_a_path_of_this_site(root: Path) -> None:
    app = make_app(root)
    before = snapshot(root)
    # a path of the site: followed (the Chinese unit name percent-encoded in the header)
    assert login_to(app, "/unit/A%E9%95%87/2024/") == (302, "/unit/A%E9%95%87/2024/")
    assert login_to(app, "/unit/A%E9%95%87/2024/%3Fx%3D1") == (302, "/unit/A%E9%95%87/2024/?x=1")
    for query in ("/%09/example.com", "/a%0D%0ASet-Cookie:%20x%3D1", "//example.com", "/%5Cexample.com",
                  "https://example.com/"):  # through the login, each a password check
        assert login_to(app, query) == (302, HOME_A), query
    with app.test_request_context():
        for query in REFUSED_NEXT:  # every one as the login view judges it
            assert same_site(unquote(query)) is None, query
        assert same_site("/unit/A镇/2024/?x=1#a") == "/unit/A镇/2024/?x=1#a"
    assert snapshot(root) == before


def test_the_login_form_keeps_next_and_a_bad_one_is_harmless(root: Path) -> None:
    app = make_app(root)
    c = Client(app)
    page = c.get("/login?next=/%0D%0A/example.com")
    assert page.status_code == 200 and "登录" in text_of(page)
    action = c.get("/unit/A镇/2024/").headers["Location"]  # not logged in: sent to the login page with next
    assert action == "/login?next=/unit/A%E9%95%87/2024/"


# ----------------------------------------------------------------------------- login limits


def error_of(r) -> str:
    found = re.search(r'id="login-error">([^<]*)<', r.get_data(as_text=True))
    return found.group(1) if found else ""


def test_wrong_passwords_from_elsewhere_never_lock_the_bureau_out(root: Path) -> None:
    app = make_app(root, LOGIN_DELAY=0)  # no waiting between attempts: the counts alone decide
    before = snapshot(root)
    attacker = Client(app, ip="10.0.0.66")  # a unit's clerk guessing the bureau's password
    for _ in range(10):
        r = attacker.login("county", "guess-it")
        assert r.status_code == 401 and error_of(r) == "用户名或密码不正确。"
    r = attacker.login("county")  # that address is locked out of that account, even with the right password
    assert r.status_code == 429
    assert error_of(r) == "登录失败次数过多，已暂时锁定，请 15 分钟后再试，或请县财政局重置密码。"
    bureau = Client(app, ip="10.0.0.1")  # the bureau's own computer has not failed: it logs in at once
    r = bureau.login("county")
    assert r.status_code == 302 and r.headers["Location"] == "/county/"
    assert "登录已锁定（重置密码可解锁）" in text_of(bureau.get("/admin/accounts"))
    assert client(app, "a-clerk", ip="10.0.0.66").get("/unit/A镇/2024/").status_code == 200  # its own account
    assert snapshot(root) == before


def test_an_account_guessed_from_many_addresses_slows_each_of_them_but_not_a_new_one(root: Path) -> None:
    app = make_app(root, LOGIN_ACCOUNT_ALERT=5, LOGIN_DELAY=30)
    for n in range(5):  # five addresses, one wrong password each: none is slowed yet (3 per address)
        assert Client(app, ip=f"10.0.1.{n}").login("county", "guess").status_code == 401
    again = Client(app, ip="10.0.1.0")  # the account is under attack: a second try from an address that failed
    r = again.login("county", "guess")
    assert r.status_code == 429 and re.fullmatch(r"登录失败次数过多，请 (29|30) 秒后再试。", error_of(r))
    r = again.login("county")  # (refused before any password is checked, the right one too)
    assert r.status_code == 429
    r = Client(app, ip="10.0.2.1").login("county")  # an address that has not failed: let in
    assert r.status_code == 302 and r.headers["Location"] == "/county/"
    r = Client(app, ip="10.0.2.2").login("a-clerk")  # and other accounts as ever
    assert r.status_code == 302


def test_a_reset_lifts_the_accounts_locks_from_every_address(root: Path) -> None:
    app = make_app(root, LOGIN_DELAY=0, LOGIN_LOCK_AFTER=2)
    for ip in ("10.0.3.1", "10.0.3.2"):
        c = Client(app, ip=ip)
        for _ in range(2):
            c.login("a-clerk", "wrong")
        assert c.login("a-clerk").status_code == 429
    bureau = client(app, "county")
    assert text_of(bureau.get("/admin/accounts")).count("登录已锁定") == 1
    bureau.post(f"/admin/accounts/{account_id(app, 'a-clerk')}/reset")
    assert "登录已锁定" not in text_of(bureau.get("/admin/accounts"))
    con = db.connect(app.config["DB_PATH"])
    try:
        keys = [row[0] for row in con.execute("SELECT key FROM throttle")]
    finally:
        con.close()
    assert not [k for k in keys if k.endswith("/a-clerk") or k == "user:a-clerk"], keys


def test_a_disabled_account_is_answered_as_a_wrong_password(root: Path) -> None:
    app = make_app(root)
    bureau = client(app, "county")
    assert bureau.post(f"/admin/accounts/{account_id(app, 'b-clerk')}/active", {"active": "0"}).status_code == 303
    before = snapshot(root)
    answers = {}
    for label, username, password, ip in (("disabled, right password", "b-clerk", PASSWORDS["b-clerk"], "10.0.4.1"),
                                          ("wrong password", "a-clerk", "not-the-password", "10.0.4.2"),
                                          ("no such account", "nobody", "whatever-it-is", "10.0.4.3")):
        timings = []
        for _ in range(3):
            c = Client(app, ip=ip)
            token = c.token()
            start = time.perf_counter()
            r = c.c.post("/login", data={"username": username, "password": password, "csrf_token": token})
            timings.append(time.perf_counter() - start)
        page = re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # (the name typed and the form token)
        answers[label] = (r.status_code, error_of(r), page, min(timings))  # (load only adds time)
    statuses = {a[:3] for a in answers.values()}
    assert statuses == {(401, "用户名或密码不正确。", answers["wrong password"][2])}, answers.keys()
    slowest = max(a[3] for a in answers.values())  # none answered much sooner: each hashed the password
    assert all(a[3] > slowest / 4 for a in answers.values()), {k: a[3] for k, a in answers.items()}
    con = db.connect(app.config["DB_PATH"])
    try:  # counted alike
        assert db.failures(con, db.pair_key("10.0.4.1", "b-clerk")).failures == 3
        assert db.failures(con, db.pair_key("10.0.4.2", "a-clerk")).failures == 3
    finally:
        con.close()
    assert snapshot(root) == before


# ----------------------------------------------------------------------------- other methods


def test_other_methods_get_405_with_allow_and_change_nothing(root: Path) -> None:
    app = make_app(root)
    before = snapshot(root)
    workbook = (root / "data" / "A镇" / "2024.xlsx").read_bytes()
    for who in (None, "a-clerk"):
        c = client(app, who) if who else Client(app)
        for path, allowed in (("/login", {"GET", "HEAD", "OPTIONS", "POST"}),
                              ("/unit/A镇/2024/", {"GET", "HEAD", "OPTIONS"}),
                              ("/unit/A镇/2024/workbook", {"OPTIONS", "POST"}),
                              ("/logout", {"OPTIONS", "POST"})):
            for method in ("TRACE", "PUT", "DELETE", "PATCH"):
                r = c.c.open(path, method=method, data=workbook if method in ("PUT", "PATCH") else None)
                assert r.status_code == 405, (who, path, method, r.status_code)
                assert set(r.headers["Allow"].split(", ")) == allowed, (path, r.headers["Allow"])
                assert "不支持这种请求方式。" in text_of(r), (path, method)
                assert "Traceback" not in r.get_data(as_text=True)
    assert client(app, "a-clerk").get("/logout").status_code == 405
    assert Client(app).c.open("/no/such/page", method="DELETE").status_code == 404  # no page: 404 by any method
    assert snapshot(root) == before


# ----------------------------------------------------------------------------- 413 in Chinese at every size


def real_login(url: str, username: str) -> tuple[urllib.request.OpenerDirector, str, str]:
    """Log in to the real server: (an opener holding the session cookie, that cookie, the unit page's token)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = CSRF.search(opener.open(url + "/login", timeout=10).read().decode()).group(1)
    form = urllib.parse.urlencode({"username": username, "password": PASSWORDS[username], "csrf_token": token})
    page = opener.open(url + "/login", data=form.encode(), timeout=10).read().decode()
    cookie = next(c for c in jar if c.name == "generator_session")
    return opener, f"{cookie.name}={cookie.value}", CSRF.search(page).group(1)


def post_upload(url: str, cookie: str, token: str, size: int, declared: int | None = None) -> tuple[int, dict, str]:
    """POST a workbook upload of ``size`` bytes (declaring ``declared``: only the headers and the start of the
    body are sent then, as a client does before the server answers); (status, headers, body)."""
    boundary = "----generator-test"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="2024.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest("POST", "/unit/" + urllib.parse.quote("A镇") + "/2024/workbook")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(declared or len(head) + size + len(tail)))
        conn.putheader("Cookie", cookie)
        conn.endheaders()
        if declared is None:
            conn.send(head)
            chunk = b"PK" + b"\0" * (1024 * 1024 - 2)
            for start in range(0, size, len(chunk)):
                conn.send(chunk[:size - start])
            conn.send(tail)
        else:
            conn.send(head)
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode("utf-8")
    finally:
        conn.close()


def test_uploads_over_the_limit_get_the_chinese_page_at_every_size(root: Path) -> None:
    make_app(root)  # the accounts, in the database the server opens
    before = snapshot(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    text = "上传的文件过大：工作簿不能超过 10 MB，模板不能超过 20 MB。未做任何改动。"
    with serving(["serve"], root, env) as url:
        opener, cookie, token = real_login(url, "a-clerk")
        for size, declared in ((10 * 1024 * 1024 + 1, None),  # just over a workbook's limit: the page says so
                               (None, 30 * 1024 * 1024),  # beyond the page's largest limit: waitress, as the page
                               (None, 2 ** 40)):  # a terabyte declared: refused before it is sent
            status, headers, body = post_upload(url, cookie, token, size or 0, declared)
            assert status == 413, (size, declared, body[:300])
            assert text in body, (size, declared, body[:300])
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert headers["X-Frame-Options"] == "DENY"
            assert "generated by" not in body
        assert opener.open(url + "/unit/A%E9%95%87/2024/", timeout=10).status == 200  # still logged in
        # a request waitress cannot parse: its refusal in Chinese too
        host, port = urllib.parse.urlsplit(url).netloc.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), head
        assert "请求有误，未做任何改动。" in body.decode("utf-8")
    assert snapshot(root) == before


# ----------------------------------------------------------------------------- templates stored as cleaned

DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def assert_clean(data: bytes) -> None:
    """A .docx holding nothing foreign: no macro project, embedding or .bin part, a plain main part, no attached
    template, external relationships only to the web and mail links the report keeps."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    assert not [n for n in parts if "vba" in n.lower() or n.startswith("word/embeddings/") or n.endswith(".bin")]
    types = etree.fromstring(parts["[Content_Types].xml"])
    main = [el.get("ContentType") for el in types if el.get("PartName") == "/word/document.xml"]
    assert main == [DOCUMENT_MAIN]
    assert not [el for el in types if "macroEnabled" in (el.get("ContentType") or "")
                or "vbaProject" in (el.get("ContentType") or "") or el.get("Extension") == "bin"]
    assert b"attachedTemplate" not in parts["word/settings.xml"]
    external = sorted(rel.get("Target") for name in parts if name.endswith(".rels")
                      for rel in etree.fromstring(parts[name]) if rel.get("TargetMode") == "External")
    assert external == sorted([WEB_LINK, MAIL_LINK]), external
    body = parts["word/document.xml"].decode("utf-8")
    assert "INCLUDETEXT" not in body and "OLEObject" not in body and "r:link=" not in body


def test_a_macro_enabled_template_is_stored_and_served_cleaned(root: Path, tmp_path: Path) -> None:
    app = make_app(root)
    docm = tmp_path / "report.docm"
    hostile_template(ROOT / "templates" / "default" / "report.docx", docm)
    with zipfile.ZipFile(docm) as zf:
        assert "word/vbaProject.bin" in zf.namelist()  # (what is uploaded does carry a macro)
    a = client(app, "a-clerk")
    r = a.upload("A镇", "template", docm.read_bytes(), "本单位模板.docm")
    page = text_of(r)
    assert r.status_code == 200, page
    assert "模板检查通过，已删除其中不属于报告的内容（见下方，如宏）后保存为本单位的模板" in page
    assert "模板中的宏（VBA）已删除（word/vbaProject.bin）" in page
    assert f"模板中的链接的外部模板已删除（word/settings.xml: {REMOTE_TEMPLATE}）" in page
    stored = root / "templates" / "A镇" / "report.docx"
    assert sorted(p.name for p in stored.parent.iterdir()) == ["report.docx"]
    assert_clean(stored.read_bytes())
    download = a.get("/unit/A镇/2024/file/template")
    assert download.status_code == 200 and download.data == stored.read_bytes()
    assert "report.docx" in download.headers["Content-Disposition"]
    generate(a, "A镇")  # the stored template makes the report
    assert "一、单位概况" in docx_text(a.get("/unit/A镇/2024/file/docx").data)
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert [(h["kind"], h["ok"]) for h in history] == [("generate", 1), ("template", 1)]


def test_a_template_put_in_place_by_hand_is_served_cleaned_and_left_alone(root: Path) -> None:
    app = make_app(root)
    by_hand = root / "templates" / "B镇" / "report.docx"
    by_hand.parent.mkdir()
    hostile_template(ROOT / "templates" / "default" / "report.docx", by_hand)
    before = snapshot(root)
    for who in ("b-clerk", "county"):
        r = client(app, who).get("/unit/B镇/2024/file/template")
        assert r.status_code == 200
        assert_clean(r.data)
    original = by_hand.read_bytes()
    by_hand.write_bytes(b"not a package")
    r = client(app, "b-clerk").get("/unit/B镇/2024/file/template")
    assert r.status_code == 404 and "当前使用的模板无法读取（不是有效的 Word 文档），请重新上传模板。" in text_of(r)
    by_hand.write_bytes(original)
    assert snapshot(root) == before


def test_a_macro_template_that_fails_the_check_is_not_stored(root: Path, tmp_path: Path) -> None:
    app = make_app(root)
    planted = tmp_path / "planted.docx"
    shutil.copyfile(ROOT / "templates" / "default" / "report.docx", planted)
    plant(planted, "{{ 财务.资产合计 }}")
    docm = tmp_path / "report.docm"
    hostile_template(planted, docm)
    before = snapshot(root)
    r = client(app, "a-clerk").upload("A镇", "template", docm.read_bytes(), "report.docm")
    assert r.status_code == 422
    page = text_of(r)
    assert "模板检查发现 1 处问题，模板未保存，仍使用原来的模板。" in page and "财务.资产合计" in page
    assert "模板中的宏（VBA）已删除（word/vbaProject.bin）" in page
    assert snapshot(root) == before and not (root / "templates" / "A镇").exists()


# ----------------------------------------------------------------------------- uploads checked as they stream


@functools.cache
def zeros_member(mb: int) -> zipout.Member:
    """``mb`` MB of zeros as one compressed part (compressed once, stored under as many names as asked)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    zeros = b"\0" * (mb * 1024 * 1024)
    return zipout.Member("x", zlib.crc32(zeros), len(zeros), packer.compress(zeros) + packer.flush())


def zero_filled(parts: int, mb: int = 39, source: Path = EXAMPLE, folder: str = "xl/worksheets") -> bytes:
    """The example workbook (or ``source``) with ``parts`` extra parts of ``mb`` MB of zeros each (each within the
    limit of one part): a few hundred kilobytes to upload."""
    zeros = zeros_member(mb)
    with zipfile.ZipFile(source) as zf:
        members = [zipout.Member.deflated(i.filename, zf.read(i)) for i in zf.infolist()]
    members += [zipout.Member(f"{folder}/zero{n}.xml", zeros.crc, zeros.size, zeros.compressed)
                for n in range(parts)]
    return zipout.build(members)


def upload_traced(c: Client, content: bytes, what: str = "workbook"):
    """The upload's response and the most memory Python held while the page took it."""
    tracemalloc.start()
    try:
        r = c.upload("A镇", what, content, "report.docx" if what == "template" else "2024.xlsx")
        return r, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_zero_filled_parts_are_checked_a_chunk_at_a_time(root: Path) -> None:
    app = make_app(root)
    a = client(app, "a-clerk")
    before = snapshot(root)
    upload = zero_filled(6)  # 234 MB of zeros in all: over the 200 MB a workbook may hold
    assert len(upload) < 2 * 1024 * 1024
    r, peak = upload_traced(a, upload)
    assert r.status_code == 422
    assert re.search(r"2024\.xlsx 过大（解压后约 23\d MB，上限 200 MB），不像是一个单位的填报表，已拒绝读取。", text_of(r))
    assert peak < 16 * 1024 * 1024, peak  # (read whole, the parts took 200 MB before the refusal)
    assert snapshot(root) == before
    assert list((root / "data" / ".web" / "staging").iterdir()) == []
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert history[0]["ok"] == 0 and history[0]["size"] == len(upload)
    assert history[0]["sha256"] == hashlib.sha256(upload).hexdigest()
    # within the limits (78 MB of zeros the reader never uses): stored, and never held whole either
    upload = zero_filled(2)
    r, peak = upload_traced(a, upload)
    assert r.status_code == 303
    assert (root / "data" / "A镇" / "2024.xlsx").read_bytes() == upload
    assert peak < 16 * 1024 * 1024, peak  # (read whole: 78 MB)


def test_a_template_of_zero_filled_parts_is_refused_unread(root: Path) -> None:
    app = make_app(root)
    a = client(app, "a-clerk")
    before = snapshot(root)
    upload = zero_filled(2, source=ROOT / "templates" / "default" / "report.docx", folder="word")  # 78 MB > 50
    r, peak = upload_traced(a, upload, "template")
    assert r.status_code == 422
    assert re.search(r"模板 report\.docx 的部件 word/zero[01]\.xml 过大（上限 50 MB），已拒绝使用。", text_of(r))
    assert peak < 16 * 1024 * 1024, peak  # (read whole: 50 MB before the refusal)
    assert snapshot(root) == before and not (root / "templates" / "A镇").exists()
