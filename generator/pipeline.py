"""The library API: read → validate → compute → audit → render → write.

Every CLI command is a thin shell over these functions, and each is usable
from Python::

    from generator import generate
    reports = generate(2024, data_dir="data")
    print(reports[0].docx_path)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compute import compute
from .errors import Problem, UserError
from .messages import msg
from .render import render_docx
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


def report_stem(ctx: dict[str, Any]) -> str:
    return f"{ctx['year']}年度{safe_filename(ctx['unit']['name'])}整体支出绩效自评报告"


def generate_unit(workbook: Path, year: int, templates_dir: Path, out_dir: Path, unit: str | None = None,
                  force: bool = False) -> Report:
    """Generate one unit's report from ``workbook`` into ``out_dir/YEAR/``."""
    template = resolve_template(templates_dir, unit)
    data, ctx, notices = load(workbook, year)
    report = Report(unit=unit, unit_name=ctx["unit"]["name"], year=year, workbook=Path(workbook),
                    template=template, notices=notices, context=ctx)
    docx = render_docx(template, ctx)
    folder = Path(out_dir) / str(year)
    path = folder / f"{report_stem(ctx)}.docx"
    files = {path: docx}
    report.messages += write_outputs(files, force=force)
    report.docx_path = path
    report.outputs = list(files)
    return report


def generate(year: int, unit: str | None = None, data_dir: Path | str = "data",
             templates_dir: Path | str = "templates", out_dir: Path | str = "output",
             force: bool = False) -> list[Report]:
    """Generate the report of one unit (``DATA/YEAR.xlsx`` or ``DATA/<unit>/YEAR.xlsx``)."""
    workbook = find_workbook(Path(data_dir), year, unit)
    return [generate_unit(workbook, year, Path(templates_dir), Path(out_dir), unit=unit, force=force)]
