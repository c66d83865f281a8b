import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.cases.models import POSTGRESQL_CASE_SIGNAL_TRIGGERS, SQLITE_CASE_SIGNAL_TRIGGERS
from casework.db import SQLITE_STRETCH, Base, CreatedAt, IntPK, LongText, Str200, on_create


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
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
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
        # A case's actions; with the status and day, the agenda counts each item's overdue
        # actions from the index alone.
        sa.Index("ix_actions_case_id_status_due_on", "case_id", "status", "due_on"),
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


class LiveActionCount(Base):
    """How many live actions (open or in progress) each agency owes, by status and the
    month they are due (its first day). Kept by triggers on ``actions`` in the
    transaction of every write, so the partnership's figures add up a few rows per agency
    instead of reading every live action (docs/performance.md)."""

    __tablename__ = "live_action_counts"

    assigned_agency_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ActionStatus] = mapped_column(primary_key=True)
    due_month: Mapped[date] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


class DoneActionCount(Base):
    """How many actions each agency finished, by the stretch of time they were done in
    (``casework.db.SQLITE_STRETCH``: a UTC month, or its last hour), kept like
    ``LiveActionCount``."""

    __tablename__ = "done_action_counts"

    completed_from: Mapped[datetime] = mapped_column(primary_key=True)
    assigned_agency_id: Mapped[int] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The triggers that keep both; the migration action_counts creates the same.
_LIVE = "('open', 'in_progress')"
_ADD = f"""INSERT INTO live_action_counts (assigned_agency_id, status, due_month, tally)
    SELECT NEW.assigned_agency_id, NEW.status, substr(NEW.due_on, 1, 7) || '-01', 1 WHERE NEW.status IN {_LIVE}
    ON CONFLICT (assigned_agency_id, status, due_month) DO UPDATE SET tally = tally + 1;
INSERT INTO done_action_counts (completed_from, assigned_agency_id, tally)
    SELECT {SQLITE_STRETCH.format(at="NEW.completed_at")}, NEW.assigned_agency_id, 1
    WHERE NEW.status = 'done' AND NEW.completed_at IS NOT NULL
    ON CONFLICT (completed_from, assigned_agency_id) DO UPDATE SET tally = tally + 1;"""  # nosec B608 - built from constants, no input
_TAKE = f"""UPDATE live_action_counts SET tally = tally - 1
    WHERE OLD.status IN {_LIVE} AND assigned_agency_id = OLD.assigned_agency_id AND status = OLD.status
      AND due_month = substr(OLD.due_on, 1, 7) || '-01';
UPDATE done_action_counts SET tally = tally - 1
    WHERE OLD.status = 'done' AND OLD.completed_at IS NOT NULL
      AND completed_from = {SQLITE_STRETCH.format(at="OLD.completed_at")}
      AND assigned_agency_id = OLD.assigned_agency_id;"""  # nosec B608 - built from constants, no input
SQLITE_ACTION_COUNT_TRIGGERS = [
    f"CREATE TRIGGER action_counts_insert AFTER INSERT ON actions BEGIN {_ADD} END",
    f"CREATE TRIGGER action_counts_delete AFTER DELETE ON actions BEGIN {_TAKE} END",
    f"""CREATE TRIGGER action_counts_update AFTER UPDATE OF assigned_agency_id, status, due_on, completed_at
ON actions BEGIN {_TAKE} {_ADD} END""",
]
POSTGRESQL_ACTION_COUNT_TRIGGERS = [
    f"""CREATE FUNCTION action_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN {_LIVE} THEN
        UPDATE live_action_counts SET tally = tally - 1
        WHERE assigned_agency_id = OLD.assigned_agency_id AND status = OLD.status
          AND due_month = date_trunc('month', OLD.due_on)::date;
    ELSIF TG_OP <> 'INSERT' AND OLD.status = 'done' AND OLD.completed_at IS NOT NULL THEN
        UPDATE done_action_counts SET tally = tally - 1
        WHERE completed_from = month_stretch(OLD.completed_at) AND assigned_agency_id = OLD.assigned_agency_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN {_LIVE} THEN
        INSERT INTO live_action_counts (assigned_agency_id, status, due_month, tally)
        VALUES (NEW.assigned_agency_id, NEW.status, date_trunc('month', NEW.due_on)::date, 1)
        ON CONFLICT (assigned_agency_id, status, due_month) DO UPDATE SET tally = live_action_counts.tally + 1;
    ELSIF TG_OP <> 'DELETE' AND NEW.status = 'done' AND NEW.completed_at IS NOT NULL THEN
        INSERT INTO done_action_counts (completed_from, assigned_agency_id, tally)
        VALUES (month_stretch(NEW.completed_at), NEW.assigned_agency_id, 1)
        ON CONFLICT (completed_from, assigned_agency_id) DO UPDATE SET tally = done_action_counts.tally + 1;
    END IF;
    RETURN NULL;
END $$""",  # nosec B608 - built from constants, no input
    """CREATE TRIGGER action_counts_kept AFTER INSERT OR DELETE OR UPDATE OF assigned_agency_id, status, due_on,
completed_at ON actions FOR EACH ROW EXECUTE FUNCTION action_counts_kept()""",
]
# month_stretch() comes with the cases' table.
on_create(Action.__table__, sqlite=SQLITE_ACTION_COUNT_TRIGGERS, postgresql=POSTGRESQL_ACTION_COUNT_TRIGGERS)
# The case's first live action due day, for the PSG agenda (casework/cases/models.py).
on_create(
    Action.__table__,
    sqlite=SQLITE_CASE_SIGNAL_TRIGGERS["actions"],
    postgresql=POSTGRESQL_CASE_SIGNAL_TRIGGERS["actions"],
)
