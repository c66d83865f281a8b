"""Engine, the scoped session and the declarative base.

The session is a plain SQLAlchemy scoped session (no Flask-SQLAlchemy) so tests can
bind it to an outer transaction. Views and CLI commands commit; services only flush.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from enum import Enum
from typing import Annotated, Any, Protocol

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, mapped_column, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from casework.clock import ZONE, local_date, utcnow
from casework.exceptions import EditConflict
from casework.limits import LINE_MAX, LONG_TEXT_MAX, NAME_MAX, NARRATIVE_MAX, REASON_MAX


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no timezone type and hands back naive values; this puts UTC back on
    them so comparisons and display never mix naive and aware datetimes.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: sa.Date(),
        # VARCHAR enums storing the values: no ALTER TYPE in migrations, readable rows.
        Enum: sa.Enum(Enum, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]),
    }


IntPK = Annotated[int, mapped_column(primary_key=True)]
CreatedAt = Annotated[datetime, mapped_column(default=utcnow)]

# Text of the lengths several features share (casework/limits.py): one line...
Str100 = Annotated[str, mapped_column(sa.String(NAME_MAX))]
Str200 = Annotated[str, mapped_column(sa.String(LINE_MAX))]

MAX_LENGTH = "max_length"


def limited(characters: int) -> dict[str, int]:
    """A ``Text`` column's ``info``: the longest text forms and services let into it.
    The database does not enforce it; ``max_length_of`` reads it."""
    return {MAX_LENGTH: characters}


# ... and free text.
ReasonText = Annotated[str, mapped_column(sa.Text, info=limited(REASON_MAX))]
LongText = Annotated[str, mapped_column(sa.Text, info=limited(LONG_TEXT_MAX))]
NarrativeText = Annotated[str, mapped_column(sa.Text, info=limited(NARRATIVE_MAX))]


def max_length_of(column: sa.Column[Any]) -> int | None:
    """The most characters a text column takes: its declared length, or the limit in its
    ``info``; None when it has neither."""
    length = getattr(column.type, "length", None)
    return length if length is not None else column.info.get(MAX_LENGTH)


# expire_on_commit=False: objects stay readable after the view commits and redirects.
session = scoped_session(sessionmaker(expire_on_commit=False))

# SQLite: a request that will write starts its transaction with BEGIN IMMEDIATE, so it
# waits for the write lock (busy_timeout) instead of failing on a lock upgrade.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


@contextmanager
def write_lock() -> Iterator[None]:
    """Transactions begun inside take the write lock from their start (SQLite)."""
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


class WriteWhileReading(Exception):
    """Something tried to write inside ``reading_only()``."""


# SQLite: a page that shows and records what it showed reads without the write lock and
# writes its records afterwards (casework/web.py, ``writes_on_get``). A write in between
# would have to upgrade the read transaction to a write one, which fails at once with
# "database is locked" when another connection has written since the read began; so a
# write there is refused, and the page runs again holding the lock from the start.
_reading: ContextVar[bool] = ContextVar("reading", default=False)


@contextmanager
def reading_only() -> Iterator[None]:
    """Inside, any flush with something to write and any INSERT, UPDATE or DELETE sent
    through the session raise ``WriteWhileReading`` before reaching the database."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def _no_flush_while_reading(*_args: Any) -> None:
    if _reading.get():
        raise WriteWhileReading()


def _no_write_statement_while_reading(state: ORMExecuteState) -> None:
    if _reading.get() and (state.is_insert or state.is_update or state.is_delete):
        raise WriteWhileReading()


event.listen(session, "before_flush", _no_flush_while_reading)
event.listen(session, "do_orm_execute", _no_write_statement_while_reading)


class local_day(sa.sql.functions.FunctionElement[date]):
    """The UK local date of a stored UTC time, in SQL, for ranking and grouping by day
    in the database: PostgreSQL converts with its own zone data; SQLite has no time
    zones, so it calls ``clock.local_date`` (registered on every connection)."""

    type = sa.Date()
    name = "local_day"
    inherit_cache = True


