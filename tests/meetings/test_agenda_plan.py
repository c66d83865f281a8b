"""The agenda's overdue-actions query on SQLite starts from the live overdue actions in
their (status, due date) index, which holds their case, not from every case and each
one's actions (a scan that took seconds at 1,000,000 actions: docs/performance.md)."""

from datetime import timedelta

from casework import db
from casework.clock import utcnow
from casework.meetings.services import agenda
from casework.permissions import Role
from tests.factories import make_agency, make_psg_meeting, make_user
from tests.support.plans import as_at_county_scale, plan_of, sent_statements


def test_the_overdue_actions_are_read_from_their_index_alone(app, session):
    chair = make_user(role=Role.PSG_CHAIR, agency=make_agency())
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2))
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "JOIN actions") as sent:
        agenda.pick(meeting, utcnow())
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    assert plan[0] == (
        "SEARCH actions USING COVERING INDEX ix_actions_status_due_on_assigned_agency_id (status=? AND due_on<?)"
    ), plan
    assert any(step.startswith("SEARCH cases USING INTEGER PRIMARY KEY") for step in plan), plan
