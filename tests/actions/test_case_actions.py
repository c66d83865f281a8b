"""A case's actions on its page: who sees them, their RAG, the button to add one, and
their creation and updates on the case's timeline."""

import html
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from casework import clock, db
from casework.actions.models import ActionStatus, ActionUpdate
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.permissions import Role
from tests.factories import make_action, make_agency, make_case, make_note, make_user
from tests.support.queries import DETAIL_BUDGET, assert_same_queries, page_queries


def cell_text(cell: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())


def action_rows(page: str) -> list[list[str]]:
    """The cells of the case page's actions table, row by row (no table: no rows)."""
    table = re.search(r'<table class="govuk-table" id="case-actions">(.*?)</table>', page, re.S)
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
def shared(session):
    """A council-led case the police are involved in; the housing association is not."""
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Constable")
    case = make_case(lead_agency=council, opened_by=member, involved=[police], title="Threats at Orchard Road")
    return SimpleNamespace(
        council=council,
        police=police,
        housing=housing,
        member=member,
        officer=officer,
        case=case,
        url=f"/cases/{case.reference}",
    )


# --- The list of actions -------------------------------------------------------------


@pytest.mark.calendar
def test_actions_are_listed_live_first_by_due_date_with_their_rag(client_as, shared):
    today = clock.today()
    made = {
        title: make_action(case=shared.case, created_by=shared.member, title=title, **fields)
        for title, fields in {
            "Fit a door alarm": dict(agency=shared.council, due_on=today + timedelta(days=30)),
            "Visit the victim": dict(
                agency=shared.police,
                due_on=today - timedelta(days=3),
                assignee=shared.officer,
                status=ActionStatus.IN_PROGRESS,
            ),
            "Send a warning letter": dict(agency=shared.council, due_on=today + timedelta(days=7)),
            "Check the CCTV": dict(agency=shared.police, due_on=today),
            "Old referral to mediation": dict(
                agency=shared.council, due_on=today - timedelta(days=40), status=ActionStatus.DONE
            ),
            "Dropped idea": dict(
                agency=shared.council, due_on=today - timedelta(days=5), status=ActionStatus.CANCELLED
            ),
        }.items()
    }
    other_case = make_case(lead_agency=shared.council, opened_by=shared.member)
    make_action(
        case=other_case, agency=shared.council, created_by=shared.member, title="Another case's action", due_on=today
    )

    page = client_as(shared.member).get(shared.url).text

    def due(days: int) -> str:
        day = today + timedelta(days=days)
        return f"{day.day} {day:%B %Y}"

    assert action_rows(page) == [
        ["Visit the victim", "Cambridgeshire Constabulary", "Pat Constable", due(-3), "Overdue", "In progress"],
        ["Check the CCTV", "Cambridgeshire Constabulary", "Not assigned", due(0), "Due soon", "Open"],
        ["Send a warning letter", "Fenland District Council", "Not assigned", due(7), "Due soon", "Open"],
        ["Fit a door alarm", "Fenland District Council", "Not assigned", due(30), "On track", "Open"],
        ["Old referral to mediation", "Fenland District Council", "Not assigned", due(-40), "", "Done"],
        ["Dropped idea", "Fenland District Council", "Not assigned", due(-5), "", "Cancelled"],
    ]
    assert f'href="/actions/{made["Visit the victim"].id}"' in page
    assert "govuk-tag--red" in page and "govuk-tag--orange" in page and "govuk-tag--green" in page
    assert "Another case&#39;s action" not in page


def test_a_case_without_actions_says_so(client_as, shared):
    page = client_as(shared.member).get(shared.url).text
    assert action_rows(page) == []
    assert "No actions have been set on this case." in page


def test_members_who_may_create_actions_get_the_button(client_as, shared):
    page = client_as(shared.member).get(shared.url).text
    assert f'href="/actions/new?case={shared.case.reference}">Add an action</a>' in page


def test_a_partner_of_the_assigned_agency_sees_the_actions_but_cannot_add_one(client_as, shared):
    make_action(
        case=shared.case,
        agency=shared.police,
        created_by=shared.member,
        title="Visit the victim",
        due_on=clock.today() + timedelta(days=2),
    )
    partner = make_user(role=Role.PARTNER, agency=shared.police)
    page = client_as(partner).get(shared.url).text
    assert [row[0] for row in action_rows(page)] == ["Visit the victim"]
    assert "Add an action" not in page


