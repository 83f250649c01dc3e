"""The Flask application: ``create_app(data, templates, out)`` over the same folders as the CLI.

Blueprints by area: ``auth`` (login, password), ``unit`` (a unit's page),
``county`` (the bureau's page of every unit), ``admin`` (accounts). What the
server keeps of its own lives in ``DATA/.web/`` (private to the account that
runs it): the accounts database, the session key, staged uploads, page images.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .. import formatting as fmt
from ..errors import ERROR
from ..messages import msg
from . import db
from .auth import bp as auth_bp
from .auth import check_csrf, csrf_token, home_for, load_account
from .state import Site

STATE_DIR = ".web"
SECRET_NAME = "secret_key"
MB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    "MAX_WORKBOOK_MB": 10,
    "MAX_TEMPLATE_MB": 20,
    "MAX_FORM_MB": 1,  # any other POST
    "LOGIN_SLOW_AFTER": 3,  # failed logins of an account from one address before its next attempt waits
    "LOGIN_IP_SLOW_AFTER": 10,  # … of an address, whatever the names (a township office may share one)
    "LOGIN_DELAY": 2.0,  # seconds, doubling with each further failure
    "LOGIN_DELAY_MAX": 60.0,
    "LOGIN_LOCK_AFTER": 10,  # an account locked for that address only
    "LOGIN_IP_LOCK_AFTER": 50,
    "LOGIN_ACCOUNT_ALERT": 20,  # failures of an account from anywhere: an address that failed waits from its first
    "LOGIN_LOCK_SECONDS": 15 * 60,
    "LOGIN_WINDOW": 15 * 60,  # failures further apart than this start counting again
    "SESSION_HOURS": 12,
    "GENERATE_WAIT": 15.0,  # seconds a unit's generation waits for the output folder
    "BATCH_WAIT": 15.0,
    "BATCH_JOBS": None,  # worker processes of the county's batch (the CLI's --jobs; None: every core)
}


def secret_key(state_dir: Path) -> bytes:
    """The session key, made once and kept beside the database (0600)."""
    path = db.private_dir(state_dir) / SECRET_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def create_app(data_dir: Path | str, templates_dir: Path | str, out_dir: Path | str, **config: Any) -> Flask:
    data_dir = Path(data_dir)
    state_dir = data_dir / STATE_DIR
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.update(
        SECRET_KEY=secret_key(state_dir),
        DB_PATH=db.init(state_dir),
        SESSION_COOKIE_NAME="generator_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=False,  # the bureau's network is plain HTTP unless a proxy adds TLS: set it there
        MAX_FORM_MEMORY_SIZE=MB,
    )
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = max(app.config["MAX_WORKBOOK_MB"], app.config["MAX_TEMPLATE_MB"]) * MB
    app.extensions["generator"] = Site(data_dir, templates_dir, out_dir, state_dir,
                                       generate_wait=app.config["GENERATE_WAIT"],
                                       batch_wait=app.config["BATCH_WAIT"], jobs=app.config["BATCH_JOBS"])

    from .admin import bp as admin_bp
    from .county import bp as county_bp
    from .review import bp as review_bp
    from .unit import bp as unit_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(unit_bp)
    app.register_blueprint(county_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(review_bp)

    @app.route("/")
    def front_door() -> Any:
        """The address given to the townships: a visitor to the login page, a unit to its page, the bureau to
        the county page."""
        return redirect(home_for(g.account) if g.account is not None else url_for("auth.login"))

    @app.before_request
    def before() -> None:
        limits = {"unit.upload_workbook": "MAX_WORKBOOK_MB", "unit.upload_template": "MAX_TEMPLATE_MB"}
        request.max_content_length = app.config[limits.get(request.endpoint, "MAX_FORM_MB")] * MB
        load_account()
        if request.routing_exception is not None:  # no such page, or not by this method: said before the CSRF
            raise request.routing_exception  # check would answer 400 (a redirect to add a "/" passes as ever)
        check_csrf()

    db.init_app(app)

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self'; style-src 'self'; "
                                                       "script-src 'self'; form-action 'self'; "
                                                       "frame-ancestors 'none'; base-uri 'none'")
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        default = type(exc).description
        text = exc.description if exc.description and exc.description != default else None
        if text is None:
            key = {400: "web_bad_request", 403: "web_forbidden", 404: "web_not_found", 405: "web_method",
                   413: "web_too_large", 429: "web_too_many", 500: "web_internal"}.get(code, "web_http_error")
            text = msg(key, code=code, workbook=app.config["MAX_WORKBOOK_MB"],
                       template=app.config["MAX_TEMPLATE_MB"])
        headers = {"Allow": ", ".join(exc.valid_methods)} if isinstance(exc, MethodNotAllowed) and exc.valid_methods \
            else {}
        return render_template("error.html", code=code, text=text), code, headers

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:
        app.logger.exception("internal error")
        return render_template("error.html", code=500, text=msg("web_internal")), 500

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "account": g.get("account"), "ERROR": ERROR}

    app.jinja_env.filters["time"] = _time
    app.jinja_env.filters["pct"] = lambda v: fmt.pct(v) if v is not None else "—"
    app.jinja_env.filters["score"] = lambda v: fmt.score(v) if v is not None else "—"
    app.jinja_env.filters["mb"] = lambda n: f"{n / MB:.1f} MB" if n is not None else ""
    return app


def _time(value: float | None) -> str:
    if value is None:
        return "—"
    return dt.datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
