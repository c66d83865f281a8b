"""Resetting a forgotten password with a link sent by e-mail.

Whoever asks gets the same answer, and the request does the same work, whether or not
the address belongs to an active account: the answer must not tell anyone which
addresses have accounts. For an active account a single-use token is made
(``secrets.token_urlsafe``, 256 bits) and only its SHA-256 hash is stored, with its
expiry; the link goes out through the outbox as a PASSWORD_RESET notification, which
the sender replaces once delivered, so the token does not stay at rest.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from casework import db
from casework.accounts.models import PasswordResetToken, User
from casework.accounts.services import throttle
from casework.accounts.services.passwords import check_password_rules, hash_password
from casework.accounts.services.users import end_sessions, normalise_email
from casework.audit import services as audit
from casework.clock import utcnow
from casework.exceptions import Checks, InvalidInput, InvalidTransition
from casework.notifications.models import NotificationKind
from casework.notifications.outbox import notify

LINK_LIFETIME = timedelta(hours=1)
RESET_PATH = "/sign-in/reset-password/"
LINK_UNUSABLE = "This link to reset your password has expired or has already been used."
PASSWORDS_DIFFER = "Enter the same password twice"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def throttled(email: str, limits: throttle.Limits) -> throttle.Rate | None:
    """The limit that holds back links for this address asked for from this client, if
    any (audited)."""
    rate = throttle.reset_throttled(email, throttle.client(), limits, now=utcnow())
    if rate is not None:
        audit.record(None, "auth.password_reset_throttled", "user", None)
    return rate


def request_link(email: str, limits: throttle.Limits) -> None:
    """Send a link to reset the password of the account that uses this address, if it is
    active; otherwise nothing is sent, and the caller says the same either way."""
    now = utcnow()
    account = throttle.email_key(email)
    # Every request counts towards the limit, known address or not.
    throttle.record_failure(throttle.RESET, account, throttle.client(), now=now, keep=limits.longest)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    token = secrets.token_urlsafe(32)  # made either way, so both answers cost the same
    sent = user is not None and user.active
    if user is not None and user.active:
        issue_link(user, token)
    audit.record(None, "auth.password_reset_requested", "user", user.id if user else None, detail={"sent": sent})


def issue_link(user: User, token: str) -> None:
    """Store the token's hash and tell the user; older unused links stop working."""
    now = utcnow()
    db.session.execute(
        delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
    )
    db.session.add(
        PasswordResetToken(
            user_id=user.id, token_hash=token_hash(token), created_at=now, expires_at=now + LINK_LIFETIME
        )
    )
    notify([user], NotificationKind.PASSWORD_RESET, link=RESET_PATH + token, due_at=now + LINK_LIFETIME)


def usable(token: str) -> PasswordResetToken | None:
    """The stored link the token names, if it is unused, unexpired and its account active."""
    return db.session.scalar(
        select(PasswordResetToken)
        .join(User, User.id == PasswordResetToken.user_id)
        .where(
            PasswordResetToken.token_hash == token_hash(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > utcnow(),
            User.active.is_(True),
        )
    )


def check_new_password(token: str, password: str | None, again: str | None) -> None:
    """Every problem with the new password at once (None: a field the form refused)."""
    link = usable(token)
    if link is None:
        raise InvalidTransition(LINK_UNUSABLE)
    user = db.session.get_one(User, link.user_id)
    checks = Checks()
    if password is not None:
        try:
            check_password_rules(password, email=user.email)
        except InvalidInput as error:
            checks.add(error)
    if password is not None and again is not None and password != again:
        checks.refuse(PASSWORDS_DIFFER, field="password_again")
    checks.raise_any()


def reset_password(token: str, *, password: str, again: str) -> User:
    """Set the new password: the link is used up, every session of the user ends, and
    they are told. They sign in again, with their second factor if they have one."""
    check_new_password(token, password, again)
    link = usable(token)
    assert link is not None  # nosec B101 - checked just above, in this transaction
    now = utcnow()
    # Used once: of two requests with the same link, the second finds it used.
    used = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == link.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        raise InvalidTransition(LINK_UNUSABLE)
    user = db.session.get_one(User, link.user_id)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    end_sessions(user)
    audit.record(user, "account.password_reset", "user", user.id)
    notify([user], NotificationKind.ACCOUNT_CHANGED, link="/sign-in")
    return user
