"""The figures' actions by agency on SQLite read the live actions and those done in the
quarter from their index ranges, not every action each agency has had: at 1,000,000
actions, most long done, reading them all took two seconds (docs/performance.md)."""

from casework import db
from casework.clock import quarter_of, utcnow
from casework.home.services import figures
from tests.support.plans import as_at_county_scale, plan_of, sent_statements


def test_actions_by_agency_read_only_the_live_and_the_quarters_done_actions(app, session):
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "actions") as sent:
        now = utcnow()
        figures.actions_by_agency(quarter_of(now), now)
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    reads_of_actions = [step for step in plan if " actions " in f" {step} "]
    assert reads_of_actions, plan
    assert all(step.startswith("SEARCH actions USING") for step in reads_of_actions), plan
    assert any("ix_actions_status_completed_at (status=? AND completed_at>? AND completed_at<?)" in s for s in plan), (
        plan
    )
    assert not any("(assigned_agency_id=?)" in step and "status" not in step for step in plan), plan
