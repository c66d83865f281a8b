"""Fixtures: every database test runs on SQLite and on PostgreSQL.

The schema comes from the real migrations, once per backend per session. Each test
runs inside an outer transaction that is rolled back, so tests never see each other.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from casework.extensions import limiter
from casework.models import User
from config import TestConfig
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["skip_logging_config"] = True  # leave pytest's log capture alone
    return config


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of each kind; PostgreSQL is a throwaway cluster on loopback."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'casework.sqlite'}"
        return
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as missing:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI: {missing}")
        pytest.skip(f"PostgreSQL not installed ({missing}); run `make test` to install it")


class SignedInClient(FlaskClient):
    """A test client already signed in as ``user``, as the sign-in form would leave it."""

    def __init__(self, *args: object, user: User | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if user is not None:
            with self.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["signed_in_at"] = session["last_seen"] = time.time()


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = create_app(TestConfig(database_url))
    app.test_client_class = SignedInClient
    migrations = alembic_config(database_url)
    command.upgrade(migrations, "head")
    yield app
    db.session.remove()
    app.extensions["casework.engine"].dispose()
    command.downgrade(migrations, "base")  # every downgrade runs once per backend


@pytest.fixture
def session(app: Flask) -> Iterator[object]:
    """An outer transaction per test; the code under test may commit (SAVEPOINTs only)."""
    engine = app.extensions["casework.engine"]
    limiter.reset()
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
