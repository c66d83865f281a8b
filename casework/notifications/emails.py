"""The e-mail a notification becomes: its subject from `wording.SUBJECTS`, and a body of
the reference, the due time in UK local time and an absolute link. Nothing else: the row
holds no name, address, date of birth or free text, and neither does the e-mail.

A DIGEST row lists the rows gathered into it (those whose `digest_id` points to it), each
in the same words, and points at /notifications."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from casework.clock import local
from casework.notifications.models import Notification, NotificationKind
from casework.notifications.wording import SUBJECTS

PREFERENCES_PATH = "/account/notifications"
NOTIFICATIONS_PATH = "/notifications"


@dataclass(frozen=True)
class Email:
    notification_id: int
    kind: NotificationKind
    to: str
    subject: str
    body: str
    reference: str  # the case, premises, meeting or referral reference ("" if none)
    link: str  # absolute
    due: str  # UK local time in words ("" if none)

    @property
    def message_key(self) -> str:
        """The same for every attempt at this notification: a relay or mailbox that gets
        it twice (a sender killed before recording it) can tell the copy by it."""
        return f"casework-notification-{self.notification_id}"

    def message_id(self, base_url: str) -> str:
        host = urlsplit(base_url).hostname or "casework.invalid"
        return f"<{self.message_key}@{host}>"


# Actions are due on a day, kept as the start of that day: their e-mails give the day alone.
DUE_ON_A_DAY = frozenset(
    {NotificationKind.ACTION_ASSIGNED, NotificationKind.ACTION_DUE_SOON, NotificationKind.ACTION_OVERDUE}
)


def spoken_due(moment: datetime, kind: NotificationKind | None = None) -> str:
    """'Wednesday 2 December 2026 at 9:30am (UK time)', or 'Wednesday 2 December 2026'
    for what is due on a day."""
    at = local(moment)
    if kind in DUE_ON_A_DAY:
        return f"{at:%A} {at.day} {at:%B %Y}"
    hour = at.strftime("%I").lstrip("0")
    half = "am" if at.hour < 12 else "pm"
    return f"{at:%A} {at.day} {at:%B %Y} at {hour}:{at:%M}{half} (UK time)"


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def digest_line(item: Notification, base_url: str) -> str:
    """One gathered notification in a digest: its words, reference, due time and link."""
    parts = [SUBJECTS[item.kind]]
    if item.reference:
        parts.append(item.reference)
    if item.due_at:
        parts.append(f"due {spoken_due(item.due_at, item.kind)}")
    return f"- {', '.join(parts)}: {absolute(base_url, item.link)}"


def render(notification: Notification, *, to: str, base_url: str, items: Sequence[Notification] = ()) -> Email:
    """The e-mail for one notification, to one address; `items` are a digest's rows."""
    kind = notification.kind
    path = NOTIFICATIONS_PATH if kind is NotificationKind.DIGEST else notification.link
    link = absolute(base_url, path)
    reference = "" if kind is NotificationKind.DIGEST else notification.reference
    due = spoken_due(notification.due_at, kind) if notification.due_at and kind is not NotificationKind.DIGEST else ""
    lines = [SUBJECTS[kind] + "."]
    if kind is NotificationKind.DIGEST:
        lines.append("Since your last summary:" if items else "You have notifications waiting in Casework.")
        lines += [digest_line(item, base_url) for item in items]
    if reference:
        lines.append(f"Reference: {reference}")
    if due:
        lines.append(f"Due: {due}")
    lines += ["", f"Open it in Casework (you will be asked to sign in): {link}"]
    if not kind.mandatory:
        lines += ["", "---", f"Change what you are told about: {absolute(base_url, PREFERENCES_PATH)}"]
    return Email(
        notification_id=notification.id,
        kind=kind,
        to=to,
        subject=SUBJECTS[kind],
        body="\n".join(lines) + "\n",
        reference=reference,
        link=link,
        due=due,
    )
