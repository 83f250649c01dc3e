"""The web page's own records in one SQLite file beside the data: accounts, failed logins, the history.

``DATA/.web/accounts.sqlite3`` (the folder is private to the account that runs
the server: 0700, the file 0600). One connection per request (``connection``,
closed when the request ends: ``init_app``, as Flask's tutorial app does); the
batch thread and the command line open their own (``connect``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g

DB_NAME = "accounts.sqlite3"
SCHEMA_VERSION = 1
BUREAU, UNIT = "bureau", "unit"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('bureau', 'unit')),
    unit TEXT,
    password TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 1,   -- a one-time password: changed at the first login
    active INTEGER NOT NULL DEFAULT 1,
    epoch INTEGER NOT NULL DEFAULT 0,         -- raised on every password change or disabling: old sessions end
    created REAL NOT NULL,
    last_login REAL,
    CHECK ((role = 'unit') = (unit IS NOT NULL))
);
CREATE TABLE IF NOT EXISTS sessions (         -- open sessions: the cookie holds a token, this its SHA-256
    id TEXT PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS throttle (         -- failed logins: per account and address ("pair:ADDR/NAME"),
                                              -- per address ("ip:ADDR"), per account from anywhere ("user:NAME")
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('workbook', 'template', 'generate')),
    ok INTEGER NOT NULL,
    errors INTEGER,
    hints INTEGER,
    size INTEGER,
    sha256 TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS history_unit ON history (unit, year, time);
"""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    unit: str | None
    password: str
    must_change: bool
    active: bool
    epoch: int
    created: float
    last_login: float | None

    @property
    def bureau(self) -> bool:
        return self.role == BUREAU


def _account(row: sqlite3.Row | None) -> Account | None:
    if row is None:
        return None
    return Account(row["id"], row["username"], row["role"], row["unit"], row["password"], bool(row["must_change"]),
                   bool(row["active"]), row["epoch"], row["created"], row["last_login"])


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner may enter (created if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:  # Windows: the folder keeps the permissions of its parent
        pass
    return path


def init(state_dir: Path) -> Path:
    """Create the database (0600) and its tables if missing; return its path."""
    path = private_dir(Path(state_dir)) / DB_NAME
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        os.close(fd)
    con = connect(path)
    try:
        con.executescript(SCHEMA)
        con.executescript(REVIEW_SCHEMA)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        con.commit()
    finally:
        con.close()
    return path


def connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=10, isolation_level=None)  # autocommit; transactions explicit
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA busy_timeout = 10000")
    con.execute("PRAGMA foreign_keys = ON")
    return con


def connection() -> sqlite3.Connection:
    """This request's database connection (opened on first use, closed when the request ends)."""
    if "db" not in g:
        g.db = connect(current_app.config["DB_PATH"])
    return g.db


def close_connection(_exc: BaseException | None = None) -> None:
    con = g.pop("db", None)
    if con is not None:
        con.close()


def init_app(app: Flask) -> None:
    """Close each request's connection when its application context ends."""
    app.teardown_appcontext(close_connection)


# ------------------------------------------------------------------ accounts


def create_account(con: sqlite3.Connection, username: str, role: str, unit: str | None, password_hash: str) -> int:
    """A new account with a one-time password; sqlite3.IntegrityError if the name is taken."""
    cur = con.execute("INSERT INTO accounts (username, role, unit, password, created) VALUES (?, ?, ?, ?, ?)",
                      (username, role, unit if role == UNIT else None, password_hash, time.time()))
    return int(cur.lastrowid)


def account_by_id(con: sqlite3.Connection, account_id: int) -> Account | None:
    return _account(con.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone())


def account_by_name(con: sqlite3.Connection, username: str) -> Account | None:
    return _account(con.execute("SELECT * FROM accounts WHERE username = ?", (username,)).fetchone())


def accounts(con: sqlite3.Connection) -> list[Account]:
    rows = con.execute("SELECT * FROM accounts ORDER BY role, unit, username").fetchall()
    return [a for a in map(_account, rows) if a is not None]


def unit_accounts(con: sqlite3.Connection) -> dict[str, list[str]]:
    """unit → the usernames of its accounts."""
    out: dict[str, list[str]] = {}
    for row in con.execute("SELECT unit, username FROM accounts WHERE role = 'unit' ORDER BY username"):
        out.setdefault(row["unit"], []).append(row["username"])
    return out


def bureau_count(con: sqlite3.Connection) -> int:
    return con.execute("SELECT COUNT(*) FROM accounts WHERE role = 'bureau' AND active = 1").fetchone()[0]


