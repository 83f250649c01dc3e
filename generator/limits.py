"""Bounded work: a time and a memory limit around rendering an untrusted template.

``bounded(limits)`` runs its block under a watchdog thread. When the block
runs longer than ``limits.seconds``, or the process grows by more than
``limits.memory_mb`` since the block began, the watchdog raises
``LimitExceeded`` in the block's thread (CPython's asynchronous exception, on
Windows and Linux alike); the caller turns it into a clear message. Python
code is interrupted between two of its steps, so a loop of ``range(100000)``
inside another is stopped; a single step that allocates a lot at once is
stopped right after it. Batch workers also set an address-space limit
(``set_process_memory``, Linux) as a backstop.

Defaults are far above what a real report needs (a unit renders in well under a
second and a few tens of MB).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 1024
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB


class LimitExceeded(BaseException):
    """Raised inside a bounded block (a BaseException, so template code and ``except Exception`` pass it on)."""

    kind = "time"  # time | memory


class TimeExceeded(LimitExceeded):
    kind = "time"


class MemoryExceeded(LimitExceeded):
    kind = "memory"


def rss_bytes() -> int:
    """The process's resident memory now (0 where it cannot be told)."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0
    if os.name == "nt":
        return _windows_rss()
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):
        return 0


def _windows_rss() -> int:  # pragma: no cover - Windows only
    class Counters(ctypes.Structure):
        _fields_ = [("cb", ctypes.c_ulong), ("PageFaultCount", ctypes.c_ulong),
                    ("PeakWorkingSetSize", ctypes.c_size_t), ("WorkingSetSize", ctypes.c_size_t),
                    ("QuotaPeakPagedPoolUsage", ctypes.c_size_t), ("QuotaPagedPoolUsage", ctypes.c_size_t),
                    ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t), ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                    ("PagefileUsage", ctypes.c_size_t), ("PeakPagefileUsage", ctypes.c_size_t)]

    counters = Counters()
    counters.cb = ctypes.sizeof(Counters)
    try:
        handle = ctypes.windll.kernel32.GetCurrentProcess()
        if ctypes.windll.psapi.GetProcessMemoryInfo(handle, ctypes.byref(counters), counters.cb):
            return int(counters.WorkingSetSize)
    except (AttributeError, OSError):
        pass
    return 0


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


@contextlib.contextmanager
def bounded(limits: Limits | None) -> Iterator[None]:
    """Run the block under ``limits`` (None: unbounded); ``LimitExceeded`` when one is passed."""
    if limits is None:
        yield
        return
    target = threading.get_ident()
    start = time.monotonic()
    base = rss_bytes()
    budget = limits.memory_mb * 1024 * 1024
    lock = threading.Lock()
    state = {"active": True, "fired": False}
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(POLL_SECONDS):
            exc: type[LimitExceeded] | None = None
            if time.monotonic() - start > limits.seconds:
                exc = TimeExceeded
            elif base and rss_bytes() - base > budget:
                exc = MemoryExceeded
            if exc is not None:
                with lock:
                    if state["active"]:
                        state["fired"] = True
                        _raise_in(target, exc)
                return

    watcher = threading.Thread(target=watch, name="generator-limits", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        with lock:
            state["active"] = False
            if state["fired"]:
                _raise_in(target, None)  # an exception scheduled but not yet delivered goes with the block
        stop.set()
        watcher.join()


def set_process_memory(limit_mb: int) -> None:
    """Cap this process's address space (Linux): a backstop for batch workers. Quietly nothing elsewhere."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    try:
        limit = int(limit_mb) * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError, AttributeError):
        pass


@contextlib.contextmanager
def hard_deadline(seconds: float | None) -> Iterator[None]:
    """A batch worker's backstop: should the block still run after ``seconds`` (stuck where ``bounded`` cannot
    reach it, inside one long call of compiled code), the process ends at once; the batch makes the units it
    had not finished again, each alone. Nothing when ``seconds`` is None."""
    if not seconds:
        yield
        return
    timer = threading.Timer(seconds, os._exit, (70,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
