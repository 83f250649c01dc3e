"""Where things live: the one place that says which file or folder a unit and year use.

Two layouts of the data folder::

    data/2024.xlsx               one unit          → output/2024/<report files>
    data/<unit>/2024.xlsx        a county's units  → output/2024/<unit>/<report files>
                                                     output/2024/<county summary>.xlsx

``<unit>`` is always the unit's data folder name (the web account's unit), never
text taken from a workbook: what a workbook says decides the names of the
files inside the unit's folder, never which folder they go to. A unit's own
template is ``templates/<unit>/report.docx``, else ``templates/default/report.docx``.
Each output folder has its record of the files we wrote (``.generated.json``,
its journal ``.generated.log``) and its lock (``.generated.lock``): a run holds
the lock of the folder it writes, so units generate side by side, and the
county summary's lock (``output/<year>/``) is held only while the summary is written.

Read, pipeline, batch, write, commands and web call these functions; none of them
spells a path rule of its own (``tests/test_layout_rules.py`` greps for that).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import schema
from .errors import UserError
from .messages import msg

# ---------------------------------------------------------------------------- names of things
WORKBOOK_SUFFIX = ".xlsx"
TEMPLATE_NAME = "report.docx"
RULES_NAME = "评分规则.xlsx"  # the county's scoring rules (generator/rules.py)
DEFAULT_TEMPLATE_DIR = "default"  # templates/default/: the shared template (so no unit may be called so)
PACKAGE_TEMPLATE = ("default_template", TEMPLATE_NAME)  # the default template shipped in the package
RECORD = ".generated.json"  # an output folder's record: file name → SHA-256 of what we wrote
JOURNAL = ".generated.log"  # its journal: lines "<sha256>\t<file name>", written before a set is moved in
LOCK = ".generated.lock"  # held by the one run writing the folder
LOCK_FILE_PREFIX = "~$"  # Excel/WPS's owner file beside an open workbook
YEAR_MIN, YEAR_MAX = 1990, 2200
UNIT_MAX = 60  # characters of a unit's name
NAME_BYTES = 255  # bytes of one file or folder name (UTF-8), on every file system we write to
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_PATH_SYMBOLS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_INVISIBLE = re.compile(r"[%\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


# ---------------------------------------------------------------------------- years and units
def valid_year(year: Any) -> bool:
    return isinstance(year, int) and not isinstance(year, bool) and YEAR_MIN <= year <= YEAR_MAX


def unit_name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a unit (a folder of ``data/``, ``templates/`` and ``output/<year>/``), or None."""
    if not isinstance(name, str) or not name.strip():
        return msg("unit_name_empty")
    if _PATH_SYMBOLS.search(name) or name in (".", ".."):
        return msg("unit_name_symbols", name=name)
    if name != name.strip() or name.endswith("."):
        return msg("unit_name_edges", name=name)
    if name.startswith((".", LOCK_FILE_PREFIX)) or _INVISIBLE.search(name):
        return msg("unit_name_hidden", name=name)
    if name.upper().split(".")[0].strip() in _RESERVED or name.casefold() == DEFAULT_TEMPLATE_DIR:
        return msg("unit_name_reserved", name=name)
    if len(name) > UNIT_MAX or len(name.encode("utf-8")) > NAME_BYTES:
        return msg("unit_name_long", name=name[:20] + "…", limit=UNIT_MAX)
    return None


def valid_unit(name: Any) -> bool:
    """True when ``name`` may be a unit's folder (``unit_name_problem`` says why not)."""
    return unit_name_problem(name) is None


def check_unit_name(name: str) -> str:
    """``name`` stripped, or a UserError saying why it cannot be a unit's folder."""
    name = name.strip() if isinstance(name, str) else name
    problem = unit_name_problem(name)
    if problem is not None:
        raise UserError(problem)
    return name


def is_unit_folder(path: Path) -> bool:
    """A sub-folder of ``data/`` that is a unit: not hidden (``.x``), not an Office owner file (``~$x``)."""
    return path.is_dir() and not path.name.startswith((".", LOCK_FILE_PREFIX))


