"""The outbox: one row per person to tell about one event, written in the same
transaction as the event, delivered later by a sender (`flask casework notifications send`).

A row holds only what an e-mail may carry: the kind of event, a reference, a due time
and a link. Never a name, an address, a date of birth or free text: e-mails travel to
mailboxes outside the partnership's control."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.clock import utcnow
from casework.db import Base, CreatedAt, IntPK


class NotificationKind(StrEnum):
    CLOCK_DUE_SOON = "clock_due_soon"
    CLOCK_OVERDUE = "clock_overdue"
    ACTION_ASSIGNED = "action_assigned"
    ACTION_DUE_SOON = "action_due_soon"
    ACTION_OVERDUE = "action_overdue"
    ACTION_PROGRESS = "action_progress"
    ACCESS_REQUESTED = "access_requested"
    ACCESS_DECIDED = "access_decided"
    REFERRAL_MADE = "referral_made"
    REFERRAL_DECIDED = "referral_decided"
    AGENDA_PUBLISHED = "agenda_published"
    MINUTES_FINISHED = "minutes_finished"
    PREMISES_DEADLINE_DUE_SOON = "premises_deadline_due_soon"
    PREMISES_DEADLINE_PASSED = "premises_deadline_passed"
    ACCOUNT_CHANGED = "account_changed"
    PASSWORD_RESET = "password_reset"  # nosec B105 - the name of a kind of notification, not a password
    DIGEST = "digest"

    @property
    def mandatory(self) -> bool:
        """Sent whatever the user chose: they protect the account itself."""
        return self in MANDATORY


MANDATORY = frozenset({NotificationKind.ACCOUNT_CHANGED, NotificationKind.PASSWORD_RESET})


class NotificationStatus(StrEnum):
    PENDING = "pending"  # to be delivered (or gathered into a digest)
    SENT = "sent"  # handed to the mail backend
    FAILED = "failed"  # refused for good, or out of retries: shown to administrators
    DIGESTED = "digested"  # delivered inside a daily digest
    WITHDRAWN = "withdrawn"  # not sent: the recipient may no longer see it, or turned it off


class Choice(StrEnum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    OFF = "off"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[NotificationKind]
    # What the e-mail names: a case, premises, meeting or referral reference, never a person.
    reference: Mapped[str] = mapped_column(sa.String(40), default="")
    link: Mapped[str] = mapped_column(sa.String(500))  # a path in the application
    due_at: Mapped[datetime | None]
    # Checked again when sending: the recipient must still see the case or premises.
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    premises_id: Mapped[int | None] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    # Reminders are made by a scheduler that may run many times: the key makes the
    # second run add nothing ("clock:12:due-4h" for user 7 is made once).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[CreatedAt]
    status: Mapped[NotificationStatus] = mapped_column(default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]  # seen on /notifications
    # A row gathered into a daily digest points to the digest's own row (kind DIGEST),
    # which lists it; the gathered row is then DIGESTED and is never sent on its own.
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notifications.id"), index=True)

    __table_args__ = (
        # The sender's query: pending rows whose time has come; the administrators' list and
        # counts by status.
        sa.Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        # The header's unread count.
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        # The user's list, newest first: a page is read in order, not sorted from all of them.
        sa.Index("ix_notifications_user_id_created_at", "user_id", "created_at", "id"),
    )


class NotificationPreference(Base):
    """A user's choice for one kind; no row means immediately."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(primary_key=True)
    choice: Mapped[Choice]
