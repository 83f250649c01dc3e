#!/usr/bin/env python
"""Load a county puts on one machine (issue 24 item 7): 20 units at once through the real page, with PDF.

Run from the project folder::

    python3 bench/load.py                       # 20 units; appends a section to bench/LOAD.md
    python3 bench/load.py --units 4 --out -     # a small run, printed only
    python3 bench/load.py --label "after the merge" --rounds 3   # CLI then page, three times: the median ratio
    python3 bench/load.py --conversions         # also: conversion alone, one-shot against resident

What it does, in a temporary folder (nothing is written into the project but the results file):

1. ``data/unit-01/2024.xlsx`` … made from ``data/2024.xlsx``, each with its own 基本信息 › 单位全称.
2. The CLI batch over them: ``generate --year 2024 --jobs 2 --pdf``, its wall time (``--runs`` times, median).
3. ``generate serve`` on 127.0.0.1 (a free port) over an empty copy of the same county, with one account per
   unit and one bureau account made through the library (``generator.web.db``), as the tests make them.
4. One thread per unit, all released together: log in, upload the workbook, generate with PDF, then fetch the
   PDF. A unit succeeds when the page says the report was generated and its PDF downloads as a PDF. Meanwhile
   the bureau's county page is fetched every ``--every`` seconds until the last unit is done.
5. The server is stopped; the figures are compared with the goals: every unit succeeds; the last finishes
   within 1.5× the CLI batch's wall time; every county page answers within 1 s.

Everything is bounded: each request has a timeout, the whole run a deadline, the server is stopped on the way
out whatever happened. Loopback only. The generator measured is the one in this folder (``PYTHONPATH``).
``GENERATOR_PDF_RESIDENT=0`` in the environment makes the server convert one-shot (one soffice per request),
for a before/after comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
YEAR = 2024
EXAMPLE = ROOT / "data" / f"{YEAR}.xlsx"
ENTRY = "from generator.cli import entry; entry()"
PASSWORD = "bench-password-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = re.compile(r'class="message[^"]*"[^>]*>(.*?)</(?:div|p)>', re.S)
TAG = re.compile(r"<[^>]+>")

GOAL_SUCCESS = 1.0  # share of units that succeed
GOAL_LAST = 1.5  # the last unit within this many times the CLI batch's wall time
GOAL_PAGE_S = 1.0  # the county page answers within this, throughout
REQUEST_TIMEOUT = 600.0  # seconds, one request
DEADLINE = 1800.0  # seconds, the whole page run

CHILD_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
CHILD_ENV["PYTHONPATH"] = str(ROOT) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")


def log(text: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ============================================================================ the county


def make_county(root: Path, units: int) -> list[str]:
    """``root/books/unit-NN/2024.xlsx`` with distinct 单位全称 (and 简称); the unit names."""
    import openpyxl

    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["基本信息"]
    cells = {str(row[0].value).strip(): row[1] for row in ws.iter_rows(min_col=1, max_col=2)
             if row[0].value is not None}
    full, short = cells["单位全称"], cells.get("单位简称")
    base_full = str(full.value)
    names = []
    for k in range(1, units + 1):
        unit = f"unit-{k:02d}"
        full.value = base_full.replace("郑家驿镇", f"测试{k:02d}镇")
        if full.value == base_full:
            full.value = f"{base_full}（测试{k:02d}）"
        if short is not None:
            short.value = f"测试{k:02d}镇"
        target = root / "books" / unit / f"{YEAR}.xlsx"
        target.parent.mkdir(parents=True)
        wb.save(target)
        names.append(unit)
    return names


def cli_batch(root: Path, units: list[str], run: str) -> dict:
    """``generate --year 2024 --jobs 2 --pdf`` over the county: wall time, exit code, PDFs written."""
    data = root / f"cli-data-{run}"
    for unit in units:
        (data / unit).mkdir(parents=True)
        shutil.copyfile(root / "books" / unit / f"{YEAR}.xlsx", data / unit / f"{YEAR}.xlsx")
    out = root / f"cli-out-{run}"
    cmd = [sys.executable, "-c", ENTRY, "--year", str(YEAR), "--data", str(data), "--templates",
           str(root / "templates"), "--out", str(out), "--jobs", "2", "--pdf"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=CHILD_ENV, timeout=DEADLINE)
    wall = time.perf_counter() - start
    pdfs = [p for p in (out / str(YEAR)).rglob("*.pdf") if "汇总" not in p.name]
    if proc.returncode != 0:
        log(f"CLI batch exited {proc.returncode}: {(proc.stdout + proc.stderr)[-1500:]}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return {"wall": wall, "code": proc.returncode, "pdfs": len(pdfs)}


def make_accounts(data: Path, units: list[str]) -> None:
    """One account per unit (``unit-NN``) and the bureau's (``county``), passwords set, as the tests make them."""
    from generator.web import db
    from generator.web.app import STATE_DIR
    from generator.web.passwords import hash_password

    con = db.connect(db.init(data / STATE_DIR))
    try:
        hashed = hash_password(PASSWORD)
        for name, role, unit in [(u, db.UNIT, u) for u in units] + [("county", db.BUREAU, None)]:
            account = db.create_account(con, name, role, unit, hashed)
            db.set_password(con, account, hashed, must_change=False)
    finally:
        con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``generate serve`` on 127.0.0.1 in ``root``; stopped on leaving, whatever happened."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "server.log", "w+", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ENTRY, "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data", str(root / "data"), "--templates", str(root / "templates"), "--out", str(root / "output")],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=5).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the server did not start:\n" + self.output()[-3000:]) from None
                time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.close()


