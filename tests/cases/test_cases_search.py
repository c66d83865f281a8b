"""Searching the case list: typed text is sent by POST and kept in the session, so it
never appears in a URL, the browser's history or an access log."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.both_databases


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    member = make_user(agency=council)
    orchard = make_case(lead_agency=council, opened_by=member, title="Shouting at Margery Quillfeather, Orchard Road")
    other = make_case(lead_agency=council, opened_by=member, title="Graffiti on the garages")
    return member, orchard, other, council


def references(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    table = response.text.split('id="case-list"', 1)
    return re.findall(r'href="/cases/(ASB-\d{4}-\d{5,})"', table[1]) if len(table) == 2 else []


def search(client, **data):
    response = client.post("/cases/search", data=data)
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def test_the_filter_form_posts_its_text(client_as, world):
    member, _, _, council = world
    page = client_as(member).get("/cases").text
    form = re.search(r"<form[^>]*casework-filter[^>]*>", page).group(0)
    assert 'method="post"' in form and 'action="/cases/search"' in form


def test_a_search_redirects_to_a_token_and_never_to_the_text(client_as, world):
    member, orchard, _, council = world
    client = client_as(member)
    location = search(client, text="Quillfeather", status="open", sort="reference-asc")
    assert "quillfeather" not in location.lower()
    query = parse_qs(urlsplit(location).query)
    assert set(query) == {"search", "status", "sort", "scope"}
    assert len(query["search"][0]) >= 20  # random, not derived from the text
    assert query["status"] == ["open"] and query["sort"] == ["reference-asc"]
    response = client.get(location)
    assert references(response) == [orchard.reference]
    assert 'value="Quillfeather"' in response.text  # still in the box, in the page body


def test_the_token_is_not_derived_from_the_text(client_as, world):
    member, _, _, council = world
    client = client_as(member)
    first, second = search(client, text="Quillfeather"), search(client, text="Quillfeather")
    assert parse_qs(urlsplit(first).query)["search"] != parse_qs(urlsplit(second).query)["search"]


def test_no_text_means_no_token(client_as, world):
    member, _, _, council = world
    location = search(client_as(member), text="  ", status="open")
    assert "search=" not in location and "status=open" in location


def test_pages_and_sorting_keep_the_token(app, client_as, world, monkeypatch):
    member, _, _, council = world
    for number in range(4):
        make_case(lead_agency=council, opened_by=member, title=f"Noise at Quillfeather Court {number}")
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 2)
    client = client_as(member)
    location = search(client, text="quillfeather", sort="reference-desc")
    token = parse_qs(urlsplit(location).query)["search"][0]
    first = client.get(location)
    assert len(references(first)) == 2
    links = re.findall(r'href="(/cases\?[^"]*(?:after|before)=[^"]*)"', first.text)
    assert links
    for link in links:
        link = link.replace("&amp;", "&")
        assert f"search={token}" in link and "quillfeather" not in link.lower() and "text" not in link
    second = client.get(links[-1].replace("&amp;", "&"))
    assert len(references(second)) == 2
    assert set(references(first)).isdisjoint(references(second))


def test_an_unknown_token_shows_the_list_unfiltered_with_a_message(client_as, world):
    member, orchard, other, council = world
    response = client_as(member).get("/cases?search=no-such-token")
    assert sorted(references(response)) == sorted([orchard.reference, other.reference])
    assert "Your search has expired" in response.text


def test_a_token_belongs_to_the_session_that_made_it(client_as, world):
    member, orchard, other, council = world
    location = search(client_as(member), text="Quillfeather")
    colleague = make_user(agency=council)
    response = client_as(colleague).get(location)
    assert sorted(references(response)) == sorted([orchard.reference, other.reference])
    assert "Quillfeather" not in response.text.split('id="case-list"')[0].split("</h1>")[1]


def test_text_in_the_url_is_ignored(client_as, world):
    member, orchard, other, council = world
    response = client_as(member).get("/cases?text=Quillfeather")
    assert sorted(references(response)) == sorted([orchard.reference, other.reference])


def test_overlong_text_gets_a_clear_error_and_keeps_what_was_typed(client_as, world):
    member, _, _, council = world
    response = client_as(member).post("/cases/search", data={"text": "q" * 201})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Search must be 200 characters or fewer" in response.text  # as long as a title
    assert "q" * 201 in response.text


def test_signing_out_forgets_the_searches(client_as, world):
    member, _, _, council = world
    client = client_as(member)
    search(client, text="Quillfeather")
    with client.session_transaction() as stored:
        assert "Quillfeather" in str(dict(stored))
    client.post("/sign-out")
    with client.session_transaction() as stored:
        assert "Quillfeather" not in str(dict(stored))


def test_search_needs_the_case_list_permission(client_as, world):
    analyst = make_user(role=Role.ANALYST, agency=world[3])
    assert client_as(analyst).post("/cases/search", data={"text": "x"}).status_code == 403
