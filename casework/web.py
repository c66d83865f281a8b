"""The request pipeline: who is signed in, session timeouts, request ids, security headers."""

import re
import secrets
import uuid
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as ResponseBase

from casework import db, session_store
from casework.accounts.models import User
from casework.accounts.services import sessions, users
from casework.audit import services as audit
from casework.clock import timestamp, utcnow
from casework.extensions import login_manager
from casework.policy import ENDPOINT_PERMISSIONS, authorize_endpoint

# The only endpoints a signed-out visitor may reach. The second-factor pages serve
# someone who has given a correct password and nothing more; they check that themselves.
# A forgotten password is reset by someone who cannot sign in; the link checks itself.
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.sign_in",
        "auth.two_factor",
        "auth.two_factor_setup",
        "auth.forgotten_password",
        "auth.reset_password",
        "health.healthz",
        "static",
    }
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# All a user signed in with a temporary password may do before choosing a new one: that,
# or sign out. (Recovery codes a first set-up makes are shown in the answer to its code.)
BEFORE_A_NEW_PASSWORD = frozenset({"auth.change_password", "auth.sign_out", "static"})

# The time of a signed-in user's last request is kept to the minute: a session is not
# written for every page, and the idle timeout is long enough not to mind.
LAST_SEEN_RESOLUTION = 60


P = ParamSpec("P")
R = TypeVar("R")


def writes_on_get(view: Callable[P, R]) -> Callable[P, R]:
    """A page whose showing writes (the audit record of a view or an export). What it
    wrote is committed once the page is ready: a page that fails records nothing, and a
    page whose record cannot be written is not shown (the error page is).

    On SQLite, which has one writer at a time for the whole database, a GET reads
    without the write lock and writes its records in a short transaction at the end, so
    views of pages never queue behind each other's queries and templates. On PostgreSQL,
    where an insert locks nothing that readers need, the page is one transaction, as
    before. See docs/architecture.md, "Pages that write when they are shown"."""

    @wraps(view)
    def committing(*args: P.args, **kwargs: P.kwargs) -> R:
        if db.write_intent.get():  # a form sent, or PostgreSQL
            return _committed(lambda: view(*args, **kwargs))
        return _read_then_record(lambda: view(*args, **kwargs))

    committing.writes_on_get = True  # type: ignore[attr-defined]  # read by _start_request
    return committing


def _committed(page: Callable[[], R]) -> R:
    response = page()
    db.session.commit()
    return response


def _read_then_record(page: Callable[[], R]) -> R:
    """The page in a deferred transaction (SQLite: BEGIN), its audit records held aside;
    then those records alone in a transaction that takes the write lock, before anything
    is sent. A page that writes anything else (the risk matrix, stored on its first use)
    runs again from the start holding the lock, as a form does."""
    try:
        with audit.held() as records, db.reading_only():
            response = page()
            db.session.flush()  # anything left to write but the held records is refused
    except db.WriteWhileReading:
        db.session.rollback()
        with db.write_lock():
            return _committed(page)
    db.session.commit()  # ends the read transaction, which wrote nothing
    with db.write_lock():
        db.session.add_all(records)
        db.session.commit()  # the browser session, if it changed, goes with it
    return response


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return session_store.signed_in_user(session, session_token) or users.load_by_session_token(session_token)


# What a proxy's request id may look like (nginx's $request_id: 32 hexadecimal digits).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,36}")


def _request_id() -> str:
    """A fresh id for every request. An X-Request-Id header is taken only when the app
    runs behind a trusted proxy (TRUSTED_PROXIES), which must set it on every request,
    replacing any a client sent: from anyone else it would let them write what they like
    into the audit trail and the logs."""
    offered = request.headers.get("X-Request-Id", "")
    if current_app.config.get("TRUSTED_PROXIES", 0) and _REQUEST_ID.fullmatch(offered):
        return offered
    return str(uuid.uuid4())


