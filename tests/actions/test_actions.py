"""My agency's actions (/actions) and the partnership's overdue actions (/actions/overdue)
as their users meet them: who sees them, the order, each row, the filters and bad filter
input, and pagination."""

import html
import re
from datetime import date, timedelta

import pytest

from casework.actions.models import ActionStatus
from casework.clock import ZONE, today
from casework.permissions import Role
from tests.factories import (
    make_action,
    make_agency,
    make_case,
    make_plan_item,
    make_premises,
    make_psg_meeting,
    make_user,
)

pytestmark = pytest.mark.both_databases

LONDON = ZONE


def titles(page: str, table: str) -> list[str]:
    """The actions listed in a table, in order."""
    body = re.search(rf'<table class="govuk-table" id="{table}">(.*?)</table>', page, re.S)
    if body is None:
        return []
    return [html.unescape(title) for title in re.findall(r'href="/actions/\d+">([^<]+)</a>', body.group(1))]


def rows(page: str, table: str) -> list[str]:
    """Each body row of a table as its text."""
    body = re.search(rf'<table class="govuk-table" id="{table}">.*?<tbody[^>]*>(.*?)</tbody>', page, re.S)
    assert body is not None, table
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


@pytest.fixture
def officer(police):
    return make_user(agency=police, name="PC Jones")


@pytest.fixture
def case(police, officer):
    return make_case(lead_agency=police, opened_by=officer)


def days(n: int) -> date:
    return today() + timedelta(days=n)


# --- Who sees the pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PSG_MEMBER, 200),
        (Role.PSG_CHAIR, 200),
        (Role.LICENSING_OFFICER, 200),
        (Role.MANAGER, 200),
        (Role.PARTNER, 200),
        (Role.ANALYST, 403),
        (Role.ADMIN, 403),
    ],
)
def test_who_has_an_inbox(client_as, role, status):
    assert client_as(make_user(role=role)).get("/actions").status_code == status


@pytest.mark.calendar
@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.MANAGER, 200), (Role.ADMIN, 200)]
    + [(role, 403) for role in (Role.PSG_MEMBER, Role.PSG_CHAIR, Role.LICENSING_OFFICER, Role.PARTNER, Role.ANALYST)],
)
def test_only_managers_and_admins_see_the_overdue_actions(client_as, role, status):
    assert client_as(make_user(role=role)).get("/actions/overdue").status_code == status


@pytest.mark.calendar
def test_the_inbox_links_the_overdue_page_for_managers_only(client_as):
    assert 'href="/actions/overdue"' in client_as(make_user(role=Role.MANAGER)).get("/actions").text
    assert 'href="/actions/overdue"' not in client_as(make_user(role=Role.PSG_MEMBER)).get("/actions").text


# --- The inbox --------------------------------------------------------------------------------


@pytest.mark.calendar
def test_the_inbox_lists_my_agencys_live_actions_overdue_first_then_by_due_date(client_as, police, officer, case):
    for title, due, status in [
        ("Due in a month", days(30), ActionStatus.OPEN),
        ("Overdue by a week", days(-7), ActionStatus.IN_PROGRESS),
        ("Due tomorrow", days(1), ActionStatus.OPEN),
        ("Overdue by a day", days(-1), ActionStatus.OPEN),
        ("Done already", days(-3), ActionStatus.DONE),
        ("Cancelled", days(2), ActionStatus.CANCELLED),
    ]:
        make_action(case=case, agency=police, created_by=officer, title=title, due_on=due, status=status)
    other = make_agency(name="Clarion Housing")
    make_action(case=make_case(lead_agency=other), agency=other, created_by=make_user(agency=other), title="Not ours")

    page = client_as(officer).get("/actions").text

    assert titles(page, "actions-inbox") == ["Overdue by a week", "Overdue by a day", "Due tomorrow", "Due in a month"]
    assert "4 actions" in page


