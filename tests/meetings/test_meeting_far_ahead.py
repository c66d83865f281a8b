"""A meeting scheduled further ahead than FUTURE_HORIZON_MONTHS is saved only once the
chair has confirmed the date (docs/meetings.md)."""

import html
from datetime import datetime

import pytest
from sqlalchemy import func, select

from casework import db
from casework.clock import ZONE, add_months, utcnow
from casework.meetings.models import Meeting
from casework.meetings.services import commands
from casework.permissions import Role
from tests.factories import make_user

pytestmark = pytest.mark.calendar


def typed(when: datetime) -> dict[str, object]:
    local = when.astimezone(ZONE)
    return {"held_on": [str(local.day), str(local.month), str(local.year)], "held_time": f"{local:%H:%M}"}


def meetings() -> int:
    return db.session.scalar(select(func.count()).select_from(Meeting))


@pytest.fixture
def chair(session, council):
    return make_user(role=Role.PSG_CHAIR, agency=council, name="Carl Chair")


def test_a_meeting_in_2099_is_scheduled_only_after_a_warning(client_as, chair):
    client = client_as(chair)
    when = datetime(2099, 1, 12, 14, 0, tzinfo=ZONE)
    data = {**typed(when), "location": "Fenland Hall, March"}

    warned = client.post("/meetings/new", data=data)
    assert warned.status_code == 200
    page = html.unescape(warned.text)
    assert "The meeting, on 12 January 2099, is more than a year ahead. Save again to schedule it anyway." in page
    assert "Schedule meeting anyway" in page
    assert 'name="far_ahead_confirmed" type="hidden" value="2099-01-12"' in page
    assert meetings() == 0

    saved = client.post("/meetings/new", data={**data, "far_ahead_confirmed": "2099-01-12"})
    assert saved.status_code == 302
    assert meetings() == 1


def test_a_meeting_within_the_year_is_not_asked_about(client_as, chair):
    in_eleven_months = add_months(utcnow(), 11).replace(second=0, microsecond=0)
    response = client_as(chair).post("/meetings/new", data={**typed(in_eleven_months), "location": "Online"})
    assert response.status_code == 302


def test_other_callers_are_not_asked(chair):
    meeting = commands.schedule_meeting(chair, held_at=datetime(2099, 1, 12, 14, 0, tzinfo=ZONE), location="Online")
    assert meeting.id is not None
