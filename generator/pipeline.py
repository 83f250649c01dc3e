"""The library API: read → validate → compute → audit → render → write.

Every CLI command is a thin shell over these functions, and each is usable
from Python::

    from generator import generate
    reports = generate(2024, data_dir="data")
    print(reports[0].docx_path)
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit import ERROR, AuditResult, Finding, audit
from .compute import compute
from .errors import Problem, UserError
from .messages import msg
from .render import render_docx
from .tables_xlsx import tables_workbook
from .validate import validate
from .workbook import find_workbook, read_workbook
from .write import write_outputs

TEMPLATE_NAME = "report.docx"
DEFAULT_TEMPLATE_DIR = "default"
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


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
    error: str | None = None  # batch: why this unit produced no report (Chinese, may span lines)
    pdf_error: str | None = None  # --pdf: why the PDF was not written (the .docx was)
    findings: list[Finding] = field(default_factory=list)  # the audit (审核) of the workbook
    audit_path: Path | None = None  # the readable 审核 list written next to the report


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
        if own.is_file():
            return own
    default = templates_dir / DEFAULT_TEMPLATE_DIR / TEMPLATE_NAME
    if not default.is_file():
        raise UserError(msg("template_missing", path=default))
    return default


def load(workbook: Path, year: int | None) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """Read, validate and compute one workbook: (data, context, notices)."""
    raw = read_workbook(workbook)
    data, notices = validate(raw, year)
    return data, compute(data), notices


def audit_loaded(workbook: Path, year: int, data: dict[str, Any], ctx: dict[str, Any]) -> AuditResult:
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


def check(year: int, unit: str | None = None, data_dir: Path | str = "data") -> AuditResult:
    """Audit only (``generate --check``): read, validate, compute and audit one workbook; write nothing."""
    workbook = find_workbook(Path(data_dir), year, unit)
    data, ctx, notices = load(workbook, year)
    result = audit_loaded(workbook, year, data, ctx)
    result.notices = notices
    return result


def check_all(year: int, unit: str | None = None, data_dir: Path | str = "data"
              ) -> list[tuple[str | None, AuditResult | UserError]]:
    """``generate --check`` over a folder: one (unit, result or the unit's error) per unit.

    A one-unit folder (or ``--unit``) gives a single ``(unit, result)``; a user
    mistake there is raised as usual. In a county folder, one unit's unreadable
    workbook is reported against that unit and the others are still audited.
    """
    from .batch import find_units

    units = find_units(Path(data_dir), year, unit)
    if units is None:
        return [(unit, check(year, unit=unit, data_dir=data_dir))]
    out: list[tuple[str | None, AuditResult | UserError]] = []
    for name, _ in units:
        try:
            out.append((name, check(year, unit=name, data_dir=data_dir)))
        except UserError as exc:
            out.append((name, exc))
    return out


def report_stem(ctx: dict[str, Any]) -> str:
    return msg("file_report", year=ctx["year"], unit=safe_filename(ctx["unit"]["name"]))


GC_THRESHOLD = 20_000  # allocations between young-generation garbage collections while a unit is made (default 700)


@contextlib.contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect garbage less often while a unit is made, as it was afterwards.

    A unit makes and drops hundreds of thousands of small objects (cells,
    rows, XML nodes), nearly none of them in reference cycles; with Python's
    default the collector runs every 700 allocations and, as a large unit's
    live objects pile up, each full collection walks all of them, so the cost
    grows faster than the unit. Memory stays bounded: collections still run.
    """
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], GC_THRESHOLD), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def generate_unit(workbook: Path, year: int, templates_dir: Path, out_dir: Path, unit: str | None = None,
                  force: bool = False, writer: Callable[..., list[str]] = write_outputs,
                  env: Any = None, strict: bool = False) -> Report:
    """Generate one unit's report from ``workbook`` into ``out_dir/YEAR/``.

    ``writer`` puts the files in place (the batch passes one that serialises
    workers); ``env`` is a prepared Jinja environment (a batch worker builds it once).
    The audit's findings go to ``report.findings`` and to ``{stem}-审核.md`` beside
    the report; with ``strict`` any 错误 raises a UserError before anything is written.
    """
    with relaxed_gc():
        template = resolve_template(templates_dir, unit)
        data, ctx, notices = load(workbook, year)
        report = Report(unit=unit, unit_name=ctx["unit"]["name"], year=year, workbook=Path(workbook),
                        template=template, notices=notices, context=ctx)
        result = audit_loaded(workbook, year, data, ctx)
        report.findings = result.findings
        if strict and result.errors:
            errors = [f for group in result.by_sheet().values() for f in group if f.severity == ERROR]
            raise UserError([Problem(None, str(f)) for f in errors],
                            msg("audit_strict_header", file=result.file, count=len(result.errors)))
        docx = render_docx(template, ctx, env, plain=True)  # compute's context: plain data
        folder = Path(out_dir) / str(year)
        stem = report_stem(ctx)
        path = folder / f"{stem}.docx"
        report.audit_path = folder / msg("file_audit", stem=stem)
        files = {path: docx,
                 folder / msg("file_tables", stem=stem): tables_workbook(ctx),  # the three attachment tables in Excel
                 report.audit_path: result.markdown(msg("audit_md_title", name=stem)).encode("utf-8")}
        report.messages += writer(files, force=force)
        report.docx_path = path
        report.outputs = list(files)
        return report


def generate(year: int, unit: str | None = None, data_dir: Path | str = "data",
             templates_dir: Path | str = "templates", out_dir: Path | str = "output",
             force: bool = False, jobs: int | None = None, pdf: bool = False,
             progress: Callable[[str, int, int], None] | None = None, strict: bool = False) -> list[Report]:
    """Generate the report of one unit (``DATA/YEAR.xlsx`` or ``DATA/<unit>/YEAR.xlsx``), or of every unit.

    When ``DATA`` has no ``YEAR.xlsx`` but unit sub-folders that do, and no
    ``unit`` is given, all units are generated in ``jobs`` processes (see
    ``generator.batch``); failed units come back as Reports with ``error`` set.
    ``pdf`` also converts the outputs with LibreOffice. The result is a
    ``batch.Reports`` list (``summary_path`` and batch-level ``messages``).
    """
    from . import batch

    units = batch.find_units(Path(data_dir), year, unit)
    if units is not None:
        return batch.generate_batch(year, units, Path(templates_dir), Path(out_dir), force=force, jobs=jobs,
                                    pdf=pdf, progress=progress, strict=strict)
    workbook = find_workbook(Path(data_dir), year, unit)
    reports = batch.Reports([generate_unit(workbook, year, Path(templates_dir), Path(out_dir), unit=unit,
                                           force=force, strict=strict)])
    if pdf:
        reports.messages += batch.convert_pdfs(reports, jobs=1, progress=progress)
    return reports