@pytest.mark.calendar
def test_each_row_shows_subject_assignee_due_date_rag_and_status(client_as, police, officer, case):
    chair = make_user(role=Role.PSG_CHAIR, agency=police)
    premises = make_premises(name="The Rose and Crown")
    meeting = make_psg_meeting(chair=chair)
    item = make_plan_item(lead_agency=police, ref="1.3.3")
    make_action(case=case, agency=police, created_by=officer, title="Case action", due_on=days(-2), assignee=officer)
    make_action(premises=premises, agency=police, created_by=chair, title="Premises action", due_on=days(7))
    make_action(meeting_id=meeting.id, agency=police, created_by=chair, title="Meeting action", due_on=days(8))
    make_action(
        plan_action_id=item.id,
        agency=police,
        created_by=chair,
        title="Plan action",
        due_on=days(30),
        status=ActionStatus.IN_PROGRESS,
    )

    page = client_as(officer).get("/actions").text

    held = meeting.held_at.astimezone(LONDON)
    assert rows(page, "actions-inbox") == [
        f"Case action Case {case.reference} PC Jones {days(-2).day} {days(-2):%B %Y} Overdue Open",
        f"Premises action Licensed premises The Rose and Crown Anyone in the agency {days(7).day} {days(7):%B %Y} "
        "Due soon Open",
        f"Meeting action Meeting PSG meeting, {held.day} {held:%B %Y} Anyone in the agency "
        f"{days(8).day} {days(8):%B %Y} On track Open",
        f"Plan action Delivery plan Plan action 1.3.3 Anyone in the agency {days(30).day} {days(30):%B %Y} "
        "On track In progress",
    ]
    assert f'href="/cases/{case.reference}"' in page
    assert f'href="/premises/{premises.id}"' in page
    assert f'href="/meetings/{meeting.id}"' in page
    assert f'href="/plan/actions/{item.id}"' in page
    assert re.search(r'govuk-tag--red">\s*Overdue\s*<', page)
    assert re.search(r'govuk-tag--orange">\s*Due soon\s*<', page)
    assert re.search(r'govuk-tag--green">\s*On track\s*<', page)


@pytest.mark.calendar
def test_finished_actions_show_no_rag(client_as, police, officer, case):
    make_action(case=case, agency=police, created_by=officer, title="Done", due_on=days(-5), status=ActionStatus.DONE)
    page = client_as(officer).get("/actions?status=done").text
    assert titles(page, "actions-inbox") == ["Done"]
    assert "govuk-tag--red" not in page
    assert "Overdue" not in rows(page, "actions-inbox")[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Open overdue", "In progress", "Open later"]),
        ("?status=open", ["Open overdue", "Open later"]),
        ("?status=in_progress", ["In progress"]),
        ("?status=done", ["Done recently", "Done long ago"]),
        ("?status=cancelled", ["Cancelled"]),
        ("?status=all", ["Open overdue", "In progress", "Open later", "Done recently", "Cancelled", "Done long ago"]),
    ],
)
def test_the_status_filter(client_as, police, officer, case, query, expected):
    for title, due, status in [
        ("Open later", days(20), ActionStatus.OPEN),
        ("Open overdue", days(-1), ActionStatus.OPEN),
        ("In progress", days(3), ActionStatus.IN_PROGRESS),
        ("Done long ago", days(-60), ActionStatus.DONE),
        ("Done recently", days(-2), ActionStatus.DONE),
        ("Cancelled", days(-10), ActionStatus.CANCELLED),
    ]:
        make_action(case=case, agency=police, created_by=officer, title=title, due_on=due, status=status)
    assert titles(client_as(officer).get(f"/actions{query}").text, "actions-inbox") == expected


@pytest.mark.calendar
def test_the_due_date_filters(client_as, police, officer, case):
    for n in (-10, -3, 0, 5, 12):
        make_action(case=case, agency=police, created_by=officer, title=f"Due {n}", due_on=days(n))
    start, end = days(-3), days(5)
    query = (
        f"due_from={start.day}&due_from={start.month}&due_from={start.year}"
        f"&due_to={end.day}&due_to={end.month}&due_to={end.year}"
    )
    assert titles(client_as(officer).get(f"/actions?{query}").text, "actions-inbox") == ["Due -3", "Due 0", "Due 5"]
    only_from = f"due_from={start.day}&due_from={start.month}&due_from={start.year}"
    assert titles(client_as(officer).get(f"/actions?{only_from}").text, "actions-inbox") == [
        "Due -3",
        "Due 0",
        "Due 5",
        "Due 12",
    ]


def test_the_subject_filter(client_as, police, officer, case):
    chair = make_user(role=Role.PSG_CHAIR, agency=police)
    make_action(case=case, agency=police, created_by=officer, title="On the case")
    make_action(premises=make_premises(), agency=police, created_by=chair, title="On the premises")
    make_action(meeting_id=make_psg_meeting(chair=chair).id, agency=police, created_by=chair, title="On the meeting")
    make_action(
        plan_action_id=make_plan_item(lead_agency=police, ref="4.1.1").id,
        agency=police,
        created_by=chair,
        title="On the plan",
    )
    client = client_as(officer)
    for kind, expected in [
        ("case", "On the case"),
        ("premises", "On the premises"),
        ("meeting", "On the meeting"),
        ("plan", "On the plan"),
    ]:
        assert titles(client.get(f"/actions?subject={kind}").text, "actions-inbox") == [expected]


