"""Staff accounts: signing in, and the administrators' user management."""

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update

from casework import db
from casework.accounts.models import User, new_session_token
from casework.accounts.services import sessions, throttle
from casework.accounts.services.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    temporary_password,
    verify_password,
)
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.clock import utcnow
from casework.db import ensure_version
from casework.exceptions import InvalidInput, NotFound
from casework.notifications import events
from casework.permissions import Permission, Role
from casework.policy import authorize, needs_second_factor


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class PasswordAccepted:
    """A correct password for an active account, and what sign-in still needs:
    nothing ("none"), a code from the user's authenticator ("verify"), or setting one
    up first ("enrol")."""

    user: User
    second_factor: Literal["none", "verify", "enrol"]


def sign_in_throttled(email: str, limits: throttle.Limits) -> throttle.Rate | None:
    """The limit that holds back sign-ins to this address from this client for now, if
    any (audited). Checked before the password, which is then not even looked at."""
    rate = throttle.password_throttled(email, throttle.client(), limits, now=utcnow())
    if rate is not None:
        record_throttled_sign_in(email)
    return rate


def authenticate(
    email: str, password: str, *, require_mfa_for_all: bool, limits: throttle.Limits
) -> PasswordAccepted | None:
    """Check the password; None for every failure, with the same answer and cost, and
    each failure counted towards throttling.

    Signs the user in (bookkeeping and audit) only when no second factor is needed."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record(None, "auth.sign_in_failed", "user", user.id if user else None)
        _count_failure(email, limits)
        return None
    if not user.active:
        audit.record(user, "auth.sign_in_refused_inactive", "user", user.id)
        _count_failure(email, limits)
        return None
    if needs_rehash(user.password_hash):
        _update_bookkeeping(user, password_hash=hash_password(password))
    if not needs_second_factor(user, require_mfa_for_all):
        finish_sign_in(user)
        return PasswordAccepted(user, "none")
    audit.record(user, "auth.password_accepted", "user", user.id)
    return PasswordAccepted(user, "verify" if user.totp_enrolled_at else "enrol")


def _count_failure(email: str, limits: throttle.Limits) -> None:
    throttle.record_failure(
        throttle.SIGN_IN, throttle.email_key(email), throttle.client(), now=utcnow(), keep=limits.longest
    )


def finish_sign_in(user: User, **detail: object) -> None:
    """The user has proved who they are, with every factor they need."""
    _update_bookkeeping(user, last_signed_in_at=utcnow())
    audit.record(user, "auth.signed_in", "user", user.id, detail=dict(detail) or None)


def record_throttled_sign_in(email: str) -> None:
    user_id = db.session.scalar(select(User.id).where(User.email == normalise_email(email)))
    audit.record(None, "auth.sign_in_throttled", "user", user_id)


def pending_marker(user: User) -> str:
    """Kept with a half-finished sign-in: once the session token rotates (sign out
    everywhere, deactivation, a reset second factor), the half-finished sign-in is void."""
    return hashlib.sha256(user.session_token.encode()).hexdigest()[:32]


def load_pending(user_id: object, marker: object) -> User | None:
    """The user whose password was accepted, if that still stands."""
    if not isinstance(user_id, int) or not isinstance(marker, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or not hmac.compare_digest(pending_marker(user), marker):
        return None
    return user


def sign_out(user: User) -> None:
    _update_bookkeeping(user, session_token=new_session_token())  # the old cookie no longer names anyone
    sessions.end_all(user.id)
    audit.record(user, "auth.signed_out", "user", user.id)


def sign_out_everywhere(actor: User, user_id: int, *, version: int) -> User:
    """An administrator ends every session of an account, say after a lost laptop."""
    user = get_user(actor, user_id)
    ensure_version(user, version)
    end_sessions(user)
    audit.record(actor, "user.signed_out_everywhere", "user", user.id)
    events.account_changed(user)
    return user


def end_sessions(user: User) -> None:
    """End every session of the user, in every browser: the token their sessions name
    changes, and the sessions themselves are deleted."""
    user.rotate_session_token()
    db.session.flush()
    sessions.end_all(user.id)


def _update_bookkeeping(user: User, **values: object) -> None:
    """Write sign-in bookkeeping without bumping the account's version, so a user
    signing in or out does not make an administrator's open edit of the account stale."""
    db.session.execute(update(User).where(User.id == user.id).values(**values))


