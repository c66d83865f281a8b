"""Delivering the outbox: claim a batch of pending rows whose time has come, check each
again, hand it to the backend and record what happened. Nothing here commits: the caller
(the `notifications send` and `run` commands) commits after each batch, so a batch is
recorded whole or not at all.

On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`: several senders may run at once, and
a row one of them holds is invisible to the others until its batch is committed. SQLite
has no row locks: run one sender there. A sender killed after handing a message over but
before its batch commits sends it again next time; the e-mail's Message-ID (Notify's
`reference`) is the same both times, so the copy can be recognised."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from casework import db, policy
from casework.accounts.models import User
from casework.audit import services as audit
from casework.cases.models import Case
from casework.clock import utcnow
from casework.notifications import emails
from casework.notifications.backends import Backend, DeliveryFailure, PermanentFailure
from casework.notifications.models import (
    MANDATORY,
    Choice,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
)
from casework.premises.models import Premises

# Where a password reset's link points once sent: the one-time token is not kept at rest.
RESET_LINK_AFTER_SENDING = "/sign-in/forgotten-password"
LONGEST_WAIT = timedelta(days=1)


@dataclass(frozen=True)
class Settings:
    base_url: str
    max_attempts: int = 8
    retry_seconds: int = 60


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0

    def add(self, other: "Counts") -> None:
        for name in ("claimed", "sent", "retrying", "failed", "withdrawn"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def waits_for_digest() -> sa.ColumnElement[bool]:
    """Rows whose recipient chose the daily digest for their kind: the digest gathers
    them, so they are never sent one by one (mandatory kinds ignore the choice)."""
    return (
        select(NotificationPreference.user_id)
        .where(
            NotificationPreference.user_id == Notification.user_id,
            NotificationPreference.kind == Notification.kind,
            NotificationPreference.choice == Choice.DIGEST,
        )
        .exists()
    ) & Notification.kind.not_in(MANDATORY)


def due_rows() -> sa.Select[Notification]:
    return select(Notification).where(
        Notification.status == NotificationStatus.PENDING,
        Notification.next_attempt_at <= utcnow(),
        ~waits_for_digest(),
    )


def claim(limit: int) -> list[Notification]:
    """Up to `limit` rows to send now, oldest first, locked against other senders."""
    query = due_rows().order_by(Notification.next_attempt_at, Notification.id).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Notification)
    return list(db.session.scalars(query))


def send_pending(
    backend: Backend, settings: Settings, *, limit: int, batch_size: int, after_batch: Callable[[], None]
) -> Counts:
    """Deliver up to `limit` due rows, a batch at a time; `after_batch` (the command's
    commit) records each batch before the next is claimed."""
    total = Counts()
    with backend:
        while total.claimed < limit:
            size = min(batch_size, limit - total.claimed)
            counts = deliver_batch(backend, settings, size=size)
            after_batch()
            total.add(counts)
            if counts.claimed < size:
                break
    return total


def deliver_batch(backend: Backend, settings: Settings, *, size: int) -> Counts:
    """Claim one batch and deliver it; the caller commits."""
    counts = Counts()
    rows = claim(size)
    counts.claimed = len(rows)
    gathered = _gathered_into(rows)
    sight = Sight.of(rows + [item for items in gathered.values() for item in items])
    for row in rows:
        outcome = _deliver_one(backend, settings, row, sight, gathered.get(row.id, []))
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    db.session.flush()
    return counts


@dataclass
class Sight:
    """What each recipient in a batch may see and has turned off, read now, at the moment
    of sending: a few statements per recipient, not per row."""

    users: dict[int, User]
    cases: set[tuple[int, int]]  # (user, case) seen in full
    premises: set[tuple[int, int]]  # (user, premises) seen
    turned_off: set[tuple[int, NotificationKind]]

    @classmethod
    def of(cls, rows: list[Notification]) -> "Sight":
        ids = {row.user_id for row in rows}
        users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
        sight = cls(users, set(), set(), set())
        for user in users.values():
            mine = [row for row in rows if row.user_id == user.id]
            sight.cases |= {(user.id, case) for case in _cases_seen(user, {row.case_id for row in mine})}
            sight.premises |= {(user.id, place) for place in _premises_seen(user, {row.premises_id for row in mine})}
        if ids:
            off = select(NotificationPreference.user_id, NotificationPreference.kind).where(
                NotificationPreference.user_id.in_(ids), NotificationPreference.choice == Choice.OFF
            )
            sight.turned_off = {(user_id, kind) for user_id, kind in db.session.execute(off)}
        return sight


def _cases_seen(user: User, case_ids: set[int | None]) -> set[int]:
    wanted = case_ids - {None}
    if not wanted or not user.active:
        return set()
    return set(db.session.scalars(select(Case.id).where(Case.id.in_(wanted), policy.full_view_clause(user))))


def _premises_seen(user: User, premises_ids: set[int | None]) -> set[int]:
    wanted = premises_ids - {None}
    if not wanted or not user.active:
        return set()
    query = policy.visible_premises(user).where(Premises.id.in_(wanted)).with_only_columns(Premises.id)
    return set(db.session.scalars(query))


def _gathered_into(rows: list[Notification]) -> dict[int, list[Notification]]:
    """The rows each digest in the batch lists, oldest first, in one statement."""
    digests = [row.id for row in rows if row.kind is NotificationKind.DIGEST]
    gathered: dict[int, list[Notification]] = {}
    if digests:
        query = select(Notification).where(Notification.digest_id.in_(digests)).order_by(Notification.id)
        for item in db.session.scalars(query):
            gathered.setdefault(item.digest_id or 0, []).append(item)
    return gathered


def _deliver_one(
    backend: Backend, settings: Settings, row: Notification, sight: Sight, gathered: list[Notification]
) -> str:
    """'sent', 'retrying', 'failed' or 'withdrawn'."""
    user = sight.users.get(row.user_id)
    # A digest lists only what its recipient may still be told; with nothing left, it is not sent.
    items = [item for item in gathered if not _why_not(item, user, sight)]
    if reason := _why_not(row, user, sight) or (
        "Nothing in the digest may still be told." if gathered and not items else ""
    ):
        _withdraw(row, reason)
        return "withdrawn"
    assert user is not None
    row.attempts += 1
    try:
        backend.deliver(emails.render(row, to=user.email, base_url=settings.base_url, items=items))
    except DeliveryFailure as failure:
        return _failed(row, failure, settings)
    row.status = NotificationStatus.SENT
    row.sent_at = utcnow()
    row.last_error = ""
    if row.kind is NotificationKind.PASSWORD_RESET:
        row.link = RESET_LINK_AFTER_SENDING
    audit.record(None, "notification.sent", "notification", row.id, detail={"kind": row.kind.value})
    return "sent"


def _why_not(row: Notification, user: User | None, sight: Sight) -> str:
    """Why this row must not be sent now ("" if it may): the recipient may have lost
    sight of the case or turned the kind off since it was written."""
    if user is None or not user.active:
        return "The recipient's account is deactivated."
    if row.case_id is not None and (user.id, row.case_id) not in sight.cases:
        return "The recipient no longer sees the case in full."
    if row.premises_id is not None and (user.id, row.premises_id) not in sight.premises:
        return "The recipient no longer sees the premises."
    if not row.kind.mandatory and (user.id, row.kind) in sight.turned_off:
        return "The recipient turned this kind of notification off."
    return ""


def _withdraw(row: Notification, reason: str) -> None:
    row.status = NotificationStatus.WITHDRAWN
    row.last_error = reason
    audit.record(
        None, "notification.withdrawn", "notification", row.id, detail={"kind": row.kind.value, "reason": reason}
    )


def _failed(row: Notification, failure: DeliveryFailure, settings: Settings) -> str:
    row.last_error = failure.reason
    if isinstance(failure, PermanentFailure) or row.attempts >= settings.max_attempts:
        row.status = NotificationStatus.FAILED
        audit.record(
            None,
            "notification.failed",
            "notification",
            row.id,
            # Not the reason: a relay's words may quote the address.
            detail={"kind": row.kind.value, "attempts": row.attempts},
        )
        return "failed"
    row.next_attempt_at = next_attempt(row.attempts, settings.retry_seconds)
    return "retrying"


def next_attempt(attempts: int, retry_seconds: int) -> datetime:
    """Exponential back-off: the n-th failure waits retry_seconds * 2**(n-1), at most a day."""
    wait = timedelta(seconds=retry_seconds * 2 ** min(attempts - 1, 20))
    return utcnow() + min(wait, LONGEST_WAIT)
