"""The clocks due now: the dashboard lists the most overdue up to its cap and links to
/sla/due-now, which lists every clock overdue or due soon a page at a time, to those
who may see named cases, audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case, PartyRole
from casework.clock import utcnow
from casework.exceptions import PermissionDenied
from casework.permissions import Role
from casework.victims.models import SlaClock
from casework.victims.services import sla_reports
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.sla_clocks import make_clock_due

pytestmark = pytest.mark.both_databases

CAP = 3


@pytest.fixture
def lead(session, monkeypatch):
    monkeypatch.setattr(sla_reports, "NOW_ROWS", CAP)
    council = make_agency(name="Fenland District Council")
    case = make_case(lead_agency=council, opened_by=make_user(agency=council))
    victim = make_person(created_by=make_user(agency=council), first_name="Vera", last_name="Quillfeather")
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    return {"council": council, "case": case, "victim": victim, "manager": make_user(role=Role.MANAGER)}


def clocks_due(lead, hours_ago):
    now = utcnow()
    return [
        make_clock_due(case=lead["case"], person=lead["victim"], due_at=now - timedelta(hours=h)) for h in hours_ago
    ]


def test_exactly_at_the_cap_the_dashboard_lists_every_clock_and_links_nowhere(client_as, lead):
    clocks_due(lead, [1, 2, 3])
    page = client_as(lead["manager"]).get("/sla").text
    assert page.count("Overdue by") == CAP
    assert 'id="due-now-more"' not in page and "/sla/due-now" not in page


def test_one_over_the_cap_the_dashboard_says_how_many_more_and_links_to_every_one(client_as, lead):
    clocks_due(lead, [1, 2, 3, 4])
    page = client_as(lead["manager"]).get("/sla").text
    assert page.count("Overdue by") == CAP
    assert "Overdue by 1 hour" not in page  # the least overdue is the one left off
    assert "And 1 more." in page
    assert '<a class="govuk-link" href="/sla/due-now">See all 4 clocks overdue or due within 24 hours</a>' in page


def test_the_full_list_pages_through_every_clock_once_most_overdue_first_ties_by_id(lead):
    now = utcnow()
    due = [now - timedelta(hours=h) for h in (5, 2, 2, 2, 9, 1)] + [now + timedelta(hours=h) for h in (3, 3)]
    made = [make_clock_due(case=lead["case"], person=lead["victim"], due_at=at) for at in due]
    make_clock_due(case=lead["case"], person=lead["victim"], due_at=now + timedelta(hours=30))  # not due soon
    expected = [(clock.due_at, clock.id) for clock in sorted(made, key=lambda clock: (clock.due_at, clock.id))]
    ids = {(clock.due_at, clock.id): clock for clock in made}
    seen = []
    for page in (1, 2, 3):
        listed = sla_reports.due_now_list(lead["manager"], now, page=page, per_page=3)
        assert (listed.clocks.total, listed.clocks.pages, listed.clocks.page) == (8, 3, page)
        seen += [(row.due_at, agency) for agency, row in listed.clocks.items]
    assert [at for at, _ in seen] == [at for at, _ in expected]
    assert {agency for _, agency in seen} == {"Fenland District Council"}
    assert len(ids) == 8
    # Past the last page: the last page.
    assert sla_reports.due_now_list(lead["manager"], now, page=99, per_page=3).clocks.page == 3


def test_the_page_shows_each_clock_with_its_case_and_victim_and_is_audited(client_as, lead):
    clocks_due(lead, [30])
    response = client_as(lead["manager"]).get("/sla/due-now")
    assert response.status_code == 200
    assert f'href="/cases/{lead["case"].reference}"' in response.text
    assert "Vera Quillfeather" in response.text and "Overdue by 30 hours" in response.text
    assert "1 clock" in response.text
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "sla.due_now_viewed")))
    assert [event.detail for event in events] == [{"page": 1, "rows": 1}]


def test_the_page_links_to_the_next_page_when_there_are_more(client_as, lead, monkeypatch):
    monkeypatch.setattr(sla_reports, "DUE_NOW_PER_PAGE", 2)
    monkeypatch.setattr(sla_reports.due_now_list, "__kwdefaults__", {"per_page": 2})
    clocks_due(lead, [1, 2, 3])
    page = client_as(lead["manager"]).get("/sla/due-now?page=2").text
    assert "3 clocks, page 2 of 2" in page and 'href="/sla/due-now?page=1"' in page


def test_a_chair_sees_no_name_on_a_case_not_shared_in_full(lead):
    police = make_agency(name="Cambridgeshire Constabulary")
    hidden = make_case(lead_agency=police, opened_by=make_user(agency=police), restricted=True)
    person = make_person(created_by=make_user(agency=police), first_name="Rhoda", last_name="Sealstone")
    add_party(case=hidden, person=person)
    make_clock_due(case=hidden, person=person, due_at=utcnow() - timedelta(hours=2))
    chair = make_user(role=Role.PSG_CHAIR, agency=lead["council"])
    listed = sla_reports.due_now_list(chair, utcnow(), page=1)
    assert [(agency, row.reference, row.victim_name) for agency, row in listed.clocks.items] == [
        ("Cambridgeshire Constabulary", None, None)
    ]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER])
def test_who_may_not_see_named_cases_is_refused_the_page(client_as, lead, role):
    clocks_due(lead, [2])
    assert client_as(make_user(role=role, agency=lead["council"])).get("/sla/due-now").status_code == 403
    with pytest.raises(PermissionDenied):
        sla_reports.due_now_list(make_user(role=role), utcnow(), page=1)


def test_the_counts_by_agency_follow_a_change_of_the_cases_lead_agency(lead):
    """Each clock keeps a copy of its case's lead agency, by triggers, for the counts."""
    police = make_agency(name="Cambridgeshire Constabulary")
    clocks_due(lead, [1, 2])
    other = make_case(lead_agency=police, opened_by=make_user(agency=police))
    make_clock_due(case=other, person=lead["victim"], due_at=utcnow() - timedelta(hours=3))

    def counts():
        view = sla_reports.now_view(lead["manager"], utcnow())
        return {group.agency_name: group.overdue for group in view.agencies}

    assert counts() == {"Fenland District Council": 2, "Cambridgeshire Constabulary": 1}
    db.session.get_one(Case, lead["case"].id).lead_agency_id = police.id
    db.session.flush()
    assert counts() == {"Cambridgeshire Constabulary": 3}
    moved = db.session.scalars(select(SlaClock).where(SlaClock.case_id == other.id)).one()
    moved.case_id = make_case(lead_agency=lead["council"], opened_by=make_user(agency=lead["council"])).id
    db.session.flush()
    assert counts() == {"Cambridgeshire Constabulary": 2, "Fenland District Council": 1}
    db.session.expire_all()
    kept = db.session.execute(
        select(SlaClock.lead_agency_id, Case.lead_agency_id).join(Case, Case.id == SlaClock.case_id)
    ).all()
    assert len(kept) == 3 and all(on_clock == on_case for on_clock, on_case in kept)