def load_by_session_token(token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


def list_users(actor: User) -> list[User]:
    authorize(actor, Permission.USER_MANAGE)
    return list(db.session.scalars(select(User).order_by(User.active.desc(), func.lower(User.name))))


def get_user(actor: User, user_id: int) -> User:
    authorize(actor, Permission.USER_MANAGE)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def _require_agency(agency_id: int) -> Agency:
    agency = db.session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise InvalidInput("Select an agency from the list", field="agency_id")
    return agency


def _require_unused_email(email: str, *, except_user_id: int | None = None) -> None:
    query = select(User.id).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    if db.session.scalar(query) is not None:
        raise InvalidInput("A user with this email address already exists", field="email")


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    agency_id: int,
    role: Role,
    password: str,
) -> User:
    """Create an account. ``actor`` is None only for the create-admin command.

    The password an administrator types is a temporary one: the user chooses their own
    at their first sign-in. The first administrator, made on the server by the
    create-admin command, typed their own."""
    if actor is not None:
        authorize(actor, Permission.USER_MANAGE)
    email = normalise_email(email)
    _require_unused_email(email)
    _require_agency(agency_id)
    check_password_rules(password, email=email)
    user = User(
        email=email,
        name=name.strip(),
        agency_id=agency_id,
        role=role,
        password_hash=hash_password(password),
        must_change_password=actor is not None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", "user", user.id, detail={"role": role.value, "agency_id": agency_id})
    return user


def update_user(actor: User, user_id: int, *, version: int, name: str, email: str, agency_id: int, role: Role) -> User:
    user = get_user(actor, user_id)
    ensure_version(user, version)
    email = normalise_email(email)
    _require_unused_email(email, except_user_id=user.id)
    _require_agency(agency_id)
    if user.id == actor.id and role is not Role.ADMIN:
        raise InvalidInput("You cannot remove your own administrator role", field="role")
    before = {"name": user.name, "email": user.email, "agency_id": user.agency_id, "role": user.role.value}
    after = {"name": name.strip(), "email": email, "agency_id": agency_id, "role": role.value}
    diff = audit.changes(before, after)
    if diff:
        user.name, user.email, user.agency_id, user.role = name.strip(), email, agency_id, role
        if "role" in diff or "agency_id" in diff:
            end_sessions(user)  # new rights start from a fresh sign-in
        db.session.flush()
        audit.record(actor, "user.updated", "user", user.id, detail=diff)
        if "role" in diff:
            events.account_changed(user)
    return user


def set_user_active(actor: User, user_id: int, *, version: int, active: bool) -> User:
    user = get_user(actor, user_id)
    ensure_version(user, version)
    if user.id == actor.id:
        raise InvalidInput("You cannot deactivate your own account")
    if user.active == active:
        return user
    user.active = active
    end_sessions(user)  # ends every open session of a deactivated user
    audit.record(actor, "user.activated" if active else "user.deactivated", "user", user.id)
    return user


def change_password(actor: User, *, current: str, new: str) -> User:
    if not verify_password(actor.password_hash, current):
        raise InvalidInput("Your current password is not correct", field="current_password")
    check_password_rules(new, email=actor.email)
    if verify_password(actor.password_hash, new):
        raise InvalidInput("Choose a password different from your current one", field="password")
    actor.password_hash = hash_password(new)
    actor.must_change_password = False
    end_sessions(actor)
    audit.record(actor, "user.password_changed", "user", actor.id)
    return actor


@dataclass(frozen=True)
class TemporaryPassword:
    user: User
    password: str  # to show the administrator once; never stored or audited


def set_temporary_password(actor: User, user_id: int, *, version: int, password: str = "") -> TemporaryPassword:
    """An administrator gives a user who has forgotten their password a temporary one:
    the one typed (within the password rules) or, if none, a strong one made here. The
    user must choose a new password at their next sign-in, and every session of theirs
    ends now."""
    user = get_user(actor, user_id)
    ensure_version(user, version)
    if user.id == actor.id:
        raise InvalidInput("You cannot set a temporary password for yourself: change your password from your account")
    chosen = password or temporary_password()
    check_password_rules(chosen, email=user.email)
    user.password_hash = hash_password(chosen)
    user.must_change_password = True
    end_sessions(user)
    audit.record(actor, "user.password_reset", "user", user.id, detail={"made": "typed" if password else "generated"})
    events.account_changed(user)
    return TemporaryPassword(user, chosen)


def all_users_for_filter(actor: User) -> list[User]:
    """Every account, active or not, for the audit log's user filter."""
    authorize(actor, Permission.AUDIT_VIEW)
    return list(db.session.scalars(select(User).order_by(func.lower(User.name))))
