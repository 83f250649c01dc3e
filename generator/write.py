"""Stage 6 — write: put a unit's finished files in place as one set, never clobbering a clerk's edits.

An output folder is held by one run at a time (``Folder``: a lock file, via
``filelock``, on Windows and Linux alike); a second run waits a bounded time,
saying so, then refuses. Inside, each unit's files (report, tables, audit
lists, PDF) are committed as a set: all are first written in full beside their
targets (``.tmp-…``), their hashes appended to the folder's record journal,
then the old files set aside (``.bak~…``) and the new ones moved in; if any
step fails, what was done is undone and the folder is as it was. A stale file
the set no longer has (an old PDF of a run without ``--pdf``) is set aside
(``.del~…``) and removed with it.

The record: ``.generated.json`` holds the SHA-256 of every file we wrote, so a
file whose content no longer matches was edited by hand (or is not ours) and is
kept, unless ``force`` is given, in which case a dated backup is made first.
``.generated.log`` is its journal: a unit's hashes are appended before its
files are moved in, so that whatever point a run is stopped at (killed, power
cut, disk full), every file in the folder is either recognised as ours or is
the previous version; the next run, holding the lock, puts back a set it finds
half moved (every file of it as it was), removes staging files, and folds the
journal into the record. A run also removes, when it lets the folder go, what
a batch worker that died had staged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UserError
from .formats.seal import seal, sealed
from .layout import JOURNAL, LOCK, RECORD
from .messages import msg
from .umask import file_mode

MANIFEST = RECORD
STAGE_PREFIX = ".tmp-"
BACKUP_PREFIX = ".bak~"  # ".bak~<token>~<file name>": the previous version while a set is moved in
REMOVED_PREFIX = ".del~"  # ".del~<token>~<file name>": a file the set removes, until the set is in
DEFAULT_WAIT = 120.0  # seconds a run waits for another one on the same folder


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def program_for(path: Path) -> str:
    """The program a clerk may have the file open in (for the "close it" message)."""
    return {".docx": "Word 或 WPS 文字", ".xlsx": "Excel 或 WPS 表格", ".pdf": "PDF 阅读器",
            ".md": "文本编辑器"}.get(path.suffix.lower(), "其他程序")


def backup_name(path: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return path.with_name(msg("backup_stem", stem=path.stem, stamp=stamp) + path.suffix)


def _fail(path: Path, exc: OSError) -> UserError:
    if isinstance(exc, PermissionError):
        return UserError(msg("output_locked", path=path, program=program_for(path)))
    return UserError(msg("output_failed", path=path, detail=exc.strerror or str(exc)))


def _silent_unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@dataclass
class Staged:
    """A file written in full beside its target, not yet moved in."""

    target: Path
    tmp: Path
    digest: str


def stage(path: Path, data: bytes) -> Staged:
    """Write ``data``, with our seal (``formats.seal``), to a temporary file beside ``path`` (any process may:
    names never clash)."""
    data = seal(path.suffix, data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=STAGE_PREFIX, suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise _fail(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())  # mkstemp makes 0600; a report is an ordinary file
    except OSError as exc:
        _silent_unlink(tmp)
        raise _fail(path, exc) from None
    return Staged(path, Path(tmp), sha256(data))


def stage_files(files: dict[Path, bytes]) -> list[Staged]:
    """Stage every file, or none (what was staged is removed when one fails)."""
    staged: list[Staged] = []
    try:
        for path, data in files.items():
            staged.append(stage(Path(path), data))
    except BaseException:
        discard(staged)
        raise
    return staged


def discard(staged: Iterable[Staged]) -> None:
    for s in staged:
        _silent_unlink(s.tmp)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` so that readers see the old file or the new one, never a part."""
    s = stage(Path(path), data)
    try:
        os.replace(s.tmp, path)
    except OSError as exc:
        _silent_unlink(s.tmp)
        raise _fail(Path(path), exc) from None


