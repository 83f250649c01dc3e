"""Shared fixtures: a throw-away copy of the project's data and templates, and workbook editing helpers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
import pytest

ROOT = Path(__file__).resolve().parents[1]
# the published report (public text), copied from ../shared/reference so the tests need nothing outside the repo
REFERENCE = ROOT / "tests" / "reference" / "zhengjiayi-2024-report.txt"
EXAMPLE = ROOT / "data" / "2024.xlsx"
REPORT_NAME = "2024年度桃源县郑家驿镇人民政府整体支出绩效自评报告.docx"


@pytest.fixture(scope="session", autouse=True)
def _code_cache(tmp_path_factory: pytest.TempPathFactory):
    """Compiled templates go to a folder of this test session (and of the CLI processes it starts), not ~/.cache."""
    saved = os.environ.get("GENERATOR_CACHE_DIR")
    os.environ["GENERATOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("code-cache"))
    yield
    if saved is None:
        os.environ.pop("GENERATOR_CACHE_DIR", None)
    else:
        os.environ["GENERATOR_CACHE_DIR"] = saved


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder laid out like a clerk's: data/2024.xlsx and templates/ (copies), output/ empty."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def set_cells(workbook: Path, sheet: str, edits: dict[str, object]) -> None:
    """Set cells by address (``{"B3": 1.5}``) in a copy of a workbook."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[sheet]
    for coord, value in edits.items():
        ws[coord] = value
    wb.save(workbook)


def field_cell(workbook: Path, sheet: str, label: str, column: str = "B") -> str:
    """The address of the value cell of the row labelled ``label`` in column A."""
    wb = openpyxl.load_workbook(workbook, read_only=True)
    for row in wb[sheet].iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if cell.value is not None and str(cell.value).strip() == label:
            return f"{column}{cell.row}"
    raise KeyError(label)


def set_field(workbook: Path, sheet: str, label: str, value: object, column: str = "B") -> str:
    coord = field_cell(workbook, sheet, label, column)
    set_cells(workbook, sheet, {coord: value})
    return coord


def _header_text(value: object) -> str:
    """A header as the clerk reads it, without its unit: “实有人数（人）” → “实有人数”."""
    return re.sub(r"（[^）]*）$", "", str(value or "").strip())


def _label_text(value: object) -> str:
    """A row label without a leading “其中：” and its indent."""
    return re.sub(r"^其中[：:]", "", str(value or "").strip()).strip("\u3000 ")


def column_of(ws, header: str) -> str:
    """The letter of the column whose header (row 2) is ``header`` (its unit in （） ignored)."""
    for cell in ws[2]:
        if cell.value is not None and _header_text(cell.value) == header:
            return cell.column_letter
    raise KeyError(header)


def row_of(ws, key: str, key_header: str | None = None) -> int:
    """The first row below the header whose key column (column A, or ``key_header``) holds ``key``."""
    letter = column_of(ws, key_header) if key_header else "A"
    for cell in ws[letter][2:]:
        if cell.value is not None and _label_text(cell.value) == key:
            return cell.row
    raise KeyError(key)


def table_cell(workbook: Path, sheet: str, key: str, header: str, key_header: str | None = None) -> str:
    """The address of the cell in column ``header`` of the row keyed ``key``: a table row (人员编制 “事业编制”,
    column “实有人数”) or a grid cell (三公经费 “公务接待”, column “本年决算”)."""
    ws = openpyxl.load_workbook(workbook, read_only=False)[sheet]
    return f"{column_of(ws, header)}{row_of(ws, key, key_header)}"


def set_table(workbook: Path, sheet: str, key: str, header: str, value: object,
              key_header: str | None = None) -> str:
    coord = table_cell(workbook, sheet, key, header, key_header)
    set_cells(workbook, sheet, {coord: value})
    return coord


def cell_value(workbook: Path, sheet: str, coord: str) -> object:
    return openpyxl.load_workbook(workbook)[sheet][coord].value


def replace_rows(workbook: Path, sheet: str, rows: list[dict[str, object]]) -> list[int]:
    """Empty every data row of a table sheet and write ``rows`` (header → value) from row 3; a value may be
    ``(value, number format)``, as a percentage typed into a ``0.0%`` cell. Returns the rows written."""
    wb = openpyxl.load_workbook(workbook)
    ws = wb[sheet]
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.value = None
    letters = {_header_text(c.value): c.column_letter for c in ws[2] if c.value is not None}
    written = []
    for k, values in enumerate(rows, start=3):
        for header, value in values.items():
            cell = ws[f"{letters[header]}{k}"]
            if isinstance(value, tuple):
                value, cell.number_format = value
            cell.value = value
        written.append(k)
    wb.save(workbook)
    return written


def require(available: bool, what: str) -> None:
    """Skip when a tool is missing, but fail in CI, where it must be present."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but was not found")
    pytest.skip(f"{what} not installed")


def append_rows(path: Path, sheet: str, rows: list[list]) -> None:
    """Append rows below the last filled row of column A of ``sheet``."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    last = max(c.row for c in ws["A"] if c.value not in (None, ""))
    for k, values in enumerate(rows, start=1):
        for j, v in enumerate(values, start=1):
            ws.cell(row=last + k, column=j, value=v)
    wb.save(path)


