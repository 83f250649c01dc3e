"""Batch generation for a county: every unit of a data folder, in parallel, then PDFs and the summary.

Layout: ``DATA/<unit>/YEAR.xlsx`` for each unit (no ``DATA/YEAR.xlsx``); each
unit's files go to its own folder ``OUT/YEAR/<unit>/`` (``layout.output_dir``).
This process holds the folder of each unit it makes (``write.Folder``: the
unit's lock; a unit another run is writing waits, then fails alone) and lets
each go once the unit's set is in. Worker processes (``jobs``) make units
(``pipeline.make_unit``) and stage their files beside the targets; this process
converts the staged reports to PDF (``--pdf``, one LibreOffice per worker's
share) and commits each unit's set. So one unit's bad data never stops the
others, and a unit's files are replaced together or not at all. The county
summary is written to ``OUT/YEAR/`` holding that folder's lock only meanwhile.
Two units whose workbooks give the same 单位全称 each keep their own files; the
audit of both says so (``audit.name_clashes``).
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ERROR, HINT, UserError
from .limits import hard_deadline, set_process_memory
from .messages import msg
from .layout import is_own_template, output_dir, resolve_template, summary_name
from .pipeline import (Options, Report, Reports, adopt_earlier, commit_unit, make_unit, unit_folder, unit_names,
                        year_folder)
from .read import find_workbook
from .render import make_env
from .write import Folder, Staged, discard, load_record, stage_files
from .pdf_export import convert_staged
from .summary import summary_context, write_summary


# --------------------------------------------------------------------------- worker side


@dataclass
class Done:
    """What a worker sends back for one unit: its report and its staged files (or the report of a failure)."""

    report: Report
    staged: list[Staged]
    docx_name: str = ""


_ENV: Any = None
_HARD_SECONDS: float | None = None  # in a worker: how long one unit may take before the worker ends itself
HARD_GRACE = 60.0  # beyond the render limit: reading, auditing and writing a unit's files in memory


def init_worker(memory_mb: int | None = None, seconds: float | None = None) -> None:
    """Process-pool initializer: the Jinja environment every unit of this worker reuses; an address-space cap;
    a hard deadline per unit (a worker stuck past it ends itself, and the batch goes on without it)."""
    global _ENV, _HARD_SECONDS
    _ENV = make_env()
    if memory_mb:
        set_process_memory(memory_mb)
    _HARD_SECONDS = seconds + HARD_GRACE if seconds else None
    gc.freeze()  # the collector leaves what the worker starts with alone


def failed_report(unit: str, workbook: Path, year: int, templates_dir: Path, reason: str) -> Report:
    """The Report of a unit that produced nothing."""
    try:
        template = resolve_template(templates_dir, unit)
    except UserError:
        template = Path(templates_dir) / unit
    return Report(unit=unit, unit_name=unit, year=year, workbook=Path(workbook), template=template, error=reason)


def run_unit(unit: str, workbook: Path, year: int, templates_dir: Path, out_dir: Path, options: Options) -> Done:
    """Make and stage one unit inside a worker. Never raises for the unit's own problems."""
    workbook = Path(workbook)
    with hard_deadline(_HARD_SECONDS):
        return _run_unit(unit, workbook, year, templates_dir, out_dir, options)


def _run_unit(unit: str, workbook: Path, year: int, templates_dir: Path, out_dir: Path, options: Options) -> Done:
    try:
        if not workbook.exists() and not workbook.is_symlink():
            # only an old-format file (.xls/.et) there, or it vanished: the clerk's message
            find_workbook(workbook.parent.parent, year, unit)
        made = make_unit(workbook, year, resolve_template(templates_dir, unit), unit, env=_ENV or make_env(),
                         options=options)
        folder = output_dir(out_dir, year, unit)
        staged = stage_files({folder / n: b for n, b in made.files.items()})
        made.report.context = summary_context(made.report.context)  # all the batch needs of it; small to send back
        return Done(made.report, staged, made.docx_name)
    except UserError as exc:
        return Done(failed_report(unit, workbook, year, templates_dir, exc.render()), [])
    except Exception as exc:  # a bug in one unit must not stop the county
        detail = f"{type(exc).__name__}: {exc}"
        return Done(failed_report(unit, workbook, year, templates_dir, msg("internal_error", detail=detail)), [])