@compiles(local_day)
def _local_day_on_sqlite_call(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"local_day({compiler.process(element.clauses, **kw)})"


@compiles(local_day, "postgresql")
def _local_day_on_postgresql(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE '{ZONE.key}' AS DATE)"


def _local_day_on_sqlite(stored: str | None) -> str | None:
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored)
    return local_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


class later_by_hours(sa.sql.functions.FunctionElement[datetime]):
    """A stored UTC time plus a whole number of hours, in SQL (SQLite stores text)."""

    type = UTCDateTime()
    name = "later_by_hours"
    inherit_cache = True


@compiles(later_by_hours)
def _later_on_sqlite(element: later_by_hours, compiler: Any, **kw: Any) -> str:
    moment, hours = (compiler.process(clause, **kw) for clause in element.clauses)
    # The stored text's own format (microseconds: %f gives milliseconds, then 000).
    return f"strftime('%Y-%m-%d %H:%M:%f000', {moment}, '+' || {hours} || ' hours')"


@compiles(later_by_hours, "postgresql")
def _later_on_postgresql(element: later_by_hours, compiler: Any, **kw: Any) -> str:
    moment, hours = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} + make_interval(hours => {hours}))"


class null_or_not_before(sa.sql.functions.FunctionElement[bool]):
    """SQL truth of 'the column is NULL or not before the value', as a filter on rows read
    in another index's order. SQLite is kept from taking it for a range of an index on
    the column (a CASE hides the comparison); PostgreSQL is given the plain comparison,
    whose share of the rows it estimates from the column's statistics, where the CASE
    made it guess one row in two hundred and sort the whole range instead."""

    type = sa.Boolean()
    name = "null_or_not_before"
    inherit_cache = True


@compiles(null_or_not_before)
def _null_or_not_before_on_sqlite(element: null_or_not_before, compiler: Any, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(CASE WHEN {column} < {value} THEN 1 ELSE 0 END = 0)"


@compiles(null_or_not_before, "postgresql")
def _null_or_not_before_on_postgresql(element: null_or_not_before, compiler: Any, **kw: Any) -> str:
    column, value = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({column} IS NULL OR {column} >= {value})"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself below
        dbapi_connection.create_function("local_day", 1, _local_day_on_sqlite, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA secure_delete = ON")
            # Up to 16 MB of pages a connection, filled as they are read: the default 2 MB
            # is less than generating an agenda reads at county size, so each time it read
            # every page from the file again (docs/performance.md).
            cursor.execute("PRAGMA cache_size = -16384")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def make_engine(url: str) -> Engine:
    # Statement parameters are people's names and addresses: keep them out of the
    # messages of database errors, which end up in logs.
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 5}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    # No JIT compilation: it pays off on long analytical queries, not on pages of a few
    # milliseconds, and a misestimated cost triggered it on the case list's text search
    # at county size, adding 40 to 120 ms of compiling to a statement (docs/performance.md).
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args={"options": "-c jit=off"})


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["casework.engine"] = engine
    session.remove()
    session.configure(bind=engine)
    app.teardown_appcontext(lambda _exc: session.remove())


class Versioned(Protocol):
    version: int


def ensure_version(obj: Versioned, submitted: int) -> None:
    """Refuse an edit made from a page loaded before someone else's save."""
    if obj.version != submitted:
        raise EditConflict()


# Counts kept by the database for the partnership's figures (case_counts, action counts)
# are kept by "stretch": the UTC month a moment falls in, or that month's last hour on its
# own. A month or a quarter in Europe/London starts at local midnight, 00:00 UTC in winter
# and 23:00 UTC the day before in summer, so it is always made of whole stretches and the
# counts add up into it exactly. SQLite works the stretch out from the stored text ({at}:
# a column, as in NEW.opened_at); PostgreSQL calls this function.
SQLITE_STRETCH = (
    "CASE WHEN strftime('%Y-%m', substr({at}, 1, 19), '+1 hour') <> substr({at}, 1, 7)"
    " THEN substr({at}, 1, 13) || ':00:00.000000'"
    " ELSE substr({at}, 1, 7) || '-01 00:00:00.000000' END"
)
POSTGRESQL_STRETCH_FUNCTION = """CREATE FUNCTION month_stretch(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN date_trunc('month', (at AT TIME ZONE 'UTC') + interval '1 hour')
             <> date_trunc('month', at AT TIME ZONE 'UTC')
        THEN date_trunc('hour', at AT TIME ZONE 'UTC')
        ELSE date_trunc('month', at AT TIME ZONE 'UTC')
    END AT TIME ZONE 'UTC'
$$"""


