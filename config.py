"""Configuration classes, read from the environment.

CASEWORK_ENV picks one: ``production`` (the default, so a server started without
thought is the safe one), ``development`` or ``test``.
"""

import math
import os
import secrets
import string
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = ""
    DATABASE_URL = ""
    DEBUG = False
    TESTING = False

    # Sessions: 12 hours absolute, 30 minutes idle (OWASP ASVS 7.3).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(0)

    # The TOTP second factor: always for administrators and managers; for every role
    # when this is on (the production default). Demo accounts are exempt in demo data.
    REQUIRE_MFA_FOR_ALL = os.environ.get("REQUIRE_MFA_FOR_ALL", "0") == "1"
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Casework")

    # Retention (UK GDPR Art. 5(1)(e)): how long after it ends each kind of record keeps
    # its personal data before `flask casework retention --apply` anonymises it.
    RETENTION_CLOSED_CASE_YEARS = _env_int("RETENTION_CLOSED_CASE_YEARS", 6)
    RETENTION_DECLINED_REFERRAL_YEARS = _env_int("RETENTION_DECLINED_REFERRAL_YEARS", 1)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Sign-in throttling, counted in the database so every worker and server shares the
    # count (docs/authentication.md): failures allowed per window.
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "5 per 5 minutes")
    SIGN_IN_IP_RATE_LIMIT = os.environ.get("SIGN_IN_IP_RATE_LIMIT", "30 per 5 minutes")
    TWO_FACTOR_RATE_LIMIT = os.environ.get("TWO_FACTOR_RATE_LIMIT", "5 per 5 minutes")
    # Links asked for to reset a forgotten password: every request counts, as its answer
    # never says whether the address is known.
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "3 per 15 minutes")
    PASSWORD_RESET_IP_RATE_LIMIT = os.environ.get("PASSWORD_RESET_IP_RATE_LIMIT", "20 per 15 minutes")

    # Victim SLA clocks (DESIGN.md section 3.2): elapsed hours, and the target.
    SLA_CONFERENCE_HOURS = _env_int("SLA_CONFERENCE_HOURS", 72)
    SLA_REDUCE_HOURS = _env_int("SLA_REDUCE_HOURS", 168)
    SLA_DUE_SOON_HOURS = _env_int("SLA_DUE_SOON_HOURS", 24)
    SLA_TARGET_PERCENT = _env_int("SLA_TARGET_PERCENT", 85)

    # Typed dates of events (docs/sla.md, "Dates typed late or far ahead"): how many days
    # before a case or premises record was opened an event may be dated, and how many
    # months ahead a date may be before the form asks whether it is right.
    BACKDATING_DAYS = _env_int("BACKDATING_DAYS", 31)
    FUTURE_HORIZON_MONTHS = _env_int("FUTURE_HORIZON_MONTHS", 12)

    # Licensed premises traffic lights (DESIGN.md section 3.3).
    TLS_RED_TO_AMBER_MONTHS = _env_int("TLS_RED_TO_AMBER_MONTHS", 3)
    TLS_AMBER_TO_GREEN_MONTHS = _env_int("TLS_AMBER_TO_GREEN_MONTHS", 3)
    TLS_AMBER_VISIT_DAYS = _env_int("TLS_AMBER_VISIT_DAYS", 28)
    TLS_SUGGESTION_WINDOW_DAYS = _env_int("TLS_SUGGESTION_WINDOW_DAYS", 90)

    # Reminders and digests made by `flask casework notifications schedule`
    # (docs/notifications.md, "Reminders and digests").
    CLOCK_REMINDERS_HOURS = os.environ.get("CLOCK_REMINDERS_HOURS", "24,4")  # hours before due
    ACTION_REMINDER_DAYS = _env_int("ACTION_REMINDER_DAYS", 2)  # days before the due date
    PREMISES_REMINDER_DAYS = _env_int("PREMISES_REMINDER_DAYS", 7)  # days before a deadline
    REMINDER_LOOKBACK_DAYS = _env_int("REMINDER_LOOKBACK_DAYS", 7)  # how late an overdue reminder may go
    DIGEST_TIME = os.environ.get("DIGEST_TIME", "07:30")  # local time, Europe/London

    CASES_PER_PAGE = _env_int("CASES_PER_PAGE", 25)
    # Items per section of a generated PSG agenda (docs/meetings.md, "The agenda generator").
    AGENDA_SECTION_LIMIT = _env_int("AGENDA_SECTION_LIMIT", 25)
    AUDIT_EVENTS_PER_PAGE = 50
    ACCESS_REQUESTS_PER_PAGE = 25
    CASE_REFERENCE_PREFIX = os.environ.get("CASE_REFERENCE_PREFIX", "ASB")

    # E-mail notifications (README, "Notifications"; docs/notifications.md). Links in
    # e-mails are absolute: BASE_URL is where the application is served.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    NOTIFY_BACKEND = os.environ.get("NOTIFY_BACKEND", "console")  # console, smtp or notify
    NOTIFY_FROM = os.environ.get("NOTIFY_FROM", "casework@localhost")
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = _env_int("SMTP_PORT", 587)
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY", "starttls")  # starttls, tls or none
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TIMEOUT_SECONDS = _env_int("SMTP_TIMEOUT_SECONDS", 30)
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
    NOTIFY_API_URL = os.environ.get("NOTIFY_API_URL", "https://api.notifications.service.gov.uk")
    # One GOV.UK Notify template per kind ("clock_due_soon=<id>,digest=<id>"), and the
    # template for any kind not named there.
    NOTIFY_TEMPLATE_IDS = os.environ.get("NOTIFY_TEMPLATE_IDS", "")
    NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "")
    # Retries: the n-th temporary failure waits NOTIFY_RETRY_SECONDS * 2**(n-1), at most
    # a day; after NOTIFY_MAX_ATTEMPTS the notification fails for good.
    NOTIFY_MAX_ATTEMPTS = _env_int("NOTIFY_MAX_ATTEMPTS", 8)
    NOTIFY_RETRY_SECONDS = _env_int("NOTIFY_RETRY_SECONDS", 60)
    NOTIFY_BATCH_SIZE = _env_int("NOTIFY_BATCH_SIZE", 50)  # rows claimed, sent and committed together
    NOTIFY_WORKER_INTERVAL_SECONDS = _env_int("NOTIFY_WORKER_INTERVAL_SECONDS", 30)
    NOTIFICATIONS_PER_PAGE = 50

    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    def __init__(self) -> None:
        # Read when the app is created, so tests and tools can set them per app; the
        # other settings are read once, when this module is imported.
        self.SECRET_KEY = os.environ.get("SECRET_KEY", self.SECRET_KEY)
        self.DATABASE_URL = os.environ.get("DATABASE_URL", self.DATABASE_URL)
        self.DEBUG = os.environ.get("FLASK_DEBUG", "") == "1"
        self.NOTIFY_BACKEND = os.environ.get("NOTIFY_BACKEND", self.NOTIFY_BACKEND)
        self.BASE_URL = os.environ.get("BASE_URL", self.BASE_URL)

    def validate(self) -> None:
        """Refuse to start with a configuration that would be unsafe to serve."""
        if self.NOTIFY_BACKEND not in NOTIFY_BACKENDS:
            raise RuntimeError(f"NOTIFY_BACKEND must be one of {', '.join(NOTIFY_BACKENDS)}")


