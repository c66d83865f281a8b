"""On SQLite, a premises' cases are read from the partial index on cases.premises_id.
Most cases name no premises: a full index's statistics counted those NULLs as one value
shared by half the casebook, and the planner scanned all 100,000 cases in date order
instead (about 350 ms a view of the busiest premises: docs/performance.md)."""

from casework import db
from casework.clock import utcnow
from casework.permissions import Role
from casework.premises.services import premises_pages
from casework.premises.services.tls_rules import TlsRules
from tests.factories import make_agency, make_case, make_premises, make_user
from tests.support.plans import as_at_county_scale, plan_of, sent_statements

# What ANALYZE recorded for the index on cases.premises_id when it held every case.
FULL_INDEX = ("cases", "ix_cases_premises_id", "100000 50000")
PARTIAL_INDEX = ("cases", "ix_cases_premises_id_opened_at", "3000 2 1")


def test_a_premises_cases_are_read_from_the_index_on_the_premises(app, session):
    officer = make_user(role=Role.LICENSING_OFFICER, agency=make_agency())
    premises = make_premises()
    make_case(lead_agency=officer.agency, premises=premises)
    connection = db.session.connection()
    as_at_county_scale(connection)
    for row in (FULL_INDEX, PARTIAL_INDEX):  # a row for an index that does not exist is ignored
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    with sent_statements(app.extensions["casework.engine"], "FROM cases") as sent:
        premises_pages.premises_page(officer, premises.id, now=utcnow(), rules=TlsRules())
    [(statement, parameters)] = [(s, p) for s, p in sent if "cases.premises_id =" in s]
    plan = plan_of(connection, statement, parameters)
    assert any(step.startswith("SEARCH cases USING INDEX ix_cases_premises_id_opened_at") for step in plan), plan
    assert not any(step.startswith("SCAN cases") for step in plan), plan
