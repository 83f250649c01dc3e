"""Batch generation for a county: every unit of a data folder, in parallel, then PDFs and the summary.

Layout: ``DATA/<unit>/YEAR.xlsx`` for each unit (no ``DATA/YEAR.xlsx``).
``generate_batch`` renders every unit in ``jobs`` worker processes. Each
worker is set up once by ``init_worker`` (the Jinja environment is built there,
the seam for further per-worker caching) and runs ``run_unit`` per unit, a few
units per task (``chunk_size``: fewer round trips between the processes):

* one unit's bad data never stops the others: a ``UserError`` becomes that
  unit's ``Report.error``; an unexpected exception too, with the internal-error
  message (no traceback);
* workers write into the same output folder, so writes go through one
  cross-process lock (the folder's ``.generated.json`` manifest is
  read-modify-write), and two units that would write the same file name (same
  单位全称) are caught: the second one fails and names the first.

Then ``convert_pdfs`` (``--pdf``) converts the written files with one
LibreOffice process per worker chunk (one start-up per chunk, not per file),
and ``summary.write_summary`` writes the county overview next to the reports.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UserError
from .audit import ERROR, HINT
from .messages import msg
from .pipeline import DEFAULT_TEMPLATE_DIR, Report, generate_unit, resolve_template
from .render import make_env
from .summary import summary_context, write_summary
from .workbook import find_workbook, list_units
from .write import Journal, compact_manifest, write_outputs

Progress = Callable[[str, int, int], None]  # (stage "render" | "pdf", done, total)
PDF_SOURCES = (".docx", ".xlsx")


class Reports(list):  # list[Report]
    """What ``pipeline.generate`` returns: the reports plus run-level results.

    ``batch`` is True for a several-unit run; ``summary_path`` is the county
    summary written (batch only); ``messages`` are run-level problems (summary
    not written, LibreOffice missing) that make the run fail.
    """

    def __init__(self, reports: Sequence[Report] = (), batch: bool = False) -> None:
        super().__init__(reports)
        self.batch = batch
        self.summary_path: Path | None = None
        self.messages: list[str] = []
        self.notices: list[str] = []  # run-level information that is not a failure (backups made)

    @property
    def ok(self) -> bool:
        """True when every unit's report (and PDF, if asked for) was written and nothing else failed."""
        return not self.messages and all(r.error is None and r.pdf_error is None for r in self)


# --------------------------------------------------------------------------- finding units


def find_units(data_dir: Path, year: int, unit: str | None) -> list[tuple[str, Path]] | None:
    """The units of a county folder, or None when this is a one-unit run.

    One-unit run: ``unit`` is given, or ``DATA/YEAR.xlsx`` exists, or there is
    no unit sub-folder (then ``find_workbook`` explains what is missing).
    """
    data_dir = Path(data_dir)
    if unit is not None or not data_dir.is_dir() or (data_dir / f"{year}.xlsx").is_file():
        return None
    return list_units(data_dir, year) or None


# --------------------------------------------------------------------------- worker side


@dataclass
class WorkerState:
    """Built once per worker process by ``init_worker``."""

    env: Any  # the sandboxed Jinja environment, reused for every unit
    lock: Any  # serialises claims and manifest-journal appends in the shared output folder (multiprocessing or threading lock)
    claims: Path  # the run's claims file: one line per output path written (duplicate names across units)
    manifests: dict[Path, dict[str, str]] = field(default_factory=dict)  # folder → manifest as this worker knows it
    journal: Any = None  # write.Journal: this worker's open manifest journals
    claimed: dict[str, str] = field(default_factory=dict)  # path key → unit, as far as the claims file was read
    claims_read: int = 0  # bytes of the claims file read into ``claimed``
    claims_fd: int | None = None

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
        if self.claims_fd is not None:
            os.close(self.claims_fd)
            self.claims_fd = None


_STATE: WorkerState | None = None


def init_worker(lock: Any, claims_dir: str) -> None:
    """Process-pool initializer: prepare what every unit of this worker reuses.

    The garbage collector is told to leave the modules and caches the worker
    starts with alone (``gc.freeze``): its collections then walk only what the
    units make (``generate_unit`` also collects less often, ``relaxed_gc``).
    """
    global _STATE
    _STATE = WorkerState(env=make_env(), lock=lock, claims=Path(claims_dir) / CLAIMS, journal=Journal(lock))
    gc.freeze()


CLAIMS = "claims.jsonl"


