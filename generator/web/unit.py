"""A unit's page: its workbook and audit, its report, its template, its history.

Every URL names the unit and the year; ``allowed`` refuses a unit account any
unit but its own (whatever the name looks like) before anything is read, and
the bureau any name that is not a unit. Every file is found from (unit, year,
kind) through ``state.Site``, never from a path the client gives.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any, BinaryIO

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for

from ..errors import UserError
from ..messages import msg
from . import db, review
from .access import allowed
from .auth import login_required
from .db import connection
from .review import figure
from .state import OUTPUT_KINDS, Outcome, short_cell, site

bp = Blueprint("unit", __name__, url_prefix="/unit")

KINDS = (*OUTPUT_KINDS, "audit", "workbook", "blank", "template")
DETAIL_MAX = 8000  # characters of a message kept in the history
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def view_model(unit: str, year: int) -> dict[str, Any]:
    """Everything the unit's page shows."""
    s = site()
    state = s.state(year, unit)
    findings = []
    if state.audit is not None:
        for f in state.audit.ordered():
            findings.append({"severity": f.severity, "sheet": f.sheet, "cells": [short_cell(c) for c in f.cells],
                             "message": s.display(f.message)})
    problems = []
    if state.error is not None:
        header = state.error.header
        problems = [{"where": s.display(str(p.location)) if p.location else "", "message": s.display(p.message)}
                    for p in state.error.problems]
    else:
        header = None
    template, own = s.template_of(unit)
    con = connection()
    last_check = db.last_history(con, unit, year, "template")
    return {
        "unit": unit, "year": year, "years": s.year_choices(year), "state": state, "findings": findings,
        "problems": problems, "problems_header": s.display(header) if header else None,
        "notices": [s.display(str(n)) for n in (state.audit.notices if state.audit else [])],
        "files": {k: s.output_file(state, k) for k in OUTPUT_KINDS},
        "generated": s.generated_at(state), "stale": s.stale(state), "clash": s.clash(state),
        "score": figure(state.values, "自评.总分"), "grade": figure(state.values, "自评.等级"),  # (by 评分规则.xlsx)
        "rate": figure(state.values, "预算.执行率"),
        "template": template.name if template else None, "own_template": own,
        "convert": s.can_convert(), "history": db.history(con, unit),
        "last_check": last_check, "previous": s.workbook_path(unit, year - 1).is_file(),
        "has_workbook": state.workbook is not None, **review.unit_view(unit, year),
    }


def page(unit: str, year: int, outcome: Outcome | None = None, area: str | None = None, status: int = 200) -> Any:
    s = site()
    refused = [{"where": s.display(str(p.location)) if p.location else "", "message": s.display(p.message)}
               for p in (outcome.error.problems if outcome is not None and outcome.error is not None else [])]
    return render_template("unit.html", outcome=outcome, area=area, refused=refused,
                           **view_model(unit, year)), status


@bp.route("/<unit>/")
@login_required
def home(unit: str) -> Any:
    allowed(unit)
    return redirect(url_for("unit.show", unit=unit, year=site().default_year()))


@bp.route("/<unit>/<int:year>/")
@login_required
def show(unit: str, year: int) -> Any:
    allowed(unit, year)
    return page(unit, year)


def _upload(name: str) -> Any:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload


