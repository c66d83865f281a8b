"""Fixtures: the database each test runs on, and the instant it runs at.

A test whose behaviour depends on the database (SQL in services, visibility clauses,
migrations, constraints and triggers, concurrency, query counts) is marked
``both_databases`` and runs on SQLite and on PostgreSQL. Any other test that needs a
database runs once, on SQLite; the browser tests run once, on PostgreSQL, as production
does. See docs/testing.md.

The schema comes from the real migrations, once per backend per session (per worker
under pytest-xdist). Each test runs inside an outer transaction that is rolled back, so
tests never see each other.

Time is pinned: every test but the browser tests starts at the same instant (``--now``,
by default ``DEFAULT_NOW``) and time moves on from there, so no test reads the
machine's clock. Tests marked ``calendar`` run again at each of ``CALENDAR_INSTANTS``:
the first of a month, a leap day, both clock changes and the turn of the year. Those
extra instants run on one backend (the first of the test's), which keeps their cost down:
the calendar arithmetic is Python's, and the SQL around it is checked on both backends
at ``--now``.
"""

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from casework.accounts.models import User
from casework.accounts.services import passwords
from casework.clock import timestamp
from casework.session_store import bind_to_user
from config import TestConfig
from tests.factories import make_agency
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

# argon2id at its real cost is most of the time of every test that signs in through the
# form or changes a password; tests/accounts/test_passwords.py checks the real cost.
passwords.lower_cost_for_tests()

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

# An ordinary Wednesday morning, after every fixed date the tests use as the past.
DEFAULT_NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# Where calendar arithmetic goes wrong if it is going to.
CALENDAR_INSTANTS = {
    "first-of-march": datetime(2027, 3, 1, 10, 0, tzinfo=UTC),
    "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "before-clocks-go-forward": datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
    "after-clocks-go-forward": datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
    "first-of-the-repeated-hour": datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
    "second-of-the-repeated-hour": datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    "new-years-eve": datetime(2027, 12, 31, 23, 30, tzinfo=UTC),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--now",
        type=datetime.fromisoformat,
        default=DEFAULT_NOW,
        help="the instant every test starts at (ISO 8601 with an offset); default %(default)s",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "calendar: runs again at each of CALENDAR_INSTANTS")
    config.addinivalue_line(
        "markers", "both_databases: depends on the database's behaviour, so runs on SQLite and on PostgreSQL"
    )
    config.addinivalue_line("markers", "postgresql_only: tests what only PostgreSQL does (row locks: SKIP LOCKED)")
    # Module-level values computed while tests are collected see the pinned instant too.
    config.stash[_COLLECTION_CLOCK] = time_machine.travel(config.getoption("now"), tick=False)
    config.stash[_COLLECTION_CLOCK].start()


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[_COLLECTION_CLOCK].stop()


def backends_for(definition: pytest.Function) -> list[str]:
    """The databases a test runs on: the first one also takes its calendar instants."""
    if definition.get_closest_marker("both_databases"):
        return ["sqlite", "postgresql"]
    if definition.get_closest_marker("browser") or definition.get_closest_marker("postgresql_only"):
        return ["postgresql"]
    return ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test's runs: (backend, instant) pairs, the calendar instants on the first
    backend only. Session scope lets pytest group the runs by backend, so each database
    is built once per worker."""
    now = metafunc.config.getoption("now")
    instants = [("now", now)]
    if metafunc.definition.get_closest_marker("calendar"):
        instants += CALENDAR_INSTANTS.items()
    if "database_url" not in metafunc.fixturenames:
        if len(instants) > 1:
            metafunc.parametrize(
                "pinned_now", [at for _, at in instants], ids=[name for name, _ in instants], indirect=True
            )
        return
    first, *others = backends_for(metafunc.definition)
    runs = [pytest.param(first, at, id=f"{first}-{name}" if len(instants) > 1 else first) for name, at in instants]
    runs += [pytest.param(backend, now, id=f"{backend}-now" if len(instants) > 1 else backend) for backend in others]
    metafunc.parametrize(("database_url", "pinned_now"), runs, indirect=True, scope="session")


_COLLECTION_CLOCK = pytest.StashKey[time_machine.travel]()


@pytest.fixture(autouse=True)
def pinned_now(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """The instant the test starts at; the browser tests keep the real clock, which
    Chromium's cookie expiry follows."""
    if request.node.get_closest_marker("browser"):
        yield None
        return
    instant = getattr(request, "param", request.config.getoption("now"))
    with time_machine.travel(instant, tick=True):
        yield instant


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["skip_logging_config"] = True  # leave pytest's log capture alone
    return config


