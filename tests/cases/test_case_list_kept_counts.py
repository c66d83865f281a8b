"""The case list's count from the counts the database keeps per agency, town, status
and type (``case_list_counts``): kept right through every way an involvement or a case
changes, read only where it is exactly the list's count, and the same figure the
list's own rows give for every filter."""

import itertools
from dataclasses import replace

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from casework import db
from casework.cases.models import Case, CaseAgency, CaseStatus, CaseType
from casework.cases.services import commands, pages
from casework.cases.services.pages import CaseFilter
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user
from tests.support.kept_counts import assert_case_list_counts_kept

pytestmark = pytest.mark.both_databases


@pytest.fixture
def partnership(session):
    council, police, housing = (make_agency(name=name) for name in ("Council", "Police", "Housing"))
    shapes = itertools.product(
        ("Wisbech", "March", ""), (CaseStatus.OPEN, CaseStatus.CLOSED), (CaseType.VICTIM, CaseType.PLACE)
    )
    for number, (town, status, case_type) in enumerate(shapes, start=1):
        involved = [council, police] if number % 3 else [police]
        restricted = number % 5 == 0
        for copy in range(1 + number % 2):
            make_case(
                lead_agency=involved[0], involved=involved, town=town, status=status, case_type=case_type,
                restricted=restricted, reference=f"ASB-2026-{number * 10 + copy:05d}",
            )  # fmt: skip
    return {"council": council, "police": police, "housing": housing}


def walked(actor, criteria: CaseFilter) -> int:
    """How many rows the list shows over all its pages."""
    page, seen = pages.list_cases(actor, criteria, per_page=4), 0
    while True:
        seen += len(page.items)
        if page.next is None:
            return seen
        page = pages.list_cases(actor, replace(criteria, after=page.next), per_page=4)


def count_statements(statement: str) -> bool:
    return statement.lstrip().startswith("SELECT") and ("count(" in statement or "case_list_counts" in statement)


def counted_from(actor, criteria: CaseFilter) -> tuple[int, list[str]]:
    sent: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        if count_statements(statement):
            sent.append(statement)

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", keep)
    try:
        total = pages.list_cases(actor, criteria, per_page=4).total
    finally:
        event.remove(connection, "before_cursor_execute", keep)
    return total, sent


FILTERS = [
    CaseFilter(),
    CaseFilter(scope="mine", town="Wisbech"),
    CaseFilter(scope="all", status=CaseStatus.OPEN),
    CaseFilter(scope="all", status=CaseStatus.OPEN, case_type=CaseType.VICTIM, town="Wisbech"),
    CaseFilter(scope="all", case_type=CaseType.PLACE, town="March"),
    CaseFilter(scope="all", status=CaseStatus.CLOSED, town="Nowhere"),
    CaseFilter(scope="mine", case_type=CaseType.VICTIM),
]


@pytest.mark.parametrize("criteria", FILTERS, ids=range(len(FILTERS)))
def test_a_members_count_is_read_from_the_kept_counts_and_equals_the_rows(partnership, criteria):
    member = make_user(agency=partnership["council"])
    total, sent = counted_from(member, criteria)
    assert total == walked(member, criteria)
    assert len(sent) == 1 and "case_list_counts" in sent[0]


@pytest.mark.parametrize(
    "criteria",
    [
        CaseFilter(scope="all"),  # stubs of other agencies' cases too
        CaseFilter(scope="all", case_type=CaseType.VICTIM),  # a filter stubs show
        CaseFilter(scope="mine", text="noise"),
        CaseFilter(scope="mine", status=CaseStatus.OPEN, lead_agency_id=1),
    ],
)
def test_lists_the_kept_counts_do_not_hold_count_their_cases(partnership, criteria):
    member = make_user(agency=partnership["council"])
    total, sent = counted_from(member, criteria)
    assert total == walked(member, criteria)
    assert len(sent) == 1 and "case_list_counts" not in sent[0]


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.MANAGER])
def test_roles_that_see_more_than_their_agencys_cases_count_their_cases(partnership, role):
    """A chair sees in full the cases on the agenda of a meeting they chair, a manager
    every case: neither is their agency's involvements."""
    user = make_user(agency=partnership["council"], role=role)
    criteria = CaseFilter(scope="all", status=CaseStatus.OPEN, town="Wisbech")
    total, sent = counted_from(user, criteria)
    assert total == walked(user, criteria)
    assert len(sent) == 1 and "case_list_counts" not in sent[0]


