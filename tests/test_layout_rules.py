"""One place says where things live (issue 28 item 4): ``generator/layout.py``.

The rules of the folder layout — a workbook's name (``2024.xlsx``), a template's (``report.docx``), the
county summary's, a unit's output folder — are written in layout.py alone. This test reads every other
module under generator/ (with ``ast``: comments and docstrings do not count) and fails on a string that
spells such a rule: a text ending in ``.xlsx`` (a bare ``".xlsx"`` is a file type, not a place, and is
allowed), an f-string building a name that ends in ``.xlsx``, or any text holding ``report.docx``.
User-facing messages (messages.py) may mention paths in prose; they are not read here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SOURCE = ROOT / "generator"
ALLOWED = {SOURCE / "layout.py", SOURCE / "messages.py"}


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the Constant nodes that are docstrings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def path_rules(path: Path) -> list[str]:
    """``file:line: text`` of every string in ``path`` that spells a layout rule."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    skip = docstrings(tree)
    inside_fstrings = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.JoinedStr):
            last = node.values[-1] if node.values else None
            if isinstance(last, ast.Constant) and isinstance(last.value, str) and last.value.endswith(".xlsx"):
                text = ast.unparse(node)
            elif any(isinstance(v, ast.Constant) and "report.docx" in str(v.value) for v in node.values):
                text = ast.unparse(node)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
              and id(node) not in inside_fstrings):
            value = node.value
            if "report.docx" in value or (value.endswith(".xlsx") and value != ".xlsx"):
                text = repr(value)
        if text is not None:
            found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno}: {text}")
    return found


def test_the_checker_finds_each_kind_of_rule(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""A docstring may say data/2024.xlsx and templates/x/report.docx."""\n'
                      'A = f"{year}.xlsx"\n'
                      'B = "data/2024.xlsx"\n'
                      'C = folder / "report.docx"\n'
                      'D = p.suffix == ".xlsx"\n'
                      '# a comment: output/2024/x.xlsx\n', "utf-8")
    found = sorted((line.split(": ", 1)[0].rsplit(":", 1)[1] for line in path_rules(sample)), key=int)
    assert found == ["2", "3", "4"]


def test_no_module_but_layout_spells_a_path_rule() -> None:
    found = [line for path in sorted(SOURCE.rglob("*.py")) if path not in ALLOWED for line in path_rules(path)]
    assert not found, "path rules outside generator/layout.py:\n" + "\n".join(found)
