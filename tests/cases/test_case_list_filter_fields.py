"""The case list's filter fields are drawn once per worker for each set of values and
choices, and what is kept is only ever what a fresh drawing gives: each user's own
areas, what their filters chose, their errors and their typed text."""

import re

import pytest

from casework.cases.views import cases as views
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user


@pytest.fixture
def drawn(monkeypatch):
    """Each drawing of the fields, in a worker that has kept none yet."""
    monkeypatch.setattr(views, "_DRAWN_FILTERS", {})
    calls = []
    original = views._draw_filter_fields
    monkeypatch.setattr(views, "_draw_filter_fields", lambda *args: calls.append(args) or original(*args))
    return calls


@pytest.fixture
def two_agencies(session):
    council, police = make_agency(name="Council"), make_agency(name="Police")
    make_case(lead_agency=council, town="March")
    make_case(lead_agency=police, town="Wisbech")
    return {"council": council, "police": police}


def filter_form(html: str) -> str:
    return re.search(r'<form method="post" action="/cases/search".*?</form>', html, re.S).group(0)


def areas(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="town".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select)[1:]


def test_a_repeated_list_draws_its_fields_once(client_as, two_agencies, drawn):
    client = client_as(make_user(agency=two_agencies["council"]))
    first = client.get("/cases")
    assert len(drawn) == 1
    again = client.get("/cases")
    assert len(drawn) == 1
    assert filter_form(again.text) == filter_form(first.text)
    assert areas(again.text) == ["March"]


def test_each_user_gets_the_fields_of_their_own_choices(client_as, two_agencies, drawn):
    council, police = (client_as(make_user(agency=two_agencies[name])) for name in ("council", "police"))
    assert areas(council.get("/cases").text) == ["March"]
    assert areas(police.get("/cases").text) == ["Wisbech"]
    assert areas(council.get("/cases").text) == ["March"]
    assert len(drawn) == 2
    # A member, who may see other agencies' cases as stubs, is offered "Show"; a partner
    # of the same agency, with the same choices, is not.
    partner = client_as(make_user(agency=two_agencies["council"], role=Role.PARTNER)).get("/cases").text
    assert 'name="scope"' in council.get("/cases").text and 'name="scope"' not in partner
    assert areas(partner) == ["March"]


def test_what_a_filter_chose_is_drawn_as_chosen(client_as, two_agencies, drawn):
    client = client_as(make_user(agency=two_agencies["council"]))
    client.get("/cases")
    chosen = filter_form(client.get("/cases?status=open&sort=reference-asc&town=March").text)
    assert '<option value="open" selected>' in chosen and '<option value="reference-asc" selected>' in chosen
    assert '<option value="March" selected>' in chosen
    plain = filter_form(client.get("/cases").text)
    assert re.findall(r'<option value="([^"]*)" selected>', plain) == ["", "", "", "opened-desc"]


def test_errors_and_typed_text_are_drawn_each_time_and_never_kept(client_as, two_agencies, drawn):
    client = client_as(make_user(agency=two_agencies["council"]))
    for _ in range(2):
        mangled = client.get("/cases?status=nonsense")
        assert "Select an option from the list" in mangled.text
    searched = client.post("/cases/search", data={"text": "Noise at the Anchor"}, follow_redirects=True)
    assert 'value="Noise at the Anchor"' in searched.text
    client.get("/cases?text=Noise")  # never read from a URL, and never kept from one
    assert len(drawn) == 4 and views._DRAWN_FILTERS == {}