def check_unit_path(unit: str) -> str:
    """A unit given by name (``--unit``) stays inside the folders it names: no path symbol, not ``.``/``..``."""
    if not unit or _PATH_SYMBOLS.search(unit) or unit.strip() in (".", ".."):
        raise UserError(msg("unit_name_symbols", name=unit))
    return unit


# ---------------------------------------------------------------------------- data and templates
def workbook_name(year: int) -> str:
    return f"{year}{WORKBOOK_SUFFIX}"


def is_workbook_name(name: str) -> int | None:
    """The year of a workbook file name (``2024.xlsx`` → 2024), or None."""
    found = re.fullmatch(r"(\d{4})" + re.escape(WORKBOOK_SUFFIX), name)
    return int(found.group(1)) if found and valid_year(int(found.group(1))) else None


def unit_data_dir(data_dir: Path, unit: str | None) -> Path:
    """``data/<unit>/`` (county layout), or ``data/`` itself (one unit)."""
    return Path(data_dir) / unit if unit else Path(data_dir)


def workbook_path(data_dir: Path, year: int, unit: str | None = None) -> Path:
    """``data/<year>.xlsx`` (one unit) or ``data/<unit>/<year>.xlsx``."""
    return unit_data_dir(data_dir, unit) / workbook_name(year)


def previous_workbook(workbook: Path, year: int) -> Path:
    """Last year's workbook beside ``workbook`` (``2023.xlsx`` beside ``2024.xlsx``)."""
    return Path(workbook).with_name(workbook_name(year - 1))


def workbook_with_suffix(folder: Path, year: int, suffix: str) -> Path:
    """``<year><suffix>`` in ``folder`` (an old format: ``2024.xls``)."""
    return Path(folder) / f"{year}{suffix}"


def is_single_layout(data_dir: Path, year: int) -> bool:
    """``data/<year>.xlsx`` exists: the one-unit layout."""
    return workbook_path(data_dir, year).exists()


def rules_path(data_dir: Path | str) -> Path:
    """The scoring rules for the units of ``data_dir``: ``DATA/评分规则.xlsx``, beside the units of a county folder
    (for all of them) or beside the workbook of a one-unit folder. A county unit's own folder cannot carry rules."""
    return Path(data_dir) / RULES_NAME


def unit_template(templates_dir: Path, unit: str) -> Path:
    """``templates/<unit>/report.docx`` (whether or not it exists)."""
    return Path(templates_dir) / unit / TEMPLATE_NAME


def default_template(templates_dir: Path) -> Path:
    return Path(templates_dir) / DEFAULT_TEMPLATE_DIR / TEMPLATE_NAME


def package_template_path() -> Path:
    """The default template shipped in the package (``generator/default_template/report.docx``)."""
    import importlib.resources

    return Path(str(importlib.resources.files("generator").joinpath(*PACKAGE_TEMPLATE)))


def package_template() -> bytes:
    """The shipped default template's bytes, for a county folder that has no ``templates/default/`` yet."""
    return package_template_path().read_bytes()


def resolve_template(templates_dir: Path, unit: str | None) -> Path:
    """``templates/<unit>/report.docx`` if it exists, else ``templates/default/report.docx``, else (a folder set up
    from nothing) the default template shipped in the package."""
    if unit:
        own = unit_template(templates_dir, unit)
        if own.exists() or own.is_symlink():
            return own
    default = default_template(templates_dir)
    if default.exists() or default.is_symlink():
        return default
    shipped = package_template_path()
    if shipped.is_file():
        return shipped
    raise UserError(msg("template_missing", path=default))


def is_own_template(template: Path, unit: str | None) -> bool:
    """True when ``template`` is the unit's own (not the shared default, nor the package's)."""
    parent = Path(template).parent.name
    return parent not in (DEFAULT_TEMPLATE_DIR, PACKAGE_TEMPLATE[0]) and (unit is None or parent == unit)


# ---------------------------------------------------------------------------- output
def year_dir(out_dir: Path, year: int) -> Path:
    """``output/<year>/``: the one unit's files (one-unit layout), or the county summary and the unit folders."""
    return Path(out_dir) / str(year)


def output_dir(out_dir: Path, year: int, unit: str | None = None) -> Path:
    """Where a unit's files go: ``output/<year>/<unit>/`` (county layout), ``output/<year>/`` (one unit)."""
    return year_dir(out_dir, year) / unit if unit else year_dir(out_dir, year)


