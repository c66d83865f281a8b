"""My work: the first page after signing in."""

import pytest

from casework.cases.models import CaseStatus
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_note, make_user


@pytest.fixture
def partnership(session):
    """Two agencies, each with open cases, one closed case and notes."""
    mine, theirs = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    colleague = make_user(agency=mine, name="Amira Castell")
    officer = make_user(agency=theirs, name="Lee Dunmore")
    ours = make_case(lead_agency=mine, opened_by=colleague, title="Noise from number 12")
    shared = make_case(lead_agency=theirs, opened_by=officer, involved=[mine], title="Youths at the recreation ground")
    closed = make_case(
        lead_agency=mine, opened_by=colleague, status=CaseStatus.CLOSED, title="Fly-tipping behind the shops"
    )
    elsewhere = make_case(lead_agency=theirs, opened_by=officer, title="Street drinking in the park")
    make_note(case=ours, author=colleague, body="Visited the victim.")
    make_note(case=elsewhere, author=officer, body="Patrol arranged.")
    return {"mine": mine, "ours": ours, "shared": shared, "closed": closed, "elsewhere": elsewhere}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_a_home_page(client_as, partnership, role):
    response = client_as(make_user(role=role, agency=partnership["mine"])).get("/")
    assert response.status_code == 200
    assert "My work" in response.text


def test_member_sees_their_agencys_open_cases_only(client_as, partnership):
    page = client_as(make_user(role=Role.PSG_MEMBER, agency=partnership["mine"])).get("/").text
    assert partnership["ours"].reference in page
    assert "Noise from number 12" in page
    assert partnership["shared"].reference in page  # led elsewhere, but my agency is involved
    assert partnership["closed"].reference not in page
    assert partnership["elsewhere"].reference not in page
    assert "Street drinking in the park" not in page


def test_member_sees_recent_notes_on_their_agencys_cases(client_as, partnership):
    page = client_as(make_user(role=Role.PSG_MEMBER, agency=partnership["mine"])).get("/").text
    assert "Recent activity" in page
    assert "by Amira Castell" in page
    assert "by Lee Dunmore" not in page  # that note is on a case my agency is not involved in


def test_member_of_an_agency_without_cases_is_told_so(client_as, partnership):
    page = client_as(make_user(role=Role.PSG_MEMBER, agency=make_agency())).get("/").text
    assert "Your agency has no open cases." in page
    assert "No recent activity." in page
    assert partnership["ours"].reference not in page


def test_analyst_sees_no_case_data(client_as, partnership):
    page = client_as(make_user(role=Role.ANALYST, agency=partnership["mine"])).get("/").text
    for case in ("ours", "shared", "closed", "elsewhere"):
        assert partnership[case].reference not in page
    assert "Noise from number 12" not in page
    assert "Amira Castell" not in page
    assert "partnership figures" in page


def test_admin_is_offered_user_management(client_as, partnership):
    page = client_as(make_user(role=Role.ADMIN, agency=partnership["mine"])).get("/").text
    assert 'href="/admin/users"' in page


def test_only_roles_that_open_cases_are_offered_the_button(client_as, partnership):
    for role, offered in [(Role.PSG_MEMBER, True), (Role.PARTNER, False), (Role.LICENSING_OFFICER, False)]:
        page = client_as(make_user(role=role, agency=partnership["mine"])).get("/").text
        assert ("Open a case" in page) is offered, role
