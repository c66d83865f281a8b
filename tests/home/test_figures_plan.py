"""The figures on SQLite at county scale read the counts the database keeps, not the
cases and actions they count: at 1,000,000 actions and 100,000 cases, counting the rows
took most of a second, then 60 ms (docs/performance.md)."""

from casework import db
from casework.clock import previous_quarters, quarter_of, utcnow
from casework.home.services import figures
from tests.support.plans import as_at_county_scale, plan_of, sent_statements


def test_actions_by_agency_read_the_kept_counts_and_only_this_months_overdue_actions(app, session):
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "actions") as sent:
        now = utcnow()
        figures.actions_by_agency(quarter_of(now), now)
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    reads_of_actions = [step for step in plan if " actions " in f" {step} "]
    assert all(step.startswith("SEARCH actions USING") for step in reads_of_actions), plan
    # The live actions one by one only for the days of this month already past...
    assert any("due_on>? AND due_on<?)" in step for step in reads_of_actions), plan
    # ...and whether an inactive agency owes any, one index entry each.
    assert not any("(assigned_agency_id=?)" not in step and "due_on" not in step for step in reads_of_actions), plan
    assert any("done_action_counts" in step and "completed_from>? AND completed_from<?" in step for step in plan), plan
    assert any("live_action_counts" in step for step in plan), plan


def test_cases_by_quarter_read_the_kept_counts_of_the_four_quarters(app, session):
    as_at_county_scale(db.session.connection())
    with sent_statements(app.extensions["casework.engine"], "case_counts") as sent:
        figures.cases_by_quarter(previous_quarters(quarter_of(utcnow()), figures.CASE_QUARTERS))
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    assert not any(" cases " in f" {step} " for step in plan), plan
    assert any("case_counts" in step and "opened_from>? AND opened_from<?" in step for step in plan), plan