class Backends:
    """Each backend's database and migrated app, made once per pytest-xdist worker and kept
    until the end of the session. Tests of one backend and the other arrive in any order
    under xdist; a session fixture parametrised by backend is torn down at every switch,
    and a throwaway PostgreSQL cluster, migrations up and down, cost seconds each time."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._urls: dict[str, str] = {}
        self._apps: dict[str, Flask] = {}
        self._open = contextlib.ExitStack()

    def url(self, backend: str) -> str:
        if backend not in self._urls:
            if backend == "sqlite":
                self._urls[backend] = f"sqlite:///{self._tmp.mktemp('sqlite') / 'casework.sqlite'}"
            else:
                self._urls[backend] = os.environ.get("TEST_DATABASE_URL") or self._open.enter_context(
                    throwaway_postgres()
                )
        return self._urls[backend]

    def app(self, database_url: str) -> Flask:
        if database_url not in self._apps:
            app = create_app(TestConfig(database_url))
            app.test_client_class = SignedInClient
            migrations = alembic_config(database_url)
            command.upgrade(migrations, "head")
            self._open.callback(self._downgrade, app, migrations)
            self._apps[database_url] = app
        return self._apps[database_url]

    @staticmethod
    def _downgrade(app: Flask, migrations: AlembicConfig) -> None:
        db.session.remove()
        app.extensions["casework.engine"].dispose()
        command.downgrade(migrations, "base")  # every downgrade runs once per backend

    def close(self) -> None:
        self._open.close()


@pytest.fixture(scope="session")
def backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    made = Backends(tmp_path_factory)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, backends: Backends) -> str:
    """An empty database of the kind the test runs on (see ``backends_for``); PostgreSQL is
    a throwaway cluster on loopback, one per pytest-xdist worker."""
    try:
        return backends.url(request.param)
    except PostgresUnavailable as missing:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {missing}")
        pytest.skip(f"PostgreSQL not installed ({missing}); run `make test` to install it")


class SignedInClient(FlaskClient):
    """A test client already signed in as ``user``, as the sign-in form would leave it."""

    def __init__(self, *args: object, user: User | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if user is not None:
            # Flask-Login's mark of the browser (address and user agent) that signed in.
            with self.application.test_request_context(environ_base=self.environ_base):
                browser = self.application.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
            with self.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["_id"] = browser
                session["csrf_token"] = secrets.token_hex(20)  # made at sign-in, as start_session does
                session["signed_in_at"] = session["last_seen"] = timestamp()
                bind_to_user(session, user.id)


@pytest.fixture(scope="session")
def app(database_url: str, backends: Backends) -> Iterator[Flask]:
    yield backends.app(database_url)
    db.session.remove()


@pytest.fixture
def session(app: Flask) -> Iterator[object]:
    """An outer transaction per test; the code under test may commit (SAVEPOINTs only)."""
    engine = app.extensions["casework.engine"]
    with engine.connect() as connection:
        outer = connection.begin()
        db.session.remove()
        db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            # No app context is held open here: each request gets its own, as in
            # production, so nothing (such as the signed-in user) leaks between requests.
            yield db.session
        finally:
            db.session.remove()
            db.session.configure(bind=engine)
            outer.rollback()


@pytest.fixture
def client(app: Flask, session: object) -> FlaskClient:
    """A signed-out visitor."""
    return app.test_client()


@pytest.fixture
def client_as(app: Flask, session: object) -> Callable[[User], FlaskClient]:
    return lambda user: app.test_client(user=user)


# The two agencies most tests need: the council that leads and the police involved.
@pytest.fixture
def council(session):
    return make_agency(name="Fenland District Council")


@pytest.fixture
def police(session):
    return make_agency(name="Cambridgeshire Constabulary")