def _start_request() -> None:
    g.request_id = _request_id()
    g.csp_nonce = secrets.token_urlsafe(16)
    audit.request_meta.set(audit.RequestMeta(ip=request.remote_addr or "", request_id=g.request_id))
    view = current_app.view_functions.get(request.endpoint or "")
    # A page that records what it shows is one write transaction, except on SQLite.
    recorded_in_one = getattr(view, "writes_on_get", False) and not _one_writer_at_a_time()
    db.write_intent.set(request.method not in SAFE_METHODS or recorded_in_one)


def _one_writer_at_a_time() -> bool:
    """SQLite: a write transaction locks the whole database, so pages that record what they
    show read first and write afterwards (``writes_on_get``)."""
    return bool(current_app.extensions["casework.engine"].dialect.name == "sqlite")


def _refuse_nul_characters() -> None:
    """No one types a NUL character, and PostgreSQL refuses to store one: a request
    carrying one is refused whole, before anything reads it."""
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            abort(400)


def _require_sign_in() -> ResponseBase | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = timestamp()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if now - session.get("last_seen", 0) > idle or now - session.get("signed_in_at", 0) > absolute:
        logout_user()
        session.clear()
        flash("You were signed out because your session timed out. Sign in again to continue.", "info")
        back_to = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.sign_in", next=back_to if request.method == "GET" else None))
    if now - session.get("last_seen", 0) >= LAST_SEEN_RESOLUTION:
        session["last_seen"] = now
    if current_user.must_change_password and request.endpoint not in BEFORE_A_NEW_PASSWORD:
        return redirect(url_for("auth.change_password"))
    # Pages about one record are checked by their service once the record is loaded:
    # 403 if the user may see the record but not do this, 404 if not even that, so a
    # refusal never confirms that a record exists.
    if request.endpoint in current_app.view_functions and not request.view_args:
        authorize_endpoint(current_user, request.endpoint)
    return None


def start_session(user: User) -> None:
    """A fresh session, under a new id, for a user who has just proved who they are."""
    from flask_login import login_user

    session.clear()
    login_user(user)
    session.permanent = True
    session["signed_in_at"] = session["last_seen"] = timestamp()
    session_store.bind_to_user(session, user.id)
    generate_csrf()  # every page has a form (Sign out): its token is stored with the new session, not by the first page
    sessions.remove_expired(now=utcnow())  # a sign-in is a good moment to sweep


def _security_headers(response: Response) -> Response:
    nonce = g.get("csp_nonce", "")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["X-Request-Id"] = g.get("request_id", "")
    if request.endpoint != "static":
        # Pages hold personal data: never keep them in a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def check_every_route_is_governed(app: Flask) -> None:
    """Refuse to start if a page has no entry in policy.ENDPOINT_PERMISSIONS: a new route
    must say who may reach it."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - PUBLIC_ENDPOINTS
    if missing := sorted(endpoints - ENDPOINT_PERMISSIONS.keys()):
        raise RuntimeError(f"No permission declared in casework/policy.py for {', '.join(missing)}")


def init_app(app: Flask) -> None:
    # First of all, ahead of the CSRF check: a request refused there still gets its
    # request id, and its error page a CSP nonce for its scripts.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.before_request_funcs[None].insert(1, _refuse_nul_characters)
    app.before_request(_require_sign_in)
    app.after_request(_security_headers)


def actor() -> User:
    """The signed-in user as a model object (services want the real thing, not a proxy)."""
    from flask_login import current_user

    user: User = current_user._get_current_object()
    return user


def local_path(target: str | None) -> str | None:
    """A path on this site, or None: a ``next`` address must not send anyone elsewhere
    (browsers read a backslash as a slash and drop tabs and newlines)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return None
    return target


# What the session keeps, on the server (casework/session_store.py) and never in a URL: the reasons
# given for opening restricted cases, by case id, and the text of recent list searches,
# by an opaque token that is all the list's URL carries.
ACCESS_REASONS_KEY = "case_access_reasons"


def given_reasons() -> dict[int, dict[str, str]]:
    """The reasons given in this session, by case id, for the audit of each view."""
    return {int(case_id): reason for case_id, reason in session.get(ACCESS_REASONS_KEY, {}).items()}
