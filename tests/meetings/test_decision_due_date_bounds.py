"""The action a meeting's decision creates is bounded like any other action: its due
date is refused more than BACKDATING_DAYS before its case was opened (or before the
meeting, for a referral or a topic item), as the settings say, and a date further ahead
than FUTURE_HORIZON_MONTHS is saved only once the chair has confirmed it (docs/actions.md)."""

import html
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action
from casework.clock import local_date, utcnow
from casework.dates import long_date
from casework.meetings.models import Meeting, MeetingDecision
from casework.permissions import Role
from tests.factories import make_agency, make_agenda_item, make_case, make_psg_meeting, make_user

pytestmark = pytest.mark.calendar


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    case = make_case(lead_agency=council, opened_by=chair, title="Stones at windows")
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() - timedelta(hours=1))
    case_item = make_agenda_item(meeting=meeting, position=1, case=case)
    topic_item = make_agenda_item(meeting=meeting, position=2, topic="Street drinking in Wisbech")
    return SimpleNamespace(
        council=council, case=case, meeting=meeting, case_item=case_item, topic_item=topic_item, client=client_as(chair)
    )


def written() -> tuple[int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (MeetingDecision, Action))


def decide(world, item, due: date, **extra):
    version = db.session.scalar(select(Meeting.version).where(Meeting.id == world.meeting.id))
    data = {
        "version": str(version),
        "text": "Council to clear the alley.",
        "assigned_agency_id": str(world.council.id),
        "due_on": [str(due.day), str(due.month), str(due.year)],
        **extra,
    }
    return world.client.post(f"/meetings/{world.meeting.id}/items/{item.id}/decisions/new", data=data)


def test_a_due_date_before_the_case_window_is_refused(world):
    too_early = local_date(world.case.opened_at) - timedelta(days=32)
    response = decide(world, world.case_item, too_early)
    assert response.status_code == 400
    earliest = long_date(local_date(world.case.opened_at) - timedelta(days=31))
    assert f"The date must be on or after {earliest}, 31 days before the case was opened" in html.unescape(
        response.text
    )
    assert written() == (0, 0)


def test_the_window_follows_the_setting(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "BACKDATING_DAYS", 5)
    response = decide(world, world.case_item, local_date(world.case.opened_at) - timedelta(days=6))
    assert response.status_code == 400
    assert "5 days before the case was opened" in response.text
    assert written() == (0, 0)


def test_a_topic_item_s_action_is_bounded_by_the_meeting(world):
    too_early = local_date(world.meeting.held_at) - timedelta(days=32)
    response = decide(world, world.topic_item, too_early)
    assert response.status_code == 400
    earliest = long_date(local_date(world.meeting.held_at) - timedelta(days=31))
    assert f"The date must be on or after {earliest}, 31 days before the meeting" in html.unescape(response.text)
    assert written() == (0, 0)


def test_a_due_date_in_2099_is_saved_only_after_a_warning(world):
    far = date(2099, 12, 31)
    warned = decide(world, world.case_item, far)
    assert warned.status_code == 200
    page = html.unescape(warned.text)
    assert "The due date, 31 December 2099, is more than a year ahead." in page
    assert 'id="far-ahead-warning"' in page and "Record decision anyway" in page
    assert 'name="far_ahead_confirmed" type="hidden" value="2099-12-31"' in page
    assert "Council to clear the alley." in page  # what was typed is kept
    assert written() == (0, 0)

    changed = decide(world, world.case_item, date(2099, 12, 30), far_ahead_confirmed="2099-12-31")
    assert 'id="far-ahead-warning"' in changed.text
    assert written() == (0, 0)

    saved = decide(world, world.case_item, far, far_ahead_confirmed="2099-12-31")
    assert saved.status_code == 302
    assert written() == (1, 1)
    assert db.session.scalars(select(Action)).one().due_on == far
