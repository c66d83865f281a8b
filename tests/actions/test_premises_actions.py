"""A premises' actions on its page: the list with RAG, the button to add one, and their
creation and updates on the premises' timeline."""

import html
import re
from datetime import timedelta

import pytest

from casework import clock, db
from casework.actions.models import ActionStatus, ActionUpdate
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.clock import utcnow
from casework.permissions import Role
from casework.premises.models import TlsStatus
from casework.premises.services.premises_timeline import TIMELINE_SHOWN
from tests.factories import make_action, make_agency, make_case, make_premises, make_user
from tests.support.queries import DETAIL_BUDGET, assert_same_queries, page_queries


def cell_text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def action_rows(page: str) -> list[list[str]]:
    table = re.search(r'<table class="govuk-table" id="premises-actions">(.*?)</table>', page, re.S)
    if table is None:
        return []
    body = table.group(1).split("<tbody", 1)[1]
    return [
        [cell_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def timeline_titles(page: str) -> list[str]:
    return [cell_text(title) for title in re.findall(r'<h3 class="moj-timeline__title">(.*?)</h3>', page, re.S)]


@pytest.fixture
def officer(session):
    return make_user(role=Role.LICENSING_OFFICER, name="Lee Officer", agency=make_agency(name="Licensing"))


@pytest.fixture
def pub(session):
    return make_premises(name="The Red Lion", status=TlsStatus.AMBER, status_since=utcnow() - timedelta(days=10))


def test_the_premises_page_lists_its_actions_with_their_rag(client_as, officer, pub):
    police = make_agency(name="Cambridgeshire Constabulary")
    constable = make_user(agency=police, name="Pat Constable")
    today = clock.today()
    make_action(
        premises=pub,
        agency=police,
        created_by=officer,
        title="Joint visit at closing time",
        due_on=today + timedelta(days=3),
        assignee=constable,
    )
    make_action(
        premises=pub,
        agency=officer.agency,
        created_by=officer,
        title="Review the licence conditions",
        due_on=today - timedelta(days=2),
        status=ActionStatus.IN_PROGRESS,
    )
    make_action(
        premises=pub,
        agency=officer.agency,
        created_by=officer,
        title="Check door staff register",
        due_on=today + timedelta(days=20),
    )
    make_action(
        premises=pub, agency=police, created_by=officer, title="Test purchase", due_on=today, status=ActionStatus.DONE
    )
    make_action(premises=make_premises(), agency=police, created_by=officer, title="Another pub's action", due_on=today)

    page = client_as(officer).get(f"/premises/{pub.id}").text

    def due(days: int) -> str:
        day = today + timedelta(days=days)
        return f"{day.day} {day:%B %Y}"

    assert action_rows(page) == [
        ["Review the licence conditions", "Licensing", "Not assigned", due(-2), "Overdue", "In progress"],
        ["Joint visit at closing time", "Cambridgeshire Constabulary", "Pat Constable", due(3), "Due soon", "Open"],
        ["Check door staff register", "Licensing", "Not assigned", due(20), "On track", "Open"],
        ["Test purchase", "Cambridgeshire Constabulary", "Not assigned", due(0), "", "Done"],
    ]
    assert "Another pub&#39;s action" not in page
    assert f'href="/actions/new?premises={pub.id}">Add an action</a>' in page


def test_a_premises_without_actions_says_so(client_as, officer, pub):
    page = client_as(officer).get(f"/premises/{pub.id}").text
    assert action_rows(page) == []
    assert "No actions have been set on this premises." in page


def test_only_users_who_may_create_actions_get_the_button(client_as, pub):
    admin = make_user(role=Role.ADMIN)  # sees every premises, creates no actions
    page = client_as(admin).get(f"/premises/{pub.id}").text
    assert ">Actions</h2>" in page
    assert "Add an action" not in page


def test_a_partner_who_sees_the_premises_through_a_case_sees_its_actions(client_as, officer, pub):
    council = make_agency(name="Fenland District Council")
    make_case(lead_agency=council, premises=pub)
    partner = make_user(role=Role.PARTNER, agency=council)
    make_action(
        premises=pub,
        agency=council,
        created_by=officer,
        title="Letter to the licence holder",
        due_on=clock.today() + timedelta(days=10),
    )
    page = client_as(partner).get(f"/premises/{pub.id}").text
    assert [row[0] for row in action_rows(page)] == ["Letter to the licence holder"]
    assert "Add an action" not in page


def test_the_timeline_shows_actions_created_and_updated_among_the_premises_events(client_as, officer, pub):
    police = make_agency(name="Cambridgeshire Constabulary")
    constable = make_user(agency=police, name="Pat Constable")
    action = actions.create_action(
        officer,
        Subject(premises_id=pub.id),
        title="Joint visit at closing time",
        detail="Bring the noise meter.",
        assigned_agency_id=police.id,
        assignee_id=constable.id,
        due_on=clock.today() + timedelta(days=5),
    )
    db.session.commit()
    actions.update_action(
        constable, action.id, version=action.version, status=ActionStatus.DONE, note="Visited on Friday; no breaches."
    )
    db.session.commit()

    page = client_as(officer).get(f"/premises/{pub.id}").text
    assert timeline_titles(page) == [
        "Action updated: Joint visit at closing time",
        "Action created: Joint visit at closing time (for Cambridgeshire Constabulary)",
    ]
    updated, created = page.split('class="moj-timeline__item"')[1:]
    assert "by Pat Constable, Cambridgeshire Constabulary" in updated
    assert "Status changed from open to done" in updated and "Visited on Friday; no breaches." in updated
    assert "by Lee Officer, Licensing" in created and "Bring the noise meter." in created


def test_the_premises_page_costs_the_same_for_2_actions_as_for_12(app, client_as, officer):
    police, licensing = make_agency(), officer.agency
    today = clock.today()

    def premises_with_actions(count: int) -> str:
        premises = make_premises()
        for number in range(count):
            agency, assignee = (police, make_user(agency=police)) if number % 2 else (licensing, None)
            action = make_action(
                premises=premises,
                agency=agency,
                created_by=make_user(agency=agency),
                title=f"Action {number}",
                due_on=today + timedelta(days=number - 5),
                assignee=assignee,
            )
            for step in range(2):
                db.session.add(
                    ActionUpdate(action_id=action.id, note=f"Progress {step}", author_id=make_user(agency=agency).id)
                )
        db.session.commit()
        return f"/premises/{premises.id}"

    client = client_as(officer)
    few_page, few = page_queries(app, client, premises_with_actions(2))
    many_page, many = page_queries(app, client, premises_with_actions(12))

    assert (len(action_rows(few_page)), len(action_rows(many_page))) == (2, 12)
    # 36 entries for 12 actions: the page shows the latest and counts the rest.
    assert (few_page.count("moj-timeline__item"), many_page.count("moj-timeline__item")) == (2 * 3, TIMELINE_SHOWN)
    assert f"And {12 * 3 - TIMELINE_SHOWN} older entries." in many_page
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many
