"""Password hashing (argon2id) and the password rules."""

import secrets
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.exceptions import InvalidInput

_hasher = PasswordHasher()  # argon2id, library defaults: t=3, m=64 MiB, p=4

# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("casework-timing-equaliser")


def lower_cost_for_tests() -> None:
    """Hash with the cheapest argon2id there is, for this process: the test suite signs in
    thousands of times, and each sign-in at the real cost is a fifth of a second or more
    of a busy processor. Only tests/conftest.py calls this; the algorithm, the checks and
    the rehashing are the same, and a test checks the real cost everywhere else."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _DUMMY_HASH = _hasher.hash("casework-timing-equaliser")


MIN_LENGTH = 12
MAX_LENGTH = 128  # bounds the hashing cost of a single request


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (sources and licences in its header), read once."""
    text = (files("casework.accounts") / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


# No 0/o, 1/l/i: read out over the phone without spelling it twice.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_TEMPORARY_GROUPS = 4


def temporary_password() -> str:
    """A strong password to give someone by phone: four groups of four characters from
    31 symbols (about 79 bits), such as ``k7pm-2xqa-hd4r-9wnf``."""
    groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(_TEMPORARY_GROUPS))
    return "-".join(groups)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_rules(password: str, *, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Password must be {MIN_LENGTH} characters or more", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Password must be {MAX_LENGTH} characters or fewer", field="password")
    # No composition rules (ASVS 6.2.5): length, a list of common passwords, and a
    # password that is not the address or one repeated character or two.
    lowered = password.lower()
    if lowered in common_passwords() or (email and lowered == email.lower()) or len(set(password)) < 4:
        raise InvalidInput("Choose a password that is harder to guess", field="password")
