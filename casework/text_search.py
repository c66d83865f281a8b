"""Matching what a user types against text columns, the same way on every list.

A term matches a column that contains it anywhere, ignoring case: "intim" finds
"Intimidation on the Orchard estate", and "%" or "_" are matched as themselves. The
conditions are written so that an index can serve them: on PostgreSQL a trigram index
(the ``pg_trgm`` extension, GIN) over exactly the expression the condition compares,
made with ``trigram_index``. SQLite has no such index and reads the rows, in the order
of the list's own index, until it has a page (docs/performance.md, "Third round: the
case list's search, filters and page 100").
"""

import sqlalchemy as sa
from sqlalchemy import func

from casework import db

# A trusted extension: the database's owner may create it, no superuser needed.
CREATE_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


def contains(column: sa.SQLColumnExpression[str], text: str) -> sa.ColumnElement[bool]:
    """``column`` contains ``text`` anywhere, ignoring case: ``lower(column) LIKE``,
    which ``trigram_index(name, table, "lower(column)")`` serves."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def contains_capitals(column: sa.SQLColumnExpression[str], text: str) -> sa.ColumnElement[bool]:
    """For a column kept in capitals (a case reference): ``column`` contains ``text``
    anywhere, whatever its case; ``trigram_index(name, table, "column")`` serves it."""
    return column.contains(text.upper(), autoescape=True)


def trigram_index(name: str, table: str, expression: str) -> str:
    """The statement that makes a PostgreSQL trigram index over ``expression``, for
    ``contains`` conditions (after CREATE_EXTENSION). The models cannot state it on
    both backends (SQLite has no trigram operator class), so it is DDL, run by the
    migration and by ``db.on_create``, and left out of autogenerate's comparison."""
    db.DDL_INDEXES.add(name)
    return f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)"
