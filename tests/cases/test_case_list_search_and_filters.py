"""The case list's text search and filters at scale: the matching rules users rely on
(any part of a title or a reference, whatever its case, wildcards taken as typed), and
the indexes that serve them: trigram indexes for the text on PostgreSQL, the town, status
and date index for the filtered list, and page numbers read from the date index alone."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from casework import db, text_search
from casework.cases.models import Case, CaseAgency, CaseStatus, CaseType
from casework.cases.services import pages
from casework.cases.services.pages import CaseFilter
from casework.permissions import Role
from tests.cases.test_case_reads_at_scale import sqlite_plans
from tests.factories import make_agency, make_case, make_user

TITLES = ["Intimidation on the Orchard estate", "100% noise, every night", "1000 noise complaints", "Graffiti_tags"]


@pytest.fixture
def titled(session):
    council = make_agency()
    member = make_user(agency=council)
    cases = [
        make_case(lead_agency=council, opened_by=member, involved=[council], title=title, reference=f"ASB-2026-{n:05d}")
        for n, title in enumerate(TITLES, start=41)
    ]
    return member, cases


def found(member, text: str) -> list[str]:
    page = pages.list_cases(member, CaseFilter(scope="all", text=text, sort="reference", descending=False), per_page=25)
    return [row.case.title for row in page.items]


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("text", "titles"),
    [
        ("intim", [TITLES[0]]),  # any part
        ("ORCHARD", [TITLES[0]]),  # whatever the case
        ("100%", [TITLES[1]]),  # "%" as typed, not a wildcard
        ("s_t", []),  # "_" as typed
        ("graffiti_", [TITLES[3]]),
        ("noise", [TITLES[1], TITLES[2]]),
        ("asb-2026-0004", TITLES),  # a reference, in any case
        ("2026-00043", [TITLES[2]]),
    ],
)
def test_the_search_matches_any_part_of_a_title_or_reference_whatever_its_case(titled, text, titles):
    member, _ = titled
    assert found(member, text) == titles


@pytest.mark.both_databases
def test_the_text_conditions_match_the_same_rows_on_both_backends(titled):
    _, cases = titled
    ids = {case.id for case in cases}
    matching = db.session.scalars(
        select(Case.id).where(Case.id.in_(ids), text_search.contains(Case.title, "NOISE")).order_by(Case.id)
    )
    assert list(matching) == [cases[1].id, cases[2].id]
    by_reference = db.session.scalars(
        select(Case.id).where(Case.id.in_(ids), text_search.contains_capitals(Case.reference, "asb-2026-00044"))
    )
    assert list(by_reference) == [cases[3].id]


@pytest.mark.postgresql_only
def test_postgresql_can_search_titles_and_references_through_trigram_indexes(titled):
    """The conditions compare exactly what the trigram indexes hold. (Scans are turned
    off for the plan only: with four cases a scan is cheaper than any index.)"""
    member, _ = titled
    connection = db.session.connection()
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        if "LIKE" in statement and statement.lstrip().startswith("SELECT count"):
            sent.append((statement, parameters))

    engine = connection.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        found(member, "orchard")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = sent
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    assert "ix_cases_title_trigram" in plan and "ix_cases_reference_trigram" in plan, plan
    assert "hashed SubPlan" not in plan, plan  # the full view is probed a row, not hashed


@pytest.fixture
def towns(session):
    council, police = make_agency(), make_agency()
    member = make_user(agency=council)
    for n in range(24):
        make_case(
            lead_agency=council if n % 2 else police,
            opened_by=member,
            involved=[council] if n % 3 else [],
            town=("Wisbech", "March", "Chatteris")[n % 3],
            status=CaseStatus.OPEN if n % 4 else CaseStatus.CLOSED,
            case_type=CaseType.VICTIM if n % 5 else CaseType.PLACE,
        )
    return member


@pytest.mark.both_databases
def test_the_filtered_list_is_what_the_filters_say_seen_in_full(towns):
    member = towns
    criteria = CaseFilter(scope="all", status=CaseStatus.OPEN, case_type=CaseType.VICTIM, town="March")
    listed = pages.list_cases(member, criteria, per_page=25)
    expected = db.session.scalars(
        select(Case)
        .where(Case.status == CaseStatus.OPEN, Case.case_type == CaseType.VICTIM, Case.town == "March")
        .order_by(Case.opened_at.desc(), Case.id.desc())
    ).all()
    seen = [case for case in expected if any(a.agency_id == member.agency_id for a in _involvements(case))]
    assert [row.case.id for row in listed.items] == [case.id for case in seen]
    assert listed.total == len(seen) > 0


def _involvements(case: Case) -> list[CaseAgency]:
    return list(db.session.scalars(select(CaseAgency).where(CaseAgency.case_id == case.id)))


def test_sqlite_reads_a_towns_cases_by_status_in_date_order_from_one_index(app, towns):
    criteria = CaseFilter(scope="all", status=CaseStatus.OPEN, town="March")
    plans = sqlite_plans(app, lambda: pages.list_cases(towns, criteria, per_page=5), "cases.town")
    assert plans and all("ix_cases_town_status_opened_at_id (town=? AND status=?)" in plan for plan in plans), plans
    assert all("SCAN cases" not in plan for plan in plans), plans


def test_sqlite_skips_to_a_numbered_page_through_the_date_index_alone(app, towns):
    manager = make_user(role=Role.MANAGER, agency=make_agency())
    plans = sqlite_plans(app, lambda: pages.list_cases(manager, CaseFilter(page=3), per_page=5), "OFFSET")
    page_plans = [plan for plan in plans if "MATERIALIZE" in plan]
    assert page_plans and all("SCAN cases USING COVERING INDEX ix_cases_opened_at_id" in p for p in page_plans), plans


@pytest.fixture
def searched(session):
    """101 cases of the member's agency whose title holds "cuckooing", opened a minute
    apart, and 3 of another agency's (stubs to the member: their titles are not searched)."""
    council, police = make_agency(), make_agency()
    member = make_user(agency=council)
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    cases = [
        make_case(
            lead_agency=council,
            opened_by=member,
            involved=[council],
            title=f"Cuckooing at flat {n}",
            opened_at=start + timedelta(minutes=n),
        )
        for n in range(pages.SEARCH_COUNT_CAP + 1)
    ]
    for n in range(3):
        make_case(lead_agency=police, title=f"Cuckooing on the estate {n}")
    return member, cases


