"""The counts of actions the database keeps beside them (live ones by agency, status and
due month; done ones by agency and when done): right after every way an action is
created, moved on, reassigned or removed, and each agency's figures added up from them
equal a count of the actions themselves."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.actions.models import LIVE_STATUSES, Action, ActionStatus
from casework.actions.services import actions
from casework.actions.services.actions import Subject, SubjectKind
from casework.agencies.models import Agency
from casework.clock import local_date, make_quarter, quarter_of, utcnow
from casework.home.services import figures
from casework.home.services.work_counts import work_counts
from casework.home.services.work_lists import AgencyOverdue, overdue_actions_by_agency
from casework.permissions import Role
from casework.policy import WorkPanel
from tests.factories import make_action, make_agency, make_case, make_user
from tests.support.kept_counts import assert_action_counts_kept

pytestmark = pytest.mark.both_databases


@pytest.fixture
def council(session):
    return make_agency(name="Fenland District Council")


@pytest.fixture
def police(session):
    return make_agency(name="Cambridgeshire Constabulary")


@pytest.fixture
def member(council):
    return make_user(agency=council)


@pytest.fixture
def case(council, police, member):
    return make_case(lead_agency=council, opened_by=member, involved=[police])


def counted(now: datetime) -> list[figures.AgencyActions]:
    """Each agency's figures from counting its actions, as they were before the counts."""
    quarter, today = quarter_of(now), local_date(now)
    live = Action.status.in_(LIVE_STATUSES)
    done = (Action.status == ActionStatus.DONE, Action.completed_at >= quarter.start, Action.completed_at < quarter.end)

    def count(agency: Agency, *where: sa.ColumnElement[bool]) -> int:
        return db.session.scalar(select(func.count()).where(Action.assigned_agency_id == agency.id, *where)) or 0

    owing = db.session.scalars(select(Agency).where(Agency.id.in_(select(Action.assigned_agency_id))))
    return sorted(
        (
            figures.AgencyActions(
                agency.name, count(agency, live), count(agency, live, Action.due_on < today), count(agency, *done)
            )
            for agency in owing
        ),  # fmt: skip
        key=lambda row: row.agency,
    )


def owed(now: datetime) -> list[figures.AgencyActions]:
    """The figures of the agencies that owe or owed actions, from the kept counts."""
    names = {row.agency for row in counted(now)}
    return [row for row in figures.actions_by_agency(quarter_of(now), now) if row.agency in names]


def test_creating_moving_on_and_finishing_actions_keep_the_counts(member, council, police, case):
    officer = make_user(agency=police)
    created = [
        actions.create_action(
            member,
            Subject.of(SubjectKind.CASE, case.id),
            title="Visit the victim",
            detail="",
            assigned_agency_id=agency.id,
            assignee_id=None,
            due_on=local_date(utcnow()) + timedelta(days=days),
        )  # fmt: skip
        for agency, days in ((police, 3), (police, 40), (council, -2))
    ]
    assert_action_counts_kept()
    first = created[0]
    actions.update_action(officer, first.id, version=first.version, status=ActionStatus.IN_PROGRESS, note="Booked")
    assert_action_counts_kept()
    actions.update_action(officer, first.id, version=first.version, status=ActionStatus.DONE, note="Visited")
    assert_action_counts_kept()
    actions.update_action(officer, first.id, version=first.version, status=ActionStatus.OPEN, note="Not finished")
    assert_action_counts_kept()
    second = created[1]
    actions.update_action(officer, second.id, version=second.version, status=ActionStatus.CANCELLED, note="No need")
    assert_action_counts_kept()
    assert owed(utcnow()) == counted(utcnow())


