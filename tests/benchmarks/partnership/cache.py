"""Datasets built once per size and backend, kept under `.bench/` (git-ignored), and a
fresh working copy of one for each run, so write paths never change the cache.

A cached dataset is keyed by the builder's version: a change to the builder builds it
again. A migration added since the build is applied to the cached dataset, as it would be
to a production database (a new index is built over the rows already there), and the
statistics are gathered again; if the cached dataset's revision is not in this tree's
history (another branch's migration), it is built again. It is also built again once a
week old, as its times are placed relative to the day it was built (clocks due soon,
actions overdue).
"""

import contextlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.util.exc import CommandError

from casework import create_app, db
from casework.clock import utcnow
from config import TestConfig
from tests.benchmarks.partnership.common import ROOT, alembic_head, analyse, migrate
from tests.benchmarks.partnership.dataset import BUILDER_VERSION, Size, build
from tests.support.postgres import kept_postgres

CACHE = ROOT / ".bench"
MAX_AGE = timedelta(days=7)


def cache_key() -> str:
    return f"v{BUILDER_VERSION}"


def _revision(url: str) -> str | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.DBAPIError:
        return None
    finally:
        engine.dispose()


def brought_up_to_date(url: str, info: dict[str, object]) -> bool:
    """Apply the migrations added since the dataset at ``url`` was built; False if its
    revision is unknown here (or it cannot be upgraded), to build it again. The revision
    is read from the dataset itself: ``info`` only records it (a copied or restored
    description can claim a revision the database is not at)."""
    head, revision = alembic_head(), _revision(url)
    if revision == head:
        info["alembic_head"] = head
        return True
    try:
        migrate(url)
    except CommandError:
        return False
    engine = sa.create_engine(url)
    try:
        analyse(engine)
    finally:
        engine.dispose()
    migrations = info.setdefault("migrations", [])
    assert isinstance(migrations, list)
    migrations.append({"from": revision, "at": utcnow().isoformat()})
    info["alembic_head"] = head
    return True


def fill(url: str, size: Size) -> dict[str, object]:
    """Migrate the empty database at ``url`` and build the dataset in it."""
    started = time.perf_counter()
    migrate(url)
    app = create_app(TestConfig(url))
    with app.app_context():
        info = build(size)
        db.session.remove()
    info["alembic_head"] = alembic_head()
    engine = app.extensions["casework.engine"]
    began = time.perf_counter()
    analyse(engine)
    info["timings"]["analyse"] = time.perf_counter() - began  # type: ignore[index]
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _checkpoint(Path(str(engine.url.database)))
    info["build_seconds"] = round(time.perf_counter() - started, 1)
    return info


def _checkpoint(path: Path) -> None:
    """One file, to copy: SQLite's write-ahead log folded back in."""
    with contextlib.closing(sqlite3.connect(str(path))) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


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
        if info is not None and stem.with_suffix(".sqlite").exists() and self._up_to_date(stem, info):
            return info
        for old in self.directory.glob(f"{size.name}-*"):
            old.unlink()
        building = stem.with_suffix(".building")
        info = fill(f"sqlite:///{building}", size)
        building.rename(stem.with_suffix(".sqlite"))
        stem.with_suffix(".json").write_text(json.dumps(info, indent=1))
        return info

    @staticmethod
    def _up_to_date(stem: Path, info: dict[str, object]) -> bool:
        """Migrate a copy and put it in place, so a failed upgrade leaves the cache whole."""
        head = alembic_head()
        if _revision(f"sqlite:///{stem.with_suffix('.sqlite')}") == head:  # no copy needed
            info["alembic_head"] = head
            return True
        upgrading = stem.with_suffix(".upgrading")
        shutil.copyfile(stem.with_suffix(".sqlite"), upgrading)
        if not brought_up_to_date(f"sqlite:///{upgrading}", info):
            upgrading.unlink()
            return False
        _checkpoint(upgrading)
        upgrading.rename(stem.with_suffix(".sqlite"))
        stem.with_suffix(".json").write_text(json.dumps(info, indent=1))
        return True

    def working_copy(self, size: Size, name: str = "") -> str:
        """A copy of ``size``'s dataset, named ``name`` (by default the size's)."""
        name = name or size.name
        source = self.directory / f"{size.name}-{cache_key()}.sqlite"
        target = CACHE / "work" / f"{name}.sqlite"
        target.parent.mkdir(exist_ok=True)
        for leftover in target.parent.glob(f"{name}.sqlite*"):
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
            if brought_up_to_date(self._url_of(name), info):
                info_file.write_text(json.dumps(info, indent=1))
                return info
        for old in self._databases():
            if old.startswith(f"bench_{size.name}_"):
                self._execute(f'DROP DATABASE "{old}"')
        self._execute(f'CREATE DATABASE "{name}"')
        info = fill(self._url_of(name), size)
        info_file.write_text(json.dumps(info, indent=1))
        return info

    def working_copy(self, size: Size, name: str = "") -> str:
        """A copy of ``size``'s dataset, named ``name`` (by default the size's)."""
        source = f"bench_{size.name}_{cache_key()}"
        work = f"work_{name or size.name}"
        self._execute(f'DROP DATABASE IF EXISTS "{work}"')
        self._execute(f'CREATE DATABASE "{work}" TEMPLATE "{source}"')
        return self._url_of(work)

    def _url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

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