@dataclass
class Folder:
    """One output folder, held by this run: its lock, its record, and sets committed into it."""

    path: Path
    wait: float = DEFAULT_WAIT
    on_wait: Callable[[str], None] | None = None
    unit: str | None = None  # the unit whose folder this is (said while waiting), or None
    summary_year: int | None = None  # the year whose county summary is written here (said while waiting)
    record: dict[str, set[str]] = field(default_factory=dict)  # file name → the hashes of ours
    committed: dict[str, str] = field(default_factory=dict)  # file name → hash, written by this run
    removed: set[str] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)  # what the run should tell (a record rebuilt)
    _lock: object = None
    _journal: int | None = None

    # ------------------------------------------------------------------ holding the folder
    def __enter__(self) -> Folder:
        from filelock import FileLock, Timeout

        self.path = Path(self.path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _fail(self.path, exc) from None
        lock = FileLock(str(self.path / LOCK))
        try:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if self.on_wait is not None:
                    self.on_wait(self._busy("waiting"))
                lock.acquire(timeout=self.wait)
        except Timeout:
            raise UserError(self._busy("locked")) from None
        except OSError as exc:
            raise _fail(self.path / LOCK, exc) from None
        self._lock = lock
        try:
            self.record, damaged = read_record(self.path)
            if damaged:
                self.notices.append(msg("record_unreadable", path=self.path / MANIFEST))
            self._recover()
        except BaseException:
            lock.release()
            raise
        return self

    def _busy(self, what: str) -> str:
        """Another run holds the folder: said for the unit, the summary, or the folder."""
        seconds = f"{self.wait:g}"
        if self.unit:
            return msg(f"unit_{what}", unit=self.unit, path=self.path, seconds=seconds)
        if self.summary_year is not None:
            return msg(f"summary_{what}", year=self.summary_year, path=self.path, seconds=seconds)
        return msg(f"folder_{what}", path=self.path, seconds=seconds)

    def __exit__(self, *exc: object) -> None:
        failed = None
        try:
            self._sweep()
            if self._journal is not None:
                os.close(self._journal)
                self._journal = None
            self._compact()
        except UserError as error:  # the journal stays (the next run folds it in); the run says so and fails
            failed = error
        finally:
            self._lock.release()
        if failed is not None and (not exc or exc[0] is None):
            raise UserError(msg("record_not_updated", path=self.path / MANIFEST, journal=self.path / JOURNAL,
                                detail=failed.render()))

    def _recover(self) -> None:
        """Repair what a run stopped half-way (killed, power cut) left: a set half moved in is put back as it
        was (every file of it the previous version, or missing as before); a set moved in whole loses the
        previous versions it set aside; staging files are removed."""
        sets: dict[str, list[tuple[str, Path, Path]]] = {}  # token → (prefix, holder, target)
        for entry in self.path.iterdir():
            name = entry.name
            for prefix in (BACKUP_PREFIX, REMOVED_PREFIX):
                if name.startswith(prefix):
                    token, _, original = name[len(prefix):].partition("~")
                    if original:
                        sets.setdefault(token, []).append((prefix, entry, self.path / original))
                    else:
                        _silent_unlink(entry)
                    break
            else:
                if name.startswith(STAGE_PREFIX) and entry.is_file():
                    _silent_unlink(entry)
        for members in sets.values():
            whole = all(target.exists() for prefix, _, target in members if prefix == BACKUP_PREFIX)
            for prefix, holder, target in members:
                try:
                    if whole and prefix == BACKUP_PREFIX and not self._matches(holder, target.name):
                        os.replace(holder, self._free_backup(target))  # a hand-edited file replaced with --force
                    elif whole:
                        os.unlink(holder)  # the set is in: what it replaced or removed goes
                    else:
                        os.replace(holder, target)  # the set is not: everything as it was
                except OSError:
                    pass

    def _sweep(self) -> None:
        """Staging files of this run left by a worker that died before it could hand them over."""
        try:
            for entry in self.path.iterdir():
                if entry.name.startswith(STAGE_PREFIX) and entry.is_file():
                    _silent_unlink(entry)
        except OSError:
            pass

    # ------------------------------------------------------------------ the record
    def ours(self, path: Path) -> bool:
        """True when ``path`` is missing or is exactly what we wrote."""
        if not path.exists():
            return True
        known = self.record.get(path.name)
        if not known:
            return False
        try:
            return sha256(path.read_bytes()) in known
        except OSError:
            return False

    def check(self, targets: Iterable[Path], force: bool = False) -> None:
        """Refuse before anything is written if a target was edited by hand (unless ``force``)."""
        if force:
            return
        for path in targets:
            if not self.ours(path):
                raise UserError(msg("output_edited", path=path, backup_hint=backup_name(path).name))

    def _append(self, entries: list[tuple[str, str]]) -> None:
        text = "".join(f"{digest}\t{name}\n" for name, digest in entries).encode("utf-8")
        path = self.path / JOURNAL
        try:
            if self._journal is None:
                self._journal = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0),
                                        0o666)
            end = os.lseek(self._journal, 0, os.SEEK_END)
            try:
                written = os.write(self._journal, text)
                if written != len(text):
                    raise OSError(28, os.strerror(28))
                os.fsync(self._journal)
            except OSError:
                try:
                    os.ftruncate(self._journal, end)  # no line cut short for the next one to run into
                except OSError:
                    pass
                raise
        except OSError as exc:
            raise UserError(msg("record_failed", path=path, detail=exc.strerror or str(exc))) from None

    # ------------------------------------------------------------------ a set
    def commit(self, staged: list[Staged], remove: Iterable[Path] = (), force: bool = False) -> list[str]:
        """Move a staged set in (and remove ``remove``: files derived from an earlier set, such as its
        PDF, that this set no longer has), all or nothing; the notices (backups made, files removed)."""
        remove = [Path(p) for p in remove if Path(p).exists()]
        try:
            self.check([s.target for s in staged] + [p for p in remove if p.suffix.lower() != ".pdf"], force)
            self._append([(s.target.name, s.digest) for s in staged])
        except BaseException:
            discard(staged)
            raise
        token = secrets.token_hex(4)
        moved: list[tuple[Path, Path | None]] = []  # (target, its previous version set aside)
        aside: list[tuple[Path, Path]] = []  # removed files set aside
        try:
            for s in staged:
                previous = None
                if s.target.exists():
                    previous = s.target.with_name(f"{BACKUP_PREFIX}{token}~{s.target.name}")
                    os.replace(s.target, previous)
                moved.append((s.target, previous))
                os.replace(s.tmp, s.target)
            for path in remove:
                holder = path.with_name(f"{REMOVED_PREFIX}{token}~{path.name}")
                os.replace(path, holder)
                aside.append((path, holder))
        except OSError as exc:
            failed = next((s.target for s in staged if s.tmp.exists()), remove[len(aside)] if remove else self.path)
            self._undo(moved, aside)
            discard(staged)
            raise _fail(failed, exc) from None
        notices = []
        for (target, previous), s in zip(moved, staged):
            if previous is None:
                continue
            if force and not self._matches(previous, target.name):
                backup = self._free_backup(target)
                try:
                    os.replace(previous, backup)
                    notices.append(msg("backup_written", path=backup))
                except OSError:
                    _silent_unlink(previous)
            else:
                _silent_unlink(previous)
        for path, holder in aside:
            _silent_unlink(holder)
            self.removed.add(path.name)
            self.committed.pop(path.name, None)
            notices.append(msg("removed_stale", path=path))
        for s in staged:
            self.committed[s.target.name] = s.digest
            self.record[s.target.name] = {s.digest}
            self.removed.discard(s.target.name)
        return notices

    def write(self, files: dict[Path, bytes], remove: Iterable[Path] = (), force: bool = False) -> list[str]:
        """Stage and commit ``files`` (path → bytes) as one set."""
        return self.commit(stage_files(files), remove, force)

    def adopt(self, source: Folder, names: Iterable[str]) -> list[str]:
        """Move the files ``names`` that ``source`` (another folder this run holds) records as ours into this
        folder, with their record (a file edited by hand stays known as edited); a file already here, or one
        ``source`` does not record, stays where it is. The notices."""
        notices = []
        for name in sorted(names):
            path, target = source.path / name, self.path / name
            known = source.record.get(name)
            if not known or not path.is_file() or path.is_symlink() or target.exists() or target.is_symlink():
                continue
            try:
                digest = sha256(path.read_bytes())
            except OSError:
                continue
            digest = digest if digest in known else sorted(known)[0]
            self._append([(name, digest)])  # recorded here before it moves: whatever happens, it is known
            try:
                os.replace(path, target)
            except OSError:
                continue
            source.removed.add(name)
            self.record[name] = {digest}
            self.committed[name] = digest
            notices.append(msg("moved_to_unit", source=source.path, path=target))
        return notices

    def matches(self, path: Path, name: str) -> bool:
        """True when ``path`` holds exactly what we wrote as ``name``."""
        return self._matches(path, name)

    def _matches(self, path: Path, name: str) -> bool:
        known = self.record.get(name) or set()
        try:
            return sha256(path.read_bytes()) in known
        except OSError:
            return False

    @staticmethod
    def _free_backup(path: Path) -> Path:
        backup = backup_name(path)
        n = 1
        while backup.exists():  # never overwrite an earlier backup
            n += 1
            backup = backup.with_name(f"{backup_name(path).stem}-{n}{path.suffix}")
        return backup

    @staticmethod
    def _undo(moved: list[tuple[Path, Path | None]], aside: list[tuple[Path, Path]]) -> None:
        for path, holder in reversed(aside):
            try:
                os.replace(holder, path)
            except OSError:
                pass
        for target, previous in reversed(moved):
            try:
                if previous is not None:
                    os.replace(previous, target)
                else:
                    _silent_unlink(target)
            except OSError:
                pass

    def _compact(self) -> None:
        """Fold the journal into the record (one hash per file: the file's own, when it is ours)."""
        journal = self.path / JOURNAL
        if not journal.exists() and not self.committed and not self.removed:
            return
        record = load_record(self.path)
        out: dict[str, str] = {}
        for name, known in record.items():
            if name in self.removed:
                continue
            if name in self.committed:
                out[name] = self.committed[name]
                continue
            path = self.path / name
            if not path.exists():
                continue
            if len(known) == 1:
                out[name] = next(iter(known))
                continue
            try:
                digest = sha256(path.read_bytes())
            except OSError:
                digest = ""
            out[name] = digest if digest in known else sorted(known)[0]  # edited by hand: stays so
        data = json.dumps({"version": 2, "files": out}, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            unchanged = (self.path / MANIFEST).read_bytes() == data
        except OSError:
            unchanged = not out  # no manifest and nothing to record: a run that wrote nothing leaves none
        if not unchanged:
            atomic_write(self.path / MANIFEST, data)
        _silent_unlink(journal)


def load_record(folder: Path) -> dict[str, set[str]]:
    """File name → the hashes of what we wrote in ``folder``: the manifest, then its journal."""
    return read_record(folder)[0]


def read_record(folder: Path) -> tuple[dict[str, set[str]], bool]:
    """(``load_record``, whether the manifest was damaged). A manifest that is missing, empty or damaged is
    rebuilt from the files themselves: a file carrying our seal, intact, is ours (``formats.seal``)."""
    out: dict[str, set[str]] = {}
    path = Path(folder) / MANIFEST
    damaged = False
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
        files = manifest.get("files", manifest) if isinstance(manifest, dict) else None  # (version 1: no "files")
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise ValueError(path)
    except FileNotFoundError:
        files = None
    except (OSError, ValueError):
        files, damaged = None, True
    if files is None:
        out = _from_seals(Path(folder))
    else:
        for name, digest in files.items():
            if isinstance(name, str) and isinstance(digest, str):
                out[name] = {digest}
    try:
        journal = (Path(folder) / JOURNAL).read_bytes().decode("utf-8")
    except (OSError, ValueError):
        return out, damaged
    for line in journal.splitlines():
        digest, sep, name = line.partition("\t")
        if sep and name and len(digest) == 64:  # a line cut short by a crash is skipped
            out.setdefault(name, set()).add(digest)
    return out, damaged


def _from_seals(folder: Path) -> dict[str, set[str]]:
    """The files of ``folder`` that carry our seal, intact: name → their hash."""
    out: dict[str, set[str]] = {}
    try:
        entries = list(folder.iterdir())
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_file():
            continue
        try:
            data = entry.read_bytes()
        except OSError:
            continue
        if sealed(entry.suffix, data):
            out[entry.name] = {sha256(data)}
    return out
