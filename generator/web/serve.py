"""``generate serve`` (the page, served by waitress), ``generate create-admin NAME`` and
``generate reset-password NAME`` (the bureau's way back in from the server's console)."""

from __future__ import annotations

import ipaddress
import logging
import os
import sqlite3
import time
from pathlib import Path

import click
from flask import Flask

from ..formats import pdf_resident
from ..messages import msg
from . import db
from .admin import valid_username
from .app import STATE_DIR, create_app
from .auth import normalize_username
from .passwords import hash_password, one_time_password

THREADS = 32  # requests served at once: a county's units generating together, and the pages meanwhile
PROXY_HEADERS = "x-forwarded-for x-forwarded-proto x-forwarded-host x-forwarded-port"  # believed from --proxy only
RESIDENT_PDF = 2  # resident LibreOffice converters at most (one per core)
BODY_SLACK = 1024 * 1024  # waitress takes bodies this far beyond the page's largest limit (the page says why)
WAITRESS_ERRORS = (400, 413, 431, 500, 501)  # the answers waitress makes itself, given as the page's own


def _data_dir(data_dir: Path | str) -> Path | None:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        click.echo(msg("data_dir_missing", path=data_dir), err=True)
        return None
    return data_dir


def create_admin(data_dir: Path | str, name: str) -> int:
    """The bureau's account ``name`` with a one-time password, printed once; the exit code."""
    data_dir = _data_dir(data_dir)
    if data_dir is None:
        return 1
    username = normalize_username(name)
    if not valid_username(username):
        click.echo(msg("web_username_invalid"), err=True)
        return 1
    con = db.connect(db.init(data_dir / STATE_DIR))
    try:
        password = one_time_password()
        db.create_account(con, username, db.BUREAU, None, hash_password(password))
    except sqlite3.IntegrityError:
        click.echo(msg("web_admin_exists", name=username), err=True)
        return 1
    finally:
        con.close()
    click.echo(msg("web_admin_created", name=username, password=password))
    return 0


def reset_password(data_dir: Path | str, name: str) -> int:
    """A new one-time password for the account ``name`` (bureau or unit), printed once; the exit code.

    From the server's console, for whoever holds the data folder: the account must set its own password at the
    next login, its login lock and failure count are cleared, a disabled account is enabled again (naming the
    account here is the intent to let it in), and every session of it ends at once (its epoch rises). The
    server may be running: the database is shared.
    """
    data_dir = _data_dir(data_dir)
    if data_dir is None:
        return 1
    username = normalize_username(name)
    con = db.connect(db.init(data_dir / STATE_DIR))
    try:
        account = db.account_by_name(con, username)
        if account is None:
            names = "、".join(a.username for a in db.accounts(con)) or msg("list_none")
            click.echo(msg("web_account_unknown", name=username, names=names), err=True)
            return 1
        password = one_time_password()
        locked = username in db.locked_accounts(con, time.time())  # (locked for some address)
        with db.transaction(con):
            db.set_password(con, account.id, hash_password(password), must_change=True)
            db.clear_account_failures(con, username)
            if not account.active:
                db.set_active(con, account.id, True)
    finally:
        con.close()
    click.echo(msg("web_password_reset_done", name=username, password=password))
    if locked:
        click.echo(msg("web_account_unlocked"))
    if not account.active:
        click.echo(msg("web_account_reenabled"))
    return 0


