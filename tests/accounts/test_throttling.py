"""Sign-in throttling counted in the database: every process and server sees the same
failures, a window passes, and the count keeps no typed address."""

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from alembic import command
from flask import Flask

from casework import create_app, db
from casework.accounts.models import SignInFailure
from casework.accounts.services.throttle import Rate
from casework.clock import utcnow
from casework.permissions import Role
from config import TestConfig
from tests import factories
from tests.conftest import ROOT, SignedInClient, alembic_config
from tests.factories import make_user
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
THROTTLED = "Too many failed attempts to sign in. Wait 5 minutes and try again."
WRONG = "wrong guess number x"


def sign_in(client, email, password=factories.PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def failures():
    return list(db.session.scalars(sa.select(SignInFailure).order_by(SignInFailure.id)))


# --- Shared by every process -----------------------------------------------------------


def test_two_apps_over_one_database_share_the_count(app, session, database_url):
    """Two workers, as gunicorn runs them: each its own app, one database."""
    assert app.config["SIGN_IN_RATE_LIMIT"] == "5 per 5 minutes"
    bound = db.session.session_factory.kw.get("bind")
    other = create_app(TestConfig(database_url))
    # create_app pointed the shared session at a new engine: back to this test's transaction.
    other.extensions["casework.engine"].dispose()
    db.session.remove()
    db.session.configure(bind=bound)
    user = make_user()
    first, second = app.test_client(), other.test_client()
    statuses = [sign_in(worker, user.email, WRONG).status_code for worker in (first, second, first, second, first)]
    assert statuses == [400] * 5
    for worker in (second, first):
        refused = sign_in(worker, user.email)  # even the right password
        assert refused.status_code == 429
        assert THROTTLED in refused.text


@pytest.fixture
def committed_app(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """An app on a database of its own whose requests really commit, and its URL, for a
    second process to use."""
    previous_bind = db.session.session_factory.kw.get("bind")
    with fresh_database(database_url, tmp_path, prefix="casework_throttling") as url:
        command.upgrade(alembic_config(url), "head")
        app = create_app(TestConfig(url))
        app.test_client_class = SignedInClient
        try:
            yield app, url
        finally:
            db.session.remove()
            app.extensions["casework.engine"].dispose()
            db.session.configure(bind=previous_bind)


ANOTHER_PROCESS = """
import sys
from datetime import datetime

import time_machine

from casework import create_app
from config import TestConfig

url, email, attempts, now = sys.argv[1], sys.argv[2], int(sys.argv[3]), datetime.fromisoformat(sys.argv[4])
time_machine.travel(now, tick=True).start()  # the instant the test runs at, as this process
client = create_app(TestConfig(url)).test_client()
data = {"email": email, "password": "wrong guess number x"}
print(" ".join(str(client.post("/sign-in", data=data).status_code) for _ in range(attempts)))
"""


def wrong_passwords_from_another_process(url: str, email: str, attempts: int) -> list[int]:
    output = subprocess.run(
        [sys.executable, "-c", ANOTHER_PROCESS, url, email, str(attempts), utcnow().isoformat()],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CASEWORK_ENV": "test"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [int(status) for status in output.split()]


def test_wrong_passwords_in_another_process_count_here_too(committed_app):
    app, url = committed_app
    with app.app_context():
        email = make_user().email
    assert wrong_passwords_from_another_process(url, email, 3) == [400] * 3
    here = app.test_client()
    assert [sign_in(here, email, WRONG).status_code for _ in range(2)] == [400, 400]
    assert sign_in(here, email).status_code == 429
    assert wrong_passwords_from_another_process(url, email, 1) == [429]


# --- A window, not a lock-out ----------------------------------------------------------


def test_failures_older_than_the_window_no_longer_count(client):
    user = make_user()
    for _attempt in range(5):
        sign_in(client, user.email, WRONG)
    assert sign_in(client, user.email).status_code == 429
    with time_machine.travel(utcnow() + timedelta(minutes=5, seconds=1), tick=True):
        assert sign_in(client, user.email).status_code == 302


def test_old_failures_are_forgotten_and_no_typed_address_is_kept(client):
    user = make_user()
    sign_in(client, "Someone.Typed@Example.test", WRONG)
    sign_in(client, user.email, WRONG)
    [typed, real] = failures()
    assert {typed.kind, real.kind} == {"sign_in"}
    assert typed.client == real.client == "127.0.0.1"
    assert all("@" not in row.account and len(row.account) == 64 for row in (typed, real))
    old = SignInFailure(at=typed.at - timedelta(hours=1), kind="sign_in", account="0" * 64, client="192.0.2.1")
    db.session.add(old)
    db.session.commit()
    sign_in(client, user.email, WRONG)
    assert [row.account for row in failures()] == [typed.account, real.account, real.account]


def test_wrong_codes_are_counted_in_the_database_too(client):
    user = make_user(role=Role.ADMIN)
    user.totp_secret, user.totp_enrolled_at = SECRET, utcnow()
    db.session.commit()
    sign_in(client, user.email)
    assert client.post("/sign-in/two-factor", data={"code": "not-a-code"}).status_code == 400
    [row] = failures()
    assert row.kind == "code" and row.account != SECRET


# --- The settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "window"),
    [
        ("5 per 5 minutes", 5, timedelta(minutes=5)),
        ("30 per 5 minutes", 30, timedelta(minutes=5)),
        ("10/hour", 10, timedelta(hours=1)),
        (" 3 per minute ", 3, timedelta(minutes=1)),
        ("100 per 1 day", 100, timedelta(days=1)),
    ],
)
def test_rates_read_as_written_in_the_settings(text, count, window):
    assert Rate.parse(text) == Rate(count, window)


@pytest.mark.parametrize("text", ["", "five per minute", "0 per minute", "5 per 0 minutes", "5 per fortnight"])
def test_a_limit_that_cannot_be_read_stops_the_app_starting(text):
    settings = TestConfig()
    settings.SIGN_IN_IP_RATE_LIMIT = text  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="SIGN_IN_IP_RATE_LIMIT"):
        create_app(settings)
