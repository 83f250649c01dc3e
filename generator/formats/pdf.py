"""Convert generated .docx/.xlsx files to PDF with LibreOffice in headless mode.

One ``PdfConverter`` owns one private LibreOffice user profile, so several
converters (for example one per worker process) can run at the same time.
``PdfConverter.convert`` hands a whole batch of files to ONE soffice process,
so a batch pays the LibreOffice start-up cost (about 1-2 s) once, not per file.

On Linux the soffice child process gets ``FONTCONFIG_FILE`` pointing to the
shipped ``generator/fonts/fonts.conf``. It maps the official Chinese font
names (仿宋_GB2312, 黑体, ...) to Noto CJK SC, unless the real fonts are
installed.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from ..messages import msg
from . import pdf_resident
from .pdf_resident import kill_process_tree

# Official faces used by GB/T 9704 reports, in the order title, level-1,
# level-2, body, page numbers.
OFFICIAL_FACES: tuple[str, ...] = ("方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312", "宋体")

FONTCONFIG_PATH: Path = Path(__file__).resolve().parent / "fonts" / "fonts.conf"

DEFAULT_TIMEOUT_BASE = 120.0  # seconds per soffice call
DEFAULT_TIMEOUT_PER_FILE = 10.0  # extra seconds per file in the call

_SOFFICE_CANDIDATES: tuple[str, ...] = (
    "/usr/lib/libreoffice/program/soffice",
    "/usr/local/lib/libreoffice/program/soffice",
    "/opt/libreoffice*/program/soffice",
    "/snap/bin/libreoffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "C:/Program Files/LibreOffice/program/soffice.exe",
    "C:/Program Files (x86)/LibreOffice/program/soffice.exe",
)


class PdfError(RuntimeError):
    """PDF conversion failed. ``message_zh`` is shown to the user as is."""

    def __init__(self, message_zh: str) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh


def find_soffice() -> str | None:
    """Return the path of the LibreOffice executable, or None if not found."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for pattern in _SOFFICE_CANDIDATES:
        # Several /opt/libreofficeX.Y: try the highest name first.
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def _uses_fontconfig() -> bool:
    """LibreOffice uses fontconfig on Linux/BSD, not on Windows or macOS."""
    return os.name == "posix" and sys.platform != "darwin"


def _normalize_family(name: str) -> str:
    # fontconfig compares family names ignoring case and spaces.
    return "".join(name.split()).casefold()


def _fc_match_family(face: str, env: dict[str, str] | None = None) -> str | None:
    """What fontconfig resolves ``face`` to: all family names, comma-separated."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        result = subprocess.run(
            [fc_match, "-f", "%{family}", face],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def _system_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FONTCONFIG_FILE", None)
    return env


def real_font_installed(face: str) -> bool:
    """True if fontconfig (system config) has a font whose family is ``face``."""
    families = _fc_match_family(face, _system_env())
    if not families:
        return False
    wanted = _normalize_family(face)
    return any(_normalize_family(name) == wanted for name in families.split(","))


@functools.lru_cache(maxsize=1)
def fontconfig_override() -> str | None:
    """The FONTCONFIG_FILE value to give soffice, or None to leave it alone.

    None when: the platform does not use fontconfig; the user already set
    FONTCONFIG_FILE; the shipped conf is missing; or all official faces are
    really installed (then the substitutes are not needed).
    """
    if not _uses_fontconfig() or "FONTCONFIG_FILE" in os.environ:
        return None
    if not FONTCONFIG_PATH.is_file():
        return None
    if all(real_font_installed(face) for face in OFFICIAL_FACES):
        return None
    return str(FONTCONFIG_PATH)


def soffice_env() -> dict[str, str]:
    """Environment for the soffice child process."""
    env = dict(os.environ)
    override = fontconfig_override()
    if override is not None:
        env["FONTCONFIG_FILE"] = override
    return env


def font_substitutions() -> dict[str, str | None]:
    """Map each official face to the family fontconfig gives soffice for it.

    The value is the first family name fc-match prints, or None when fc-match
    is not available.
    """
    env = soffice_env()
    report: dict[str, str | None] = {}
    for face in OFFICIAL_FACES:
        families = _fc_match_family(face, env)
        report[face] = families.split(",")[0] if families else None
    return report


def fonts_report() -> list[str]:
    """One line per official face: what it is rendered with in PDFs."""
    if shutil.which("fc-match") is None:
        return [msg("pdf_fc_match_missing")]
    return [
        msg("pdf_font_line", face=face, resolved=resolved or "?")
        for face, resolved in font_substitutions().items()
    ]


def _check_unique_names(sources: Sequence[Path]) -> None:
    """soffice names its output <stem>.pdf, so stems must differ in a batch.

    Compared case-insensitively, for Windows and macOS file systems.
    """
    by_name: dict[str, list[Path]] = {}
    for source in sources:
        by_name.setdefault(f"{source.stem}.pdf".casefold(), []).append(source)
    for clashing in by_name.values():
        if len(clashing) > 1:
            raise PdfError(
                msg("pdf_duplicate_name",
                    name=f"{clashing[0].stem}.pdf", files="、".join(str(p) for p in clashing)
                )
            )


def _error_text(output: str, limit: int = 400) -> str:
    """The useful part of soffice's output: drop progress and Java noise."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and not line.startswith("convert ") and "javaldx" not in line
    ]
    text = "\n".join(lines)
    return text if len(text) <= limit else "…" + text[-limit:]