# ============================================================================ a browser, roughly


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Cookies, the CSRF token, no redirects followed (a 303 is the page's "done")."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())
        self.token = ""

    def request(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
                ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {},
                                     method="POST" if data is not None else "GET")
        try:
            with self.opener.open(req, timeout=REQUEST_TIMEOUT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, path: str) -> tuple[int, bytes]:
        status, body = self.request(path)
        found = CSRF.search(body.decode("utf-8", "replace"))
        if found:
            self.token = found.group(1)
        return status, body

    def post(self, path: str, fields: dict[str, str], file: tuple[str, str, bytes] | None = None
             ) -> tuple[int, bytes]:
        fields = {**fields, "csrf_token": self.token}
        if file is None:
            return self.request(path, urllib.parse.urlencode(fields).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        name, filename, content = file
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
                     .encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self, username: str) -> int:
        self.get("/login")
        return self.post("/login", {"username": username, "password": PASSWORD})[0]


def said(body: bytes) -> str:
    """The page's messages, as text (why a step failed)."""
    text = body.decode("utf-8", "replace")
    found = [" ".join(TAG.sub(" ", m).split()) for m in MESSAGE.findall(text)]
    return " | ".join(f for f in found if f)[:300] or " ".join(TAG.sub(" ", text).split())[:300]


# ============================================================================ the run through the page


def one_unit(url: str, unit: str, workbook: bytes, go: threading.Event, t0: list[float]) -> dict:
    """Log in, upload, generate with PDF, fetch the PDF: {ok, end (s after the release), step, why}."""
    b = Browser(url)
    result: dict = {"unit": unit, "ok": False, "step": "wait", "why": ""}
    go.wait()
    try:
        result["step"] = "login"
        status = b.login(unit)
        if status not in (302, 303):
            result["why"] = f"login {status}"
            return result
        page = f"/unit/{unit}/{YEAR}/"
        b.get(page)
        result["logged_in"] = time.perf_counter() - t0[0]
        result["step"] = "upload"
        status, body = b.post(page + "workbook", {}, ("workbook", f"{YEAR}.xlsx", workbook))
        if status != 303:
            result["why"] = f"upload {status}: {said(body)}"
            return result
        result["uploaded"] = time.perf_counter() - t0[0]
        b.get(page)
        result["step"] = "generate"
        start = time.perf_counter()
        status, body = b.post(page + "generate", {"pdf": "1"})
        result["generate_s"] = time.perf_counter() - start
        if status not in (200, 303):
            result["why"] = f"generate {status}: {said(body)}"
            return result
        if status == 200 and 'class="message good"' not in body.decode("utf-8", "replace"):
            result["why"] = f"generate: {said(body)}"
            return result
        result["step"] = "pdf"
        status, body = b.request(page + "file/pdf")
        if status != 200 or not body.startswith(b"%PDF-"):
            result["why"] = f"PDF {status}: {said(body) if status != 200 else 'not a PDF'}"
            return result
        result["ok"] = True
        result["step"] = "done"
        return result
    except OSError as exc:
        result["why"] = f"{result['step']}: {exc}"
        return result
    finally:
        result["end"] = time.perf_counter() - t0[0]


def sample_county(url: str, go: threading.Event, stop: threading.Event, every: float, t0: list[float],
                  samples: list[tuple[float, float, int]]) -> None:
    """The county page, fetched every ``every`` seconds until ``stop``: (when, seconds, status)."""
    b = Browser(url)
    if b.login("county") not in (302, 303):
        samples.append((0.0, float("nan"), 0))
        return
    b.get(f"/county/{YEAR}/")  # the first, before the load, not counted
    go.wait()
    while not stop.is_set() and time.perf_counter() - t0[0] < DEADLINE:
        start = time.perf_counter()
        try:
            status, _ = b.request(f"/county/{YEAR}/")
        except OSError:
            status = 0
        samples.append((start - t0[0], time.perf_counter() - start, status))
        stop.wait(every)


def page_run(root: Path, units: list[str], every: float, env: dict[str, str]) -> dict:
    data = root / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(root / "output", ignore_errors=True)
    for unit in units:
        (data / unit).mkdir(parents=True)
    make_accounts(data, units)
    books = {u: (root / "books" / u / f"{YEAR}.xlsx").read_bytes() for u in units}
    with Server(root, env) as server:
        go, stop = threading.Event(), threading.Event()
        t0 = [0.0]
        results: list[dict] = []
        samples: list[tuple[float, float, int]] = []
        sampler = threading.Thread(target=sample_county, args=(server.url, go, stop, every, t0, samples))
        sampler.start()

        def work(unit: str) -> None:
            results.append(one_unit(server.url, unit, books[unit], go, t0))

        threads = [threading.Thread(target=work, args=(u,)) for u in units]
        for t in threads:
            t.start()
        time.sleep(0.5)  # every thread waiting at the gate
        t0[0] = time.perf_counter()
        go.set()
        for t in threads:
            t.join(max(1.0, DEADLINE - (time.perf_counter() - t0[0])))
        stop.set()
        sampler.join(REQUEST_TIMEOUT)
        server_log = server.output()
    return {"results": sorted(results, key=lambda r: r["unit"]), "samples": samples, "server_log": server_log}


# ============================================================================ conversion alone


def conversions(root: Path, units: list[str]) -> dict:
    """Seconds to convert one report and the county's reports: one-shot (one soffice per file; one soffice for
    them all) against the resident converters (one; two, fed by two threads), each started and ready before
    the clock starts, as ``generate serve`` has them."""
    from concurrent.futures import ThreadPoolExecutor

    from generator.formats import pdf_resident
    from generator.formats.pdf import PdfConverter, find_soffice, soffice_env

    data = root / "conv-data"
    for unit in units:
        (data / unit).mkdir(parents=True)
        shutil.copyfile(root / "books" / unit / f"{YEAR}.xlsx", data / unit / f"{YEAR}.xlsx")
    out = root / "conv-out"
    subprocess.run([sys.executable, "-c", ENTRY, "--year", str(YEAR), "--data", str(data), "--templates",
                    str(root / "templates"), "--out", str(out), "--jobs", "2"], capture_output=True,
                   env=CHILD_ENV, timeout=DEADLINE, check=True)
    docx = sorted(p for p in (out / str(YEAR)).rglob("*.docx"))
    assert len(docx) == len(units), docx
    times: dict[str, float] = {}

    def timed(name: str, work) -> None:
        start = time.perf_counter()
        work()
        times[name] = time.perf_counter() - start
        log(f"{name}: {times[name]:.2f} s")

    def one_shot(files: list[Path], target: str) -> None:
        for f in files:
            with PdfConverter() as c:
                c.convert([f], root / target / f.parent.name)

    timed("one-shot, 1 report", lambda: one_shot(docx[:1], "o1"))
    timed(f"one-shot, {len(docx)} reports, one soffice each", lambda: one_shot(docx, "on"))

    def one_call() -> None:
        with PdfConverter() as c:
            c.convert(docx, root / "oc")

    timed(f"one-shot, {len(docx)} reports, one soffice for all", one_call)
    soffice = find_soffice()
    for size in (1, 2):
        started, why = pdf_resident.start(size, soffice, soffice_env())
        if not started:
            times["resident"] = float("nan")
            log(f"no resident converter: {why}")
            return times
        try:
            with ThreadPoolExecutor(size) as pool:  # every converter ready: a first, untimed file each
                list(pool.map(lambda k: PdfConverter().convert([docx[k]], root / f"warm{size}-{k}"), range(size)))

            def each(files: list[Path], target: str, threads: int) -> None:
                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(lambda f: PdfConverter().convert([f], root / target / f.parent.name), files))

            if size == 1:
                timed("resident, 1 report", lambda: each(docx[:1], "r1", 1))
            timed(f"resident ×{size}, {len(docx)} reports", lambda: each(docx, f"r{size}", size))
            assert pdf_resident.current().restarts == 0
        finally:
            pdf_resident.stop()
    return times


