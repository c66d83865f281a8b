"""Reminders made by `notifications schedule`: who is told, of which occasion, once.

Who is told is decided in SQL by `policy`, and each occasion is written once through the
outbox's unique keys: both databases."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.actions.models import ActionStatus
from casework.cases.models import CaseStatus
from casework.clock import today, utcnow
from casework.notifications.models import Notification, NotificationKind
from casework.notifications.services import schedule
from casework.notifications.services.schedule import ScheduleSettings
from casework.permissions import Role
from casework.premises.models import PremisesVisit, TlsStatus, VisitKind
from casework.victims.models import ClockOutcome
from tests.factories import make_action, make_case, make_person, make_premises, make_user
from tests.support.sla_clocks import make_clock

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

SETTINGS = ScheduleSettings()
K = NotificationKind


def run(now: datetime | None = None) -> int:
    made = schedule.run(now or utcnow(), SETTINGS)
    db.session.flush()
    return made.total


def told() -> list[tuple[int, NotificationKind, str]]:
    """(user, kind, occasion) for every row, the occasion without its recipient."""
    rows = db.session.scalars(select(Notification).order_by(Notification.id))
    return [(row.user_id, row.kind, (row.dedupe_key or "").rsplit(":", 1)[0]) for row in rows]


@pytest.fixture
def team(session, council, police):
    """The lead agency's officer, chair and manager, and a chair elsewhere."""
    return {
        "officer": make_user(agency=council),
        "chair": make_user(agency=council, role=Role.PSG_CHAIR),
        "manager": make_user(agency=council, role=Role.MANAGER),
        "member": make_user(agency=council),
        "police_chair": make_user(agency=police, role=Role.PSG_CHAIR),
    }


def clock_due(team, council, due_at: datetime, **kwargs):
    case = make_case(lead_agency=council, opened_by=team["officer"], **kwargs)
    victim = make_person(created_by=team["officer"])
    return case, make_clock(case=case, person=victim, started_at=due_at - timedelta(hours=72), due_at=due_at)


# --- Victims' clocks -------------------------------------------------------------------


def test_a_clock_due_soon_tells_the_lead_officer_once(team, council):
    _case, clock = clock_due(team, council, utcnow() + timedelta(hours=3))
    assert run() == 1
    assert told() == [(team["officer"].id, K.CLOCK_DUE_SOON, f"clock:{clock.id}:due-4h")]
    assert run() == 0  # the second pass adds nothing
    assert len(told()) == 1


def test_each_lead_time_is_told_once_as_it_is_reached(team, council):
    due = utcnow() + timedelta(hours=30)
    _case, clock = clock_due(team, council, due)
    assert run() == 0  # 30 hours before: nothing yet
    assert run(due - timedelta(hours=20)) == 1
    assert run(due - timedelta(hours=19)) == 0
    assert run(due - timedelta(hours=3)) == 1
    assert [occasion for _, _, occasion in told()] == [f"clock:{clock.id}:due-24h", f"clock:{clock.id}:due-4h"]


def test_a_clock_found_overdue_is_told_as_overdue_only(team, council):
    _case, clock = clock_due(team, council, utcnow() - timedelta(minutes=5))
    run()
    assert sorted(told()) == sorted(
        (team[who].id, K.CLOCK_OVERDUE, f"clock:{clock.id}:overdue") for who in ("officer", "chair", "manager")
    )


def test_a_reminder_made_late_still_goes_but_only_for_the_stage_reached(team, council):
    # The scheduler did not run for a day: the clock is 2 hours from due.
    _case, clock = clock_due(team, council, utcnow() + timedelta(hours=2))
    run()
    assert [occasion for _, _, occasion in told()] == [f"clock:{clock.id}:due-4h"]


def test_a_case_without_a_lead_officer_tells_its_chairs(team, council):
    case, clock = clock_due(team, council, utcnow() + timedelta(hours=3))
    case.lead_officer_id = None
    db.session.flush()
    run()
    assert told() == [(team["chair"].id, K.CLOCK_DUE_SOON, f"clock:{clock.id}:due-4h")]


@pytest.mark.parametrize("outcome", [ClockOutcome.MET, ClockOutcome.MET_LATE, ClockOutcome.STOPPED])
def test_a_clock_met_or_stopped_before_its_reminder_gets_none(team, council, outcome):
    case = make_case(lead_agency=council, opened_by=team["officer"])
    victim = make_person(created_by=team["officer"])
    due = utcnow() + timedelta(hours=3)
    make_clock(case=case, person=victim, started_at=due - timedelta(hours=72), due_at=due, outcome=outcome)
    make_clock(
        case=case,
        person=victim,
        started_at=due - timedelta(hours=80),
        due_at=due - timedelta(hours=8),
        outcome=outcome if outcome is not ClockOutcome.STOPPED else ClockOutcome.OVERDUE_AT_CLOSING,
    )
    assert run() == 0


def test_a_closed_case_gets_no_reminder(team, council):
    case, _clock = clock_due(team, council, utcnow() + timedelta(hours=3))
    case.status = CaseStatus.CLOSED
    db.session.flush()
    assert run() == 0