def test_assigned_to_me(client_as, police, officer, case):
    colleague = make_user(agency=police)
    make_action(case=case, agency=police, created_by=officer, title="Mine", assignee=officer)
    make_action(case=case, agency=police, created_by=officer, title="A colleague's", assignee=colleague)
    make_action(case=case, agency=police, created_by=officer, title="Anyone's")
    page = client_as(officer).get("/actions?mine=y").text
    assert titles(page, "actions-inbox") == ["Mine"]
    assert 'id="mine" name="mine" type="checkbox" value="y" checked' in page


@pytest.mark.parametrize(
    ("query", "message", "field_id"),
    [
        ("due_from=31&due_from=2&due_from=2026", "Due from must be a real date", "due_from-day"),
        ("due_to=1&due_to=&due_to=2026", "Due to must include a day, month and year", "due_to-day"),
        ("due_from=a&due_from=b&due_from=c", "Due from must be a real date", "due_from-day"),
        (
            "due_from=10&due_from=3&due_from=2026&due_to=1&due_to=3&due_to=2026",
            "Due to must be the same as or after due from",
            "due_to-day",
        ),
        ("status=lost", "Select a status from the list", "status"),
        ("subject=people", "Select a kind of subject from the list", "subject"),
    ],
)
def test_bad_filters_are_explained_and_the_rest_of_the_list_still_shows(
    client_as, police, officer, case, query, message, field_id
):
    make_action(case=case, agency=police, created_by=officer, title="Still listed", due_on=days(1))
    response = client_as(officer).get(f"/actions?{query}")
    assert response.status_code == 200
    page = response.text
    assert "There is a problem" in page
    assert f'<a href="#{field_id}">{message}</a>' in html.unescape(page)
    assert titles(page, "actions-inbox") == ["Still listed"]


@pytest.mark.calendar
def test_what_was_typed_in_a_bad_date_stays_in_the_boxes(client_as, officer):
    page = client_as(officer).get("/actions?due_from=31&due_from=2&due_from=2026").text
    assert re.search(r'<input [^>]*id="due_from-day" name="due_from" [^>]*value="31">', page)
    assert re.search(r'<input [^>]*id="due_from-month" name="due_from" [^>]*value="2">', page)
    assert re.search(r'<input [^>]*id="due_from-year" name="due_from" [^>]*value="2026">', page)
    assert '<label class="govuk-label govuk-date-input__label" for="due_from-day">Day</label>' in page
    assert 'aria-describedby="due_from-hint due_from-error"' in page


def test_the_inbox_is_paginated_by_25(client_as, police, officer, case):
    for n in range(30):
        make_action(case=case, agency=police, created_by=officer, title=f"Action {n:02d}", due_on=days(n))
    client = client_as(officer)
    first, second = client.get("/actions").text, client.get("/actions?page=2").text
    assert titles(first, "actions-inbox") == [f"Action {n:02d}" for n in range(25)]
    assert titles(second, "actions-inbox") == [f"Action {n:02d}" for n in range(25, 30)]
    assert "30 actions, page 1 of 2" in first
    assert 'href="/actions?page=2"' in first
    assert titles(client.get("/actions?page=99").text, "actions-inbox") == titles(second, "actions-inbox")
    assert titles(client.get("/actions?page=nope").text, "actions-inbox") == titles(first, "actions-inbox")
    assert titles(client.get("/actions?page=²").text, "actions-inbox") == titles(first, "actions-inbox")
    assert titles(client.get(f"/actions?page={10**30}").text, "actions-inbox") == titles(second, "actions-inbox")


@pytest.mark.calendar
def test_pagination_links_keep_the_filters_with_every_box_of_a_date(client_as, police, officer, case):
    for n in range(26):
        make_action(case=case, agency=police, created_by=officer, title=f"Action {n:02d}", assignee=officer)
    start = days(-1)
    client = client_as(officer)
    page = client.get(
        f"/actions?mine=y&subject=case&due_from={start.day}&due_from={start.month}&due_from={start.year}"
    ).text
    link = html.unescape(re.search(r'href="(/actions\?[^"]*page=2[^"]*)"', page).group(1))
    assert "mine=y" in link and "subject=case" in link
    assert f"due_from={start.day}&due_from={start.month}&due_from={start.year}" in link
    second = client.get(link).text
    assert "There is a problem" not in second
    assert titles(second, "actions-inbox") == ["Action 25"]


