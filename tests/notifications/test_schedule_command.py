"""`flask casework notifications schedule`: one pass, committed, and a second pass
writes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.clock import utcnow
from casework.notifications.models import Notification
from casework.notifications.services.schedule import ScheduleSettings
from tests.factories import make_case, make_person, make_user
from tests.support.sla_clocks import make_clock


@pytest.fixture
def run(app, session):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["casework", "notifications", "schedule", *args])


def test_a_pass_writes_the_reminders_due_and_a_second_writes_nothing(run, council):
    officer = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=officer)
    due = utcnow() + timedelta(hours=2)
    make_clock(case=case, person=make_person(created_by=officer), started_at=due - timedelta(hours=72), due_at=due)
    first = run()
    assert first.exit_code == 0, first.output
    assert "1 notifications written." in first.output and "clock_due_soon: 1" in first.output
    second = run()
    assert second.exit_code == 0 and "0 notifications written." in second.output
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


@pytest.mark.parametrize(
    "setting, value", [("CLOCK_REMINDERS_HOURS", "24,soon"), ("CLOCK_REMINDERS_HOURS", "0"), ("DIGEST_TIME", "25:00")]
)
def test_a_bad_setting_is_refused_with_a_message(app, run, setting, value, monkeypatch):
    monkeypatch.setitem(app.config, setting, value)
    result = run()
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "Error:" in result.output


def test_the_settings_are_read_from_the_configuration():
    settings = ScheduleSettings.from_config(
        {"CLOCK_REMINDERS_HOURS": "4, 48,24", "ACTION_REMINDER_DAYS": "3", "DIGEST_TIME": "6:45am"}
    )
    assert settings.clock_hours == (48, 24, 4)
    assert settings.action_days == 3 and settings.premises_days == 7
    assert (settings.digest_time.hour, settings.digest_time.minute) == (6, 45)
