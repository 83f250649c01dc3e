"""A resident LibreOffice that converts files to PDF, driven over its standard input and output.

Run as a script by a Python that can ``import uno`` (Debian's ``python3-uno`` for ``/usr/bin/python3``, or the
Python bundled with LibreOffice on Windows and macOS); it imports nothing of the generator, only the standard
library and ``uno``. Started by ``formats.pdf_resident``::

    PYTHON uno_worker.py SOFFICE PROFILE_URI PIPE_NAME START_SECONDS

It starts ``soffice`` headless with the private profile, listening on a named pipe (a local socket only this
user can reach; no network port), connects to it, and says ``{"ready": true}`` (or ``{"ready": false,
"error": …}``) as one JSON line. Then, for each JSON line read, ``{"src": PATH, "dst": PATH}``, it converts
``src`` to a PDF at ``dst`` and answers one JSON line, ``{"ok": true}`` or ``{"ok": false, "error": TEXT,
"gone": BOOL}`` (``gone``: LibreOffice itself is lost; the worker exits after saying so). At the end of its
input (its parent has gone) or on ``{"quit": true}`` it closes LibreOffice and exits. One conversion at a time.

A document is loaded hidden and read-only, links not updated, macros never run, as ``soffice --convert-to``
loads it, and stored with the PDF export filter of its kind (Writer or Calc).
"""

import json
import os
import shutil
import subprocess
import sys
import time

import uno  # noqa: F401  (pyuno: the bridge to LibreOffice)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

NEVER_EXECUTE = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_UPDATE = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def say(message):
    sys.stdout.write(json.dumps(message) + "\n")  # ASCII: whatever the console encoding is
    sys.stdout.flush()


def connect(soffice, profile, pipe, seconds):
    """Start soffice on the pipe and return (the process, its Desktop), or (the process, None) after ``seconds``."""
    office = subprocess.Popen(
        [soffice, "-env:UserInstallation=" + profile, "--headless", "--invisible", "--nologo", "--nodefault",
         "--norestore", "--nolockcheck", "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + seconds
    while True:
        try:
            context = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
            return office, desktop
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                return office, None
            time.sleep(0.1)


def convert(desktop, src, dst):
    load = (prop("Hidden", True), prop("ReadOnly", True), prop("MacroExecutionMode", NEVER_EXECUTE),
            prop("UpdateDocMode", NO_UPDATE))
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(src)), "_blank", 0, load)
    if doc is None:
        raise ValueError("LibreOffice could not open " + src)
    try:
        calc = doc.supportsService("com.sun.star.sheet.SpreadsheetDocument")
        export = "calc_pdf_Export" if calc else "writer_pdf_Export"
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(dst)), (prop("FilterName", export),))
    finally:
        doc.close(True)


def finish(office, desktop):
    try:
        if desktop is not None:
            desktop.terminate()
    except Exception:  # already gone
        pass
    try:
        office.wait(timeout=10)
    except subprocess.TimeoutExpired:
        office.kill()
        office.wait()


def main():
    soffice, profile, pipe, seconds = sys.argv[1:5]
    try:
        return serve(soffice, profile, pipe, float(seconds))
    finally:  # the private profile goes with the worker, however its parent ended
        shutil.rmtree(uno.fileUrlToSystemPath(profile), ignore_errors=True)


def serve(soffice, profile, pipe, seconds):
    try:
        office, desktop = connect(soffice, profile, pipe, seconds)
    except OSError as exc:
        say({"ready": False, "error": "soffice could not start: %s" % exc})
        return 1
    if desktop is None:
        say({"ready": False, "error": "soffice did not accept a connection (exit %s)" % office.poll()})
        finish(office, None)
        return 1
    say({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        try:
            convert(desktop, request["src"], request["dst"])
            say({"ok": True})
        except Exception as exc:  # a document LibreOffice cannot convert, or LibreOffice lost
            gone = office.poll() is not None or type(exc).__name__ in ("DisposedException", "RuntimeException")
            say({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc), "gone": gone})
            if gone:
                break
    finish(office, desktop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
