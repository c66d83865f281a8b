"""Where browser sessions are kept: one row per session, found by the hash of the random
id its cookie carries (casework/session_store.py is the Flask side)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, delete, insert, select, update
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import BrowserSession, User
from casework.notifications.inbox import unread_counted


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    data: str
    user_id: int | None


@dataclass(frozen=True)
class Found:
    stored: Stored
    owner: User | None  # the signed-in user, read with the session: no query of its own
    # The owner's unread notifications, for the header, counted in the same statement.
    unread_notifications: int = 0


def _loading() -> Select[str, int | None, User, int]:
    # Counted up to the header's cap, from the index alone.
    unread = unread_counted(BrowserSession.user_id)
    return (
        select(BrowserSession.data, BrowserSession.user_id, User, unread.label("unread"))
        .outerjoin(User, User.id == BrowserSession.user_id)
        # Outer, as the user is: a session before sign-in has none.
        .options(joinedload(User.agency, innerjoin=False))
        .where(BrowserSession.id_hash == bindparam("id_hash"), BrowserSession.expires_at > bindparam("now"))
    )


# Every request but a static file's sends it: built once, only its parameters change.
_LOAD = _loading()


def load(session_id: str, *, now: datetime) -> Found | None:
    """The session the id names, unless it has expired or was ended."""
    row = db.session.execute(_LOAD, {"id_hash": id_hash(session_id), "now": now}).first()
    return Found(Stored(row.data, row.user_id), row.User, row.unread or 0) if row else None


def add(session_id: str, stored: Stored, *, now: datetime, expires_at: datetime) -> None:
    db.session.execute(
        insert(BrowserSession).values(
            id_hash=id_hash(session_id),
            user_id=stored.user_id,
            data=stored.data,
            created_at=now,
            expires_at=expires_at,
        )
    )


def replace(session_id: str, stored: Stored, *, expires_at: datetime) -> bool:
    """Write the session's new state; False if it no longer exists (it was ended)."""
    result = db.session.execute(
        update(BrowserSession)
        .where(BrowserSession.id_hash == id_hash(session_id))
        .values(data=stored.data, user_id=stored.user_id, expires_at=expires_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def remove(session_id: str) -> None:
    db.session.execute(delete(BrowserSession).where(BrowserSession.id_hash == id_hash(session_id)))


def end_all(user_id: int) -> None:
    """Every session of a user ends: the next request from any of their browsers starts
    a new, signed-out session."""
    db.session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))


def remove_expired(*, now: datetime) -> None:
    db.session.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
