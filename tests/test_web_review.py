"""The review season on the page (issue 25) through Flask's test client: versions, states and every step,
the refusals (a unit cannot 通过/退回, cannot change a submitted version, cannot see another unit's comments
or versions), a bad upload keeping the good version and its report, sampling reproducible by its seed,
deadline, 复核分 and grades, the 复核 table.

Expected texts are written here; figures are the example's cells read with openpyxl and the edits typed here.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask import Flask

from conftest import EXAMPLE, cell_value, set_cells
from test_rules import rules_book
from test_web import books  # noqa: F401  (the session's workbooks)
from test_web import ASSETS, NAMES, YEAR, client, generate, make_app, snapshot, text_of, wait_batch
from generator.web import db

OLD_ASSETS = Decimal(str(cell_value(EXAMPLE, "财务", ASSETS)))


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory, books: dict[str, Path]) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("review-books")
    invalid = root / "invalid.xlsx"
    shutil.copyfile(books["A镇"], invalid)
    set_cells(invalid, "财务", {ASSETS: "一千"})
    return {"good": books["A镇"].read_bytes(), "invalid": invalid.read_bytes()}


@pytest.fixture
def season(tmp_path: Path, books: dict[str, Path]) -> tuple[Flask, Path]:
    """A and B with their workbooks, no output, no versions yet."""
    for unit in NAMES:
        (tmp_path / "data" / unit).mkdir(parents=True)
        shutil.copyfile(books[unit], tmp_path / "data" / unit / f"{YEAR}.xlsx")
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", tmp_path / "templates")
    return make_app(tmp_path), tmp_path


def state(app: Flask, unit: str = "A镇") -> tuple[str, int] | None:
    row = db.review(db.connect(app.config["DB_PATH"]), unit, YEAR)
    return (row["state"], row["version"]) if row else None


def flashed(response) -> str:
    found = re.findall(r'<p class="flash[^"]*">([^<]+)</p>', response.get_data(as_text=True))
    return html.unescape(" ".join(found))


def submit(c, version: int, explanations: dict[str, str] | None = None):
    return c.post(f"/unit/A镇/{YEAR}/submit", {"version": str(version), **(explanations or {})},
                  follow_redirects=True)


def explain_all(c, version: int, reason: str = "已核实，按决算报表填列"):
    """Submit with a reason typed for every remaining error the page asks about; (response, how many)."""
    names = re.findall(r'<textarea name="(explain-\d+)"', c.get(f"/unit/A镇/{YEAR}/").text)
    assert names, "the page asks for no explanation"
    refused = submit(c, version, {n: reason for n in names[1:]})  # one left unexplained: refused
    assert "审核还有 1 处错误未说明" in flashed(refused), flashed(refused)
    return submit(c, version, {n: reason for n in names}), len(names)


def test_submit_return_correct_and_approve(season, uploads) -> None:
    app, root = season
    a, b, bureau = client(app, "a-clerk"), client(app, "b-clerk"), client(app, "county")
    assert "草稿（2）" in text_of(bureau.get(f"/county/{YEAR}/"))  # both have a workbook in data/
    assert a.upload("A镇", "workbook", uploads["good"]).status_code == 303
    page = text_of(a.get(f"/unit/A镇/{YEAR}/"))
    assert "当前版本： 第 2 版" in page  # version 1: the workbook found in the folder; 2: the upload
    assert "生成报告后即可提交审核" in page
    assert "已提交" not in flashed(submit(a, 2))  # not generated yet
    generate(a, "A镇")
    r, count = explain_all(a, 2)  # the example's own remaining errors, each explained
    assert "已提交第 2 版" in flashed(r)
    assert state(app) == ("submitted", 2)

    # the unit cannot decide, nor regenerate the submitted version, nor submit again
    for action in ("approve", "return", "reopen"):
        assert a.post(f"/unit/A镇/{YEAR}/decide", {"action": action, "comment": "x"}).status_code == 403
    r = a.post(f"/unit/A镇/{YEAR}/generate")
    assert r.status_code == 409 and "第 2 版已提交，不能再生成或改动" in text_of(r)
    assert "现在不能再提交" in flashed(submit(a, 2))
    assert state(app) == ("submitted", 2)

    # the bureau sends it back with 意见 and a comment pinned to the cell
    assert "意见" in flashed(bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "return"}, follow_redirects=True))
    page = bureau.get(f"/unit/A镇/{YEAR}/").text  # the report's paragraphs listed with their numbers
    listed = [html.unescape(p) for p in re.findall(r"<li>([^<]*)</li>", page.split('id="paragraphs"')[1].split("</ol>")[0])]
    heading = listed.index("一、单位概况") + 1
    for bad in ("0", str(len(listed) + 1), "第三段"):
        r = bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "return", "comment": "x", "pin-kind-0": "paragraph",
                                                     "pin-target-0": bad, "pin-text-0": "y"}, follow_redirects=True)
        assert f"“{bad}”不是报告段落的序号" in flashed(r)
    r = bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "return", "comment": "资产总额请按决算报表核对",
                                                 "pin-kind-0": "cell", "pin-target-0": f"财务!{ASSETS}",
                                                 "pin-text-0": "应为决算报表数", "pin-kind-1": "paragraph",
                                                 "pin-target-1": str(heading), "pin-text-1": "标题请加粗"},
                    follow_redirects=True)
    assert "已退回第 2 版" in flashed(r)
    assert state(app) == ("returned", 2)
    page = text_of(a.get(f"/unit/A镇/{YEAR}/"))
    assert "资产总额请按决算报表核对" in page and f"单元格 财务 › {ASSETS} ：应为决算报表数" in page
    assert f"报告段落 报告第 {heading} 段（一、单位概况） ：标题请加粗" in page
    assert "资产总额请按决算报表核对" not in text_of(b.get(f"/unit/B镇/{YEAR}/"))  # B sees nothing of A's

    # the corrected upload: a new draft; both see the old and new figure of the pinned cell
    fixed = root / "fixed.xlsx"
    fixed.write_bytes(uploads["good"])
    set_cells(fixed, "财务", {ASSETS: 1900})
    assert a.upload("A镇", "workbook", fixed.read_bytes()).status_code == 303
    for c in (a, bureau):
        page = text_of(c.get(f"/unit/A镇/{YEAR}/"))
        assert f"第 2 版 {OLD_ASSETS} → 第 3 版 1900" in page, page
        assert f"财务 › {ASSETS} 资产总额：{OLD_ASSETS} → 1900" in page  # what changed, 2 → 3
    compare = bureau.get(f"/unit/A镇/{YEAR}/compare?a=2&b=3")
    assert compare.status_code == 200 and f"资产总额[-{OLD_ASSETS:.2f}-]{{+1900.00+}}万元" in text_of(compare)
    generate(a, "A镇")
    # the corrected version has two errors more (资产总额 no longer adds up): each explained
    r, count3 = explain_all(a, 3, "资产总额按决算报表")
    assert count3 == count + 2
    assert "已提交第 3 版" in flashed(r)
    page = text_of(bureau.get(f"/unit/A镇/{YEAR}/"))
    assert f"说明 [错误] 财务 › {ASSETS}：资产总额 1900.00 万元" in page and "资产总额按决算报表" in page

    r = bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "approve"}, follow_redirects=True)
    assert "已通过第 3 版" in flashed(r)
    assert state(app) == ("approved", 3)
    assert "请在“意见”中写明原因" in flashed(bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "reopen"},
                                                     follow_redirects=True))  # a comment is required
    assert state(app) == ("approved", 3)
    r = bureau.post(f"/unit/A镇/{YEAR}/decide", {"action": "reopen", "comment": "复核发现问题"}, follow_redirects=True)
    assert "已重新打开第 3 版" in flashed(r) and state(app) == ("returned", 3)

    # every step recorded: who, what, on which version, with its comment
    steps = [(s["account"], s["action"], s["version"], s["comment"])
             for s in reversed(db.steps(db.connect(app.config["DB_PATH"]), "A镇", YEAR))]
    assert steps == [("a-clerk", "submit", 2, None), ("county", "return", 2, "资产总额请按决算报表核对"),
                     ("a-clerk", "submit", 3, None), ("county", "approve", 3, None),
                     ("county", "reopen", 3, "复核发现问题")]
    # B never reaches A's versions, comparisons or steps
    for url in (f"/unit/A镇/{YEAR}/v/2/workbook", f"/unit/A镇/{YEAR}/v/2/docx", f"/unit/A镇/{YEAR}/compare?a=2&b=3"):
        assert b.get(url).status_code == 403
    for url, data in ((f"/unit/A镇/{YEAR}/submit", {"version": "3"}), (f"/unit/A镇/{YEAR}/recheck", {"score": "1"}),
                      (f"/unit/A镇/{YEAR}/decide", {"action": "approve"})):
        assert b.post(url, data).status_code == 403
    assert state(app) == ("returned", 3)
    # each version's files stay as they were made: version 2's workbook is the upload
    assert a.get(f"/unit/A镇/{YEAR}/v/2/workbook").data == uploads["good"]
    assert a.get(f"/unit/A镇/{YEAR}/v/3/workbook").data == fixed.read_bytes()
    r = a.get(f"/unit/A镇/{YEAR}/v/2/docx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert "2024-%E7%AC%AC2%E7%89%88-" in r.headers["Content-Disposition"]  # 2024-第2版-…


def test_a_bad_upload_keeps_the_good_version_and_its_report(season, uploads) -> None:
    app, root = season
    a = client(app, "a-clerk")
    generate(a, "A镇")
    docx_before = a.get(f"/unit/A镇/{YEAR}/file/docx").data
    before = snapshot(root)
    r = a.upload("A镇", "workbook", uploads["invalid"])
    assert r.status_code == 422
    page = text_of(r)
    assert "第 2 版工作簿被拒绝，当前版本不变（仍为第 1 版，其报告照常可以下载）" in page
    assert f"财务 › {ASSETS}" in page and "一千" in page
    assert snapshot(root) == before  # data/ and output/ untouched
    assert a.get(f"/unit/A镇/{YEAR}/file/docx").data == docx_before
    page = text_of(a.get(f"/unit/A镇/{YEAR}/"))
    assert "最近上传的第 2 版" in page and "被拒绝" in page
    history = db.history(db.connect(app.config["DB_PATH"]), "A镇")
    assert history[0]["kind"] == "workbook" and history[0]["ok"] == 0
    row = re.search(r"<tr>\s*<td>[^<]+</td><td>2024</td>\s*<td>上传工作簿</td>.*?</tr>", a.get(f"/unit/A镇/{YEAR}/").text,
                    re.S).group(0)
    assert "被拒绝" in row and "成功" not in row
    versions = db.versions(db.connect(app.config["DB_PATH"]), "A镇", YEAR)
    assert [(v["number"], v["ok"]) for v in versions] == [(2, 0), (1, 1)]
    assert a.get(f"/unit/A镇/{YEAR}/v/2/workbook").data == uploads["invalid"]  # kept as sent
    assert "一千" in versions[0]["message"]


def test_sampling_with_a_seed_draws_the_same_units_and_rechecks_grade_them(tmp_path: Path,
                                                                          books: dict[str, Path]) -> None:
    units = [f"{c}乡" for c in "甲乙丙丁戊己庚辛"]
    for unit in units:  # (one workbook copied: the sampling does not read their names)
        (tmp_path / "data" / unit).mkdir(parents=True)
        shutil.copyfile(books["A镇"], tmp_path / "data" / unit / f"{YEAR}.xlsx")
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", tmp_path / "templates")
    app = make_app(tmp_path)
    con = db.connect(app.config["DB_PATH"])
    bureau = client(app, "county")
    assert "草稿（8）" in text_of(bureau.get(f"/county/{YEAR}/"))  # each folder's workbook: its version 1
    for unit in units[:6]:  # six submitted (as the submit step records it), two not
        db.add_step(con, unit, YEAR, 1, "clerk", "submit", None, "submitted")

    def draw(seed: str, how: str = "count", amount: str = "3") -> list[str]:
        r = bureau.post(f"/county/{YEAR}/sample", {"how": how, "amount": amount, "seed": seed}, follow_redirects=True)
        assert "已抽取" in flashed(r), flashed(r)
        return db.samples(con, YEAR)[0]

    first, again = draw("2025"), draw("2025")
    assert first["drawn"] == again["drawn"] and first["seed"] == again["seed"] == "2025"
    drawn = set(json.loads(first["drawn"]))
    assert len(drawn) == 3 and drawn <= set(units[:6])  # only submitted units
    assert any(draw(seed)["drawn"] != first["drawn"] for seed in ("1", "2", "3", "4"))
    share = draw("7", "share", "50")  # half of six
    assert len(json.loads(share["drawn"])) == 3
    assert draw("2025")["drawn"] == first["drawn"]  # the latest draw is the one in force
    assert "抽取数量“0”有误" in flashed(bureau.post(f"/county/{YEAR}/sample", {"how": "count", "amount": "0"},
                                                  follow_redirects=True))

    # 复核分 for a sampled unit: county page and the 复核 table, with the grade and the bands stated
    unit = sorted(drawn)[0]
    r = bureau.post(f"/unit/{unit}/{YEAR}/recheck", {"score": "85", "opinion": "指标佐证不足"}, follow_redirects=True)
    assert "复核分 85 已保存" in flashed(r)
    assert "复核分“abc”有误" in flashed(bureau.post(f"/unit/{unit}/{YEAR}/recheck", {"score": "abc"},
                                                  follow_redirects=True))
    page = bureau.get(f"/county/{YEAR}/")
    row = re.search(rf'<tr data-unit="{unit}">.*?</tr>', page.text, re.S).group(0)
    assert "85.00" in row and "<td>良</td>" in row
    assert "优 ≥ 90 分，良 80–90 分" in text_of(page)
    book = openpyxl.load_workbook(io.BytesIO(bureau.get(f"/county/{YEAR}/rechecks.xlsx").data))
    ws = book.active
    assert "优 ≥ 90 分" in ws["A2"].value
    assert [c.value for c in ws[3]] == ["单位", "状态", "版本", "自评分", "复核分", "差额（复核−自评）", "等级", "复核意见"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == drawn
    assert rows[unit][4] == 85 and rows[unit][6] == "良" and rows[unit][7] == "指标佐证不足"
    a_clerk = client(app)
    assert a_clerk.get(f"/county/{YEAR}/rechecks.xlsx").status_code in (302, 401, 403)

    # filter by state, deadline, who is late
    shown = re.findall(r'<tr data-unit="([^"]+)"', bureau.get(f"/county/{YEAR}/?state=submitted").text)
    assert sorted(shown) == sorted(units[:6])
    today = dt.date.today()
    bureau.post(f"/county/{YEAR}/deadline", {"day": today.isoformat()})
    page = text_of(bureau.get(f"/county/{YEAR}/"))
    assert "还有 0 天" in page and "逾期" not in page
    bureau.post(f"/county/{YEAR}/deadline", {"day": (today - dt.timedelta(days=1)).isoformat()})
    page = text_of(bureau.get(f"/county/{YEAR}/"))  # the six were submitted today: after it, late as well
    assert "已过 1 天" in page and f"未按时提交：{'、'.join(sorted(['A镇', 'B镇', *units]))}" in page
    assert "不是日期" in flashed(bureau.post(f"/county/{YEAR}/deadline", {"day": "明天"}, follow_redirects=True))


def test_the_county_summary_follows_each_change(season, uploads) -> None:
    """Rebuilt when a unit's current version changes or its state does: the state, version, 复核分 and grade
    columns, and a note of when and of which versions."""
    app, root = season
    a, bureau = client(app, "a-clerk"), client(app, "county")
    generate(a, "A镇")
    path = root / "output" / str(YEAR) / f"{YEAR}年度部门整体支出绩效自评汇总表.xlsx"

    def read() -> tuple[dict[str, dict[str, object]], str]:
        ws = openpyxl.load_workbook(path).active
        headers = [c.value for c in ws[2]]
        rows = {}
        for row in ws.iter_rows(min_row=3, values_only=True):
            if row[0] in NAMES:
                rows[row[0]] = dict(zip(headers, row))
        note = next(v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str) and "本表生成于" in v)
        return rows, note

    rows, note = read()
    assert rows["A镇"]["审核状态"] == "草稿" and rows["A镇"]["版本"] == 1 and rows["B镇"]["版本"] == 1
    assert "A镇 第1版、B镇 第1版" in note and "优 ≥ 90 分" in note
    assert rows["A镇"]["自评分"] is not None and rows["A镇"]["复核分"] is None
    names, _ = explain_all(a, 1)
    bureau.post(f"/unit/A镇/{YEAR}/recheck", {"score": "59.5"})
    rows, note = read()
    assert rows["A镇"]["审核状态"] == "已提交" and rows["A镇"]["复核分"] == 59.5 and rows["A镇"]["等级"] == "差"
    fixed = root / "fixed.xlsx"
    fixed.write_bytes(uploads["good"])
    set_cells(fixed, "财务", {ASSETS: 1900})
    a.upload("A镇", "workbook", fixed.read_bytes())  # a new current version: the summary holds it
    rows, note = read()
    assert rows["A镇"]["版本"] == 2 and "A镇 第2版" in note
    # 全部生成: each unit's current draft keeps what was made; the submitted version 1 of A keeps its own files
    a_report = a.get(f"/unit/A镇/{YEAR}/v/1/docx").data
    bureau.post(f"/county/{YEAR}/generate")
    assert wait_batch(bureau)["ok"]
    con = db.connect(app.config["DB_PATH"])
    assert db.version(con, "B镇", YEAR, 1)["generated"] is not None and db.version(con, "A镇", YEAR, 2)["generated"]
    assert bureau.get(f"/unit/B镇/{YEAR}/v/1/docx").data[:2] == b"PK"
    assert a.get(f"/unit/A镇/{YEAR}/v/1/docx").data == a_report
    rows, note = read()
    assert rows["B镇"]["审核状态"] == "草稿" and rows["A镇"]["审核状态"] == "已提交" and "B镇 第1版" in note


def test_grades_follow_the_bands_of_the_countys_scoring_rules(season) -> None:
    """One source for the grade bands: the county's 评分规则.xlsx › 等级划分 (national 90/80/60 without it), for the
    自评分 and the 复核分 alike, on the county page, the unit page, the 复核 table and the summary; none set on the page.

    By hand: the example's 自评分 is 86.78 + 8.51 = 95.29. National bands: 95.29 ≥ 90 → 优, 复核分 85.99 in
    [80, 90) → 良. The county's 优 ≥ 96, 良 ≥ 86, 中 ≥ 70: 95.29 in [86, 96) → 良, 85.99 in [70, 86) → 中, and
    86 (the lowest score of 良, included) → 良."""
    app, root = season
    bureau, a = client(app, "county"), client(app, "a-clerk")
    summary = root / "output" / str(YEAR) / f"{YEAR}年度部门整体支出绩效自评汇总表.xlsx"
    national = "等级（未设置等级划分，按默认）：优 ≥ 90 分，良 80–90 分（不含 90），中 60–80 分（不含 80），差 < 60 分。"
    county = "等级（按 评分规则.xlsx › 等级划分）：优 ≥ 96 分，良 86–96 分（不含 96），中 70–86 分（不含 86），差 < 70 分。"

    def grades() -> dict[str, str]:
        page = bureau.get(f"/county/{YEAR}/").text
        rows = {unit: re.search(rf'<tr data-unit="{unit}">.*?</tr>', page, re.S).group(0) for unit in NAMES}
        return {unit: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[10] for unit, row in rows.items()}  # 等级

    def exported() -> tuple[str, dict[str, object]]:
        ws = openpyxl.load_workbook(io.BytesIO(bureau.get(f"/county/{YEAR}/rechecks.xlsx").data)).active
        return ws["A2"].value, {r[0]: r[6] for r in ws.iter_rows(min_row=4, values_only=True)}

    def summarized() -> tuple[str, dict[str, object]]:
        ws = openpyxl.load_workbook(summary).active
        headers = [c.value for c in ws[2]]
        rows = {r[0]: dict(zip(headers, r))["等级"] for r in ws.iter_rows(min_row=3, values_only=True) if r[0] in NAMES}
        note = next(v for r in ws.iter_rows(values_only=True) for v in r if isinstance(v, str) and "本表生成于" in v)
        return note, rows

    # without 评分规则.xlsx: the national bands, stated with where the county sets its own
    bureau.post(f"/unit/A镇/{YEAR}/recheck", {"score": "85.99"})
    page = text_of(bureau.get(f"/county/{YEAR}/"))
    assert grades() == {"A镇": "良", "B镇": "优"}
    assert national in page and "等级划分见 评分规则.xlsx › 等级划分；未设置时按 优≥90、良80–90、中60–80、差<60。" in page
    assert exported() == (national + "有复核分的按复核分定等级，否则按自评分；两者用同一等级划分。", {"A镇": "良"})
    assert summarized() == (AnyWith(national), {"A镇": "良", "B镇": "优"})
    # the page sets no bands of its own
    assert 'name="good"' not in bureau.get(f"/county/{YEAR}/").text
    assert bureau.post(f"/county/{YEAR}/bands", {"good": "85", "fair": "75", "pass": "60"}).status_code == 404

    # the county's bands, typed into its 评分规则.xlsx: every grade follows, the 复核分's as the 自评分's
    rules_book(root / "data", {"等级划分": {"B3": 96, "B4": 86, "B5": 70}})
    page = text_of(bureau.get(f"/county/{YEAR}/"))
    assert grades() == {"A镇": "中", "B镇": "良"} and county in page and national not in page
    assert exported() == (county + "有复核分的按复核分定等级，否则按自评分；两者用同一等级划分。", {"A镇": "中"})
    bureau.post(f"/unit/A镇/{YEAR}/recheck", {"score": "86"})  # (the summary is rebuilt)
    assert grades() == {"A镇": "良", "B镇": "良"}
    assert summarized() == (AnyWith(county), {"A镇": "良", "B镇": "良"})
    page = bureau.get(f"/unit/A镇/{YEAR}/")
    assert 'id="recheck-grade">良<' in page.text and county in text_of(page)
    generate(a, "A镇")  # the unit's page: its 自评分 graded as in its report, the bands stated
    page = a.get(f"/unit/A镇/{YEAR}/")
    assert re.search(r'自评分 <strong>95\.29</strong>\W*等级 <strong id="self-grade">良<', page.text)
    assert county in text_of(page)

    # a bad 等级划分 (良 above 优): no grade anywhere rather than one by bands no one set; the page says why
    book = openpyxl.load_workbook(root / "data" / "评分规则.xlsx")
    book["等级划分"]["B4"] = 97
    book.save(root / "data" / "评分规则.xlsx")
    page = text_of(bureau.get(f"/county/{YEAR}/"))
    assert grades() == {"A镇": "", "B镇": ""} and "评分规则.xlsx 有误，暂不评定等级（各单位页面列出它的问题）。" in page
    assert "评分规则.xlsx › 等级划分 › B4" in text_of(a.get(f"/unit/A镇/{YEAR}/"))


class AnyWith(str):
    """Equal to any text that contains it (the summary's note also says when it was made)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and str(self) in other

    __hash__ = str.__hash__


def test_a_recheck_item_by_item(season) -> None:
    """Item scores replace the 自评 scores of those items; the 复核分 is the sum (the others as self-scored)."""
    app, _ = season
    bureau = client(app, "county")
    page = bureau.get(f"/unit/A镇/{YEAR}/").text
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="num">([\d.]+)</td><td class="num">([\d.]*)</td><td><input '
                      r'type="text" name="(item-\d+)"', page)
    assert rows[0][0] == "预算执行率" and rows[0][1] == "10.00" and len(rows) > 3
    own = sum(Decimal(r[2]) for r in rows)  # the 自评 total, added up from the page's item scores
    budget, first = rows[0], rows[1]
    new_budget, new_first = Decimal(budget[1]) - 2, Decimal(0)
    r = bureau.post(f"/unit/A镇/{YEAR}/recheck", {budget[3]: str(new_budget), first[3]: "0", "opinion": "逐项复核"},
                    follow_redirects=True)
    expected = own - Decimal(budget[2]) + new_budget - Decimal(first[2]) + new_first
    assert f"复核分 {expected} 已保存" in flashed(r), (flashed(r), expected)
    check = db.rechecks(db.connect(app.config["DB_PATH"]), YEAR)["A镇"]
    assert Decimal(check["score"]) == expected and json.loads(check["items"]) == {"预算执行率": str(new_budget),
                                                                                 first[0]: "0"}
    book = openpyxl.load_workbook(io.BytesIO(bureau.get(f"/county/{YEAR}/rechecks.xlsx").data))
    assert [list(r) for r in book["逐项复核"].iter_rows(values_only=True)] == [
        ["单位", "项目", "复核分"], ["A镇", "预算执行率", float(new_budget)], ["A镇", first[0], 0]]
    r = bureau.post(f"/unit/A镇/{YEAR}/recheck", {first[3]: str(Decimal(first[1]) + 1)}, follow_redirects=True)
    assert f"“{first[0]}”的复核分" in flashed(r) and "有误" in flashed(r)


def test_the_pages_small_flaws(season) -> None:
    """Two workbook downloads named apart; generating disables its button and says so; a template upload opens
    at its result."""
    app, _ = season
    a = client(app, "a-clerk")
    names = {kind: a.get(f"/unit/A镇/{YEAR}/file/{kind}").headers["Content-Disposition"]
             for kind in ("blank", "workbook")}
    assert "2024-%E7%A9%BA%E7%99%BD.xlsx" in names["blank"]  # 2024-空白.xlsx
    assert "2024-%E5%BD%93%E5%89%8D.xlsx" in names["workbook"]  # 2024-当前.xlsx
    page = a.get(f"/unit/A镇/{YEAR}/").text
    assert re.search(r'action="/unit/A%E9%95%87/2024/generate#report" class="row once" data-busy="正在生成报告', page)
    assert re.search(r'action="/unit/A%E9%95%87/2024/template#template"', page)
    assert 'src="/static/once.js"' in page