def _claim(state: WorkerState, paths: Sequence[Path], unit: str, workbook: Path) -> None:
    """Record that ``unit`` writes ``paths`` in this run; refuse if another unit claimed one. Call under the lock.

    All workers append to one claims file; each reads only what was added
    since it last looked (no file per path, no rereading).
    """
    if state.claims_fd is None:
        state.claims_fd = os.open(state.claims, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    fd = state.claims_fd
    size = os.fstat(fd).st_size
    if size > state.claims_read:
        os.lseek(fd, state.claims_read, os.SEEK_SET)
        added = b""
        while len(added) < size - state.claims_read:
            chunk = os.read(fd, size - state.claims_read - len(added))
            if not chunk:
                break
            added += chunk
        for line in added.decode("utf-8").splitlines():
            key, owner = json.loads(line)
            state.claimed.setdefault(key, owner)
        state.claims_read += len(added)
    keys = [hashlib.sha256(str(Path(p).resolve()).casefold().encode("utf-8")).hexdigest() for p in paths]
    for key, path in zip(keys, paths):
        other = state.claimed.get(key)
        if other is not None and other != unit:
            raise UserError(msg("batch_duplicate_output", other=other, name=Path(path).name, workbook=workbook))
    new = "".join(json.dumps([key, unit], ensure_ascii=False) + "\n" for key in keys if key not in state.claimed)
    if new:
        data = new.encode("utf-8")
        os.write(fd, data)
        state.claims_read += len(data)
        state.claimed.update((key, unit) for key in keys)


def _locked_write(files: dict[Path, bytes], force: bool = False, *, unit: str, workbook: Path) -> list[str]:
    """Claim the unit's paths (under the lock), write the files, append their hashes to the folder's journal.

    The files themselves are written outside the lock: each path belongs to one
    unit of the run. The manifest each worker checks hand edits against is read
    once; entries other workers add during the run are for paths it may not write.
    """
    state = _require_state()
    with state.lock:
        _claim(state, list(files), unit, workbook)
    return write_outputs(files, force=force, manifests=state.manifests, record=state.journal)


def _require_state() -> WorkerState:
    if _STATE is None:  # pragma: no cover - a programming error, not a user one
        raise RuntimeError("batch worker used before init_worker()")
    return _STATE


def failed_report(unit: str, workbook: Path, year: int, templates_dir: Path, reason: str) -> Report:
    """The Report of a unit that produced nothing."""
    try:
        template = resolve_template(templates_dir, unit)
    except UserError:
        template = Path(templates_dir) / unit
    return Report(unit=unit, unit_name=unit, year=year, workbook=Path(workbook), template=template, error=reason)


def run_unit(unit: str, workbook: Path, year: int, templates_dir: Path, out_dir: Path,
             force: bool = False, strict: bool = False) -> Report:
    """Generate one unit inside a worker. Never raises for the unit's own problems."""
    state = _require_state()
    workbook = Path(workbook)
    try:
        if not workbook.exists():
            # only an old-format file (.xls/.et) there, or it vanished: the clerk's message
            find_workbook(workbook.parent.parent, year, unit)
        writer = functools.partial(_locked_write, unit=unit, workbook=workbook)
        report = generate_unit(workbook, year, templates_dir, out_dir, unit=unit, force=force, writer=writer,
                               env=state.env, strict=strict)
        report.context = summary_context(report.context)  # all the batch needs of it; small to send back
        return report
    except UserError as exc:
        return failed_report(unit, workbook, year, templates_dir, exc.render())
    except Exception as exc:  # a bug in one unit must not stop the county
        detail = f"{type(exc).__name__}: {exc}"
        return failed_report(unit, workbook, year, templates_dir, msg("internal_error", detail=detail))


# --------------------------------------------------------------------------- batch driver


def default_jobs() -> int:
    """The number of cores this process may use (``--jobs`` default)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def render_all(year: int, units: Sequence[tuple[str, Path]], templates_dir: Path, out_dir: Path,
               force: bool = False, jobs: int | None = None, progress: Progress | None = None,
               strict: bool = False) -> list[Report]:
    """Generate every unit with ``jobs`` processes; one Report per unit, in the order of ``units``."""
    total = len(units)
    jobs = max(1, min(jobs or default_jobs(), total))
    results: dict[int, Report] = {}
    args = (year, templates_dir, out_dir, force, strict)

    def done(index: int, report: Report) -> None:
        results[index] = report
        if progress:
            progress("render", len(results), total)

    with tempfile.TemporaryDirectory(prefix="generator-batch-") as claims:
        if jobs == 1:
            _render_here(units, args, claims, done)
        else:
            _render_pool(units, args, jobs, claims, done)
    return [results[i] for i in range(total)]


def _render_here(units: Sequence[tuple[str, Path]], args: tuple, claims: str,
                 done: Callable[[int, Report], None]) -> None:
    """``--jobs 1``: the same worker code in this process, no pool."""
    global _STATE
    saved = _STATE
    init_worker(threading.Lock(), claims)
    try:
        for i, (unit, workbook) in enumerate(units):
            done(i, run_unit(unit, workbook, *args))
    finally:
        if _STATE is not None:
            _STATE.close()  # (the journals are folded into the manifest next, and not on Windows while open)
        _STATE = saved
        gc.unfreeze()  # this process goes on after the batch: as it was


MAX_CHUNK = 4  # units a worker takes at a time: fewer round trips; a worker that dies loses at most these


def chunk_size(units: int, jobs: int) -> int:
    """Units per task: up to ``MAX_CHUNK``, but at least 8 tasks per worker so the workers finish together."""
    return max(1, min(MAX_CHUNK, units // (jobs * 8)))


def run_units(units: Sequence[tuple[str, Path]], args: tuple) -> list[Report]:
    """``run_unit`` for each of a few units (one task of the pool)."""
    return [run_unit(unit, workbook, *args) for unit, workbook in units]


def _render_pool(units: Sequence[tuple[str, Path]], args: tuple, jobs: int, claims: str,
                 done: Callable[[int, Report], None]) -> None:
    year, templates_dir = args[0], args[1]
    context = multiprocessing.get_context()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker,
                               initargs=(context.Lock(), claims))
    size = chunk_size(len(units), jobs)
    chunks = [list(range(k, min(k + size, len(units)))) for k in range(0, len(units), size)]
    try:
        futures = {pool.submit(run_units, [units[i] for i in chunk], args): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                reports = future.result()
            except Exception as exc:  # the worker process died (killed, out of memory) or a result did not pickle
                reports = []
                for i in chunk:
                    unit, workbook = units[i]
                    reason = msg("batch_worker_lost", detail=f"{type(exc).__name__}: {exc}", year=year, unit=unit)
                    reports.append(failed_report(unit, workbook, year, templates_dir, reason))
            for i, report in zip(chunk, reports, strict=True):
                done(i, report)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def generate_batch(year: int, units: Sequence[tuple[str, Path]], templates_dir: Path, out_dir: Path,
                   force: bool = False, jobs: int | None = None, pdf: bool = False,
                   progress: Progress | None = None, strict: bool = False) -> Reports:
    """Every unit's report, then (``pdf``) their PDFs, then the county summary next to the reports.

    ``strict``: a unit whose audit finds 错误 fails (its reason lists them) and the others go on.
    """
    reports = Reports(render_all(year, units, templates_dir, out_dir, force=force, jobs=jobs, progress=progress,
                                 strict=strict), batch=True)
    if pdf:
        reports.messages += convert_pdfs(reports, jobs=jobs, progress=progress)
    try:
        compact_manifest(Path(out_dir) / str(year))  # the units' journal into the manifest
    except UserError:
        pass  # the journal stays valid as it is; the next write folds it in
    try:
        path, notices = write_summary(year, reports, out_dir, force=force)
    except UserError as exc:
        reports.messages.append(msg("summary_not_written", reason=exc.render()))
    else:
        reports.summary_path = path
        reports.notices += notices  # backup made of a hand-edited summary (with --force)
    return reports


# --------------------------------------------------------------------------- PDF


def _pdf_target(source: Path) -> Path:
    return source.with_suffix(".pdf")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _convert_chunk(converter_factory: Callable[[], Any], chunk: list[Report]) -> None:
    """Convert the files of ``chunk`` with ONE converter (one LibreOffice start-up per folder)."""
    from .pdf import PdfError

    by_folder: dict[Path, list[Path]] = {}
    for report in chunk:
        for source in report.outputs:
            if source.suffix.lower() in PDF_SOURCES:
                by_folder.setdefault(source.parent, []).append(source)
    before = {s: _stamp(_pdf_target(s)) for files in by_folder.values() for s in files}
    errors: dict[Path, str] = {}
    with converter_factory() as converter:
        for folder, files in by_folder.items():
            try:
                converter.convert(files, folder)
            except PdfError as exc:
                for source in files:
                    errors[source] = exc.message_zh
            except Exception as exc:  # a bug: report it for these files, keep the others
                for source in files:
                    errors[source] = msg("internal_error", detail=f"{type(exc).__name__}: {exc}")
    for report in chunk:
        sources = [s for s in report.outputs if s.suffix.lower() in PDF_SOURCES]
        reasons = []
        for source in sources:
            target = _pdf_target(source)
            stamp = _stamp(target)
            if stamp is not None and stamp != before[source]:
                report.outputs.append(target)
                continue
            reasons.append(errors.get(source) or msg("pdf_not_produced", name=target.name))
            if stamp is not None:  # an old PDF that no longer matches the new report: do not leave it
                target.unlink(missing_ok=True)
        if reasons:
            report.pdf_error = "\n".join(dict.fromkeys(reasons))


def convert_pdfs(reports: Sequence[Report], jobs: int | None = None, progress: Progress | None = None) -> list[str]:
    """Convert each written report's .docx/.xlsx to PDF beside it; return run-level messages.

    The reports are split into at most ``jobs`` chunks; each chunk gets one
    ``PdfConverter`` (own LibreOffice profile) and one soffice call per folder,
    run in parallel threads (the work is in the soffice processes). A file
    that fails sets its report's ``pdf_error``; the others are kept.
    """
    from .pdf import PdfConverter, PdfError

    todo = [r for r in reports if r.error is None and any(s.suffix.lower() in PDF_SOURCES for s in r.outputs)]
    if not todo:
        return []
    try:
        first = PdfConverter()
    except PdfError as exc:  # LibreOffice is not installed: say how, once
        short = msg("pdf_no_soffice_short") if len(reports) > 1 else exc.message_zh
        for report in todo:
            report.pdf_error = short
            for source in report.outputs:
                if source.suffix.lower() in PDF_SOURCES:  # an old PDF would not match the new report
                    _pdf_target(source).unlink(missing_ok=True)
        return [msg("pdf_not_written", reason=exc.message_zh)] if len(reports) > 1 else []
    count = max(1, min(jobs or default_jobs(), len(todo)))
    chunks = [todo[i::count] for i in range(count)]
    total = sum(len(c) for c in chunks)
    done = 0
    lock = threading.Lock()

    def work(index: int) -> None:
        nonlocal done
        factory = (lambda: first) if index == 0 else PdfConverter
        _convert_chunk(factory, chunks[index])
        with lock:
            done += len(chunks[index])
            if progress:
                progress("pdf", done, total)

    try:
        with ThreadPoolExecutor(max_workers=count) as threads:
            for future in [threads.submit(work, i) for i in range(count)]:
                future.result()
    finally:
        first.close()
    return []


# --------------------------------------------------------------------------- what to print


def result_lines(reports: Reports) -> list[tuple[str, bool]]:
    """The end-of-run lines: one per unit (plus its notices indented), then totals. (text, is_error)."""
    lines: list[tuple[str, bool]] = []
    written = failed = pdf_failed = 0
    for report in reports:
        unit = report.unit or report.unit_name
        if report.error is not None:
            failed += 1
            first, *rest = report.error.splitlines() or [""]
            lines.append((msg("batch_unit_failed", unit=unit, workbook=report.workbook, reason=first), True))
            lines += [("    " + line, True) for line in rest]
            continue
        written += 1
        main = report.docx_path or (report.outputs[0] if report.outputs else report.workbook)
        others = [p.name.replace(main.stem, "…", 1) for p in report.outputs if p != main]
        extra = msg("batch_unit_extra", names="、".join(others)) if others else ""
        if report.template.parent.name != DEFAULT_TEMPLATE_DIR:
            extra += msg("batch_unit_template", path=report.template)
        findings = getattr(report, "findings", None) or []
        errors = sum(1 for f in findings if getattr(f, "severity", None) == ERROR)
        hints = sum(1 for f in findings if getattr(f, "severity", None) == HINT)
        if errors or hints:
            extra += msg("batch_unit_audit", errors=errors, hints=hints)
        if report.pdf_error is not None:
            pdf_failed += 1
            first, *rest = report.pdf_error.splitlines() or [""]
            lines.append((msg("batch_unit_pdf_failed", unit=unit, path=main, reason=first), True))
            lines += [("    " + line, True) for line in rest]
        else:
            lines.append((msg("batch_unit_written", unit=unit, path=main, extra=extra), False))
        lines += [("    " + str(n), True) for n in report.notices]
        lines += [("    " + m, True) for m in report.messages]
    if reports.summary_path is not None:
        lines.append((msg("summary_written", path=reports.summary_path), False))
    lines += [(n, True) for n in reports.notices]
    lines += [(line, True) for m in reports.messages for line in m.splitlines()]
    pdf_note = msg("batch_totals_pdf", count=pdf_failed) if pdf_failed else ""
    lines.append((msg("batch_totals", total=len(reports), written=written, failed=failed, pdf_note=pdf_note),
                  not reports.ok))
    return lines