# Indexes made by DDL that the models cannot state (trigram indexes on PostgreSQL, made by
# on_create and by their migration): autogenerate (``alembic check``) leaves them alone.
DDL_INDEXES: set[str] = set()


def not_made_by_ddl(_obj: object, name: str | None, type_: str, reflected: bool, _compare_to: object) -> bool:
    """For autogenerate's ``include_object``: everything but the DDL_INDEXES found in the database."""
    return not (type_ == "index" and reflected and name in DDL_INDEXES)


def monthly_count_triggers(
    counts: str, watched: str, *, stretch: str, at: str, keys: tuple[str, str]
) -> tuple[list[str], list[str]]:
    """The SQLite and PostgreSQL triggers that keep ``counts`` (a tally of ``watched``'s
    rows by the stretch of their ``at`` and two ``keys``) up to date in the transaction
    of every insert, update and delete of ``watched``. PostgreSQL's need
    month_stretch(), made with the cases' table."""
    first, second = keys
    add = f"""INSERT INTO {counts} ({stretch}, {first}, {second}, tally)
    VALUES ({SQLITE_STRETCH.format(at=f"NEW.{at}")}, NEW.{first}, NEW.{second}, 1)
    ON CONFLICT ({stretch}, {first}, {second}) DO UPDATE SET tally = tally + 1;"""  # nosec B608 - built from constants, no input
    take = f"""UPDATE {counts} SET tally = tally - 1
    WHERE {stretch} = {SQLITE_STRETCH.format(at=f"OLD.{at}")}
      AND {first} = OLD.{first} AND {second} = OLD.{second};"""  # nosec B608 - built from constants, no input
    sqlite = [
        f"CREATE TRIGGER {counts}_insert AFTER INSERT ON {watched} BEGIN {add} END",
        f"CREATE TRIGGER {counts}_delete AFTER DELETE ON {watched} BEGIN {take} END",
        f"""CREATE TRIGGER {counts}_update AFTER UPDATE OF {at}, {first}, {second} ON {watched}
BEGIN {take} {add} END""",
    ]
    postgresql = [
        f"""CREATE FUNCTION {counts}_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE {counts} SET tally = tally - 1
        WHERE {stretch} = month_stretch(OLD.{at}) AND {first} = OLD.{first} AND {second} = OLD.{second};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO {counts} ({stretch}, {first}, {second}, tally)
        VALUES (month_stretch(NEW.{at}), NEW.{first}, NEW.{second}, 1)
        ON CONFLICT ({stretch}, {first}, {second}) DO UPDATE SET tally = {counts}.tally + 1;
    END IF;
    RETURN NULL;
END $$""",  # nosec B608 - built from constants, no input
        f"""CREATE TRIGGER {counts}_kept AFTER INSERT OR DELETE OR UPDATE OF {at}, {first}, {second}
ON {watched} FOR EACH ROW EXECUTE FUNCTION {counts}_kept()""",
    ]
    return sqlite, postgresql


def on_create(table: sa.FromClause, *, sqlite: list[str], postgresql: list[str]) -> None:
    """Statements to run after ``table`` is made by create_all (benchmarks, throwaway
    databases); the migrations run the same ones."""
    for statement in sqlite:  # DDL formats with %: strftime's are doubled
        sa.event.listen(table, "after_create", sa.DDL(statement.replace("%", "%%")).execute_if(dialect="sqlite"))
    for statement in postgresql:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="postgresql"))
