"""Form fields and tags are drawn without the cost of a page each, and look the same.

govuk-frontend-wtf draws a field with Flask's render_template (every context processor
again, for each field); Casework draws it from the widget's template alone, and a plain
select in Python (casework/ui/widgets.py). The tag macro writes govukTag's markup
itself, and so does ``widgets.tag`` for rows written in Python. Each must give what the
library's own way gives: the same elements, attributes and text (a select written in
Python leaves out the macros' indentation).
"""

from html.parser import HTMLParser

import pytest
from flask import Flask, render_template
from flask_wtf import FlaskForm
from govuk_frontend_wtf.gov_form_base import GovFormBase
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from casework.ui import templating, widgets
from casework.ui.fields import GovDateField, RadiosWidget


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[tuple[object, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(("start", tag, sorted(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if text := " ".join(data.split()):
            self.parts.append(("text", text))


def structure(html: str) -> list[tuple[object, ...]]:
    """Elements, attributes and text, whatever the whitespace between them."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.parts


class EveryWidget(FlaskForm):
    text = StringField("Name <or> alias", description="As they gave it", widget=GovTextInput())
    required = StringField("Town", validators=[InputRequired(message="Enter a town")], widget=GovTextInput())
    area = SelectField("Area", choices=[("", "Any"), ("wisbech", "Wisbech & March")], widget=GovSelect())
    agency = SelectField(
        "Lead <agency>",
        description="Who leads",
        coerce=int,
        choices=[(1, "Police"), (2, "Council")],
        widget=GovSelect(),
    )
    must = SelectField(
        "Status",
        choices=[("", "Choose"), ("open", "Open")],
        validators=[InputRequired("Choose a status")],
        widget=GovSelect(),
    )
    scope = SelectField("Show", choices=[("mine", "Mine"), ("all", "All")], default="mine", widget=RadiosWidget())
    answer = SelectField(
        "Is it <urgent>?",
        description="Say & mean it",
        choices=[("yes", "Yes"), ("no", "No <really>")],
        validators=[InputRequired("Say whether it is urgent")],
        widget=RadiosWidget(),
    )
    kinds = SelectMultipleField("Kinds", choices=[("a", "A"), ("b", "B")], widget=GovCheckboxesInput())
    notes = TextAreaField("Notes", widget=GovTextArea())
    details = TextAreaField("Details", widget=GovCharacterCount())
    secret = PasswordField("Password", widget=GovPasswordInput())
    opened = GovDateField("Opened")
    submit = SubmitField("Save", widget=GovSubmitInput())


PARAMS = {
    "text": {"label": {"classes": "govuk-label--s"}},
    "area": {"label": {"classes": "govuk-label--s"}, "classes": "govuk-!-width-full"},
    "agency": {"attributes": {"data-test": "a&b"}},
    "must": {"label": {"text": "Status <now>", "isPageHeading": True}},
    "scope": {"classes": "govuk-radios--small", "fieldset": {"legend": {"classes": "govuk-fieldset__legend--s"}}},
    "details": {"maxlength": 200},
}


@pytest.mark.parametrize(
    "formdata",
    [
        {},
        {"text": "<b>Ann</b>", "area": "wisbech", "agency": "2", "must": "open", "scope": "all", "kinds": ["b"]},
        {"text": 'say "hi"', "required": "March", "answer": "no"},
    ],
)
def test_every_widget_draws_what_the_library_draws(app: Flask, formdata: dict[str, object]) -> None:
    with app.test_request_context(method="POST", data=formdata):
        form = EveryWidget()
        form.validate()
        for field in form:
            params = PARAMS.get(field.name, {})
            ours = str(field(params=params) if params else field())
            theirs = _drawn_by_the_library(field, params)
            if isinstance(field.widget, GovSelect | GovTextInput | RadiosWidget):  # written in Python
                assert structure(ours) == structure(theirs), field.name
            else:
                assert ours == theirs, field.name
            assert ours.strip(), field.name


def test_a_plain_select_is_written_in_python_and_anything_else_by_the_macro(app: Flask) -> None:
    with app.test_request_context():
        form = EveryWidget()
        kwargs = {"id": "x", "items": [{"text": "A", "value": "a", "selected": False}]}
        assert widgets.select(form.area.widget.map_gov_params(form.area, **kwargs)) is not None
        heading = {**kwargs, "params": PARAMS["must"]}
        assert widgets.select(form.must.widget.map_gov_params(form.must, **heading)) is None


def test_plain_radios_and_text_boxes_are_written_in_python_and_anything_else_by_the_macro(app: Flask) -> None:
    with app.test_request_context():
        form = EveryWidget()
        assert widgets.text_input(form.text.widget.map_gov_params(form.text, id="text")) is not None
        heading = {"id": "text", "params": {"label": {"text": "Name", "isPageHeading": True}}}
        assert widgets.text_input(form.text.widget.map_gov_params(form.text, **heading)) is None
        prefixed = {"id": "text", "params": {"prefix": {"text": "£"}}}
        assert widgets.text_input(form.text.widget.map_gov_params(form.text, **prefixed)) is None
        items = [{"text": "Mine", "value": "mine"}, {"text": "All", "value": "all"}]
        assert widgets.radios(form.scope.widget.map_gov_params(form.scope, id="scope", items=items)) is not None
        revealing = [items[0], {**items[1], "conditional": {"html": "<p>more</p>"}}]
        params = form.scope.widget.map_gov_params(form.scope, id="scope", items=items)
        assert widgets.radios({**params, "items": revealing}) is None
        assert widgets.radios({**params, "fieldset": {"legend": {"text": "Show", "isPageHeading": True}}}) is None


def _drawn_by_the_library(field: object, params: dict[str, object]) -> str:
    """The field as govuk-frontend-wtf draws it: its own render, through render_template."""
    ours = GovFormBase.render

    def library(self: GovFormBase, params: dict[str, object]) -> Markup:
        return Markup(render_template(self.template, params=params))  # type: ignore[attr-defined]

    GovFormBase.render = library  # type: ignore[method-assign]
    try:
        return str(field(params=params) if params else field())  # type: ignore[operator]
    finally:
        GovFormBase.render = ours  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("text", "colour"),
    [("Open", "green"), ("Closed", "grey"), ("<Restricted & more>", "red"), ("New", None), ("Blank", "")],
)
def test_the_tag_macro_writes_govuk_tag_markup(app: Flask, text: str, colour: str | None) -> None:
    with app.test_request_context():
        environment = app.jinja_env
        ours = environment.from_string('{% from "_macros/tag.html" import tag %}{{ tag(text, colour) }}')
        theirs = environment.from_string(
            '{% from "govuk_frontend_jinja/components/tag/macro.html" import govukTag %}'
            "{{ govukTag({'text': text, 'classes': 'govuk-tag--' ~ colour if colour else none}) }}"
        )
        assert ours.render(text=text, colour=colour) == theirs.render(text=text, colour=colour)
        # and the same markup written in Python, for rows built outside a template
        assert widgets.tag(text, colour) == theirs.render(text=text, colour=colour)


def test_a_page_works_out_its_navigation_once_however_many_fields_it_draws(client_as, council, monkeypatch) -> None:
    """The case list's filter form draws seven fields; the layout's values (the
    navigation, the permissions) are worked out for the page, not again for each field."""
    from casework.ui import templating
    from tests.factories import make_case, make_user

    make_case(lead_agency=council)
    client = client_as(make_user(agency=council))
    worked_out = []
    navigation = templating._navigation
    monkeypatch.setattr(templating, "_navigation", lambda: worked_out.append(1) or navigation())
    response = client.get("/cases")
    assert response.status_code == 200
    assert 'name="lead_agency"' in response.get_data(as_text=True)
    assert len(worked_out) == 1


def menu(page: str) -> str:
    return page[page.index('<ul class="govuk-service-navigation__list"') :].split("</ul>")[0]


def test_the_navigation_is_worked_out_once_per_page_and_set_of_permissions(client_as, council, monkeypatch) -> None:
    """Kept by the page's endpoint and what the user may open: a second view of a page
    builds no links, and a role that may open other pages gets links of its own."""
    from casework.permissions import Role
    from casework.ui import templating
    from tests.factories import make_user

    monkeypatch.setattr(templating, "_NAVIGATIONS", {})
    worked_out = []
    links = templating._navigation_links
    monkeypatch.setattr(templating, "_navigation_links", lambda: worked_out.append(1) or links())
    member = client_as(make_user(agency=council))
    first, again = (menu(member.get("/cases").get_data(as_text=True)) for _ in range(2))
    assert len(worked_out) == 1
    assert first == again and again.count('aria-current="true"') == 1 and ">Cases</strong>" in again
    manager = menu(client_as(make_user(role=Role.MANAGER, agency=council)).get("/cases").get_data(as_text=True))
    assert len(worked_out) == 2
    assert manager != again and ">Cases</strong>" in manager


@pytest.mark.parametrize(
    "navigation",
    [
        [],
        [{"href": "/", "text": "My work", "active": True}],
        [
            {"href": "/", "text": "My work", "active": False},
            {"href": "/cases?a=1&b=2", "text": "Cases <all>", "active": True},
            {"href": "/plan", "text": "Plan", "active": False},
        ],
    ],
)
def test_the_service_navigation_is_drawn_as_the_macro_draws_it(app: Flask, navigation: list[dict[str, object]]) -> None:
    with app.test_request_context():
        theirs = app.jinja_env.from_string(
            '{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}'
            "{{ govukServiceNavigation({'serviceName': 'Casework', 'serviceUrl': '/?x=<1>', 'navigation': navigation}) }}"
        ).render(navigation=navigation)
        ours = widgets.service_navigation("/?x=<1>", navigation)
        assert structure(ours) == structure(theirs)


@pytest.mark.parametrize(
    ("previous", "next_"),
    [("/cases?before=abc", None), (None, "/cases?status=open&after=<x>"), ("/cases?a=1&before=b", "/cases?after=c")],
)
def test_previous_and_next_are_drawn_as_the_macro_draws_them(
    app: Flask, previous: str | None, next_: str | None
) -> None:
    links = {"previous": {"href": previous} if previous else None, "next": {"href": next_} if next_ else None}
    with app.test_request_context():
        theirs = app.jinja_env.from_string(
            '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'
            "{{ govukPagination(links) }}"
        ).render(links=links)
        ours = widgets.previous_next(previous, next_)
    assert ours == theirs  # the same text, to the whitespace
    assert structure(ours) == structure(theirs)


@pytest.mark.parametrize(("page", "pages"), [(1, 2), (2, 2), (5, 60), (1, 9), (9, 9), (3, 5)])
def test_numbered_pages_are_drawn_as_the_macro_draws_them(app: Flask, page: int, pages: int) -> None:
    with app.test_request_context("/premises?town=<Wisbech>&deadline_passed=y&page=2"):
        params = templating.pagination("premises.index", page, pages)
        theirs = app.jinja_env.from_string(
            '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'
            "{{ govukPagination(params) }}"
        ).render(params=params)
        ours = templating.page_links("premises.index", page, pages)
    assert ours == theirs  # the same text, to the whitespace
    assert ours == widgets.pagination_links(params)


def test_previous_and_next_without_page_numbers_are_drawn_as_the_macro_draws_them(app: Flask) -> None:
    params = {"previous": {"href": "/actions?page=4"}, "next": {"href": "/actions?page=6&due_from=<1>"}}
    with app.test_request_context():
        theirs = app.jinja_env.from_string(
            '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'
            "{{ govukPagination(params) }}"
        ).render(params=params)
    assert widgets.pagination_links(params) == theirs


def test_no_previous_or_next_draws_nothing() -> None:
    assert widgets.previous_next(None, None) == Markup("")
