"""``generate serve --proxy ADDRESS`` (the page behind an HTTPS reverse proxy), served for real by waitress.

Behind a proxy every request comes from the proxy's address: without ``--proxy`` the login limits of an
address would count every office together, and a header claiming another address must not be believed.
With ``--proxy``, the proxy's ``X-Forwarded-For`` names the office and the session cookie is marked Secure.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT, serving
from generator.cli import main

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def server(root: Path, *extra: str):
    """``generate serve`` in ``root`` (a county with an empty data folder), as ``conftest.serving`` starts it."""
    (root / "data").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENERATOR_")}
    env["PYTHONPATH"] = str(ROOT)
    return serving(["serve", *extra], root, env)


def login(url: str, username: str, client: str, scheme: str = "http") -> tuple[int, str]:
    """Log in as a proxy would pass it on for ``client``; (status, the Set-Cookie of the login page)."""
    headers = {"X-Forwarded-For": client, "X-Forwarded-Proto": scheme}
    with urllib.request.urlopen(urllib.request.Request(url + "/login", headers=headers), timeout=10) as r:
        page, cookie = r.read().decode("utf-8"), r.headers.get("Set-Cookie", "")
    form = urllib.parse.urlencode({"username": username, "password": "guess",
                                   "csrf_token": CSRF.search(page).group(1)}).encode()
    post = urllib.request.Request(url + "/login", data=form, method="POST",
                                  headers={**headers, "Cookie": cookie.split(";", 1)[0]})
    try:
        with urllib.request.urlopen(post, timeout=10) as r:
            return r.status, cookie
    except urllib.error.HTTPError as exc:
        return exc.code, cookie


def test_behind_the_proxy_each_office_has_its_own_limit_and_the_cookie_is_secure(tmp_path: Path) -> None:
    with server(tmp_path, "--proxy", "127.0.0.1") as url:
        for n in range(10):  # ten wrong logins from one office, each under another name
            status, cookie = login(url, f"x{n}", "10.0.0.1", "https")
            assert status == 401
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert login(url, "y", "10.0.0.1", "https")[0] == 429  # that office now waits
        assert login(url, "y", "10.0.0.2", "https")[0] == 401  # another office does not


def test_without_the_proxy_option_a_forwarded_address_is_not_believed(tmp_path: Path) -> None:
    with server(tmp_path) as url:
        for n in range(10):
            status, cookie = login(url, f"x{n}", f"10.0.0.{n + 1}")
            assert status == 401
        assert "Secure" not in cookie  # plain HTTP on the bureau's network
        assert login(url, "y", "10.0.0.99")[0] == 429  # all ten came from 127.0.0.1, whatever the header said


def test_a_proxy_that_is_not_an_address_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(main, ["serve", "--proxy", "代理服务器", "--data", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "--proxy 应为反向代理的 IP 地址（如 127.0.0.1），实为“代理服务器”。" in result.output
