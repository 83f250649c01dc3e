"""The review season (issue 25): every upload a numbered version, the state of each unit's year, submitting,
sending back with comments, approving, what changed between versions, deadlines, sampling for 复核.

Versions live in ``DATA/.web/versions/<unit>/<year>/<n>/``: ``workbook.xlsx`` as uploaded, and once its report
is made ``template.docx`` (the template it was made with) and ``out/`` (the report, its tables, the audit lists,
the PDF). A folder is written once and never changed; the database (``db.versions``) says which are rejected
and why. The unit's current version is the last good one: its workbook is ``data/<unit>/<year>.xlsx``, the one
the CLI reads; a rejected upload never reaches ``data/``.

States per unit and year (``db.review``; none yet is 未收到 or 草稿): 已提交 → 已退回 | 已通过, 已退回 →
已提交 (a new or the same version), 已通过 → 已退回 (reopened by the bureau). A submitted or approved version is
never regenerated; a new upload is a new draft beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import re
import secrets
import shutil
import threading
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, send_file, url_for

from ..compare import Comparison, compare_workbooks, docx_paragraphs, show
from .. import layout
from ..errors import ERROR, SEP, UserError
from ..formats.xlsx_write import Sheet, Styles, package
from ..layout import RULES_NAME, valid_year
from ..messages import msg
from ..names import lookup
from ..rules import NATIONAL_GRADES, SHEET_GRADES, Rules, load_rules
from . import db
from .access import allowed, unit_list
from .auth import bureau_required, login_required
from .db import connection
from .state import Site, site

bp = Blueprint("review", __name__)

DRAFT, SUBMITTED, RETURNED, APPROVED, NOT_RECEIVED = "draft", "submitted", "returned", "approved", "none"
STATE_NAMES = {NOT_RECEIVED: "未收到", DRAFT: "草稿", SUBMITTED: "已提交", RETURNED: "已退回", APPROVED: "已通过"}
LOCKED = (SUBMITTED, APPROVED)  # the version under these states cannot be changed by the unit
ACTION_NAMES = {"submit": "提交审核", "return": "退回", "approve": "通过", "reopen": "重新打开", "recheck": "复核"}
NOTE_NAMES = {"finding": "审核发现", "cell": "单元格", "paragraph": "报告段落", "explanation": "说明"}
VERSION_FILES = ("docx", "tables", "pdf", "audit_xlsx", "audit_md")
COMMENT_MAX = 4000
PINS = 3  # rows for comments pinned to a cell or a paragraph in the 退回 form
CELL = re.compile(r"\s*([^\s›!]+)\s*(?:›|!|\s)\s*\$?([A-Za-z]{1,3})\$?([1-9]\d{0,6})\s*")
_compare_cache: dict[tuple, Comparison] = {}
_compare_lock = threading.Lock()


class Refused(Exception):
    """A step the rules do not allow (Chinese)."""


# ------------------------------------------------------------------ versions on disk


def versions_root(s: Site, unit: str, year: int) -> Path:
    return layout.versions_root(s.state_dir, unit, year)


def version_dir(s: Site, unit: str, year: int, number: int) -> Path:
    return layout.version_dir(s.state_dir, unit, year, number)


def _write_new(path: Path, data: bytes) -> None:
    """A version's first file, written once; a folder left by an earlier database of the same number is kept
    aside (``<n>.earlier-<time>``), never overwritten."""
    if path.parent.exists():
        path.parent.rename(path.parent.with_name(f"{path.parent.name}.earlier-{dt.datetime.now():%Y%m%d%H%M%S%f}"))
    path.parent.mkdir(parents=True)
    with open(path, "xb") as fh:
        fh.write(data)


def record_upload(con: Any, s: Site, unit: str, year: int, account: str, data: bytes, ok: bool,
                  message: str | None, unless_current: bool = False) -> int | None:
    """Keep an upload as the unit's next version (rejected unless ``ok``, with its messages); None when
    ``unless_current`` and the current version has these bytes."""
    number = db.add_version(con, unit, year, account, ok, hashlib.sha256(data).hexdigest(), len(data),
                            None if ok else message, unless_current)
    if number is not None:
        _write_new(version_dir(s, unit, year, number) / layout.VERSION_WORKBOOK, data)
    return number


def received(unit: str, year: int, data: bytes, outcome: Any) -> Any:
    """An upload the site stored (or refused) kept as the unit's next version; the outcome as the page says it."""
    from .state import Outcome

    s, con = site(), connection()
    if outcome.ok:
        number = record_upload(con, s, unit, year, g.account.username, data, True, None)
        rebuild_summary(con, s, year)
        return Outcome(True, msg("web_workbook_stored_version", year=year, number=number), outcome.lines,
                       outcome.state)
    current = current_version(con, s, unit, year)
    number = record_upload(con, s, unit, year, g.account.username, data, False,
                           "\n".join([outcome.message, *outcome.lines]))
    head = msg("web_workbook_rejected", number=number, current=msg("web_workbook_rejected_current",
                                                                    number=current["number"]) if current else "")
    said = s.display(outcome.error.header or "") if outcome.error is not None else outcome.message
    return Outcome(False, head + "\n" + said, outcome.lines, outcome.state, error=outcome.error)


