"""Compiled Jinja code kept on disk between runs, as Python keeps byte-code in ``__pycache__``.

Compiling the report template (some 200 KB of Word XML with its tags) and the
Excel tables' texts costs a run about as much as rendering two reports. Jinja
turns a source into a Python code object; this module stores that object
(``marshal``) under a key made of the exact source and everything that shapes
the compiled code: the Jinja and Python versions, the environment's class,
syntax and escaping settings, intercepted operators, filter and test names.
Another template, a changed one, or another version is another key; a file
that cannot be read back is ignored and the source compiled afresh.

The files live in ``GENERATOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/generator``
(``~/.cache/generator``; ``%LOCALAPPDATA%\\generator`` on Windows). Set
``GENERATOR_NO_CACHE=1`` to compile every time. Like ``__pycache__``, the
folder must be writable only by its user: its files are loaded as code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

_SUBDIR = f"jinja-{jinja2.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
_FINGERPRINTS: dict[tuple, str] = {}


def cache_dir() -> Path | None:
    """Where compiled code is kept, or None when caching is switched off."""
    if os.environ.get("GENERATOR_NO_CACHE"):
        return None
    base = os.environ.get("GENERATOR_CACHE_DIR")
    if base:
        return Path(base) / _SUBDIR
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        root = Path(os.environ["LOCALAPPDATA"])
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "generator" / _SUBDIR


def _fingerprint(env: Any) -> str | None:
    """What besides the source decides the compiled code; None when it cannot be told (a callable setting)."""
    if callable(env.autoescape):
        return None
    settings = (type(env).__module__, type(env).__qualname__, env.autoescape, env.finalize is not None,
                env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
                env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
                env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks, env.newline_sequence,
                env.keep_trailing_newline, env.optimized, tuple(sorted(env.extensions)),
                tuple(sorted(getattr(env, "intercepted_binops", ()))),
                tuple(sorted(getattr(env, "intercepted_unops", ()))),
                tuple(sorted(env.filters)), tuple(sorted(env.tests)))
    found = _FINGERPRINTS.get(settings)
    if found is None:
        found = _FINGERPRINTS[settings] = hashlib.sha256(repr(settings).encode("utf-8")).hexdigest()
    return found


def _path(env: Any, kind: str, source: str) -> Path | None:
    folder = cache_dir()
    fingerprint = _fingerprint(env)
    if folder is None or fingerprint is None:
        return None
    digest = hashlib.sha256(f"{fingerprint}\0{kind}\0".encode("utf-8") + source.encode("utf-8", "surrogatepass"))
    return folder / f"{digest.hexdigest()}.bin"


def load(env: Any, kind: str, source: str) -> CodeType | None:
    """The code compiled earlier for ``source`` (a template or an expression) in an environment like ``env``."""
    path = _path(env, kind, source)
    if path is None:
        return None
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def store(env: Any, kind: str, source: str, code: CodeType) -> None:
    """Keep ``code`` for the next run; quietly nothing when the folder cannot be written."""
    path = _path(env, kind, source)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps(code))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        pass
