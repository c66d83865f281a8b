"""Datasets built once per size and backend, kept under `.bench/` (git-ignored), and a
fresh working copy of one for each run, so write paths never change the cache.

A cached dataset is keyed by the Alembic head and the builder's version: a new
migration or a change to the builder builds it again. It is also built again once a
week old, as its times are placed relative to the day it was built (clocks due soon,
actions overdue).
"""

import contextlib
import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from casework import create_app, db
from casework.clock import utcnow
from config import TestConfig
from tests.benchmarks.partnership.common import ROOT, alembic_head, analyse, migrate
from tests.benchmarks.partnership.dataset import BUILDER_VERSION, Size, build
from tests.support.postgres import kept_postgres

CACHE = ROOT / ".bench"
MAX_AGE = timedelta(days=7)


def cache_key() -> str:
    return hashlib.sha256(f"{alembic_head()}/{BUILDER_VERSION}".encode()).hexdigest()[:10]


def fill(url: str, size: Size) -> dict[str, object]:
    """Migrate the empty database at ``url`` and build the dataset in it."""
    started = time.perf_counter()
    migrate(url)
    app = create_app(TestConfig(url))
    with app.app_context():
        info = build(size)
        db.session.remove()
    engine = app.extensions["casework.engine"]
    began = time.perf_counter()
    analyse(engine)
    info["timings"]["analyse"] = time.perf_counter() - began  # type: ignore[index]
    engine.dispose()
    if engine.dialect.name == "sqlite":  # one file, to copy: the log folded back in
        with contextlib.closing(sqlite3.connect(str(engine.url.database))) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info["build_seconds"] = round(time.perf_counter() - started, 1)
    return info


def _fresh(info_file: Path) -> dict[str, object] | None:
    if not info_file.exists():
        return None
    info: dict[str, object] = json.loads(info_file.read_text())
    if utcnow() - datetime.fromisoformat(str(info["built_at"])) > MAX_AGE:
        return None
    return info


class SqliteCache:
    name = "sqlite"

    def __init__(self) -> None:
        self.directory = CACHE / "sqlite"
        self.directory.mkdir(parents=True, exist_ok=True)

    def dataset(self, size: Size, *, rebuild: bool) -> dict[str, object]:
        """The cached dataset's description, built first if needed."""
        stem = self.directory / f"{size.name}-{cache_key()}"
        info = None if rebuild else _fresh(stem.with_suffix(".json"))
        if info is not None and stem.with_suffix(".sqlite").exists():
            return info
        for old in self.directory.glob(f"{size.name}-*"):
            old.unlink()
        building = stem.with_suffix(".building")
        info = fill(f"sqlite:///{building}", size)
        building.rename(stem.with_suffix(".sqlite"))
        stem.with_suffix(".json").write_text(json.dumps(info, indent=1))
        return info

    def working_copy(self, size: Size) -> str:
        source = self.directory / f"{size.name}-{cache_key()}.sqlite"
        target = CACHE / "work" / f"{size.name}.sqlite"
        target.parent.mkdir(exist_ok=True)
        for leftover in target.parent.glob(f"{size.name}.sqlite*"):
            leftover.unlink()
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"


class PostgresCache:
    """Databases in a cluster kept under `.bench/postgresql/`; a working copy is made with
    CREATE DATABASE ... TEMPLATE (statistics and visibility map included)."""

    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.url = sa.make_url(server_url)

    def _execute(self, statement: str) -> None:
        with self.server.connect() as connection:
            connection.exec_driver_sql(statement)

    def _databases(self) -> set[str]:
        with self.server.connect() as connection:
            return set(connection.exec_driver_sql("SELECT datname FROM pg_database").scalars())

    def dataset(self, size: Size, *, rebuild: bool) -> dict[str, object]:
        name = f"bench_{size.name}_{cache_key()}"
        info_file = CACHE / f"postgresql-{name}.json"
        info = None if rebuild else _fresh(info_file)
        if info is not None and name in self._databases():
            return info
        for old in self._databases():
            if old.startswith(f"bench_{size.name}_"):
                self._execute(f'DROP DATABASE "{old}"')
        self._execute(f'CREATE DATABASE "{name}"')
        info = fill(self.url.set(database=name).render_as_string(hide_password=False), size)
        info_file.write_text(json.dumps(info, indent=1))
        return info

    def working_copy(self, size: Size) -> str:
        name = f"bench_{size.name}_{cache_key()}"
        work = f"work_{size.name}"
        self._execute(f'DROP DATABASE IF EXISTS "{work}"')
        self._execute(f'CREATE DATABASE "{work}" TEMPLATE "{name}"')
        return self.url.set(database=work).render_as_string(hide_password=False)

    def close(self) -> None:
        self.server.dispose()


@contextlib.contextmanager
def cache_for(backend: str) -> Iterator[SqliteCache | PostgresCache]:
    if backend == "sqlite":
        yield SqliteCache()
        return
    with kept_postgres(CACHE / "postgresql") as server_url:
        cache = PostgresCache(server_url)
        try:
            yield cache
        finally:
            cache.close()