def set_password(con: sqlite3.Connection, account_id: int, password_hash: str, must_change: bool) -> None:
    """A new password (a one-time one when ``must_change``); every open session of the account ends."""
    con.execute("UPDATE accounts SET password = ?, must_change = ?, epoch = epoch + 1 WHERE id = ?",
                (password_hash, int(must_change), account_id))
    end_sessions(con, account_id)


def set_active(con: sqlite3.Connection, account_id: int, active: bool) -> None:
    con.execute("UPDATE accounts SET active = ?, epoch = epoch + 1 WHERE id = ?", (int(active), account_id))
    end_sessions(con, account_id)


def touch_login(con: sqlite3.Connection, account_id: int) -> None:
    con.execute("UPDATE accounts SET last_login = ? WHERE id = ?", (time.time(), account_id))


# ------------------------------------------------------------------ sessions


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_session(con: sqlite3.Connection, account_id: int, now: float) -> str:
    """A new session of the account: the token for its cookie (only its hash is kept here)."""
    token = secrets.token_urlsafe(32)
    con.execute("INSERT INTO sessions VALUES (?, ?, ?)", (_token_id(token), account_id, now))
    return token


def session_of(con: sqlite3.Connection, token: str) -> tuple[int, float] | None:
    """(account id, when it began) of an open session, or None (logged out, ended, never opened)."""
    row = con.execute("SELECT account, created FROM sessions WHERE id = ?", (_token_id(token),)).fetchone()
    return (row[0], row[1]) if row else None


def end_session(con: sqlite3.Connection, token: str) -> None:
    con.execute("DELETE FROM sessions WHERE id = ?", (_token_id(token),))


def end_sessions(con: sqlite3.Connection, account_id: int) -> None:
    """Every open session of the account ends (a new password, a reset, disabling)."""
    con.execute("DELETE FROM sessions WHERE account = ?", (account_id,))


def prune_sessions(con: sqlite3.Connection, before: float) -> None:
    con.execute("DELETE FROM sessions WHERE created < ?", (before,))


# ------------------------------------------------------------------ failed logins


def user_key(username: str) -> str:
    """The throttle key of an account's failed logins from anywhere (an address's is ``ip:ADDR``, an account's
    from one address ``pair_key``)."""
    return f"user:{username}"


@dataclass(frozen=True)
class Failures:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


def failures(con: sqlite3.Connection, key: str) -> Failures:
    row = con.execute("SELECT failures, last, locked_until FROM throttle WHERE key = ?", (key,)).fetchone()
    return Failures(row[0], row[1], row[2]) if row else Failures()


def set_failures(con: sqlite3.Connection, key: str, value: Failures) -> None:
    con.execute("INSERT INTO throttle VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
                " last = excluded.last, locked_until = excluded.locked_until",
                (key, value.failures, value.last, value.locked_until))


def pair_key(address: str, username: str) -> str:
    """The key of an account's failures from one address (the address holds no ``/``)."""
    return f"pair:{address}/{username}"


def clear_failures(con: sqlite3.Connection, key: str) -> None:
    con.execute("DELETE FROM throttle WHERE key = ?", (key,))


_PAIR_NAME = "substr(key, instr(key, '/') + 1)"  # the account of a pair key


def clear_account_failures(con: sqlite3.Connection, username: str) -> None:
    """Forget the account's failures from every address (a reset lifts its locks)."""
    con.execute(f"DELETE FROM throttle WHERE key LIKE 'pair:%' AND {_PAIR_NAME} = ?", (username,))
    con.execute("DELETE FROM throttle WHERE key = ?", (user_key(username),))


def locked_accounts(con: sqlite3.Connection, now: float) -> set[str]:
    """The names of the accounts locked for some address."""
    rows = con.execute(f"SELECT {_PAIR_NAME} FROM throttle WHERE key LIKE 'pair:%' AND locked_until > ?", (now,))
    return {row[0] for row in rows}


def prune_failures(con: sqlite3.Connection, before: float, now: float) -> None:
    """Forget failures older than ``before`` whose lock (if any) has been served."""
    con.execute("DELETE FROM throttle WHERE last < ? AND locked_until <= ?", (before, now))


# ------------------------------------------------------------------ history


