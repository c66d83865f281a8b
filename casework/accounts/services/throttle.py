"""Sign-in throttling, counted in the database.

Wrong passwords and wrong security codes are rows of ``sign_in_failures``, so every
worker process and every server counts the same failures without a service of its own
(an in-memory count per process let 14 of 16 wrong passwords through three workers
where the limit is 5). Only failures count, and nobody is locked out for good: a count
covers a window (5 minutes by default) and older failures no longer count.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from casework import db
from casework.accounts.models import SignInFailure
from casework.audit import services as audit

SIGN_IN = "sign_in"  # a wrong password, or an unknown or deactivated account
CODE = "code"
RESET = "reset"  # a link asked for to reset a password (each one counts)

_RATE = re.compile(r"(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?")
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    """How many failures a window allows, written as in the settings: "5 per 5 minutes"."""

    count: int
    window: timedelta

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = _RATE.fullmatch(text.strip().lower())
        if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
            raise ValueError(f"{text!r} is not a rate like '5 per 5 minutes'")
        count, length, unit = match.groups()
        return cls(int(count), timedelta(seconds=int(length or 1) * _UNITS[unit]))

    @property
    def minutes(self) -> int:
        return max(1, round(self.window.total_seconds() / 60))


@dataclass(frozen=True)
class Limits:
    password_per_account: Rate  # wrong passwords for one address, from one client
    password_per_client: Rate  # wrong passwords from one client, whatever the address
    code_per_account: Rate  # wrong codes for one account, from anywhere
    # Links asked for to reset a password: per address and client, and per client.
    reset_per_account: Rate = Rate(3, timedelta(minutes=15))
    reset_per_client: Rate = Rate(20, timedelta(minutes=15))

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> "Limits":
        return cls(
            Rate.parse(str(config["SIGN_IN_RATE_LIMIT"])),
            Rate.parse(str(config["SIGN_IN_IP_RATE_LIMIT"])),
            Rate.parse(str(config["TWO_FACTOR_RATE_LIMIT"])),
            Rate.parse(str(config["PASSWORD_RESET_RATE_LIMIT"])),
            Rate.parse(str(config["PASSWORD_RESET_IP_RATE_LIMIT"])),
        )

    @property
    def longest(self) -> timedelta:
        """How long a row is kept: every kind shares the table, so the longest window of all."""
        rates = (
            self.password_per_account,
            self.password_per_client,
            self.code_per_account,
            self.reset_per_account,
            self.reset_per_client,
        )
        return max(rate.window for rate in rates)


def client() -> str:
    """The address the request came from (the proxy's client, with TRUSTED_PROXIES)."""
    return audit.request_meta.get().ip


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def email_key(email: str) -> str:
    return _hashed(f"email:{email.strip().lower()}")


def user_key(user_id: int) -> str:
    return _hashed(f"user:{user_id}")


def _one_at_a_time(*parts: str) -> None:
    """Attempts on the same key wait for each other until their transaction ends, so two
    processes cannot both read "4 failures" and both try a fifth. PostgreSQL: an advisory
    lock; SQLite: a request that writes already holds the database's one write lock."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big", signed=True)
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


def _count(kind: str, since: datetime, **match: str) -> int:
    query = select(func.count()).select_from(SignInFailure).where(SignInFailure.kind == kind, SignInFailure.at > since)
    for column, value in match.items():
        query = query.where(getattr(SignInFailure, column) == value)
    return db.session.scalar(query) or 0


def password_throttled(email: str, client: str, limits: Limits, *, now: datetime) -> Rate | None:
    """The limit a sign-in from this client for this address has reached, if any."""
    account = email_key(email)
    _one_at_a_time(SIGN_IN, account, client)
    per_account, per_client = limits.password_per_account, limits.password_per_client
    if _count(SIGN_IN, now - per_account.window, account=account, client=client) >= per_account.count:
        return per_account
    if _count(SIGN_IN, now - per_client.window, client=client) >= per_client.count:
        return per_client
    return None


def reset_throttled(email: str, client: str, limits: Limits, *, now: datetime) -> Rate | None:
    """The limit that holds back links to reset the password of this address, asked for
    from this client, if any."""
    account = email_key(email)
    _one_at_a_time(RESET, account, client)
    per_account, per_client = limits.reset_per_account, limits.reset_per_client
    if _count(RESET, now - per_account.window, account=account, client=client) >= per_account.count:
        return per_account
    if _count(RESET, now - per_client.window, client=client) >= per_client.count:
        return per_client
    return None


def code_throttled(user_id: int, limits: Limits, *, now: datetime) -> Rate | None:
    account = user_key(user_id)
    _one_at_a_time(CODE, account)
    rate = limits.code_per_account
    return rate if _count(CODE, now - rate.window, account=account) >= rate.count else None


def record_failure(kind: str, account: str, client: str, *, now: datetime, keep: timedelta) -> None:
    """Count one failure; failures older than any window are forgotten as it is."""
    db.session.execute(insert(SignInFailure).values(at=now, kind=kind, account=account, client=client[:45]))
    db.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - keep))
