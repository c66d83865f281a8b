"""A view reads the date bounds once and gives the same value to the form's check and to
the command, so the two can never be judged by different settings."""

import ast
from pathlib import Path

import casework

PACKAGE = Path(casework.__file__).parent


def _calls(function: ast.AST) -> int:
    return sum(
        1
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "date_bounds"
    )


def test_each_view_reads_the_date_bounds_at_most_once():
    twice = []
    for path in sorted(PACKAGE.glob("*/views*")) + sorted(PACKAGE.glob("*/views/*.py")):
        if path.is_dir() or path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and _calls(node) > 1:
                twice.append(f"{path.relative_to(PACKAGE)}::{node.name}")
    assert not twice
