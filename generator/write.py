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
        return json.loads(_manifest_path(folder).read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def backup_name(path: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")


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


def check_writable(files: dict[Path, bytes], force: bool = False) -> None:
    """Refuse before writing anything if any target was edited by hand (unless ``force``)."""
    for path in files:
        manifest = load_manifest(path.parent)
        if edited_by_hand(path, manifest) and not force:
            raise UserError(msg("output_edited", path=path, backup_hint=backup_name(path).name))


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except PermissionError:
        _silent_unlink(tmp)
        raise UserError(msg("output_locked", path=path)) from None
    except OSError as exc:
        _silent_unlink(tmp)
        raise UserError(msg("output_failed", path=path, detail=exc.strerror or str(exc))) from None


def _silent_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_outputs(files: dict[Path, bytes], force: bool = False) -> list[str]:
    """Write all ``files`` (path → bytes); return notices (backups made). All-or-nothing on refusal."""
    check_writable(files, force)
    notices = []
    for path, data in files.items():
        manifest = load_manifest(path.parent)
        if force and edited_by_hand(path, manifest):
            backup = backup_name(path)
            os.replace(path, backup)
            notices.append(msg("backup_written", path=backup))
        atomic_write(path, data)
        manifest = load_manifest(path.parent)
        manifest[path.name] = sha256(data)
        atomic_write(_manifest_path(path.parent), json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    return notices
