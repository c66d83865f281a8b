"""No function in casework/ is over 60 lines, from its `def` line to its last, unless a
`# Long: <reason>` line right above it says why (docs/architecture.md).

The demo is where long loaders grew first; the rule covers the whole package."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 60
REASON = "# Long:"

# Functions still over the limit while they are being split into steps, as
# "path::qualified name". Each entry fails the test once its function is short again
# (or gone), so the list only shrinks; empty when nothing is pending.
PENDING: set[str] = set()

Function = ast.FunctionDef | ast.AsyncFunctionDef


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, Function]]:
    """Every function, method and nested function, by qualified name."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, Function):
            yield prefix + node.name, node
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def length(function: Function) -> int:
    return (function.end_lineno or function.lineno) - function.lineno + 1


def explained(function: Function, lines: list[str]) -> bool:
    """A `# Long:` line with a reason, right above the `def` line or its decorators."""
    tops = {function.lineno, *(decorator.lineno for decorator in function.decorator_list)}
    above = [lines[top - 2].strip() for top in tops if top >= 2]
    return any(line.startswith(REASON) and line.removeprefix(REASON).strip() for line in above)


def unexplained_long_functions(source: str) -> dict[str, int]:
    lines = source.splitlines()
    return {
        name: length(function)
        for name, function in functions(ast.parse(source))
        if length(function) > LIMIT and not explained(function, lines)
    }


def test_no_function_in_casework_is_long_without_a_reason():
    found = {
        f"{path.relative_to(ROOT)}::{name}": size
        for path in sorted((ROOT / "casework").rglob("*.py"))
        for name, size in unexplained_long_functions(path.read_text(encoding="utf-8")).items()
    }
    long = {name: size for name, size in found.items() if name not in PENDING}
    assert not long, f"over {LIMIT} lines: split into named steps, or say why on a '{REASON}' line above: {long}"
    short_again = PENDING - set(found)
    assert not short_again, f"no longer over {LIMIT} lines: take them off PENDING: {sorted(short_again)}"


def function_of(size: int, above: str = "", decorator: str = "") -> str:
    """Source of a function ``size`` lines long, from its `def` line to its last."""
    body = "".join(f"    x{n} = {n}\n" for n in range(size - 1))
    return f"{above}{decorator}def f():\n{body}"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        (function_of(60), {}),
        (function_of(61), {"f": 61}),
        (function_of(61, "# Long: one table of choices, read top to bottom\n"), {}),
        (function_of(61, "# Long: reads as one recipe\n", "@decorated\n"), {}),
        (function_of(61, "", "@decorated\n# Long: reads as one recipe\n"), {}),
        (function_of(61, "# Long:\n"), {"f": 61}),  # no reason given
        (function_of(61, "# Long: too far away\n\n"), {"f": 61}),
        (function_of(61, "# long functions are fine here\n"), {"f": 61}),
    ],
    ids=["60", "61", "reason", "reason-above-decorator", "reason-below-decorator", "no-reason", "gap", "other"],
)
def test_a_function_over_60_lines_needs_a_reason_right_above_it(source, found):
    assert unexplained_long_functions(source) == found


def test_methods_and_nested_functions_are_measured_by_their_qualified_names():
    method = "\n".join("    " + line for line in function_of(61).splitlines())
    nested = "\n".join("    " + line for line in function_of(70).splitlines())
    source = f"class C:\n{method}\n\ndef outer():\n{nested}\n"
    assert unexplained_long_functions(source) == {"C.f": 61, "outer": 71, "outer.f": 70}
