"""The web page in a real browser (issue 15): Debian's chromium, driven by selenium, against the app served by
waitress on 127.0.0.1 — a clerk uploads a workbook with a slip, sees the finding with its cell, uploads the
corrected one, generates and downloads the report (read back with python-docx); another unit is refused the
first unit's pages and files by direct URL; the bureau sees both; no CSRF token, a forged session and an
oversized upload are refused.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from conftest import ROOT, require
from test_web import ASSETS, NAMES, PASSWORDS, YEAR, make_app, report_name, workbook_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1600")
WAIT = 30  # seconds a page element may take (a generation is a second or two)


def _selenium() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Flask]]:
    """The app over a county of two units, served by waitress in a background thread at a free port."""
    require(_selenium(), "selenium")
    from waitress.server import create_server

    root = tmp_path_factory.mktemp("county")
    for unit, name in NAMES.items():
        workbook_for(root / "data" / unit / f"{YEAR}.xlsx", name)
    shutil.copytree(ROOT / "templates", root / "templates")
    books = root / "uploads"
    workbook_for(books / "slip" / "郑家驿 填报表.xlsx", NAMES["A镇"], {ASSETS: 9999.99})
    workbook_for(books / "right" / "郑家驿 改正后.xlsx", NAMES["A镇"])
    (books / "big.xlsx").write_bytes(b"PK" + b"\0" * (11 * 1024 * 1024))
    app = make_app(root)
    srv = create_server(app, host="127.0.0.1", port=0, threads=4, _start=True)
    thread = threading.Thread(target=srv.run, name="waitress", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}", root, app
    srv.close()
    srv.task_dispatcher.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, server) -> Iterator[tuple[object, Path]]:
    require(bool(CHROMIUM) and CHROMEDRIVER.exists(), "chromium and chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "safebrowsing.enabled": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()


def find(driver, css: str, timeout: float = WAIT):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def click_and_load(driver, css: str) -> None:
    """Click a button that sends a form, and wait until the next page has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    find(driver, css).click()

    def replaced(_driver) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale, or (asked while the page is swapped) "does not belong to the document"
            return True
        return False

    WebDriverWait(driver, WAIT).until(replaced)