# ============================================================================ the report


def summarize(label: str, units: list[str], rounds: list[tuple[list[dict], dict]], conv: dict[str, float] | None = None
              ) -> str:
    """The section of the results file: each round is (its CLI batch runs, its run through the page)."""
    n = len(units)
    results = [r for _, page in rounds for r in page["results"]]
    samples = [x for _, page in rounds for x in page["samples"]]
    per_round = []
    for cli, page in rounds:
        ok = [r for r in page["results"] if r["ok"]]
        last = max((r["end"] for r in ok), default=float("nan"))
        wall = statistics.median(c["wall"] for c in cli) if cli else float("nan")
        per_round.append({"ok": len(ok), "last": last, "cli": wall, "ratio": last / wall})
    ratio = statistics.median(r["ratio"] for r in per_round)
    times = [x[1] for x in samples]
    slow = [x for x in samples if x[1] >= GOAL_PAGE_S or x[2] != 200]
    gens = sorted(r["generate_s"] for r in results if "generate_s" in r)
    said = next((line.strip() for line in rounds[0][1]["server_log"].splitlines() if line.startswith("PDF 转换")),
                "the server said nothing of resident converters (one-shot)")
    lines = [f"## {label}", "",
             f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
             f"after {loadavg()}; git {git_head()}; {len(rounds)} round(s), each a CLI batch then the page. "
             f"Server: {said}", "",
             "| figure | measured | goal | met |", "|---|---|---|---|"]

    def row(name: str, value: str, goal: str, met: bool) -> None:
        lines.append(f"| {name} | {value} | {goal} | {'yes' if met else '**no**'} |")

    row("units that succeed (page: generated, PDF downloads)", ", ".join(str(r["ok"]) for r in per_round)
        + f" of {n}", f"{n} of {n}", all(r["ok"] == n for r in per_round))
    row("the last unit done (from the release) ÷ the CLI batch's wall time", "; ".join(
        f"{r['last']:.1f} s ÷ {r['cli']:.1f} s = {r['ratio']:.2f}×" for r in per_round)
        + (f" (median {ratio:.2f}×)" if len(per_round) > 1 else ""), f"≤ {GOAL_LAST}×", ratio <= GOAL_LAST)
    row("county page, slowest of " + str(len(times)),
        f"{max(times):.2f} s (median {statistics.median(times):.2f} s)" if times else "no sample",
        f"< {GOAL_PAGE_S:.0f} s", bool(times) and not slow)
    lines += ["", f"CLI `generate --year {YEAR} --jobs 2 --pdf` over the same {n} units: "
              + ", ".join(f"{c['wall']:.1f} s (exit {c['code']}, {c['pdfs']} PDFs)" for cli, _ in rounds
                          for c in cli) + "."]
    if gens:
        lines.append(f"The page's generate request (with PDF), per unit: median {statistics.median(gens):.1f} s, "
                     f"max {gens[-1]:.1f} s.")
    steps = [(name, sorted(r[key] for r in results if key in r)) for name, key in
             (("logged in", "logged_in"), ("uploaded", "uploaded"), ("done", "end"))]
    lines.append("Seconds from the release, median / last (all rounds): " + "; ".join(
        f"{name} {statistics.median(v):.1f} / {v[-1]:.1f}" for name, v in steps if v) + ".")
    if slow:
        lines.append(f"County page samples ≥ {GOAL_PAGE_S:.0f} s or not 200: {len(slow)} of {len(times)}; the worst: "
                     + ", ".join(f"{x[1]:.1f} s at {x[0]:.0f} s" for x in sorted(slow, key=lambda x: -x[1])[:5])
                     + ".")
    if conv:
        lines += ["", "Conversion alone (the example's report; seconds, wall):", "", "| conversion | s | per report |",
                  "|---|---|---|"]
        for name, seconds in conv.items():
            count = int(re.search(r"(\d+) report", name).group(1))
            lines.append(f"| {name} | {seconds:.2f} | {seconds / count:.2f} |")
    failed = [r for r in results if not r["ok"]]
    if failed:
        reasons: dict[str, list[str]] = {}
        for r in failed:
            reasons.setdefault(re.sub(r"\d+(\.\d+)? 秒", "N 秒", r["why"]), []).append(r["unit"])
        lines.append("")
        lines.append("Failed units, by reason:")
        for why, who in reasons.items():
            lines.append(f"- {len(who)}: {why} ({', '.join(who)})")
    lines.append("")
    return "\n".join(lines)