class PdfConverter:
    """Converts office files to PDF with one private LibreOffice profile.

    Use as a context manager; the profile directory is removed on close::

        with PdfConverter() as converter:
            pdfs = converter.convert([Path("a.docx"), Path("b.docx")], Path("out"))

    One converter runs one soffice process at a time (calls from several
    threads are serialised). For parallel conversion, use one converter per
    worker process.
    """

    def __init__(
        self,
        soffice: str | None = None,
        *,
        timeout_base: float | None = None,
        timeout_per_file: float | None = None,
    ) -> None:
        resolved = soffice or find_soffice()
        if resolved is None:
            raise PdfError(msg("pdf_soffice_missing"))
        self.soffice: str = resolved
        # (the module's defaults as they are when the converter is made)
        self.timeout_base = DEFAULT_TIMEOUT_BASE if timeout_base is None else timeout_base
        self.timeout_per_file = DEFAULT_TIMEOUT_PER_FILE if timeout_per_file is None else timeout_per_file
        self._lock = threading.Lock()
        self._profile_dir: Path | None = Path(tempfile.mkdtemp(prefix="generator-lo-profile-"))
        # Remove the profile even if the caller forgets close().
        self._finalizer = weakref.finalize(
            self, shutil.rmtree, str(self._profile_dir), ignore_errors=True
        )

    @property
    def profile_dir(self) -> Path:
        """The private LibreOffice user profile directory."""
        if self._profile_dir is None:
            raise PdfError(msg("pdf_closed"))
        return self._profile_dir

    @property
    def profile_uri(self) -> str:
        """The -env:UserInstallation URI (file:///...) of the private profile."""
        return self.profile_dir.as_uri()

    def close(self) -> None:
        """Remove the private profile. The converter cannot be used afterwards."""
        with self._lock:
            self._profile_dir = None
            self._finalizer()

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def convert(self, docx_paths: Iterable[Path | str], out_dir: Path | str) -> list[Path]:
        """Convert files (.docx, .xlsx, ...) to PDF in ``out_dir``.

        Returns the PDF paths in input order (``out_dir/<stem>.pdf``). All
        files go to one soffice call; two inputs with the same stem (a.docx and
        a.xlsx, or x/a.docx and y/a.docx) are refused. Each PDF is written to a
        temporary directory inside ``out_dir`` first and then moved into place
        with ``os.replace``, so a failed or interrupted run never leaves a
        partial PDF behind. If some files of the batch fail, the others are
        still moved into place and the ``PdfError`` names the failed ones.
        """
        sources = [Path(p).resolve() for p in docx_paths]
        if not sources:
            return []
        for source in sources:
            if not source.is_file():
                raise PdfError(msg("pdf_input_missing", path=source))
        _check_unique_names(sources)
        target_dir = Path(out_dir).resolve()
        target_dir.mkdir(parents=True, exist_ok=True)

        with self._lock:
            if self._profile_dir is None:
                raise PdfError(msg("pdf_closed"))
            return self._convert_batch(sources, target_dir)

    def _command(self, sources: Sequence[Path], outdir: Path) -> list[str]:
        return [
            self.soffice,
            f"-env:UserInstallation={self.profile_uri}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *(str(s) for s in sources),
        ]

    def timeout_for(self, count: int) -> float:
        """Seconds one soffice call converting ``count`` files is given."""
        return self.timeout_base + self.timeout_per_file * count

    def _convert_batch(self, sources: Sequence[Path], target_dir: Path) -> list[Path]:
        timeout = self.timeout_for(len(sources))
        tmp_dir = Path(tempfile.mkdtemp(prefix=".pdf-tmp-", dir=target_dir))
        try:
            returncode, output = 0, ""
            left = self._resident(sources, tmp_dir, timeout)
            if left:
                with pdf_resident.one_shot_turn():
                    returncode, output = self._run(self._command(left, tmp_dir), timeout, left)
            result: list[Path] = []
            failed: list[Path] = []
            for source in sources:
                pdf = tmp_dir / f"{source.stem}.pdf"
                if pdf.is_file() and pdf.stat().st_size > 0:
                    final = target_dir / pdf.name
                    os.replace(pdf, final)
                    result.append(final)
                else:
                    failed.append(source)
            if failed:
                # The good PDFs of the batch stay in place; report the rest.
                error_text = _error_text(output)
                detail = msg("pdf_detail", text=error_text) if error_text else ""
                raise PdfError(
                    msg("pdf_no_output",
                        name="、".join(f"{s.stem}.pdf" for s in failed),
                        source="、".join(str(s) for s in failed),
                        code=returncode,
                        detail=detail,
                    )
                )
            return result
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)

    @staticmethod
    def _resident(sources: Sequence[Path], outdir: Path, timeout: float) -> Sequence[Path]:
        """Convert what the process's resident LibreOffice can (``formats.pdf_resident``, when ``generate serve``
        started one); the sources left for a one-shot soffice call."""
        pool = pdf_resident.current()
        if pool is None:
            return sources
        left, timed_out = pool.convert_into(sources, outdir, timeout)
        if timed_out:
            raise PdfError(msg("pdf_timeout", seconds=timeout, files="、".join(s.name for s in left)))
        return left

    def _run(self, command: list[str], timeout: float, sources: Sequence[Path]) -> tuple[int, str]:
        """Run soffice; return (exit code, combined stdout+stderr)."""
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                env=soffice_env(),
                # Own process group, so a timeout can kill soffice.bin too.
                start_new_session=(os.name == "posix"),
            )
        except OSError as exc:
            raise PdfError(
                msg("pdf_start_failed", soffice=self.soffice, error=exc)
            ) from exc
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_process_tree(proc)
            proc.communicate()
            files = "、".join(s.name for s in sources)
            raise PdfError(msg("pdf_timeout", seconds=timeout, files=files)) from None
        except BaseException:
            # KeyboardInterrupt and the like: do not leave soffice running.
            kill_process_tree(proc)
            proc.wait()
            raise
        return proc.returncode, output or ""


