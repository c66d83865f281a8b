"""Counting the SQL statements a piece of code sends, to catch N+1 queries."""

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

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
