"""The page against an attacker with one unit's account (issue 27, item 8), through the real application:
sessions that end, ``next`` that stays on the site, login limits that cannot lock the bureau out, one answer
for a disabled account and a wrong password, templates stored as cleaned, 405 for other methods, uploads
checked without holding them in memory. Limits of the WSGI server itself are tested through the real server.

Every expected text is written here as the clerk reads it; every refusal also checks that nothing changed
on disk.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from test_web import (PASSWORDS, Client, books, client, make_app, root, snapshot,  # noqa: F401 (fixtures)
                      text_of)
from generator.web import db


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


def test_next_is_followed_only_to_a_path_of_this_site(root: Path) -> None:
    app = make_app(root)
    before = snapshot(root)
    # a path of the site: followed (the Chinese unit name percent-encoded in the header)
    assert login_to(app, "/unit/A%E9%95%87/2024/") == (302, "/unit/A%E9%95%87/2024/")
    assert login_to(app, "/unit/A%E9%95%87/2024/%3Fx%3D1") == (302, "/unit/A%E9%95%87/2024/?x=1")
    refused = [
        "/%09/example.com",  # a tab: browsers drop it, and "/\t/example.com" becomes "//example.com"
        "/%0A/example.com", "/%0D/example.com", "%09//example.com",
        "/a%0D%0ASet-Cookie:%20x%3D1",  # CR LF: a header of our own making
        "/%2509/example.com",  # the tab percent-encoded once more
        "//example.com", "///example.com", "/%5Cexample.com", "/%5C/example.com", "%5C%5Cexample.com",
        "/%252F/example.com", "https://example.com/", "https:example.com", "javascript:alert(1)",
        "example.com", "", "/%00", "/%E2%80%AE/moc.elpmaxe", "/%E3%80%80/example.com",  # NUL, RLO, ideographic space
        "/" + "a" * 2001,
    ]
    for query in refused:
        assert login_to(app, query) == (302, HOME_A), query
    assert snapshot(root) == before


def test_the_login_form_keeps_next_and_a_bad_one_is_harmless(root: Path) -> None:
    app = make_app(root)
    c = Client(app)
    page = c.get("/login?next=/%0D%0A/example.com")
    assert page.status_code == 200 and "登录" in text_of(page)
    action = c.get("/unit/A镇/2024/").headers["Location"]  # not logged in: sent to the login page with next
    assert action == "/login?next=/unit/A%E9%95%87/2024/"
