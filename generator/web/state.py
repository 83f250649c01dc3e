"""What the pages show and do, through the library: units, their state, uploads, generation, files, batches.

No report logic lives here: a unit's state is ``api.unit_state`` (read,
validate, compute, audit, the names of its files), generation is
``api.generate_unit`` / ``batch.generate_batch`` (which hold the
output folder through ``write.Folder``), the blank workbook is
``commands.newyear``, the template check ``commands.template_check.run``. This
module keeps what a web server needs around them: a cache of states keyed by
the stat of the files they are read from (the output folder is listed apart),
staging of uploads, the one background batch per folder, the
page images of a report, and the paths, always resolved from (unit, year, kind).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..api import (Options, Report, UnitState, audit_workbook, generate_unit, load, read_state, removed_message,
                   unit_names, unit_outputs)
from ..audit import clashing_units, name_clashes
from ..batch import generate_batch, result_lines
from ..commands.newyear import blank_workbook, init_workbook
from ..commands.template_check import CheckResult
from ..commands.template_check import run as check_template
from ..errors import SEP, UserError, ValidationError
from ..formats.docx_package import PackageError, Removed, cleaned
from ..formats.pdf_resident import give_turn_back, turn
from ..layout import (TEMPLATE_NAME, is_own_template, is_workbook_name, output_dir, resolve_template, rules_path,
                      summary_path, unit_data_dir, unit_template, valid_unit, workbook_name, workbook_path,
                      year_dir)
from ..messages import msg
from ..read import list_units, read_workbook
from ..rules import load_rules
from ..umask import file_mode
from .pages import PageImages, can_convert
from .wording import for_page

HEAVY_AT_ONCE = 1  # requests reading a workbook or generating at once; the others wait, pages stay quick
OUTPUT_KINDS = ("docx", "tables", "pdf")  # files of a unit's set the page offers


def _stat(path: Path | None) -> tuple[int, int, int] | None:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def short_cell(cell: str) -> str:
    """"2024.xlsx › 财务 › B7" → "财务 › B7" (the file is the unit's workbook, said once on the page)."""
    parts = cell.split(SEP)
    return SEP.join(parts[1:]) if len(parts) > 1 else cell


def counts(state: UnitState) -> tuple[int | None, int | None]:
    if state.audit is None:
        return None, None
    return len(state.audit.errors), len(state.audit.hints)


@dataclass
class Outcome:
    """What an action did: ok, its message (Chinese, may span lines), and anything to show with it."""

    ok: bool
    message: str = ""
    lines: list[str] = field(default_factory=list)
    state: UnitState | None = None
    check: CheckResult | None = None
    report: Report | None = None
    error: UserError | None = None  # a refused workbook's problems, with their cells


@dataclass
class Job:
    """The county's batch running (or last run) in the background for one year."""

    year: int
    account: str
    pdf: bool
    started: float = field(default_factory=time.time)
    finished: float | None = None
    stage: str = "render"
    done: int = 0
    total: int = 0
    ok: bool | None = None
    lines: list[tuple[str, bool]] = field(default_factory=list)
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.finished is None

    def as_json(self) -> dict[str, Any]:
        return {"year": self.year, "running": self.running, "stage": msg(f"web_stage_{self.stage}"),
                "done": self.done, "total": self.total, "ok": self.ok, "error": self.error,
                "lines": [{"text": t, "error": e} for t, e in self.lines]}


class Site:
    """The folders the page works on (the same as the CLI's) and what the server keeps beside them."""

    def __init__(self, data_dir: Path, templates_dir: Path, out_dir: Path, state_dir: Path,
                 generate_wait: float = 15.0, batch_wait: float = 15.0, jobs: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.templates_dir = Path(templates_dir).resolve()
        self.out_dir = Path(out_dir).resolve()
        self.state_dir = Path(state_dir).resolve()
        self.generate_wait = generate_wait
        self.batch_wait = batch_wait
        self.jobs = jobs
        self._cache: dict[tuple[int, str], tuple[tuple, UnitState]] = {}
        self._names: dict[Path, tuple[tuple | None, tuple[str, str] | None]] = {}
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self.page_images = PageImages(self.state_dir / "pages")
        self._turns = threading.BoundedSemaphore(HEAVY_AT_ONCE)  # (pdf_resident.turn)

    # ------------------------------------------------------------------ folders
    @property
    def staging(self) -> Path:
        path = self.state_dir / "staging"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def stage_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="up-", dir=self.staging))

    def unit_dir(self, unit: str) -> Path:
        assert valid_unit(unit), unit
        return unit_data_dir(self.data_dir, unit)

    def workbook_path(self, unit: str, year: int) -> Path:
        assert valid_unit(unit), unit
        return workbook_path(self.data_dir, year, unit)

    def year_dir(self, year: int) -> Path:
        return year_dir(self.out_dir, year)

    def output_dir(self, unit: str, year: int) -> Path:
        """The unit's own output folder (``layout.output_dir``): nothing of another unit is ever there."""
        assert valid_unit(unit), unit
        return output_dir(self.out_dir, year, unit)

    def display(self, text: str) -> str:
        """A library message with the server's folders shown as the clerk knows them (data/…, output/…)."""
        for path, name in ((self.state_dir, ""), (self.data_dir, "data"), (self.templates_dir, "templates"),
                           (self.out_dir, "output")):
            text = text.replace(str(path) + os.sep, f"{name}/" if name else "").replace(str(path), name)
        return for_page(re.sub(r"staging/up-[^/\\\s]+/", "", text))

    # ------------------------------------------------------------------ units and years
    def folder_units(self) -> list[str]:
        """The unit folders of ``data/`` (whatever their year), as the page may name them."""
        try:
            entries = sorted(self.data_dir.iterdir())
        except OSError:
            return []
        return [e.name for e in entries if valid_unit(e.name) and e.is_dir() and not e.is_symlink()]

    def units(self, account_units: list[str] = ()) -> list[str]:
        """Every unit: the folders of ``data/`` and the units that have an account."""
        return sorted(set(self.folder_units()) | {u for u in account_units if valid_unit(u)})

    def years(self) -> list[int]:
        found: set[int] = set()
        for unit in self.folder_units():
            try:
                for p in self.unit_dir(unit).iterdir():
                    year = is_workbook_name(p.name)
                    if year is not None:
                        found.add(year)
            except OSError:
                continue
        return sorted(found)

    def default_year(self) -> int:
        years = self.years()
        return years[-1] if years else dt.date.today().year - 1

    def year_choices(self, year: int) -> list[int]:
        return sorted(set(self.years()) | {self.default_year(), self.default_year() + 1, year})

    # ------------------------------------------------------------------ a unit's state
    def _signature(self, year: int, unit: str) -> tuple:
        """The stat of every file a unit's state is read from: its workbooks (this year's, last year's for the
        audit), its folder (an Excel lock file, an old-format workbook), its template, the county's rules and the
        data folder (which units there are). Not the output folder: a generation does not change what is read."""
        try:
            template = resolve_template(self.templates_dir, unit)
        except UserError:
            template = None
        return (_stat(self.workbook_path(unit, year)), _stat(self.workbook_path(unit, year - 1)),
                _stat(self.unit_dir(unit)), str(template), _stat(template),
                _stat(rules_path(self.data_dir)),  # (the county's 评分规则.xlsx scores and grades the unit)
                _stat(self.data_dir))

    def state(self, year: int, unit: str, names: dict[str, tuple[str, str]] | None = None) -> UnitState:
        """The unit's state (``own_state``) with, in its audit, any other unit whose workbook gives the same
        单位全称 (``audit.name_clashes``; ``names``: ``self.names(year)``, when the caller has it already)."""
        state = self.own_state(year, unit)
        if state.audit is None:
            return state
        clashes = name_clashes(unit, self.names(year) if names is None else names)
        if not clashes:
            return state
        audit = dataclasses.replace(state.audit, findings=state.audit.findings + clashes)
        return dataclasses.replace(state, audit=audit)

    def names(self, year: int) -> dict[str, tuple[str, str]]:
        """unit → (单位全称, its cell) of every unit whose workbook of ``year`` gives one (``read.read_unit_name``,
        as the CLI reads them; kept while the workbook is unchanged)."""
        out = {}
        for unit, path in self._year_units(year):
            signature = _stat(path)
            with self._lock:
                cached = self._names.get(path)
            if cached is None or cached[0] != signature:
                cached = (signature, unit_names([(unit, path)]).get(unit))
                with self._lock:
                    self._names[path] = cached
            if cached[1] is not None:
                out[unit] = cached[1]
        return out

    def own_state(self, year: int, unit: str) -> UnitState:
        """``api.unit_state``: what the unit's files give (``read_state``), read again only when one of them
        changed (``_signature``), with the files of its output folder listed anew each time."""
        state = self.cached_state(year, unit)
        if state is not None:
            return state
        signature = self._signature(year, unit)  # (before reading: a file changed meanwhile is read again)
        self._remember(year, unit, signature, read_state(year, unit, self.data_dir, self.templates_dir))
        return self._with_outputs(self._cache[(year, unit)][1])

    def cached_state(self, year: int, unit: str) -> UnitState | None:
        """``own_state`` when nothing it is read from has changed since it was read, else None (nothing read)."""
        signature = self._signature(year, unit)
        with self._lock:
            cached = self._cache.get((year, unit))
        if cached is None or cached[0] != signature:
            return None
        return self._with_outputs(cached[1])

    def _remember(self, year: int, unit: str, signature: tuple, state: UnitState) -> None:
        with self._lock:
            self._cache[(year, unit)] = (signature, dataclasses.replace(state, outputs={}))

    def _with_outputs(self, state: UnitState) -> UnitState:
        if not state.names or state.unit is None:
            return state
        return dataclasses.replace(state, outputs=unit_outputs(state.names, self.output_dir(state.unit, state.year)))

    def _year_units(self, year: int) -> list[tuple[str, Path]]:
        try:
            return [(u, p) for u, p in list_units(self.data_dir, year) if valid_unit(u)]
        except OSError:
            return []

    def clash(self, state: UnitState, names: dict[str, tuple[str, str]] | None = None) -> str | None:
        """The other units whose workbook gives the same 单位全称 (shown on the county page), or None (``names``:
        ``self.names(year)``, when the caller has it already)."""
        return "、".join(clashing_units(state.unit, self.names(state.year) if names is None else names)) or None

    def output_file(self, state: UnitState, kind: str) -> Path | None:
        """The unit's file of ``kind`` in its own output folder, if it exists."""
        if kind not in OUTPUT_KINDS or kind not in state.outputs or state.unit is None:
            return None
        path = state.outputs[kind]
        folder = self.output_dir(state.unit, state.year)
        if path.parent != folder or path.is_symlink() or not path.is_file():
            return None
        return path

    def generated_at(self, state: UnitState) -> float | None:
        path = state.outputs.get("docx")
        st = _stat(path)
        return st[0] / 1e9 if st else None

    def stale(self, state: UnitState) -> bool:
        """The report is older than the workbook it comes from."""
        generated, workbook = self.generated_at(state), _stat(state.workbook)
        return generated is not None and workbook is not None and workbook[0] / 1e9 > generated

    # ------------------------------------------------------------------ uploads
    def store_workbook(self, unit: str, year: int, upload: BinaryIO) -> Outcome:
        with turn(self._turns):
            return self._store_workbook(unit, year, upload)

    def _store_workbook(self, unit: str, year: int, upload: BinaryIO) -> Outcome:
        """Stage the upload as ``YEAR.xlsx``, read it with the library; move it into ``data/<unit>/`` only when
        it is a readable workbook of the form."""
        folder = self.stage_dir()
        staged = folder / workbook_name(year)  # the unit and year decide the name, never the client
        try:
            with open(staged, "wb") as fh:
                shutil.copyfileobj(upload, fh)
            try:
                raw = read_workbook(staged)
            except UserError as exc:
                return Outcome(False, self.display(exc.render()))
            if raw.problems:
                return Outcome(False, self.display(ValidationError(raw.file, raw.problems).render()))
            try:
                load(staged, year, raw=raw)  # (read once)
            except UserError as exc:  # refused (kept as a rejected version): the good workbook stays
                return Outcome(False, self.display(exc.render()), error=exc)
            target = self.workbook_path(unit, year)
            refused = self._move_in(staged, target)
            if refused is not None:
                return refused
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return Outcome(True, msg("web_workbook_stored", year=year), state=self.state(year, unit))

    def _move_in(self, staged: Path, target: Path) -> Outcome | None:
        """Move a checked upload to its place (as the umask would have made it); an Outcome when that fails."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(staged, file_mode())
            os.replace(staged, target)
        except OSError as exc:
            return Outcome(False, msg("web_store_failed", path=self.display(str(target)),
                                      detail=exc.strerror or str(exc)))
        return None

    def store_template(self, unit: str, year: int, upload: BinaryIO) -> Outcome:
        """Check the uploaded template (``generate template-check``: against the unit's workbook when it can be read,
        else the sample); store it as ``templates/<unit>/report.docx`` only when the check passes."""
        folder = self.stage_dir()
        staged = folder / TEMPLATE_NAME
        try:
            with open(staged, "wb") as fh:
                shutil.copyfileobj(upload, fh)
            removed = [removed_message(r) for r in self._clean(staged) if r.told]  # checked and stored as cleaned
            state = self.state(year, unit)
            try:
                if state.error is None:
                    result = check_template(year, self.templates_dir, self.data_dir, unit=unit, path=staged)
                else:  # no usable workbook: the names are checked against the sample (an empty data folder)
                    result = check_template(year, self.templates_dir, folder, unit=None, path=staged)
            except UserError as exc:
                return Outcome(False, self.display(exc.render()))
            result.warnings[:0] = removed
            lines = [self.display(line) for line in result.lines()]
            if not result.ok:
                return Outcome(False, msg("web_template_refused", count=len(result.problems)), lines=lines,
                               check=result)
            target = unit_template(self.templates_dir, unit)
            refused = self._move_in(staged, target)
            if refused is not None:
                return refused
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return Outcome(True, msg("web_template_stored_cleaned" if removed else "web_template_stored"), lines=lines,
                       check=result)

    @staticmethod
    def _clean(staged: Path) -> list[Removed]:
        """Put the staged template's cleaned package in its place (``docx_package.cleaned``: no macro, OLE object,
        remote link…; a macro-enabled document made a plain one); what was removed. A file that is not a .docx
        is left as it is, for the check to name what is wrong with it."""
        try:
            data, removed = cleaned(staged.read_bytes())
        except PackageError:
            return []
        staged.write_bytes(data)
        return removed

    @staticmethod
    def template_copy(path: Path) -> bytes | None:
        """A template to download, cleaned as it is used (one put in place by hand may carry a macro); None when
        it cannot be read as a .docx."""
        try:
            return cleaned(path.read_bytes())[0]
        except (OSError, PackageError):
            return None

    def template_of(self, unit: str) -> tuple[Path | None, bool]:
        """(the template the unit's reports use, whether it is the unit's own)."""
        try:
            path = resolve_template(self.templates_dir, unit)
        except UserError:
            return None, False
        return path, is_own_template(path, unit)

    # ------------------------------------------------------------------ generation
    def generate(self, unit: str, year: int, pdf: bool, force: bool) -> Outcome:
        with turn(self._turns):  # (given back while LibreOffice converts)
            return self._generate(unit, year, pdf, force)

    def _generate(self, unit: str, year: int, pdf: bool, force: bool) -> Outcome:
        running = self.running_job()
        if running is not None and running.year == year:
            return Outcome(False, msg("web_batch_running", year=year))
        state = self.state(year, unit)
        if state.workbook is None:
            return Outcome(False, msg("web_no_workbook", year=year), state=state)
        if state.error is not None:
            return Outcome(False, self.display(state.error.render()), state=state)
        signature = self._signature(year, unit)  # (before the generation reads the files)
        try:
            options = Options(pdf=pdf, force=force, wait=self.generate_wait, names=self.names(year),
                              rules=load_rules(self.data_dir, year),
                              on_wait=lambda _: give_turn_back())  # (waiting for the unit's folder: no turn held)
            report = generate_unit(state.workbook, year, self.templates_dir, self.out_dir, unit=unit,
                                   options=options)
        except UserError as exc:
            return Outcome(False, self.web_hints(self.display(exc.render())), state=state)
        if report.state is not None:  # what the generation read is the unit's state: not read again
            self._remember(year, unit, signature, report.state)
        lines = [self.display(m) for m in report.messages]
        if report.pdf_error:
            lines.append(self.display(msg("pdf_not_written", reason=report.pdf_error)))
        if self.cached_state(year, unit) is not None:
            after = self.state(year, unit)
        else:
            with turn(self._turns):  # (taken again after a conversion: a changed file is read anew)
                after = self.state(year, unit)
        return Outcome(True, msg("web_generated", year=year), lines=lines, state=after, report=report)

    @staticmethod
    def web_hints(text: str) -> str:
        """What the CLI's messages say of its options, said for the page."""
        if "--force" in text:
            text += "\n" + msg("web_hint_force")
        if "--wait" in text:
            text += "\n" + msg("web_hint_wait")
        return text

    # ------------------------------------------------------------------ files made on request
    def audit_file(self, state: UnitState) -> tuple[bytes, str] | None:
        """The annotated workbook (…-审核.xlsx) of the unit's current workbook."""
        if state.audit is None or state.workbook is None:
            return None
        return audit_workbook(state.workbook, state.audit, state.names["stem"]), state.names["audit_xlsx"]

    def blank(self, unit: str, year: int) -> tuple[bytes, str]:
        """``year``'s blank workbook: from last year's (``generate init``) when the unit has one, else a new unit's."""
        folder = self.stage_dir()
        try:
            target = folder / workbook_name(year)
            previous = self.workbook_path(unit, year - 1)
            if previous.is_file():
                init_workbook(previous, target, year)
            else:
                blank_workbook(target, year, unit)
            return target.read_bytes(), workbook_name(year)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------------ the report's pages as images (pages.py)
    can_convert = staticmethod(can_convert)

    def pages(self, state: UnitState) -> tuple[str | None, list[Path], str | None]:
        """(the report's hash, its page images, why there are none)."""
        return self.page_images.images(self.output_file(state, "docx"), self.output_file(state, "pdf"), self.display)

    def page_file(self, state: UnitState, digest: str, number: int) -> Path | None:
        """Page ``number`` of the unit's current report (``digest`` must be its hash: an old set is no one's)."""
        return self.page_images.page(self.output_file(state, "docx"), digest, number)

    # ------------------------------------------------------------------ the county
    def job(self, year: int) -> Job | None:
        with self._lock:
            return self._jobs.get(year)

    def running_job(self) -> Job | None:
        with self._lock:
            return next((j for j in self._jobs.values() if j.running), None)

    def start_batch(self, year: int, account: str, pdf: bool, on_done: Callable[[Job, Any], None] | None = None
                    ) -> tuple[Job | None, str]:
        """Generate every unit of ``year`` in a background thread: (the job, its message). One batch at a time
        (the output folder's lock keeps a CLI run or another server out as well)."""
        units = self._year_units(year)
        if not units:
            return None, msg("web_batch_no_units", year=year)
        with self._lock:
            running = next((j for j in self._jobs.values() if j.running), None)
            if running is not None:
                return None, msg("web_batch_running", year=running.year)
            job = Job(year, account, pdf, total=len(units))
            self._jobs[year] = job

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, done, total

        def work() -> None:
            reports = None
            try:
                options = Options(pdf=pdf, wait=self.batch_wait, jobs=self.jobs, progress=progress,
                                  rules=load_rules(self.data_dir, year))
                reports = generate_batch(year, units, self.templates_dir, self.out_dir, options)
                job.lines = [(self.display(t), e) for t, e in result_lines(reports)]
                job.ok = reports.ok
            except UserError as exc:
                job.error, job.ok = self.web_hints(self.display(exc.render())), False
            except Exception as exc:  # a bug: said on the page, the server goes on
                job.error, job.ok = msg("internal_error", detail=f"{type(exc).__name__}: {exc}"), False
            finally:
                if on_done is not None:  # (before the job says it has finished: its records are then there)
                    try:
                        on_done(job, reports)
                    except Exception:
                        pass
                job.finished = time.time()

        job.thread = threading.Thread(target=work, name=f"batch-{year}", daemon=True)
        job.thread.start()
        return job, msg("web_batch_started", year=year, count=len(units))

    def summary_file(self, year: int) -> Path | None:
        path = summary_path(self.out_dir, year)
        return path if path.is_file() and not path.is_symlink() else None

    def reports_zip(self, year: int, units: list[str]) -> tuple[BinaryIO, int]:
        """Every unit's report, tables and PDF of ``year``, each unit's in a folder of its name (as in
        ``output/<year>/<unit>/``), and the county summary, in one zip (a temporary file)."""
        out = tempfile.TemporaryFile()
        count = 0
        names = self.names(year)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for unit in units:
                state = self.state(year, unit, names)
                for kind in OUTPUT_KINDS:
                    path = self.output_file(state, kind)
                    if path is not None:
                        zf.write(path, f"{unit}/{path.name}")
                        count += kind == "docx"
            summary = self.summary_file(year)
            if summary is not None:
                zf.write(summary, summary.name)
        out.seek(0)
        return out, count


def site() -> Site:
    """The running application's Site (the blueprints reach it through here, not through app.py, which
    imports them)."""
    from flask import current_app

    return current_app.extensions["generator"]