def extend_example(workbook: Path) -> None:
    """A fourth 成本指标, a new 二级 group under 效益指标, and a fourth project with three indicators."""
    # indicator columns: 一级, 二级, 三级, 比较, 指标值, 完成值, 单位, 分值
    append_rows(workbook, "绩效指标", [
        ["产出指标", "成本指标", "会议费控制", "≤", 10, 8, "万元", 1],
        ["效益指标", "示范效益指标", "示范点建设", None, "建成", "建成", None, 1],
        ["效益指标", "示范效益指标", "示范点推广", None, "推广", "推广", None, 1],
    ])
    append_rows(workbook, "项目", [["新增示意项目", "桃源县郑家驿镇人民政府", "桃源县郑家驿镇人民政府", 0, 10, 0, 0, 10, 0, 0,
                                    8, 0, 0, "示意目标", "示意完成情况", "示意数据"]])
    append_rows(workbook, "项目指标", [
        ["新增示意项目", "产出指标", "数量指标", "示意指标甲", "≥", 2, 2, "个", 50],
        ["新增示意项目", "产出指标", "数量指标", "示意指标乙", "≥", 4, 2, "个", 20],
        ["新增示意项目", "满意度指标", "服务对象满意度指标", "满意度", "≥", 0.9, 0.95, "%", 20],
    ])


# ---------------------------------------------------------------------------- the generated report, read back


def run_cli(project: Path, *args: str):
    """``generate --year 2024`` on a project folder (data/, templates/, output/), in this process."""
    from click.testing import CliRunner

    from generator.cli import main

    return CliRunner().invoke(main, ["--year", "2024", "--data", str(project / "data"), "--templates",
                                     str(project / "templates"), "--out", str(project / "output"), *args],
                              catch_exceptions=False)


def run_verb(project: Path, command: str, *args: str, year: int | None = 2024):
    """``generate COMMAND --year 2024 …`` on a project folder, in this process: the folders passed are those the
    command takes (``check`` writes nothing, so it has no ``--out``)."""
    from click.testing import CliRunner

    from generator.cli import main

    takes = {p.name for p in main.commands[command].params}
    folders = [arg for name, flag, sub in (("data_dir", "--data", "data"), ("templates_dir", "--templates", "templates"),
                                           ("out_dir", "--out", "output")) if name in takes
               for arg in (flag, str(project / sub))]
    return CliRunner().invoke(main, [command, *(["--year", str(year)] if year is not None else []), *folders, *args],
                              catch_exceptions=False)


@pytest.fixture(scope="session")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's report (.docx), generated once per session from copies of data/ and templates/.
    Read it, never write to it."""
    folder = tmp_path_factory.mktemp("example")
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "templates", folder / "templates")
    result = run_cli(folder)
    assert result.exit_code == 0, result.output
    path = folder / "output" / "2024" / REPORT_NAME
    assert path.is_file()
    return path


def paragraphs(path: Path) -> list[str]:
    """The texts of the body's paragraphs (tables apart), in order."""
    import docx

    return [p.text for p in docx.Document(path).paragraphs]


def tables(path: Path) -> list[list[list[str]]]:
    """Every table of the body as rows of cell texts, a cell merged across columns given once."""
    import docx

    out = []
    for table in docx.Document(path).tables:
        rows = []
        for row in table.rows:
            cells, previous = [], None
            for cell in row.cells:
                if cell._tc is not previous:
                    cells.append(cell.text)
                previous = cell._tc
            rows.append(cells)
        out.append(rows)
    return out


def clerk_book(path: Path, comment: bool = False) -> Path:
    """A small clerk's workbook for the annotated copy: 财务 with a merge, a protected sheet, print titles, a
    second sheet with a quote in its name selected (``comment``: a clerk's own comment on B4)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "财务"
    ws["A1"] = "财务"
    for r, (label, value) in enumerate([("年初预算", 100), ("全年预算", 120), ("执行数", 130), ("合计", 250)],
                                       start=3):
        ws.cell(row=r, column=1, value=label)
        ws.cell(row=r, column=2, value=value).number_format = "0.00"
    if comment:
        ws["B4"].comment = Comment("含追加预算 20 万元", "张会计")
    ws.merge_cells("C3:D4")
    ws["C3"] = "备注"
    ws.protection.sheet = True
    ws.print_title_rows = "2:2"
    other = wb.create_sheet("项目's 表")
    other["A1"] = "项目"
    other.print_title_rows = "1:1"
    wb.active = 1  # the second sheet is the selected one
    wb["财务"].sheet_view.tabSelected = False
    other.sheet_view.tabSelected = True
    wb.save(path)
    return path


ENTRY = "from generator.cli import entry; entry()"  # the installed ``generate`` command, run by this Python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """``generate`` with ``args`` (a ``serve`` command; ``--port`` added when missing) started in ``cwd``;
    its base URL once its login page answers. Stopped on leaving."""
    port = int(args[args.index("--port") + 1]) if "--port" in args else free_port()
    if "--port" not in args:
        args = [*args, "--port", str(port)]
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/login", timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.stdout else "") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