def current_version(con: Any, s: Site, unit: str, year: int) -> Any:
    """The unit's current version: the last good one, when it is the workbook in ``data/``; a workbook put there
    by other means (the CLI, a copy) becomes a version of its own, recorded as the folder's."""
    path = s.workbook_path(unit, year)
    if path.is_symlink() or not path.is_file():
        return None
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    last = db.last_good_version(con, unit, year)
    if last is not None and last["sha256"] == digest:
        return last
    record_upload(con, s, unit, year, msg("web_version_folder"), data, True, None, unless_current=True)
    return db.last_good_version(con, unit, year)


def state_of(con: Any, unit: str, year: int, has_versions: bool) -> tuple[str, Any]:
    """(state, the review row or None)."""
    row = db.review(con, unit, year)
    if row is not None:
        return row["state"], row
    return (DRAFT if has_versions else NOT_RECEIVED), None


def locked_number(con: Any, unit: str, year: int) -> int | None:
    """The version the unit may no longer change (submitted or approved), if any."""
    row = db.review(con, unit, year)
    return row["version"] if row is not None and row["state"] in LOCKED else None


def refuse_generate(con: Any, s: Site, unit: str, year: int) -> str | None:
    """Why the unit's current version may not be (re)generated: it is the one submitted or approved."""
    current = current_version(con, s, unit, year)
    locked = locked_number(con, unit, year)
    if current is not None and locked is not None and current["number"] == locked:
        return msg("web_review_locked", number=locked, state=STATE_NAMES[db.review(con, unit, year)["state"]])
    return None


def record_generated(con: Any, s: Site, unit: str, year: int, report: Any, rebuild: bool = True) -> None:
    """Keep what a generation (the unit's, or 全部生成) made with the current version: its files, its template,
    its audit and scores. A draft regenerated gets the new files; a submitted or approved version keeps its own."""
    current = current_version(con, s, unit, year)
    if current is None or report is None or report.error is not None or locked_number(con, unit, year) == \
            current["number"]:
        return
    folder = version_dir(s, unit, year, current["number"])
    staging = folder.with_name(f".{current['number']}-{secrets.token_hex(4)}")
    staging.mkdir(parents=True)
    try:
        out, template = layout.VERSION_OUTPUT, layout.VERSION_TEMPLATE
        (staging / out).mkdir()
        for path in report.outputs:
            if Path(path).is_file():
                shutil.copyfile(path, staging / out / Path(path).name)
        shutil.copyfile(report.template, staging / template)
        shutil.rmtree(folder / out, ignore_errors=True)  # a draft regenerated: its earlier files are replaced
        (staging / out).replace(folder / out)
        (staging / template).replace(folder / template)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    ordered = sorted(report.findings, key=lambda f: f.severity != ERROR)  # errors first, as the audit lists them
    findings = [[finding_key(f), f.severity, where_of(f), f.message] for f in ordered]
    values = report.context
    db.set_version_generated(con, unit, year, current["number"], Path(report.template).parent.name,
                             sum(f[1] == ERROR for f in findings), sum(f[1] != ERROR for f in findings),
                             _text(figure(values, "自评.总分")), _text(figure(values, "预算.执行率")),
                             json.dumps(findings, ensure_ascii=False))
    if rebuild:
        rebuild_summary(con, s, year)


def figure(values: dict[str, Any], name: str) -> Any:
    try:
        return lookup(values, name)
    except KeyError:
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def where_of(finding: Any) -> str:
    return SEP.join(finding.cells[0].split(SEP)[1:]) if finding.cells else finding.sheet


def finding_key(finding: Any) -> str:
    return finding.id + "|" + "|".join(SEP.join(c.split(SEP)[1:]) for c in finding.cells)


