"""The delivery plan's read-only pages through HTTP: the plan, an action in full, the
exception report and the CSV export, and who may reach each page."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.actions.services import actions as action_service
from casework.audit.models import AuditEvent
from casework.clock import local_now
from casework.permissions import Role
from casework.plan import services as plan_service
from casework.plan.models import PlanActionKind, PlanActionStatus
from casework.rag import Rag
from tests.factories import make_agency, make_plan_action, make_priority, make_user

EDITORS = (Role.MANAGER, Role.PSG_CHAIR)
READERS_ONLY = (Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER, Role.ADMIN)
EXPORTERS = (Role.MANAGER, Role.PSG_CHAIR, Role.ADMIN)


@pytest.fixture
def the_plan(council, police):
    """Two priorities (made out of order) with actions whose references sort wrongly as text."""
    second = make_priority(number=2, title="Intervention and emerging issues", lead_officer="Pat Police")
    first = make_priority(
        number=1,
        title="Prevention, awareness and education",
        lead_officer="Sam Council",
        year_targets="Deliberate fires down 10%\nYouth engagement up 5%",
    )
    actions = {
        "1.3.10": make_plan_action(
            priority=first,
            ref="1.3.10",
            lead_agency=council,
            action="Arson reduction visits",
            rag=Rag.AMBER,
            rag_reason="Fire service capacity",
            improvement="Joint visits with housing",
            project="Arson reduction",
            kind=PlanActionKind.PREVENTION_AND_INTERVENTION,
        ),
        "1.3.9": make_plan_action(
            priority=first,
            ref="1.3.9",
            lead_agency=police,
            action="Schools talks",
            rag=Rag.GREEN,
            partners=(council,),
            milestones=((date(2026, 6, 30), "First talk", True),),
        ),
        "1.3.2": make_plan_action(priority=first, ref="1.3.2", lead_agency=council, action="Leaflet drop"),
        "2.3.1": make_plan_action(
            priority=second,
            ref="2.3.1",
            lead_agency=police,
            action="Street drinkers",
            rag=Rag.RED,
            rag_reason="No outreach worker",
            improvement="Recruit through the pooled fund",
            project="Street drinking",
        ),
        "2.3.2": make_plan_action(
            priority=second,
            ref="2.3.2",
            lead_agency=police,
            action="Finished red",
            rag=Rag.RED,
            rag_reason="Old",
            status=PlanActionStatus.COMPLETE,
        ),
    }
    return {"first": first, "second": second, "actions": actions}


def positions(text: str, *needles: str) -> list[int]:
    return [text.index(needle) for needle in needles]


# --- The plan ---------------------------------------------------------------------------


def test_the_plan_lists_priorities_by_number_and_actions_by_reference(client_as, the_plan):
    page = client_as(make_user(role=Role.PSG_MEMBER)).get("/plan")
    assert page.status_code == 200
    text = page.text
    first, second = positions(text, "Priority 1: Prevention, awareness and education", "Priority 2: Intervention")
    assert first < second
    refs = positions(text, ">1.3.2</a>", ">1.3.9</a>", ">1.3.10</a>", ">2.3.1</a>")
    assert refs == sorted(refs) and second < refs[3]
    assert "Sam Council" in text
    assert re.search(r'casework-preserve-lines">Deliberate fires down 10%\n\s*Youth engagement up 5%</span>', text)


@pytest.mark.calendar
def test_each_action_row_has_kind_lead_agency_rag_with_reason_and_status(client_as, the_plan):
    text = client_as(make_user(role=Role.PARTNER)).get("/plan").text
    row = re.search(r"<tr class=\"govuk-table__row\">\s*<td[^>]*><a[^>]*>1\.3\.10</a>.*?</tr>", text, re.S).group(0)
    assert "Prevention &amp; intervention" in row
    assert "Arson reduction visits" in row
    assert "Fenland District Council" in row
    assert "govuk-tag--orange" in row and "Amber" in row and "Fire service capacity" in row
    assert "Open" in row
    unrated = re.search(r"<tr class=\"govuk-table__row\">\s*<td[^>]*><a[^>]*>1\.3\.2</a>.*?</tr>", text, re.S).group(0)
    assert "Not rated yet" in unrated


def test_an_empty_plan_says_so(client_as, session):
    assert "The plan has no priorities yet" in client_as(make_user(role=Role.PSG_MEMBER)).get("/plan").text


@pytest.mark.parametrize("role", EDITORS)
def test_editors_are_offered_the_edit_links(client_as, the_plan, role):
    text = client_as(make_user(role=role)).get("/plan").text
    first = the_plan["first"]
    assert 'href="/plan/priorities/new"' in text
    assert f'href="/plan/actions/new?priority={first.id}"' in text
    assert f'href="/plan/priorities/{first.id}/edit"' in text


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_are_not_offered_the_edit_links(client_as, the_plan, role):
    text = client_as(make_user(role=role)).get("/plan").text
    assert "/plan/priorities/new" not in text and "/plan/actions/new" not in text and "/edit" not in text
    assert ('href="/plan/export"' in text) is (role in EXPORTERS)


# --- An action in full --------------------------------------------------------------------


def test_the_action_page_shows_the_action_in_full(client_as, the_plan, council, police):
    manager = make_user(role=Role.MANAGER, agency=council)
    action = the_plan["actions"]["1.3.9"]
    plan_service.record_progress(
        manager,
        action.id,
        version=1,
        quarter="2026-27 Q1",
        progress="Planned the talks",
        rag=Rag.GREEN,
        rag_reason="",
        improvement="",
    )
    plan_service.record_progress(
        manager,
        action.id,
        version=2,
        quarter="2026-27 Q2",
        progress="Half the schools visited",
        rag=Rag.AMBER,
        rag_reason="Two schools declined",
        improvement="Ask the head teachers' forum",
    )
    db.session.commit()
    text = client_as(make_user(role=Role.PARTNER, agency=police)).get(f"/plan/actions/{action.id}").text
    assert '<h1 class="govuk-heading-l">Action 1.3.9</h1>' in text
    assert "Priority 1: Prevention, awareness and education" in text
    for shown in (
        "Schools talks",
        "Cambridgeshire Constabulary",
        "Fenland District Council",
        "Two schools declined",
        "Half the schools visited",
        "Ask the head teachers&#39; forum",
        "30 June 2026",
        "First talk",
    ):
        assert shown in text, shown
    milestones = re.search(r'data-testid="milestones".*?</table>', text, re.S).group(0)
    assert "First talk" in milestones and "govuk-tag--green" in milestones and "Done" in milestones
    newer, older = positions(text, "2026-27 Q2 update", "2026-27 Q1 update")
    assert newer < older  # newest first
    assert f"by {manager.name}" in text


@pytest.mark.calendar
def test_the_action_page_lists_linked_actions_with_their_rag(client_as, the_plan, council, police):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    action = the_plan["actions"]["1.3.2"]
    today = local_now().date()
    for days, title in ((-2, "Print the leaflets"), (30, "Deliver the leaflets")):
        action_service.create_action(
            chair,
            action_service.Subject(plan_action_id=action.id),
            title=title,
            detail="",
            assigned_agency_id=police.id,
            assignee_id=None,
            due_on=today + timedelta(days=days),
        )
    db.session.commit()
    text = client_as(chair).get(f"/plan/actions/{action.id}").text
    table = re.search(r'data-testid="linked-actions".*?</table>', text, re.S).group(0)
    overdue, later = positions(table, "Print the leaflets", "Deliver the leaflets")
    assert overdue < later
    assert "govuk-tag--red" in table and "govuk-tag--green" in table
    assert f'href="/actions/new?plan-action={action.id}"' in text


@pytest.mark.parametrize("role", [Role.PARTNER, Role.ADMIN])
def test_no_link_to_add_an_action_without_the_permission(client_as, the_plan, role):
    action = the_plan["actions"]["1.3.2"]
    text = client_as(make_user(role=role)).get(f"/plan/actions/{action.id}").text
    assert "/actions/new" not in text and "No agency owes an action for this item yet" in text


def test_an_unknown_action_is_404(client_as, session):
    assert client_as(make_user(role=Role.MANAGER)).get("/plan/actions/999999").status_code == 404


# --- The exception report ------------------------------------------------------------------


@pytest.mark.calendar
def test_the_exception_report_lists_open_amber_and_red_actions_with_the_action_to_improve(client_as, the_plan):
    text = client_as(make_user(role=Role.PSG_MEMBER)).get("/plan/exceptions").text
    table = re.search(r'data-testid="exceptions".*?</table>', text, re.S).group(0)
    assert "Action to address moderate and unacceptable areas of performance" in table
    assert re.findall(r">(\d+(?:\.\d+)*)</a>", table) == ["1.3.10", "2.3.1"]
    for shown in (
        "Arson reduction",
        "Fire service capacity",
        "Joint visits with housing",
        "Street drinking",
        "No outreach worker",
        "Recruit through the pooled fund",
    ):
        assert shown in table, shown
    assert "Finished red" not in table and "Schools talks" not in table


@pytest.mark.calendar
def test_an_exception_report_with_nothing_amber_or_red(client_as, session):
    text = client_as(make_user(role=Role.PARTNER)).get("/plan/exceptions").text
    assert 'data-testid="no-exceptions"' in text


# --- Who may reach which page --------------------------------------------------------------


def plan_urls(the_plan) -> dict[str, str]:
    first, action = the_plan["first"], the_plan["actions"]["1.3.2"]
    return {
        "plan.index": "/plan",
        "plan.detail": f"/plan/actions/{action.id}",
        "plan.exceptions": "/plan/exceptions",
        "plan.export": "/plan/export",
        "plan.new_priority": "/plan/priorities/new",
        "plan.edit_priority": f"/plan/priorities/{first.id}/edit",
        "plan.new_action": f"/plan/actions/new?priority={first.id}",
        "plan.edit_action": f"/plan/actions/{action.id}/edit",
        "plan.record_progress": f"/plan/actions/{action.id}/progress",
    }


def test_every_plan_route_is_covered(app, the_plan):
    assert {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("plan.")} == set(
        plan_urls(the_plan)
    )


def test_analysts_get_403_on_every_plan_page(client_as, the_plan):
    client = client_as(make_user(role=Role.ANALYST))
    for url in plan_urls(the_plan).values():
        assert client.get(url).status_code == 403, url
        assert client.post(url, data={}).status_code in (403, 405), url
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb.like("plan.%"))) is None


@pytest.mark.parametrize("role", READERS_ONLY + EDITORS)
def test_readers_see_the_plan_and_only_editors_reach_the_forms(client_as, the_plan, role):
    client = client_as(make_user(role=role))
    for endpoint, url in plan_urls(the_plan).items():
        status = client.get(url).status_code
        if endpoint in ("plan.index", "plan.detail", "plan.exceptions"):
            assert status == 200, url
        elif endpoint == "plan.export":
            assert status == (200 if role in EXPORTERS else 403), url
        else:
            assert status == (200 if role in EDITORS else 403), url


@pytest.mark.parametrize("role", READERS_ONLY)
def test_readers_posting_to_the_forms_get_403_and_change_nothing(client_as, the_plan, council, role):
    client = client_as(make_user(role=role))
    action, first = the_plan["actions"]["1.3.2"], the_plan["first"]
    posts = {
        "/plan/priorities/new": {"number": "7", "title": "Seven"},
        f"/plan/priorities/{first.id}/edit": {"number": "1", "title": "Renamed"},
        "/plan/actions/new": {
            "priority_id": str(first.id),
            "ref": "1.9",
            "kind": "training",
            "action": "New",
            "lead_agency_id": str(council.id),
            "status": "open",
        },
        f"/plan/actions/{action.id}/edit": {
            "priority_id": str(first.id),
            "ref": "1.3.2",
            "kind": "training",
            "action": "Changed",
            "lead_agency_id": str(council.id),
            "status": "open",
            "version": "1",
        },
        f"/plan/actions/{action.id}/progress": {
            "quarter": plan_service.quarter_choices(local_now())[0][0],
            "progress": "Done",
            "rag": "green",
            "version": "1",
        },
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb.like("plan.%"))) is None
    assert first.title == "Prevention, awareness and education"
    assert db.session.get(type(action), action.id).action == "Leaflet drop"


# --- The export ---------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.calendar
@pytest.mark.parametrize("role", EXPORTERS)
def test_the_export_is_every_action_as_csv_audited(client_as, the_plan, role):
    user = make_user(role=role)
    response = client_as(user).get("/plan/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    today = local_now().date()
    assert response.headers["Content-Disposition"] == f'attachment; filename="delivery-plan-{today}.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert tuple(rows[0]) == plan_service.EXPORT_HEADER
    assert [row[1] for row in rows[1:]] == ["1.3.2", "1.3.9", "1.3.10", "2.3.1", "2.3.2"]
    schools = rows[2]
    assert schools == [
        "1. Prevention, awareness and education",
        "1.3.9",
        "Prevention",
        "Schools talks",
        "",
        "",
        "",
        "30/06/2026 First talk (done)",
        "Cambridgeshire Constabulary",
        "Fenland District Council",
        "",
        "Green",
        "",
        "",
        "Open",
    ]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.exported")).one()
    assert (event.actor_id, event.detail) == (user.id, {"rows": 5})


def test_cells_that_would_run_as_spreadsheet_formulas_are_made_inert(client_as, session):
    agency = make_agency(name="@SUM(A1:A9)")
    priority = make_priority(number=1, title='=HYPERLINK("http://evil.example","Click")')
    make_plan_action(
        priority=priority,
        ref="1.1",
        lead_agency=agency,
        action="+1+1",
        project="-2+3",
        rag=Rag.RED,
        rag_reason="=cmd|' /C calc'!A0",
        improvement="\t=1",
    )
    rows = read_csv(client_as(make_user(role=Role.MANAGER)).get("/plan/export"))
    row = rows[1]
    assert row[0] == '1. =HYPERLINK("http://evil.example","Click")'  # starts with the number: inert already
    assert (row[3], row[5], row[8], row[12], row[13]) == (
        "'+1+1",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'=cmd|' /C calc'!A0",
        "'\t=1",
    )


@pytest.mark.calendar
@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.LICENSING_OFFICER])
def test_readers_may_not_export(client_as, the_plan, role):
    assert client_as(make_user(role=role)).get("/plan/export").status_code == 403
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.verb == "plan.exported")) is None
