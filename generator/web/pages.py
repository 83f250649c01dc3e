"""A report's pages as PNG images for the web page: LibreOffice → PDF → pdftoppm, cached by the report's SHA-256.

``DATA/.web/pages/<sha256>/page-1.png …`` with a ``done`` marker written last, so a set is used only when whole;
made once per report however many requests ask at the same time; the oldest sets beyond ``PAGES_KEPT`` go.
A page is served only for the hash of the unit's current report: an old set is no one's.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ..formats.pdf import PdfConverter, PdfError, find_soffice
from ..messages import msg

PAGES_KEPT = 200  # report page image sets kept in the cache (the oldest go first)
PAGE_DPI = 80


def can_convert() -> str | None:
    """None when PDFs and page images can be made here, else why not (Chinese)."""
    if find_soffice() is None:
        return msg("web_no_soffice")
    if shutil.which("pdftoppm") is None:
        return msg("web_no_pdftoppm")
    return None


class PageImages:
    """The cache of page images under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def images(self, docx: Path | None, pdf: Path | None, display: Callable[[str], str] = str
               ) -> tuple[str | None, list[Path], str | None]:
        """(the report's hash, its page images, why there are none) for the report ``docx`` (and its PDF beside
        it, if any); ``display`` shortens paths in a message for the page."""
        if docx is None:
            return None, [], msg("web_pages_no_report")
        data = docx.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        cache = self.root / digest
        if (cache / "done").exists():
            return digest, sorted(cache.glob("page-*.png")), None
        why = can_convert()
        if why:
            return digest, [], why
        with self._lock:
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock:
            if not (cache / "done").exists():
                try:
                    self._make(data, pdf, digest, cache)
                except PdfError as exc:
                    return digest, [], display(exc.message_zh)
                except (OSError, subprocess.SubprocessError) as exc:
                    return digest, [], msg("web_pages_failed", detail=str(exc)[:300])
        return digest, sorted(cache.glob("page-*.png")), None

    def page(self, docx: Path | None, digest: str, number: int) -> Path | None:
        """Page ``number`` of the report ``docx`` (``digest`` must be its hash)."""
        if docx is None or not re.fullmatch(r"[0-9a-f]{64}", digest):
            return None
        if hashlib.sha256(docx.read_bytes()).hexdigest() != digest:
            return None
        cache = self.root / digest
        if not (cache / "done").exists():
            return None
        for page in cache.glob("page-*.png"):
            if int(page.stem.split("-")[1]) == number:
                return page
        return None

    def _make(self, docx: bytes, pdf: Path | None, digest: str, cache: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".work-", dir=self.root))
        try:
            if pdf is None:  # the report has no PDF beside it: convert a copy
                source = work / "source.docx"  # (a scratch copy; not a path rule)
                source.write_bytes(docx)
                with PdfConverter() as converter:
                    pdf = converter.convert([source], work)[0]
            subprocess.run(["pdftoppm", "-png", "-r", str(PAGE_DPI), str(pdf), str(work / "page")], check=True,
                           capture_output=True, timeout=120)
            pages = sorted(work.glob("page-*.png"))
            if not pages:
                raise OSError(msg("web_pages_none"))
            out = work / "out"
            out.mkdir()
            width = len(str(len(pages)))
            for i, page in enumerate(pages, start=1):  # page-1.png …: one name whatever pdftoppm pads
                os.replace(page, out / f"page-{i:0{width}d}.png")
            (out / "done").write_text(digest)
            try:
                os.replace(out, cache)
            except OSError:
                if not (cache / "done").exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self._prune()

    def _prune(self) -> None:
        sets = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime)
        for old in sets[:-PAGES_KEPT]:
            shutil.rmtree(old, ignore_errors=True)