def version_file(s: Site, unit: str, year: int, number: int, kind: str) -> Path | None:
    folder = version_dir(s, unit, year, number)
    if kind == "workbook":
        path = folder / layout.VERSION_WORKBOOK
    elif kind == "template":
        path = folder / layout.VERSION_TEMPLATE
    elif kind in VERSION_FILES:
        found = [p for p in sorted((folder / layout.VERSION_OUTPUT).glob("*")) if layout.kind_of(p.name) == kind]
        path = found[0] if found else folder / "none"
    else:
        return None
    return path if path.is_file() and not path.is_symlink() else None


def download_name(year: int, number: int, path: Path, kind: str) -> str:
    """A version's file named so that two downloads never share a name: ``2024-第3版-….docx``."""
    return msg("web_version_file", year=year, number=number, name=path.name if kind != "workbook" else layout.WORKBOOK_DOWNLOAD)


# ------------------------------------------------------------------ comparison


def comparison(s: Site, unit: str, year: int, a: int, b: int) -> Comparison:
    """What changed from version ``a`` to ``b`` (cached: versions never change once their report is made; the
    county's rules, which score both, may: their file's time is part of the key)."""
    rules_file = layout.rules_path(s.data_dir)
    key = (str(s.state_dir), unit, year, a, b, rules_file.stat().st_mtime_ns if rules_file.is_file() else None)
    with _compare_lock:
        if key in _compare_cache:
            return _compare_cache[key]
    templates = [version_file(s, unit, year, n, "template") for n in (a, b)]
    result = compare_workbooks(version_file(s, unit, year, a, "workbook"), version_file(s, unit, year, b, "workbook"),
                               year, s.templates_dir, unit=unit, old_template=templates[0],
                               new_template=templates[1], rules=county_rules(s, year))
    for side, n in ((result.old, a), (result.new, b)):
        side.name = msg("web_version_name", number=n)
        if side.problem:
            side.problem = s.display(side.problem)
    if all(templates):
        with _compare_lock:
            _compare_cache[key] = result
    return result


# ------------------------------------------------------------------ what the unit's page shows


def _row(row: Any) -> dict[str, Any]:
    """A version as the page shows it (its scores as numbers)."""
    out = dict(row)
    out["score"], out["rate"] = _decimal(row["score"]), _decimal(row["rate"])
    return out


def parse_findings(row: Any) -> list[dict[str, str]]:
    if row is None or not row["findings"]:
        return []
    return [{"key": k, "severity": sev, "where": where, "message": text}
            for k, sev, where, text in json.loads(row["findings"])]


def unit_view(unit: str, year: int) -> dict[str, Any]:
    """The review part of a unit's page: versions, state, steps with their notes, the forms that apply."""
    s, con = site(), connection()
    current = current_version(con, s, unit, year)
    rows = [_row(r) for r in db.versions(con, unit, year)]
    state, review = state_of(con, unit, year, bool(rows))
    reviewed = db.version(con, unit, year, review["version"]) if review is not None else None
    last = rows[0] if rows else None
    rejected = last if last is not None and not last["ok"] else None
    steps = db.steps(con, unit, year)
    notes = db.notes(con, [st["id"] for st in steps])
    can_submit = current is not None and current["generated"] is not None and state not in LOCKED
    # what changed: from the version under review to a newer draft, or, once the corrected version is the one
    # under review, from the version last sent back to it
    base, target = reviewed, current
    if reviewed is not None and current is not None and reviewed["number"] == current["number"]:
        back = next((st for st in steps if st["action"] in ("return", "reopen") and st["version"] != reviewed["number"]),
                    None)
        base = db.version(con, unit, year, back["version"]) if back is not None else None
    changed = None
    if (base is not None and target is not None and base["number"] != target["number"]
            and version_file(s, unit, year, base["number"], "workbook") is not None):
        changed = comparison(s, unit, year, base["number"], target["number"])
    pins = _pins(s, unit, year, steps, notes, current)
    rules = county_rules(s, year)
    recheck = db.rechecks(con, year).get(unit) if g.account.bureau else None
    return {
        "review_state": state, "review_state_name": STATE_NAMES[state], "review": review, "reviewed": reviewed,
        "current": current, "versions": rows, "changed_from": base["number"] if changed else None,
        "changed_to": target["number"] if changed else None, "rejected": rejected, "steps": steps, "notes": notes,
        "can_submit": can_submit, "current_findings": parse_findings(current),
        "reviewed_findings": parse_findings(reviewed), "changed": changed, "pins": pins, "pin_rows": PINS,
        "action_names": ACTION_NAMES, "note_names": NOTE_NAMES, "state_names": STATE_NAMES,
        "locked": locked_number(con, unit, year), "bands": bands_text(rules),
        "score_items": score_items(s.state(year, unit).values) if g.account.bureau else [],
        "paragraphs": report_paragraphs(s, unit, year, review["version"]) if g.account.bureau and state == SUBMITTED
        else [],
        "recheck": recheck,
        "recheck_grade": rules.grade(_decimal(recheck["score"])) if recheck is not None and rules else None,
    }


