"""`flask casework notifications send` (one pass) and `... run` (the worker)."""

import logging

import pytest
from sqlalchemy import func, select

from casework import db
from casework.notifications.models import Notification, NotificationKind, NotificationStatus
from casework.notifications.outbox import notify
from tests.factories import make_user
from tests.support.mail import smtp_environment


@pytest.fixture
def run(app, session, monkeypatch):
    runner = app.test_cli_runner()

    def use(mailbox) -> None:
        for name, value in smtp_environment(mailbox).items():
            monkeypatch.setitem(app.config, name, int(value) if name == "SMTP_PORT" else value)

    def invoke(*args):
        return runner.invoke(args=["casework", "notifications", *args])

    invoke.use = use
    return invoke


def pending(count: int) -> None:
    user = make_user()
    for number in range(count):
        notify([user], NotificationKind.ACTION_ASSIGNED, link=f"/actions/{number}", reference=f"A-{number}")
    db.session.commit()


def sent() -> int:
    query = select(func.count()).select_from(Notification).where(Notification.status == NotificationStatus.SENT)
    return db.session.scalar(query)


def test_send_delivers_what_is_due_prints_counts_and_exits(run, mailbox):
    run.use(mailbox)
    pending(3)
    result = run("send")
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 3, to retry 0, failed 0, withdrawn 0.\n"
    assert (sent(), len(mailbox.received)) == (3, 3)


def test_send_keeps_to_its_limit(run, mailbox):
    run.use(mailbox)
    pending(3)
    assert run("send", "--limit", "2").output == "Sent 2, to retry 0, failed 0, withdrawn 0.\n"


def test_send_on_the_console_needs_no_configuration(run, caplog):
    pending(1)
    with caplog.at_level(logging.INFO, logger="casework.notifications"):
        result = run("send")
    assert result.exit_code == 0
    assert "Sent 1" in result.output
    assert "An action has been assigned" in caplog.text


def test_an_unknown_backend_is_refused_by_name(run, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_BACKEND", "pigeon")
    result = run("send")
    assert result.exit_code == 1
    assert "NOTIFY_BACKEND must be one of console, smtp, notify, not 'pigeon'" in result.output


def test_run_makes_passes_until_told_to_stop(run, mailbox):
    run.use(mailbox)
    pending(2)
    result = run("run", "--interval", "0", "--iterations", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Delivering notifications every 0 seconds; stop with SIGTERM or Ctrl-C.",
        "Sent 2, to retry 0, failed 0, withdrawn 0.",
        "Sent 0, to retry 0, failed 0, withdrawn 0.",
        "Stopped.",
    ]
    assert sent() == 2
