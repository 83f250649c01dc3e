#!/usr/bin/env python
"""Benchmark: how fast, against the naive way and against the limit, and how cost grows.

Run from the project folder (after ``pip install -e .``)::

    python bench/run.py            # full run, writes bench/RESULTS.md (a few minutes on 2 cores)
    python bench/run.py --quick    # smaller sizes, prints the table only (about a minute)

Everything is measured in one run on this machine, side by side:

* cold single report: the whole ``generate --year 2024`` process (wall time,
  peak RSS of the child from ``wait4``);
* batch: reports per second for 50 and 200 units with ``--jobs`` 1 and 2,
  through the ``generate`` command;
* naive baseline: the same reports made the straightforward way, one by one
  in one process: read with openpyxl (our schema reader over openpyxl's
  ``load_workbook``, so the context is the same),
  a new docxtpl template object per report with a fresh, non-caching Jinja
  environment, ``render()``, ``save()``. Two rows: the .docx alone (as issue 8
  words it), and the same three files ``generate`` writes per unit (.docx, the
  Excel tables written with openpyxl's object model, the 审核 list);
* floor: zipping and writing the same output files' parts, nothing else;
* growth: one unit with 1…500 projects and 20…2,000 indicators, time per
  stage and peak memory, each size in its own process.

Workbooks are generated in a temporary folder from the example's data
(``tools/build_example.py``); nothing is written into the repository except
``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2024
TEMPLATE = ROOT / "templates" / "default" / "report.docx"
PACKAGES = ("docxtpl", "python-docx", "Jinja2", "openpyxl", "lxml", "click")

FULL = {"cold_runs": 7, "units": (50, 200), "jobs": (1, 2), "batch_runs": 3, "naive_units": 50,
        "projects": (1, 10, 100, 500), "indicators": (20, 200, 2000), "growth_reps": 3}
QUICK = {"cold_runs": 3, "units": (20,), "jobs": (1, 2), "batch_runs": 1, "naive_units": 20,
         "projects": (1, 10, 100), "indicators": (20, 200), "growth_reps": 2}

# targets of issue 8
TARGET_VS_NAIVE = 3.0
TARGET_VS_FLOOR = 5.0
TARGET_COLD_S = 0.6
TARGET_GROWTH = 1.5
TARGET_MEM_MB = 500


# ---------------------------------------------------------------------------- workbooks


def _example():
    spec = importlib.util.spec_from_file_location("build_example", ROOT / "tools" / "build_example.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def example_data(ex, unit_name: str | None = None, projects: int | None = None,
                 indicators: int | None = None) -> dict:
    """The example's data, optionally renamed, with ``projects`` projects and ``indicators`` indicators."""
    data = copy.deepcopy({
        "basic": ex.BASIC, "orgs": ex.ORGS, "staff": ex.STAFF, "finance": ex.FINANCE, "sangong": ex.SANGONG,
        "base_data": ex.BASE_DATA, "other": ex.OTHER, "indicators": ex.INDICATORS, "projects": ex.PROJECTS,
        "project_indicators": ex.PROJECT_INDICATORS, "texts": ex.TEXTS, "overrides": ex.OVERRIDES,
    })
    if unit_name:
        data["basic"]["unit_name"] = unit_name
        data["basic"]["unit_short"] = unit_name
    if projects is not None:
        base = data["projects"]
        per = {p["name"]: [r for r in data["project_indicators"] if r["project"] == p["name"]] for p in base}
        new_projects, new_rows = [], []
        for k in range(projects):
            src = base[k % len(base)]
            name = f"{src['name']}（{k + 1}）"
            new_projects.append({**src, "name": name})
            new_rows += [{**r, "project": name} for r in per[src["name"]]]
        data["projects"], data["project_indicators"] = new_projects, new_rows
    if indicators is not None:
        base = data["indicators"]
        # keep each 一级/二级 group contiguous: copy every original row in place, in proportion
        counts = [indicators // len(base) + (1 if i < indicators % len(base) else 0) for i in range(len(base))]
        rows = []
        for src, n in zip(base, counts):
            for k in range(n):
                rows.append({**src, "name": src["name"] if k == 0 else f"{src['name']}（{k + 1}）"})
        data["indicators"] = rows
    return data


def write_workbook(path: Path, data: dict) -> Path:
    from generator.xlsx_writer import write_workbook as write

    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, data)
    return path