def test_lists_with_finished_actions_page_on_without_a_total(client_as, police, officer, case):
    for n in range(30):
        make_action(
            case=case,
            agency=police,
            created_by=officer,
            title=f"Done {n:02d}",
            due_on=days(-n),
            status=ActionStatus.DONE,
        )
    client = client_as(officer)
    first = client.get("/actions?status=done").text
    assert titles(first, "actions-inbox") == [f"Done {n:02d}" for n in range(25)]  # the most recently due first
    assert re.search(r'role="status">\s*Page 1\s*</p>', first)
    assert 'href="/actions?status=done&amp;page=2"' in first
    assert "govuk-pagination__item" not in first  # previous and next only
    second = client.get("/actions?status=done&page=2").text
    assert titles(second, "actions-inbox") == [f"Done {n:02d}" for n in range(25, 30)]
    assert 'href="/actions?status=done&amp;page=1"' in second
    assert "page=3" not in second
    assert titles(client.get(f"/actions?status=done&page={10**30}").text, "actions-inbox") == []
    beyond = client.get("/actions?status=done&page=9").text
    assert "No more actions match these filters." in beyond
    assert 'href="/actions?status=done&amp;page=1">Go to the first page</a>' in beyond


def test_an_empty_inbox_says_so(client_as, officer):
    page = client_as(officer).get("/actions").text
    assert "No actions match these filters." in page
    assert "0 actions" in page


# --- Overdue actions across the partnership ------------------------------------------------------


@pytest.fixture
def manager(session):
    return make_user(role=Role.MANAGER, agency=make_agency(name="Fenland District Council"))


@pytest.mark.calendar
def test_overdue_actions_are_counted_by_agency_and_listed_longest_overdue_first(
    client_as, manager, police, officer, case
):
    housing = make_agency(name="Clarion Housing")
    housing_case = make_case(lead_agency=housing, restricted=True)
    housing_officer = make_user(agency=housing)
    for title, agency, subject, due, status in [
        ("Police, 3 days", police, case, days(-3), ActionStatus.OPEN),
        ("Police, 10 days", police, case, days(-10), ActionStatus.IN_PROGRESS),
        ("Housing, 1 day", housing, housing_case, days(-1), ActionStatus.OPEN),
        ("Police, due today", police, case, days(0), ActionStatus.OPEN),
        ("Police, done late", police, case, days(-20), ActionStatus.DONE),
        ("Housing, cancelled", housing, housing_case, days(-20), ActionStatus.CANCELLED),
    ]:
        creator = officer if agency is police else housing_officer
        make_action(case=subject, agency=agency, created_by=creator, title=title, due_on=due, status=status)

    page = client_as(manager).get("/actions/overdue").text

    assert rows(page, "overdue-by-agency") == [
        f"Cambridgeshire Constabulary 2 {days(-10).day} {days(-10):%B %Y}",
        f"Clarion Housing 1 {days(-1).day} {days(-1):%B %Y}",
    ]
    assert "All agencies 3" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert rows(page, "overdue-actions") == [
        f"Cambridgeshire Constabulary Case {case.reference} Police, 10 days {days(-10).day} {days(-10):%B %Y} 10",
        f"Cambridgeshire Constabulary Case {case.reference} Police, 3 days {days(-3).day} {days(-3):%B %Y} 3",
        f"Clarion Housing Case {housing_case.reference} Housing, 1 day {days(-1).day} {days(-1):%B %Y} 1",
    ]


@pytest.mark.calendar
def test_no_overdue_actions(client_as, manager):
    assert "No action in the partnership is overdue." in client_as(manager).get("/actions/overdue").text


@pytest.mark.calendar
def test_the_overdue_list_is_paginated_and_the_counts_cover_every_page(client_as, manager, police, officer, case):
    for n in range(27):
        make_action(case=case, agency=police, created_by=officer, title=f"Late {n:02d}", due_on=days(-30 + n))
    client = client_as(manager)
    first, second = client.get("/actions/overdue").text, client.get("/actions/overdue?page=2").text
    assert titles(first, "overdue-actions") == [f"Late {n:02d}" for n in range(25)]
    assert titles(second, "overdue-actions") == ["Late 25", "Late 26"]
    assert titles(client.get(f"/actions/overdue?page={10**30}").text, "overdue-actions") == ["Late 25", "Late 26"]
    assert rows(second, "overdue-by-agency") == [f"Cambridgeshire Constabulary 27 {days(-30).day} {days(-30):%B %Y}"]
