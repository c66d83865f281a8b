"""The outbox as administrators see it (/admin/notifications): how many rows are in each
status, the failed and pending ones, and sending a failed one again."""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.clock import utcnow
from casework.exceptions import InvalidTransition, NotFound
from casework.notifications.models import Notification, NotificationStatus
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import authorize

WAITING = (NotificationStatus.FAILED, NotificationStatus.PENDING)


@dataclass(frozen=True)
class Row:
    notification: Notification
    email: str  # the recipient's address, for the administrator to follow up


def counts(actor: User) -> dict[NotificationStatus, int]:
    authorize(actor, Permission.NOTIFICATION_MANAGE)
    found = dict(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
    return {status: found.get(status, 0) for status in NotificationStatus}


def waiting(actor: User, *, page: int, per_page: int) -> Page[Row]:
    """Failed rows first (they need someone), then pending ones by when they are next tried."""
    authorize(actor, Permission.NOTIFICATION_MANAGE)
    where = Notification.status.in_(WAITING)
    total = db.session.scalar(select(func.count()).select_from(Notification).where(where)) or 0
    page = clamp(page, total, per_page)
    failed_first = case((Notification.status == NotificationStatus.FAILED, 0), else_=1)
    query = (
        select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(where)
        .order_by(failed_first, Notification.next_attempt_at, Notification.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [Row(notification, email) for notification, email in db.session.execute(query)]
    return Page(items=rows, total=total, page=page, per_page=per_page)


def retry(actor: User, notification_id: int) -> Notification:
    """A failed row back to pending, to be tried at the next pass with fresh attempts."""
    authorize(actor, Permission.NOTIFICATION_MANAGE)
    row = db.session.get(Notification, notification_id)
    if row is None:
        raise NotFound("notification", notification_id)
    if row.status is not NotificationStatus.FAILED:
        raise InvalidTransition("This notification has not failed, so there is nothing to retry.")
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    audit.record(actor, "notification.retried", "notification", row.id, detail={"kind": row.kind.value})
    db.session.flush()
    return row