class Hashed(io.RawIOBase):
    """An upload's stream read through (a chunk at a time, as it is copied to the staging folder) while its size
    and SHA-256 are taken, so the upload is never held in memory whole."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.size, self.digest = stream, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[:len(data)] = data
        self.size += len(data)
        self.digest.update(data)
        return len(data)


def _record(unit: str, year: int, kind: str, outcome: Outcome, data: Hashed | None = None) -> None:
    errors = hints = None
    if outcome.state is not None and outcome.state.audit is not None:
        errors, hints = len(outcome.state.audit.errors), len(outcome.state.audit.hints)
    detail = "\n".join([outcome.message, *outcome.lines]).strip()[:DETAIL_MAX]
    db.add_history(connection(), unit, year, g.account.username, kind, outcome.ok, errors, hints,
                   size=data.size if data is not None else None,
                   sha256=data.digest.hexdigest() if data is not None else None, detail=detail)


def _receive(unit: str, year: int, kind: str) -> Outcome | Any:
    """The uploaded file of ``kind`` ("workbook" | "template") checked and stored by the site, and recorded;
    a page (400) when nothing was sent."""
    allowed(unit, year)
    upload = _upload(kind)
    if upload is None:
        return page(unit, year, Outcome(False, msg("web_upload_none")), kind, 400)
    data = Hashed(upload.stream)  # (werkzeug has spooled a large upload to a temporary file as it arrived)
    store = site().store_workbook if kind == "workbook" else site().store_template
    outcome = store(unit, year, data)
    if kind == "workbook":  # kept as a version (the workbook is at most MAX_WORKBOOK_MB)
        upload.stream.seek(0)
        outcome = review.received(unit, year, upload.stream.read(), outcome)
    _record(unit, year, kind, outcome, data)
    return outcome


@bp.route("/<unit>/<int:year>/workbook", methods=["POST"])
@login_required
def upload_workbook(unit: str, year: int) -> Any:
    outcome = _receive(unit, year, "workbook")
    if not isinstance(outcome, Outcome):
        return outcome
    if outcome.ok:
        flash(outcome.message)
        return redirect(url_for("unit.show", unit=unit, year=year) + "#audit", code=303)
    return page(unit, year, outcome, "workbook", 422)


@bp.route("/<unit>/<int:year>/template", methods=["POST"])
@login_required
def upload_template(unit: str, year: int) -> Any:
    outcome = _receive(unit, year, "template")
    if not isinstance(outcome, Outcome):
        return outcome
    return page(unit, year, outcome, "template", 200 if outcome.ok else 422)


@bp.route("/<unit>/<int:year>/generate", methods=["POST"])
@login_required
def generate(unit: str, year: int) -> Any:
    allowed(unit, year)
    pdf = request.form.get("pdf") == "1" and site().can_convert() is None
    force = request.form.get("force") == "1"
    refused = review.refuse_generate(connection(), site(), unit, year)
    if refused:
        return page(unit, year, Outcome(False, refused), "report", 409)
    outcome = site().generate(unit, year, pdf, force)
    if outcome.ok:
        review.record_generated(connection(), site(), unit, year, outcome.report)
    _record(unit, year, "generate", outcome)
    if outcome.ok and not outcome.lines:
        flash(outcome.message)
        return redirect(url_for("unit.show", unit=unit, year=year) + "#report", code=303)
    return page(unit, year, outcome, "report", 200 if outcome.ok else 422)


@bp.route("/<unit>/<int:year>/file/<kind>")
@login_required
def download(unit: str, year: int, kind: str) -> Any:
    allowed(unit, year)
    if kind not in KINDS:
        abort(404)
    s = site()
    if kind in OUTPUT_KINDS:
        path = s.output_file(s.state(year, unit), kind)
        if path is None:
            abort(404, description=msg("web_file_missing"))
        return send_file(path, as_attachment=True, download_name=path.name)
    if kind == "audit":
        made = s.audit_file(s.state(year, unit))
        if made is None:
            abort(404, description=msg("web_audit_missing"))
        return _bytes(*made)
    if kind == "workbook":
        path = s.workbook_path(unit, year)
        if path.is_symlink() or not path.is_file():
            abort(404, description=msg("web_file_missing"))
        return send_file(path, as_attachment=True, download_name=msg("web_current_name", year=year))
    if kind == "template":
        path, _ = s.template_of(unit)
        if path is None or not path.is_file():
            abort(404, description=msg("web_file_missing"))
        data = s.template_copy(path)
        if data is None:
            abort(404, description=msg("web_template_unusable"))
        return send_file(io.BytesIO(data), as_attachment=True, download_name=path.name, mimetype=DOCX_TYPE)
    try:  # blank: named apart from the unit's own workbook
        return _bytes(s.blank(unit, year)[0], msg("web_blank_name", year=year))
    except UserError as exc:
        return page(unit, year, Outcome(False, s.display(exc.render())), "workbook", 422)


def _bytes(data: bytes, name: str) -> Any:
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<unit>/<int:year>/pages")
@login_required
def pages(unit: str, year: int) -> Any:
    allowed(unit, year)
    s = site()
    state = s.state(year, unit)
    digest, images, why = s.pages(state)
    return render_template("pages.html", unit=unit, year=year, digest=digest, count=len(images), why=why,
                           name=state.names.get("docx"))


@bp.route("/<unit>/<int:year>/page/<digest>/<int:number>.png")
@login_required
def page_image(unit: str, year: int, digest: str, number: int) -> Any:
    allowed(unit, year)
    s = site()
    path = s.page_file(s.state(year, unit), digest, number)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png")
    return response
