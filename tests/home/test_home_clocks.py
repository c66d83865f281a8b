"""My work: the victims on my agency's cases whose clocks are overdue or due soon,
most urgent first, in a constant number of queries."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from casework import db
from casework.clock import utcnow
from casework.permissions import Role
from casework.ui.templating import countdown
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.queries import recorded_statements
from tests.support.victims import CRITICAL, MEDIUM, assess

pytestmark = pytest.mark.both_databases

DASHBOARD_BUDGET = 8


def hours_ago(hours: float) -> datetime:
    return (utcnow() - timedelta(hours=hours, minutes=1)).replace(second=0, microsecond=0)


@pytest.fixture
def world(session, client_as):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    member, officer = make_user(agency=council), make_user(agency=police)
    ours = make_case(lead_agency=police, opened_by=officer, involved=[council])  # led elsewhere, we are involved
    theirs = make_case(lead_agency=police, opened_by=officer)

    def victim(case, first_name):
        person = make_person(created_by=officer, first_name=first_name, last_name="Victim")
        add_party(case=case, person=person)
        return person.id

    people = {name: victim(ours, name) for name in ("Olive", "Sally", "Penny", "Mabel")}
    people["Tess"] = victim(theirs, "Tess")
    officer_client = client_as(officer)
    assess(
        officer_client, ours.reference, people["Sally"], when=hours_ago(50), answers=CRITICAL
    )  # conference due in 22 h
    assess(
        officer_client, ours.reference, people["Olive"], when=hours_ago(80), answers=CRITICAL
    )  # conference overdue by 8 h
    assess(officer_client, ours.reference, people["Penny"], when=hours_ago(1), answers=CRITICAL)  # due in 71 h: pending
    assess(officer_client, ours.reference, people["Mabel"], when=hours_ago(100), answers=CRITICAL)
    assess(officer_client, ours.reference, people["Mabel"], when=hours_ago(90), answers=MEDIUM)  # 7-day clock met
    assess(officer_client, theirs.reference, people["Tess"], when=hours_ago(80), answers=CRITICAL)  # another agency's
    return SimpleNamespace(
        council=council,
        police=police,
        ours=ours.reference,
        theirs=theirs.reference,
        member=client_as(member),
        client_as=client_as,
    )


def needing_action(html: str) -> str:
    return html.split('id="victims-needing-action"', 1)[1].split("</table>", 1)[0]


@pytest.mark.calendar
def test_overdue_clocks_come_before_clocks_due_soon(world):
    section = needing_action(world.member.get("/").text)
    rows = section.split("<tr")[2:]  # after the header row
    assert [re.search(r">(\w+ Victim)</td>", row).group(1) for row in rows] == [
        "Mabel Victim",
        "Olive Victim",
        "Sally Victim",
    ]
    mabel, olive, sally = rows
    assert "Case conference within 72 hours" in mabel and "Overdue by 28 hours" in mabel
    assert "Case conference within 72 hours" in olive and "Overdue by 8 hours" in olive and "govuk-tag--red" in olive
    assert "Due in 22 hours" in sally and "govuk-tag--orange" in sally
    for row in rows:  # the status is said once, not "Overdue overdue by 8 hours"
        words = re.sub(r"<[^>]+>", " ", row).lower().split()
        assert words.count("overdue") + words.count("due") <= 1
    assert f'href="/cases/{world.ours}#people"' in sally


@pytest.mark.calendar
def test_pending_met_and_other_agencies_clocks_are_not_listed(world):
    section = needing_action(world.member.get("/").text)
    assert "Penny Victim" not in section  # not due for 71 hours
    assert "Risk brought down" not in section  # Mabel's 7-day clock was met
    assert "Tess Victim" not in section and world.theirs not in section


def test_the_other_agencys_member_sees_only_their_own(world):
    officer = world.client_as(make_user(agency=world.police))
    section = needing_action(officer.get("/").text)
    assert "Tess Victim" in section and "Olive Victim" in section


def test_a_member_with_nothing_pressing_is_told_so(world):
    quiet = world.client_as(make_user(agency=make_agency(name="Quiet Agency")))
    assert "No victim on your agency's cases has a clock overdue or due in the next 24 hours." in quiet.get("/").text


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER, Role.MANAGER, Role.ANALYST, Role.ADMIN])
def test_only_psg_members_and_chairs_are_shown_victims_needing_action(world, role):
    page = world.client_as(make_user(role=role, agency=world.council)).get("/").text
    assert "Victims needing action" not in page
    assert "Olive Victim" not in page


def test_a_chair_is_shown_victims_needing_action(world):
    page = world.client_as(make_user(role=Role.PSG_CHAIR, agency=world.council)).get("/").text
    assert "Olive Victim" in needing_action(page)


def test_my_work_sends_as_many_queries_for_many_clocks_as_for_few(app, session, client_as):
    council = make_agency()
    member = make_user(agency=council)
    client = client_as(member)

    def high_risk_victims(count: int) -> None:
        for _ in range(count):
            case = make_case(lead_agency=council, opened_by=member)
            person = make_person(created_by=member)
            add_party(case=case, person=person)
            assess(client, case.reference, person.id, when=hours_ago(60), answers=CRITICAL)

    def queries() -> tuple[str, list[str]]:
        db.session.remove()
        with recorded_statements(app.extensions["casework.engine"]) as statements:
            response = client.get("/")
        assert response.status_code == 200
        return needing_action(response.text), statements

    high_risk_victims(2)
    few_page, few = queries()
    high_risk_victims(8)
    many_page, many = queries()

    assert (few_page.count("<tr"), many_page.count("<tr")) == (3, 11)
    assert len(many) == len(few)
    assert len(many) <= DASHBOARD_BUDGET, many


@pytest.mark.parametrize(
    ("due_in", "wording"),
    [
        (timedelta(hours=14, minutes=20), "due in 14 hours"),
        (timedelta(hours=13, minutes=40), "due in 14 hours"),
        (timedelta(minutes=45), "due in 45 minutes"),
        (timedelta(minutes=1), "due in 1 minute"),
        (timedelta(seconds=10), "due now"),
        (timedelta(hours=1), "due in 1 hour"),
        (timedelta(hours=47), "due in 47 hours"),
        (timedelta(days=2, hours=11), "due in 2 days"),
        (timedelta(days=6, hours=23), "due in 7 days"),
        (-timedelta(hours=3), "overdue by 3 hours"),
        (-timedelta(days=1, hours=4), "overdue by 28 hours"),
        (-timedelta(days=3), "overdue by 3 days"),
    ],
)
def test_countdown_wording(due_in, wording):
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert countdown(now + due_in, now=now) == wording
