"""Where e-mails go: the log (development), an SMTP relay, or GOV.UK Notify.

Each backend hands over one `Email` or raises `TemporaryFailure` (try again later) or
`PermanentFailure` (trying again cannot help); the sender decides what follows. Reasons
carry status codes and the relay's words, never the message or the recipient."""

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType
from typing import Self

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from casework.clock import utcnow
from casework.notifications.emails import Email
from casework.notifications.models import NotificationKind

log = logging.getLogger("casework.notifications")

BACKENDS = ("console", "smtp", "notify")
REASON_MAX = 500  # Notification.last_error


class DeliveryFailure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:REASON_MAX]


class TemporaryFailure(DeliveryFailure):
    """The relay or service could not take it now: retried with back-off."""


class PermanentFailure(DeliveryFailure):
    """Refused for good (an address the relay rejects, a template Notify does not know)."""


class Backend:
    """Used as `with backend:` around a pass, so one connection serves every batch."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to close by default."""

    def deliver(self, email: Email) -> None:
        raise NotImplementedError


class ConsoleBackend(Backend):
    """Development: the e-mail in the log. It carries no personal data, and the address
    is left out too (the notification id says whose it is)."""

    def deliver(self, email: Email) -> None:
        log.info(
            "E-mail for notification %s (%s)\nSubject: %s\n\n%s",
            email.notification_id,
            email.kind.value,
            email.subject,
            email.body,
        )


@dataclass
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls, tls or none
    username: str
    password: str
    sender: str
    base_url: str
    timeout: float = 30.0


@dataclass
class SmtpBackend(Backend):
    settings: SmtpSettings
    _connection: smtplib.SMTP | None = field(default=None, init=False)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        if s.security == "tls":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                connection.starttls(context=context)
        if s.username:
            connection.login(s.username, s.password)
        return connection

    def message(self, email: Email) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(utcnow().timestamp(), usegmt=True)
        message["Message-ID"] = email.message_id(self.settings.base_url)
        message["X-Casework-Reference"] = email.message_key
        message.set_content(email.body)
        return message

    def deliver(self, email: Email) -> None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.send_message(self.message(email))
        except smtplib.SMTPRecipientsRefused as refused:
            self._give_up_connection_if_broken()
            codes = [code for code, _text in refused.recipients.values()]
            failure = PermanentFailure if all(code >= 500 for code in codes) else TemporaryFailure
            raise failure(f"SMTP recipient refused: {', '.join(str(code) for code in codes)}") from None
        except smtplib.SMTPResponseException as error:
            self._give_up_connection_if_broken()
            permanent = error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError)
            failure = PermanentFailure if permanent else TemporaryFailure
            raise failure(f"SMTP {error.smtp_code}: {_text(error.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TemporaryFailure(f"SMTP relay unreachable: {type(error).__name__}") from None

    def _give_up_connection_if_broken(self) -> None:
        if self._connection is not None:
            try:
                self._connection.rset()
            except (OSError, smtplib.SMTPException):
                self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                self._connection.close()
            self._connection = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# Notify's answers that retrying may cure: rate limits and its own errors.
NOTIFY_TEMPORARY = frozenset({429})


@dataclass
class NotifyBackend(Backend):
    """GOV.UK Notify through its official client. Each kind has a template whose body is
    ((body)) and subject ((subject)); ((reference)), ((link)) and ((due)) are there too."""

    api_key: str
    templates: Mapping[NotificationKind, str]
    base_url: str = "https://api.notifications.service.gov.uk"
    _client: NotificationsAPIClient | None = field(default=None, init=False)

    def deliver(self, email: Email) -> None:
        template = self.templates.get(email.kind)
        if not template:
            raise PermanentFailure(f"No GOV.UK Notify template for {email.kind.value}")
        if self._client is None:
            self._client = NotificationsAPIClient(self.api_key, base_url=self.base_url)
        try:
            self._client.send_email_notification(
                email_address=email.to,
                template_id=template,
                personalisation={
                    "subject": email.subject,
                    "body": email.body,
                    "reference": email.reference,
                    "link": email.link,
                    "due": email.due,
                },
                reference=email.message_key,
            )
        except HTTPError as error:
            status = error.status_code
            failure = TemporaryFailure if status >= 500 or status in NOTIFY_TEMPORARY else PermanentFailure
            raise failure(f"GOV.UK Notify {status}: {_notify_message(error)}") from None


def _notify_message(error: HTTPError) -> str:
    message = error.message
    if isinstance(message, list):
        return "; ".join(str(item.get("message", item)) for item in message)
    return str(message)


def template_ids(listed: str, default: str) -> dict[NotificationKind, str]:
    """NOTIFY_TEMPLATE_IDS ("clock_due_soon=<id>,digest=<id>") over NOTIFY_TEMPLATE_ID."""
    templates = dict.fromkeys(NotificationKind, default) if default else {}
    for pair in filter(None, (part.strip() for part in listed.split(","))):
        name, _, template = pair.partition("=")
        try:
            templates[NotificationKind(name.strip())] = template.strip()
        except ValueError:
            raise ValueError(f"NOTIFY_TEMPLATE_IDS names no kind of notification: {name.strip()!r}") from None
    return templates


def from_config(config: Mapping[str, object]) -> Backend:
    """The backend NOTIFY_BACKEND names, with its settings."""
    name = str(config.get("NOTIFY_BACKEND", "console"))
    if name == "smtp":
        return SmtpBackend(
            SmtpSettings(
                host=str(config["SMTP_HOST"]),
                port=int(str(config["SMTP_PORT"])),
                security=str(config["SMTP_SECURITY"]),
                username=str(config["SMTP_USERNAME"]),
                password=str(config["SMTP_PASSWORD"]),
                sender=str(config["NOTIFY_FROM"]),
                base_url=str(config["BASE_URL"]),
                timeout=float(str(config.get("SMTP_TIMEOUT_SECONDS", 30))),
            )
        )
    if name == "notify":
        return NotifyBackend(
            api_key=str(config["NOTIFY_API_KEY"]),
            templates=template_ids(str(config["NOTIFY_TEMPLATE_IDS"]), str(config["NOTIFY_TEMPLATE_ID"])),
            base_url=str(config["NOTIFY_API_URL"]),
        )
    if name == "console":
        return ConsoleBackend()
    raise ValueError(f"NOTIFY_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
