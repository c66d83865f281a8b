"""What SQLite's planner does with a query at county scale, without building the county:
the statistics ANALYZE recorded about the benchmark's partnership are written into
sqlite_stat1, and the statements a call sends are kept with their parameters for
EXPLAIN QUERY PLAN."""

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, event

# What ANALYZE recorded about the actions and the cases of the benchmark's county
# partnership (1,000,000 actions, 100,000 cases): the planner chooses by these.
COUNTY_STATISTICS = {
    ("actions", "ix_actions_case_id_status_due_on"): "1000000 11 4 1",
    ("actions", "ix_actions_assigned_agency_id_status_due_on"): "1000000 100000 25000 14 1 1 1 1 1 1",
    ("actions", "ix_actions_assignee_id"): "1000000 9901 2476 4",
    ("actions", "ix_actions_status_due_on_assigned_agency_id"): "1000000 250000 86 1 1 1",
    ("cases", "ix_cases_status_opened_at"): "100000 50000 19",
    ("cases", "ix_cases_opened_at_id"): "100000 35 1",
    ("cases", "ix_cases_lead_agency_id"): "100000 10000",
}


def as_at_county_scale(connection: Connection) -> None:
    connection.exec_driver_sql("ANALYZE")  # creates sqlite_stat1
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl IN ('actions', 'cases')")
    for (table, index), stat in COUNTY_STATISTICS.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # reads the statistics again


@contextlib.contextmanager
def sent_statements(engine: Engine, containing: str) -> Iterator[list[tuple[str, Any]]]:
    """The statements sent inside the block whose text contains ``containing``, with
    their parameters."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if containing in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def plan_of(connection: Connection, statement: str, parameters: Any) -> list[str]:
    return [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


def postgresql_plan_with_dear_probes(connection: Connection, statement: str, parameters: Any) -> str:
    """PostgreSQL's plan (EXPLAIN's text) with each probe of an index made to look dear,
    as it does to the planner at county scale when it expects to read thousands of rows:
    wherever the SQL lets it, the planner then answers a correlated EXISTS by hashing
    every row of the subquery first ("hashed SubPlan") instead of probing per row."""
    connection.exec_driver_sql("SET LOCAL random_page_cost = 100000")
    try:
        rows = connection.exec_driver_sql("EXPLAIN VERBOSE " + statement, parameters)
        return "\n".join(row[0] for row in rows)
    finally:
        connection.exec_driver_sql("SET LOCAL random_page_cost = DEFAULT")
