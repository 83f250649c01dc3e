"""Internal: read → validate → compute → audit → render → write, for one unit.

The public API is ``generator.api`` (what ``from generator import …`` gives);
it, the commands and the web page call these functions. Where a unit's files
live is ``generator.layout``.

A unit is made in memory (``make_unit``: the report, its forms as Excel, the
audit lists), then written as one set (``write.Folder.commit``), with its PDF
converted from the staged report before anything is moved in, so a run
replaces a unit's whole set of files or none of it. Several units of a county
folder go through ``batch``, which makes units in worker processes and
commits them here, in the one process that holds the output folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit import AuditResult, Finding, audit, name_clashes
from .compute import Context, compute
from .errors import ERROR, Problem, UserError, ValidationError
from .fields import fields_sheet
from .formats import docx_tables
from .layout import file_names, output_dir, previous_workbook, resolve_template, safe_filename, set_names, year_dir
from .limits import Limits
from .messages import msg
from .names import lookup
from .read import find_units, find_workbook, list_units, lock_file_notice, read_unit_name, read_workbook
from .render import make_env, render
from .rules import NATIONAL, Rules, load_rules
from .template import Template, load_template
from .validate import check_uses, validate
from .write import Folder, Staged, load_record, stage_files

Progress = Callable[[str, int, int], None]  # (stage "render" | "pdf", done, total)


@dataclass
class Options:
    """How a run makes and writes its units (the CLI's flags)."""

    force: bool = False  # overwrite files edited by hand (a dated backup is kept)
    strict: bool = False  # a unit whose audit finds 错误 is not generated
    pdf: bool = False  # also convert the report to PDF
    pdf_tables: bool = False  # and the -附表.xlsx
    jobs: int | None = None  # worker processes for a county folder
    limits: Limits = field(default_factory=Limits)  # per unit render
    wait: float = 120.0  # seconds to wait for another run on the same output folder
    progress: Progress | None = None
    rules: Rules | None = None  # the county's scoring rules, loaded once per run (None: the national ones)
    on_wait: Callable[[str], None] | None = None
    # every unit's 单位全称 and its cell in a county folder (``county_names``), for the audit's name clash; None:
    # read when a unit of a county folder is made
    names: dict[str, tuple[str, str]] | None = None


@dataclass
class Report:
    """What one unit's generation produced."""

    unit: str | None
    unit_name: str
    year: int
    workbook: Path
    template: Path
    docx_path: Path | None = None
    outputs: list[Path] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict, repr=False)
    error: str | None = None  # why this unit produced no report (Chinese, may span lines)
    pdf_error: str | None = None  # --pdf: why no PDF was written (the rest of the set was)
    pdf_kept: list[Path] = field(default_factory=list)  # earlier good PDFs kept because their conversion failed
    findings: list[Finding] = field(default_factory=list)  # the audit (审核) of the workbook
    audit_path: Path | None = None  # the readable 审核 list written next to the report
    template_notes: list[str] = field(default_factory=list)  # what was removed from the template, told
    # ``generate_unit``: the unit's state (``unit_state``) from the files this generation read (not from a batch)
    state: UnitState | None = field(default=None, repr=False, compare=False)


class Reports(list):  # list[Report]
    """What ``generate`` returns: the reports plus run-level results.

    ``batch`` is True for a several-unit run; ``summary_path`` is the county
    summary written (batch only); ``messages`` are run-level problems (summary
    not written, LibreOffice missing) that make the run fail.
    """

    def __init__(self, reports: list[Report] | tuple = (), batch: bool = False) -> None:
        super().__init__(reports)
        self.batch = batch
        self.summary_path: Path | None = None
        self.messages: list[str] = []
        self.notices: list[str] = []  # run-level information that is not a failure (backups made)

    @property
    def ok(self) -> bool:
        """True when every unit's report (and PDF, if asked for) was written and nothing else failed."""
        return not self.messages and all(r.error is None and r.pdf_error is None for r in self)


