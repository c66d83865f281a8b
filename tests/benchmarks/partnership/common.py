"""Pieces every benchmark uses: migrating, inserting in batches, statistics, timing."""

import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[3]
BATCH = 5_000


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["skip_logging_config"] = True
    return config


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def alembic_head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return "+".join(sorted(heads))


def insert(connection: sa.Connection, table: sa.FromClause, rows: Iterable[Mapping[str, object]]) -> int:
    """Insert ``rows`` (any iterable of dicts with the same keys, read lazily) in batches;
    return how many. The values go through each column's own conversion, as an ORM
    insert's would, but straight to the driver's executemany: SQLAlchemy's per-row work
    costs more than the database's at millions of rows."""
    assert isinstance(table, sa.Table)  # a model's __table__
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    # The columns' Python-side defaults (server defaults the database fills in itself).
    defaults = [
        column
        for column in table.c
        if column.name not in first and column.default is not None and not column.primary_key
    ]
    columns = [table.c[name] for name in first] + defaults
    dialect = connection.dialect
    converters = [column.type._cached_bind_processor(dialect) for column in columns]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table.name} ({', '.join(column.name for column in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    plain = [converter is None for converter in converters]
    json_cache: dict[int, object] = {}

    def default(column: sa.Column[object]) -> object:
        made = column.default
        return made.arg(None) if made.is_callable else made.arg  # type: ignore[union-attr]

    def converted(row: Mapping[str, object]) -> tuple[object, ...]:
        values = []
        given = [*row.values(), *(default(column) for column in defaults)]
        for value, is_plain, converter, column in zip(given, plain, converters, columns, strict=True):
            if is_plain or value is None:
                values.append(value)
            elif isinstance(column.type, sa.JSON):
                key = id(value)  # the same few dicts and lists, shared by many rows
                if key not in json_cache:
                    json_cache[key] = converter(value)
                values.append(json_cache[key])
            else:
                values.append(converter(value))
        return tuple(values)

    count, batch = 0, [converted(first)]
    for row in iterator:
        batch.append(converted(row))
        if len(batch) == BATCH:
            connection.exec_driver_sql(statement, batch)
            count, batch = count + len(batch), []
    if batch:
        connection.exec_driver_sql(statement, batch)
    return count + len(batch)


def analyse(engine: sa.Engine) -> None:
    """What a production database has: statistics and (PostgreSQL) the visibility map
    that index-only scans rely on, as autovacuum leaves them."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def timed(call: Callable[[], object], count: int) -> list[float]:
    """The wall time of each of ``count`` calls, in milliseconds."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def p50(times: list[float]) -> float:
    return statistics.median(times)


def explain(engine: sa.Engine, call: Callable[[], object]) -> None:
    """Print the plan of every query ``call`` sends (EXPLAIN ANALYZE on PostgreSQL) and its
    time on its own (the fastest of 3 runs)."""
    sent: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as connection:
        for statement, parameters in sent:
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                connection.exec_driver_sql(statement, parameters).all()  # type: ignore[arg-type]
                runs.append((time.perf_counter() - started) * 1000)
            print(f"    {min(runs):8.2f} ms  " + " ".join(statement.split())[:150] + " ...")
            for row in connection.exec_driver_sql(prefix + statement, parameters):  # type: ignore[arg-type]
                print("        " + " | ".join(str(value) for value in row))
