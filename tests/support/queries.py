"""Counting the SQL statements a piece of code sends, to catch N+1 queries, against the
budgets of DESIGN.md section 6: a list at most 8, a detail page at most 13, a dashboard
at most 8."""

import contextlib
import difflib
from collections.abc import Iterator
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from casework import db

# Only statements that read or write rows are counted. Transaction control is left out:
# SQLite's engine sends its own BEGIN (IMMEDIATE), and the test fixture's SAVEPOINT and
# RELEASE SAVEPOINT statements exist only under the tests, so neither says anything about
# the page. WITH starts a query too (a SELECT with common table expressions).
COUNTED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@contextlib.contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """The counted statements sent through ``engine`` (and its connections) inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(COUNTED):
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


LIST_BUDGET = 8
DETAIL_BUDGET = 13
DASHBOARD_BUDGET = 8


def page_queries(app: Flask, client: FlaskClient, url: str) -> tuple[str, list[str]]:
    """The page's text and the statements its request sent."""
    db.session.remove()  # start from an empty identity map, as every real request does
    with recorded_statements(app.extensions["casework.engine"]) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True), statements


def assert_same_queries(few: list[str], many: list[str]) -> None:
    assert len(many) == len(few), "the query count grows with the rows:\n" + "\n".join(
        difflib.unified_diff(few, many, "few rows", "many rows", lineterm="")
    )
