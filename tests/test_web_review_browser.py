"""The review season in a real browser (issue 25): Debian's chromium driven by selenium against the app served by
waitress. Two units and the bureau: upload → generate → 提交审核 → 退回 with a comment pinned to a cell →
corrected upload → the bureau sees the old and the new figure of that cell → 通过; the other unit never sees
the comment; the county table fits a 390-px phone.
"""

from __future__ import annotations

from conftest import EXAMPLE, cell_value
from test_web import ASSETS, YEAR
from test_web_browser import body, browser, click_and_load, find, login, server  # noqa: F401  (fixtures)

COMMENT = "资产总额与决算报表不符，请核对"


def upload_generate_submit(driver, url: str, unit: str, workbook: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + f"/unit/{unit}/{YEAR}/")
    find(driver, "#workbook-file").send_keys(workbook)
    click_and_load(driver, "#upload-workbook")
    click_and_load(driver, "#generate")
    for box in driver.find_elements(By.CSS_SELECTOR, "textarea[name^=explain-]"):  # each remaining error explained
        box.send_keys("已核实，按决算报表填列")
    click_and_load(driver, "#submit-review")
    assert find(driver, "#review-state").text == "已提交"


def test_submit_return_with_a_pinned_cell_correct_and_approve(server, browser) -> None:  # noqa: F811
    url, root, _ = server
    driver, _ = browser
    slip = str(root / "uploads" / "slip" / "郑家驿 填报表.xlsx")
    right = str(root / "uploads" / "right" / "郑家驿 改正后.xlsx")
    login(driver, url, "a-clerk")
    upload_generate_submit(driver, url, "A镇", slip)
    login(driver, url, "b-clerk")
    upload_generate_submit(driver, url, "B镇", str(root / "data" / "B镇" / f"{YEAR}.xlsx"))

    # the bureau sends A back with 意见 and a comment pinned to the cell
    login(driver, url, "county")
    driver.get(url + f"/county/{YEAR}/?state=submitted")
    assert "A镇" in find(driver, "#units").text and "B镇" in find(driver, "#units").text
    driver.get(url + f"/unit/A镇/{YEAR}/")
    find(driver, "#comment").send_keys("请按意见改正后重新提交")
    find(driver, "#pin-target-0").send_keys(f"财务 › {ASSETS}")
    find(driver, "#pin-text-0").send_keys(COMMENT)
    click_and_load(driver, "#return")
    assert find(driver, "#review-state").text == "已退回"

    # B sees nothing of it; A sees it, uploads the corrected workbook and submits again
    login(driver, url, "b-clerk")
    driver.get(url + f"/unit/B镇/{YEAR}/")
    assert COMMENT not in body(driver)
    driver.get(url + f"/unit/A镇/{YEAR}/")
    assert COMMENT not in body(driver) and "不能访问其他单位" in body(driver)
    login(driver, url, "a-clerk")
    driver.get(url + f"/unit/A镇/{YEAR}/")
    assert COMMENT in find(driver, "#steps").text
    upload_generate_submit(driver, url, "A镇", right)

    # the bureau sees the old and the new figure of the cell it commented on, then approves
    login(driver, url, "county")
    driver.get(url + f"/unit/A镇/{YEAR}/")
    old = "9999.99"
    new = format(cell_value(EXAMPLE, "财务", ASSETS), "g")
    steps = find(driver, "#steps").text
    assert COMMENT in steps and old in steps and new in steps, steps
    assert f"财务 › {ASSETS} 资产总额：{old} → {new}" in find(driver, "#changes").text
    click_and_load(driver, "#approve")
    assert find(driver, "#review-state").text == "已通过"

    # the county table on a 390-px phone: no sideways scrolling of the page, state and score in view
    driver.set_window_size(390, 844)
    try:
        driver.get(url + f"/county/{YEAR}/")
        table = find(driver, "#units")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, width
        assert "已通过" in table.text and "已提交" in table.text
        assert driver.execute_script("return arguments[0].getBoundingClientRect().right", table) <= 390
    finally:
        driver.set_window_size(1280, 1600)