@pytest.mark.parametrize("restricted", [False, True])
def test_a_stub_shows_nothing_of_the_actions(client_as, shared, restricted):
    shared.case.restricted = restricted
    db.session.commit()
    make_action(
        case=shared.case,
        agency=shared.council,
        created_by=shared.member,
        title="Visit the victim",
        due_on=clock.today(),
    )
    outsider = make_user(agency=shared.housing)
    response = client_as(outsider).get(shared.url)
    assert response.status_code == 200
    assert "Limited view" in response.text or "Restricted" in response.text
    for hidden in ("Visit the victim", ">Actions</h2>", "Add an action", "/actions/"):
        assert hidden not in response.text


# --- The timeline --------------------------------------------------------------------


@pytest.mark.calendar
def test_the_timeline_shows_an_action_being_created_and_every_update(client_as, shared):
    make_note(case=shared.case, author=shared.member, body="First visit to the victim.")
    action = actions.create_action(
        shared.member,
        Subject(case_id=shared.case.id),
        title="Visit the victim",
        detail="Check the locks.",
        assigned_agency_id=shared.police.id,
        assignee_id=shared.officer.id,
        due_on=clock.today() + timedelta(days=3),
    )
    db.session.commit()
    actions.update_action(
        shared.officer, action.id, version=action.version, status=ActionStatus.IN_PROGRESS, note="Booked for Tuesday."
    )
    db.session.commit()
    actions.update_action(
        shared.officer,
        action.id,
        version=action.version,
        status=ActionStatus.IN_PROGRESS,
        note="Victim asked to move it to Thursday.",
    )
    db.session.commit()

    page = client_as(shared.member).get(shared.url).text
    assert timeline_titles(page) == [
        "Progress note on action: Visit the victim",
        "Action updated: Visit the victim",
        "Action created: Visit the victim (for Cambridgeshire Constabulary)",
        "Note",
    ]
    entries = page.split('class="moj-timeline__item"')[1:]
    assert "by Pat Constable, Cambridgeshire Constabulary" in entries[0]
    assert "Victim asked to move it to Thursday." in entries[0]
    assert "Status changed from open to in progress" in entries[1]
    assert "Booked for Tuesday." in entries[1]
    assert "by Pat Constable, Cambridgeshire Constabulary" in entries[1]
    assert "by Priya Member, Fenland District Council" in entries[2]
    assert "Check the locks." in entries[2]
    assert "First visit to the victim." in entries[3]
    for entry in entries:
        assert '<p class="moj-timeline__date"><time datetime="' in entry


@pytest.mark.calendar
def test_a_partner_marking_an_action_done_shows_on_the_timeline(client_as, shared):
    partner = make_user(role=Role.PARTNER, agency=shared.police, name="Sam Partner")
    action = actions.create_action(
        shared.member,
        Subject(case_id=shared.case.id),
        title="Visit the victim",
        detail="",
        assigned_agency_id=shared.police.id,
        assignee_id=None,
        due_on=clock.today() - timedelta(days=1),
    )
    db.session.commit()
    actions.update_action(
        partner, action.id, version=action.version, status=ActionStatus.DONE, note="Visited, locks changed."
    )
    db.session.commit()

    page = client_as(shared.member).get(shared.url).text
    assert action_rows(page)[0][-2:] == ["", "Done"]
    first = page.split('class="moj-timeline__item"')[1]
    assert "Action updated: Visit the victim" in first
    assert "Status changed from open to done" in first
    assert "by Sam Partner, Cambridgeshire Constabulary" in first


# --- Query count ---------------------------------------------------------------------


def test_the_case_page_costs_the_same_for_2_actions_as_for_12(app, client_as, shared):
    today = clock.today()

    def case_with_actions(count: int) -> str:
        case = make_case(lead_agency=shared.council, opened_by=shared.member, involved=[shared.police])
        make_note(case=case, author=shared.member)
        for number in range(count):
            agency, assignee = (
                (shared.police, make_user(agency=shared.police)) if number % 2 else (shared.council, None)
            )
            action = make_action(
                case=case,
                agency=agency,
                created_by=make_user(agency=shared.council),
                title=f"Action {number}",
                due_on=today + timedelta(days=number - 5),
                assignee=assignee,
            )
            for step in range(2):
                db.session.add(
                    ActionUpdate(action_id=action.id, note=f"Progress {step}", author_id=make_user(agency=agency).id)
                )
        db.session.commit()
        return f"/cases/{case.reference}"

    client = client_as(shared.member)
    few_page, few = page_queries(app, client, case_with_actions(2))
    many_page, many = page_queries(app, client, case_with_actions(12))

    assert (len(action_rows(few_page)), len(action_rows(many_page))) == (2, 12)
    assert (few_page.count("moj-timeline__item"), many_page.count("moj-timeline__item")) == (1 + 2 * 3, 1 + 12 * 3)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many
