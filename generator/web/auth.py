"""Logging in and out, changing one's password, CSRF tokens, and who may see what.

Sessions are kept on the server (``db.open_session``: a row per login, the
cookie holding its random token): logging out deletes the row, so a copy of the
cookie taken before is refused after; a new password, a reset or disabling
deletes every session of the account (the one changing its own password gets a
new one). The cookie is Flask's signed one (HttpOnly, SameSite=Strict) and also
holds the account's id and ``epoch`` (raised on the same occasions); a forged or
altered cookie fails its signature and is an empty session.

CSRF: written here rather than taken from flask-wtf (which would bring wtforms
for one check): a random token per session, put in every form by
``csrf_token()``, compared in constant time on every POST before the view runs.

Failed logins are counted per account from this address, per address, and per
account from anywhere (``_limits``). From ``LOGIN_SLOW_AFTER`` failures of an
account from one address, that address's next attempt for it is refused until a
delay has passed (doubling up to ``LOGIN_DELAY_MAX``); at ``LOGIN_LOCK_AFTER``
that address is locked out of that account for ``LOGIN_LOCK_SECONDS``. An
address is slowed from ``LOGIN_IP_SLOW_AFTER`` failures (whatever the names)
and locked at ``LOGIN_IP_LOCK_AFTER``. Failures from elsewhere never lock an
account: an address that has not failed is always let try (so ten wrong
passwords from anywhere cannot shut the bureau out of its only account); once
an account has ``LOGIN_ACCOUNT_ALERT`` failures from everywhere in the window,
each address that has failed for it waits from its first failure on. A refused
attempt checks no password, so it costs the server nothing; an unknown name, a
disabled account and a wrong password get the same answer after the same
hashing.
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
from urllib.parse import unquote, urlsplit

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
    """Set ``g.account`` from the session, or None (not logged in, logged out, disabled, password changed,
    expired)."""
    g.account = None
    account_id, token = session.get("uid"), session.get("sid")
    if account_id is None:
        return
    opened = db.session_of(connection(), token) if isinstance(token, str) else None
    account = db.account_by_id(connection(), account_id) if isinstance(account_id, int) else None
    hours = current_app.config["SESSION_HOURS"]
    if (opened is None or account is None or opened[0] != account.id or not account.active
            or session.get("epoch") != account.epoch or time.time() - opened[1] > hours * 3600):
        session.pop("uid", None)
        session.pop("sid", None)
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


def same_site(target: str) -> str | None:
    """``target`` when it is a path of this site, else None: it starts with one ``/`` (not ``//`` or ``/\\``,
    which a browser takes for another host), has no scheme, no backslash and nothing unprintable (a tab, CR or
    LF, which browsers drop, so ``/<tab>/host`` would become ``//host``) — neither as given nor percent-decoded."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    for text in (target, unquote(target)):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or not all(ch.isprintable() for ch in text)):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(account: db.Account) -> str:
    if account.bureau:
        return url_for("county.page")
    return url_for("unit.home", unit=account.unit)


# ------------------------------------------------------------------ failed logins


NEVER = 2 ** 62  # a count no one reaches: failures of an account from anywhere slow no one by themselves


def _limits(username: str) -> list[tuple[str, int, int]]:
    """(key, failures before slowing, failures before locking) of this attempt: the account from this address,
    this address, and the account from anywhere (counted only: once it passes ``LOGIN_ACCOUNT_ALERT`` in the
    window, an address that has failed for the account waits from its first failure on)."""
    cfg = current_app.config
    address = (request.remote_addr or "-").replace("/", "_")
    everywhere = db.failures(connection(), db.user_key(username))
    alert = (everywhere.failures >= cfg["LOGIN_ACCOUNT_ALERT"]
             and time.time() - everywhere.last <= cfg["LOGIN_WINDOW"])
    return [(db.pair_key(address, username), 1 if alert else cfg["LOGIN_SLOW_AFTER"], cfg["LOGIN_LOCK_AFTER"]),
            (f"ip:{address}", cfg["LOGIN_IP_SLOW_AFTER"], cfg["LOGIN_IP_LOCK_AFTER"]),
            (db.user_key(username), NEVER, NEVER)]


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
        if slow_after == NEVER:
            continue
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
    if not ok or account is None or not account.active:  # one answer: a name cannot be tested for existence
        _failed(limits, now)
        return render_template("login.html", error=msg("web_login_failed"), username=username), 401
    db.clear_failures(con, limits[0][0])
    db.touch_login(con, account.id)
    _open_session(account, now)
    if account.must_change:
        return redirect(url_for("auth.password"))
    return redirect(same_site(request.args.get("next", "")) or home_for(account))


def _open_session(account: db.Account, now: float) -> None:
    """A fresh session (token and CSRF token) for ``account``; sessions older than the longest are forgotten."""
    con = connection()
    db.prune_sessions(con, now - current_app.config["SESSION_HOURS"] * 3600)
    session.clear()
    session.update(uid=account.id, epoch=account.epoch, sid=db.open_session(con, account.id, now),
                   csrf=secrets.token_urlsafe(32))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    token = session.get("sid")
    if isinstance(token, str):
        db.end_session(connection(), token)  # a copy of the cookie no longer works
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
    _open_session(fresh, time.time())  # every other session of the account has ended; this one goes on
    return redirect(home_for(fresh))
