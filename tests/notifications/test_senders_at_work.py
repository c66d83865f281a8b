"""Senders as an operator runs them: `flask casework notifications send` and `run` in
processes of their own, against a database of their own and the SMTP server on
loopback. A sender killed mid-batch loses nothing (what it sent but did not record goes
again, with the same Message-ID); the worker stops cleanly on SIGTERM; on PostgreSQL two
senders at once send each notification exactly once."""

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import func, select

from casework import create_app, db
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.notifications.outbox import notify
from config import TestConfig
from tests.conftest import ROOT, alembic_config
from tests.factories import make_user
from tests.support.databases import fresh_database
from tests.support.mail import Mailbox, smtp_environment

# The subprocesses read the machine's clock: rows due long ago are due for them too.
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def own_app(database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """An app on a fresh database whose commits are real, for other processes to see."""
    previous_bind = db.session.session_factory.kw.get("bind")
    with fresh_database(database_url, tmp_path, prefix="casework_senders") as url:
        command.upgrade(alembic_config(url), "head")
        app = create_app(TestConfig(url))
        try:
            yield app, url
        finally:
            db.session.remove()
            app.extensions["casework.engine"].dispose()
            db.session.configure(bind=previous_bind)


def pending(app: Flask, count: int) -> set[int]:
    with app.app_context():
        users = [make_user() for _ in range(4)]
        rows = [
            row
            for number in range(count)
            for row in notify([users[number % 4]], NotificationKind.ACTION_ASSIGNED, link=f"/actions/{number}")
        ]
        for row in rows:
            row.next_attempt_at = LONG_AGO
        db.session.commit()
        return {row.id for row in rows}


def sender(url: str, mailbox: Mailbox, *args: str, batch: int = 10) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        **smtp_environment(mailbox),
        "CASEWORK_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "NOTIFY_BATCH_SIZE": str(batch),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "casework", "notifications", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def statuses(app: Flask) -> Counter:
    with app.app_context():
        query = select(Notification.status, func.count()).group_by(Notification.status)
        found = Counter(dict(db.session.execute(query).all()))
        db.session.remove()
        return found


def expected_ids(ids: set[int]) -> set[str]:
    return {f"<casework-notification-{number}@casework.example.test>" for number in ids}


@pytest.mark.both_databases
def test_a_sender_killed_mid_batch_loses_nothing_and_its_repeats_are_recognisable(own_app, mailbox):
    app, url = own_app
    ids = pending(app, 80)
    mailbox.delay = 0.02
    killed = sender(url, mailbox, "send", batch=25)
    wait_for(lambda: len(mailbox.received) >= 35)  # inside the second batch
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=30)
    assert statuses(app)[NotificationStatus.SENT] in range(25, 80)  # what it recorded before dying
    mailbox.delay = 0
    again = sender(url, mailbox, "send", batch=25)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert statuses(app) == Counter({NotificationStatus.SENT: 80})
    received = mailbox.message_ids()
    assert set(received) == expected_ids(ids)  # every one delivered, each with its own id
    repeats = len(received) - len(set(received))
    assert repeats <= 25  # at most the batch it was killed in
    assert out.startswith("Sent ")


@pytest.mark.postgresql_only
def test_two_senders_at_once_send_each_notification_exactly_once(own_app, mailbox):
    app, url = own_app
    ids = pending(app, 200)
    mailbox.delay = 0.002
    senders = [sender(url, mailbox, "send", batch=10) for _ in range(2)]
    outputs = [process.communicate(timeout=180) for process in senders]
    assert [process.returncode for process in senders] == [0, 0], [err for _, err in outputs]
    received = mailbox.message_ids()
    assert sorted(received) == sorted(expected_ids(ids))  # no repeats
    assert all(out.startswith("Sent ") for out, _ in outputs)
    assert statuses(app) == Counter({NotificationStatus.SENT: 200})


def test_the_worker_stops_cleanly_on_sigterm(own_app, mailbox):
    app, url = own_app
    pending(app, 5)
    worker = sender(url, mailbox, "run", "--interval", "0.2")
    wait_for(lambda: len(mailbox.received) == 5)
    wait_for(lambda: statuses(app)[NotificationStatus.SENT] == 5)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert out.splitlines()[-1] == "Stopped."
