"""The case list's pages by keyset: forwards and back across page boundaries, with
cases opened at the same instant, every filter, the count capped, and links made
when the list had page numbers."""

import base64
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from casework import db
from casework.cases.models import Case, CaseStatus, CaseType
from casework.cases.services import pages
from casework.cases.services.pages import CaseFilter
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.both_databases

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TYPES = [CaseType.VICTIM, CaseType.PERPETRATOR, CaseType.PLACE, CaseType.FAMILY]


@pytest.fixture
def many(session):
    """17 cases: two agencies leading, 13 involving the member's agency, some of
    them opened at the same instant (groups of three straddle the page boundaries of
    pages of 2 and of 4), a few restricted, two towns."""
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    member, officer = make_user(agency=council), make_user(agency=police)
    cases = []
    for number in range(17):
        ours = number % 4 != 3
        cases.append(
            make_case(
                lead_agency=council if ours and number % 2 else police,
                opened_by=member if ours else officer,
                involved=[council] if ours else [],
                opened_at=START + timedelta(hours=number // 3),  # 0,0,0,1,1,1,2,...
                case_type=TYPES[number % 4],
                status=CaseStatus.CLOSED if number % 5 == 0 else CaseStatus.OPEN,
                town="March" if number % 3 == 0 else "Wisbech",
                restricted=number in (7, 11),
                title=f"Noise case {number:02d}" if number % 2 else f"Graffiti case {number:02d}",
                reference=f"ASB-2026-{100 + (number * 7) % 17:05d}",  # not in the order of opening
            )
        )
    return {"member": member, "council": council, "police": police, "cases": cases}


def walk(actor, criteria: CaseFilter, per_page: int) -> list[list[str]]:
    """Every page by its 'next' cursor, then back again by 'previous': both ways must
    give the same pages."""
    forwards = [pages.list_cases(actor, criteria, per_page=per_page)]
    while forwards[-1].next:
        assert len(forwards) < 50
        forwards.append(pages.list_cases(actor, replace(criteria, after=forwards[-1].next), per_page=per_page))
    backwards = [forwards[-1]]
    while backwards[-1].previous:
        backwards.append(pages.list_cases(actor, replace(criteria, before=backwards[-1].previous), per_page=per_page))
    shown = [[row.case.reference for row in page.items] for page in forwards]
    assert [[row.case.reference for row in page.items] for page in reversed(backwards)] == shown
    assert all(len(page) == per_page for page in shown[:-1]) and 0 < len(shown[-1]) <= per_page or shown == [[]]
    return shown


def expected_order(actor, criteria: CaseFilter) -> list[str]:
    """The whole list in one query, sorted here: what the pages must add up to."""
    rows = pages.list_cases(actor, criteria, per_page=1000).items
    first = {
        "opened": lambda case: case.opened_at,
        "reference": lambda case: case.reference,
        "type": lambda case: case.case_type.value,
        "lead-agency": lambda case: case.lead_agency.name,
    }[criteria.sort]
    if criteria.sort == "opened":  # ties by id the way of the dates
        key = lambda row: (first(row.case), row.case.id)  # noqa: E731
        ordered = sorted(rows, key=key, reverse=criteria.descending)
    else:  # ties by id newest first, either way
        ordered = sorted(rows, key=lambda row: -row.case.id)
        ordered = sorted(ordered, key=lambda row: first(row.case), reverse=criteria.descending)
    return [row.case.reference for row in ordered]


@pytest.mark.parametrize("sort", ["opened", "reference", "type", "lead-agency"])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("per_page", [2, 4, 5])
def test_every_case_once_in_order_forwards_and_back(many, sort, descending, per_page):
    manager = make_user(role=Role.MANAGER, agency=many["council"])
    criteria = CaseFilter(sort=sort, descending=descending)
    shown = walk(manager, criteria, per_page)
    flat = [reference for page in shown for reference in page]
    assert flat == expected_order(manager, criteria)
    assert len(flat) == len(set(flat)) == 17


def test_ties_in_the_opening_time_across_a_boundary(many):
    """Cases 0, 1 and 2 were opened at the same instant; pages of 2 split them."""
    manager = make_user(role=Role.MANAGER, agency=many["council"])
    cases = many["cases"]
    oldest_first = walk(manager, CaseFilter(descending=False), 2)
    assert oldest_first[:2] == [[cases[0].reference, cases[1].reference], [cases[2].reference, cases[3].reference]]
    newest_first = [reference for page in walk(manager, CaseFilter(), 2) for reference in page]
    assert newest_first == [case.reference for case in sorted(cases, key=lambda c: (c.opened_at, c.id), reverse=True)]


@pytest.mark.parametrize(
    "criteria",
    [
        CaseFilter(),
        CaseFilter(scope="all"),
        CaseFilter(status=CaseStatus.OPEN),
        CaseFilter(scope="all", status=CaseStatus.CLOSED, sort="reference"),
        CaseFilter(scope="all", case_type=CaseType.PERPETRATOR, sort="type", descending=False),
        CaseFilter(town="Wisbech", sort="lead-agency"),
        CaseFilter(scope="all", text="noise", descending=False),
        CaseFilter(status=CaseStatus.OPEN, case_type=CaseType.VICTIM, town="March"),
    ],
)
def test_filters_with_paging_give_what_the_whole_list_gives(many, criteria):
    member = many["member"]
    whole = expected_order(member, criteria)
    for per_page in (2, 3):
        flat = [reference for page in walk(member, criteria, per_page) for reference in page]
        assert flat == whole
    assert pages.list_cases(member, criteria, per_page=2).total == len(whole)


def test_the_count_is_exact_up_to_the_cap_then_more_than(many, monkeypatch):
    member = many["member"]
    mine = pages.list_cases(member, CaseFilter(), per_page=5)
    assert (mine.total, mine.more_than) == (13, False)
    monkeypatch.setattr(pages, "COUNT_CAP", 13)
    assert (pages.list_cases(member, CaseFilter(), per_page=5).total, mine.more_than) == (13, False)
    monkeypatch.setattr(pages, "COUNT_CAP", 12)
    capped = pages.list_cases(member, CaseFilter(), per_page=5)
    assert (capped.total, capped.more_than) == (12, True)
    # Paging is not limited by the cap.
    assert sum(len(page) for page in walk(member, CaseFilter(), 5)) == 13


def test_the_page_says_more_than_above_the_cap(client_as, many, monkeypatch):
    client = client_as(many["member"])
    assert "13 cases" in client.get("/cases").text
    monkeypatch.setattr(pages, "COUNT_CAP", 10)
    assert "More than 10 cases" in client.get("/cases").text
    assert "1 case<" in client.get(f"/cases?search=x&lead_agency={many['police'].id}&town=Wisbech&status=closed").text


def references(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    table = response.text.split('id="case-list"', 1)
    return re.findall(r'href="/cases/(ASB-\d{4}-\d{5,})"', table[1]) if len(table) == 2 else []


def link(response, rel: str) -> str | None:
    """The href of the pagination's previous or next link."""
    found = re.search(rf'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="{rel}"', response.text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_pages_links_keep_the_filters_and_the_search_token(app, client_as, many, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 2)
    client = client_as(many["member"])
    location = client.post("/cases/search", data={"text": "noise", "scope": "all", "sort": "reference-asc"}).location
    token = parse_qs(urlsplit(location).query)["search"][0]
    seen, response = [], client.get(location)
    assert link(response, "prev") is None
    while True:
        seen += references(response)
        following = link(response, "next")
        if following is None:
            break
        query = parse_qs(urlsplit(following).query)
        assert query["search"] == [token] and query["sort"] == ["reference-asc"] and query["scope"] == ["all"]
        assert "noise" not in following.lower() and "page" not in query
        response = client.get(following)
    # Titles are searched only on cases seen in full: the member's agency is on 1, 5, 9, 13.
    assert seen == sorted(many["cases"][number].reference for number in (1, 5, 9, 13))
    back = link(response, "prev")
    assert back is not None and f"search={token}" in back
    assert references(client.get(back)) == seen[:2]


def test_links_with_a_page_number_still_open_that_page(app, client_as, many, monkeypatch):
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 4)
    manager = make_user(role=Role.MANAGER, agency=many["council"])
    client = client_as(manager)
    everything = sorted(case.reference for case in many["cases"])
    assert references(client.get("/cases?sort=reference-asc&page=2")) == everything[4:8]
    # Past the end: the last page; not a number: the first.
    assert references(client.get("/cases?sort=reference-asc&page=99")) == everything[16:]
    assert references(client.get("/cases?sort=reference-asc&page=abc")) == everything[:4]
    # From a numbered page, the links are cursors again.
    response = client.get("/cases?sort=reference-asc&page=2")
    assert references(client.get(link(response, "next"))) == everything[8:12]
    assert references(client.get(link(response, "prev"))) == everything[:4]


def test_past_the_end_of_a_list_longer_than_the_cap_gives_its_last_rows(many, monkeypatch):
    manager = make_user(role=Role.MANAGER, agency=many["council"])
    monkeypatch.setattr(pages, "COUNT_CAP", 5)
    last = pages.list_cases(manager, CaseFilter(sort="reference", descending=False, page=99), per_page=4)
    everything = sorted(case.reference for case in many["cases"])
    assert [row.case.reference for row in last.items] == everything[-4:]
    assert last.next is None and last.previous is not None


def cursor(value: object, case_id: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, case_id]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        "after=not-a-cursor",
        "after=" + cursor("2026-03-01T09:00:00", 5),  # no time zone
        "after=" + cursor("yesterday", 5),
        "after=" + cursor("2026-03-01T09:00:00+00:00", 0),
        "after=" + cursor("2026-03-01T09:00:00+00:00", 2**31),
        "after=" + cursor("2026-03-01T09:00:00+00:00", "5"),
        "after=" + cursor("2026-03-01T09:00:00+00:00", True),
        "after=" + cursor(["2026"], 5),
        "after=" + base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        "after=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "before=" + "A" * 5000,
        "sort=reference-asc&after=" + cursor("x" * 300, 5),
    ],
)
def test_a_mangled_cursor_gives_the_first_page(client_as, many, query):
    client = client_as(many["member"])
    first = references(client.get("/cases" + ("?sort=reference-asc" if "sort=" in query else "")))
    assert references(client.get("/cases?" + query)) == first


