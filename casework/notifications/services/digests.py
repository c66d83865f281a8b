"""Daily digests (docs/notifications.md, "Reminders and digests").

A user who chose "in a daily digest" for a kind has its notifications written like any
other (pending), and the sender leaves them waiting. Once a day, at the first pass of
the scheduler at or after the digest time (local), each user with waiting rows gets one
DIGEST notification; the rows it lists point to it (`digest_id`) and become DIGESTED,
so they are never sent on their own.
"""

from collections import defaultdict
from datetime import date, datetime, time

from sqlalchemy import select, update

from casework import db
from casework.accounts.models import User
from casework.clock import NonexistentTime, local_date, to_utc
from casework.notifications import outbox
from casework.notifications.models import (
    MANDATORY,
    Choice,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
)

DIGEST_LINK = "/notifications"


def digest_instant(day: date, at: time) -> datetime:
    """The UTC instant of the digest time on a local day. A time the clocks skip (1:30am
    on the last Sunday of March) is taken an hour later, when the day has it."""
    try:
        return to_utc(day, at)
    except NonexistentTime:
        return to_utc(day, time((at.hour + 1) % 24, at.minute))


def waiting_for_digest(before: datetime) -> dict[int, list[int]]:
    """Pending rows written before ``before`` whose user chose the digest for their kind,
    by user: the ids of the rows."""
    rows = db.session.execute(
        select(Notification.user_id, Notification.id)
        .join(
            NotificationPreference,
            (NotificationPreference.user_id == Notification.user_id)
            & (NotificationPreference.kind == Notification.kind),
        )
        .where(
            NotificationPreference.choice == Choice.DIGEST,
            Notification.status == NotificationStatus.PENDING,
            Notification.digest_id.is_(None),
            Notification.kind.not_in([NotificationKind.DIGEST, *MANDATORY]),
            Notification.created_at < before,
        )
        .order_by(Notification.user_id, Notification.id)
    )
    waiting: dict[int, list[int]] = defaultdict(list)
    for user_id, notification_id in rows:
        waiting[user_id].append(notification_id)
    return waiting


def make_digests(now: datetime, at: time) -> int:
    """Today's digests, once the digest time has come; how many were made.

    A digest lists the rows written before today's digest time; rows written later wait
    for tomorrow's, so a pass run late in the day does not make a second digest. The
    key ("digest:2026-12-02") makes one digest per user per local day."""
    today = local_date(now)
    due = digest_instant(today, at)
    if now < due:
        return 0
    waiting = waiting_for_digest(due)
    if not waiting:
        return 0
    users = db.session.scalars(select(User).where(User.id.in_(waiting), User.active.is_(True)))
    made = 0
    for user in users:
        digest = outbox.notify([user], NotificationKind.DIGEST, link=DIGEST_LINK, key=f"digest:{today.isoformat()}")
        if not digest:
            continue  # today's digest is made already
        db.session.flush()
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(waiting[user.id]))
            .values(digest_id=digest[0].id, status=NotificationStatus.DIGESTED)
        )
        made += 1
    return made
