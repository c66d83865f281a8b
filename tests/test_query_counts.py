"""Pages send as many SQL queries for 50 rows as for 5 (no N+1), within the budgets of
DESIGN.md section 6: a list at most 8, a detail page at most 12, a dashboard at most 8."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.cases.models import Case, PartyRole
from casework.cases.services import commands as cases
from casework.permissions import Role
from tests.factories import add_party, make_agency, make_case, make_note, make_person, make_user
from tests.support.queries import (
    DASHBOARD_BUDGET,
    DETAIL_BUDGET,
    LIST_BUDGET,
    assert_same_queries,
    page_queries,
)

pytestmark = pytest.mark.both_databases
ClientAs = Callable[[User], FlaskClient]


def case_links(page: str) -> int:
    return page.count('href="/cases/ASB-')


# --- The case list -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/cases?scope=all", "/cases"])
def test_case_list(app: Flask, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setitem(app.config, "CASES_PER_PAGE", 50)
    mine, theirs = make_agency(), make_agency()
    member, outsider = make_user(agency=mine), make_user(agency=theirs)
    builders: list[Callable[[], Case]] = [
        lambda: make_case(lead_agency=mine, opened_by=member),
        lambda: make_case(lead_agency=theirs, opened_by=outsider, involved=[mine]),
    ]
    if url == "/cases?scope=all":  # stubs of cases my agency is not involved in, restricted or not
        builders += [
            lambda: make_case(lead_agency=theirs, opened_by=outsider),
            lambda: make_case(lead_agency=theirs, opened_by=outsider, restricted=True),
        ]

    def add_cases(count: int) -> None:
        for number in range(count):
            builders[number % len(builders)]()

    client = client_as(member)
    add_cases(5)
    few_page, few = page_queries(app, client, url)
    add_cases(45)
    many_page, many = page_queries(app, client, url)

    assert (case_links(few_page), case_links(many_page)) == (5, 50)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


# --- The case page -----------------------------------------------------------------


def case_with(rows: int, *, lead: Agency, opener: User) -> Case:
    """A case with ``rows`` parties, notes, involved agencies and requests for access."""
    case = make_case(lead_agency=lead, opened_by=opener, involved=[make_agency() for _ in range(rows - 1)])
    roles = list(PartyRole)
    for number in range(rows):
        person = make_person(created_by=opener, first_name=f"Person{number}")
        add_party(case=case, person=person, role=roles[number % len(roles)])
        make_note(case=case, author=make_user(agency=lead), body=f"Note {number}")
        cases.request_access(make_user(agency=make_agency()), case.reference, reason="Same family")
    db.session.commit()
    return case


@pytest.mark.parametrize(
    "viewer",
    [
        "chair",  # full view, with requests for access
        "partner",  # full view, contact details of victims and witnesses redacted
        "member elsewhere",  # the stub of a case their agency is not involved in
    ],
)
def test_case_page(app: Flask, client_as: ClientAs, viewer: str) -> None:
    lead = make_agency()
    opener = make_user(agency=lead)
    user = {
        "chair": lambda: make_user(role=Role.PSG_CHAIR, agency=lead),
        "partner": lambda: make_user(role=Role.PARTNER, agency=lead),
        "member elsewhere": lambda: make_user(agency=make_agency()),
    }[viewer]()
    client = client_as(user)

    few_page, few = page_queries(app, client, f"/cases/{case_with(5, lead=lead, opener=opener).reference}")
    many_page, many = page_queries(app, client, f"/cases/{case_with(50, lead=lead, opener=opener).reference}")

    if viewer != "member elsewhere":
        assert (few_page.count("moj-timeline__item"), many_page.count("moj-timeline__item")) == (5, 50)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many


# --- The person page and My work ---------------------------------------------------


def test_person_page(app: Flask, client_as: ClientAs) -> None:
    mine = make_agency()
    member = make_user(agency=mine)
    client = client_as(member)

    def person_on(count: int) -> int:
        person = make_person(created_by=member)
        for number in range(count):
            lead = make_agency()
            case = make_case(lead_agency=lead, opened_by=make_user(agency=lead), involved=[mine])
            add_party(case=case, person=person, role=PartyRole.VICTIM if number % 2 else PartyRole.WITNESS)
        return person.id

    few_page, few = page_queries(app, client, f"/people/{person_on(5)}")
    many_page, many = page_queries(app, client, f"/people/{person_on(50)}")

    assert (case_links(few_page), case_links(many_page)) == (5, 50)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many


def _my_work_rows(mine: Agency, count: int) -> None:
    """``count`` more of everything any role's My work counts or lists."""
    from datetime import timedelta

    from casework.accounts.models import User
    from casework.audit.models import AuditEvent
    from casework.clock import today, utcnow
    from casework.premises.models import TlsStatus
    from tests.factories import make_action, make_premises, make_psg_meeting, make_referral
    from tests.support.sla_clocks import make_clock

    now, day = utcnow(), today()
    for number in range(count):
        lead = make_agency()
        officer = make_user(agency=lead)
        case = make_case(lead_agency=lead, opened_by=officer, involved=[mine])
        make_note(case=case, author=officer)
        person = make_person(created_by=officer)
        add_party(case=case, person=person)
        make_clock(case=case, person=person, started_at=now - timedelta(hours=60 + number))
        for agency in (mine, lead):
            make_action(agency=agency, created_by=officer, case=case, due_on=day + timedelta(days=number % 9 - 2))
        make_referral(referrer=officer)
        led = make_case(lead_agency=mine, opened_by=make_user(agency=mine))
        cases.request_access(officer, led.reference, reason="We know the family")
        make_premises(
            status=(TlsStatus.RED, TlsStatus.AMBER)[number % 2], status_since=now - timedelta(days=number * 3)
        )
        make_psg_meeting(chair=officer, held_at=now + timedelta(days=number + 1))
        db.session.get_one(User, officer.id).must_change_password = True
        db.session.add(AuditEvent(at=now, verb="auth.sign_in_failed", object_type="user", object_id=officer.id))
    db.session.commit()


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.ANALYST])
def test_my_work(app: Flask, client_as: ClientAs, role: Role) -> None:
    """Every role's My work costs the same for 50 rows of each kind as for 5 (the
    analyst's is the figures page, counted in tests/home/test_figures.py)."""
    mine = make_agency()
    client = client_as(make_user(role=role, agency=mine))
    _my_work_rows(mine, 5)
    _, few = page_queries(app, client, "/")
    _my_work_rows(mine, 45)
    _, many = page_queries(app, client, "/")

    assert_same_queries(few, many)
    assert len(many) <= DASHBOARD_BUDGET, many


