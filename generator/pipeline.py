"""The library API: read → validate → compute → audit → render → write, for one unit.

Every CLI command and the web page are thin shells over these functions, and
each is usable from Python::

    from generator import generate
    reports = generate(2024, data_dir="data")
    print(reports[0].docx_path)

A unit is made in memory (``make_unit``: the report, its forms as Excel, the
audit lists), then written as one set (``write.Folder.commit``), with its PDF
converted from the staged report before anything is moved in, so a run
replaces a unit's whole set of files or none of it. Several units of a county
folder go through ``commands.batch``, which makes units in worker processes and
commits them here, in the one process that holds the output folder.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import schema
from .audit import AuditResult, Finding, audit
from .compute import Context, compute
from .errors import ERROR, Problem, UserError, ValidationError
from .fields import fields_sheet
from .formats import docx_tables
from .limits import Limits
from .messages import msg
from .read import find_units, find_workbook, lock_file_notice, read_workbook
from .render import make_env, render
from .rules import NATIONAL, Rules, load_rules
from .template import Template, load_template
from .validate import check_uses, validate
from .write import Folder, Staged, stage_files

TEMPLATE_NAME = "report.docx"
DEFAULT_TEMPLATE_DIR = "default"
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
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


def safe_filename(name: str) -> str:
    """A unit name usable as a file or folder name on Windows and Linux, or a UserError."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "", name).strip().strip(".")
    if not cleaned or cleaned in (".", "..") or cleaned.upper().split(".")[0] in _RESERVED or len(cleaned) > 120:
        raise UserError(msg("unit_name_unsafe", name=name))
    return cleaned


def resolve_template(templates_dir: Path, unit: str | None) -> Path:
    """``templates/<unit>/report.docx`` if it exists, else ``templates/default/report.docx``."""
    templates_dir = Path(templates_dir)
    if unit:
        own = templates_dir / unit / TEMPLATE_NAME
        if own.exists() or own.is_symlink():
            return own
    default = templates_dir / DEFAULT_TEMPLATE_DIR / TEMPLATE_NAME
    if not default.exists() and not default.is_symlink():
        raise UserError(msg("template_missing", path=default))
    return default


def file_names(ctx: dict[str, Any]) -> dict[str, str]:
    """The names of a unit's files: ``{"docx": …, "tables": …, "audit_md": …, "audit_xlsx": …, "pdf": …}``."""
    basic = ctx.get("基本信息") or {}
    stem = msg("file_report", year=ctx.get("年度"), unit=safe_filename(basic.get("单位全称") or ""),
               title=safe_filename(basic.get("报告标题") or schema.REPORT_TITLE))
    return {"docx": f"{stem}.docx", "tables": msg("file_tables", stem=stem), "audit_md": msg("file_audit", stem=stem),
            "audit_xlsx": msg("file_audit_xlsx", stem=stem), "pdf": f"{stem}.pdf",
            "tables_pdf": msg("file_tables", stem=stem)[:-len(".xlsx")] + ".pdf", "stem": stem}


# ------------------------------------------------------------------ reading one workbook


def load(workbook: Path, year: int | None, template: Template | None = None,
         rules: Rules | None = None) -> tuple[dict[str, Any], Context, list[Problem]]:
    """Read, validate and compute one workbook: (data, context, notices); a ValidationError lists every problem,
    those of the template's needs included when ``template`` is given. Scored by ``rules`` (national if None)."""
    raw = read_workbook(workbook)
    data, problems, notices = validate(raw, year)
    ctx = compute(data, rules or NATIONAL)
    problems = problems + ctx.problems
    if template is not None:
        problems += check_uses(template.uses, ctx.resolve, raw.file)
    if problems:
        raise ValidationError(raw.file, problems)
    lock = lock_file_notice(Path(workbook))
    if lock is not None:
        notices = [lock] + notices
    return data, ctx, notices


def audit_loaded(workbook: Path, year: int, data: dict[str, Any], ctx: Context) -> AuditResult:
    """Audit one loaded workbook, against last year's workbook (``YEAR-1.xlsx`` beside it) when it exists."""
    previous, problem = None, None
    prev_path = Path(workbook).with_name(f"{year - 1}.xlsx")
    if prev_path.is_file():
        try:
            prev_data, prev_ctx, _ = load(prev_path, year - 1)
            previous = (prev_data, prev_ctx)
        except UserError:
            problem = msg("audit_previous_unreadable", name=prev_path.name, year=year - 1)
    return audit(data, ctx, previous, problem)


def check(year: int, unit: str | None = None, data_dir: Path | str = "data",
          templates_dir: Path | str = "templates", rules: Rules | None = None) -> AuditResult:
    """Audit only (``generate --check``): what the unit's template needs, and every contradiction; write nothing.
    Scored by ``rules``, else by the settings workbook of ``data_dir`` (``rules.load_rules``)."""
    rules = rules or load_rules(data_dir, year)
    workbook = find_workbook(Path(data_dir), year, unit)
    env = make_env()
    template = load_template(resolve_template(Path(templates_dir), unit), env)
    data, ctx, notices = load(workbook, year, template if not template.problems else None, rules)
    result = audit_loaded(workbook, year, data, ctx)
    result.notices = notices
    return result