def convert_to_pdf(paths: Iterable[Path | str], out_dir: Path | str) -> list[Path]:
    """Convert files with a throw-away converter (one soffice call)."""
    with PdfConverter() as converter:
        return converter.convert(paths, out_dir)


_PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJECT = re.compile(rb"\s*\d+\s+\d+\s+obj\b")
_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b")


def check_pdf(data: bytes, name: str) -> int:
    """The number of pages of a PDF LibreOffice wrote; a PdfError when it is cut short, does not parse, or has
    none.

    What is checked is what a reader needs first: the header, the end marker, the
    cross-reference section where ``startxref`` says it is (a table, or a stream
    object), a document catalogue, and pages (the page tree's count, or the page
    objects when the tree is in a compressed object stream).
    """
    tail = data[-2048:]
    if not data.startswith(b"%PDF-") or b"%%EOF" not in tail:
        raise PdfError(msg("pdf_damaged", name=name))
    found = _STARTXREF.search(tail.rstrip(b"\r\n\0 ") + b"\n") or _STARTXREF.search(tail)
    if found is None:
        raise PdfError(msg("pdf_damaged", name=name))
    offset = int(found.group(1))
    if not 0 < offset < len(data):
        raise PdfError(msg("pdf_damaged", name=name))
    at = data[offset:offset + 64]
    if not (at.lstrip().startswith(b"xref") or _OBJECT.match(at)):
        raise PdfError(msg("pdf_damaged", name=name))
    if b"/Root" not in data or b"/Catalog" not in data and b"/ObjStm" not in data:
        raise PdfError(msg("pdf_damaged", name=name))
    counts = [int(a or b) for a, b in _COUNT.findall(data)]
    pages = max(counts) if counts else len(_PAGE.findall(data))
    if pages == 0:
        raise PdfError(msg("pdf_damaged", name=name))
    return pages
