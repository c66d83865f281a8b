"""Templates import only the macros and components they use.

A name used but not imported already fails when the page renders; a name imported and
never used fails nowhere else, so this test looks for it in every template.
"""

from pathlib import Path

import pytest
from jinja2 import Environment, nodes

CASEWORK = Path(__file__).resolve().parent.parent / "casework"
TEMPLATES = sorted(path for path in CASEWORK.glob("**/templates/**/*.html"))


def imported_names(tree: nodes.Template) -> list[str]:
    """Every name a `{% from ... import ... %}` or `{% import ... as ... %}` brings in."""
    names: list[str] = []
    for node in tree.find_all(nodes.FromImport):
        for entry in node.names:
            names.append(entry[1] if isinstance(entry, tuple) else entry)
    names.extend(node.target for node in tree.find_all(nodes.Import))
    return names


def unused_imports(source: str) -> list[str]:
    tree = Environment().parse(source)
    used = {name.name for name in tree.find_all(nodes.Name) if name.ctx == "load"}
    return [name for name in imported_names(tree) if name not in used]


def test_unused_imports_are_found() -> None:
    source = (
        '{% from "a.html" import used, unused %}'
        '{% from "b.html" import thing as renamed %}'
        '{% import "c.html" as module %}'
        "{{ used() }}{% call module.box() %}{% endcall %}"
    )
    assert unused_imports(source) == ["unused", "renamed"]


def test_imports_used_inside_blocks_and_macros_count() -> None:
    source = (
        '{% extends "base.html" %}{% from "a.html" import tag, row %}'
        "{% macro cell(x) %}{{ row(x) }}{% endmacro %}"
        "{% block content %}{{ tag('New') }}{% endblock %}"
    )
    assert unused_imports(source) == []


def test_templates_were_found() -> None:
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(CASEWORK)))
def test_every_import_in_a_template_is_used(path: Path) -> None:
    assert unused_imports(path.read_text(encoding="utf-8")) == []
