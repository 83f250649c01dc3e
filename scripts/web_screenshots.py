#!/usr/bin/env python3
"""Screenshots of the web page (``generate serve``) for the README: docs/images/web-*.png.

Starts the app (waitress, 127.0.0.1, a free port) on a temporary copy of the
example — three townships, one of which has not sent its workbook — creates a
bureau account and a unit account, uploads the example workbook (it has a few
audit findings to show), generates, runs the county's batch, and has headless
chromium take a picture of each page:

* web-login.png    the login page
* web-unit.png     a township's page: its workbook, the audit, its report, its template, its history
* web-county.png   the bureau's page of every township: states, deadline, the draw for 复核
* web-review.png   a township's page after the bureau sent its report back with comments
* web-accounts.png the bureau's accounts page, a township's account just created
* web-pages.png    the report's pages shown in the page (needs LibreOffice and pdftoppm; skipped otherwise)

::

    python scripts/web_screenshots.py                 # into docs/images/
    python scripts/web_screenshots.py --out /tmp/shots

Needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver) and selenium.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.web import db  # noqa: E402
from generator.web.app import create_app  # noqa: E402
from generator.web.passwords import hash_password  # noqa: E402

EXAMPLE = ROOT / "data" / "2024.xlsx"
EXAMPLE_NAME = "桃源县郑家驿镇人民政府"
YEAR = 2024
# folder → 单位全称 (None: no workbook yet)
UNITS = {"郑家驿镇": EXAMPLE_NAME, "茶庵铺镇": "桃源县茶庵铺镇人民政府", "热市镇": None}
ACCOUNTS = {"county": ("bureau", None), "zjy": ("unit", "郑家驿镇"), "cap": ("unit", "茶庵铺镇"),
            "rs": ("unit", "热市镇")}
PASSWORD = "screenshot-2024"
WIDTH = 1280
MAX_HEIGHT = 2600


def renamed(source: Path, target: Path, old: str, new: str) -> None:
    """A copy of a workbook with the text ``old`` reading ``new`` in every sheet."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                for form in (lambda t: t.encode(), lambda t: "".join(f"&#{ord(c)};" if ord(c) > 127 else c
                                                                      for c in t).encode()):
                    data = data.replace(form(old), form(new))
            zout.writestr(info, data)


def prepare(root: Path) -> tuple[Path, Path]:
    """data/ (two townships' workbooks, the first one uploaded through the page) and templates/."""
    shutil.copytree(ROOT / "templates", root / "templates")
    uploads = root / "uploads"
    for unit, name in UNITS.items():
        (root / "data" / unit).mkdir(parents=True)
        if name:
            renamed(EXAMPLE, uploads / unit / "填报表.xlsx", EXAMPLE_NAME, name)
    shutil.copyfile(uploads / "茶庵铺镇" / "填报表.xlsx", root / "data" / "茶庵铺镇" / f"{YEAR}.xlsx")
    return root / "data", uploads


def accounts(app) -> None:
    con = db.connect(app.config["DB_PATH"])
    try:
        for username, (role, unit) in ACCOUNTS.items():
            account_id = db.create_account(con, username, role, unit, hash_password(PASSWORD))
            db.set_password(con, account_id, hash_password(PASSWORD), must_change=False)
    finally:
        con.close()