def run(data_dir: Path | str, templates_dir: Path | str, out_dir: Path | str, host: str = "127.0.0.1",
        port: int = 8000, proxy: str | None = None) -> int:
    """``generate serve``: the page until Ctrl+C; the exit code.

    ``proxy``: the address of an HTTPS reverse proxy in front of the page. Requests from it are taken at its
    word for the client's address and scheme (``X-Forwarded-For``/``-Proto``), so login limits count each
    office and not the proxy, and the session cookie is sent over HTTPS only. Such headers from anyone else
    are dropped.
    """
    data_dir = _data_dir(data_dir)
    if data_dir is None:
        return 1
    if proxy is not None and _address(proxy) is None:
        click.echo(msg("web_proxy_bad", value=proxy), err=True)
        return 2
    app = create_app(data_dir, templates_dir, out_dir,
                     **({"SESSION_COOKIE_SECURE": True, "PREFERRED_URL_SCHEME": "https"} if proxy else {}))
    con = db.connect(app.config["DB_PATH"])
    try:
        bureau = db.bureau_count(con)
    finally:
        con.close()
    shown = f"[{host}]" if ":" in host else host
    click.echo(msg("web_serving", url=f"http://{shown}:{port}/", data=data_dir, templates=templates_dir,
                   out=out_dir))
    if not bureau:
        click.echo(msg("web_no_admin"), err=True)
    if proxy:
        click.echo(msg("web_behind_proxy", proxy=proxy))
    elif not _loopback(host):
        click.echo(msg("web_open_network"), err=True)
    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" when a page loads its images

    # a body up to the page's limit (and a little beyond) reaches the page, which refuses it in Chinese; beyond
    # that waitress refuses it from its Content-Length, before receiving it, with the same Chinese page
    limit = app.config["MAX_CONTENT_LENGTH"] + BODY_SLACK
    try:
        server = create_server(app, host=host, port=port, threads=THREADS, max_request_body_size=limit,
                               ident="generator", clear_untrusted_proxy_headers=True,
                               **({"trusted_proxy": proxy, "trusted_proxy_count": 1,
                                   "trusted_proxy_headers": PROXY_HEADERS} if proxy else {}))
    except OSError as exc:
        click.echo(msg("web_port_busy", host=host, port=port, detail=exc.strerror or str(exc)), err=True)
        return 1
    answer_in_chinese(server, app)
    resident = pdf_resident_start()
    try:
        server.run()
    finally:
        if resident:
            pdf_resident.stop()
    return 0


def pdf_resident_start() -> bool:
    """One resident LibreOffice per core (at most ``RESIDENT_PDF``) for the page's PDFs, when it can be had; the
    line that says how PDFs are made."""
    from ..formats.pdf import find_soffice, soffice_env

    soffice = find_soffice()
    if soffice is None:
        return False  # (the page says so where PDFs are offered)
    count = max(1, min(RESIDENT_PDF, os.cpu_count() or 1))
    started, why = pdf_resident.start(count, soffice, soffice_env())
    click.echo(msg("pdf_resident_started", count=count) if started else
               msg("pdf_resident_off" if why == "off" else "pdf_resident_no_uno"))
    return started


def answer_in_chinese(server: object, app: Flask) -> None:
    """Make ``server`` (waitress's, one socket or several) answer what it refuses itself — a body over its
    limit, a malformed request, headers too long — with the page's Chinese error page instead of its English
    text: the pages are rendered once by the app and sent by the channels' error task."""
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer
    from waitress.task import ErrorTask
    from werkzeug.exceptions import default_exceptions

    pages: dict[int, tuple[list[tuple[str, str]], bytes]] = {}
    with app.test_request_context("/"):
        for code in WAITRESS_ERRORS:
            response = app.process_response(app.make_response(app.handle_http_exception(default_exceptions[code]())))
            pages[code] = ([(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length",
                                                                                          "set-cookie")],
                           response.get_data())

    class PageErrorTask(ErrorTask):
        def execute(self) -> None:
            page = pages.get(self.request.error.code)
            if page is None:
                super().execute()
                return
            headers, body = page
            self.status = f"{self.request.error.code} {self.request.error.reason}"
            self.response_headers.extend(headers)
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class PageChannel(HTTPChannel):
        error_task_class = PageErrorTask

    for listener in [server, *getattr(server, "map", {}).values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = PageChannel


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _loopback(host: str) -> bool:
    address = _address(host)
    return host == "localhost" or (address is not None and address.is_loopback)
