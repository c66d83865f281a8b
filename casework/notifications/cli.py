"""`flask --app wsgi casework notifications schedule | send | run`: writing reminders and
digests, and delivering the outbox.

The command is the request here: it commits after each batch, as a view commits once."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from casework import db
from casework.clock import utcnow
from casework.notifications import backends, sender


@click.group("notifications")
def notifications() -> None:
    """E-mail and in-app notifications: reminders, digests and their delivery."""


def _settings() -> sender.Settings:
    config = current_app.config
    return sender.Settings(
        base_url=config["BASE_URL"],
        max_attempts=config["NOTIFY_MAX_ATTEMPTS"],
        retry_seconds=config["NOTIFY_RETRY_SECONDS"],
    )


def _one_pass(limit: int) -> sender.Counts:
    try:
        backend = backends.from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    try:
        return sender.send_pending(
            backend,
            _settings(),
            limit=limit,
            batch_size=current_app.config["NOTIFY_BATCH_SIZE"],
            after_batch=db.session.commit,
        )
    except BaseException:
        db.session.rollback()
        raise


def _say(counts: sender.Counts) -> None:
    click.echo(f"Sent {counts.sent}, to retry {counts.retrying}, failed {counts.failed}, withdrawn {counts.withdrawn}.")


@notifications.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=100_000, show_default=True, help="At most this many.")
@with_appcontext
def send(limit: int) -> None:
    """Deliver the notifications that are due, once, and stop (for cron or a timer)."""
    _say(_one_pass(limit))


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGTERM or SIGINT ends the loop after the batch in hand is recorded."""
    stop = threading.Event()

    def handler(_number: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


@notifications.command("run")
@click.option("--interval", type=click.FloatRange(min=0), default=None, help="Seconds between passes.")
@click.option("--iterations", type=click.IntRange(min=1), default=None, help="Stop after this many passes.")
@with_appcontext
def run(interval: float | None, iterations: int | None) -> None:
    """Keep delivering: a pass, a pause, and again, until SIGTERM or SIGINT."""
    pause = current_app.config["NOTIFY_WORKER_INTERVAL_SECONDS"] if interval is None else interval
    passes = 0
    click.echo(f"Delivering notifications every {pause:g} seconds; stop with SIGTERM or Ctrl-C.")
    with _stop_on_signals() as stop:
        while not stop.is_set():
            _say(_one_pass(current_app.config["NOTIFY_BATCH_SIZE"] * 20))
            passes += 1
            if iterations is not None and passes >= iterations:
                break
            stop.wait(pause)
    click.echo("Stopped.")


@notifications.command("schedule")
@with_appcontext
def schedule_notifications() -> None:
    """Write the reminders and daily digests due now (one pass; run it from cron every
    few minutes: running it again writes nothing twice)."""
    from casework.notifications.services import schedule

    try:
        settings = schedule.ScheduleSettings.from_config(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    made = schedule.run(utcnow(), settings)
    db.session.commit()
    click.echo(f"{made.total} notifications written.")
    for kind, count in sorted(made.counts.items()):
        click.echo(f"  {kind.value}: {count}")
