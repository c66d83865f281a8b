"""On SQLite, a premises' cases are read from the partial index on cases.premises_id.
Most cases name no premises: a full index's statistics counted those NULLs as one value
shared by half the casebook, and the planner scanned all 100,000 cases in date order
instead (about 350 ms a view of the busiest premises: docs/performance.md)."""

import pytest

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


# What ANALYZE recorded about the benchmark's 5,000 premises.
PREMISES_STATISTICS = (
    ("premises", "ix_premises_name_id", "5000 2 1"),
    ("premises", "ix_premises_status_status_since", "5000 1700 1"),
    ("premises", "ix_premises_town", "5000 1000"),
    ("premises", "ix_premises_cluster", "5000 1000"),
    ("premises", "sqlite_autoindex_premises_1", "5000 1"),  # the licence numbers
)


@pytest.mark.parametrize(
    "criteria",
    [
        premises_pages.RegisterFilter(page=100),
        premises_pages.RegisterFilter(sort="name", descending=True, page=100),
        premises_pages.RegisterFilter(deadline_passed=True),
        premises_pages.RegisterFilter(suggestion_differs=True),
    ],
)
def test_the_register_in_name_order_walks_the_index_of_names(app, session, criteria):
    """Sorting every premises (or every match) for a page of 25 took 5 ms at 5,000."""
    officer = make_user(role=Role.LICENSING_OFFICER, agency=make_agency())
    make_premises()
    connection = db.session.connection()
    as_at_county_scale(connection)
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'premises'")
    for row in PREMISES_STATISTICS:
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    with sent_statements(app.extensions["casework.engine"], "ORDER BY premises.name") as sent:
        premises_pages.register(officer, criteria, now=utcnow(), rules=TlsRules())
    [(statement, parameters)] = sent
    plan = plan_of(connection, statement, parameters)
    assert any(step.startswith("SCAN premises USING INDEX ix_premises_name_id") for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_the_count_of_premises_past_a_deadline_reads_each_colour_once(app, session):
    """Amber's two deadlines as two branches of an OR read the amber premises twice
    and looked the matches up by row id to count each once (0.9 ms at 5,000 premises)."""
    officer = make_user(role=Role.LICENSING_OFFICER, agency=make_agency())
    make_premises()
    connection = db.session.connection()
    as_at_county_scale(connection)
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'premises'")
    for row in PREMISES_STATISTICS:
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
    connection.exec_driver_sql("ANALYZE sqlite_schema")
    with sent_statements(app.extensions["casework.engine"], "count(*)") as sent:
        premises_pages.register(
            officer, premises_pages.RegisterFilter(deadline_passed=True), now=utcnow(), rules=TlsRules()
        )
    [(statement, parameters)] = sent
    plan = plan_of(connection, statement, parameters)
    ranges = [
        step for step in plan if step.startswith("SEARCH premises USING COVERING INDEX ix_premises_status_status_since")
    ]
    assert len(ranges) == 2, plan
    assert not any(step.startswith("SEARCH premises USING INTEGER PRIMARY KEY") for step in plan), plan
