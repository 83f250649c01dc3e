"""The library's public API: what ``from generator import …`` gives, and what the CLI and the web page use.

::

    from generator import generate
    reports = generate(2024, data_dir="data", pdf=True)
    print(reports[0].docx_path)

``generate`` makes one unit (``data/2024.xlsx`` → ``output/2024/``) or every unit of a county folder
(``data/<unit>/2024.xlsx`` → ``output/2024/<unit>/``, with the county summary in ``output/2024/``); where
things live is ``generator.layout``. ``check`` / ``check_all`` audit without writing; ``unit_state`` is what a
unit has for a year (its workbook, audit and files), as the web page shows it. Everything else
(``generator.pipeline`` and the stage modules) is internal and may change.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .layout import output_dir, resolve_template, valid_unit, valid_year, workbook_path
from .pipeline import (Options, Report, Reports, UnitState, audit_workbook, check, check_all, county_names,
                       generate_unit, load, read_state, removed_message, unit_names, unit_outputs, unit_state)
from .read import find_units, find_workbook
from .rules import load_rules, stray_rules

__all__ = ["Options", "Report", "Reports", "UnitState", "audit_workbook", "check", "check_all", "county_names",
           "generate", "generate_unit", "load", "output_dir", "read_state", "removed_message", "resolve_template",
           "unit_names", "unit_outputs", "unit_state", "valid_unit", "valid_year", "workbook_path"]


def generate(year: int, unit: str | None = None, data_dir: Path | str = "data",
             templates_dir: Path | str = "templates", out_dir: Path | str = "output",
             options: Options | None = None, **flags: Any) -> Reports:
    """Generate the report of one unit (``DATA/YEAR.xlsx`` or ``DATA/<unit>/YEAR.xlsx``), or of every unit.

    When ``DATA`` has no ``YEAR.xlsx`` but unit sub-folders that do, and no
    ``unit`` is given, all units are generated (``batch``) with a county
    summary; failed units come back as Reports with ``error`` set. Each unit's
    files go to its own folder (``layout.output_dir``). ``flags`` are
    ``Options`` fields (``force=True``, ``pdf=True``…). The scoring rules (``DATA/评分规则.xlsx``, else the
    national ones) are read once, before any unit: a bad settings workbook refuses the whole run.
    """
    options = options or Options(**flags)
    if options.rules is None:
        options = dataclasses.replace(options, rules=load_rules(data_dir, year))
    units = find_units(Path(data_dir), year, unit)
    if units is not None:
        from .batch import generate_batch  # (process pools: imported for county folders only)

        reports = generate_batch(year, units, Path(templates_dir), Path(out_dir), options)
    else:
        workbook = find_workbook(Path(data_dir), year, unit)
        reports = Reports([generate_unit(workbook, year, Path(templates_dir), Path(out_dir), unit=unit,
                                         options=options)])
    for report in reports:  # a unit's own settings workbook is not used: the unit is told
        stray = stray_rules(data_dir, report.unit)
        if stray is not None:
            report.notices.append(stray)
    return reports
