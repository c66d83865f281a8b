"""The figures' actions by agency on SQLite read the live actions and those done in the
quarter from their index ranges, not every action each agency has had: at 1,000,000
actions, most long done, reading them all took two seconds (docs/performance.md)."""

from sqlalchemy import event

from casework import db
from casework.clock import quarter_of, utcnow
from casework.home.services import figures
from tests.meetings.test_agenda_plan import COUNTY_STATISTICS


def as_at_county_scale(connection) -> None:
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'actions'")
    statistics = {**COUNTY_STATISTICS, ("actions", "ix_actions_status_completed_at"): "1000000 250000 10 10"}
    for (table, index), stat in statistics.items():
        if table == "actions":
            connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")


def test_actions_by_agency_read_only_the_live_and_the_quarters_done_actions(app, session):
    engine = app.extensions["casework.engine"]
    sent: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        if "actions" in statement:
            sent.append((statement, parameters))

    as_at_county_scale(db.session.connection())
    event.listen(engine, "before_cursor_execute", keep)
    try:
        now = utcnow()
        figures.actions_by_agency(quarter_of(now), now)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    [(statement, parameters)] = sent
    plan = [row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    reads_of_actions = [step for step in plan if " actions " in f" {step} "]
    assert reads_of_actions, plan
    assert all(step.startswith("SEARCH actions USING") for step in reads_of_actions), plan
    assert any("ix_actions_status_completed_at (status=? AND completed_at>? AND completed_at<?)" in s for s in plan), (
        plan
    )
    assert not any("(assigned_agency_id=?)" in step and "status" not in step for step in plan), plan
