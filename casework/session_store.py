"""Sessions kept on the server: the browser's cookie carries a random id and nothing else.

Flask's own session is a signed cookie: whoever holds the cookie can read it, and a copy
of an earlier cookie brings back whatever it held then (recovery codes "shown once", a
second-factor secret being set up, the text of a search). Here the session is a row of
``browser_sessions`` instead, found by the hash of the id in the cookie; what a page
takes out of the session is gone from the server, and an old cookie names nothing.

Why not Flask-Session: its SQL store needs Flask-SQLAlchemy, and Casework uses plain
SQLAlchemy (a session the tests bind to an outer transaction); see
docs/authentication.md.

When it is written: with the request's own commit when that commit writes (a form sent,
a page whose showing writes), so a sign-in and its new session, or new recovery codes
and the session that shows them, are saved together or not at all; otherwise once at
the end of the request, only if the session changed.
"""

import hmac
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, current_app, has_request_context
from flask.globals import request_ctx
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from casework import db
from casework.accounts.models import User
from casework.accounts.services import sessions as store
from casework.clock import utcnow

_serializer = TaggedJSONSerializer()  # what Flask's cookie session uses: the same values round-trip
_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def new_id() -> str:
    return secrets.token_urlsafe(32)


class ServerSession(SessionMixin):
    """One browser's session. Read from the database when first used (static files and
    the health check never read it); ``clear()`` also gives it a new id, so the id
    changes at every sign-in, second factor, sign-out and timeout."""

    def __init__(self, cookie_id: str | None) -> None:
        self.cookie_id = cookie_id  # what the browser sent
        self.id: str | None = None  # the id of the stored row, once found or made
        self.user_id: int | None = None
        self.owner: User | None = None  # the user the session was bound to, read with it
        self.owner_unread_notifications = 0  # counted with it, for the header
        self._data: dict[str, Any] | None = None
        self._stored: store.Stored | None = None  # as last read or written
        self._renew = False
        self.modified = False
        self.accessed = False

    # --- the mapping ---------------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = {}
            found = store.load(self.cookie_id, now=utcnow()) if self.cookie_id else None
            if found is not None:
                self.id, self.user_id, self._stored = self.cookie_id, found.stored.user_id, found.stored
                self.owner, self.owner_unread_notifications = found.owner, found.unread_notifications
                self._data = _serializer.loads(found.stored.data)
        self.accessed = True
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self.modified = True

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def clear(self) -> None:
        self.data.clear()
        self.user_id = None
        self._renew = True
        self.modified = True

    # --- storing -------------------------------------------------------------------

    def _wanted(self) -> store.Stored | None:
        """The state to store, or None for none at all (an empty session)."""
        assert self._data is not None
        return store.Stored(_serializer.dumps(self._data), self.user_id) if self._data else None

    def has_changes(self) -> bool:
        if self._data is None:
            return False  # never read, so never changed
        return self._renew or self._wanted() != self._stored

    def write(self, *, now: datetime, lifetime_seconds: float) -> None:
        """Store what changed, in the current transaction."""
        if self._data is None:
            return  # never read, so never changed
        wanted = self._wanted()  # serialised once: the state compared is the state stored
        if not self._renew and wanted == self._stored:
            return
        expires_at = now + timedelta(seconds=lifetime_seconds)
        if self._renew or wanted is None or self.id is None:
            if self.id is not None:
                store.remove(self.id)  # the old id names nothing from now on
            self.id = None
            if wanted is not None:
                self.id = new_id()
                store.add(self.id, wanted, now=now, expires_at=expires_at)
        elif not store.replace(self.id, wanted, expires_at=expires_at):
            self.id = None  # ended meanwhile (signed out everywhere): it stays ended
        self._stored, self._renew = wanted, False


def signed_in_user(session: SessionMixin, session_token: str) -> User | None:
    """The user the session was bound to, read with the session, if the token Flask-Login
    keeps still names them; None means "look the token up"."""
    owner = session.owner if isinstance(session, ServerSession) else None
    if owner is not None and owner.active and hmac.compare_digest(owner.session_token, session_token):
        return owner
    return None


def unread_notifications_read_with(session: SessionMixin, user: User) -> int | None:
    """The user's unread notifications as counted when the session was read, if the
    session is theirs; None means "count them"."""
    if isinstance(session, ServerSession) and session.owner is not None and session.owner.id == user.id:
        return session.owner_unread_notifications
    return None


def bind_to_user(session: SessionMixin, user_id: int) -> None:
    """Mark the session as the user's, so that ending their sessions ends this one."""
    if isinstance(session, ServerSession):
        session.user_id = user_id
        session.modified = True


def _lifetime(app: Flask) -> float:
    return float(app.permanent_session_lifetime.total_seconds())


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        cookie_id = request.cookies.get(self.get_cookie_name(app))
        if request.path.startswith(f"{app.static_url_path}/"):
            cookie_id = None  # a static file needs no session: it is neither read nor written
        elif cookie_id is not None and (len(cookie_id) > 64 or not set(cookie_id) <= _ID_CHARACTERS):
            cookie_id = None
        return ServerSession(cookie_id)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        if session.accessed:
            response.vary.add("Cookie")
        if response.status_code >= 500:
            return  # a request that failed keeps nothing, not even a sign-in it had begun
        if session.has_changes():
            _write_at_the_end(app, session)
        if session.id == session.cookie_id or (session.id is None and session.cookie_id is None):
            return
        name, domain, path = self.get_cookie_name(app), self.get_cookie_domain(app), self.get_cookie_path(app)
        secure, samesite, httponly = (
            self.get_cookie_secure(app),
            self.get_cookie_samesite(app),
            self.get_cookie_httponly(app),
        )
        response.vary.add("Cookie")
        if session.id is None:
            response.delete_cookie(name, domain=domain, path=path, secure=secure, samesite=samesite, httponly=httponly)
            return
        response.set_cookie(
            name,
            session.id,
            expires=self.get_expiration_time(app, session),
            httponly=httponly,
            domain=domain,
            path=path,
            secure=secure,
            samesite=samesite,
        )


def _write_at_the_end(app: Flask, session: ServerSession) -> None:
    """Store a session that changed after the request's last write, in a transaction of
    its own that starts by taking the write lock (SQLite: BEGIN IMMEDIATE)."""
    if not db.write_intent.get() and db.session().in_transaction():
        db.session.commit()  # ends the page's read-only transaction; there is nothing in it to write
    token = db.write_intent.set(True)
    try:
        session.write(now=utcnow(), lifetime_seconds=_lifetime(app))
        db.session.commit()
    finally:
        db.write_intent.reset(token)


def _write_with_the_request(db_session: Session) -> None:
    """Before the request's commit: the session joins the transaction when the request
    is one that writes, so both are saved or neither."""
    if not has_request_context() or not db.write_intent.get() or db_session.in_nested_transaction():
        return
    browser = request_ctx.session
    if isinstance(browser, ServerSession):
        browser.write(now=utcnow(), lifetime_seconds=_lifetime(current_app))


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
    if not event.contains(db.session, "before_commit", _write_with_the_request):
        event.listen(db.session, "before_commit", _write_with_the_request)
