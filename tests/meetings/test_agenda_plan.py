"""The agenda's overdue-actions query on SQLite starts from the live overdue actions in
their (status, due date) index, which holds their case, not from every case and each
one's actions (a scan that took seconds at 1,000,000 actions: docs/performance.md)."""

from datetime import timedelta

from sqlalchemy import event

from casework import db
from casework.clock import utcnow
from casework.meetings.services import agenda
from casework.permissions import Role
from tests.factories import make_agency, make_psg_meeting, make_user

# What ANALYZE recorded about the actions and the cases of the benchmark's county
# partnership (1,000,000 actions, 100,000 cases): the planner chooses by these.
COUNTY_STATISTICS = {
    ("actions", "ix_actions_case_id"): "1000000 11",
    ("actions", "ix_actions_assigned_agency_id_status_due_on"): "1000000 100000 25000 14 1 1 1 1 1 1",
    ("actions", "ix_actions_assignee_id"): "1000000 9901 2476 4",
    ("actions", "ix_actions_status_due_on_assigned_agency_id"): "1000000 250000 86 1 1 1",
    ("cases", "ix_cases_status_opened_at"): "100000 50000 19",
    ("cases", "ix_cases_opened_at_id"): "100000 35 1",
    ("cases", "ix_cases_lead_agency_id"): "100000 10000",
}


def as_at_county_scale(connection) -> None:
    connection.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl IN ('actions', 'cases')")
    for (table, index), stat in COUNTY_STATISTICS.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # reads the statistics again


def test_the_overdue_actions_are_read_from_their_index_alone(app, session):
    chair = make_user(role=Role.PSG_CHAIR, agency=make_agency())
    meeting = make_psg_meeting(chair=chair, held_at=utcnow() + timedelta(days=2))
    engine = app.extensions["casework.engine"]
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        if "JOIN actions" in statement:
            sent.append((statement, parameters))

    as_at_county_scale(db.session.connection())
    event.listen(engine, "before_cursor_execute", keep)
    try:
        agenda.pick(meeting, utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = sent
    plan = [row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert plan[0] == (
        "SEARCH actions USING COVERING INDEX ix_actions_status_due_on_assigned_agency_id (status=? AND due_on<?)"
    ), plan
    assert any(step.startswith("SEARCH cases USING INTEGER PRIMARY KEY") for step in plan), plan
