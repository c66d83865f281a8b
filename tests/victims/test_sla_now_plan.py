"""The dashboard counts the clocks due now by their case's lead agency from the index on
(outcome, due_at, case_id, lead_agency_id) alone: reading each clock's row for its case
(docs/performance.md, "Fourth round: the SLA dashboard and the TLS report") and then
each case for its lead agency ("Seventh round: the SLA dashboard") was most of what grew
from 1,000 cases to 100,000."""

from casework import db
from casework.clock import utcnow
from casework.permissions import Role
from casework.victims.services import sla_reports
from tests.factories import make_agency, make_user
from tests.support.plans import plan_of, sent_statements

# What ANALYZE recorded about the clocks of the benchmark's county (100,050 clocks).
CLOCKS = {
    ("sla_clocks", "ix_sla_clocks_due_now"): "100050 25013 1 1 1",
    ("sla_clocks", "ix_sla_clocks_started_at"): "100050 2",
    ("sla_clocks", "ix_sla_clocks_kind_outcome_started_at"): "100050 50025 12507 1 1 1",
    ("sla_clocks", "ix_sla_clocks_case_id_person_id"): "100050 3 3",
}


def test_the_counts_by_agency_read_the_clocks_due_now_from_the_index_alone(app, session):
    manager = make_user(role=Role.MANAGER, agency=make_agency())
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'sla_clocks'")
    for (table, index), stat in CLOCKS.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    with sent_statements(app.extensions["casework.engine"], "GROUP BY") as sent:
        sla_reports.now_view(manager, utcnow())
    [(statement, parameters)] = [(s, p) for s, p in sent if "lead_agency_id" in s]
    plan = plan_of(connection, statement, parameters)
    assert "SEARCH sla_clocks USING COVERING INDEX ix_sla_clocks_due_now (outcome=? AND due_at<?)" in plan, plan
    assert not [step for step in plan if step.startswith("SCAN sla_clocks") or "cases" in step], plan
