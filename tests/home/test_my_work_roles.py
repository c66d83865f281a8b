"""My work for every role: what each is shown (and never shown), the counts and where
they link, read through the policy's clauses in SQL."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from casework import db
from casework.actions.models import ActionStatus
from casework.audit.models import AuditEvent
from casework.cases.services import commands as case_commands
from casework.clock import today, utcnow
from casework.permissions import Role
from casework.policy import ROLE_PERMISSIONS, WORK_PANEL_NEEDS, WORK_PANELS, WorkPanel
from casework.premises.models import PremisesVisit, TlsStatus, VisitKind
from casework.referrals.models import ReferralStatus
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_case,
    make_person,
    make_premises,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases


def shown(html: str, element_id: str) -> str:
    """The text of the element with this id (a count), without its hidden words."""
    match = re.search(rf'id="{element_id}">([\d,]+)', html)
    assert match, f"#{element_id} is not on the page"
    return match.group(1)


def href_of(html: str, element_id: str) -> str:
    match = re.search(rf'<a [^>]*href="([^"]+)" id="{element_id}"', html)
    assert match, f"#{element_id} is not a link"
    return match.group(1).replace("&amp;", "&")


def dmy(day) -> str:
    return f"{day.day}&{{0}}={day.month}&{{0}}={day.year}"


# --- Which panels each role has ------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_panel_of_a_role_is_readable_by_that_role(role):
    for panel in WORK_PANELS[role]:
        assert WORK_PANEL_NEEDS[panel] in ROLE_PERMISSIONS[role], (role, panel)


def test_every_panel_is_on_some_roles_page():
    assert set().union(*WORK_PANELS.values()) == set(WorkPanel)


# --- The actions an agency owes -----------------------------------------------------


@pytest.fixture
def actions(session):
    mine, theirs = make_agency(name="Fenland District Council"), make_agency(name="Clarion Housing")
    author = make_user(agency=theirs)
    case = make_case(lead_agency=theirs, involved=[mine])
    day = today()

    def owe(agency, title, due_in, status=ActionStatus.OPEN):
        make_action(
            agency=agency, created_by=author, case=case, title=title, due_on=day + timedelta(due_in), status=status
        )

    owe(mine, "Fit a door entry system", -1)
    owe(mine, "Call the victim back", 0)
    owe(mine, "Write to the landlord", 7)
    owe(mine, "Review the CCTV", 8)
    owe(mine, "Already done", -3, ActionStatus.DONE)
    owe(theirs, "Their own action", -2)
    return SimpleNamespace(mine=mine, theirs=theirs, day=day)


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PSG_CHAIR, Role.PARTNER, Role.LICENSING_OFFICER])
def test_the_actions_an_agency_owes(client_as, actions, role):
    page = client_as(make_user(role=role, agency=actions.mine)).get("/").text
    assert (shown(page, "actions-overdue"), shown(page, "actions-due-soon"), shown(page, "actions-live")) == (
        "1",
        "2",  # due today and in 7 days: amber
        "4",
    )
    listed = page.split('id="urgent-actions"', 1)[1].split("</table>", 1)[0]
    titles = re.findall(r'href="/actions/\d+">([^<]+)</a>', listed)
    assert titles == ["Fit a door entry system", "Call the victim back", "Write to the landlord"]
    assert "govuk-tag--red" in listed and "govuk-tag--orange" in listed
    for absent in ("Review the CCTV", "Already done", "Their own action"):
        assert absent not in page


@pytest.mark.calendar
def test_action_counts_link_to_the_inbox_filtered(client_as, actions):
    page = client_as(make_user(agency=actions.mine)).get("/").text
    day, soon = actions.day, actions.day + timedelta(7)
    assert href_of(page, "actions-overdue") == "/actions?" + "due_to=" + dmy(day - timedelta(1)).format("due_to")
    due_from = "due_from=" + dmy(day).format("due_from")
    assert href_of(page, "actions-due-soon") == f"/actions?{due_from}&due_to=" + dmy(soon).format("due_to")
    assert href_of(page, "actions-live") == "/actions"
    # The inbox at the overdue link lists exactly the overdue one.
    inbox = client_as(make_user(agency=actions.mine)).get(href_of(page, "actions-overdue")).text
    assert "Fit a door entry system" in inbox and "Call the victim back" not in inbox


def test_an_agency_with_nothing_pressing_is_told_so(client_as, actions):
    page = client_as(make_user(role=Role.PARTNER, agency=make_agency())).get("/").text
    assert shown(page, "actions-overdue") == "0"
    assert "Nothing your agency owes is overdue or due by" in page


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.ADMIN])
def test_roles_without_the_agency_actions_panel(client_as, actions, role):
    page = client_as(make_user(role=role, agency=actions.mine)).get("/").text
    assert 'id="actions-overdue"' not in page
    assert "Fit a door entry system" not in page


# --- The partner ---------------------------------------------------------------------


def test_a_partner_never_sees_victims_clocks_nor_the_chairs_or_managers_panels(client_as, session):
    mine, lead = make_agency(), make_agency()
    case = make_case(lead_agency=lead, involved=[mine])
    victim = make_person(created_by=make_user(agency=lead), first_name="Olive", last_name="Overdue")
    add_party(case=case, person=victim)
    make_clock(case=case, person=victim, started_at=utcnow() - timedelta(hours=80))
    make_referral(referrer=make_user(agency=lead))
    page = client_as(make_user(role=Role.PARTNER, agency=mine)).get("/").text
    assert "Olive" not in page and "Victims needing action" not in page
    for panel in ("undecided-referrals", "access-requests", "next-meeting", "overdue-clocks", "premises-passed"):
        assert f'id="{panel}"' not in page
    assert 'id="actions-live"' in page
    # The member of the same agency is shown the clock.
    assert "Olive Overdue" in client_as(make_user(agency=mine)).get("/").text


# --- The chair -----------------------------------------------------------------------


@pytest.fixture
def chairs(session):
    council, police, housing = make_agency(), make_agency(), make_agency()
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    officer = make_user(agency=police)
    ours = make_case(lead_agency=council, involved=[])
    theirs = make_case(lead_agency=police)
    asker_police, asker_housing = make_user(agency=police), make_user(agency=housing)
    for asker, case in [(asker_police, ours), (asker_housing, ours), (asker_housing, theirs)]:
        case_commands.request_access(asker, case.reference, reason="Our officer knows the family")
    db.session.commit()
    for status in (ReferralStatus.NEW, ReferralStatus.NEW, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED):
        make_referral(referrer=officer, status=status)
    return SimpleNamespace(council=council, police=police, chair=chair, ours=ours, theirs=theirs)


def test_a_chair_sees_undecided_referrals_and_requests_about_cases_their_agency_leads(client_as, chairs):
    page = client_as(chairs.chair).get("/").text
    assert shown(page, "undecided-referrals") == "2"
    assert href_of(page, "undecided-referrals") == "/referrals?status=new"
    assert shown(page, "access-requests") == "2"  # not the request about the police's case


def test_a_request_is_no_longer_pending_once_the_agency_is_involved(client_as, chairs):
    case_commands.add_agency(chairs.chair, chairs.ours.reference, agency_id=chairs.police.id, reason="Knows the family")
    db.session.commit()
    assert shown(client_as(chairs.chair).get("/").text, "access-requests") == "1"


def test_the_chair_of_another_agency_counts_their_own(client_as, chairs):
    other_chair = make_user(role=Role.PSG_CHAIR, agency=chairs.police)
    assert shown(client_as(other_chair).get("/").text, "access-requests") == "1"


def test_a_member_is_not_shown_referrals_or_requests(client_as, chairs):
    page = client_as(make_user(agency=chairs.council)).get("/").text
    assert 'id="undecided-referrals"' not in page and 'id="access-requests"' not in page


@pytest.mark.calendar
def test_a_chair_sees_the_next_psg_meeting(client_as, chairs):
    now = utcnow()
    make_psg_meeting(chair=chairs.chair, held_at=now - timedelta(days=30), finished_at=now - timedelta(days=30))
    make_psg_meeting(chair=chairs.chair, held_at=now - timedelta(days=2), location="Unfinished Hall")  # before today
    make_psg_meeting(  # today's, but finished
        chair=chairs.chair, held_at=now + timedelta(hours=1), location="Done Hall", finished_at=now + timedelta(hours=2)
    )
    make_psg_meeting(chair=chairs.chair, held_at=now + timedelta(days=40), location="Later Hall")
    soonest = make_psg_meeting(chair=chairs.chair, held_at=now + timedelta(days=9), location="Fenland Hall, March")
    page = client_as(chairs.chair).get("/").text
    section = page.split('id="next-meeting"', 1)[1]
    assert f'href="/meetings/{soonest.id}"' in section.split("</p>", 1)[0]
    assert "Fenland Hall, March" in section
    assert not any(hall in section for hall in ("Later Hall", "Unfinished Hall", "Done Hall"))


def test_a_chair_with_no_meeting_ahead_is_offered_to_schedule_one(client_as, chairs):
    page = client_as(chairs.chair).get("/").text
    assert "No PSG meeting is scheduled." in page and 'href="/meetings/new"' in page


# --- The manager ---------------------------------------------------------------------


@pytest.mark.calendar
def test_a_manager_sees_the_partnership(client_as, chairs):
    now, day = utcnow(), today()
    for case, hours_ago in [(chairs.ours, 80), (chairs.theirs, 100), (chairs.theirs, 30)]:
        person = make_person(created_by=chairs.chair)
        add_party(case=case, person=person)
        make_clock(case=case, person=person, started_at=now - timedelta(hours=hours_ago))
    author, case = make_user(agency=chairs.police), chairs.theirs
    make_action(agency=chairs.police, created_by=author, case=case, due_on=day - timedelta(5))
    make_action(agency=chairs.police, created_by=author, case=case, due_on=day - timedelta(2))
    make_action(agency=chairs.council, created_by=author, case=case, due_on=day - timedelta(1))
    make_action(agency=chairs.council, created_by=author, case=case, due_on=day)  # not overdue
    manager = make_user(role=Role.MANAGER, agency=make_agency())
    page = client_as(manager).get("/").text
    assert shown(page, "overdue-clocks") == "2"  # the clock started 30 hours ago is not due
    assert href_of(page, "overdue-clocks") == "/sla"
    assert shown(page, "access-requests") == "3"  # about any case
    assert page.count('id="access-requests"') == 1
    table = page.split('id="overdue-by-agency"', 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in table.split("<tr")[2:]]
    assert [row[:2] for row in rows] == [[chairs.police.name, "2"], [chairs.council.name, "1"]]
    assert 'href="/actions/overdue"' in page
    assert 'id="undecided-referrals"' not in page and "Victims needing action" not in page


# --- The licensing officer -----------------------------------------------------------


@pytest.mark.calendar
def test_a_licensing_officer_sees_the_premises_deadlines(client_as, session):
    now = utcnow()
    officer = make_user(role=Role.LICENSING_OFFICER)
    make_premises(status=TlsStatus.RED, status_since=now - timedelta(days=100))  # reach amber: passed
    make_premises(status=TlsStatus.AMBER, status_since=now - timedelta(days=30))  # visit within 28 days: passed
    visited = make_premises(status=TlsStatus.AMBER, status_since=now - timedelta(days=20))  # visit due in 8 days
    make_premises(status=TlsStatus.AMBER, status_since=now - timedelta(days=1))  # visit due in 27 days
    make_premises(status=TlsStatus.RED, status_since=now - timedelta(days=1))  # about 3 months ahead
    make_premises(status=TlsStatus.GREEN, status_since=now - timedelta(days=400))  # no deadline
    page = client_as(officer).get("/").text
    assert (shown(page, "premises-passed"), shown(page, "premises-due-soon")) == ("2", "1")
    assert href_of(page, "premises-passed") == "/premises?deadline_passed=y"
    assert href_of(page, "premises-due-soon") == "/premises?sort=deadline-asc"
    db.session.add(
        PremisesVisit(premises_id=visited.id, kind=VisitKind.COMPLIANCE, officer_id=officer.id, visited_at=now)
    )
    db.session.commit()
    assert shown(client_as(officer).get("/").text, "premises-due-soon") == "0"  # the visit met it
    assert 'id="premises-passed"' not in client_as(make_user(role=Role.PSG_CHAIR)).get("/").text


# --- The administrator -----------------------------------------------------------------


@pytest.mark.calendar
def test_an_administrator_sees_temporary_passwords_and_failed_sign_ins(client_as, session):
    now = utcnow()
    make_user(agency=make_agency())
    for active in (True, True, False):
        user = make_user(active=active)
        user.must_change_password = True
    for verb, hours_ago in [
        ("auth.sign_in_failed", 1),
        ("auth.two_factor_failed", 23),
        ("auth.sign_in_failed", 25),  # before the window
        ("auth.signed_in", 1),
    ]:
        db.session.add(AuditEvent(at=now - timedelta(hours=hours_ago), verb=verb, object_type="user"))
    db.session.commit()
    page = client_as(make_user(role=Role.ADMIN)).get("/").text
    assert shown(page, "temporary-passwords") == "2"  # a deactivated account signs in no more
    assert href_of(page, "temporary-passwords") == "/admin/users"
    assert shown(page, "failed-sign-ins") == "2"
    yesterday = today() - timedelta(days=1)
    assert href_of(page, "failed-sign-ins") == "/admin/audit?kind=sign_in&date_from=" + dmy(yesterday).format(
        "date_from"
    )
    for panel in ("actions-live", "overdue-clocks", "access-requests", "premises-passed"):
        assert f'id="{panel}"' not in page


def test_only_administrators_see_the_accounts_panel(client_as, session):
    for role in (Role.MANAGER, Role.PSG_CHAIR):
        assert 'id="temporary-passwords"' not in client_as(make_user(role=role)).get("/").text
