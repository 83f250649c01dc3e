"""Logging in and out, changing one's password, CSRF tokens, and who may see what.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Strict), holding the
account's id, its ``epoch`` (raised when the password changes or the account is
disabled, so every older session ends at once) and the login time. A forged or
altered cookie fails its signature and is an empty session.

CSRF: written here rather than taken from flask-wtf (which would bring wtforms
for one check): a random token per session, put in every form by
``csrf_token()``, compared in constant time on every POST before the view runs.

Failed logins are counted per account and per address (``db.throttle``): from
``LOGIN_SLOW_AFTER`` failures on, the next attempt is refused until a delay has
passed (doubling up to ``LOGIN_DELAY_MAX``); at ``LOGIN_LOCK_AFTER`` (per
address ``LOGIN_IP_LOCK_AFTER``) the account (address) is locked for
``LOGIN_LOCK_SECONDS``. A refused attempt checks no password, so it costs the
server nothing; an unknown name costs the same hashing as a known one.
"""

from __future__ import annotations

import functools
import hmac
import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from ..messages import msg
from . import db
from .db import connection
from .passwords import MAX_LENGTH, MIN_LENGTH, hash_password, verify_password

bp = Blueprint("auth", __name__)

CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


# ------------------------------------------------------------------ CSRF


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a POST whose form (or X-CSRF-Token header) does not carry this session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(400, description=msg("web_csrf"))


# ------------------------------------------------------------------ the current account


def load_account() -> None:
    """Set ``g.account`` from the session, or None (not logged in, disabled, password changed, expired)."""
    g.account = None
    account_id = session.get("uid")
    if account_id is None:
        return
    account = db.account_by_id(connection(), account_id) if isinstance(account_id, int) else None
    hours = current_app.config["SESSION_HOURS"]
    if (account is None or not account.active or session.get("epoch") != account.epoch
            or time.time() - float(session.get("t", 0)) > hours * 3600):
        session.pop("uid", None)
        return
    g.account = account


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.account is None:
            return redirect(url_for("auth.login", next=request.path))
        if g.account.must_change and request.endpoint != "auth.password":
            return redirect(url_for("auth.password"))
        return view(*args, **kwargs)

    return wrapped


def bureau_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.account.bureau:
            abort(403, description=msg("web_bureau_only"))
        return view(*args, **kwargs)

    return wrapped


def home_for(account: db.Account) -> str:
    if account.bureau:
        return url_for("county.page")
    return url_for("unit.home", unit=account.unit)


# ------------------------------------------------------------------ failed logins


def _limits(username: str) -> list[tuple[str, int, int]]:
    """(key, failures before slowing, failures before locking) for the account and for the address."""
    cfg = current_app.config
    return [(db.user_key(username), cfg["LOGIN_SLOW_AFTER"], cfg["LOGIN_LOCK_AFTER"]),
            (f"ip:{request.remote_addr or '-'}", cfg["LOGIN_IP_SLOW_AFTER"], cfg["LOGIN_IP_LOCK_AFTER"])]


def _delay(failures: int, slow_after: int) -> float:
    """Seconds to wait before the next attempt after ``failures`` failed ones."""
    cfg = current_app.config
    if failures < slow_after:
        return 0.0
    return min(cfg["LOGIN_DELAY"] * 2 ** (failures - slow_after), cfg["LOGIN_DELAY_MAX"])


def _refusal(limits: list[tuple[str, int, int]], now: float) -> str | None:
    """Why this attempt is refused before any password is checked (locked, or too soon), or None."""
    con = connection()
    for key, slow_after, _ in limits:
        f = db.failures(con, key)
        if f.locked_until > now:
            return msg("web_login_locked", minutes=max(1, math.ceil((f.locked_until - now) / 60)))
        wait = f.last + _delay(f.failures, slow_after) - now
        if f.failures and wait > 0:
            return msg("web_login_slow", seconds=max(1, math.ceil(wait)))
    return None


def _failed(limits: list[tuple[str, int, int]], now: float) -> None:
    con = connection()
    cfg = current_app.config
    db.prune_failures(con, now - 4 * cfg["LOGIN_WINDOW"], now)
    for key, _, lock_after in limits:
        f = db.failures(con, key)
        if f.locked_until and f.locked_until <= now or now - f.last > cfg["LOGIN_WINDOW"]:
            f = db.Failures()  # a lock served, or a quiet window: counting starts again
        count = f.failures + 1
        locked = now + cfg["LOGIN_LOCK_SECONDS"] if count >= lock_after else 0.0
        db.set_failures(con, key, db.Failures(count, now, locked))


def normalize_username(name: str) -> str:
    return unicodedata.normalize("NFKC", name or "").strip()


# ------------------------------------------------------------------ views


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if g.account is not None:
            return redirect(home_for(g.account))
        return render_template("login.html", error=None, username="")
    username = normalize_username(request.form.get("username", ""))[:100]
    password = request.form.get("password", "")
    now = time.time()
    limits = _limits(username)
    refused = _refusal(limits, now)
    if refused:
        return render_template("login.html", error=refused, username=username), 429
    con = connection()
    account = db.account_by_name(con, username) if username else None
    ok = verify_password(password, account.password if account else None)
    if not ok or account is None or not account.active:
        _failed(limits, now)
        error = msg("web_login_disabled") if ok and account is not None else msg("web_login_failed")
        return render_template("login.html", error=error, username=username), 401
    db.clear_failures(con, limits[0][0])
    db.touch_login(con, account.id)
    session.clear()  # a fresh session (and CSRF token) for the logged-in account
    session.update(uid=account.id, epoch=account.epoch, t=now, csrf=secrets.token_urlsafe(32))
    if account.must_change:
        return redirect(url_for("auth.password"))
    target = request.args.get("next", "")
    if not (target.startswith("/") and not target.startswith("//") and "\\" not in target):
        target = home_for(account)
    return redirect(target)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    account = g.account
    if request.method == "GET":
        return render_template("password.html", error=None)
    current = request.form.get("current", "")
    new, again = request.form.get("new", ""), request.form.get("again", "")
    now = time.time()
    limits = _limits(account.username)  # guessing the current password is a failed login too
    refused = _refusal(limits, now)
    if refused:
        return render_template("password.html", error=refused), 429
    error = None
    if not verify_password(current, account.password):
        _failed(limits, now)
        error = msg("web_password_wrong")
    elif len(new) < MIN_LENGTH or len(new) > MAX_LENGTH:
        error = msg("web_password_length", min=MIN_LENGTH, max=MAX_LENGTH)
    elif new != again:
        error = msg("web_password_mismatch")
    elif new == current:
        error = msg("web_password_same")
    elif new.casefold() == account.username.casefold():
        error = msg("web_password_is_name")
    if error:
        return render_template("password.html", error=error), 400
    con = connection()
    db.set_password(con, account.id, hash_password(new), must_change=False)
    db.clear_failures(con, limits[0][0])
    fresh = db.account_by_id(con, account.id)
    session.update(epoch=fresh.epoch, t=time.time(), csrf=secrets.token_urlsafe(32))  # this session goes on
    return redirect(home_for(fresh))