def add_history(con: sqlite3.Connection, unit: str, year: int, account: str, kind: str, ok: bool,
                errors: int | None = None, hints: int | None = None, size: int | None = None,
                sha256: str | None = None, detail: str | None = None) -> None:
    con.execute("INSERT INTO history (time, unit, year, account, kind, ok, errors, hints, size, sha256, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), unit, year, account, kind, int(ok), errors, hints, size, sha256, detail))


def history(con: sqlite3.Connection, unit: str, limit: int = 50) -> list[sqlite3.Row]:
    return con.execute("SELECT * FROM history WHERE unit = ? ORDER BY time DESC, id DESC LIMIT ?",
                       (unit, limit)).fetchall()


def last_history(con: sqlite3.Connection, unit: str, year: int, kind: str) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM history WHERE unit = ? AND year = ? AND kind = ? ORDER BY time DESC, id DESC "
                       "LIMIT 1", (unit, year, kind)).fetchone()


# ================================================================== the review season (issue 25, helper "review")
# Versions of each unit's workbook, the review state per unit and year, every step with its comments, deadlines,
# sampling for 复核 and the 复核 scores. Kept apart from the accounts above; created by ``init`` with the rest.

REVIEW_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    time REAL NOT NULL,
    account TEXT NOT NULL,
    ok INTEGER NOT NULL,                      -- 0: rejected (unreadable or invalid), kept with its messages
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    message TEXT,                             -- why it was rejected (Chinese, with cells)
    generated REAL,                           -- when its report was made (its files are in its folder)
    template TEXT,                            -- the template's name it was made with (its copy is in its folder)
    errors INTEGER, hints INTEGER,
    score TEXT, rate TEXT,                    -- 自评分, 执行率 as computed (Decimal text)
    findings TEXT,                            -- JSON: the audit of its report [[key, severity, where, message]]
    UNIQUE (unit, year, number)
);
CREATE TABLE IF NOT EXISTS reviews (           -- one per unit and year once anything happened
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('submitted', 'returned', 'approved')),
    version INTEGER NOT NULL,                 -- the version the state is about
    submitted REAL,                           -- when it was last submitted
    updated REAL NOT NULL,
    PRIMARY KEY (unit, year)
);
CREATE TABLE IF NOT EXISTS review_steps (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    version INTEGER NOT NULL,
    time REAL NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('submit', 'return', 'approve', 'reopen', 'recheck')),
    comment TEXT
);
CREATE INDEX IF NOT EXISTS review_steps_unit ON review_steps (unit, year, time);
CREATE TABLE IF NOT EXISTS review_notes (      -- comments pinned to a finding, a cell or a paragraph; explanations
    id INTEGER PRIMARY KEY,
    step INTEGER NOT NULL REFERENCES review_steps (id),
    kind TEXT NOT NULL CHECK (kind IN ('finding', 'cell', 'paragraph', 'explanation')),
    target TEXT NOT NULL,
    text TEXT NOT NULL
);
-- (review_settings, the grade bands of an earlier page, is no longer made nor read: the bands are the county's
--  评分规则.xlsx › 等级划分; a database that has it keeps it, unused)
CREATE TABLE IF NOT EXISTS deadlines (year INTEGER PRIMARY KEY, day TEXT NOT NULL, account TEXT NOT NULL,
                                      time REAL NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    time REAL NOT NULL,
    account TEXT NOT NULL,
    how TEXT NOT NULL,                        -- "count:3", "share:0.2" or "pick"
    seed TEXT,
    pool TEXT NOT NULL,                       -- JSON: the units drawn from, in order
    drawn TEXT NOT NULL                       -- JSON: the units drawn
);
CREATE TABLE IF NOT EXISTS rechecks (
    unit TEXT NOT NULL,
    year INTEGER NOT NULL,
    score TEXT,                               -- 复核分 (Decimal text)
    items TEXT,                               -- JSON: {indicator: score} when scored per indicator
    opinion TEXT,
    account TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (unit, year)
);
"""


def versions(con: sqlite3.Connection, unit: str, year: int) -> list[sqlite3.Row]:
    return con.execute("SELECT * FROM versions WHERE unit = ? AND year = ? ORDER BY number DESC",
                       (unit, year)).fetchall()


def version(con: sqlite3.Connection, unit: str, year: int, number: int) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM versions WHERE unit = ? AND year = ? AND number = ?",
                       (unit, year, number)).fetchone()


def last_good_version(con: sqlite3.Connection, unit: str, year: int) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM versions WHERE unit = ? AND year = ? AND ok = 1 ORDER BY number DESC LIMIT 1",
                       (unit, year)).fetchone()


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` when the block raises (the connection is in autocommit
    mode, so a block of statements is one transaction only through this)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def add_version(con: sqlite3.Connection, unit: str, year: int, account: str, ok: bool, sha256: str, size: int,
                message: str | None, unless_current: bool = False) -> int | None:
    """The next number of the unit's year, taken in one transaction; with ``unless_current``, None (and nothing
    added) when the last good version already has these bytes (two requests seeing one new file add it once)."""
    with transaction(con):
        if unless_current:
            last = con.execute("SELECT sha256 FROM versions WHERE unit = ? AND year = ? AND ok = 1 "
                               "ORDER BY number DESC LIMIT 1", (unit, year)).fetchone()
            if last is not None and last[0] == sha256:
                return None
        number = con.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE unit = ? AND year = ?",
                             (unit, year)).fetchone()[0]
        con.execute("INSERT INTO versions (unit, year, number, time, account, ok, sha256, size, message) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (unit, year, number, time.time(), account, int(ok), sha256, size, message))
    return int(number)


def set_version_generated(con: sqlite3.Connection, unit: str, year: int, number: int, template: str, errors: int,
                          hints: int, score: str | None, rate: str | None, findings: str) -> None:
    con.execute("UPDATE versions SET generated = ?, template = ?, errors = ?, hints = ?, score = ?, rate = ?, "
                "findings = ? WHERE unit = ? AND year = ? AND number = ?",
                (time.time(), template, errors, hints, score, rate, findings, unit, year, number))


def review(con: sqlite3.Connection, unit: str, year: int) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM reviews WHERE unit = ? AND year = ?", (unit, year)).fetchone()


def add_step(con: sqlite3.Connection, unit: str, year: int, version_number: int, account: str, action: str,
             comment: str | None, state: str | None, notes: list[tuple[str, str, str]] = ()) -> int:
    """Record a step with its pinned notes and (unless ``state`` is None) move the unit's state, in one
    transaction."""
    now = time.time()
    with transaction(con):
        step = int(con.execute("INSERT INTO review_steps (unit, year, version, time, account, action, comment) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (unit, year, version_number, now, account, action, comment)).lastrowid)
        con.executemany("INSERT INTO review_notes (step, kind, target, text) VALUES (?, ?, ?, ?)",
                        [(step, kind, target, text) for kind, target, text in notes])
        if state is not None:
            con.execute("INSERT INTO reviews (unit, year, state, version, submitted, updated) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (unit, year) DO UPDATE SET state = excluded.state, version = excluded.version, "
                        "submitted = COALESCE(excluded.submitted, reviews.submitted), updated = excluded.updated",
                        (unit, year, state, version_number, now if action == "submit" else None, now))
    return step


def steps(con: sqlite3.Connection, unit: str, year: int) -> list[sqlite3.Row]:
    return con.execute("SELECT * FROM review_steps WHERE unit = ? AND year = ? ORDER BY time DESC, id DESC",
                       (unit, year)).fetchall()


def notes(con: sqlite3.Connection, step_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
    out: dict[int, list[sqlite3.Row]] = {}
    if step_ids:
        marks = ",".join("?" * len(step_ids))
        for row in con.execute(f"SELECT * FROM review_notes WHERE step IN ({marks}) ORDER BY id", step_ids):
            out.setdefault(row["step"], []).append(row)
    return out


def set_deadline(con: sqlite3.Connection, year: int, day: str, account: str) -> None:
    con.execute("INSERT INTO deadlines VALUES (?, ?, ?, ?) ON CONFLICT (year) DO UPDATE SET day = excluded.day, "
                "account = excluded.account, time = excluded.time", (year, day, account, time.time()))


def deadline(con: sqlite3.Connection, year: int) -> sqlite3.Row | None:
    return con.execute("SELECT * FROM deadlines WHERE year = ?", (year,)).fetchone()


def add_sample(con: sqlite3.Connection, year: int, account: str, how: str, seed: str | None, pool: str,
               drawn: str) -> int:
    return int(con.execute("INSERT INTO samples (year, time, account, how, seed, pool, drawn) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", (year, time.time(), account, how, seed, pool,
                                                            drawn)).lastrowid)


def samples(con: sqlite3.Connection, year: int) -> list[sqlite3.Row]:
    return con.execute("SELECT * FROM samples WHERE year = ? ORDER BY id DESC", (year,)).fetchall()


def set_recheck(con: sqlite3.Connection, unit: str, year: int, score: str | None, items: str | None,
                opinion: str | None, account: str) -> None:
    con.execute("INSERT INTO rechecks VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit, year) DO UPDATE SET "
                "score = excluded.score, items = excluded.items, opinion = excluded.opinion, "
                "account = excluded.account, time = excluded.time",
                (unit, year, score, items, opinion, account, time.time()))


def rechecks(con: sqlite3.Connection, year: int) -> dict[str, sqlite3.Row]:
    return {r["unit"]: r for r in con.execute("SELECT * FROM rechecks WHERE year = ?", (year,))}

