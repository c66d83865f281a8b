"""The demo partnership, loaded once per worker at each instant, and copied for each test.

Loading the demo through the services takes seconds; copying the loaded database with
SQLite's backup API takes milliseconds. So each (instant the demo is placed at, instant
the clock shows) is loaded once, as `flask casework demo` loads it (in an app context,
then committed), into a database of its own, and every test that asks for that load gets
its own copy: what one test writes, no other test sees.
"""

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from casework import db
from casework.demo import load_demo


class DemoLoads:
    """One loaded demo database per (demo's now, pinned instant), made on first use. Kept
    by an unparametrised session fixture, so that it outlives the switches between
    backends that pytest-xdist makes a worker go through (see ``Backends``)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._loads: dict[tuple[str, datetime, datetime], Path] = {}

    def loaded(self, app: Flask, now: datetime, clock: datetime) -> Path:
        url = make_url(app.config["DATABASE_URL"])
        if url.get_backend_name() != "sqlite":
            raise AssertionError("the demo's tests run on SQLite (copies are made with its backup API)")
        key = (str(url), now, clock)
        if key not in self._loads:
            path = self._directory / f"demo-{len(self._loads)}.sqlite"
            _copy(Path(url.database or ""), path)  # the worker's migrated schema, empty outside a test
            self._load(app, path, now)
            self._loads[key] = path
        return self._loads[key]

    @staticmethod
    def _load(app: Flask, path: Path, now: datetime) -> None:
        engine = db.make_engine(f"sqlite:///{path}")
        db.session.remove()
        db.session.configure(bind=engine)
        try:
            with app.app_context():
                assert load_demo(now=now), "the demo was already there"
                db.session.commit()
        finally:
            db.session.remove()
            db.session.configure(bind=app.extensions["casework.engine"])
            engine.dispose()


def _copy(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing)


@pytest.fixture(scope="session")
def demo_loads(tmp_path_factory: pytest.TempPathFactory) -> DemoLoads:
    return DemoLoads(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def demo(app: Flask, demo_loads: DemoLoads, pinned_now: datetime, tmp_path: Path) -> Iterator[Callable[..., datetime]]:
    """``demo(now=None)`` binds the session to a copy of the demo loaded at ``now`` (by
    default the instant the test starts at) and returns ``now``. As under ``session``,
    the test runs inside an outer transaction that is rolled back."""
    opened = contextlib.ExitStack()
    path = tmp_path / "demo.sqlite"

    def copy(now: datetime | None = None) -> datetime:
        assert not path.exists(), "one copy of the demo per test"
        now = now or pinned_now
        _copy(demo_loads.loaded(app, now, pinned_now), path)
        engine = db.make_engine(f"sqlite:///{path}")
        opened.callback(engine.dispose)
        connection = opened.enter_context(engine.connect())
        opened.callback(connection.begin().rollback)
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        return now

    try:
        yield copy
    finally:
        db.session.remove()
        db.session.configure(bind=app.extensions["casework.engine"])
        opened.close()
