"""Accounts (the bureau only): create a unit's or the bureau's account with a one-time password, reset a
password (asked first on a page of its own; it also lifts a lock), disable and enable."""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from ..layout import valid_unit
from ..messages import msg
from . import db
from .auth import bureau_required, normalize_username
from .db import connection
from .passwords import hash_password, one_time_password
from .state import site

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERNAME = re.compile(r"[\w.\-]{2,40}")  # letters (Chinese too), digits, . _ -


def valid_username(name: str) -> bool:
    return bool(USERNAME.fullmatch(name)) and not name.startswith(".")


def _page(error: str | None = None, status: int = 200, form: dict[str, str] | None = None) -> Any:
    con = connection()
    now = time.time()
    names = db.locked_accounts(con, now)
    locked = {a.id for a in db.accounts(con) if a.username in names}
    return render_template("accounts.html", accounts=db.accounts(con), units=site().units(list(db.unit_accounts(con))),
                           locked=locked, error=error, form=form or {}), status


@bp.route("/accounts", methods=["GET"])
@bureau_required
def accounts() -> Any:
    return _page()


@bp.route("/accounts", methods=["POST"])
@bureau_required
def create() -> Any:
    username = normalize_username(request.form.get("username", ""))
    role = request.form.get("role", db.UNIT)
    unit = request.form.get("unit", "").strip() or None  # as the folder is named (no normalization)
    form = {"username": username, "role": role, "unit": unit or ""}
    if not valid_username(username):
        return _page(msg("web_username_invalid"), 400, form)
    if role not in (db.UNIT, db.BUREAU):
        abort(400)
    if role == db.UNIT and not valid_unit(unit):
        return _page(msg("web_unit_invalid", unit=unit or ""), 400, form)
    password = one_time_password()
    try:
        db.create_account(connection(), username, role, unit if role == db.UNIT else None, hash_password(password))
    except sqlite3.IntegrityError:
        return _page(msg("web_username_exists", name=username), 400, form)
    return render_template("created.html", username=username, password=password, role=role, unit=unit,
                           reset=False)


def _account(account_id: int) -> db.Account:
    account = db.account_by_id(connection(), account_id)
    if account is None:
        abort(404)
    return account


@bp.route("/accounts/<int:account_id>/reset", methods=["GET"])
@bureau_required
def confirm_reset(account_id: int) -> Any:
    """Ask before a reset: the old password stops working at once and the account's sessions end."""
    return render_template("reset.html", target=_account(account_id))


@bp.route("/accounts/<int:account_id>/reset", methods=["POST"])
@bureau_required
def reset(account_id: int) -> Any:
    account = _account(account_id)
    password = one_time_password()
    con = connection()
    db.set_password(con, account.id, hash_password(password), must_change=True)
    db.clear_account_failures(con, account.username)
    return render_template("created.html", username=account.username, password=password, role=account.role,
                           unit=account.unit, reset=True)


@bp.route("/accounts/<int:account_id>/active", methods=["POST"])
@bureau_required
def active(account_id: int) -> Any:
    account = _account(account_id)
    enable = request.form.get("active") == "1"
    if not enable and account.id == g.account.id:
        return _page(msg("web_disable_self"), 400)
    db.set_active(connection(), account.id, enable)
    return redirect(url_for("admin.accounts"), code=303)
