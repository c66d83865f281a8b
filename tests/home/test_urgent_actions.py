"""My work's "Actions your agency owes": the eleven earliest due of the agency's open and
in-progress actions, read as one index range per status (docs/performance.md, "Third
round: My work, notifications, referrals"), so the order across the two statuses, the
cap and ties on the due date are what matter here."""

from datetime import timedelta

import pytest

from casework import db
from casework.actions.models import ActionStatus
from casework.clock import today
from casework.home.services.work_lists import URGENT_ACTIONS, urgent_actions
from casework.permissions import Role
from tests.factories import make_action, make_agency, make_case, make_user
from tests.support.plans import as_at_county_scale, plan_of, sent_statements

OPEN, IN_PROGRESS = ActionStatus.OPEN, ActionStatus.IN_PROGRESS


@pytest.fixture
def owed(session):
    mine, theirs = make_agency(), make_agency()
    author = make_user(agency=theirs)
    case = make_case(lead_agency=theirs, involved=[mine])
    day = today()

    def owe(title, due_in, status=OPEN, agency=mine):
        return make_action(
            agency=agency, created_by=author, case=case, title=title, due_on=day + timedelta(due_in), status=status
        )

    return mine, owe


@pytest.mark.both_databases
def test_open_and_in_progress_come_in_one_order_earliest_due_then_first_made(owed):
    mine, owe = owed
    made = [
        owe("a", -3, IN_PROGRESS),
        owe("b", -3, OPEN),  # the same day: made later, so after
        owe("c", -2, OPEN),
        owe("d", 0, IN_PROGRESS),
        owe("e", 7, OPEN),
    ]
    owe("done", -5, ActionStatus.DONE)
    owe("cancelled", -4, ActionStatus.CANCELLED)
    owe("later", 8, OPEN)
    owe("someone else's", -6, OPEN, agency=make_agency())
    listed = urgent_actions(make_user(role=Role.PSG_MEMBER, agency=mine), today())
    assert [row.action.title for row in listed] == [
        action.title for action in sorted(made, key=lambda a: (a.due_on, a.id))
    ]
    assert [row.action.title for row in listed] == ["a", "b", "c", "d", "e"]


@pytest.mark.both_databases
def test_at_most_one_more_than_the_list_shows_from_either_status(owed):
    mine, owe = owed
    for number in range(URGENT_ACTIONS + 3):
        owe(f"open {number}", -20 + 2 * number, OPEN)
        owe(f"in progress {number}", -19 + 2 * number, IN_PROGRESS)
    listed = urgent_actions(make_user(role=Role.PSG_MEMBER, agency=mine), today())
    assert len(listed) == URGENT_ACTIONS + 1
    titles = [row.action.title for row in listed]
    assert titles[:4] == ["open 0", "in progress 0", "open 1", "in progress 1"]
    assert titles[-1] == "open 5"


def test_each_status_is_read_in_due_order_from_the_agencys_index(app, owed):
    mine, owe = owed
    owe("a", -1, OPEN)
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "FROM actions") as sent:
        urgent_actions(make_user(role=Role.PSG_MEMBER, agency=mine), today())
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    ranges = [step for step in plan if "ix_actions_assigned_agency_id_status_due_on" in step]
    assert len(ranges) == 2, plan
    assert all("(assigned_agency_id=? AND status=? AND due_on<?)" in step for step in ranges), plan
