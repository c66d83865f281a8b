"""The layout draws the page's header and footer once, with the markup the GOV.UK page
template draws (which renders each twice, the first time only to see whether it is
empty)."""

import re

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from tests.factories import make_case, make_user
from tests.ui.test_widgets import structure

START, END = "{#- The parent template draws the header", "{#- govukServiceNavigation's markup"


def comparable(page: str) -> list[tuple[object, ...]]:
    """The page without what changes from one request to the next."""
    page = re.sub(r'nonce="[^"]*"', 'nonce=""', page)
    return structure(re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', page))


def with_the_librarys_header_and_footer(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve base.html without its own header and footer blocks, so the GOV.UK page
    template's are used."""
    source = app.jinja_env.loader.get_source(app.jinja_env, "base.html")[0]  # type: ignore[union-attr]
    start, end = source.index(START), source.index(END)
    assert "{% block header %}" in source[start:end] and "{% block footer %}" in source[start:end]
    loader = ChoiceLoader([DictLoader({"base.html": source[:start] + source[end:]}), app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "signed out"])
def test_the_header_and_footer_are_what_the_page_template_draws(
    app: Flask, client_as, council, monkeypatch, signed_in: bool
) -> None:
    member = make_user(agency=council)
    make_case(lead_agency=council, involved=[council])
    client = client_as(member) if signed_in else app.test_client()
    path = "/cases" if signed_in else "/sign-in"
    ours = client.get(path)
    with_the_librarys_header_and_footer(app, monkeypatch)
    theirs = client.get(path)
    assert ours.status_code == theirs.status_code == 200
    page = ours.get_data(as_text=True)
    assert '<header class="govuk-template__header"' in page and '<footer class="govuk-template__footer"' in page
    assert comparable(page) == comparable(theirs.get_data(as_text=True))


def test_the_header_is_drawn_once_a_page(app: Flask, client_as, council, monkeypatch) -> None:
    drawn = []
    navigation = app.jinja_env.globals["service_navigation"]
    monkeypatch.setitem(app.jinja_env.globals, "service_navigation", lambda *args: drawn.append(1) or navigation(*args))
    assert client_as(make_user(agency=council)).get("/cases").status_code == 200
    assert len(drawn) == 1