def git_head() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def write_section(path: Path, label: str, text: str) -> None:
    """Add the section to the results file, replacing an earlier one with the same label."""
    head = "# Load a county puts on one machine\n\nWritten by `bench/load.py` (see bench/README.md).\n\n"
    old = path.read_text(encoding="utf-8") if path.exists() else head
    sections = re.split(r"(?m)^(?=## )", old)
    kept = [s for s in sections if not s.startswith(f"## {label}\n")]
    path.write_text("".join(kept).rstrip("\n") + "\n\n" + text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of CLI batch then page (the median ratio is judged; the machine's speed drifts)")
    parser.add_argument("--runs", type=int, default=1, help="CLI batch runs per round (their median is the yardstick)")
    parser.add_argument("--every", type=float, default=0.25, help="seconds between county page samples")
    parser.add_argument("--label", default=None, help="the section's title in the results file")
    parser.add_argument("--out", default=str(ROOT / "bench" / "LOAD.md"), help="results file, or - to print only")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI batch (the goal is then not judged)")
    parser.add_argument("--conversions", action="store_true",
                        help="also time conversion alone: one-shot against resident, 1 and all units")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if not 1 <= args.units <= 99:
        parser.error("--units: 1 to 99")
    root = Path(tempfile.mkdtemp(prefix="generator-load-"))
    try:
        log(f"county of {args.units} units in {root}")
        units = make_county(root, args.units)
        shutil.copytree(ROOT / "templates", root / "templates")
        env = {**CHILD_ENV, "GENERATOR_CACHE_DIR": str(root / "cache")}
        conv = None
        if args.conversions:
            log("conversion alone")
            conv = conversions(root, units)
        rounds = []
        for k in range(args.rounds):
            cli = []
            if not args.no_cli:
                for run in range(args.runs):
                    log(f"round {k + 1}/{args.rounds}: CLI batch {run + 1}/{args.runs}")
                    cli.append(cli_batch(root, units, f"{k}-{run}"))
            log(f"round {k + 1}/{args.rounds}: through the page")
            rounds.append((cli, page_run(root, units, args.every, env)))
        label = args.label or f"{args.units} units, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
        text = summarize(label, units, rounds, conv)
        print(text)
        if args.out != "-":
            write_section(Path(args.out), label, text)
        for _, page in rounds:
            if any(not r["ok"] for r in page["results"]) and "Traceback" in page["server_log"]:
                log("server log:\n" + page["server_log"][-3000:])
        (root / "results.json").write_text(json.dumps([page["results"] for _, page in rounds], ensure_ascii=False,
                                                      indent=1))
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
