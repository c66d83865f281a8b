"""Writing notifications: a row per active recipient, in the caller's transaction, once
per occasion."""

import pytest
from sqlalchemy import func, select

from casework import db
from casework.notifications import outbox
from casework.notifications.models import Choice, Notification, NotificationKind, NotificationPreference
from tests.factories import make_user

pytestmark = pytest.mark.both_databases  # the rows, their keys and the transaction


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification))


def test_one_pending_row_per_active_recipient_however_often_listed(session):
    alice, bob, gone = make_user(), make_user(), make_user(active=False)
    rows = outbox.notify(
        [alice, bob, alice, gone], NotificationKind.ACTION_ASSIGNED, link="/actions/1", reference="A-1"
    )
    db.session.flush()
    assert sorted(row.user_id for row in rows) == sorted([alice.id, bob.id])
    assert {row.status.value for row in rows} == {"pending"}
    assert count() == 2


def test_the_same_occasion_is_told_once_per_recipient(session):
    alice, bob = make_user(), make_user()
    outbox.notify([alice], NotificationKind.CLOCK_DUE_SOON, link="/cases/C-1", key="clock:1:due-4h")
    db.session.flush()
    again = outbox.notify([alice, bob], NotificationKind.CLOCK_DUE_SOON, link="/cases/C-1", key="clock:1:due-4h")
    db.session.flush()
    assert [row.user_id for row in again] == [bob.id]
    assert count() == 2


def test_notifications_roll_back_with_the_event(session):
    alice = make_user()
    db.session.commit()
    outbox.notify([alice], NotificationKind.REFERRAL_DECIDED, link="/referrals/1")
    db.session.rollback()
    assert count() == 0


def test_a_user_chooses_per_kind_but_account_events_are_always_sent(session):
    alice = make_user()
    db.session.add_all(
        [
            NotificationPreference(user_id=alice.id, kind=NotificationKind.ACTION_DUE_SOON, choice=Choice.DIGEST),
            NotificationPreference(user_id=alice.id, kind=NotificationKind.ACCOUNT_CHANGED, choice=Choice.OFF),
        ]
    )
    db.session.flush()
    assert outbox.choice_for(alice.id, NotificationKind.ACTION_DUE_SOON) is Choice.DIGEST
    assert outbox.choice_for(alice.id, NotificationKind.ACTION_OVERDUE) is Choice.IMMEDIATELY
    assert outbox.choice_for(alice.id, NotificationKind.ACCOUNT_CHANGED) is Choice.IMMEDIATELY


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_has_words_and_a_choice_unless_it_is_always_sent(kind):
    from casework.notifications.wording import CHOICE_LABELS, SUBJECTS

    assert SUBJECTS[kind]
    assert (kind in CHOICE_LABELS) is not (kind.mandatory or kind is NotificationKind.DIGEST)
