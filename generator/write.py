"""Stage 6 — write: put finished files in place atomically, never clobbering a clerk's edits.

Each output folder keeps ``.generated.json``: the SHA-256 of every file we
wrote. A file whose content no longer matches was edited by hand (or is not
ours) and is kept, unless ``force`` is given, in which case a dated backup is
made first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path

from .errors import UserError
from .messages import msg

MANIFEST = ".generated.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest_path(folder: Path) -> Path:
    return folder / MANIFEST


def load_manifest(folder: Path) -> dict[str, str]:
    try:
        manifest = json.loads(_manifest_path(folder).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {k: v for k, v in manifest.items() if isinstance(k, str) and isinstance(v, str)}


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


def write_outputs(files: dict[Path, bytes], force: bool = False) -> list[str]:
    """Write all ``files`` (path → bytes); return notices (backups made).

    All-or-nothing as far as the file system allows: every file is first
    written in full beside its target; only then are hand-edited targets
    backed up (``force``) and the new files moved into place. A refusal or a
    failure while staging leaves the output folder as it was.
    """
    manifests: dict[Path, dict[str, str]] = {}  # folder -> manifest, read once and written once
    check_writable(files, force, manifests)
    staged: dict[Path, str] = {}
    written: set[Path] = set()  # folders whose manifest changed
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
            manifest[path.name] = sha256(files[path])
            written.add(path.parent)
    finally:
        for tmp in staged.values():
            _silent_unlink(tmp)
        for folder in written:  # record what did get written, even after a failure
            atomic_write(_manifest_path(folder),
                         json.dumps(manifests[folder], ensure_ascii=False, indent=1).encode("utf-8"))
    return notices