def run_units(units: Sequence[tuple[str, Path]], args: tuple) -> list[Done]:
    """``run_unit`` for each of a few units (one task of the pool)."""
    return [run_unit(unit, workbook, *args) for unit, workbook in units]


# --------------------------------------------------------------------------- batch driver


def default_jobs() -> int:
    """The number of cores this process may use (``--jobs`` default)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


MAX_CHUNK = 4  # units a worker takes at a time: fewer round trips; a worker that dies loses at most these


def chunk_size(units: int, jobs: int) -> int:
    """Units per task: up to ``MAX_CHUNK``, but at least 8 tasks per worker so the workers finish together."""
    return max(1, min(MAX_CHUNK, units // (jobs * 8)))


def make_all(year: int, units: Sequence[tuple[str, Path]], templates_dir: Path, out_dir: Path, options: Options,
             done: Callable[[int, Done], None]) -> None:
    """Make every unit with ``options.jobs`` processes; ``done(index, result)`` as each finishes."""
    if not units:
        return
    # what workers need of the options (the progress and waiting callbacks stay in this process)
    args = (year, templates_dir, out_dir, dataclasses.replace(options, progress=None, on_wait=None))
    jobs = max(1, min(options.jobs or default_jobs(), len(units)))
    if jobs == 1:
        global _ENV
        saved = _ENV
        _ENV = make_env()
        try:
            for i, (unit, workbook) in enumerate(units):
                done(i, run_unit(unit, workbook, *args))
        finally:
            _ENV = saved
        return
    size = chunk_size(len(units), jobs)
    chunks = [list(range(k, min(k + size, len(units)))) for k in range(0, len(units), size)]
    lost = _in_pool(jobs, chunks, units, args, options, done)
    # a worker died (killed, out of memory, stuck past its limits): the pool is broken and every unit it had not
    # finished failed with it; each of those is made again alone, so that one unit never takes others down
    for chunk, _ in lost:
        for i in chunk:
            for _, exc in _in_pool(1, [[i]], units, args, options, done):
                unit, workbook = units[i]
                reason = msg("batch_worker_lost", detail=f"{type(exc).__name__}: {exc}", year=year, unit=unit)
                done(i, Done(failed_report(unit, workbook, year, templates_dir, reason), []))


def _in_pool(jobs: int, chunks: list[list[int]], units: Sequence[tuple[str, Path]], args: tuple,
             options: Options, done: Callable[[int, Done], None]) -> list[tuple[list[int], BaseException]]:
    """Make ``chunks`` of units in a pool of ``jobs`` workers, ``done`` for each made; the chunks lost with a
    worker that died, each with the exception its future gave."""
    context = multiprocessing.get_context()
    memory = options.limits.memory_mb * 3 + 1024 if options.limits else None
    seconds = options.limits.seconds if options.limits else None
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=init_worker,
                               initargs=(memory, seconds))
    lost = []
    try:
        futures = {pool.submit(run_units, [units[i] for i in chunk], args): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                results = future.result()
            except Exception as exc:  # the worker process died (killed, out of memory) or a result did not pickle
                lost.append((chunk, exc))
                continue
            for i, result in zip(chunk, results, strict=True):
                done(i, result)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return lost


def generate_batch(year: int, units: Sequence[tuple[str, Path]], templates_dir: Path, out_dir: Path,
                   options: Options) -> Reports:
    """Every unit's report, then (``pdf``) their PDFs, then each unit's set committed, then the county summary."""
    results: dict[int, Done] = {}
    total = len(units)
    folders: dict[int, Folder] = {}
    late: list[str] = []

    def done(index: int, result: Done) -> None:
        results[index] = result
        if options.progress:
            options.progress("render", len(results), total)

    try:
        for i, (unit, workbook) in enumerate(units):  # each unit's lock, held while its files are staged
            folder = unit_folder(out_dir, year, unit, options)
            try:
                folders[i] = folder.__enter__()
            except UserError as exc:  # another run is writing this unit: it alone fails
                done(i, Done(failed_report(unit, workbook, year, templates_dir, exc.render()), []))
        todo = [i for i in range(total) if i in folders]
        if options.names is None:  # every unit's 单位全称, read once for the audits' name clash
            options = dataclasses.replace(options, names=unit_names(units[i] for i in todo))
        make_all(year, [units[i] for i in todo], templates_dir, Path(out_dir), options,
                 lambda k, result: done(todo[k], result))
        ordered = [results[i] for i in range(total)]
        if options.pdf:
            convert_staged([(r.report, r.staged) for r in ordered if r.staged], options,
                           jobs=options.jobs or default_jobs())
        for i, result in enumerate(ordered):
            if result.staged:
                _commit(folders[i], result, Path(out_dir), year, options)
            folder = folders.pop(i, None)
            if folder is not None:
                try:
                    folder.__exit__(None, None, None)
                except UserError as exc:  # the unit's files are in, its record is not updated: the run fails
                    late.append(msg("batch_unit_record", unit=units[i][0], reason=exc.render()))
    finally:
        for result in results.values():  # what a failure left staged (a commit moves the rest in)
            discard(result.staged)
        for folder in folders.values():
            try:
                folder.__exit__(None, None, None)
            except UserError:
                pass  # (an error is on its way out already)
    reports = Reports([r.report for r in ordered], batch=True)
    reports.messages += late
    if any((r.pdf_error or "").startswith(msg("pdf_no_soffice_short")) for r in reports):  # how to install it: once
        reports.messages.append(msg("pdf_not_written", reason=msg("pdf_soffice_missing")))
    try:
        with year_folder(out_dir, year, options) as summary_folder:
            path, notices = write_summary(year, reports, summary_folder, options.force)
            left = flat_leftovers(summary_folder, year)
    except UserError as exc:
        reports.messages.append(msg("summary_not_written", reason=exc.render()))
    else:
        reports.summary_path = path
        reports.notices += notices
        if left:
            reports.notices.append(msg("flat_left", folder=summary_folder.path, names="、".join(left)))
    return reports


def flat_leftovers(folder: Folder, year: int) -> list[str]:
    """Files an earlier version wrote straight into ``OUT/YEAR/`` that no unit has taken into its folder."""
    return [name for name in sorted(load_record(folder.path)) if name != summary_name(year)
            and (folder.path / name).is_file()]


def _commit(folder: Folder, result: Done, out_dir: Path, year: int, options: Options) -> None:
    report = result.report
    try:
        report.messages += adopt_earlier(folder, out_dir, year, result.docx_name, options)
        commit_unit(folder, report, result.staged, result.docx_name, options.force)
    except UserError as exc:
        discard(result.staged)
        report.error = exc.render()
    result.staged = []


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
        if is_own_template(report.template, None):
            extra += msg("batch_unit_template", path=report.template)
        errors = sum(1 for f in report.findings if f.severity == ERROR)
        hints = sum(1 for f in report.findings if f.severity == HINT)
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
        lines += [("    " + m, True) for m in report.template_notes]
        lines += [("    " + m, False) for m in report.messages]
    if reports.summary_path is not None:
        lines.append((msg("summary_written", path=reports.summary_path), False))
    lines += [(n, False) for n in reports.notices]
    lines += [(line, True) for m in reports.messages for line in m.splitlines()]
    pdf_note = msg("batch_totals_pdf", count=pdf_failed) if pdf_failed else ""
    lines.append((msg("batch_totals", total=len(reports), written=written, failed=failed, pdf_note=pdf_note),
                  not reports.ok))
    return lines
