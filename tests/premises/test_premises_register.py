"""The premises register as its users meet it: who sees it, the filters (colour, town,
cluster, deadline passed, suggested colour differs), sorting and pagination."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from casework import db
from casework.clock import add_days, add_months, utcnow
from casework.permissions import Role
from casework.premises.models import (
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    PremisesIncident,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services.premises import refresh_incident_summary
from tests.factories import make_agency, make_premises, make_user

pytestmark = pytest.mark.both_databases


def names(page: str) -> list[str]:
    """The premises listed, in order."""
    return re.findall(r'<a class="govuk-link" href="/premises/\d+">([^<]+)</a>', page)


def add_incident(*, premises, agency, recorder, days_ago: float = 1) -> None:
    db.session.add(
        PremisesIncident(
            premises_id=premises.id,
            occurred_at=utcnow() - timedelta(days=days_ago),
            reporting_agency_id=agency.id,
            source=IncidentSource.POLICE,
            category=IncidentCategory.VIOLENCE,
            severity=IncidentSeverity.HIGH,
            recorded_by_id=recorder.id,
        )
    )
    db.session.flush()
    refresh_incident_summary([premises.id])
    db.session.commit()


@pytest.fixture
def officer():
    return make_user(role=Role.LICENSING_OFFICER)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.LICENSING_OFFICER, 200),
        (Role.MANAGER, 200),
        (Role.PSG_CHAIR, 200),
        (Role.ADMIN, 200),
        (Role.PSG_MEMBER, 403),
        (Role.PARTNER, 403),
        (Role.ANALYST, 403),
    ],
)
def test_who_sees_the_register(client_as, role, status):
    make_premises(name="The Rose and Crown")
    response = client_as(make_user(role=role)).get("/premises")
    assert response.status_code == status
    assert ("The Rose and Crown" in response.text) is (status == 200)


def test_the_navigation_links_the_register_for_those_who_see_it(client_as):
    assert 'href="/premises"' in client_as(make_user(role=Role.LICENSING_OFFICER)).get("/").text
    assert 'href="/premises"' not in client_as(make_user(role=Role.PSG_MEMBER)).get("/").text


@pytest.mark.calendar
def test_each_row_shows_colour_town_cluster_kind_days_and_next_deadline(client_as, officer):
    make_premises(
        name="The Ship",
        status=TlsStatus.AMBER,
        status_since=utcnow() - timedelta(days=10),
        town="March",
        cluster="March town centre",
    )
    page = client_as(officer).get("/premises").text
    assert "govuk-tag--orange" in page  # amber is the tag's orange
    assert "March town centre" in page and "On-sales" in page
    assert re.search(r"govuk-table__cell--numeric\">10<", page)
    assert "Licensing visit:" in page  # 28 days beats 3 months


def test_filters_by_colour_town_and_cluster(client_as, officer):
    make_premises(name="Red Wisbech", status=TlsStatus.RED, town="Wisbech", cluster="North")
    make_premises(name="Green Wisbech", town="Wisbech", cluster="North")
    make_premises(name="Red March", status=TlsStatus.RED, town="March", cluster="South")
    client = client_as(officer)
    assert names(client.get("/premises?status=red").text) == ["Red March", "Red Wisbech"]
    assert names(client.get("/premises?town=Wisbech").text) == ["Green Wisbech", "Red Wisbech"]
    assert names(client.get("/premises?cluster=South").text) == ["Red March"]
    assert names(client.get("/premises?status=red&town=Wisbech").text) == ["Red Wisbech"]


def test_a_mangled_filter_is_ignored_not_an_error(client_as, officer):
    make_premises(name="The Bell")
    response = client_as(officer).get("/premises?status=purple&sort=bogus&page=x")
    assert response.status_code == 200
    assert names(response.text) == ["The Bell"]


@pytest.mark.calendar
def test_deadline_passed_is_exact_at_the_month_end(client_as, officer):
    """Red must reach amber within 3 calendar months: premises red since around the
    cut-off are flagged exactly when their deadline has passed, however the months fall."""
    now = utcnow()
    cut_off = add_months(now, -3)
    reds = {
        "Red two days early": cut_off - timedelta(days=2),
        "Red five minutes early": cut_off - timedelta(minutes=5),
        "Red five minutes late": cut_off + timedelta(minutes=5),
        "Red two days late": cut_off + timedelta(days=2),
    }
    for name, since in reds.items():
        make_premises(name=name, status=TlsStatus.RED, status_since=since)
    make_premises(name="Amber unvisited", status=TlsStatus.AMBER, status_since=now - timedelta(days=30))
    visited = make_premises(name="Amber visited", status=TlsStatus.AMBER, status_since=now - timedelta(days=30))
    make_premises(name="Old green", status_since=now - timedelta(days=900))
    db.session.add(
        PremisesVisit(
            premises_id=visited.id,
            kind=VisitKind.COMPLIANCE,
            result=VisitResult.NOT_APPLICABLE,
            officer_id=officer.id,
            visited_at=now - timedelta(days=2),
        )
    )
    db.session.commit()
    page = client_as(officer).get("/premises?deadline_passed=y").text
    overdue = {name for name, since in reds.items() if add_months(since, 3) < now}
    assert {"Red two days early", "Red five minutes early"} <= overdue and "Red two days late" not in overdue
    assert set(names(page)) == {"Amber unvisited", *overdue}
    assert "Deadline passed" in page


def test_deadline_passed_when_a_later_start_is_due_earlier(client_as, officer):
    """Three months from 29 November 11:00 is 28 February 11:00, and from 30 November
    10:00 (clamped to the month's end) 28 February 10:00: at 10:30 only the later start
    is overdue, so no single cut-off on the start divides them."""
    with time_machine.travel(datetime(2027, 2, 28, 10, 30, tzinfo=UTC), tick=False):
        make_premises(
            name="Red since the 29th", status=TlsStatus.RED, status_since=datetime(2026, 11, 29, 11, 0, tzinfo=UTC)
        )
        make_premises(
            name="Red since the 30th", status=TlsStatus.RED, status_since=datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        )
        make_premises(
            name="Red since December", status=TlsStatus.RED, status_since=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        )
        page = client_as(officer).get("/premises?deadline_passed=y").text
    assert names(page) == ["Red since the 30th"]


def visit(premises, officer, at) -> None:
    db.session.add(
        PremisesVisit(
            premises_id=premises.id,
            kind=VisitKind.COMPLIANCE,
            result=VisitResult.NOT_APPLICABLE,
            officer_id=officer.id,
            visited_at=at,
        )
    )
    db.session.commit()


@pytest.mark.calendar
def test_deadline_passed_counts_an_amber_premises_past_both_deadlines_once(client_as, officer):
    """Amber must reach green within 3 months and be visited within 28 days: a premises
    past both is one premises in the count and the list, and one whose visit deadline
    falls today is listed once it has passed (two hours either side: when the clocks go
    back, a deadline at 01:35 falls in the first of the two 01:00 hours, before 01:30 in
    the second)."""
    now = utcnow()
    months_ago, visit_due = add_months(now, -3), add_days(now, -28)
    make_premises(name="Both passed", status=TlsStatus.AMBER, status_since=months_ago - timedelta(days=5))
    visited = make_premises(
        name="Visited, months passed", status=TlsStatus.AMBER, status_since=months_ago - timedelta(days=2)
    )
    visit(visited, officer, months_ago - timedelta(days=1))
    make_premises(name="Visit due two hours ago", status=TlsStatus.AMBER, status_since=visit_due - timedelta(hours=2))
    make_premises(name="Visit due in two hours", status=TlsStatus.AMBER, status_since=visit_due + timedelta(hours=2))
    recent = make_premises(name="Visited in time", status=TlsStatus.AMBER, status_since=visit_due)
    visit(recent, officer, now - timedelta(days=1))
    make_premises(name="Red due minutes ago", status=TlsStatus.RED, status_since=months_ago - timedelta(minutes=5))
    make_premises(name="Old green", status_since=now - timedelta(days=900))
    page = client_as(officer).get("/premises?deadline_passed=y").text
    expected = ["Both passed", "Red due minutes ago", "Visit due two hours ago", "Visited, months passed"]
    assert names(page) == expected
    assert "4 premises" in page


def test_deadline_passed_pages_through_every_match_once(client_as, officer):
    now = utcnow()
    expected = set()
    for number in range(9):
        expected.add(
            make_premises(name=f"Red {number}", status=TlsStatus.RED, status_since=now - timedelta(days=200)).id
        )
        expected.add(
            make_premises(name=f"Amber {number}", status=TlsStatus.AMBER, status_since=now - timedelta(days=40)).id
        )
        expected.add(
            make_premises(name=f"Both {number}", status=TlsStatus.AMBER, status_since=now - timedelta(days=200)).id
        )
        make_premises(name=f"Green {number}", status_since=now - timedelta(days=200))
    client = client_as(officer)
    pages = [client.get(f"/premises?deadline_passed=y&page={number}").text for number in (1, 2)]
    assert "27 premises, page 1 of 2" in pages[0]
    listed = [int(found) for page in pages for found in re.findall(r'href="/premises/(\d+)">', page)]
    assert sorted(listed) == sorted(expected)


@pytest.mark.calendar
def test_suggestion_differs_filter_and_column(client_as, officer):
    police, ambulance = make_agency(name="Constabulary"), make_agency(name="Ambulance Service")
    red_suggested = make_premises(name="Green but two agencies")
    add_incident(premises=red_suggested, agency=police, recorder=officer)
    add_incident(premises=red_suggested, agency=ambulance, recorder=officer)
    agrees = make_premises(name="Amber with one agency", status=TlsStatus.AMBER)
    add_incident(premises=agrees, agency=police, recorder=officer)
    make_premises(name="Red with none", status=TlsStatus.RED)
    old = make_premises(name="Green with an old incident")
    add_incident(premises=old, agency=police, recorder=officer, days_ago=120)
    client = client_as(officer)
    assert names(client.get("/premises?suggestion_differs=y").text) == ["Green but two agencies", "Red with none"]
    page = client.get("/premises?suggestion_differs=y&status=green").text
    assert names(page) == ["Green but two agencies"]
    assert "govuk-tag--red" in page  # the suggested colour shown


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name-asc", ["A green", "B red", "C amber"]),
        ("name-desc", ["C amber", "B red", "A green"]),
        ("colour-asc", ["B red", "C amber", "A green"]),
        ("colour-desc", ["A green", "C amber", "B red"]),
        ("days-desc", ["A green", "B red", "C amber"]),
        ("days-asc", ["C amber", "B red", "A green"]),
        ("deadline-asc", ["B red", "C amber", "A green"]),
    ],
)
def test_sorting(client_as, officer, sort, expected):
    now = utcnow()
    make_premises(name="A green", status_since=now - timedelta(days=300))
    make_premises(name="B red", status=TlsStatus.RED, status_since=now - timedelta(days=20))
    make_premises(name="C amber", status=TlsStatus.AMBER, status_since=now - timedelta(days=5))
    assert names(client_as(officer).get(f"/premises?sort={sort}").text) == expected


def test_pagination_25_per_page(client_as, officer):
    for number in range(27):
        make_premises(name=f"Premises {number:02d}")
    client = client_as(officer)
    first = client.get("/premises").text
    assert len(names(first)) == 25 and "27 premises, page 1 of 2" in first
    second = client.get("/premises?page=2").text
    assert names(second) == ["Premises 25", "Premises 26"]


@pytest.mark.parametrize("sort", ["name-asc", "name-desc"])
def test_pages_of_premises_with_the_same_name_skip_and_repeat_none(client_as, officer, sort):
    same = {make_premises(name="The Crown").id for _ in range(30)}
    make_premises(name="A first")
    make_premises(name="Z last")
    client = client_as(officer)
    pages = [client.get(f"/premises?sort={sort}&page={number}").text for number in (1, 2)]
    listed = [int(found) for page in pages for found in re.findall(r'href="/premises/(\d+)">The Crown<', page)]
    assert sorted(listed) == sorted(same)
    assert listed == sorted(listed, reverse=sort == "name-desc")
