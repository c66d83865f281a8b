"""The signed-in user's notifications in the app: the list on /notifications and the
unread count in every page's header."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func, select, update

from casework import db
from casework.accounts.models import User
from casework.clock import utcnow
from casework.notifications.models import Notification
from casework.paging import Page, clamp
from casework.policy import notification_shown_clause


@dataclass(frozen=True)
class InboxRow:
    notification: Notification
    # False when the user no longer sees the case or premises in full: only the kind
    # is shown, without the reference or the link.
    shown: bool


def _mine(actor: User) -> sa.ColumnElement[bool]:
    return Notification.user_id == actor.id


def notifications_page(actor: User, *, page: int, per_page: int) -> Page[InboxRow]:
    """The actor's notifications, newest first: two statements, whatever the rows.

    The page is chosen first, from the index on (user_id, created_at, id), and whether
    the user still sees each row's case or premises is worked out for its rows alone:
    asked of the whole list, PostgreSQL hashed every case the user's agency is involved
    in (38,000 at county scale) to answer it for 25 rows."""
    total = db.session.scalar(select(func.count(Notification.id)).where(_mine(actor))) or 0
    page = clamp(page, total, per_page)
    newest = (Notification.created_at.desc(), Notification.id.desc())
    on_page = (
        select(Notification.id)
        .where(_mine(actor))
        .order_by(*newest)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    rows = db.session.execute(
        select(Notification, notification_shown_clause(actor).label("shown"))
        .join(on_page, on_page.c.id == Notification.id)
        .order_by(*newest)
    ).all()
    return Page([InboxRow(notification, bool(shown)) for notification, shown in rows], total, page, per_page)


def unread_count(actor: User) -> int:
    """One statement, answered from the index on (user_id, read_at)."""
    return db.session.scalar(select(func.count()).where(_mine(actor), Notification.read_at.is_(None))) or 0


def mark_all_read(actor: User) -> int:
    """Every unread notification of the actor's is read now; how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(_mine(actor), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
