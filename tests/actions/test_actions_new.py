"""Creating an action from a subject's page (/actions/new?case=... and the other kinds):
who may, what the form offers, the warning for a due date in the past, and bad input."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action, ActionStatus
from casework.audit.models import AuditEvent
from casework.clock import today
from casework.permissions import Role
from tests.factories import (
    make_agency,
    make_plan_item,
    make_premises,
    make_psg_meeting,
    make_user,
)


def date_fields(name: str, day: date) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def written() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Action)),
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "action.created")),
    )


def error_summary(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    if summary is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", summary.group(0), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def options(page: str, select_id: str) -> list[str]:
    body = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert body is not None, select_id
    return [html.unescape(text.strip()) for text in re.findall(r"<option[^>]*>([^<]*)</option>", body.group(1))]


def form_for(agency, *, due: date | None = None, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Visit the victim",
        "detail": "Take the leaflet",
        "assigned_agency_id": str(agency.id),
        "assignee_id": "",
        **date_fields("due_on", due or today() + timedelta(days=10)),
    }
    data.update(overrides)
    return data


# --- Who may open the form ----------------------------------------------------------------


def test_the_form_offers_the_cases_involved_agencies_and_their_officers(client_as, member, police, case):
    make_user(agency=police, name="PC Jones")
    make_user(agency=make_agency(name="Clarion Housing"), name="Housing Officer")
    page = client_as(member).get(f"/actions/new?case={case.reference}").text
    assert '<h1 class="govuk-heading-l">New action</h1>' in page
    assert f'<a class="govuk-link" href="/cases/{case.reference}">{case.reference}</a>' in page
    assert options(page, "assigned_agency_id") == [
        "Select an agency",
        "Cambridgeshire Constabulary",
        "Fenland District Council",
    ]
    assert options(page, "assignee_id") == [
        "Nobody in particular",
        "PC Jones (Cambridgeshire Constabulary)",
        "Sam Officer (Fenland District Council)",
    ]
    # My own agency is chosen to start with.
    assert re.search(rf'<option selected value="{member.agency_id}">|<option value="{member.agency_id}" selected', page)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member of an involved agency", 200),
        ("chair elsewhere (sees the stub)", 404),
        ("member elsewhere (sees the stub)", 404),
        ("partner of an involved agency", 403),
        ("analyst", 403),  # no actions at all: the form itself is refused
        ("manager", 200),
    ],
)
def test_only_those_who_see_the_case_in_full_and_create_actions_may_open_the_form(client_as, police, case, who, status):
    user = {
        "member of an involved agency": lambda: make_user(agency=police),
        "chair elsewhere (sees the stub)": lambda: make_user(role=Role.PSG_CHAIR, agency=make_agency()),
        "member elsewhere (sees the stub)": lambda: make_user(agency=make_agency()),
        "partner of an involved agency": lambda: make_user(role=Role.PARTNER, agency=police),
        "analyst": lambda: make_user(role=Role.ANALYST, agency=police),
        "manager": lambda: make_user(role=Role.MANAGER, agency=make_agency()),
    }[who]()
    client = client_as(user)
    assert client.get(f"/actions/new?case={case.reference}").status_code == status
    before = written()
    assert client.post(f"/actions/new?case={case.reference}", data=form_for(police)).status_code in (
        (302,) if status == 200 else (status,)
    )
    assert written() == ((before[0] + 1, before[1] + 1) if status == 200 else before)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?case=ASB-1999-00001",
        "?premises=abc",
        "?premises=²",
        "?premises=999999",
        "?meeting=-1",
        "?plan-action=999999",
        "?case=",
    ],
)
def test_a_missing_or_unknown_subject_is_not_found(client_as, member, query):
    assert client_as(member).get(f"/actions/new{query}").status_code == 404


def test_two_subjects_at_once_are_not_found(client_as, member, case):
    premises = make_premises()
    assert client_as(member).get(f"/actions/new?case={case.reference}&premises={premises.id}").status_code == 404


def test_a_premises_action_needs_the_premises_register_or_a_case_about_it(client_as, council, police, member):
    premises = make_premises(name="The Crown")
    assert client_as(member).get(f"/actions/new?premises={premises.id}").status_code == 404
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    page = client_as(chair).get(f"/actions/new?premises={premises.id}").text
    assert "The Crown" in page
    make_agency(name="Old Agency", active=False)
    assert options(client_as(chair).get(f"/actions/new?premises={premises.id}").text, "assigned_agency_id") == [
        "Select an agency",
        "Cambridgeshire Constabulary",
        "Fenland District Council",
    ]  # every active agency


def test_meeting_and_plan_actions_need_to_see_meetings_and_the_plan(client_as, council, member):
    meeting, item = (
        make_psg_meeting(chair=member),
        make_plan_item(
            lead_agency=council, ref="3.2.1", priority_title="Reduce alcohol-related harm", action="Test purchases"
        ),
    )
    assert client_as(member).get(f"/actions/new?meeting={meeting.id}").status_code == 200
    assert "Plan action 3.2.1" in client_as(member).get(f"/actions/new?plan-action={item.id}").text
    licensing = make_user(role=Role.LICENSING_OFFICER, agency=council)  # no meetings
    assert client_as(licensing).get(f"/actions/new?meeting={meeting.id}").status_code == 404
    assert (
        client_as(make_user(role=Role.ANALYST, agency=council)).get(f"/actions/new?plan-action={item.id}").status_code
        == 403
    )


# --- Saving ------------------------------------------------------------------------------------


def test_saving_a_case_action_goes_back_to_the_case(client_as, member, police, case):
    officer = make_user(agency=police, name="PC Jones")
    due = today() + timedelta(days=10)
    client = client_as(member)
    response = client.post(
        f"/actions/new?case={case.reference}", data=form_for(police, due=due, assignee_id=str(officer.id))
    )
    assert response.status_code == 302
    assert response.location == f"/cases/{case.reference}"
    action = db.session.scalars(select(Action)).one()
    assert (
        action.case_id,
        action.title,
        action.detail,
        action.assigned_agency_id,
        action.assignee_id,
        action.due_on,
    ) == (
        case.id,
        "Visit the victim",
        "Take the leaflet",
        police.id,
        officer.id,
        due,
    )
    assert action.status is ActionStatus.OPEN
    assert "Action created: Visit the victim" in client.get(f"/actions/{action.id}").text


def test_saving_a_premises_action_goes_back_to_the_premises(client_as, council, police):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    premises = make_premises()
    response = client_as(chair).post(f"/actions/new?premises={premises.id}", data=form_for(police))
    assert response.location == f"/premises/{premises.id}"
    assert db.session.scalars(select(Action)).one().premises_id == premises.id


def test_saving_a_meeting_or_plan_action_goes_back_to_its_page(client_as, council, member, police):
    meeting, item = (
        make_psg_meeting(chair=member),
        make_plan_item(
            lead_agency=council, ref="3.2.1", priority_title="Reduce alcohol-related harm", action="Test purchases"
        ),
    )
    client = client_as(member)
    to_meeting = client.post(f"/actions/new?meeting={meeting.id}", data=form_for(police)).location
    to_plan = client.post(f"/actions/new?plan-action={item.id}", data=form_for(police)).location
    on_meeting, on_plan = db.session.scalars(select(Action).order_by(Action.id)).all()
    assert (on_meeting.meeting_id, on_plan.plan_action_id) == (meeting.id, item.id)
    assert (to_meeting, to_plan) == (f"/meetings/{meeting.id}", f"/plan/actions/{item.id}")


# --- A due date in the past ------------------------------------------------------------------


@pytest.mark.calendar
def test_a_past_due_date_is_saved_only_after_a_warning(client_as, member, police, case):
    client = client_as(member)
    last_week = today() - timedelta(days=7)
    url = f"/actions/new?case={case.reference}"

    warned = client.post(url, data=form_for(police, due=last_week))
    assert warned.status_code == 200
    page = html.unescape(warned.text)
    assert "The due date is in the past. Save again to create the action anyway." in page
    assert "govuk-warning-text" in page
    assert error_summary(page) == []
    assert f'name="past_due_confirmed" type="hidden" value="{last_week.isoformat()}"' in page
    assert 'value="Visit the victim"' in page  # what they typed is kept
    assert written() == (0, 0)

    saved = client.post(url, data={**form_for(police, due=last_week), "past_due_confirmed": last_week.isoformat()})
    assert saved.status_code == 302
    assert db.session.scalars(select(Action)).one().due_on == last_week


@pytest.mark.calendar
def test_changing_the_date_after_the_warning_warns_again(client_as, member, police, case):
    client = client_as(member)
    last_week, yesterday = today() - timedelta(days=7), today() - timedelta(days=1)
    response = client.post(
        f"/actions/new?case={case.reference}",
        data={**form_for(police, due=yesterday), "past_due_confirmed": last_week.isoformat()},
    )
    assert "The due date is in the past" in response.text
    assert written() == (0, 0)


@pytest.mark.calendar
def test_due_today_needs_no_warning(client_as, member, police, case):
    response = client_as(member).post(f"/actions/new?case={case.reference}", data=form_for(police, due=today()))
    assert response.status_code == 302


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "  "}, "Enter what needs to be done"),
        ({"title": "x" * 201}, "What needs to be done must be 200 characters or fewer"),
        ({"assigned_agency_id": ""}, "Select the agency the action is assigned to"),
        ({"assigned_agency_id": "abc"}, "Select the agency the action is assigned to"),
        ({"assigned_agency_id": "999999"}, "Select the agency the action is assigned to"),
        ({"due_on": ["", "", ""]}, "Enter the due date"),
        ({"due_on": ["31", "2", "2027"]}, "Due date must be a real date"),
        ({"due_on": ["1", "", "2027"]}, "Due date must include a day, month and year"),
        ({"assignee_id": "abc"}, "Choose an officer from the list, or nobody"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_written(client_as, member, police, case, overrides, message):
    response = client_as(member).post(f"/actions/new?case={case.reference}", data=form_for(police, **overrides))
    assert response.status_code == 400
    assert error_summary(response.text) == [message]
    assert written() == (0, 0)
    assert "Take the leaflet" in response.text  # what they typed is kept


def test_an_agency_not_involved_in_the_case_is_refused(client_as, member, case):
    housing = make_agency(name="Clarion Housing")
    response = client_as(member).post(f"/actions/new?case={case.reference}", data=form_for(housing))
    assert error_summary(response.text) == [
        "Clarion Housing is not involved in this case: add the agency to the case first"
    ]
    assert written() == (0, 0)


def test_an_agency_not_involved_is_shown_with_a_missing_due_date(client_as, member, case):
    """The service's rule about the agency comes back with the form's own check."""
    housing = make_agency(name="Clarion Housing")
    data = {**form_for(housing), "due_on": ["", "", ""]}
    response = client_as(member).post(f"/actions/new?case={case.reference}", data=data)
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Clarion Housing is not involved in this case: add the agency to the case first",
        "Enter the due date",
    ]
    assert written() == (0, 0)


def test_an_inactive_agency_is_refused(client_as, member, council, police):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    gone = make_agency(name="Old Agency", active=False)
    response = client_as(chair).post(f"/actions/new?premises={make_premises().id}", data=form_for(gone))
    assert error_summary(response.text) == ["Old Agency is no longer an active agency: select another agency"]
    assert written() == (0, 0)


def test_an_officer_of_another_agency_is_refused(client_as, member, police, case):
    response = client_as(member).post(
        f"/actions/new?case={case.reference}", data=form_for(police, assignee_id=str(member.id))
    )
    assert error_summary(response.text) == [
        "Sam Officer works for Fenland District Council, not Cambridgeshire Constabulary: "
        "choose an officer from Cambridgeshire Constabulary, or nobody"
    ]
    assert 'href="#assignee_id"' in response.text
    assert written() == (0, 0)


@pytest.mark.calendar
def test_errors_come_before_the_past_due_warning(client_as, member, case):
    housing = make_agency(name="Clarion Housing")
    response = client_as(member).post(
        f"/actions/new?case={case.reference}", data=form_for(housing, due=today() - timedelta(days=2))
    )
    assert "The due date is in the past" not in response.text
    assert len(error_summary(response.text)) == 1
