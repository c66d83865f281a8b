import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.db import Base, CreatedAt, IntPK, LongText, Str200


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"open": "Open", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"}[self.value]

    @property
    def is_live(self) -> bool:
        """Still owed: open or in progress (done and cancelled have no RAG)."""
        return self in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


LIVE_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class Action(Base):
    """A multi-agency action: owed by one agency, about exactly one subject (a case, a
    premises, a meeting or an item of the delivery plan)."""

    __tablename__ = "actions"

    id: Mapped[IntPK]
    title: Mapped[Str200]
    detail: Mapped[LongText] = mapped_column(default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    premises_id: Mapped[int | None] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    plan_action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_actions.id"), index=True)
    # The meeting decision that created it, if any, and the referral that decision was
    # about: an action from a referral item is seen only by those who see the referral.
    decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meeting_decisions.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    assigned_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(default=ActionStatus.OPEN)
    completion_note: Mapped[LongText] = mapped_column(default="")
    completed_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1)

    assigned_agency: Mapped[Agency] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="raise")
    updates: Mapped[list["ActionUpdate"]] = relationship(
        back_populates="action", order_by="ActionUpdate.id", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "(CASE WHEN case_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN premises_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN plan_action_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
        # An agency's inbox (its actions of one status by due date, with what its filters
        # need, so a page reads the index alone) and the partnership's overdue list.
        sa.Index(
            "ix_actions_assigned_agency_id_status_due_on",
            "assigned_agency_id",
            "status",
            "due_on",
            "id",
            "assignee_id",
            "case_id",
            "premises_id",
            "meeting_id",
            "plan_action_id",
        ),
        # The case_id at the end lets the PSG agenda read the live overdue actions of
        # open cases from the index alone.
        sa.Index(
            "ix_actions_status_due_on_assigned_agency_id", "status", "due_on", "id", "assigned_agency_id", "case_id"
        ),
        # "Assigned to me".
        sa.Index("ix_actions_assignee_id", "assignee_id", "status", "due_on"),
        # The figures' actions done in a quarter, by agency.
        sa.Index("ix_actions_status_completed_at", "status", "completed_at", "assigned_agency_id"),
    )


class ActionUpdate(Base):
    """A progress note or a change of status on an action: its history, oldest first."""

    __tablename__ = "action_updates"

    id: Mapped[IntPK]
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("actions.id"), index=True)
    from_status: Mapped[ActionStatus | None]
    to_status: Mapped[ActionStatus | None]
    note: Mapped[LongText] = mapped_column(default="")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[CreatedAt]

    action: Mapped[Action] = relationship(back_populates="updates", lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
