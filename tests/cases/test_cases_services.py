"""The case services called directly: reference numbers, list counts and what each
user's list and case page hold."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import CaseReferenceCounter, CaseStatus, CaseType, PartyRole
from casework.cases.services import commands, lookup, pages
from casework.cases.services.pages import CaseFilter
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.limits import STOPPING_REASON_MAX
from casework.permissions import Role
from tests.factories import add_party, make_agency, make_case, make_note, make_person, make_user

pytestmark = pytest.mark.both_databases


def open_a_case(actor, *, lead_agency_id=None, prefix="ASB"):
    return commands.open_case(
        actor,
        case_type=CaseType.VICTIM,
        title="Noise at night",
        summary="",
        lead_agency_id=lead_agency_id or actor.agency_id,
        district="",
        town="",
        ward="",
        restricted=False,
        reference_prefix=prefix,
    )


@pytest.fixture
def member(session):
    return make_user(agency=make_agency(name="Fenland District Council"))


def in_year(monkeypatch, year: int) -> None:
    monkeypatch.setattr(commands, "utcnow", lambda: datetime(year, 6, 1, 12, 0, tzinfo=UTC))


# --- Reference numbers -------------------------------------------------------------


def test_references_count_up_within_a_year_and_start_again_each_year(member, monkeypatch):
    issued = []
    for year in (2030, 2030, 2031, 2030, 2031):
        in_year(monkeypatch, year)
        issued.append(open_a_case(member).reference)
    assert issued == ["ASB-2030-00001", "ASB-2030-00002", "ASB-2031-00001", "ASB-2030-00003", "ASB-2031-00002"]
    counters = dict(db.session.execute(select(CaseReferenceCounter.year, CaseReferenceCounter.last_number)).all())
    assert counters == {2030: 3, 2031: 2}


def test_the_reference_prefix_comes_from_the_caller(member, monkeypatch):
    in_year(monkeypatch, 2032)
    assert open_a_case(member, prefix="CSP").reference == "CSP-2032-00001"


def test_opening_a_case_records_its_agencies_and_audit(member, monkeypatch):
    in_year(monkeypatch, 2030)
    police = make_agency(name="Cambridgeshire Constabulary")
    case = open_a_case(member, lead_agency_id=police.id)
    assert case.opened_at == datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    assert case.lead_officer_id is None  # the opener is not in the lead agency
    page = pages.case_page(member, case.reference)
    assert {involvement.agency_id for involvement in page.agencies} == {police.id, member.agency_id}
    verbs = list(db.session.scalars(select(AuditEvent.verb).where(AuditEvent.case_id == case.id)))
    assert verbs == ["case.opened", "case.viewed"]


@pytest.mark.parametrize("agency", ["unknown", "inactive"])
def test_a_case_cannot_be_led_by_an_unknown_or_inactive_agency(member, agency):
    agency_id = 999999 if agency == "unknown" else make_agency(active=False).id
    with pytest.raises(InvalidInput) as refused:
        open_a_case(member, lead_agency_id=agency_id)
    assert refused.value.field == "lead_agency_id"
    assert db.session.scalar(select(CaseReferenceCounter)) is None


def test_only_roles_with_case_open_may_open(session):
    partner = make_user(role=Role.PARTNER)
    with pytest.raises(PermissionDenied):
        open_a_case(partner)


# --- The list ----------------------------------------------------------------------


@pytest.fixture
def partnership(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    voluntary = make_agency(name="Wisbech Voluntary Trust")
    member = make_user(agency=council)
    officer = make_user(agency=police)
    for number in range(7):
        status = CaseStatus.CLOSED if number % 2 else CaseStatus.OPEN
        make_case(lead_agency=council, opened_by=member, town="Wisbech", status=status)
    for number in range(5):
        make_case(
            lead_agency=police,
            opened_by=officer,
            involved=[voluntary] if number < 2 else [],
            restricted=number == 4,
            town="March",
        )
    return {"council": council, "police": police, "voluntary": voluntary, "member": member}


def every_page(actor, criteria: CaseFilter, per_page: int = 3):
    first = pages.list_cases(actor, criteria, per_page=per_page)
    rows, page, count = list(first.items), first, 1
    while page.next:
        page = pages.list_cases(actor, CaseFilter(**{**criteria.__dict__, "after": page.next}), per_page=per_page)
        rows += page.items
        count += 1
    return first, rows, count


@pytest.mark.parametrize(
    ("who", "criteria", "expected_total", "expected_stubs"),
    [
        ("member", CaseFilter(), 7, 0),
        ("member", CaseFilter(scope="all"), 12, 5),
        ("member", CaseFilter(scope="all", status=CaseStatus.CLOSED), 3, 0),
        ("member", CaseFilter(scope="all", town="March"), 0, 0),
        ("member", CaseFilter(scope="all", case_type=CaseType.VICTIM), 11, 4),
        ("partner", CaseFilter(scope="all"), 2, 0),
        ("manager", CaseFilter(), 12, 0),
    ],
)
def test_list_totals_agree_with_the_rows_on_every_page(partnership, who, criteria, expected_total, expected_stubs):
    actor = {
        "member": partnership["member"],
        "partner": make_user(role=Role.PARTNER, agency=partnership["voluntary"]),
        "manager": make_user(role=Role.MANAGER, agency=partnership["council"]),
    }[who]
    first, rows, count = every_page(actor, criteria)
    assert first.total == expected_total == len(rows)
    assert len({row.case.id for row in rows}) == len(rows)
    assert count == max(1, -(-expected_total // 3))
    assert sum(not row.full_view for row in rows) == expected_stubs


def test_analysts_cannot_list_cases(partnership):
    with pytest.raises(PermissionDenied):
        pages.list_cases(make_user(role=Role.ANALYST), CaseFilter(), per_page=10)


def test_the_area_filter_offers_only_towns_of_cases_seen_in_full(partnership):
    assert pages.known_towns(partnership["member"]) == ["Wisbech"]


# --- The case page and changes -----------------------------------------------------


def test_a_stub_page_holds_nothing_the_stub_may_not_show(session):
    council, housing = make_agency(), make_agency()
    owner = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=owner)
    add_party(case=case, person=make_person(created_by=owner), role=PartyRole.VICTIM)
    make_note(case=case, author=owner)
    outsider = make_user(agency=housing)

    stub = pages.case_page(outsider, case.reference)
    assert not stub.full_view
    assert stub.subject_name == "Ada Ashdown"
    assert stub.parties == {} and stub.notes == []

    case.restricted = True
    db.session.commit()
    restricted = pages.case_page(outsider, case.reference.lower())
    assert restricted.subject_name == "" and restricted.agencies == []


def test_changing_a_case_needs_the_full_view(session):
    council = make_agency()
    case = make_case(lead_agency=council)
    outsider = make_user(agency=make_agency())
    with pytest.raises(NotFound):
        lookup.get_case(outsider, case.reference, lookup.P.CASE_EDIT)


def test_a_stale_version_is_a_conflict(session):
    council = make_agency()
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member)
    with pytest.raises(EditConflict):
        commands.close_case(member, case.reference, version=case.version - 1, reason="Done")


def test_a_closing_reason_longer_than_the_stopped_clocks_keep_is_refused(session):
    council = make_agency()
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member)
    with pytest.raises(InvalidInput) as refused:
        commands.close_case(member, case.reference, version=case.version, reason="x" * (STOPPING_REASON_MAX + 1))
    assert refused.value.field == "reason"
    commands.close_case(member, case.reference, version=case.version, reason="x" * STOPPING_REASON_MAX)
    assert case.status is CaseStatus.CLOSED


def test_asking_for_access_to_a_case_already_seen_is_refused(session):
    council = make_agency()
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member)
    with pytest.raises(InvalidTransition):
        commands.request_access(member, case.reference, reason="Please")