def check_all(year: int, unit: str | None = None, data_dir: Path | str = "data",
              templates_dir: Path | str = "templates") -> list[tuple[str | None, AuditResult | UserError]]:
    """``generate --check`` over a folder: one (unit, result or the unit's error) per unit."""
    rules = load_rules(data_dir, year)  # (refused once for the county, before any unit is scored)
    units = find_units(Path(data_dir), year, unit)
    if units is None:
        return [(unit, check(year, unit=unit, data_dir=data_dir, templates_dir=templates_dir, rules=rules))]
    out: list[tuple[str | None, AuditResult | UserError]] = []
    for name, _ in units:
        try:
            out.append((name, check(year, unit=name, data_dir=data_dir, templates_dir=templates_dir, rules=rules)))
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
    state = UnitState(unit, year)
    try:
        rules = load_rules(data_dir, year)
        state.workbook = find_workbook(Path(data_dir), year, unit)
        template = load_template(resolve_template(Path(templates_dir), unit), make_env())
        data, ctx, notices = load(state.workbook, year, template if not template.problems else None, rules)
    except UserError as exc:
        state.error = exc
        return state
    state.audit = audit_loaded(state.workbook, year, data, ctx)
    state.audit.notices = notices
    state.values = ctx.values
    state.context = ctx
    state.names = file_names(ctx.values)
    folder = Path(out_dir) / str(year)
    state.outputs = {kind: folder / name for kind, name in state.names.items()
                     if kind != "stem" and (folder / name).is_file()}
    return state


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
        names = file_names(ctx.values)
        report = Report(unit=unit, unit_name=ctx.values["基本信息"]["单位全称"], year=year, workbook=Path(workbook),
                        template=template_path, notices=notices, context=ctx.values,
                        template_notes=[removed_message(r) for r in template.told])
        result = audit_loaded(workbook, year, data, ctx)
        report.findings = result.findings
        if options.strict and result.errors:
            errors = [f for group in result.by_sheet().values() for f in group if f.severity == ERROR]
            raise UserError([Problem(None, f.line()) for f in errors],
                            msg("audit_strict_header", file=result.file, count=len(result.errors)))
        reader = docx_tables.FormReader()  # the forms, read from the body as it is checked
        rendered = render(template, ctx.values, env, options.limits, visit=reader)
        files = {names["docx"]: rendered.data}
        del rendered  # (a large report's tree is not kept while its tables are written)
        tables = docx_tables.workbook(reader.forms())
        if tables is not None:
            files[names["tables"]] = tables
        files[names["audit_md"]] = result.markdown(msg("audit_md_title", name=names["stem"])).encode("utf-8")
        files[names["audit_xlsx"]] = audit_workbook(workbook, result, names["stem"], ctx)
        return Made(report, files, names["docx"])


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


def set_names(docx_name: str) -> set[str]:
    """Every file name a unit's set may have (so stale ones can be told from the new set)."""
    stem = docx_name[: -len(".docx")]
    return {docx_name, msg("file_tables", stem=stem), msg("file_audit", stem=stem), msg("file_audit_xlsx", stem=stem),
            f"{stem}.pdf", msg("file_tables", stem=stem)[: -len(".xlsx")] + ".pdf"}


def stale(folder: Path, made_names: set[str], docx_name: str) -> list[Path]:
    """Files of the unit's set from an earlier run that this run does not write (an old PDF, old tables)."""
    return [folder / n for n in sorted(set_names(docx_name) - made_names) if (folder / n).exists()]


def commit_unit(folder: Folder, report: Report, staged: list[Staged], docx_name: str, force: bool) -> None:
    """Move one unit's staged set in; fills the report's outputs and messages."""
    names = {s.target.name for s in staged}
    old = stale(folder.path, names, docx_name)
    old = [p for p in old if p not in report.pdf_kept]  # a failed conversion keeps the earlier good PDF
    report.messages += folder.commit(staged, old, force)
    report.outputs = [s.target for s in staged]
    report.docx_path = folder.path / docx_name
    audit_md = [s.target for s in staged if s.target.name.endswith("-审核.md")]
    report.audit_path = audit_md[0] if audit_md else None


def generate_unit(workbook: Path, year: int, templates_dir: Path, out_dir: Path, unit: str | None = None,
                  options: Options | None = None) -> Report:
    """Generate one unit's report from ``workbook`` into ``out_dir/YEAR/``."""
    options = options or Options()
    template_path = resolve_template(Path(templates_dir), unit)
    made = make_unit(workbook, year, template_path, unit, options=options)
    with Folder(Path(out_dir) / str(year), wait=options.wait, on_wait=options.on_wait) as folder:
        staged = stage_files({folder.path / n: b for n, b in made.files.items()})
        if options.pdf:
            from .convert import convert_staged  # (LibreOffice: only with --pdf)

            convert_staged([(made.report, staged)], options, jobs=1)
        commit_unit(folder, made.report, staged, made.docx_name, options.force)
    return made.report
