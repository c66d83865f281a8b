"""Writing notifications. Callers are services: the rows join the caller's transaction,
so an event that rolls back leaves no notification behind, and one that commits cannot
lose its notifications."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.notifications.models import Choice, Notification, NotificationKind, NotificationPreference


def notify(
    recipients: Iterable[User],
    kind: NotificationKind,
    *,
    link: str,
    reference: str = "",
    due_at: datetime | None = None,
    case_id: int | None = None,
    premises_id: int | None = None,
    key: str | None = None,
) -> list[Notification]:
    """One pending notification per active recipient (each once, however often listed).

    `key` names the occasion ("clock:12:due-4h"); with it, a recipient already told
    about that occasion is not told again."""
    people = {user.id: user for user in recipients if user.active}
    if key is not None:
        keys = {user_id: f"{key}:{user_id}" for user_id in people}
        told = set(
            db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys.values())))
        )
        people = {user_id: user for user_id, user in people.items() if keys[user_id] not in told}
    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            link=link,
            reference=reference,
            due_at=due_at,
            case_id=case_id,
            premises_id=premises_id,
            dedupe_key=f"{key}:{user_id}" if key is not None else None,
        )
        for user_id in sorted(people)
    ]
    db.session.add_all(rows)
    return rows


def choice_for(user_id: int, kind: NotificationKind) -> Choice:
    """How the user wants to be told of this kind (mandatory kinds: always immediately)."""
    if kind.mandatory:
        return Choice.IMMEDIATELY
    chosen = db.session.scalar(
        select(NotificationPreference.choice).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return chosen or Choice.IMMEDIATELY