@dataclass
class Made:
    """One unit, made in memory: its report record and its files (name → bytes), not yet written."""

    report: Report
    files: dict[str, bytes]
    docx_name: str
    state: UnitState | None = None  # what ``read_state`` gives for the same files (read once, not again)


TITLE_SCAN = 12  # body paragraphs in which a report's title is looked for (cover lines come first)
_PLAIN_TAG = re.compile(r"\{\{\s*([^\s{}|()\[\]+*/~-]+)\s*\}\}")


def title_stem(template: Template, ctx: dict[str, Any]) -> str | None:
    """The report's own title as its template words it (“桃源县某镇2024年度部门整体支出绩效自评报告”), for the names
    of its files: the first paragraph among the first few outside tables that is only text and plain names, and
    gives the year, the unit's name and ends with 报告. None when there is none (the usual name then)."""
    year = f"{ctx.get('年度')}"
    unit = str((ctx.get("基本信息") or {}).get("单位全称") or "")
    paragraphs = [p for p in template.paragraphs.get("word/document.xml") or () if not p.in_cell and not p.consumed]
    for p in paragraphs[:TITLE_SCAN]:
        try:
            text = _PLAIN_TAG.sub(lambda m: str(lookup(ctx, m.group(1))), p.text).strip()
        except KeyError:
            continue
        if "{" in text or not unit or unit not in text or year not in text or not text.endswith("报告"):
            continue
        try:
            return safe_filename(text)
        except UserError:
            return None
    return None


# ------------------------------------------------------------------ reading one workbook


def load(workbook: Path, year: int | None, template: Template | None = None, rules: Rules | None = None,
         raw: Any = None) -> tuple[dict[str, Any], Context, list[Problem]]:
    """Read, validate and compute one workbook: (data, context, notices); a ValidationError lists every problem,
    those of the template's needs included when ``template`` is given. Scored by ``rules`` (national if None).
    ``raw``: ``read_workbook(workbook)`` when the caller has read it already (it is not read again)."""
    raw = read_workbook(workbook) if raw is None else raw
    data, problems, notices = validate(raw, year)
    ctx = compute(data, rules or NATIONAL)
    problems = problems + ctx.problems
    if template is not None:  # (a cell already refused is not asked for again as empty)
        problems += check_uses(template.uses, ctx.resolve, raw.file, reported=problem_cells(problems))
    if problems:
        raise ValidationError(raw.file, problems)
    lock = lock_file_notice(Path(workbook))
    if lock is not None:
        notices = [lock] + notices
    return data, ctx, notices


def problem_cells(problems: list[Problem]) -> set[str]:
    """The cells (``file › sheet › cell``) that ``problems`` already name."""
    return {str(p.location) for p in problems if p.location is not None and p.location.cell}


def audit_loaded(workbook: Path, year: int, data: dict[str, Any], ctx: Context,
                 template: Template | None = None) -> AuditResult:
    """Audit one loaded workbook, against last year's workbook (``YEAR-1.xlsx`` beside it) when it exists;
    given the unit's template, checks of what it does not show are skipped."""
    previous, problem = None, None
    prev_path = previous_workbook(workbook, year)
    if prev_path.is_file():
        try:
            prev_data, prev_ctx, _ = load(prev_path, year - 1)
            previous = (prev_data, prev_ctx)
        except UserError:
            problem = msg("audit_previous_unreadable", name=prev_path.name, year=year - 1)
    return audit(data, ctx, previous, problem, [u.name for u in template.uses] if template is not None else None)


def unit_names(units: Iterable[tuple[str, Path]]) -> dict[str, tuple[str, str]]:
    """unit → (单位全称, its cell) of each (unit, workbook) whose workbook gives one (the rest are left out: their
    own runs say why)."""
    out = {}
    for unit, path in units:
        try:
            found = read_unit_name(path) if Path(path).is_file() else None
        except OSError:
            found = None
        if found is not None:
            out[unit] = found
    return out


def county_names(data_dir: Path, year: int) -> dict[str, tuple[str, str]]:
    """``unit_names`` of every unit of a county folder for ``year``."""
    try:
        return unit_names(list_units(Path(data_dir), year))
    except OSError:
        return {}