def _write_unit(args: tuple[str, str]) -> None:
    folder, name = args
    write_workbook(Path(folder) / f"{YEAR}.xlsx", example_data(_example(), unit_name=name))


def make_units(root: Path, n: int) -> Path:
    """``root/data`` with ``n`` unit folders ``unit-001/2024.xlsx``… (distinct unit names)."""
    data = root / "data"
    jobs = [(str(data / f"unit-{k:03d}"), f"桃源县测试单位{k:03d}") for k in range(1, n + 1)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_write_unit, jobs, chunksize=8))
    return data


def subset_units(src: Path, dst: Path, n: int) -> Path:
    for folder in sorted(p for p in src.iterdir() if p.is_dir())[:n]:
        shutil.copytree(folder, dst / folder.name)
    return dst


# ---------------------------------------------------------------------------- processes


def generate_cmd() -> list[str]:
    exe = shutil.which("generate")
    return [exe] if exe else [sys.executable, "-m", "generator.cli"]


PEAK_MARK = "__bench_peak_kb__"


# The measured processes run as a user's Python does: writing and reusing byte-code (__pycache__). A machine
# may switch that off (PYTHONDONTWRITEBYTECODE, as this sandbox does); each process would then compile the
# generator's own modules from source at start-up, which no clerk's installation does.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BYTECODE_NOTE = ("set on this machine; removed for the measured processes" if "PYTHONDONTWRITEBYTECODE" in os.environ
                 else "not set")


def run_child(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall seconds, peak RSS MB of the child tree, stdout+stderr).

    The command runs under a small trampoline process (``_spawn``): Linux
    carries the spawning process's own peak RSS into a child's ``ru_maxrss``
    at exec, so measuring from this (large) process would overstate the child.
    The wall time is the trampoline's, measured inside it.
    """
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_spawn", *map(str, cmd)], cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=CHILD_ENV)
    text = proc.stdout.decode("utf-8", "replace")
    body, _, tail = text.rpartition(PEAK_MARK)
    wall_s, peak_kb, code = tail.split()
    if int(code) != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {code}:\n{body[-3000:]}")
    return float(wall_s), int(peak_kb) / 1024, body


def spawn(cmd: list[str]) -> None:
    """The trampoline: run ``cmd``, pass its output through, then its wall time, peak RSS and exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.stdout.write(f"\n{PEAK_MARK} {wall:.6f} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


def worker_cmd(*args: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), *args]


def docx_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.docx") if not p.name.startswith((".", "~$")))


def document_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml")


