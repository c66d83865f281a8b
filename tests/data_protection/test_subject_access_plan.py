"""The subject access export reads a person's risk assessments, clocks and referrals
through an index on the person, not by walking the whole table in date order: at
county scale (100,000 clocks, 40,000 referrals) those walks were most of the export's
growth from 1,000 cases to 100,000 (docs/performance.md)."""

import pytest

from casework import db
from casework.data_protection.services import subject_access
from casework.permissions import Role
from tests.factories import make_agency, make_person, make_user
from tests.support.plans import plan_of, sent_statements

# What ANALYZE recorded about these tables at county scale; the new indexes have no
# statistics, as after the migration on a database analysed before it.
COUNTY_STATISTICS = {
    ("risk_assessments", "ix_risk_assessments_case_id_person_id_assessed_at"): "50056 2 2 1",
    ("sla_clocks", "ix_sla_clocks_kind_outcome_started_at"): "100050 50025 12507 1 1 1",
    ("sla_clocks", "ix_sla_clocks_started_at"): "100050 2",
    ("sla_clocks", "ix_sla_clocks_due_now"): "100050 25013 1 1 1",
    ("sla_clocks", "ix_sla_clocks_case_id_person_id"): "100050 3 3",
    ("referrals", "ix_referrals_status_decided_at"): "40071 13357 1",
    ("referrals", "ix_referrals_received_at_id"): "40071 1 1",
    ("referrals", "ix_referrals_status_received_at"): "40071 13357 1 1",
    ("referrals", "ix_referrals_referring_agency_id"): "40071 4453",
    ("referrals", "ix_referrals_case_id"): "40071 2",
}


def _as_at_county_scale() -> None:
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl IN ('risk_assessments', 'sla_clocks', 'referrals')")
    for (table, index), stat in COUNTY_STATISTICS.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # reads the statistics again


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("risk_assessments", "ix_risk_assessments_person_id_assessed_at_id"),
        ("sla_clocks", "ix_sla_clocks_person_id_started_at_id"),
        ("referrals", "ix_referrals_person_id_received_at_id"),
    ],
)
def test_a_persons_records_are_read_through_the_index_on_the_person(app, session, table: str, index: str) -> None:
    admin = make_user(role=Role.ADMIN)
    person = make_person(created_by=make_user(agency=make_agency()))
    _as_at_county_scale()
    with sent_statements(app.extensions["casework.engine"], f"FROM {table}") as sent:
        subject_access.export_person(admin, person.id, file_format="html")
    [(statement, parameters)] = [(text, values) for text, values in sent if f"{table}.person_id = " in text]
    plan = plan_of(db.session.connection(), statement, parameters)
    assert any(step.startswith(f"SEARCH {table} USING INDEX {index} (person_id=?)") for step in plan), plan
    assert not any(step.startswith(f"SCAN {table}") for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
