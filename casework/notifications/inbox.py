"""The signed-in user's notifications in the app: the list on /notifications and the
unread count in every page's header."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, literal_column, select, update

from casework import db
from casework.accounts.models import User
from casework.clock import utcnow
from casework.notifications.models import Notification
from casework.paging import Page, clamp
from casework.policy import notification_shown_clause

# The header shows the unread count up to this, then "99+": counting reads an index entry
# per notification (2,900 for an administrator at county scale, on every page), and a
# larger number tells the user nothing "99+" does not (docs/notifications.md).
UNREAD_SHOWN_AT_MOST = 99


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


def unread_counted(user_id: sa.SQLColumnExpression[int | None]) -> sa.ScalarSelect[int]:
    """The unread notifications of ``user_id`` (a value, or a column of the enclosing
    statement), counted up to one more than UNREAD_SHOWN_AT_MOST: at most that many
    entries of the index on (user_id, read_at), however many there are."""
    unread: sa.Select[Any] = (
        select(literal_column("1"))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_SHOWN_AT_MOST + 1)
        .correlate_except(Notification)  # in a FROM, SQLAlchemy would not correlate it
    )
    return select(func.count()).select_from(unread.subquery()).scalar_subquery()


def unread_count(actor: User) -> int:
    """Up to one more than UNREAD_SHOWN_AT_MOST (the header shows no more): one statement."""
    return db.session.scalar(select(unread_counted(sa.literal(actor.id)))) or 0


def mark_all_read(actor: User) -> int:
    """Every unread notification of the actor's is read now; how many there were."""
    result = db.session.execute(
        update(Notification)
        .where(_mine(actor), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