NOTIFY_BACKENDS = ("console", "smtp", "notify")
SECRET_KEY_BYTES = 32
MAKE_A_SECRET_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"
# Words that mark a key someone meant to replace, copied from an example or a tutorial.
_PLACEHOLDERS = ("change", "secret", "example", "placeholder", "replace", "default", "password", "insecure", "dummy")


def secret_key_problem(key: str) -> str | None:
    """Why a key cannot be the production key, or None.

    The randomness of a string cannot be measured, so this is a floor: a key must be long
    enough to carry 32 random bytes in the characters it uses (64 hexadecimal digits, 43
    of base64), must not repeat itself, and must not read as a placeholder.
    """
    bits = len(key) * math.log2(_alphabet_size(key)) if key else 0.0
    if bits < SECRET_KEY_BYTES * 8:
        return f"is too short ({len(key)} characters)"
    if len(set(key)) < 8 or _repeats(key):
        return "repeats itself too much to be random"
    lowered = key.lower()
    if any(word in lowered for word in _PLACEHOLDERS):
        return "looks like a placeholder, not a random key"
    return None


def _repeats(key: str) -> bool:
    """Whether the key is a shorter string over and over ("abcdefgh" eight times)."""
    return any(key == (key[:period] * (len(key) // period + 1))[: len(key)] for period in range(1, len(key) // 2 + 1))


def _alphabet_size(key: str) -> int:
    """How many symbols the key's characters are drawn from: hexadecimal, base64 (what
    secrets.token_urlsafe and most generators write) or any printable character."""
    if all(char in string.hexdigits for char in key):
        return 16
    if all(char in _BASE64 for char in key):
        return 64
    return 94


_BASE64 = frozenset(string.ascii_letters + string.digits + "-_+/=")


def _development_secret_key() -> str:
    """A random key kept under instance/, so sessions survive a restart of `make run`."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class DevelopmentConfig(Config):
    DATABASE_URL = f"sqlite:///{INSTANCE / 'casework.sqlite'}"

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = _development_secret_key()


class TestConfig(Config):
    __test__ = False  # a configuration, not a test class for pytest to collect
    TESTING = True
    WTF_CSRF_ENABLED = False

    def __init__(self, database_url: str = "sqlite://") -> None:
        self.SECRET_KEY = "test-secret-key-not-for-production"
        self.DATABASE_URL = database_url
        self.DEBUG = False
        # Whatever the machine's environment says: a test that wants SMTP or Notify sets it.
        self.NOTIFY_BACKEND = "console"
        self.BASE_URL = "https://casework.example.test"


class ProductionConfig(Config):
    REQUIRE_MFA_FOR_ALL = os.environ.get("REQUIRE_MFA_FOR_ALL", "1") == "1"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not getattr(self, name)]
        if missing:
            raise RuntimeError(f"Production needs {' and '.join(missing)} in the environment")
        if problem := secret_key_problem(self.SECRET_KEY):
            raise RuntimeError(
                f"SECRET_KEY {problem}: production needs at least {SECRET_KEY_BYTES} random bytes. "
                f"Make one with: {MAKE_A_SECRET_KEY}"
            )
        if self.DEBUG:
            raise RuntimeError("Production refuses to run with debug on (unset FLASK_DEBUG)")
        super().validate()
        if self.NOTIFY_BACKEND != "console" and not self.BASE_URL.startswith("https://"):
            raise RuntimeError("BASE_URL must be the https:// address Casework is served at: e-mails link to it")


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "test": TestConfig,
}


def from_environment(default: str = "production") -> Config:
    name = os.environ.get("CASEWORK_ENV", default)
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"CASEWORK_ENV must be one of {', '.join(CONFIGS)}") from None
