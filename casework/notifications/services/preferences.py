"""What each user chose to be told about, and how (the page /account/notifications)."""

from collections.abc import Mapping
from typing import cast

from sqlalchemy import delete, select

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.exceptions import Checks
from casework.notifications.models import Choice, NotificationKind, NotificationPreference
from casework.notifications.wording import CHOICE_LABELS

CHOICE_NAMES: dict[Choice, str] = {
    Choice.IMMEDIATELY: "Immediately",
    Choice.DIGEST: "In a daily digest",
    Choice.OFF: "Not at all",
}


def choices_of(user: User) -> dict[NotificationKind, Choice]:
    """The user's choice for every kind they may choose about (no row: immediately)."""
    query = select(NotificationPreference.kind, NotificationPreference.choice).where(
        NotificationPreference.user_id == user.id
    )
    stored = {kind: choice for kind, choice in db.session.execute(query)}
    return {kind: stored.get(kind, Choice.IMMEDIATELY) for kind in CHOICE_LABELS}


def check_choices(chosen: Mapping[NotificationKind, object]) -> None:
    """Every kind offered has a choice, and every choice is one of the three."""
    checks = Checks()
    for kind, label in CHOICE_LABELS.items():
        value = chosen.get(kind)
        if not isinstance(value, Choice):
            checks.refuse(f"Select how to be told about {label[0].lower()}{label[1:]}", field=kind.value)
    for kind in chosen:
        if kind not in CHOICE_LABELS:
            checks.refuse("That kind of notification cannot be chosen", field=None)
    checks.raise_any()


def change_choices(actor: User, chosen: Mapping[NotificationKind, object]) -> list[NotificationKind]:
    """Keep the actor's choices; the kinds whose choice changed, audited. Account events
    (MANDATORY) are not offered: they are always sent."""
    check_choices(chosen)
    valid = {kind: cast(Choice, chosen[kind]) for kind in CHOICE_LABELS}  # checked above
    before = choices_of(actor)
    changed = [kind for kind in CHOICE_LABELS if valid[kind] != before[kind]]
    if not changed:
        return []
    db.session.execute(
        delete(NotificationPreference).where(
            NotificationPreference.user_id == actor.id, NotificationPreference.kind.in_(changed)
        )
    )
    db.session.add_all(
        NotificationPreference(user_id=actor.id, kind=kind, choice=valid[kind])
        for kind in changed
        if valid[kind] is not Choice.IMMEDIATELY  # no row means immediately
    )
    db.session.flush()
    audit.record(
        actor,
        "notification.preferences_changed",
        "user",
        actor.id,
        detail={kind.value: {"from": before[kind].value, "to": valid[kind].value} for kind in changed},
    )
    return changed
