"""Daily digests: once per user per local day, at the digest time in Europe/London
(07:30 by default), gathering the rows of the kinds the user chose to get as a digest.

The rows gathered and the keys that make one digest a day are SQL: both databases."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from casework import db
from casework.clock import local_date, to_utc, utcnow
from casework.notifications import outbox
from casework.notifications.models import (
    Choice,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
)
from casework.notifications.services import digests, schedule
from tests.factories import make_user

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

K = NotificationKind
AT = time(7, 30)


def choose(user, kind, choice=Choice.DIGEST):
    db.session.add(NotificationPreference(user_id=user.id, kind=kind, choice=choice))
    db.session.flush()


def write(user, kind, at: datetime, key: str) -> Notification:
    with time_machine.travel(at, tick=False):
        (row,) = outbox.notify([user], kind, link="/actions/1", key=key)
        db.session.flush()
    return row


def run_at(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        made = schedule.run(at, schedule.ScheduleSettings())
        db.session.flush()
    return made.counts.get(K.DIGEST, 0)


def digests_of(user) -> list[Notification]:
    return list(
        db.session.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == K.DIGEST))
    )


def digest_time_on(day: date) -> datetime:
    return to_utc(day, AT)


def test_one_digest_a_day_gathers_the_chosen_kinds(session):
    alice = make_user()
    choose(alice, K.ACTION_DUE_SOON)
    choose(alice, K.ACTION_OVERDUE, Choice.OFF)
    day = local_date(utcnow()) + timedelta(days=1)
    due = digest_time_on(day)
    gathered = [write(alice, K.ACTION_DUE_SOON, due - timedelta(hours=hours), f"a:{hours}") for hours in (1, 20)]
    immediate = write(alice, K.ACTION_ASSIGNED, due - timedelta(hours=1), "b")
    off = write(alice, K.ACTION_OVERDUE, due - timedelta(hours=1), "c")

    assert run_at(due - timedelta(minutes=1)) == 0
    assert digests_of(alice) == []
    assert run_at(due + timedelta(minutes=3)) == 1
    (digest,) = digests_of(alice)
    assert (digest.status, digest.link, digest.dedupe_key) == (
        NotificationStatus.PENDING,
        "/notifications",
        f"digest:{day.isoformat()}:{alice.id}",
    )
    for row in gathered:
        db.session.refresh(row)
        assert (row.status, row.digest_id) == (NotificationStatus.DIGESTED, digest.id)
    for row in (immediate, off):  # not chosen as a digest: left to the sender
        db.session.refresh(row)
        assert (row.status, row.digest_id) == (NotificationStatus.PENDING, None)
    assert run_at(due + timedelta(hours=2)) == 0


def test_rows_written_after_the_digest_time_wait_for_the_next_day(session):
    alice = make_user()
    choose(alice, K.CLOCK_DUE_SOON)
    day = local_date(utcnow()) + timedelta(days=1)
    due = digest_time_on(day)
    write(alice, K.CLOCK_DUE_SOON, due - timedelta(hours=1), "early")
    run_at(due + timedelta(minutes=1))
    late = write(alice, K.CLOCK_DUE_SOON, due + timedelta(hours=1), "late")
    assert run_at(due + timedelta(hours=2)) == 0  # no second digest today
    assert run_at(digest_time_on(day + timedelta(days=1)) + timedelta(minutes=1)) == 1
    db.session.refresh(late)
    assert late.status is NotificationStatus.DIGESTED
    assert len(digests_of(alice)) == 2


def test_a_row_written_after_the_digest_time_makes_no_digest_that_day(session):
    alice = make_user()
    choose(alice, K.ACTION_ASSIGNED)
    day = local_date(utcnow()) + timedelta(days=1)
    assert run_at(digest_time_on(day) + timedelta(minutes=1)) == 0  # nothing waiting at 07:30
    write(alice, K.ACTION_ASSIGNED, digest_time_on(day) + timedelta(hours=2), "after")
    assert run_at(digest_time_on(day) + timedelta(hours=2, minutes=5)) == 0
    assert run_at(digest_time_on(day + timedelta(days=1))) == 1


def test_a_scheduler_that_missed_the_digest_time_makes_it_at_its_next_pass(session):
    alice = make_user()
    choose(alice, K.REFERRAL_MADE)
    day = local_date(utcnow()) + timedelta(days=1)
    write(alice, K.REFERRAL_MADE, digest_time_on(day) - timedelta(hours=1), "r")
    assert run_at(digest_time_on(day) + timedelta(hours=5)) == 1


def test_no_digest_for_a_deactivated_user_nor_of_account_events(session):
    gone, bob = make_user(), make_user()
    choose(gone, K.ACTION_DUE_SOON)
    choose(bob, K.ACCOUNT_CHANGED)  # not offered: account events are always sent
    day = local_date(utcnow()) + timedelta(days=1)
    write(gone, K.ACTION_DUE_SOON, digest_time_on(day) - timedelta(hours=1), "g")
    account = write(bob, K.ACCOUNT_CHANGED, digest_time_on(day) - timedelta(hours=1), "p")
    gone.active = False
    db.session.flush()
    assert run_at(digest_time_on(day) + timedelta(minutes=1)) == 0
    db.session.refresh(account)
    assert account.digest_id is None


# The clocks change on these local days: 07:30 is 06:30 UTC in summer time, 07:30 UTC in winter.
@pytest.mark.parametrize(
    "day, digest_at",
    [
        (date(2027, 3, 28), datetime(2027, 3, 28, 6, 30, tzinfo=UTC)),  # forward at 01:00 UTC
        (date(2027, 10, 31), datetime(2027, 10, 31, 7, 30, tzinfo=UTC)),  # back at 01:00 UTC
    ],
    ids=["clocks-go-forward", "clocks-go-back"],
)
def test_the_digest_is_at_0730_local_on_the_day_the_clocks_change(session, day, digest_at):
    alice = make_user()
    choose(alice, K.ACTION_OVERDUE)
    assert digests.digest_instant(day, AT) == digest_at
    write(alice, K.ACTION_OVERDUE, digest_at - timedelta(hours=7), "x")
    assert run_at(digest_at - timedelta(minutes=1)) == 0
    assert run_at(digest_at) == 1
    assert digests_of(alice)[0].dedupe_key == f"digest:{day.isoformat()}:{alice.id}"


def test_a_digest_time_the_clocks_skip_is_taken_an_hour_later():
    assert digests.digest_instant(date(2027, 3, 28), time(1, 30)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert digests.digest_instant(date(2027, 10, 31), time(1, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