def test_the_count_says_more_than_above_the_cap(partnership, monkeypatch):
    member = make_user(agency=partnership["police"])
    everything = pages.list_cases(member, CaseFilter(), per_page=4)
    assert (everything.total, everything.more_than) == (walked(member, CaseFilter()), False)
    monkeypatch.setattr(pages, "COUNT_CAP", everything.total - 1)
    capped = pages.list_cases(member, CaseFilter(), per_page=4)
    assert (capped.total, capped.more_than) == (everything.total - 1, True)


def test_an_agency_with_no_cases_counts_none(partnership):
    member = make_user(agency=partnership["housing"])
    assert pages.list_cases(member, CaseFilter(), per_page=4).total == 0


def test_every_change_to_a_case_or_its_agencies_keeps_the_counts(partnership):
    council, housing = partnership["council"], partnership["housing"]
    member = make_user(agency=council)
    manager = make_user(agency=council, role=Role.MANAGER)
    assert_case_list_counts_kept()
    case = commands.open_case(
        member, case_type=CaseType.VICTIM, title="Noise at night", summary="", lead_agency_id=council.id,
        district="", town="Wisbech", ward="", restricted=False, reference_prefix="ASB",
    )  # fmt: skip
    assert_case_list_counts_kept()
    commands.add_agency(member, case.reference, agency_id=housing.id, reason="The tenancy")
    assert_case_list_counts_kept()
    commands.edit_case(
        member, case.reference, version=case.version, case_type=CaseType.PLACE, title=case.title, summary="",
        district="", town="March", ward="", restricted=None, lead_officer_id=None,
    )  # fmt: skip
    assert_case_list_counts_kept()
    commands.close_case(manager, case.reference, version=case.version, reason="Resolved")
    assert_case_list_counts_kept()
    commands.reopen_case(manager, case.reference, version=case.version, reason="It started again")
    assert_case_list_counts_kept()
    officer = make_user(agency=housing)
    assert pages.list_cases(officer, CaseFilter(town="March", status=CaseStatus.OPEN), per_page=4).total == 1


def test_writes_outside_the_services_keep_the_counts(partnership):
    """Triggers, so a bulk update or a data fix cannot leave them wrong."""
    council, housing = partnership["council"], partnership["housing"]
    db.session.execute(sa.update(Case).where(Case.town == "Wisbech").values(town="Chatteris"))
    assert_case_list_counts_kept()
    db.session.execute(
        sa.update(CaseAgency).where(CaseAgency.agency_id == council.id).values(agency_id=housing.id),
        execution_options={"synchronize_session": False},
    )
    assert_case_list_counts_kept()
    case_id = db.session.scalar(sa.select(Case.id).order_by(Case.id).limit(1))
    db.session.execute(sa.delete(CaseAgency).where(CaseAgency.case_id == case_id))
    assert_case_list_counts_kept()
    db.session.execute(sa.delete(Case).where(Case.id == case_id))
    assert_case_list_counts_kept()


def test_the_migrated_database_keeps_the_list_counts_with_triggers(session):
    """A migration that copies `cases` or `case_agencies` on SQLite (batch mode) drops
    their triggers and must create them again: this fails if one forgets."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid IN ('cases'::regclass, 'case_agencies'::regclass)"
            " AND NOT tgisinternal"
        )
        expected = {"case_list_counts_involvement", "case_list_counts_case"}
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('cases', 'case_agencies')"
        expected = {f"case_list_counts_{name}" for name in ("involved", "uninvolved", "moved", "case_changed")}
        expected.add("case_list_counts_case_deleted")
    assert {name for (name,) in db.session.execute(sa.text(query))} >= expected


def test_a_members_area_choices_follow_their_agencys_involvements(partnership):
    """Read from the kept counts: a town stays a choice while a case there is the
    agency's, whatever its status, and never the empty town."""
    council, housing = partnership["council"], partnership["housing"]
    officer = make_user(agency=housing)
    assert pages.known_towns(officer) == []
    case_id = db.session.scalar(sa.select(Case.id).where(Case.town == "Wisbech").order_by(Case.id).limit(1))
    db.session.add(CaseAgency(case_id=case_id, agency_id=housing.id, added_by_id=make_user(agency=council).id))
    db.session.flush()
    assert pages.known_towns(officer) == ["Wisbech"]
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(town="Chatteris", status=CaseStatus.CLOSED))
    assert pages.known_towns(officer) == ["Chatteris"]
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(town=""))
    assert pages.known_towns(officer) == []
    db.session.execute(sa.update(Case).where(Case.id == case_id).values(town="March"))
    db.session.execute(sa.delete(CaseAgency).where(CaseAgency.case_id == case_id, CaseAgency.agency_id == housing.id))
    assert pages.known_towns(officer) == []
    assert pages.known_towns(make_user(agency=council)) == ["March", "Wisbech"]
