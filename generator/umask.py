"""The permissions of the files the program writes: what the process umask allows, read once at start-up.

Reading the umask means setting it (``os.umask`` returns the old value), so it is read here, once, when the
program starts (this module is imported before any thread runs), never per file: a web server's request
threads setting it for a moment would give a file made at that moment by another thread the wrong mode.
"""

from __future__ import annotations

import os


def _read() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read()


def file_mode() -> int:
    """The mode of an ordinary new file here: 0666 less the umask (``mkstemp`` makes 0600)."""
    return 0o666 & ~UMASK