def shoot(driver, path: Path) -> None:
    """A picture of the whole page (up to MAX_HEIGHT), not only the window."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    height = min(int(metrics["cssContentSize"]["height"]) + 8, MAX_HEIGHT)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"已生成：{path}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the web page into docs/images/web-*.png")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="folder for the PNG files")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not Path("/usr/bin/chromedriver").exists():
        print("需要 chromium 和 chromedriver（Debian：apt-get install chromium chromium-driver）。", file=sys.stderr)
        return 1
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from waitress.server import create_server

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="web-shots-") as tmp:
        root = Path(tmp)
        data, uploads = prepare(root)
        app = create_app(data, root / "templates", root / "output")
        accounts(app)
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}"
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--window-size={WIDTH},900", f"--user-data-dir={root / 'profile'}", "--lang=zh-CN"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
        # the browser's own words (the file button) in Chinese, as on a clerk's machine
        service = Service("/usr/bin/chromedriver", env={**os.environ, "LANGUAGE": "zh_CN:zh"})
        driver = webdriver.Chrome(service=service, options=options)
        wait = WebDriverWait(driver, 120)

        def find(css: str):
            return wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

        def login(username: str) -> None:
            driver.delete_all_cookies()
            driver.get(url + "/login")
            find("#username").send_keys(username)
            find("#password").send_keys(PASSWORD)
            find("#login").click()
            find("#logout")

        try:
            driver.get(url + "/login")
            find("#username").send_keys("zjy")
            shoot(driver, args.out / "web-login.png")
            login("zjy")
            find("#workbook-file").send_keys(str(uploads / "郑家驿镇" / "填报表.xlsx"))
            find("#upload-workbook").click()
            find("#findings")
            find("#generate").click()
            find("#get-docx")
            driver.get(url + f"/unit/郑家驿镇/{YEAR}/")
            find("#findings")
            shoot(driver, args.out / "web-unit.png")
            if app.extensions["generator"].can_convert() is None:
                driver.get(url + f"/unit/郑家驿镇/{YEAR}/pages")
                find(".pages img")
                time.sleep(1.0)  # the images load
                shoot(driver, args.out / "web-pages.png")
            login("county")
            find("#generate-all").click()
            deadline = time.time() + 300
            while time.time() < deadline:
                try:
                    text = find("#progress-text").text
                except StaleElementReferenceException:  # the page reloaded as the batch ended
                    continue
                if "完成" in text or "结束" in text:
                    break
                time.sleep(0.5)
            # the season: 郑家驿镇 submits (each remaining error explained); the bureau sets a deadline and draws
            login("zjy")
            driver.get(url + f"/unit/郑家驿镇/{YEAR}/")
            for box in driver.find_elements(By.CSS_SELECTOR, "textarea[name^=explain-]"):
                box.send_keys("已核实，按决算报表填列")
            find("#submit-review").click()
            wait.until(lambda d: find("#review-state").text == "已提交")
            login("county")
            driver.get(url + f"/county/{YEAR}/")
            driver.execute_script("document.getElementById('deadline').value = arguments[0]",
                                  f"{time.localtime().tm_year}-12-31")
            find("#set-deadline").click()
            find("#days-left")
            find("#sample-amount").send_keys("1")
            find("#sample-seed").send_keys("2025")
            find("#draw").click()
            find("#samples")
            driver.get(url + f"/county/{YEAR}/")
            find("#units")
            shoot(driver, args.out / "web-county.png")
            # sent back with 意见 and a comment pinned to a cell; what the clerk then sees
            driver.get(url + f"/unit/郑家驿镇/{YEAR}/")
            find("#comment").send_keys("请核对资产总额，并补充偏差原因")
            find("#pin-target-0").send_keys("财务 › B3")
            find("#pin-text-0").send_keys("与决算报表不符")
            find("#return").click()
            wait.until(lambda d: find("#review-state").text == "已退回")
            login("zjy")
            driver.get(url + f"/unit/郑家驿镇/{YEAR}/#review")
            find("#steps")
            driver.execute_script("document.getElementById('review').scrollIntoView()")
            shoot(driver, args.out / "web-review.png")
            login("county")
            driver.get(url + "/admin/accounts")
            find("#new-account").send_keys("cap-2")
            find("#unit-name").send_keys("茶庵铺镇")
            find("#create-account").click()
            find("#otp")
            driver.get(url + "/admin/accounts")
            find("#new-account")
            shoot(driver, args.out / "web-accounts.png")
        finally:
            driver.quit()
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
