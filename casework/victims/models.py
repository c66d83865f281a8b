import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.cases.models import POSTGRESQL_CASE_SIGNAL_TRIGGERS, SQLITE_CASE_SIGNAL_TRIGGERS, Case
from casework.db import Base, CreatedAt, IntPK, ReasonText, Str200, monthly_count_triggers, on_create
from casework.limits import STOP_REASON_MAX
from casework.people.models import Person


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)

    @property
    def colour(self) -> str:
        return {"standard": "green", "medium": "yellow", "high": "red"}[self.value]


class RiskMatrix(Base):
    """One version of a risk matrix. Stored once and never changed, so every assessment
    can be scored again with exactly the questions and points it was made with."""

    __tablename__ = "risk_matrices"

    id: Mapped[IntPK]
    name: Mapped[Str200]
    version: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    checksum: Mapped[str] = mapped_column(sa.String(64))  # sha256 of the canonical JSON
    loaded_at: Mapped[CreatedAt]

    __table_args__ = (sa.UniqueConstraint("name", "version"),)

    @property
    def title(self) -> str:
        return f"{self.name} v{self.version}"


class RiskAssessment(Base):
    """A victim's risk graded with a matrix. History: never edited or deleted."""

    __tablename__ = "risk_assessments"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    matrix_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_matrices.id"))
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    score: Mapped[int]
    computed_level: Mapped[RiskLevel]
    override_level: Mapped[RiskLevel | None]
    override_reason: Mapped[ReasonText] = mapped_column(default="")
    level: Mapped[RiskLevel]  # the final level: the override if there is one
    assessed_at: Mapped[datetime]
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    matrix: Mapped[RiskMatrix] = relationship(lazy="raise")
    assessed_by: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_risk_assessments_case_id_person_id_assessed_at", "case_id", "person_id", "assessed_at"),
        # A person's assessments in order, for the subject access export.
        sa.Index("ix_risk_assessments_person_id_assessed_at_id", "person_id", "assessed_at", "id"),
    )


# Whether the case has a high-risk victim, for the PSG agenda (casework/cases/models.py).
on_create(
    RiskAssessment.__table__,
    sqlite=SQLITE_CASE_SIGNAL_TRIGGERS["risk_assessments"],
    postgresql=POSTGRESQL_CASE_SIGNAL_TRIGGERS["risk_assessments"],
)


class ClockKind(enum.StrEnum):
    CONFERENCE_72H = "conference_72h"
    REDUCE_7D = "reduce_7d"

    @property
    def label(self) -> str:
        return {
            "conference_72h": "Case conference within 72 hours",
            "reduce_7d": "Risk brought down to medium within 7 days",
        }[self.value]

    @property
    def short_label(self) -> str:
        return {"conference_72h": "Case conference", "reduce_7d": "Risk reduced"}[self.value]


class ClockOutcome(enum.StrEnum):
    """What has happened to a clock. Whether an open clock is pending, due soon or
    overdue depends on the time you look, so it is worked out when read.

    A clock the case's closing (or the victim leaving it) stops is ``stopped`` when it
    was not yet due, and ``overdue_at_closing`` when it was already past due: closing
    a case never turns a breach into a clock that does not count.
    """

    OPEN = "open"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"
    OVERDUE_AT_CLOSING = "overdue_at_closing"


class ClockStatus(enum.StrEnum):
    PENDING = "pending"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"
    OVERDUE_AT_CLOSING = "overdue_at_closing"

    @property
    def label(self) -> str:
        return {"due_soon": "Due soon", "met_late": "Met late", "overdue_at_closing": "Overdue at closing"}.get(
            self.value, self.value.capitalize()
        )

    @property
    def colour(self) -> str:
        return {
            "pending": "blue",
            "due_soon": "orange",
            "overdue": "red",
            "met": "green",
            "met_late": "yellow",
            "stopped": "grey",
            "overdue_at_closing": "red",
        }[self.value]


class SlaClock(Base):
    """One of the two clocks a victim's high-risk episode starts.

    Clocks are derived from the recorded assessments, conferences and stops, and are
    worked out again whenever one of those is recorded (casework.victims.services.sla).
    """

    __tablename__ = "sla_clocks"

    id: Mapped[IntPK]
    kind: Mapped[ClockKind]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    outcome: Mapped[ClockOutcome] = mapped_column(default=ClockOutcome.OPEN)
    met_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str] = mapped_column(sa.String(STOP_REASON_MAX), default="")
    # The assessment that started the episode, so the clocks can be traced to it.
    started_by_assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_assessments.id"))

    case: Mapped[Case] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")

    __table_args__ = (
        # "Unmet clocks by due time": the dashboard's now view and My work. With the case,
        # the dashboard counts the clocks due now by agency without reading the clocks.
        sa.Index("ix_sla_clocks_outcome_due_at_case_id", "outcome", "due_at", "case_id"),
        sa.Index("ix_sla_clocks_started_at", "started_at"),
        # The dashboard's quarterly figures: every column they read is in the index, so
        # the database counts a quarter's clocks by kind and outcome without the table.
        sa.Index("ix_sla_clocks_kind_outcome_started_at", "kind", "outcome", "started_at", "due_at", "person_id"),
        sa.Index("ix_sla_clocks_case_id_person_id", "case_id", "person_id"),
        # A person's clocks in order, for the subject access export.
        sa.Index("ix_sla_clocks_person_id_started_at_id", "person_id", "started_at", "id"),
    )


class SlaClockCount(Base):
    """How many clocks started in each stretch of time, by kind and outcome: the
    dashboard's quarterly figures add up these few rows instead of every clock of the
    quarter. Kept by triggers on ``sla_clocks`` in the transaction of every change, as
    ``CaseCount`` is; ``started_from`` is the start of a stretch (a UTC month, or its
    last hour on its own: ``casework.db.SQLITE_STRETCH``)."""

    __tablename__ = "sla_clock_counts"

    started_from: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[ClockKind] = mapped_column(primary_key=True)
    outcome: Mapped[ClockOutcome] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The triggers that keep sla_clock_counts; the migration sla_clock_counts creates the same.
SQLITE_CLOCK_COUNT_TRIGGERS, POSTGRESQL_CLOCK_COUNT_TRIGGERS = monthly_count_triggers(
    "sla_clock_counts", "sla_clocks", stretch="started_from", at="started_at", keys=("kind", "outcome")
)
# month_stretch() comes with the cases' table.
on_create(SlaClock.__table__, sqlite=SQLITE_CLOCK_COUNT_TRIGGERS, postgresql=POSTGRESQL_CLOCK_COUNT_TRIGGERS)


class SlaStop(Base):
    """Something that stops a victim's open clocks: the case closed, or the victim
    taken off the case. ``person_id`` is None when it applies to every victim."""

    __tablename__ = "sla_stops"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    stopped_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(STOP_REASON_MAX))
    recorded_at: Mapped[CreatedAt]