def body(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def login(driver, url: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(url + "/login")
    find(driver, "#username").send_keys(username)
    find(driver, "#password").send_keys(PASSWORDS[username])
    click_and_load(driver, "#login")
    find(driver, "#logout")


def downloaded(folder: Path, name: str, timeout: float = WAIT) -> Path:
    path = folder / name
    end = time.time() + timeout
    while time.time() < end:
        if path.is_file() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded: {sorted(p.name for p in folder.iterdir())}")


def finding_rows(driver) -> list[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
    return [(r.find_element(By.CSS_SELECTOR, ".severity").text, r.find_element(By.CSS_SELECTOR, ".where").text)
            for r in rows]


def test_clerk_uploads_fixes_generates_and_downloads(server, browser) -> None:
    url, root, _ = server
    driver, downloads = browser
    login(driver, url, "a-clerk")
    assert driver.current_url.endswith(f"/unit/A%E9%95%87/{YEAR}/")
    # a workbook with a slip: the finding names its cell
    find(driver, "#workbook-file").send_keys(str(root / "uploads" / "slip" / "郑家驿 填报表.xlsx"))
    click_and_load(driver, "#upload-workbook")
    find(driver, "#findings")
    rows = finding_rows(driver)
    assert any(sev == "错误" and where.splitlines()[0] == f"财务 › {ASSETS}" for sev, where in rows), rows
    severities = [sev for sev, _ in rows]
    assert severities == sorted(severities, key=lambda s: s != "错误")
    assert "资产总额 9999.99 万元" in body(driver)
    # the corrected workbook: that finding is gone
    find(driver, "#workbook-file").send_keys(str(root / "uploads" / "right" / "郑家驿 改正后.xlsx"))
    click_and_load(driver, "#upload-workbook")
    find(driver, "#findings")
    assert all(where.splitlines()[0] != f"财务 › {ASSETS}" for _, where in finding_rows(driver))
    assert (root / "data" / "A镇" / f"{YEAR}.xlsx").is_file()
    # generate and download the report; read it back
    click_and_load(driver, "#generate")
    find(driver, "#get-docx").click()
    report = downloaded(downloads, report_name(NAMES["A镇"]))
    document = docx.Document(str(report))
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"{YEAR}年度{NAMES['A镇']}整体支出绩效自评报告" in text.replace("\n", "")
    assert report.read_bytes() == (root / "output" / str(YEAR) / "A镇" / report.name).read_bytes()  # its own folder
    assert "上传工作簿" in body(driver) and "生成报告" in body(driver)  # the history


def test_another_unit_is_refused_and_the_bureau_sees_both(server, browser) -> None:
    url, root, _ = server
    driver, downloads = browser
    before = sorted(p.name for p in downloads.iterdir())
    login(driver, url, "b-clerk")
    for path in (f"/unit/A镇/{YEAR}/", f"/unit/A镇/{YEAR}/file/docx", f"/unit/A镇/{YEAR}/file/workbook",
                 f"/unit/A镇/{YEAR}/pages", f"/unit/..%2FA镇/{YEAR}/file/docx", f"/unit/B镇/{YEAR}/file/..%2F..%2FA镇",
                 f"/unit/%2e%2e/{YEAR}/", "/county/", "/admin/accounts"):
        driver.get(url + path)
        page = body(driver)
        assert "无权访问" in page or "找不到" in page, (path, page[:200])
        assert NAMES["A镇"] not in page
    time.sleep(0.5)
    assert sorted(p.name for p in downloads.iterdir()) == before  # no file came
    driver.get(url + f"/unit/B镇/{YEAR}/")
    assert "B镇" in find(driver, "#unit-title").text
    # the bureau sees both units, A's report generated, B's not yet
    login(driver, url, "county")
    assert "/county/" in driver.current_url
    table = find(driver, "#units").text
    assert "A镇" in table and "B镇" in table and NAMES["A镇"] in table and NAMES["B镇"] in table
    driver.get(url + f"/unit/A镇/{YEAR}/")
    assert find(driver, "#get-docx")
    driver.get(url + f"/unit/B镇/{YEAR}/")
    assert "还没有生成" in body(driver)


def test_no_csrf_token_forged_session_and_oversized_upload_are_refused(server, browser) -> None:
    url, root, app = server
    driver, _ = browser
    workbook = (root / "data" / "A镇" / f"{YEAR}.xlsx").read_bytes()
    login(driver, url, "a-clerk")
    # the form without its token
    driver.execute_script("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    find(driver, "#workbook-file").send_keys(str(root / "uploads" / "slip" / "郑家驿 填报表.xlsx"))
    click_and_load(driver, "#upload-workbook")
    assert "缺少或不符的表单令牌" in find(driver, "#error-text").text
    assert (root / "data" / "A镇" / f"{YEAR}.xlsx").read_bytes() == workbook
    # an upload over the limit
    driver.get(url + f"/unit/A镇/{YEAR}/")
    find(driver, "#workbook-file").send_keys(str(root / "uploads" / "big.xlsx"))
    click_and_load(driver, "#upload-workbook")
    assert "工作簿不能超过 10 MB" in find(driver, "#error-text").text
    assert (root / "data" / "A镇" / f"{YEAR}.xlsx").read_bytes() == workbook
    # a session cookie signed with another key, claiming the bureau
    forger = Flask("forger")
    forger.secret_key = "not the server's key"
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"uid": 3, "epoch": 1, "t": time.time(), "csrf": "x"})
    driver.delete_all_cookies()
    driver.get(url + "/login")
    driver.add_cookie({"name": "generator_session", "value": forged, "path": "/"})
    driver.get(url + "/county/")
    assert "/login" in driver.current_url and find(driver, "#login")


def test_the_bureau_is_asked_before_a_password_is_reset(server, browser) -> None:
    url, _, app = server
    driver, _ = browser
    from generator.web import db

    account_id = db.account_by_name(db.connect(app.config["DB_PATH"]), "b-clerk").id
    login(driver, url, "county")
    driver.get(url + "/admin/accounts")
    link = f"a[href='/admin/accounts/{account_id}/reset']"
    # 取消 on the question changes nothing: b-clerk still logs in with the old password
    click_and_load(driver, link)
    assert find(driver, "#reset-username").text == "b-clerk"
    assert "原密码立即失效" in body(driver)
    click_and_load(driver, "a.button[href='/admin/accounts']")
    assert "/admin/accounts" in driver.current_url
    login(driver, url, "b-clerk")
    # asked again and confirmed: a one-time password, with which b-clerk must set a new one
    login(driver, url, "county")
    driver.get(url + "/admin/accounts")
    click_and_load(driver, link)
    click_and_load(driver, "#confirm-reset")
    assert find(driver, "#new-username").text == "b-clerk"
    otp = find(driver, "#otp").text
    assert otp and otp != PASSWORDS["b-clerk"]
    driver.delete_all_cookies()
    driver.get(url + "/login")
    find(driver, "#username").send_keys("b-clerk")
    find(driver, "#password").send_keys(otp)
    click_and_load(driver, "#login")
    assert driver.current_url.endswith("/password")
