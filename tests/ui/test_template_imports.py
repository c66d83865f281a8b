"""Every ``{% import %}`` and ``{% from ... import %}`` asks at each render whether the
importing template has globals the imported one lacks; Casework's templates
(``casework.ui.templating.Template``) ask it with one set operation. What an import
sees must be what Jinja's own templates give it."""

import jinja2
import pytest
from flask import Flask

from casework.ui.templating import Template

MACROS = "{% macro shout() %}{{ greeting | default('none') }}, {{ who | default('nobody') }}{% endmacro %}"
PAGE = '{% from "macros.html" import shout %}{% import "macros.html" as all %}{{ shout() }} / {{ all.shout() }}'


def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.DictLoader({"macros.html": MACROS})
    jinjas, ours = jinja2.Environment(loader=loader), jinja2.Environment(loader=loader)
    ours.template_class = Template
    for environment in (jinjas, ours):
        environment.globals["greeting"] = "Hello"
    return jinjas, ours


@pytest.mark.parametrize("page_globals", [None, {"who": "page"}, {"who": "page", "greeting": "Hi"}])
def test_an_import_sees_what_jinjas_own_templates_give_it(page_globals: dict[str, str] | None) -> None:
    jinjas, ours = _environments()
    expected = jinjas.from_string(PAGE, globals=page_globals).render()
    for _ in range(2):  # the module kept from the first render, or made again
        assert ours.from_string(PAGE, globals=page_globals).render() == expected
    assert type(ours.get_template("macros.html")) is Template


def test_the_applications_templates_are_casework_templates(app: Flask) -> None:
    assert type(app.jinja_env.get_template("base.html")) is Template
    assert type(app.jinja_env.get_template("govuk_frontend_jinja/template.html")) is Template
    # Jinja still decides this way: a new version that does not would need a look here.
    assert hasattr(jinja2.Template, "_get_default_module")