def _pins(s: Site, unit: str, year: int, steps: list, notes: dict, current: Any) -> dict[int, dict[str, Any]]:
    """For each cell a comment was pinned to: its value then and now (note id → {old, new, changed})."""
    out: dict[int, dict[str, Any]] = {}
    if current is None:
        return out
    for st in steps:
        for note in notes.get(st["id"], []):
            if (note["kind"] != "cell" or st["version"] == current["number"]
                    or version_file(s, unit, year, st["version"], "workbook") is None):
                continue
            result = comparison(s, unit, year, st["version"], current["number"])
            old, new = result.old.cells.get(note["target"]), result.new.cells.get(note["target"])
            out[note["id"]] = {"old": show(old), "new": show(new), "changed": old != new,
                               "then": st["version"], "now": current["number"]}
    return out


def county_rules(s: Site, year: int) -> Rules | None:
    """The county's scoring rules of ``year``: ``评分规则.xlsx`` beside the units (national when it is absent or
    its 等级划分 is empty). Their bands grade every 自评分 and 复核分 on the page (``Rules.grade``, as the report's
    自评.等级); None when the workbook cannot be used (each unit's page lists its problems)."""
    try:
        return load_rules(s.data_dir, year)
    except (UserError, OSError):
        return None


def bands_text(rules: Rules | None) -> str:
    """The grade bands in force and where they come from, said wherever a grade is shown."""
    if rules is None:
        return msg("web_grade_bands_unusable", file=RULES_NAME)
    a, b, c = (plain(low) for _, low in rules.bands[:3])
    source = (msg("web_grade_source_county", file=RULES_NAME, sheet=SHEET_GRADES) if rules.grades
              else msg("web_grade_source_default"))
    return msg("web_grade_bands", source=source, a=a, b=b, c=c)


def bands_where() -> str:
    """Where the bureau sets the bands, and the default."""
    a, b, c = (plain(low) for _, low in NATIONAL_GRADES[:3])
    return msg("web_grade_bands_where", file=RULES_NAME, sheet=SHEET_GRADES, a=a, b=b, c=c)


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# ------------------------------------------------------------------ the steps


def _back(unit: str, year: int, anchor: str = "review") -> Any:
    return redirect(url_for("unit.show", unit=unit, year=year) + f"#{anchor}", code=303)


def _comment(name: str) -> str:
    return (request.form.get(name) or "").strip()[:COMMENT_MAX]


def submit(con: Any, s: Site, unit: str, year: int, account: str, number: int, explanations: dict[str, str]) -> None:
    """The unit submits version ``number`` (its current, generated one); every remaining audit error explained."""
    current = current_version(con, s, unit, year)
    state, review = state_of(con, unit, year, True)
    if state in LOCKED:
        raise Refused(msg("web_review_already", state=STATE_NAMES[state], number=review["version"]))
    if current is None or current["number"] != number:
        raise Refused(msg("web_review_not_current"))
    if current["generated"] is None:
        raise Refused(msg("web_review_not_generated"))
    errors = [f for f in parse_findings(current) if f["severity"] == ERROR]
    missing = [f for f in errors if not explanations.get(f["key"], "").strip()]
    if missing:
        raise Refused(msg("web_review_explain", count=len(missing)))
    notes = [("explanation", f"[{f['severity']}] {f['where']}：{f['message']}", explanations[f["key"]].strip())
             for f in errors]
    db.add_step(con, unit, year, number, account, "submit", None, SUBMITTED, notes)


def report_paragraphs(s: Site, unit: str, year: int, number: int) -> list[str]:
    """The paragraphs of a version's report, numbered from 1 as comments name them (none when not made)."""
    from ..formats.docx_package import PackageError

    path = version_file(s, unit, year, number, "docx")
    try:
        return docx_paragraphs(path.read_bytes()) if path is not None else []
    except (OSError, PackageError):
        return []


