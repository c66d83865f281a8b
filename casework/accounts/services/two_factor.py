"""The second factor: a TOTP authenticator app (RFC 6238), with one-time recovery codes.

Recovery codes carry about 119 bits of randomness, so they are stored as a plain
SHA-256 hash (ASVS 6.5.2 allows a standard hash from 112 bits up): nobody can
brute-force them from the hashes, and a code can be found by its hash in one
indexed query, where argon2 would cost a slow verification per stored code.
"""

import hashlib
import hmac
import secrets

import pyotp
import segno
from sqlalchemy import delete, func, select, update

from casework import db
from casework.accounts.models import RecoveryCode, User
from casework.accounts.services import throttle
from casework.accounts.services.passwords import verify_password
from casework.accounts.services.users import end_sessions, finish_sign_in, get_user
from casework.audit import services as audit
from casework.clock import timestamp, utcnow
from casework.db import ensure_version
from casework.exceptions import InvalidInput
from casework.notifications import events

STEP_SECONDS = 30
DRIFT_STEPS = 1  # one step either side: a phone's clock a little out, or a slow typist
CODE_DIGITS = 6
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: read off paper without guessing. 31 symbols, 24 of them: 118.9 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 24


# --- TOTP ----------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 advises


def provisioning_uri(user: User, secret: str, *, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code(uri: str) -> str:
    """The QR code as an SVG data: URI, drawn here: the secret never leaves the server."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _digits(code: str) -> str | None:
    cleaned = "".join(code.split()).replace("-", "")
    return cleaned if len(cleaned) == CODE_DIGITS and cleaned.isascii() and cleaned.isdigit() else None


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is, within the allowed drift, or None."""
    current = int((timestamp() if now is None else now) // STEP_SECONDS)
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS, interval=STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record the step as used, only if it is later than the last one: a code, even one
    seen over someone's shoulder, is good once. One UPDATE, so two requests racing with
    the same code cannot both win."""
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


# --- Recovery codes ------------------------------------------------------------------


def _normalise_recovery_code(code: str) -> str:
    return "".join(char for char in code.lower() if char in _RECOVERY_ALPHABET)


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(f"casework-recovery-code:{_normalise_recovery_code(code)}".encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(  # type: ignore[return-value]
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _use_recovery_code(user: User, code: str) -> bool:
    if len(_normalise_recovery_code(code)) != _RECOVERY_LENGTH:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return used.rowcount == 1  # type: ignore[attr-defined]


# --- Use cases -----------------------------------------------------------------------


def throttled(user: User, limits: throttle.Limits) -> throttle.Rate | None:
    """The limit that holds back this account's codes for now, if any (audited)."""
    rate = throttle.code_throttled(user.id, limits, now=utcnow())
    if rate is not None:
        audit.record(None, "auth.two_factor_throttled", "user", user.id)
    return rate


def _count_failure(user: User, limits: throttle.Limits) -> None:
    throttle.record_failure(
        throttle.CODE, throttle.user_key(user.id), throttle.client(), now=utcnow(), keep=limits.longest
    )


def enrol(user: User, secret: str, code: str, *, limits: throttle.Limits) -> list[str] | None:
    """Finish setting up the authenticator, and the sign-in it is part of.

    ``user`` has given the right password moments ago; ``secret`` is the one shown to
    them. Returns their first recovery codes, or None if the code was not right."""
    digits = _digits(code)
    step = _matching_step(secret, digits) if digits else None
    if step is None or user.totp_enrolled_at is not None:
        audit.record(None, "auth.two_factor_failed", "user", user.id, detail={"during": "setup"})
        _count_failure(user, limits)
        return None
    # Sign-in bookkeeping, like last_signed_in_at: not an edit of the account, so an
    # administrator's open form for this user does not go stale.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(totp_secret=secret, totp_enrolled_at=utcnow(), totp_last_step=step)
    )
    codes = _replace_recovery_codes(user)
    audit.record(user, "auth.two_factor_enrolled", "user", user.id)
    finish_sign_in(user, second_factor="totp")
    return codes


def verify(user: User, code: str, *, limits: throttle.Limits) -> str | None:
    """Finish a sign-in with a code from the authenticator or a recovery code.

    Returns how the user proved it ("totp" or "recovery_code"), or None."""
    if user.totp_secret is None or user.totp_enrolled_at is None:
        return None
    digits = _digits(code)
    if digits is not None:
        step = _matching_step(user.totp_secret, digits)
        if step is not None and _claim_step(user, step):
            finish_sign_in(user, second_factor="totp")
            return "totp"
    elif _use_recovery_code(user, code):
        audit.record(
            user, "auth.recovery_code_used", "user", user.id, detail={"remaining": unused_recovery_codes(user)}
        )
        finish_sign_in(user, second_factor="recovery_code")
        return "recovery_code"
    audit.record(None, "auth.two_factor_failed", "user", user.id)
    _count_failure(user, limits)
    return None


def regenerate_recovery_codes(actor: User, *, password: str) -> list[str]:
    """A new set for the signed-in user; the old ones stop working."""
    if not verify_password(actor.password_hash, password):
        raise InvalidInput("Your password is not correct", field="password")
    if actor.totp_enrolled_at is None:
        raise InvalidInput("Set up an authenticator app first: you will be asked to the next time you sign in")
    codes = _replace_recovery_codes(actor)
    audit.record(actor, "auth.recovery_codes_regenerated", "user", actor.id)
    return codes


def reset(actor: User, user_id: int, *, version: int) -> User:
    """An administrator clears a user's second factor (a lost phone): the user is signed
    out everywhere and sets up a new one at their next sign-in."""
    user = get_user(actor, user_id)
    ensure_version(user, version)
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    end_sessions(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(actor, "user.two_factor_reset", "user", user.id)
    events.account_changed(user)
    return user
