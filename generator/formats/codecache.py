"""Compiled Jinja code kept on disk between runs, as Python keeps byte-code in ``__pycache__``.

Compiling the report template (some 200 KB of Word XML with its tags) and the
Excel tables' texts costs a run about as much as rendering two reports. Jinja
turns a source into a Python code object; this module stores that object
(``marshal``) under a key made of the exact source and everything that shapes
the compiled code: the Jinja and Python versions, the environment's class,
syntax and escaping settings, intercepted operators, filter and test names.
Another template, a changed one, or another version is another key; a file
that cannot be read back is ignored and the source compiled afresh.

``load_object``/``store_object`` keep a prepared object the same way (the
template as ``template.load_template`` makes it: sanitized, linted, patched),
keyed on its own key (the template file's digest), the environment's
fingerprint and ``code_fingerprint``: the size and modification time of every
module of this package and the versions of the libraries that shape it, so
an edited or upgraded program never reads an object an older one wrote.

The files live in ``GENERATOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/generator``
(``~/.cache/generator``; ``%LOCALAPPDATA%\\generator`` on Windows). Set
``GENERATOR_NO_CACHE=1`` to compile every time. Like ``__pycache__``, the
folder must be writable only by its user: its files are loaded as code.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
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
    settings = (type(env).__module__, type(env).__qualname__, env.code_generator_class.__qualname__,
                env.autoescape, env.finalize is not None,
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
    _write(path, marshal.dumps(code))


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        pass


_CODE: list[str] = []


def code_fingerprint() -> str:
    """This program as it is installed: every module of the package (path, size, modification time), the
    Python, Jinja, lxml and docxtpl it runs with. Worked out once per process."""
    if not _CODE:
        import importlib.util

        root = Path(__file__).resolve().parents[1]
        entries = []
        stack = [root]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                            stack.append(Path(entry.path))
                        elif entry.name.endswith(".py"):
                            st = entry.stat()
                            entries.append((entry.path, st.st_size, st.st_mtime_ns))
            except OSError:
                continue
        entries.sort()
        libraries = [sys.version, jinja2.__version__]
        for name in ("lxml", "docxtpl", "docx"):
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            origin = spec.origin if spec is not None else None
            if origin:
                folder = Path(origin).parent
                for file in sorted(folder.glob("*.py"))[:64]:
                    try:
                        st = file.stat()
                    except OSError:
                        continue
                    libraries.append((str(file), st.st_size, st.st_mtime_ns))
            else:
                libraries.append((name, None))
        _CODE.append(hashlib.sha256(repr((entries, libraries)).encode("utf-8", "surrogatepass")).hexdigest())
    return _CODE[0]


def _object_source(kind: str, key: bytes) -> str:
    return f"{code_fingerprint()}\0{kind}\0{key.hex()}"


def load_object(env: Any, kind: str, key: bytes) -> Any:
    """The object stored earlier under ``key`` by this same program for an environment like ``env``, or None."""
    path = _path(env, "object", _object_source(kind, key))
    if path is None:
        return None
    try:
        return pickle.loads(path.read_bytes())
    except Exception:  # a damaged or foreign file: made afresh
        return None


def store_object(env: Any, kind: str, key: bytes, value: Any) -> None:
    """Keep ``value`` (picklable) for the next run; quietly nothing when it cannot be written."""
    path = _path(env, "object", _object_source(kind, key))
    if path is None:
        return
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    _write(path, data)


_PARSED_KEEP = 8


def keep_parsed(env: Any, source: str, tree: Any) -> None:
    """Keep the tree ``env.parse(source)`` gave (the template's linter parses each part whole) for the compile
    that follows (``take_parsed``), in this process only."""
    kept = env.__dict__.setdefault("_parsed_sources", {})
    while len(kept) >= _PARSED_KEEP:
        kept.pop(next(iter(kept)))
    kept[source] = tree


def take_parsed(env: Any, source: str) -> Any:
    """The tree kept for ``source`` in ``env``, once, or None."""
    return env.__dict__.get("_parsed_sources", {}).pop(source, None)
