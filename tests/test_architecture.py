"""The package's import graph (issue 16 item 2): no cycle, and the file-format code imports no stage.

Every module under generator/ is parsed with ``ast`` (nothing is imported or run); every
``import`` and ``from … import`` counts, absolute or relative, at module level or inside a
function, a method, a ``try`` or an ``if TYPE_CHECKING`` block.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = "generator"
SOURCE = ROOT / PACKAGE

# The rule, written here and not read from the code: a module under generator/formats/ may use
# the shared helpers (schema, names, formatting, errors, messages, limits) and other formats, but
# never a stage of the pipeline, nor what is built on the stages.
STAGES = ("read", "validate", "compute", "audit", "render", "write", "template", "template_lint", "pipeline",
          "pdf_export", "batch", "summary", "workbook_layout", "api", "commands", "web")
# commands/ holds what backs a verb of the command line (issue 28 item 7), nothing a library module needs: only
# the command line, the web page (the same verbs, on a page) and other commands import it
COMMAND_USERS = ("cli", "web", "commands")
FORBIDDEN_FOR_FORMATS = tuple(f"{PACKAGE}.{name}" for name in STAGES)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``name`` imports (``from . import x`` counts as module ``x`` when it is one)."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()

    def add(target: str) -> None:
        # the module itself if it is one of ours, else the nearest package above it that is
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            out.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
                if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
                    continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                add(candidate if candidate in known else base)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imported(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


# ---------------------------------------------------------------------------- the checker checks


def test_the_parser_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Absolute, relative (one and two levels), from-package-import-module, and inside a function."""
    pkg = tmp_path / PACKAGE
    (pkg / "formats").mkdir(parents=True)
    for name in ("__init__", "schema", "read", "render", "formats/__init__", "formats/zip"):
        (pkg / f"{name}.py").write_text("", "utf-8")
    (pkg / "formats" / "pdf.py").write_text(
        "import generator.schema\n"
        "from . import zip\n"
        "from .. import read\n"
        "def late():\n"
        "    from ..render import something\n"
        "    import os\n", "utf-8")
    known = {"generator", "generator.schema", "generator.read", "generator.render", "generator.formats",
             "generator.formats.zip", "generator.formats.pdf"}
    found = imported("generator.formats.pdf", pkg / "formats" / "pdf.py", known)
    assert found == {"generator.schema", "generator.formats.zip", "generator.read", "generator.render"}


def test_cycle_finder_finds_a_loop_and_only_loops() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(cycles(edges)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


# ---------------------------------------------------------------------------- the package


def test_the_graph_covers_the_package() -> None:
    edges = graph()
    # the layout of docs/architecture.md: stages, formats and commands are all there and parsed
    for name in ("read", "validate", "compute", "audit", "render", "write", "pipeline", "template",
                 "template_lint", "formats.xlsx_read", "formats.docx_render", "batch", "summary", "pdf_export",
                 "workbook_layout", "commands.newyear", "commands.template_check"):
        assert f"{PACKAGE}.{name}" in edges, name
    assert f"{PACKAGE}.compute" in edges[f"{PACKAGE}.pipeline"]  # the pipeline uses its stages
    assert f"{PACKAGE}.formats.docx_render" in edges[f"{PACKAGE}.render"]
    assert f"{PACKAGE}.template_lint" in edges[f"{PACKAGE}.template"]  # the loader runs the linter


def test_no_import_cycle() -> None:
    found = cycles(graph())
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(c) for c in found)


def test_formats_import_no_stage() -> None:
    edges = graph()
    bad = []
    for name, targets in sorted(edges.items()):
        if not name.startswith(f"{PACKAGE}.formats"):
            continue
        for target in sorted(targets):
            if any(target == f or target.startswith(f + ".") for f in FORBIDDEN_FOR_FORMATS):
                bad.append(f"{name} imports {target}")
    assert not bad, bad


def test_commands_hold_commands_only() -> None:
    """Library code lives outside commands/: no module but the command line's, the web's and the commands'
    own imports a command."""
    users = tuple(f"{PACKAGE}.{name}" for name in COMMAND_USERS)
    bad = []
    for name, targets in sorted(graph().items()):
        if name in users or name.startswith(tuple(u + "." for u in users)):
            continue
        bad += [f"{name} imports {t}" for t in sorted(targets)
                if t == f"{PACKAGE}.commands" or t.startswith(f"{PACKAGE}.commands.")]
    assert not bad, bad


def test_the_umask_is_read_in_one_place_once() -> None:
    """Reading the umask sets it: only generator/umask.py does, once at import, never a request's thread per file
    (issue 28 item 6)."""
    callers = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "umask":
                callers.append((name, node.lineno, isinstance(node.value, ast.Name) and node.value.id == "os"))
    assert {(name, is_os) for name, _, is_os in callers if is_os} == {(f"{PACKAGE}.umask", True)}, callers
    tree = ast.parse((SOURCE / "umask.py").read_text("utf-8"))
    reader = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_read")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "_read"]
    assert reader and len(calls) == 1  # called once, at module level
    assert any(isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") == "_read"
               for n in tree.body)