def check(year: int, unit: str | None = None, data_dir: Path | str = "data",
          templates_dir: Path | str = "templates", names: dict[str, tuple[str, str]] | None = None,
          rules: Rules | None = None) -> AuditResult:
    """Audit only (``generate check``): what the unit's template needs, and every contradiction; write nothing.
    Scored by ``rules``, else by the settings workbook of ``data_dir`` (``rules.load_rules``)."""
    rules = rules or load_rules(data_dir, year)
    workbook = find_workbook(Path(data_dir), year, unit)
    env = make_env()
    template = load_template(resolve_template(Path(templates_dir), unit), env)
    data, ctx, notices = load(workbook, year, template if not template.problems else None, rules)
    result = audit_loaded(workbook, year, data, ctx, template if not template.problems else None)
    result.findings += name_clashes(unit, county_names(Path(data_dir), year) if names is None and unit else names or {})
    result.notices = notices
    return result


def check_all(year: int, unit: str | None = None, data_dir: Path | str = "data",
              templates_dir: Path | str = "templates") -> list[tuple[str | None, AuditResult | UserError]]:
    """``generate check`` over a folder: one (unit, result or the unit's error) per unit."""
    rules = load_rules(data_dir, year)  # (refused once for the county, before any unit is scored)
    units = find_units(Path(data_dir), year, unit)
    if units is None:
        return [(unit, check(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir, rules=rules))]
    out: list[tuple[str | None, AuditResult | UserError]] = []
    names = county_names(Path(data_dir), year)
    for name, _ in units:
        try:
            out.append((name, check(year, unit=name, data_dir=data_dir, templates_dir=templates_dir, names=names,
                                    rules=rules)))
        except UserError as exc:
            out.append((name, exc))
    return out


@dataclass
class UnitState:
    """What a unit has for a year: its workbook, whether it can be used, its audit, its files in the output."""

    unit: str | None
    year: int
    workbook: Path | None = None  # the unit's workbook, when there is one
    error: UserError | None = None  # why no report can be made from it (missing, unreadable, invalid), with cells
    audit: AuditResult | None = None
    values: dict[str, Any] = field(default_factory=dict, repr=False)  # the compute context's values
    context: Context | None = field(default=None, repr=False)  # the compute context itself
    names: dict[str, str] = field(default_factory=dict)  # ``file_names``: the names of the unit's set
    outputs: dict[str, Path] = field(default_factory=dict)  # kind ("docx", "tables", "pdf"…) → its file, if it exists


def unit_state(year: int, unit: str | None, data_dir: Path | str = "data", templates_dir: Path | str = "templates",
               out_dir: Path | str = "output") -> UnitState:
    """``check`` for one unit, kept rather than raised, with the names of its files and those already written."""
    state = read_state(year, unit, data_dir, templates_dir)
    state.outputs = unit_outputs(state.names, output_dir(Path(out_dir), year, unit))
    return state


def read_state(year: int, unit: str | None, data_dir: Path | str = "data",
               templates_dir: Path | str = "templates") -> UnitState:
    """``unit_state`` without its files in the output folder: all that the unit's workbooks, its template and the
    county's rules give (read, validate, compute, audit, the names of its files)."""
    state = UnitState(unit, year)
    try:
        state.workbook = find_workbook(Path(data_dir), year, unit)
        rules = load_rules(data_dir, year)  # (after: a bad settings workbook is the error of a workbook received)
        template = load_template(resolve_template(Path(templates_dir), unit), make_env())
        data, ctx, notices = load(state.workbook, year, template if not template.problems else None, rules)
    except UserError as exc:
        state.error = exc
        return state
    state.audit = audit_loaded(state.workbook, year, data, ctx, template if not template.problems else None)
    state.audit.notices = notices
    state.values = ctx.values
    state.context = ctx
    state.names = file_names(ctx.values, title_stem(template, ctx.values))
    return state