def test_a_cursor_from_another_sort_is_read_as_a_value_of_this_one(client_as, many):
    """A date cursor on the reference order is only a string to start after: no error."""
    client = client_as(many["member"])
    response = client.get("/cases?sort=reference-asc&after=" + cursor("2026-03-01T09:00:00+00:00", 5))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["member", "partner", "manager", "chair"])
def test_the_area_choices_are_the_towns_of_the_cases_seen_in_full(many, who):
    actor = {
        "member": many["member"],
        "partner": make_user(role=Role.PARTNER, agency=many["police"]),
        "manager": make_user(role=Role.MANAGER, agency=make_agency()),
        "chair": make_user(role=Role.PSG_CHAIR, agency=make_agency()),
    }[who]
    make_case(lead_agency=many["police"], opened_by=make_user(agency=many["police"]), town="Chatteris")
    make_case(lead_agency=many["council"], opened_by=many["member"], town="")
    seen = pages.visible_cases(actor).with_only_columns(Case.town).where(Case.town != "", pages.full_view_clause(actor))
    expected = sorted(set(db.session.scalars(seen)))
    assert pages.known_towns(actor) == expected
    assert {"member": ["March", "Wisbech"], "partner": ["Chatteris", "March", "Wisbech"]}.get(who, expected) == expected
    assert db.session.scalar(select(func.count()).select_from(Case)) == 19