def sheet_values(path: Path) -> dict:
    """Every sheet's cell values, number formats and merged ranges, read back with openpyxl."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return {ws.title: ({(c.coordinate, c.value, c.number_format) for row in ws.iter_rows() for c in row
                        if c.value is not None}, {str(m) for m in ws.merged_cells.ranges}) for ws in wb}


# ---------------------------------------------------------------------------- measurements


def measure_cold(tmp: Path, runs: int) -> dict:
    work = tmp / "cold"
    shutil.copytree(ROOT / "data", work / "data")
    shutil.copytree(ROOT / "templates", work / "templates")
    cmd = generate_cmd() + ["--year", str(YEAR)]
    run_child(cmd + ["--out", str(work / "warm")], cwd=work)  # .pyc and page cache, not counted
    walls, rss = [], []
    for i in range(runs):
        wall, mb, _ = run_child(cmd + ["--out", str(work / f"out{i}")], cwd=work)
        walls.append(wall)
        rss.append(mb)
    n = len(docx_files(work / "out0"))
    bare, _, _ = run_child([sys.executable, "-c", "pass"])
    return {"runs": runs, "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "peak_mb": max(rss), "docx": n, "python_start_s": bare}


def measure_batch(data: Path, templates: Path, out: Path, jobs: int, runs: int = 1,
                  between: Any = None) -> dict:
    """The whole batch process, ``runs`` times into a fresh output folder; the fastest run counts (as the floor's).

    ``between`` (if given) runs right after each run: the floor's rounds, so that the two figures of the
    ratio are measured under the same conditions, not a minute apart on a machine whose speed drifts."""
    cmd = generate_cmd() + ["--year", str(YEAR), "--data", str(data), "--templates", str(templates),
                            "--out", str(out), "--jobs", str(jobs)]
    walls, mb = [], 0.0
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        wall, peak, text = run_child(cmd)
        walls.append(wall)
        mb = max(mb, peak)
        if between is not None:
            between()
    wall = min(walls)
    n_units = sum(1 for p in data.iterdir() if p.is_dir())
    made = docx_files(out)
    if len(made) < n_units:
        raise RuntimeError(f"batch made {len(made)} reports for {n_units} units:\n{text[-2000:]}")
    return {"units": n_units, "jobs": jobs, "wall_s": wall, "per_s": n_units / wall, "peak_mb": mb,
            "runs": runs, "slowest_s": max(walls)}


def measure_naive(data: Path, templates: Path, out: Path, full: bool = False) -> dict:
    wall, mb, text = run_child(worker_cmd("_naive_full" if full else "_naive", str(data), str(templates), str(out)))
    inner = json.loads(text.strip().splitlines()[-1])
    n = inner["reports"]
    return {"units": n, "wall_s": wall, "per_s": n / wall, "loop_s": inner["loop_s"], "peak_mb": mb}


def measure_docx_only(data: Path, templates: Path, out: Path) -> dict:
    wall, mb, text = run_child(worker_cmd("_docx", str(data), str(templates), str(out)))
    inner = json.loads(text.strip().splitlines()[-1])
    n = inner["reports"]
    return {"units": n, "wall_s": wall, "per_s": n / wall, "loop_s": inner["loop_s"], "peak_mb": mb}


def report_files(folder: Path) -> list[list[Path]]:
    """The files ``generate`` wrote for each unit: its .docx, and the -附表.xlsx and -审核.md beside it."""
    out = []
    for docx in docx_files(folder):
        siblings = [docx.with_name(docx.stem + suffix) for suffix in ("-附表.xlsx", "-审核.md")]
        out.append([docx] + [p for p in siblings if p.is_file()])
    return out


def floor_inputs(reports: list[list[Path]]) -> list[list[tuple[str, Any]]]:
    """Each report's files as the floor writes them: zip packages as their parts (name, compression, bytes)."""
    units = []
    for files in reports:
        unit = []
        for f in files:
            if zipfile.is_zipfile(f):
                with zipfile.ZipFile(f) as zf:
                    unit.append((f.suffix, [(i.filename, i.compress_type, zf.read(i)) for i in zf.infolist()]))
            else:
                unit.append((f.suffix, f.read_bytes()))
        units.append(unit)
    return units


def floor_round(units: list[list[tuple[str, Any]]], folder: Path) -> float:
    """Write each report's files again: zip packages re-zipped from their parts (same names and
    compression), other files written as they are; nothing else. Returns the seconds it took."""
    folder.mkdir(parents=True)
    start = time.perf_counter()
    for k, unit in enumerate(units):
        for j, (suffix, content) in enumerate(unit):
            with open(folder / f"{k}-{j}{suffix}", "wb") as fh:
                if isinstance(content, bytes):
                    fh.write(content)
                    continue
                with zipfile.ZipFile(fh, "w") as zf:
                    for name, compress, data in content:
                        zf.writestr(name, data, compress_type=compress)
    return time.perf_counter() - start


def floor_result(units: list[list[tuple[str, Any]]], rounds: list[float]) -> dict:
    best = min(rounds)
    return {"reports": len(units), "files": sum(len(u) for u in units), "wall_s": best, "rounds": len(rounds),
            "per_report_ms": best / len(units) * 1000}


def measure_growth(tmp: Path, kind: str, sizes: tuple[int, ...], reps: int) -> list[dict]:
    ex = _example()
    rows = []
    for n in sizes:
        data = example_data(ex, projects=n) if kind == "projects" else example_data(ex, indicators=n)
        wb = write_workbook(tmp / f"growth-{kind}-{n}" / f"{YEAR}.xlsx", data)
        _, mb, text = run_child(worker_cmd("_unit", str(wb), str(ROOT / "templates"), str(wb.parent / "out"),
                                           str(reps)))
        res = json.loads(text.strip().splitlines()[-1])
        rows.append({"n": n, "peak_mb": mb, **res})
    base = rows[0]
    for r in rows:
        added = r["n"] - base["n"]
        r["per_item_ms"] = (r["total_s"] - base["total_s"]) / added * 1000 if added else None
    return rows


# ---------------------------------------------------------------------------- workers (child processes)


def worker_naive(data: Path, templates: Path, out: Path, full: bool = False) -> None:
    """The straightforward way, one report after another.

    ``full``: also the other two files ``generate`` writes per unit, made the
    straightforward way: the audit's 审核 list, and the Excel tables written
    through openpyxl's object model (``naive_tables_workbook``).
    """
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from generator.compute import compute
    from generator.formatting import FILTERS
    from generator.messages import msg
    from generator.pipeline import audit_loaded
    from generator.render import ReportTemplate
    from generator.validate import validate
    from generator.workbook import read_workbook

    template = templates / "default" / "report.docx"
    out.mkdir(parents=True, exist_ok=True)
    units = sorted(p for p in data.iterdir() if p.is_dir())
    start = time.perf_counter()
    for folder in units:
        workbook = folder / f"{YEAR}.xlsx"
        # opened with openpyxl (our schema reader on openpyxl, not the fast XML reader): the same context
        data_, _ = validate(read_workbook(workbook, fast=False), YEAR)
        ctx = compute(data_)
        env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
        env.filters.update(FILTERS)
        tpl = ReportTemplate(str(template))
        tpl.render(ctx, jinja_env=env, autoescape=True)
        tpl.save(str(out / f"{folder.name}.docx"))
        if full:
            (out / f"{folder.name}-附表.xlsx").write_bytes(naive_tables_workbook(ctx))
            result = audit_loaded(workbook, YEAR, data_, ctx)
            (out / f"{folder.name}-审核.md").write_text(result.markdown(msg("audit_md_title", name=folder.name)),
                                                       encoding="utf-8")
    print(json.dumps({"reports": len(units), "loop_s": time.perf_counter() - start}))


def naive_tables_workbook(ctx: dict) -> bytes:
    """The Excel attachment tables the straightforward way: openpyxl's object model, style objects
    assigned cell by cell, ``merge_cells``, ``save``. The layout (cells, merges, heights) is ours, from a
    fresh evaluator (nothing compiled is kept between units), so the content is the same."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    from generator import tables_xlsx as tx
    from generator.sheetml import CM_TO_CHARS

    sheets, styles = tx.layout(ctx, tx._Evaluator())
    thin = Side(style="thin", color="000000")
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        for j, w in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = round(w * CM_TO_CHARS, 1)
        for r, cols in sheet.rows.items():
            for c, (value, xf) in cols.items():
                (name, size, bold), border, align, number_format, _fill = styles.keys[xf]  # no fills in the tables
                cell = ws.cell(row=r, column=c)
                if value is not None:
                    cell.value = value
                cell.font = Font(name=name, size=size, bold=bold)
                if border:
                    cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                if align:
                    cell.alignment = Alignment(horizontal=align[0] or None, vertical=align[1] or None,
                                               wrap_text=align[2] or None)
                cell.number_format = number_format
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        for r, height in sheet.heights.items():
            ws.row_dimensions[r].height = height
        if sheet.print_titles:
            ws.print_title_rows = f"{sheet.print_titles}:{sheet.print_titles}"
        if sheet.print_area:
            ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
            ws.page_setup.paperSize = ws.PAPERSIZE_A4
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.print_options.horizontalCentered = True
            ws.page_margins.left = ws.page_margins.right = 0.6
            ws.page_margins.top = ws.page_margins.bottom = 0.8
            ws.print_area = f"A1:{get_column_letter(sheet.print_area[0])}{sheet.print_area[1]}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def worker_docx_only(data: Path, templates: Path, out: Path) -> None:
    """Our library path for the .docx alone (no audit file, no Excel tables), one process, one environment."""
    from generator import pipeline, render, write

    env = render.make_env()
    units = sorted(p for p in data.iterdir() if p.is_dir())
    start = time.perf_counter()
    for folder in units:
        _, ctx, _ = pipeline.load(folder / f"{YEAR}.xlsx", YEAR)
        docx = render.render_docx(pipeline.resolve_template(templates, folder.name), ctx, env)
        write.write_outputs({out / folder.name / f"{pipeline.report_stem(ctx)}.docx": docx})
    print(json.dumps({"reports": len(units), "loop_s": time.perf_counter() - start}))


def worker_unit(workbook: Path, templates: Path, out: Path, reps: int) -> None:
    """One unit, warm (imports done, template compiled once): total and per-stage times, medians."""
    from generator import compute, pipeline, render, validate, workbook as wbmod

    try:
        from generator.tables_xlsx import tables_workbook
    except ImportError:  # before the Excel attachment tables existed
        tables_workbook = None
    env = render.make_env()  # as a batch worker does: one environment for all its units
    pipeline.generate_unit(workbook, YEAR, templates, out / "warm", force=True, env=env)
    totals = []
    stages: dict[str, list[float]] = {"read": [], "validate": [], "compute": [], "audit": [], "render": [],
                                      "tables": []}
    template = pipeline.resolve_template(templates, None)
    for r in range(reps):
        start = time.perf_counter()
        pipeline.generate_unit(workbook, YEAR, templates, out / f"rep{r}", force=True, env=env)
        totals.append(time.perf_counter() - start)
        t0 = time.perf_counter()
        raw = wbmod.read_workbook(workbook)
        t1 = time.perf_counter()
        data, _ = validate.validate(raw, YEAR)
        t2 = time.perf_counter()
        ctx = compute.compute(data)
        t3 = time.perf_counter()
        if hasattr(pipeline, "audit_loaded"):
            pipeline.audit_loaded(workbook, YEAR, data, ctx)
        t4 = time.perf_counter()
        docx = render.render_docx(template, ctx, env)
        t5 = time.perf_counter()
        if tables_workbook is not None:
            tables_workbook(ctx)
        t6 = time.perf_counter()
        for key, took in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            stages[key].append(took)
    med = {k: statistics.median(v) for k, v in stages.items()}
    print(json.dumps({"total_s": statistics.median(totals), **{f"{k}_s": v for k, v in med.items()},
                      "docx_kb": len(docx) / 1024}))


# ---------------------------------------------------------------------------- machine and report


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            versions[pkg] = "—"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        commit = (commit + (" + uncommitted changes" if dirty else "")) or "—"
    except OSError:
        commit = "—"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram, "os": platform.platform(),
            "python": platform.python_version(), "versions": versions, "commit": commit,
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "load": load}


def ok(flag: bool) -> str:
    return "met" if flag else "**not met**"


def report(m: dict, r: dict, quick: bool) -> str:
    L = []
    L.append("# Benchmark results")
    L.append("")
    L.append(f"Written by `python bench/run.py{' --quick' if quick else ''}` on {m['date']}; "
             "every figure below comes from this one run on this machine.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append(f"| CPU | {m['cpu']} |")
    L.append(f"| cores | {m['cores']} |")
    L.append(f"| RAM | {m['ram_gb']:.1f} GB |" if m["ram_gb"] else "| RAM | — |")
    L.append(f"| OS | {m['os']} |")
    L.append(f"| Python | {m['python']} |")
    L.append(f"| `PYTHONDONTWRITEBYTECODE` | {BYTECODE_NOTE} (the measured processes write and reuse byte-code, "
             "as a user's Python does) |")
    L.append("| packages | " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + " |")
    L.append(f"| code | {m['commit']} |")
    if m["load"] is not None:
        L.append(f"| load average at start | {m['load']:.2f} |")
    L.append("")

    cold = r["cold"]
    L.append("## Cold single report")
    L.append("")
    L.append(f"The whole `generate --year {YEAR}` process on the example workbook, {cold['runs']} runs after one "
             "warm-up (Python byte-code and the file cache warm; a fresh output folder each time).")
    L.append("")
    L.append("| median wall | min | max | peak RSS | bare `python -c pass` |")
    L.append("|---|---|---|---|---|")
    L.append(f"| {cold['median_s']:.3f} s | {cold['min_s']:.3f} s | {cold['max_s']:.3f} s | "
             f"{cold['peak_mb']:.0f} MB | {cold['python_start_s']:.3f} s |")
    L.append("")

    L.append("## Batch throughput against the naive way and the floor")
    L.append("")
    L.append("*batch*: `generate --year 2024 --data DIR --jobs N` over unit folders (the whole process, start-up "
             "included); per unit it writes three files: the report .docx, the attachment tables `-附表.xlsx` and "
             "the audit list `-审核.md` (plus the county summary once). "
             "*naive, .docx only*: one process, for each unit the workbook opened with openpyxl "
             "(`load_workbook`, our schema reader on top) + validate + compute (same context), a new "
             "`ReportTemplate(path)` with a fresh non-caching sandboxed Jinja environment, `render()`, `save()` — "
             "one file of the three. *naive, same three files*: the same loop also writing the audit list and the "
             "Excel tables the straightforward way (openpyxl's object model: a style object per cell, "
             "`merge_cells`, `save`; same layout, values and merges as ours). "
             "*ours, .docx only*: our library in one process making what the naive .docx loop makes "
             "(`pipeline.load`, `render.render_docx` with one environment for all units, `write.write_outputs`). "
             "*floor*: writing the same three files of each unit again — the .docx and .xlsx re-zipped from their "
             "parts (same names, same compression), the .md written as is — nothing else, one process. "
             "Every process row includes interpreter start-up; the floor does not. "
             f"Each batch row is the fastest of {r['batch'][0]['runs']} runs (slowest in the last column); "
             f"the floor is the fastest of {r['floor']['rounds']} rounds, each run right after one run of the "
             "largest batch with the most workers, so that the ratio's two figures are measured together.")
    L.append("")
    L.append("| run | units | jobs | wall | reports/s | ms/report | peak RSS (largest process) | slowest run |")
    L.append("|---|---|---|---|---|---|---|---|")
    for b in r["batch"]:
        L.append(f"| batch | {b['units']} | {b['jobs']} | {b['wall_s']:.2f} s | {b['per_s']:.1f} | "
                 f"{b['wall_s'] / b['units'] * 1000:.1f} | {b['peak_mb']:.0f} MB | {b['slowest_s']:.2f} s |")
    do = r["docx_only"]
    L.append(f"| ours, .docx only | {do['units']} | 1 | {do['wall_s']:.2f} s | {do['per_s']:.1f} | "
             f"{do['wall_s'] / do['units'] * 1000:.1f} | {do['peak_mb']:.0f} MB | — |")
    for key, label in (("naive", "naive, .docx only"), ("naive_full", "naive, same three files")):
        nv = r[key]
        L.append(f"| {label} | {nv['units']} | 1 | {nv['wall_s']:.2f} s | {nv['per_s']:.1f} | "
                 f"{nv['wall_s'] / nv['units'] * 1000:.1f} | {nv['peak_mb']:.0f} MB | — |")
    fl = r["floor"]
    L.append(f"| floor (same three files) | {fl['reports']} | 1 | {fl['wall_s']:.2f} s | "
             f"{fl['reports'] / fl['wall_s']:.1f} | {fl['per_report_ms']:.1f} | — | — |")
    L.append("")
    L.append(f"Naive and batch output have the same `word/document.xml`: **{r['same_output']}**; the naive and our "
             f"Excel tables have the same sheets, cell values, number formats and merges: **{r['same_tables']}**. "
             "Ratios use the best batch row; the floor is per report in one process.")
    L.append("")

    L.append("## Growth: one unit, more projects or indicators")
    L.append("")
    L.append("Each size in its own process: the unit is generated once (imports, template compiled), then "
             f"timed {r['growth_reps']}× (median), with one Jinja environment as a batch worker keeps. *total* is "
             "`pipeline.generate_unit` (read, validate, compute, audit, render, Excel tables, write); the stage "
             "columns are timed separately. *per added* = (total − total at the "
             "smallest size) / (items added). Peak RSS is the worker process's.")
    L.append("")
    for kind, label in (("projects", "projects (7 project indicators each)"), ("indicators", "indicators")):
        L.append(f"### {label}")
        L.append("")
        L.append("| n | total | read | validate | compute | audit | render .docx | Excel tables | per added | "
                 ".docx | peak RSS |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for g in r["growth"][kind]:
            per = f"{g['per_item_ms']:.2f} ms" if g["per_item_ms"] is not None else "—"
            ms = {k: f"{g[k + '_s'] * 1000:.0f} ms" for k in ("total", "read", "validate", "compute", "audit",
                                                                "render", "tables")}
            L.append(f"| {g['n']} | {ms['total']} | {ms['read']} | {ms['validate']} | {ms['compute']} | "
                     f"{ms['audit']} | {ms['render']} | {ms['tables']} | {per} | {g['docx_kb']:.0f} KB | "
                     f"{g['peak_mb']:.0f} MB |")
        L.append("")

    L.append("## Targets (issue 8)")
    L.append("")
    L.append("| target | measured | |")
    L.append("|---|---|---|")
    for line in r["targets"]:
        L.append(f"| {line[0]} | {line[1]} | {ok(line[2])} |")
    L.append("")
    if r.get("notes"):
        L.append("## Notes")
        L.append("")
        for n in r["notes"]:
            L.append(f"- {n}")
        L.append("")
    return "\n".join(L)


def targets(r: dict, cfg: dict) -> list[tuple[str, str, bool]]:
    out = []
    nf = r["naive_full"]
    best = max(r["batch"], key=lambda b: b["per_s"])
    ratio = best["per_s"] / nf["per_s"]
    out.append((f"batch ≥ {TARGET_VS_NAIVE:g}× naive reports/s (both writing the same three files per unit)",
                f"{best['per_s']:.1f} /s ({best['units']} units, --jobs {best['jobs']}) vs naive {nf['per_s']:.1f} /s "
                f"= {ratio:.2f}×", ratio >= TARGET_VS_NAIVE))
    nv = r["naive"]
    out.append(("(batch, three files per unit, against the naive loop making the .docx alone)",
                f"{best['per_s']:.1f} /s vs {nv['per_s']:.1f} /s = {best['per_s'] / nv['per_s']:.2f}×",
                best["per_s"] / nv["per_s"] >= TARGET_VS_NAIVE))
    do = r["docx_only"]
    out.append(("(render path alone: ours, .docx only, one process, against naive .docx only)",
                f"{do['per_s']:.1f} /s vs {nv['per_s']:.1f} /s = {do['per_s'] / nv['per_s']:.2f}×",
                do["per_s"] / nv["per_s"] >= TARGET_VS_NAIVE))
    per_report = best["wall_s"] / best["units"] * 1000
    fl = r["floor"]["per_report_ms"]
    out.append((f"batch within {TARGET_VS_FLOOR:g}× of the floor per report",
                f"{per_report:.1f} ms vs floor {fl:.1f} ms = {per_report / fl:.1f}×", per_report / fl <= TARGET_VS_FLOOR))
    one = [b for b in r["batch"] if b["jobs"] == 1 and b["units"] == best["units"]]
    if one:
        per1 = one[0]["wall_s"] / one[0]["units"] * 1000
        out.append(("(same, one process: --jobs 1 against the one-process floor)",
                    f"{per1:.1f} ms vs {fl:.1f} ms = {per1 / fl:.1f}×", per1 / fl <= TARGET_VS_FLOOR))
    cold = r["cold"]["median_s"]
    out.append((f"cold single report < {TARGET_COLD_S:g} s wall", f"{cold:.3f} s (median)", cold < TARGET_COLD_S))
    for kind, mid, top in (("projects", 100, 500), ("indicators", 200, 2000)):
        rows = {g["n"]: g for g in r["growth"][kind]}
        if mid in rows and top in rows:
            a, b = rows[mid]["per_item_ms"], rows[top]["per_item_ms"]
            out.append((f"{kind}: cost per added item at {top} within {TARGET_GROWTH:g}× of that at {mid}",
                        f"{b:.2f} ms vs {a:.2f} ms = {b / a:.2f}×", b / a <= TARGET_GROWTH))
    peaks = [r["cold"]["peak_mb"], r["naive"]["peak_mb"], r["naive_full"]["peak_mb"], r["docx_only"]["peak_mb"]] + [b["peak_mb"] for b in r["batch"]] + \
        [g["peak_mb"] for k in r["growth"] for g in r["growth"][k]]
    out.append((f"peak memory < {TARGET_MEM_MB} MB (any process measured)", f"{max(peaks):.0f} MB",
                max(peaks) < TARGET_MEM_MB))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; prints the table, writes no file unless --out")
    ap.add_argument("--out", type=Path, default=None, help="where to write the table (default bench/RESULTS.md)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    out_file = args.out or (None if args.quick else ROOT / "bench" / "RESULTS.md")

    m = machine()
    tmp = Path(tempfile.mkdtemp(prefix="generator-bench-"))
    t_start = time.perf_counter()

    def step(text: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f}s] {text}", file=sys.stderr, flush=True)

    try:
        r: dict = {"growth_reps": cfg["growth_reps"], "notes": []}
        step("cold single report")
        r["cold"] = measure_cold(tmp, cfg["cold_runs"])

        most = max(cfg["units"])
        step(f"writing {most} unit workbooks")
        all_units = make_units(tmp / f"units{most}", most)
        sets = {most: all_units}
        for n in cfg["units"]:
            if n != most:
                sets[n] = subset_units(all_units, tmp / f"units{n}" / "data", n)
        templates = ROOT / "templates"
        r["batch"] = []
        floor_units: list = []
        floor_rounds: list[float] = []

        def floor_between() -> None:  # a floor round after each run of the largest batch with the most workers
            if not floor_units:
                floor_units.extend(floor_inputs(report_files(tmp / f"out-batch-{most}-1")))
            floor_rounds.append(floor_round(floor_units, tmp / "out-floor" / f"round{len(floor_rounds)}"))

        for n in sorted(cfg["units"]):
            for j in sorted(cfg["jobs"]):
                step(f"batch {n} units, --jobs {j}" + (", each run followed by a floor round" if
                                                      (n, j) == (most, max(cfg["jobs"])) else ""))
                between = floor_between if (n, j) == (most, max(cfg["jobs"])) else None
                r["batch"].append(measure_batch(sets[n], templates, tmp / f"out-batch-{n}-{j}", j, cfg["batch_runs"],
                                                between))
        r["floor"] = floor_result(floor_units, floor_rounds)

        nn = cfg["naive_units"]
        naive_data = sets.get(nn) or subset_units(all_units, tmp / f"naive{nn}" / "data", nn)
        step(f"naive baseline, {nn} units, .docx only")
        r["naive"] = measure_naive(naive_data, templates, tmp / "out-naive")
        step(f"naive baseline, {nn} units, the same three files")
        r["naive_full"] = measure_naive(naive_data, templates, tmp / "out-naive-full", full=True)

        step(f"ours, .docx only, {nn} units")
        r["docx_only"] = measure_docx_only(naive_data, templates, tmp / "out-docx-only")

        # same output? compare the first unit's document part
        ours = [p for p in docx_files(tmp / f"out-batch-{nn}-1") if "测试单位001" in p.name]
        naive_file = tmp / "out-naive" / "unit-001.docx"
        r["same_output"] = "yes" if ours and document_xml(ours[0]) == document_xml(naive_file) else "NO"
        naive_tables = tmp / "out-naive-full" / "unit-001-附表.xlsx"
        ours_tables = ours[0].with_name(ours[0].stem + "-附表.xlsx") if ours else None
        r["same_tables"] = "yes" if ours_tables and sheet_values(ours_tables) == sheet_values(naive_tables) else "NO"


        r["growth"] = {}
        for kind in ("projects", "indicators"):
            step(f"growth: {kind}")
            r["growth"][kind] = measure_growth(tmp, kind, cfg[kind], cfg["growth_reps"])

        r["targets"] = targets(r, cfg)
        if m["load"] is not None and m["load"] > 0.5:
            r["notes"].append(f"The load average was {m['load']:.2f} when the run started: other work on the machine "
                              "makes the figures slower and noisier than on an idle one.")
        r["notes"].append(f"The whole benchmark took {time.perf_counter() - t_start:.0f} s.")
        text = report(m, r, args.quick)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    if out_file:
        out_file.write_text(text + "\n", encoding="utf-8")
        step(f"wrote {out_file}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_spawn":
        spawn(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] in ("_naive", "_naive_full"):
        worker_naive(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), full=sys.argv[1] == "_naive_full")
    elif len(sys.argv) > 1 and sys.argv[1] == "_docx":
        worker_docx_only(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_unit":
        worker_unit(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