def shorten(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[:size] + "…"


def parse_cell(text: str) -> str | None:
    m = CELL.fullmatch(text or "")
    return f"{m.group(1)}{SEP}{m.group(2).upper()}{m.group(3)}" if m else None


@bp.route("/unit/<unit>/<int:year>/submit", methods=["POST"])
@login_required
def submit_view(unit: str, year: int) -> Any:
    allowed(unit, year)
    if g.account.bureau:
        abort(403, description=msg("web_review_unit_only"))
    s, con = site(), connection()
    try:
        number = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    current = db.version(con, unit, year, number)
    explanations = {f["key"]: _comment(f"explain-{i}") for i, f in enumerate(parse_findings(current))}
    try:
        submit(con, s, unit, year, g.account.username, number, explanations)
    except Refused as exc:
        flash(str(exc), "error")
        return _back(unit, year)
    rebuild_summary(con, s, year)
    flash(msg("web_review_submitted", number=number))
    return _back(unit, year)


@bp.route("/unit/<unit>/<int:year>/decide", methods=["POST"])
@bureau_required
def decide(unit: str, year: int) -> Any:
    """The bureau: 退回 (with 意见 and pinned comments), 通过, or reopen an approved version (with a comment)."""
    allowed(unit, year)
    s, con = site(), connection()
    action = request.form.get("action")
    state, review = state_of(con, unit, year, True)
    comment = _comment("comment")
    try:
        if action in ("return", "approve") and state != SUBMITTED:
            raise Refused(msg("web_review_not_submitted", state=STATE_NAMES[state]))
        if action == "reopen" and state != APPROVED:
            raise Refused(msg("web_review_not_approved", state=STATE_NAMES[state]))
        if action not in ("return", "approve", "reopen"):
            abort(400)
        if action in ("return", "reopen") and not comment:
            raise Refused(msg("web_review_comment_needed"))
        number = review["version"]
        notes = []
        if action == "return":
            for i, f in enumerate(parse_findings(db.version(con, unit, year, number))):
                text = _comment(f"finding-{i}")
                if text:
                    notes.append(("finding", f"[{f['severity']}] {f['where']}：{f['message']}", text))
            for i in range(PINS):
                kind, target, text = request.form.get(f"pin-kind-{i}"), _comment(f"pin-target-{i}"), \
                    _comment(f"pin-text-{i}")
                if not target and not text:
                    continue
                if kind == "cell":
                    where = parse_cell(target)
                    if where is None:
                        raise Refused(msg("web_review_bad_cell", value=target))
                elif kind == "paragraph" and target.isdigit() and 0 < int(target) <= len(paragraphs := report_paragraphs(
                        s, unit, year, number)):
                    where = msg("web_review_paragraph", number=int(target),
                                text=shorten(paragraphs[int(target) - 1]))
                else:
                    raise Refused(msg("web_review_bad_paragraph", value=target))
                if not text:
                    raise Refused(msg("web_review_pin_empty", target=where))
                notes.append((kind, where, text))
        new_state = {"return": RETURNED, "approve": APPROVED, "reopen": RETURNED}[action]
        db.add_step(con, unit, year, number, g.account.username, action, comment or None, new_state, notes)
    except Refused as exc:
        flash(str(exc), "error")
        return _back(unit, year)
    rebuild_summary(con, s, year)
    flash(msg(f"web_review_{action}ed" if action != "approve" else "web_review_approved", number=number))
    return _back(unit, year)


@bp.route("/unit/<unit>/<int:year>/v/<int:number>/<kind>")
@login_required
def version_download(unit: str, year: int, number: int, kind: str) -> Any:
    allowed(unit, year)
    path = version_file(site(), unit, year, number, kind)
    if path is None or db.version(connection(), unit, year, number) is None:
        abort(404, description=msg("web_file_missing"))
    return send_file(path, as_attachment=True, download_name=download_name(year, number, path, kind))


@bp.route("/unit/<unit>/<int:year>/compare")
@login_required
def compare_view(unit: str, year: int) -> Any:
    from flask import render_template

    allowed(unit, year)
    con = connection()
    try:
        a, b = int(request.args.get("a", "")), int(request.args.get("b", ""))
    except ValueError:
        abort(400)
    rows = {n: db.version(con, unit, year, n) for n in (a, b)}
    if any(r is None or not r["ok"] for r in rows.values()):
        abort(404)
    result = comparison(site(), unit, year, a, b)
    return render_template("compare.html", unit=unit, year=year, a=a, b=b, result=result, show=show)


# ------------------------------------------------------------------ the county


@dataclass
class CountyRow:
    unit: str
    state: str
    state_name: str
    version: int | None
    submitted: float | None
    errors: int | None
    score: Decimal | None
    recheck: Decimal | None
    grade: str | None
    late: bool


def _decimal(text: Any) -> Decimal | None:
    if text in (None, ""):
        return None
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def county_rows(con: Any, s: Site, year: int, units: list[str]) -> list[CountyRow]:
    checks, rules = db.rechecks(con, year), county_rules(s, year)
    day = deadline_day(con, year)
    late_now = day is not None and dt.date.today() > day
    out, names = [], None
    for unit in units:
        current = current_version(con, s, unit, year)
        has = current is not None or bool(db.versions(con, unit, year))
        state, review = state_of(con, unit, year, has)
        shown = db.version(con, unit, year, review["version"]) if review is not None else current
        score = _decimal(shown["score"]) if shown is not None else None
        if score is None and shown is not None and current is not None and shown["number"] == current["number"]:
            names = s.names(year) if names is None else names  # (once for the page)
            score = figure(s.state(year, unit, names).values, "自评.总分")  # made outside the page (全部生成, CLI)
        recheck = _decimal(checks[unit]["score"]) if unit in checks else None
        submitted = review["submitted"] if review is not None else None
        late = day is not None and ((submitted is None and late_now) or
                                    (submitted is not None and dt.date.fromtimestamp(submitted) > day))
        out.append(CountyRow(unit, state, STATE_NAMES[state], shown["number"] if shown is not None else None,
                             submitted, shown["errors"] if shown is not None else None, score, recheck,
                             rules.grade(recheck if recheck is not None else score) if rules else None, late))
    return out


def county_view(con: Any, year: int, rows: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    """The season's part of the county page: counts by state, the deadline, the draws, the 复核 scores."""
    day = deadline_day(con, year)
    seasons = [r["season"] for r in rows]
    return {
        "state_names": STATE_NAMES, "wanted": wanted if wanted in STATE_NAMES else None,
        "state_counts": {k: sum(r.state == k for r in seasons) for k in STATE_NAMES},
        "deadline": day, "days_left": (day - dt.date.today()).days if day else None,
        "late": [r.unit for r in seasons if r.late],
        "samples": [{"time": r["time"], "account": r["account"], "how": how_text(r["how"]), "seed": r["seed"],
                     "drawn": json.loads(r["drawn"]), "pool": len(json.loads(r["pool"]))} for r in db.samples(con, year)],
        "sampled": sampled_units(con, year), "pool": [r.unit for r in seasons if r.state in (SUBMITTED, APPROVED)],
        "bands": bands_text(county_rules(site(), year)), "bands_where": bands_where(),
        "grade_same": msg("web_grade_same"),
    }


def _year(year: int) -> None:
    if not valid_year(year):
        abort(404)


def how_text(how: str) -> str:
    """"count:3" → 按个数 3; "share:20" → 按比例 20%; "pick" → 指定."""
    kind, _, amount = how.partition(":")
    return msg(f"web_sample_how_{kind}", amount=amount)


def deadline_day(con: Any, year: int) -> dt.date | None:
    row = db.deadline(con, year)
    return dt.date.fromisoformat(row["day"]) if row is not None else None


@bp.route("/county/<int:year>/deadline", methods=["POST"])
@bureau_required
def set_deadline(year: int) -> Any:
    _year(year)
    text = (request.form.get("day") or "").strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        flash(msg("web_deadline_bad", value=text), "error")
        return redirect(url_for("county.show", year=year), code=303)
    db.set_deadline(connection(), year, day.isoformat(), g.account.username)
    flash(msg("web_deadline_set", day=day.isoformat()))
    return redirect(url_for("county.show", year=year), code=303)


def draw(pool: list[str], how: str, amount: str, seed: str) -> list[str]:
    """Units drawn from ``pool`` (sorted) by ``seed``: ``amount`` of them ("count") or that share ("share", a
    percentage), at least one. The same pool and seed draw the same units."""
    pool = sorted(pool)
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise Refused(msg("web_sample_bad_amount", value=amount)) from None
    if how == "share":
        if not 0 < value <= 100:
            raise Refused(msg("web_sample_bad_amount", value=amount))
        count = max(1, int((value * len(pool) / 100).to_integral_value(rounding="ROUND_HALF_UP")))
    else:
        if value != value.to_integral_value() or value < 1:
            raise Refused(msg("web_sample_bad_amount", value=amount))
        count = min(int(value), len(pool))
    return sorted(random.Random(seed).sample(pool, count))


@bp.route("/county/<int:year>/sample", methods=["POST"])
@bureau_required
def sample(year: int) -> Any:
    _year(year)
    con, s = connection(), site()
    rows = county_rows(con, s, year, unit_list())
    pool = [r.unit for r in rows if r.state in (SUBMITTED, APPROVED)]
    how = request.form.get("how", "count")
    try:
        if how == "pick":
            drawn = sorted(u for u in request.form.getlist("unit") if u in pool)
            seed = None
            if not drawn:
                raise Refused(msg("web_sample_none_picked"))
        else:
            if not pool:
                raise Refused(msg("web_sample_empty"))
            seed = (request.form.get("seed") or "").strip()[:40] or str(secrets.randbelow(10**8))
            drawn = draw(pool, how, request.form.get("amount", ""), seed)
            how = f"{how}:{request.form.get('amount', '')}"
    except Refused as exc:
        flash(str(exc), "error")
        return redirect(url_for("county.show", year=year) + "#sampling", code=303)
    db.add_sample(con, year, g.account.username, how, seed, json.dumps(sorted(pool), ensure_ascii=False),
                  json.dumps(drawn, ensure_ascii=False))
    flash(msg("web_sample_drawn", count=len(drawn), units="、".join(drawn), seed=seed or "—"))
    return redirect(url_for("county.show", year=year) + "#sampling", code=303)


def score_items(values: dict[str, Any]) -> list[dict[str, Any]]:
    """What a 复核分 may be given for, item by item: 预算执行率 and each indicator, with its 分值 and 自评 score."""
    own = values.get("自评") or {}
    items = []
    if own.get("预算执行得分") is not None:
        items.append({"name": msg("web_recheck_budget"), "weight": Decimal(10), "score": own["预算执行得分"]})
    for row in (values.get("绩效指标") or {}).get("行") or []:
        if row.get("分值") is not None:
            items.append({"name": row.get("三级指标") or "", "weight": row["分值"], "score": row.get("得分")})
    return items


def recheck_total(items: list[dict[str, Any]], given: dict[int, str]) -> tuple[Decimal | None, dict[str, str], str | None]:
    """(the total, the items re-scored, why not): each given item within 0…its 分值; items not given keep their
    自评 score; an item without a 自评 score must be given."""
    total, scored = Decimal(0), {}
    for i, item in enumerate(items):
        text = given.get(i, "")
        if text:
            value = _decimal(text)
            if value is None or not 0 <= value <= item["weight"]:
                return None, {}, msg("web_recheck_item_bad", name=item["name"], value=text, weight=plain(item["weight"]))
            scored[item["name"]] = str(value)
        elif item["score"] is None:
            return None, {}, msg("web_recheck_item_missing", name=item["name"])
        else:
            value = item["score"]
        total += value
    return total, scored, None


@bp.route("/unit/<unit>/<int:year>/recheck", methods=["POST"])
@bureau_required
def recheck(unit: str, year: int) -> Any:
    """A 复核分 in total, or item by item (the total is then their sum, with the 自评 score of items not given)."""
    allowed(unit, year)
    text = (request.form.get("score") or "").strip()
    items = score_items(site().state(year, unit).values)
    given = {i: (request.form.get(f"item-{i}") or "").strip() for i in range(len(items))}
    scored: dict[str, str] = {}
    if text or not any(given.values()):
        score = _decimal(text)
        if score is None or not 0 <= score <= 100:
            flash(msg("web_recheck_bad", value=text), "error")
            return _back(unit, year, "recheck")
    else:
        score, scored, why = recheck_total(items, given)
        if why:
            flash(why, "error")
            return _back(unit, year, "recheck")
    con = connection()
    opinion = _comment("opinion")
    db.set_recheck(con, unit, year, str(score), json.dumps(scored, ensure_ascii=False) if scored else None,
                   opinion or None, g.account.username)
    state, review = state_of(con, unit, year, True)
    if review is not None:
        db.add_step(con, unit, year, review["version"], g.account.username, "recheck",
                    msg("web_recheck_step", score=score, opinion=opinion or "—"), None)
    rebuild_summary(con, site(), year)
    flash(msg("web_recheck_saved", score=score))
    return _back(unit, year, "recheck")


def sampled_units(con: Any, year: int) -> list[str]:
    """The units of the latest draw (every draw stays recorded; the latest is the one in force)."""
    rows = db.samples(con, year)
    return sorted(json.loads(rows[0]["drawn"])) if rows else []


@bp.route(f"/county/<int:year>/{layout.RECHECKS_DOWNLOAD}")
@bureau_required
def rechecks_xlsx(year: int) -> Any:
    _year(year)
    con, s = connection(), site()
    checks = db.rechecks(con, year)
    rows = {r.unit: r for r in county_rows(con, s, year, unit_list())}
    styles = Styles(border_rgb="FF999999")
    ws = Sheet("复核", styles)
    font, bold = ("宋体", 11, False), ("宋体", 11, True)
    ws.put(1, 1, msg("web_recheck_title", year=year), styles.xf(("宋体", 14, True)))
    rules = county_rules(s, year)
    ws.put(2, 1, bands_text(rules) + msg("web_grade_same"), styles.xf(font))
    headers = ["单位", "状态", "版本", "自评分", "复核分", "差额（复核−自评）", "等级", "复核意见"]
    for j, h in enumerate(headers, start=1):
        ws.put(3, j, h, styles.xf(bold, border=True))
    units = sorted(set(sampled_units(con, year)) | set(checks))
    for i, unit in enumerate(units, start=4):
        r = rows.get(unit)
        check = checks.get(unit)
        self_score = r.score if r else None
        re_score = _decimal(check["score"]) if check else None
        values = [unit, r.state_name if r else "", r.version if r else None, self_score, re_score,
                  re_score - self_score if re_score is not None and self_score is not None else None,
                  rules.grade(re_score) if rules else None, check["opinion"] if check else None]
        for j, v in enumerate(values, start=1):
            number = j in (4, 5, 6) and v is not None
            ws.put(i, j, v, styles.xf(font, border=True, number_format="0.00" if number else "General"))
    ws.char_widths = (16, 8, 6, 10, 10, 16, 6, 40)
    sheets = [ws]
    itemized = [(u, json.loads(checks[u]["items"])) for u in units if u in checks and checks[u]["items"]]
    if itemized:  # the scores given item by item
        items = Sheet("逐项复核", styles)
        for j, h in enumerate(("单位", "项目", "复核分"), start=1):
            items.put(1, j, h, styles.xf(bold, border=True))
        row = 2
        for unit, scored in itemized:
            for name, value in scored.items():
                for j, v in enumerate((unit, name, Decimal(value)), start=1):
                    items.put(row, j, v, styles.xf(font, border=True, number_format="0.00" if j == 3 else "General"))
                row += 1
        items.char_widths = (16, 40, 10)
        sheets.append(items)
    return send_file(io.BytesIO(package(sheets, styles)), as_attachment=True,
                     download_name=msg("web_recheck_file", year=year),
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ------------------------------------------------------------------ the county summary, kept current


def rebuild_summary(con: Any, s: Site, year: int) -> str | None:
    """Write the county summary again from every unit's current version, with its state, version, 复核分 and
    grade, and when and of which versions it was made; None, or why it was not written (Chinese)."""
    from ..summary import Extra, write_summary
    from ..errors import UserError
    from ..pipeline import Report
    from ..write import Folder

    checks, rules = db.rechecks(con, year), county_rules(s, year)
    reports, values, held = [], {}, []
    names = s.names(year)
    for unit, _ in s._year_units(year):
        st = s.state(year, unit, names)
        current = current_version(con, s, unit, year)
        state, _ = state_of(con, unit, year, current is not None)
        report = Report(unit=unit, unit_name=(st.values.get("基本信息") or {}).get("单位全称") or unit, year=year,
                        workbook=st.workbook or s.workbook_path(unit, year), template=Path(),
                        context=st.values, findings=st.audit.findings if st.audit else [])
        if st.error is not None:
            report.error = s.display(st.error.render())
        reports.append(report)
        recheck = _decimal(checks[unit]["score"]) if unit in checks else None
        score = figure(st.values, "自评.总分")
        number = current["number"] if current is not None else None
        values[unit] = [STATE_NAMES[state], number, recheck,
                        rules.grade(recheck if recheck is not None else score) if rules else None]
        if number is not None:
            held.append(msg("web_summary_version", unit=unit, number=number))
    if not reports:
        return None
    extra = Extra(("审核状态", "版本", "复核分", "等级"), (8, 6, 8, 6), ("@", "0", "0.00", "@"), values,
                  msg("web_summary_note", time=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                      versions="、".join(held) or "—", bands=bands_text(rules)))
    try:
        with Folder(s.year_dir(year), wait=s.generate_wait) as folder:
            write_summary(year, reports, folder, force=True, extra=extra)
    except (UserError, OSError) as exc:
        return s.display(exc.render() if isinstance(exc, UserError) else str(exc))
    return None
