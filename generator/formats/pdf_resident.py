"""One resident LibreOffice (or a small pool) shared by every PDF conversion of a process.

``soffice --convert-to`` starts LibreOffice for every call: about 1.5 s before the first page, paid by every
request of the page. ``start()`` (called by ``generate serve``) sets up ``size`` resident converters instead,
each started at its first conversion and kept: ``uno_worker.py`` run by a Python that has ``uno`` (Debian's
``python3-uno``), which starts ``soffice`` on a named pipe with a private profile and converts one file at a time
as it is asked, over its standard input and output. While a pool is running, ``PdfConverter`` hands it each file
(``convert_into``); a file the pool cannot convert — a converter could not start, died, or refused the file —
goes the one-shot way, as before, so a missing ``python3-uno`` costs speed, never a PDF. A conversion past its
time is killed (the converter and its soffice, by process group) and said as a timeout, and the converter is
replaced.

Nothing listens on the network: the pipe is a local socket file with a random name, the worker talks over
its own stdin/stdout, and the worker closes LibreOffice and removes its profile when its input ends (its parent
has gone, however it went).

``turn`` and ``one_shot_turn`` let the page's heavy requests take turns at Python work in the server's one
process, giving the turn back while LibreOffice converts.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

WORKER = Path(__file__).resolve().parent / "uno_worker.py"
START_SECONDS = 60.0  # a resident converter must accept a connection within this
QUIT_SECONDS = 10.0  # then it is killed
ENV_SWITCH = "GENERATOR_PDF_RESIDENT"  # "0": never start one (convert one-shot)
GIVE_UP = 3  # converters lost in a row (could not start, or died) before the pool leaves everything to one-shot


@functools.lru_cache(maxsize=4)
def uno_python(soffice: str) -> str | None:
    """A Python that can ``import uno``: this one, the one bundled with LibreOffice, or the system's."""
    if importlib.util.find_spec("uno") is not None:
        return sys.executable
    program = Path(soffice).resolve().parent
    candidates = [program / "python", program / "python.exe", Path("/usr/bin/python3")]
    found = shutil.which("python3")
    if found:
        candidates.append(Path(found))
    for candidate in dict.fromkeys(candidates):
        if not candidate.is_file():
            continue
        try:
            done = subprocess.run([str(candidate), "-c", "import uno"], capture_output=True, timeout=30,
                                  env=_worker_env(str(candidate), {}), check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return str(candidate)
    return None


def _worker_env(python: str, base: dict[str, str]) -> dict[str, str]:
    """Another interpreter than this one gets none of this one's module paths."""
    env = dict(base)
    if python != sys.executable:
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
    return env


def kill_process_tree(proc: subprocess.Popen[str]) -> None:
    """Kill a process started in its own group (or session) and its children: soffice and the soffice.bin its
    launcher starts, a worker and its soffice."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            subprocess.run(
                ["taskkill", "/F", "/T", "/PID", str(proc.pid)],
                capture_output=True,
                timeout=30,
                check=False,
            )
            proc.kill()
    except (OSError, subprocess.TimeoutExpired):
        pass


class Gone(Exception):
    """The resident converter is not there (did not start, died, or was killed): convert another way."""


class Resident:
    """One worker and its soffice; one conversion at a time (the pool hands it to one caller at a time)."""

    def __init__(self, soffice: str, python: str, env: dict[str, str]) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="generator-lo-resident-"))
        self.pipe = f"generator-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            self.proc = subprocess.Popen(
                [python, str(WORKER), soffice, self.profile.as_uri(), self.pipe, str(START_SECONDS)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                encoding="utf-8", errors="replace", env=_worker_env(python, env),
                start_new_session=(os.name == "posix"))  # its own process group: a kill takes soffice too
        except OSError:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.ready: bool | None = None
        threading.Thread(target=self._read_lines, daemon=True).start()

    def _read_lines(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _answer(self, seconds: float) -> dict | None:
        """The worker's next JSON line; None when it ended; TimeoutError after ``seconds``."""
        try:
            line = self.lines.get(timeout=max(0.0, seconds))
        except queue.Empty:
            raise TimeoutError from None
        if line is None:
            return None
        try:
            return json.loads(line)
        except ValueError:
            return None

    @property
    def alive(self) -> bool:
        return self.ready is not False and self.proc.poll() is None

    def wait_ready(self) -> None:
        if self.ready is None:
            try:
                said = self._answer(START_SECONDS + 5)
            except TimeoutError:
                said = None
            self.ready = bool(said and said.get("ready"))
        if not self.ready:
            self.kill()
            raise Gone

    def convert(self, source: Path, target: Path, seconds: float) -> str | None:
        """Convert ``source`` to the PDF ``target``: None when done, else LibreOffice's reason. ``Gone`` when the
        converter is not there; ``TimeoutError`` (the converter killed) after ``seconds``."""
        self.wait_ready()
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps({"src": str(source), "dst": str(target)}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.kill()
            raise Gone from None
        try:
            said = self._answer(seconds)
        except TimeoutError:
            self.kill()
            raise
        if said is None or said.get("gone"):
            self.kill()
            raise Gone
        return None if said.get("ok") else str(said.get("error") or "?")

    def kill(self) -> None:
        self.ready = False
        if self.proc.poll() is None:
            kill_process_tree(self.proc)
        try:
            self.proc.wait(timeout=QUIT_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)
        for folder in {Path("/tmp"), Path(tempfile.gettempdir())}:  # the socket of a soffice that was killed
            for stale in folder.glob(f"OSL_PIPE_*_{self.pipe}"):
                stale.unlink(missing_ok=True)

    def close(self) -> None:
        """Ask a ready worker to close LibreOffice, killing it if it does not within ``QUIT_SECONDS``; one still
        starting (nothing open) is killed."""
        if self.ready and self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write('{"quit": true}\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=QUIT_SECONDS)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


class Pool:
    """``size`` resident converters, each started when first needed (a server that converts nothing starts
    none); a caller takes a free one, or waits for one (bounded)."""

    def __init__(self, soffice: str, python: str, size: int, env: dict[str, str]) -> None:
        self.soffice, self.python, self.env = soffice, python, env
        self.free: queue.Queue[Resident | None] = queue.Queue()  # None: not started yet
        self.closed = False
        self.restarts = 0  # converters replaced (could not start, died, or timed out)
        self.lost_in_a_row = 0  # converters lost since the last good conversion: at GIVE_UP, one-shot for good
        self.converted = 0  # files converted by the pool
        for _ in range(size):
            self.free.put(None)

    def convert_into(self, sources: Sequence[Path], outdir: Path, seconds: float) -> tuple[list[Path], str | None]:
        """Convert each source to ``outdir/<stem>.pdf`` within ``seconds`` in all: (the sources not converted —
        to be converted another way —, a timeout's text or None). A file LibreOffice refuses is left to the
        one-shot way too, which says why in its own words."""
        give_turn_back()  # (another request's Python work runs while this one waits for LibreOffice)
        deadline = time.monotonic() + seconds
        left = list(sources)
        if self.lost_in_a_row >= GIVE_UP:  # LibreOffice does not stay up here: stop trying
            return left, None
        try:
            taken = self.free.get(timeout=seconds)
        except queue.Empty:
            return left, None  # every converter busy all that time: the one-shot way
        resident = taken or self._start()
        try:
            while left and resident is not None:
                source = left[0]
                try:
                    reason = resident.convert(source, outdir / f"{source.stem}.pdf", deadline - time.monotonic())
                except Gone:
                    self.lost_in_a_row += 1
                    resident = self._replace(resident)
                    return left, None
                except TimeoutError:
                    resident = self._replace(resident)
                    return left, "timeout"
                if reason is not None:
                    return left, None
                left.pop(0)
                self.converted += 1
                self.lost_in_a_row = 0
            return left, None
        finally:
            if self.closed and resident is not None:
                resident.close()
            elif not self.closed:
                self.free.put(resident)

    def _start(self) -> Resident | None:
        try:
            return Resident(self.soffice, self.python, self.env)
        except OSError:  # the Python with uno is gone: count it as a converter lost
            self.lost_in_a_row += 1
            return None

    def _replace(self, dead: Resident) -> None:
        """Kill ``dead``; its place is started again at the next conversion."""
        dead.kill()
        self.restarts += 1

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                resident = self.free.get_nowait()
            except queue.Empty:
                return
            if resident is not None:
                resident.close()


_lock = threading.Lock()
_pool: Pool | None = None
_turns = threading.local()
ONE_SHOT_AT_ONCE = 2  # one-shot soffice calls at once from requests that took a turn
_one_shot = threading.BoundedSemaphore(ONE_SHOT_AT_ONCE)


@contextlib.contextmanager
def turn(slots: threading.Semaphore) -> Iterator[None]:
    """Hold one of ``slots`` for the block, or until this thread converts with a resident LibreOffice.

    The page's server runs every request in one process, where Python work takes turns (the GIL): twenty units
    rendering at once would make every other page wait its twentieth share. ``Site`` takes a turn of a small
    number for each heavy request (reading an upload, generating); a conversion gives its turn back for good
    (committing the files is light), so another unit renders while LibreOffice works. Not taken back while the
    request holds an output folder's lock: a request holding a turn may be waiting for that lock. A thread that
    holds the turn already just goes on (nested blocks).
    """
    if getattr(_turns, "slots", None) is slots:  # this thread holds it already
        yield
        return
    slots.acquire()
    _turns.slots = slots
    try:
        yield
    finally:
        give_turn_back()


@contextlib.contextmanager
def one_shot_turn() -> Iterator[None]:
    """Around a one-shot soffice call: a thread holding a ``turn`` gives it back and waits instead for one of
    ``ONE_SHOT_AT_ONCE`` places (the page without resident converters runs that many soffice at most, and
    renders meanwhile); a thread without a turn (the CLI) converts as it always did."""
    if getattr(_turns, "slots", None) is None:
        yield
        return
    give_turn_back()
    with _one_shot:
        yield


def give_turn_back() -> None:
    """Give back this thread's turn (``turn``), if it holds one."""
    slots = getattr(_turns, "slots", None)
    if slots is not None:
        _turns.slots = None
        slots.release()


def current() -> Pool | None:
    """The running pool of this process, if any."""
    return _pool


def start(size: int, soffice: str, env: dict[str, str]) -> tuple[bool, str]:
    """Up to ``size`` resident converters of ``soffice`` (run with ``env``: ``pdf.soffice_env()``) for this
    process's conversions from now on, each started when first needed: (set up, why not — "off", "uno" — or
    "")."""
    global _pool
    if os.environ.get(ENV_SWITCH, "").strip() == "0":
        return False, "off"
    python = uno_python(soffice)
    if python is None:
        return False, "uno"
    with _lock:
        if _pool is None:
            _pool = Pool(soffice, python, max(1, size), env)
    return True, ""


def stop() -> None:
    """Close the pool's converters (LibreOffice closed, profiles removed)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()
