"""The county bureau's page: every unit's state, generate all (in the background, with progress), the county
summary workbook and every report in one zip."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, send_file, \
    url_for

from ..errors import ERROR, HINT
from ..layout import valid_year, zip_name
from ..messages import msg
from . import db, review
from .auth import bureau_required
from .db import connection
from .state import Job, counts, site
from .unit import figure

bp = Blueprint("county", __name__, url_prefix="/county")


def _year(year: int) -> None:
    if not valid_year(year):
        abort(404)


@bp.route("/")
@bureau_required
def page() -> Any:
    return redirect(url_for("county.show", year=site().default_year()))


@bp.route("/<int:year>/")
@bureau_required
def show(year: int) -> Any:
    _year(year)
    s = site()
    accounts = db.unit_accounts(connection())
    rows = []
    names = s.names(year)  # (once for the page, not for each row)
    for unit in s.units(list(accounts)):
        state = s.state(year, unit, names)
        errors, hints = counts(state)
        rows.append({
            "unit": unit, "accounts": accounts.get(unit, []), "state": state,
            "received": state.workbook is not None, "usable": state.error is None,
            "error": s.display(state.error.render()).splitlines()[0] if state.error is not None else None,
            "errors": errors, "hints": hints, "score": figure(state.values, "自评.总分"),
            "rate": figure(state.values, "预算.执行率"), "generated": s.generated_at(state), "stale": s.stale(state),
            "clash": s.clash(state, names), "name": (state.values.get("基本信息") or {}).get("单位全称"),
        })
    con = connection()
    for row, season in zip(rows, review.county_rows(con, s, year, [r["unit"] for r in rows]), strict=True):
        row["season"] = season
    wanted = request.args.get("state")
    shown = [r for r in rows if not wanted or r["season"].state == wanted]
    return render_template("county.html", year=year, years=s.year_choices(year), rows=shown, job=s.job(year),
                           running=s.running_job(), summary=s.summary_file(year), convert=s.can_convert(),
                           received=sum(r["received"] for r in rows), **review.county_view(con, year, rows, wanted))


def _record_batch(job: Job, reports: Any) -> None:
    """Each unit's line in its history (from the batch thread, with its own connection)."""
    if reports is None:
        return
    con = db.connect(current_app.config["DB_PATH"])
    try:
        for report in reports:
            errors = sum(1 for f in report.findings if f.severity == ERROR) if report.error is None else None
            hints = sum(1 for f in report.findings if f.severity == HINT) if report.error is None else None
            detail = report.error or report.pdf_error or msg("web_generated", year=job.year)
            db.add_history(con, report.unit, job.year, job.account, "generate", report.error is None, errors, hints,
                           detail=site().display(detail)[:8000])
            review.record_generated(con, site(), report.unit, job.year, report, rebuild=False)
        review.rebuild_summary(con, site(), job.year)  # with each unit's state, version and 复核分
    finally:
        con.close()


@bp.route("/<int:year>/generate", methods=["POST"])
@bureau_required
def generate(year: int) -> Any:
    _year(year)
    s = site()
    pdf = request.form.get("pdf") == "1" and s.can_convert() is None
    app = current_app._get_current_object()

    def done(job: Job, reports: Any) -> None:
        with app.app_context():
            _record_batch(job, reports)

    job, text = s.start_batch(year, g.account.username, pdf, done)
    flash(text, "ok" if job else "error")
    return redirect(url_for("county.show", year=year), code=303)


@bp.route("/<int:year>/progress")
@bureau_required
def progress(year: int) -> Any:
    _year(year)
    job = site().job(year)
    if job is None:
        return jsonify({"year": year, "running": False, "done": 0, "total": 0, "lines": [], "ok": None})
    return jsonify(job.as_json())


@bp.route("/<int:year>/summary")
@bureau_required
def summary(year: int) -> Any:
    _year(year)
    path = site().summary_file(year)
    if path is None:
        abort(404, description=msg("web_summary_missing"))
    return send_file(path, as_attachment=True, download_name=path.name)


@bp.route("/<int:year>/reports.zip")
@bureau_required
def reports_zip(year: int) -> Any:
    _year(year)
    s = site()
    archive, count = s.reports_zip(year, s.units(list(db.unit_accounts(connection()))))
    if not count:
        archive.close()
        abort(404, description=msg("web_zip_empty", year=year))
    return send_file(archive, as_attachment=True, download_name=zip_name(year),
                     mimetype="application/zip")
