"""How far back and how far ahead an action's due date may be: never more than
BACKDATING_DAYS before its case or premises record was opened (refused), and more than
FUTURE_HORIZON_MONTHS ahead only once the user has confirmed it (docs/actions.md)."""

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action
from casework.actions.services import actions
from casework.actions.services.actions import Subject
from casework.clock import add_months, local_date, make_quarter, quarter_of, start_of_day, today, utcnow
from casework.dates import long_date
from casework.exceptions import InvalidInput
from casework.permissions import Role
from tests.factories import make_plan_item, make_premises, make_psg_meeting, make_user

pytestmark = pytest.mark.calendar


def date_fields(name: str, day: date) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def form_for(agency, due: date, **overrides) -> dict[str, object]:
    return {
        "title": "Visit the victim",
        "detail": "",
        "assigned_agency_id": str(agency.id),
        "assignee_id": "",
        **date_fields("due_on", due),
        **overrides,
    }


def actions_written() -> int:
    return db.session.scalar(select(func.count()).select_from(Action))


def floor_message(opened_at, record: str = "case") -> str:
    earliest = local_date(opened_at) - timedelta(days=31)
    return f"The date must be on or after {long_date(earliest)}, 31 days before the {record} was opened"


def test_a_due_date_before_the_case_window_is_refused_even_once_confirmed(client_as, member, police, case):
    too_early = local_date(case.opened_at) - timedelta(days=32)
    data = form_for(police, too_early, past_due_confirmed=too_early.isoformat())
    response = client_as(member).post(f"/actions/new?case={case.reference}", data=data)
    assert response.status_code == 400
    assert floor_message(case.opened_at) in html.unescape(response.text)
    assert actions_written() == 0


def test_the_first_day_of_the_window_is_allowed_after_the_past_warning(member, police, case):
    first_day = local_date(case.opened_at) - timedelta(days=31)
    subject = Subject(case_id=case.id)
    action = actions.create_action(
        member, subject, title="Visit", detail="", assigned_agency_id=police.id, assignee_id=None, due_on=first_day
    )
    assert action.due_on == first_day


def test_a_premises_action_is_bounded_by_the_premises_record(council):
    premises = make_premises()
    officer = make_user(role=Role.LICENSING_OFFICER, agency=council)
    with pytest.raises(InvalidInput) as refused:
        actions.create_action(
            officer,
            Subject(premises_id=premises.id),
            title="Visit",
            detail="",
            assigned_agency_id=council.id,
            assignee_id=None,
            due_on=today() - timedelta(days=400),
        )
    assert (refused.value.message, refused.value.field) == (
        floor_message(premises.created_at, "premises record"),
        "due_on",
    )


# --- Far ahead ------------------------------------------------------------------------------


def test_a_due_date_in_2099_is_saved_only_after_a_warning(client_as, member, police, case):
    client = client_as(member)
    url = f"/actions/new?case={case.reference}"
    far = date(2099, 12, 31)

    warned = client.post(url, data=form_for(police, far))
    assert warned.status_code == 200
    page = html.unescape(warned.text)
    assert "The due date, 31 December 2099, is more than a year ahead. Save again to create the action anyway." in page
    assert 'id="far-ahead-warning"' in page
    assert "Create action anyway" in page
    assert f'name="past_due_confirmed" type="hidden" value="{far.isoformat()}"' in page
    assert actions_written() == 0

    saved = client.post(url, data=form_for(police, far, past_due_confirmed=far.isoformat()))
    assert saved.status_code == 302
    assert db.session.scalars(select(Action)).one().due_on == far


def test_the_horizon_is_a_year_and_follows_the_setting(client_as, member, police, case, app, monkeypatch):
    client = client_as(member)
    url = f"/actions/new?case={case.reference}"
    last_day = local_date(add_months(start_of_day(today()), 12))
    assert client.post(url, data=form_for(police, last_day)).status_code == 302
    warned = client.post(url, data=form_for(police, last_day + timedelta(days=1)))
    assert warned.status_code == 200 and 'id="far-ahead-warning"' in warned.text

    monkeypatch.setitem(app.config, "FUTURE_HORIZON_MONTHS", 3)
    warned = client.post(url, data=form_for(police, local_date(add_months(start_of_day(today()), 4))))
    assert "is more than 3 months ahead" in warned.text
    assert actions_written() == 1


def test_a_changed_date_after_the_far_ahead_warning_warns_again(client_as, member, police, case):
    response = client_as(member).post(
        f"/actions/new?case={case.reference}",
        data=form_for(police, date(2099, 12, 30), past_due_confirmed=date(2099, 12, 31).isoformat()),
    )
    assert 'id="far-ahead-warning"' in response.text
    assert actions_written() == 0


# --- Meetings and the delivery plan ------------------------------------------------------------


def test_an_action_on_a_meeting_is_bounded_by_the_meeting(client_as, council, police):
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=3))
    first_day = local_date(meeting.held_at) - timedelta(days=31)
    url = f"/actions/new?meeting={meeting.id}"
    refused = client_as(chair).post(url, data=form_for(police, first_day - timedelta(days=1)))
    assert refused.status_code == 400
    message = f"The date must be on or after {long_date(first_day)}, 31 days before the meeting"
    assert message in html.unescape(refused.text)
    confirmed = form_for(police, first_day, past_due_confirmed=first_day.isoformat())
    assert client_as(chair).post(url, data=confirmed).status_code == 302
    assert actions_written() == 1


def test_an_action_on_a_plan_item_is_bounded_by_the_financial_year(council, police):
    manager = make_user(role=Role.MANAGER, agency=council)
    item = make_plan_item(lead_agency=council)
    year_began = local_date(make_quarter(quarter_of(utcnow()).year, 1).start)
    first_day = year_began - timedelta(days=31)
    subject = Subject(plan_action_id=item.id)
    arguments = {"title": "Visit", "detail": "", "assigned_agency_id": police.id, "assignee_id": None}
    with pytest.raises(InvalidInput) as refused:
        actions.create_action(manager, subject, due_on=first_day - timedelta(days=1), **arguments)
    assert (refused.value.message, refused.value.field) == (
        f"The date must be on or after {long_date(first_day)}, 31 days before the current financial year began",
        "due_on",
    )
    assert actions.create_action(manager, subject, due_on=first_day, **arguments).due_on == first_day