def test_deactivated_and_no_longer_involved_users_are_not_told(team, council, police):
    case, clock = clock_due(team, council, utcnow() - timedelta(minutes=5))
    team["chair"].active = False
    team["officer"].agency_id = police.id  # moved to an agency not involved in the case
    db.session.flush()
    run()
    assert told() == [(team["manager"].id, K.CLOCK_OVERDUE, f"clock:{clock.id}:overdue")]


def test_a_lead_officer_who_no_longer_sees_the_case_leaves_due_soon_to_the_chairs(team, council, police):
    _case, clock = clock_due(team, council, utcnow() + timedelta(hours=3))
    team["officer"].agency_id = police.id
    db.session.flush()
    run()
    assert told() == [(team["chair"].id, K.CLOCK_DUE_SOON, f"clock:{clock.id}:due-4h")]


def test_long_overdue_clocks_are_not_told_any_more(team, council):
    clock_due(team, council, utcnow() - timedelta(days=SETTINGS.lookback_days, minutes=1))
    assert run() == 0


# --- Actions ---------------------------------------------------------------------------


def an_action(team, council, **kwargs):
    case = make_case(lead_agency=council, opened_by=team["officer"])
    return make_action(agency=council, created_by=team["chair"], case=case, **kwargs)


def test_an_action_due_soon_tells_its_assignee(team, council):
    action = an_action(team, council, assignee=team["member"], due_on=today() + timedelta(days=2))
    run()
    assert told() == [(team["member"].id, K.ACTION_DUE_SOON, f"action:{action.id}:{action.due_on}:due-soon")]
    assert run() == 0


def test_an_action_with_no_assignee_tells_its_agencys_inbox(team, council, police):
    partner = make_user(agency=council, role=Role.PARTNER)
    make_user(agency=council, role=Role.ANALYST)  # no inbox of actions
    make_user(agency=council, active=False)
    make_user(agency=police)
    action = an_action(team, council, due_on=today() - timedelta(days=1))
    run()
    users = {team[who].id for who in ("officer", "chair", "manager", "member")} | {partner.id}
    assert sorted(told()) == sorted(
        (user, K.ACTION_OVERDUE, f"action:{action.id}:{action.due_on}:overdue") for user in users
    )


def test_an_action_is_told_from_the_day_after_its_due_date(team, council):
    an_action(team, council, assignee=team["member"], due_on=today() + timedelta(days=3))
    due_today = an_action(team, council, assignee=team["member"], due_on=today())
    run()
    assert [kind for _, kind, _ in told()] == [K.ACTION_DUE_SOON]
    assert told()[0][2].startswith(f"action:{due_today.id}:")


@pytest.mark.parametrize("status", [ActionStatus.DONE, ActionStatus.CANCELLED])
def test_finished_actions_get_no_reminder(team, council, status):
    an_action(team, council, due_on=today() - timedelta(days=1), status=status)
    assert run() == 0


# --- Premises deadlines ------------------------------------------------------------------


def test_premises_deadlines_tell_the_licensing_officers(session, council):
    officers = [make_user(agency=council, role=Role.LICENSING_OFFICER) for _ in range(2)]
    make_user(agency=council, role=Role.LICENSING_OFFICER, active=False)
    make_user(agency=council, role=Role.PSG_CHAIR)
    # Amber 25 days ago: the visit is due within 7 days, reaching green is months away.
    premises = make_premises(status=TlsStatus.AMBER, status_since=utcnow() - timedelta(days=25))
    run()
    assert sorted((user, kind) for user, kind, _ in told()) == sorted(
        (officer.id, K.PREMISES_DEADLINE_DUE_SOON) for officer in officers
    )
    assert {occasion.split(":")[2] for _, _, occasion in told()} == {"amber_visit"}
    assert run() == 0
    row = db.session.scalars(select(Notification)).first()
    assert (row.premises_id, row.reference, row.link) == (
        premises.id,
        premises.licence_number,
        f"/premises/{premises.id}",
    )


def test_a_visited_amber_premises_and_a_green_one_get_nothing(session, council):
    officer = make_user(agency=council, role=Role.LICENSING_OFFICER)
    premises = make_premises(status=TlsStatus.AMBER, status_since=utcnow() - timedelta(days=25))
    make_premises(status=TlsStatus.GREEN, status_since=utcnow() - timedelta(days=400))
    db.session.add(
        PremisesVisit(premises_id=premises.id, kind=VisitKind.COMPLIANCE, officer_id=officer.id, visited_at=utcnow())
    )
    db.session.flush()
    assert run() == 0


def test_a_red_premises_past_its_deadline_is_told_as_passed(session, council):
    officer = make_user(agency=council, role=Role.LICENSING_OFFICER)
    since = utcnow() - timedelta(days=200)
    premises = make_premises(status=TlsStatus.RED, status_since=since)
    # Passed more than the lookback ago: no longer told; moved into red again later: told.
    assert run() == 0
    premises.status_since = utcnow() - timedelta(days=93)
    db.session.flush()
    run()
    assert [(user, kind) for user, kind, _ in told()] == [(officer.id, K.PREMISES_DEADLINE_PASSED)]
