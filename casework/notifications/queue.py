"""The outbox as administrators see it (/admin/notifications): how many rows are in each
status, the failed and pending ones, and sending a failed one again."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.clock import utcnow
from casework.exceptions import InvalidTransition, NotFound
from casework.notifications.models import Notification, NotificationStatus
from casework.permissions import Permission
from casework.policy import authorize

WAITING = (NotificationStatus.FAILED, NotificationStatus.PENDING)  # listed in this order

# Counting every row of an outbox kept for years costs more than the number is worth:
# above this many in a status the page says "more than 1,000" (docs/notifications.md).
# Each status reads at most this many index entries on every view of the page.
COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class Row:
    notification: Notification
    email: str  # the recipient's address, for the administrator to follow up


@dataclass(frozen=True)
class WaitingPage:
    """One page of the failed and pending rows, and where the pages either side start:
    the ids of the rows at its edges, or None at either end of the list."""

    items: list[Row]
    previous: int | None  # the page before is the one that ends just before this row
    next: int | None  # the page after starts just after this row


def counts(actor: User) -> dict[NotificationStatus, int]:
    """The rows in each status, each counted only as far as COUNT_LIMIT + 1 from the
    index on (status, next_attempt_at): one statement, whatever the size of the outbox."""
    authorize(actor, Permission.NOTIFICATION_MANAGE)
    capped = [
        select(func.count())
        .select_from(select(Notification.id).where(Notification.status == status).limit(COUNT_LIMIT + 1).subquery())
        .scalar_subquery()
        .label(status.value)
        for status in NotificationStatus
    ]
    found = db.session.execute(select(*capped)).one()
    return {status: int(number) for status, number in zip(NotificationStatus, found, strict=True)}


def waiting(actor: User, *, per_page: int, after: int | None = None, before: int | None = None) -> WaitingPage:
    """Failed rows first (they need someone), then pending ones by when they are next
    tried; ties by id. Keyset paging: the page after row ``after`` or before row
    ``before``, each status read in order from the index on (status, next_attempt_at)
    as far as the page needs, however deep."""
    authorize(actor, Permission.NOTIFICATION_MANAGE)
    edge_id = before if before is not None else after
    edge = db.session.execute(_edge_query(edge_id)).one_or_none() if edge_id is not None else None
    backwards = edge is not None and before is not None
    branches = [_branch(status, edge, backwards=backwards, limit=per_page + 1) for status in WAITING]
    keys = sa.union_all(*[branch for branch in branches if branch is not None]).subquery()
    direction = sa.desc if backwards else sa.asc
    query = (
        select(Notification, User.email)
        .join(keys, keys.c.id == Notification.id)
        .join(User, User.id == Notification.user_id)
        .order_by(direction(keys.c.rank), direction(keys.c.next_attempt_at), direction(keys.c.id))
        .limit(per_page + 1)
    )
    rows = [Row(notification, email) for notification, email in db.session.execute(query)]
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        first, last = (rows[0] if more else None), (rows[-1] if rows else None)
    else:
        first, last = (rows[0] if edge is not None and rows else None), (rows[-1] if more else None)
    return WaitingPage(rows, first.notification.id if first else None, last.notification.id if last else None)


def _rank(status: NotificationStatus) -> int:
    return WAITING.index(status) if status in WAITING else len(WAITING) - 1


def _edge_query(edge_id: int) -> sa.Select[NotificationStatus, datetime, int]:
    return select(Notification.status, Notification.next_attempt_at, Notification.id).where(Notification.id == edge_id)


def _branch(
    status: NotificationStatus, edge: sa.Row[NotificationStatus, datetime, int] | None, *, backwards: bool, limit: int
) -> sa.Select[Any] | None:
    """The first ``limit`` rows of one status in the list's order (or the reverse) that
    come after (or before) the edge row; None when none can."""
    rank = WAITING.index(status)
    query: sa.Select[Any, datetime, int] = select(
        sa.literal_column(str(rank)).label("rank"), Notification.next_attempt_at, Notification.id
    ).where(Notification.status == status)
    if edge is not None:
        edge_rank = _rank(edge.status)
        if (rank < edge_rank and not backwards) or (rank > edge_rank and backwards):
            return None
        if rank == edge_rank:
            at, key = Notification.next_attempt_at, Notification.id
            if backwards:
                query = query.where(at <= edge.next_attempt_at, sa.or_(at < edge.next_attempt_at, key < edge.id))
            else:
                query = query.where(at >= edge.next_attempt_at, sa.or_(at > edge.next_attempt_at, key > edge.id))
    direction = sa.desc if backwards else sa.asc
    ordered = query.order_by(direction(Notification.next_attempt_at), direction(Notification.id)).limit(limit)
    return select(ordered.subquery())


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
