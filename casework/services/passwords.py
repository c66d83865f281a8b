"""Password hashing (argon2id) and the password rules."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from casework.exceptions import InvalidInput

_hasher = PasswordHasher()  # argon2id, library defaults: t=3, m=64 MiB, p=4

# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("casework-timing-equaliser")

MIN_LENGTH = 12
MAX_LENGTH = 128  # bounds the hashing cost of a single request

# The most common passwords of 12 characters or more, refused outright (ASVS 6.2.4).
_BLOCKLIST = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertyuiop12",
        "passwordpassword",
        "password1234",
        "password12345",
        "password123456",
        "iloveyou1234",
        "abcdefghijkl",
        "aaaaaaaaaaaa",
        "111111111111",
        "000000000000",
        "letmeinletmein",
        "welcome12345",
        "changeme1234",
        "administrator",
        "administrator1",
        "casework-demo",
        "caseworkcasework",
        "football1234",
        "monkeymonkey",
        "sunshine1234",
        "princess1234",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "zaq12wsxcde3",
    }
)


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
    lowered = password.lower()
    if lowered in _BLOCKLIST or (email and lowered == email.lower()) or len(set(password)) < 4:
        raise InvalidInput("Choose a password that is harder to guess", field="password")