# --- The SLA dashboard -------------------------------------------------------------


def _add_clocks_due(agencies: list[Agency], count: int) -> None:
    from datetime import timedelta

    from casework.clock import utcnow
    from tests.support.sla_clocks import make_clock_due

    now = utcnow()
    for number in range(count):
        lead = agencies[number % 3]
        case = make_case(lead_agency=lead, opened_by=make_user(agency=lead))
        victim = make_person(created_by=make_user(agency=lead), first_name=f"Victim{number}")
        add_party(case=case, person=victim, role=PartyRole.VICTIM)
        # Alternately overdue and due soon, so every clock is due now.
        make_clock_due(case=case, person=victim, due_at=now + timedelta(hours=(number % 20) - 10))


def test_sla_dashboard(app: Flask, client_as: ClientAs) -> None:
    """The now view, the quarter's figures and the trend cost the same however many
    clocks there are, for a manager who sees every name."""
    from casework.victims.services.sla_reports import NOW_ROWS

    agencies = [make_agency() for _ in range(3)]
    client = client_as(make_user(role=Role.MANAGER, agency=agencies[0]))
    _add_clocks_due(agencies, 5)
    few_page, few = page_queries(app, client, "/sla")
    _add_clocks_due(agencies, 95)
    many_page, many = page_queries(app, client, "/sla")

    assert (case_links(few_page), case_links(many_page)) == (5, NOW_ROWS)
    assert_same_queries(few, many)
    assert len(many) <= DASHBOARD_BUDGET, many


def test_sla_clocks_due_now(app: Flask, client_as: ClientAs) -> None:
    """Every clock due now, a page at a time: the same statements for 5 rows as for 50."""
    from casework.victims.services.sla_reports import DUE_NOW_PER_PAGE

    agencies = [make_agency() for _ in range(3)]
    client = client_as(make_user(role=Role.MANAGER, agency=agencies[0]))
    _add_clocks_due(agencies, 5)
    few_page, few = page_queries(app, client, "/sla/due-now")
    _add_clocks_due(agencies, 95)
    many_page, many = page_queries(app, client, "/sla/due-now")

    assert (case_links(few_page), case_links(many_page)) == (5, DUE_NOW_PER_PAGE)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


# --- The premises register ---------------------------------------------------------


def test_premises_register(app: Flask, client_as: ClientAs) -> None:
    """A page of the register (suggested colours, next deadlines) costs the same for 10
    premises as for 100, each with incidents from two agencies and a visit."""
    from datetime import timedelta

    from casework.clock import utcnow
    from casework.premises.models import (
        IncidentCategory,
        IncidentSeverity,
        IncidentSource,
        PremisesIncident,
        PremisesVisit,
        TlsStatus,
        VisitKind,
    )
    from casework.premises.services.premises import refresh_incident_summary
    from tests.factories import make_premises

    officer = make_user(role=Role.LICENSING_OFFICER)
    reporters = [make_agency(), make_agency()]
    client = client_as(officer)

    def add_premises(count: int) -> None:
        now = utcnow()
        for number in range(count):
            premises = make_premises(
                status=list(TlsStatus)[number % 3], status_since=now - timedelta(days=number % 120)
            )
            for agency in reporters:
                db.session.add(
                    PremisesIncident(
                        premises_id=premises.id,
                        occurred_at=now - timedelta(days=2),
                        reporting_agency_id=agency.id,
                        source=IncidentSource.POLICE,
                        category=IncidentCategory.DISORDER,
                        severity=IncidentSeverity.LOW,
                        recorded_by_id=officer.id,
                    )
                )
            db.session.add(
                PremisesVisit(
                    premises_id=premises.id,
                    kind=VisitKind.COMPLIANCE,
                    officer_id=officer.id,
                    visited_at=now - timedelta(days=1),
                )
            )
        db.session.flush()
        refresh_incident_summary()
        db.session.commit()

    add_premises(10)
    few_page, few = page_queries(app, client, "/premises?suggestion_differs=y&deadline_passed=")
    add_premises(90)
    many_page, many = page_queries(app, client, "/premises?suggestion_differs=y&deadline_passed=")

    assert few_page.count('href="/premises/') < many_page.count('href="/premises/')
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many
