"""Stage 6 — write: put finished files in place atomically, never clobbering a clerk's edits.

Each output folder keeps ``.generated.json``: the SHA-256 of every file we
wrote. A file whose content no longer matches was edited by hand (or is not
ours) and is kept, unless ``force`` is given, in which case a dated backup is
made first.

A batch writes hundreds of units into one folder: rewriting the whole
manifest after each unit would cost more with every unit. Its workers append
each unit's entries to ``.generated.log`` instead (see ``Journal``);
reading a manifest applies that journal, and the next full write of the
manifest (the county summary's, or ``compact_manifest``) folds it in and
removes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import UserError
from .messages import msg

MANIFEST = ".generated.json"
JOURNAL = ".generated.log"  # lines "<sha256>\t<file name>", applied after the manifest, in order
Recorder = Callable[[Path, dict[str, str]], None]  # (folder, {file name: sha256}) written there


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_path(folder: Path) -> Path:
    return folder / MANIFEST


def load_manifest(folder: Path) -> dict[str, str]:
    """File name → SHA-256 of what we last wrote in ``folder``: the manifest, then its journal."""
    try:
        manifest = json.loads(_manifest_path(folder).read_text("utf-8"))
    except (OSError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    out = {k: v for k, v in manifest.items() if isinstance(k, str) and isinstance(v, str)}
    try:
        journal = (folder / JOURNAL).read_text("utf-8")
    except (OSError, ValueError):
        return out
    for line in journal.splitlines():
        digest, sep, name = line.partition("\t")
        if sep and name and len(digest) == 64:  # a line cut short by a crash is skipped
            out[name] = digest
    return out


class Journal:
    """Appends units' entries to their folders' journals (a ``Recorder``), each journal kept open.

    A batch worker writes hundreds of units into one folder: one open file per
    folder, not one per unit. ``lock`` (batch workers share one) is held for
    each write, not while it is flushed to disk. ``close`` when done.
    """

    def __init__(self, lock: Any = None) -> None:
        self.lock = lock
        self.fds: dict[Path, int] = {}

    def __call__(self, folder: Path, entries: dict[str, str]) -> None:
        text = "".join(f"{digest}\t{name}\n" for name, digest in entries.items())
        path = folder / JOURNAL
        try:
            fd = self.fds.get(folder)
            if fd is None:
                fd = self.fds[folder] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
            with self.lock if self.lock is not None else contextlib.nullcontext():
                os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        except OSError as exc:
            raise UserError(msg("output_failed", path=path, detail=exc.strerror or str(exc))) from None

    def close(self) -> None:
        for fd in self.fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds.clear()


def _save_manifest(folder: Path, manifest: dict[str, str]) -> None:
    """Write the whole manifest; its journal, now folded in, goes."""
    atomic_write(_manifest_path(folder), json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    _silent_unlink(folder / JOURNAL)


def compact_manifest(folder: Path) -> None:
    """Fold ``folder``'s journal into its manifest (after a batch); nothing to do without a journal."""
    if (folder / JOURNAL).exists():
        _save_manifest(folder, load_manifest(folder))


def backup_name(path: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return path.with_name(msg("backup_stem", stem=path.stem, stamp=stamp) + path.suffix)


def edited_by_hand(path: Path, manifest: dict[str, str]) -> bool:
    """True when ``path`` exists and is not exactly what we wrote last time."""
    if not path.exists():
        return False
    recorded = manifest.get(path.name)
    if recorded is None:
        return True
    try:
        return sha256(path.read_bytes()) != recorded
    except OSError:
        return True


def check_writable(files: dict[Path, bytes], force: bool = False,
                   manifests: dict[Path, dict[str, str]] | None = None) -> None:
    """Refuse before writing anything if any target was edited by hand (unless ``force``)."""
    manifests = {} if manifests is None else manifests
    for path in files:
        if path.parent not in manifests:
            manifests[path.parent] = load_manifest(path.parent)
        if edited_by_hand(path, manifests[path.parent]) and not force:
            raise UserError(msg("output_edited", path=path, backup_hint=backup_name(path).name))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a temporary file beside ``path`` and return its name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    except PermissionError:
        raise UserError(msg("output_locked", path=path)) from None
    except OSError as exc:
        raise UserError(msg("output_failed", path=path, detail=exc.strerror or str(exc))) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
    except OSError as exc:
        _silent_unlink(tmp)
        raise UserError(msg("output_failed", path=path, detail=exc.strerror or str(exc))) from None
    return tmp


def _replace(src: str | Path, dst: Path, shown: Path | None = None) -> None:
    try:
        os.replace(src, dst)
    except PermissionError:
        raise UserError(msg("output_locked", path=shown or dst)) from None
    except OSError as exc:
        raise UserError(msg("output_failed", path=shown or dst, detail=exc.strerror or str(exc))) from None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` so that readers see the old file or the new one, never a part."""
    tmp = _stage(path, data)
    try:
        _replace(tmp, path)
    except UserError:
        _silent_unlink(tmp)
        raise


def _silent_unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_outputs(files: dict[Path, bytes], force: bool = False,
                  manifests: dict[Path, dict[str, str]] | None = None, record: Recorder | None = None) -> list[str]:
    """Write all ``files`` (path → bytes); return notices (backups made).

    All-or-nothing as far as the file system allows: every file is first
    written in full beside its target; only then are hand-edited targets
    backed up (``force``) and the new files moved into place. A refusal or a
    failure while staging leaves the output folder as it was.

    ``manifests`` (folder → manifest) is read where missing and updated: a
    batch worker passes the same dict for all its units. ``record`` writes a
    folder's new entries instead of the whole manifest (a batch appends them
    to the journal).
    """
    manifests = {} if manifests is None else manifests  # folder -> manifest, read once and written once
    check_writable(files, force, manifests)
    staged: dict[Path, str] = {}
    written: dict[Path, dict[str, str]] = {}  # folder -> its entries written now
    try:
        for path, data in files.items():
            staged[path] = _stage(path, data)
        notices = []
        for path, tmp in list(staged.items()):
            manifest = manifests[path.parent]
            if force and edited_by_hand(path, manifest):
                backup = backup_name(path)
                n = 1
                while backup.exists():  # never overwrite an earlier backup
                    n += 1
                    backup = backup.with_name(f"{backup_name(path).stem}-{n}{path.suffix}")
                _replace(path, backup, shown=path)
                notices.append(msg("backup_written", path=backup))
            _replace(tmp, path)
            del staged[path]
            manifest[path.name] = written.setdefault(path.parent, {})[path.name] = sha256(files[path])
    finally:
        for tmp in staged.values():
            _silent_unlink(tmp)
        for folder, entries in written.items():  # record what did get written, even after a failure
            if record is not None:
                record(folder, entries)
            else:
                _save_manifest(folder, manifests[folder])
    return notices