def test_bulk_inserts_reassigning_redating_and_deletes_keep_the_counts(member, council, police, case):
    """Writes that go round the services (a bulk load, a data fix by hand) are counted too."""
    done_at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 1 July in London
    db.session.execute(
        sa.insert(Action),
        [
            {
                "title": "Loaded",
                "detail": "",
                "case_id": case.id,
                "assigned_agency_id": police.id,
                "due_on": date(2026, 6, 1 + number),
                "status": status,
                "created_by_id": member.id,
                "version": 1,
                "completed_at": done_at if status is ActionStatus.DONE else None,
                "completion_note": "",
            }  # fmt: skip
            for number, status in enumerate([*ActionStatus, ActionStatus.DONE, ActionStatus.OPEN])
        ],
    )
    assert_action_counts_kept()
    loaded = Action.title == "Loaded"
    db.session.execute(sa.update(Action).where(loaded, Action.status == "open").values(due_on=date(2026, 7, 1)))
    assert_action_counts_kept()
    db.session.execute(sa.update(Action).where(loaded, Action.status == "done").values(assigned_agency_id=council.id))
    assert_action_counts_kept()
    db.session.execute(
        sa.update(Action).where(loaded, Action.status == "done").values(completed_at=done_at - timedelta(hours=1))
    )
    assert_action_counts_kept()
    db.session.execute(sa.delete(Action).where(loaded, Action.status.in_(["in_progress", "done"])))
    assert_action_counts_kept()


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        datetime(2026, 10, 1, 0, 30, tzinfo=UTC),  # 1 October in London: a new quarter and month
        datetime(2026, 9, 30, 22, 30, tzinfo=UTC),  # 30 September: the quarter's last day
        datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    ],
)
def test_each_agencys_figures_equal_a_count_of_its_actions_either_side_of_a_month_or_quarter(
    now, member, council, police, case
):
    today = local_date(now)
    for days in (-40, -31, -3, -1, 0, 1, 29):
        make_action(agency=police, created_by=member, case=case, due_on=today + timedelta(days=days))
    make_action(agency=council, created_by=member, case=case, due_on=today.replace(day=1))
    make_action(agency=council, created_by=member, case=case, status=ActionStatus.IN_PROGRESS, due_on=today)
    quarter = quarter_of(now)
    for number, at in enumerate(
        (quarter.start - timedelta(microseconds=1), quarter.start, quarter.end - timedelta(seconds=1), quarter.end)
    ):
        action = make_action(agency=[police, council][number % 2], created_by=member, case=case, status="done")
        action.completed_at = at
    assert_action_counts_kept()
    assert owed(now) == counted(now)
    # My work: the agency's counts, and the manager's overdue actions by agency.
    live = Action.status.in_(LIVE_STATUSES)
    for agency in (police, council):
        counts = work_counts(
            make_user(agency=agency), frozenset({WorkPanel.AGENCY_ACTIONS}), sees_cases=False, now=now, today=today
        )
        mine = (Action.assigned_agency_id == agency.id, live)
        assert (counts.actions_overdue, counts.actions_live) == (
            db.session.scalar(select(func.count()).where(*mine, Action.due_on < today)),
            db.session.scalar(select(func.count()).where(*mine)),
        )
    manager = make_user(agency=council, role=Role.MANAGER)
    overdue = db.session.execute(
        select(Agency.name, func.count(), func.min(Action.due_on))
        .join(Agency, Agency.id == Action.assigned_agency_id)
        .where(live, Action.due_on < today)
        .group_by(Agency.name)
        .order_by(func.count().desc(), Agency.name)
    )
    assert overdue_actions_by_agency(manager, today) == [AgencyOverdue(*row) for row in overdue]


def test_the_done_actions_of_each_quarter_of_a_year_add_up(member, police, case):
    for number in range(1, 5):
        quarter = make_quarter(2026, number)
        for at in (quarter.start, quarter.end - timedelta(microseconds=1)):
            make_action(agency=police, created_by=member, case=case, status="done").completed_at = at
    db.session.flush()
    for number in range(1, 5):
        now = make_quarter(2026, number).start + timedelta(days=1)
        assert owed(now) == counted(now) == [figures.AgencyActions(police.name, 0, 0, 2)]