def summary_name(year: int) -> str:
    return msg("summary_title", year=year) + WORKBOOK_SUFFIX


def summary_path(out_dir: Path, year: int) -> Path:
    return year_dir(out_dir, year) / summary_name(year)


def zip_name(year: int) -> str:
    """The county's zip of every unit's files (one folder per unit inside)."""
    return msg("web_zip_name", year=year)


def safe_filename(name: str) -> str:
    """Workbook text (单位全称, 报告标题) usable inside a file name on Windows and Linux, or a UserError."""
    cleaned = _PATH_SYMBOLS.sub("", name).strip().strip(".")
    if not cleaned or cleaned in (".", "..") or cleaned.upper().split(".")[0] in _RESERVED or len(cleaned) > 120:
        raise UserError(msg("unit_name_unsafe", name=name))
    return cleaned


def _stem_names(stem: str) -> dict[str, str]:
    tables = f"{stem}-附表"
    return {"docx": f"{stem}.docx", "tables": tables + WORKBOOK_SUFFIX, "audit_md": f"{stem}-审核.md",
            "audit_xlsx": f"{stem}-审核{WORKBOOK_SUFFIX}", "pdf": f"{stem}.pdf", "tables_pdf": f"{tables}.pdf"}


def file_names(ctx: dict[str, Any], stem: str | None = None) -> dict[str, str]:
    """The names of a unit's files: ``{"docx": …, "tables": …, "audit_md": …, "audit_xlsx": …, "pdf": …,
    "tables_pdf": …, "stem": …}`` (a UserError when they would be too long for a file system); ``stem``: the
    report's own title when its template words it otherwise (``pipeline.title_stem``)."""
    basic = ctx.get("基本信息") or {}
    usual = msg("file_report", year=ctx.get("年度"), unit=safe_filename(basic.get("单位全称") or ""),
                title=safe_filename(basic.get("报告标题") or schema.REPORT_TITLE))  # (a name no file takes: refused)
    stem = stem or usual
    names = _stem_names(stem)
    longest = max(names.values(), key=lambda n: len(n.encode("utf-8")))
    if len(longest.encode("utf-8")) > NAME_BYTES:
        raise UserError(msg("file_name_long", name=longest, limit=NAME_BYTES))
    return {**names, "stem": stem}


def set_names(docx_name: str) -> set[str]:
    """Every file name a unit's set may have, from its report's name (so stale ones can be told apart)."""
    return set(_stem_names(docx_name[: -len(".docx")]).values())


def kind_of(name: str) -> str | None:
    """Which file of a unit's set ``name`` is (a key of ``file_names``), by its ending; None for another file."""
    for kind, ending in (("tables", f"-附表{WORKBOOK_SUFFIX}"), ("audit_xlsx", f"-审核{WORKBOOK_SUFFIX}"),
                         ("audit_md", "-审核.md"), ("tables_pdf", "-附表.pdf"), ("pdf", ".pdf"), ("docx", ".docx")):
        if name.endswith(ending):
            return kind
    return None


# --- the web's kept versions (web/review.py): STATE/versions/<unit>/<year>/<n>/ -------------------------------
VERSION_WORKBOOK = "workbook.xlsx"  # the workbook as uploaded
VERSION_TEMPLATE = "template.docx"  # the template its files were generated with
VERSION_OUTPUT = "out"  # the files generated from it
WORKBOOK_DOWNLOAD = "工作簿.xlsx"  # a version's workbook as downloaded (after the year and the version number)
RECHECKS_DOWNLOAD = "rechecks.xlsx"  # the bureau's 复核 table


def versions_root(state_dir: Path, unit: str, year: int) -> Path:
    return Path(state_dir) / "versions" / unit / str(year)


def version_dir(state_dir: Path, unit: str, year: int, number: int) -> Path:
    return versions_root(state_dir, unit, year) / str(number)


def audit_xlsx_of(audit_md: Path) -> Path:
    """The annotated workbook written beside a ``…-审核.md``."""
    return Path(audit_md).with_name(Path(audit_md).name[: -len(".md")] + WORKBOOK_SUFFIX)