def unit_outputs(names: dict[str, str], folder: Path) -> dict[str, Path]:
    """kind → file of the unit's set (``names``, from ``file_names``) that exists in ``folder`` (one listing)."""
    if not names:
        return {}
    try:
        with os.scandir(folder) as entries:
            present = {e.name for e in entries if e.is_file()}
    except OSError:
        return {}
    return {kind: folder / name for kind, name in names.items() if kind != "stem" and name in present}


# ------------------------------------------------------------------ making one unit


GC_THRESHOLD = 20_000  # allocations between young-generation garbage collections while a unit is made (default 700)


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect garbage less often while a unit is made (it makes and drops many small objects, nearly none
    in cycles), and as before afterwards."""
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], GC_THRESHOLD), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def make_unit(workbook: Path, year: int, template_path: Path, unit: str | None = None, env: Any = None,
              options: Options | None = None) -> Made:
    """One unit's files in memory: the report, its forms in Excel, the audit as text and as an annotated
    workbook. A UserError for the clerk's mistakes, before anything is written."""
    options = options or Options()
    env = env or make_env()
    with relaxed_gc():
        template = load_template(template_path, env)
        if template.problems:
            raise UserError([Problem(None, str(p)) for p in template.problems],
                            msg("template_has_problems", path=template_path, count=len(template.problems)))
        data, ctx, notices = load(workbook, year, template, options.rules)
        names = file_names(ctx.values, title_stem(template, ctx.values))
        report = Report(unit=unit, unit_name=ctx.values["基本信息"]["单位全称"], year=year, workbook=Path(workbook),
                        template=template_path, notices=notices, context=ctx.values,
                        template_notes=[removed_message(r) for r in template.told])
        result = audit_loaded(workbook, year, data, ctx, template)
        state = UnitState(unit, year, Path(workbook), audit=dataclasses.replace(
            result, findings=list(result.findings), notices=notices), values=ctx.values, context=ctx, names=names)
        county = options.names
        if county is None and unit is not None:  # a unit of a county folder: its neighbours' 单位全称
            county = county_names(Path(workbook).parent.parent, year)
        result.findings += name_clashes(unit, county or {})
        report.findings = result.findings
        if options.strict and result.errors:
            errors = [f for group in result.by_sheet().values() for f in group if f.severity == ERROR]
            raise UserError([Problem(None, f.line()) for f in errors],
                            msg("audit_strict_header", file=result.file, count=len(result.errors)))
        reader = docx_tables.FormReader()  # the forms, read from the body as it is checked
        rendered = render(template, ctx.values, env, options.limits, visit=reader)
        report.template_notes += [removed_message(r) for r in rendered.removed]
        files = {names["docx"]: rendered.data}
        del rendered  # (a large report's tree is not kept while its tables are written)
        tables = docx_tables.workbook(reader.forms())
        if tables is not None:
            files[names["tables"]] = tables
        files[names["audit_md"]] = result.markdown(msg("audit_md_title", name=names["stem"])).encode("utf-8")
        files[names["audit_xlsx"]] = audit_workbook(workbook, result, names["stem"], ctx)
        return Made(report, files, names["docx"], state)


def audit_workbook(workbook: Path, result: AuditResult, stem: str, ctx: Context | None = None) -> bytes:
    """The annotated copy of ``workbook`` (``…-审核.xlsx``): every finding marked on its cells and, given the
    run's context, a 模板字段 sheet with what each name printed."""
    from .formats.xlsx_mark import annotate
    from .formats.xlsx_read import transitional

    source = transitional(Path(workbook)) or Path(workbook)  # (a Strict Open XML workbook: as openpyxl reads)
    return annotate(source, [(f.severity, f.message, f.places()) for f in result.ordered()],
                    msg("audit_md_title", name=stem), fields_sheet(ctx, Path(workbook).name) if ctx else None)


def removed_message(removed: Any) -> str:
    return msg("template_removed", what=msg(f"removed_{removed.kind}"), where=removed.where)


