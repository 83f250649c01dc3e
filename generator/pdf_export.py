"""PDF for a unit's staged set: converted before the set is committed, so the set is whole or not written.

A converted file is checked (it parses as a PDF and has pages) before it is
staged beside the unit's other files; a unit whose PDF fails (LibreOffice
fails, times out, or writes something that is not a whole PDF) has the rest of
its set committed and says why, and an earlier good PDF of it is kept, not
replaced and not removed, with a word that it belongs to the earlier report.
The time LibreOffice is given grows with the number of files it converts
(``formats.pdf``: a base plus so much per file).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .messages import msg
from .write import Staged, stage_files


def convert_staged(units: list[tuple[Any, list[Staged]]], options: Any, jobs: int = 1) -> None:
    """Convert each unit's staged report (and with ``pdf_tables`` its tables) to PDF and stage the PDFs.

    The units are split into at most ``jobs`` chunks, each converted by one
    ``PdfConverter`` (its own LibreOffice profile, one soffice call for the
    chunk) in a folder of its own under the final names. A converted file is
    checked (it parses as a PDF and has pages) before it is staged. A unit
    whose PDF fails gets ``pdf_error``; its set is written without a new PDF
    and an earlier PDF of it is kept (``pipeline.commit_unit``), as it says.
    """
    from .formats.pdf import PdfConverter, PdfError, check_pdf

    suffixes = (".docx", ".xlsx") if options.pdf_tables else (".docx",)
    todo = [(report, staged) for report, staged in units
            if any(s.target.suffix.lower() in suffixes for s in staged)]
    if not todo:
        return
    try:
        first = PdfConverter()
    except PdfError as exc:  # LibreOffice is not installed: say how, once
        short = msg("pdf_no_soffice_short") if len(todo) > 1 else exc.message_zh
        for report, staged in todo:
            report.pdf_error = short
            for s in staged:
                if s.target.suffix.lower() in suffixes and "-审核" not in s.target.name:
                    _keep_earlier(report, s.target.with_suffix(".pdf"))
        return
    count = max(1, min(jobs, len(todo)))
    chunks = [todo[i::count] for i in range(count)]
    lock = threading.Lock()
    progress = {"done": 0}

    def work(index: int) -> None:
        converter = first if index == 0 else PdfConverter()
        chunk = chunks[index]
        workdir = Path(tempfile.mkdtemp(prefix="generator-pdf-"))
        try:
            sources: dict[Path, tuple[Any, list[Staged], Staged]] = {}
            for report, staged in chunk:
                for s in staged:
                    if s.target.suffix.lower() in suffixes and "-审核" not in s.target.name:
                        copy = workdir / s.target.name
                        shutil.copyfile(s.tmp, copy)
                        sources[copy] = (report, staged, s)
            errors: dict[Path, str] = {}
            out = workdir / "pdf"
            try:
                converter.convert(list(sources), out)
            except PdfError as exc:
                errors = {source: exc.message_zh for source in sources}
            for source, (report, staged, s) in sources.items():
                pdf = out / (source.stem + ".pdf")
                reason = errors.get(source)
                if reason is None:
                    try:
                        data = pdf.read_bytes()
                        check_pdf(data, pdf.name)
                        staged += stage_files({s.target.with_suffix(".pdf"): data})
                        continue
                    except PdfError as exc:
                        reason = exc.message_zh
                    except OSError:
                        reason = msg("pdf_not_produced", name=pdf.name)
                report.pdf_error = "\n".join(dict.fromkeys(filter(None, [report.pdf_error, reason])))
                _keep_earlier(report, s.target.with_suffix(".pdf"))
        finally:
            if converter is not first:
                converter.close()
            shutil.rmtree(workdir, ignore_errors=True)
            with lock:
                progress["done"] += len(chunk)
                if options.progress:
                    options.progress("pdf", progress["done"], len(todo))

    try:
        if count == 1:  # in this thread (a page's request gives its turn back while LibreOffice works)
            work(0)
        else:
            with ThreadPoolExecutor(max_workers=count) as threads:
                for future in [threads.submit(work, i) for i in range(count)]:
                    future.result()
    finally:
        first.close()


def _keep_earlier(report: Any, earlier: Path) -> None:
    """A conversion that failed keeps the earlier good PDF of that file (``commit_unit`` leaves it), and says so."""
    if earlier.exists():
        report.pdf_kept.append(earlier)
        report.pdf_error += "\n" + msg("pdf_kept_earlier", name=earlier.name)