def searching(text: str = "CUCKOO", **criteria) -> CaseFilter:
    return CaseFilter(scope="all", text=text, **criteria)


@pytest.mark.both_databases
def test_a_text_search_counts_to_100_then_says_more_than_100(searched):
    member, cases = searched
    over = pages.list_cases(member, searching(), per_page=25)
    assert (over.total, over.more_than) == (100, True)
    # The first page is the newest matches, as without a search; the pages go past the cap.
    assert [row.case.reference for row in over.items] == [case.reference for case in cases[::-1][:25]]
    seen, page = [], over
    while True:
        seen += [row.case.id for row in page.items]
        if page.next is None:
            break
        page = pages.list_cases(member, searching(after=page.next), per_page=25)
    assert sorted(seen) == sorted(case.id for case in cases)
    # One fewer match: exact.
    cases[0].title = "Noise at flat 0"
    db.session.commit()
    at_cap = pages.list_cases(member, searching(), per_page=25)
    assert (at_cap.total, at_cap.more_than) == (100, False)
    # Without text the list counts on to COUNT_CAP.
    everything = pages.list_cases(member, CaseFilter(scope="all"), per_page=25)
    assert (everything.total, everything.more_than) == (104, False)


@pytest.mark.both_databases
def test_the_page_says_more_than_100_match_and_how_to_narrow_the_search(client_as, searched):
    member, cases = searched
    client = client_as(member)
    found_page = client.get(client.post("/cases/search", data={"text": "cuckoo", "scope": "all"}).location).text
    assert (
        '<p class="govuk-body" role="status">More than 100 cases match.'
        " Type more of the reference or title to narrow the search.</p>"
    ) in found_page
    narrower = client.get(client.post("/cases/search", data={"text": "flat 10", "scope": "all"}).location).text
    assert '<p class="govuk-body" role="status">2 cases</p>' in narrower  # flats 10 and 100