def stale(folder: Folder, made_names: set[str], docx_name: str) -> list[Path]:
    """Files of the unit's earlier set that this run does not write: an old PDF or old tables of the same
    report and, in a unit's own folder, every file of ours an earlier set wrote under other names (a new
    单位全称 or 报告标题). A file edited by hand under another name is not the set's any more: it stays."""
    same = set_names(docx_name)
    old = [folder.path / n for n in sorted(same - made_names) if (folder.path / n).exists()]
    if folder.unit is not None:
        old += [folder.path / n for n in sorted(folder.record) if n not in same and n not in made_names
                and (folder.path / n).is_file() and folder.matches(folder.path / n, n)]
    return old


def commit_unit(folder: Folder, report: Report, staged: list[Staged], docx_name: str, force: bool) -> None:
    """Move one unit's staged set in; fills the report's outputs and messages."""
    names = {s.target.name for s in staged}
    old = stale(folder, names, docx_name)
    old = [p for p in old if p not in report.pdf_kept]  # a failed conversion keeps the earlier good PDF
    report.messages += folder.notices + folder.commit(staged, old, force)
    folder.notices = []
    report.outputs = [s.target for s in staged]
    report.docx_path = folder.path / docx_name
    audit_md = [s.target for s in staged if s.target.name.endswith("-审核.md")]
    report.audit_path = audit_md[0] if audit_md else None


def unit_folder(out_dir: Path, year: int, unit: str | None, options: Options) -> Folder:
    """The output folder of one unit (``layout.output_dir``), held with the unit's own lock."""
    return Folder(output_dir(Path(out_dir), year, unit), wait=options.wait, on_wait=options.on_wait, unit=unit)


YEAR_FOLDER_WAIT = 30.0  # seconds at least to wait for the year folder: it is held a moment at a time


def year_folder(out_dir: Path, year: int, options: Options) -> Folder:
    """``output/<year>/`` (the county summary, and files an earlier version wrote there), held only for a moment
    by whoever writes there: a run waits for it at least ``YEAR_FOLDER_WAIT`` seconds, whatever its ``--wait``."""
    return Folder(year_dir(Path(out_dir), year), wait=max(options.wait, YEAR_FOLDER_WAIT), on_wait=options.on_wait,
                  summary_year=year)


def adopt_earlier(folder: Folder, out_dir: Path, year: int, docx_name: str, options: Options) -> list[str]:
    """Files of this unit's set that an earlier version wrote straight into ``output/<year>/`` (one folder for
    every unit): moved into the unit's folder with their record, when the record there says they are ours.
    The year folder is held (the summary's lock) only while they move; nothing is deleted."""
    flat = year_dir(Path(out_dir), year)
    if folder.unit is None or folder.path == flat:
        return []
    names = set_names(docx_name)
    if not any(n in names and (flat / n).is_file() for n in load_record(flat)):
        return []
    with year_folder(out_dir, year, options) as source:
        return folder.adopt(source, names)


def generate_unit(workbook: Path, year: int, templates_dir: Path, out_dir: Path, unit: str | None = None,
                  options: Options | None = None) -> Report:
    """Generate one unit's report from ``workbook`` into its folder (``layout.output_dir``: ``out_dir/YEAR/``
    for the one unit of ``data/YEAR.xlsx``, ``out_dir/YEAR/<unit>/`` for a unit of a county folder)."""
    options = options or Options()
    template_path = resolve_template(Path(templates_dir), unit)
    made = make_unit(workbook, year, template_path, unit, options=options)
    with unit_folder(out_dir, year, unit, options) as folder:
        made.report.messages += adopt_earlier(folder, out_dir, year, made.docx_name, options)
        staged = stage_files({folder.path / n: b for n, b in made.files.items()})
        if options.pdf:
            from .pdf_export import convert_staged  # (LibreOffice: only with --pdf)

            convert_staged([(made.report, staged)], options, jobs=1)
        commit_unit(folder, made.report, staged, made.docx_name, options.force)
        made.report.state = made.state
        made.state.outputs = unit_outputs(made.state.names, folder.path)
    return made.report
