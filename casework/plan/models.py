"""The partnership delivery plan: priorities and their numbered actions (``1.3.3``)."""

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.db import Base, CreatedAt, IntPK, LongText, NarrativeText, ReasonText, Str200
from casework.rag import Rag

# Length limits, read by the forms and the services alike.
REF_MAX_LENGTH = 20  # "1.3.3"
MILESTONE_MAX_LENGTH = 200
MAX_MILESTONES = 50
# The milestones box: room for every milestone's line, and blank lines between them.
MILESTONES_TEXT_MAX = MAX_MILESTONES * 400


class PlanActionKind(enum.StrEnum):
    PREVENTION = "prevention"
    INTERVENTION = "intervention"
    PREVENTION_AND_INTERVENTION = "prevention_and_intervention"
    AWARENESS = "awareness"
    SUPPORT = "support"
    TRAINING = "training"
    ENFORCEMENT = "enforcement"
    SUPPORTING_AGENCIES = "supporting_agencies"

    @property
    def label(self) -> str:
        return self.value.replace("_and_", " & ").replace("_", " ").capitalize()


class PlanActionStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Priority(Base):
    __tablename__ = "priorities"

    id: Mapped[IntPK]
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[Str200]
    lead_officer: Mapped[Str200] = mapped_column(default="")
    year_targets: Mapped[LongText] = mapped_column(default="")

    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="priority", order_by="PlanAction.ref", lazy="raise"
    )


plan_action_partners = sa.Table(
    "plan_action_partners",
    Base.metadata,
    sa.Column("plan_action_id", sa.ForeignKey("plan_actions.id"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id"), primary_key=True),
)


class PlanAction(Base):
    """One numbered action of the plan, with its RAG set by its lead, with a reason."""

    __tablename__ = "plan_actions"

    id: Mapped[IntPK]
    priority_id: Mapped[int] = mapped_column(sa.ForeignKey("priorities.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(REF_MAX_LENGTH), unique=True)
    kind: Mapped[PlanActionKind]
    action: Mapped[LongText]
    outcome: Mapped[LongText] = mapped_column(default="")
    project: Mapped[Str200] = mapped_column(default="")
    target: Mapped[LongText] = mapped_column(default="")
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    progress: Mapped[NarrativeText] = mapped_column(default="")
    rag: Mapped[Rag | None]
    rag_reason: Mapped[ReasonText] = mapped_column(default="")
    # For the exception report: what will be done about an amber or red action.
    improvement: Mapped[LongText] = mapped_column(default="")
    status: Mapped[PlanActionStatus] = mapped_column(default=PlanActionStatus.OPEN)
    version: Mapped[int] = mapped_column(default=1)

    priority: Mapped[Priority] = relationship(back_populates="actions", lazy="raise")
    lead_agency: Mapped[Agency] = relationship(lazy="raise")
    partners: Mapped[list[Agency]] = relationship(secondary=plan_action_partners, order_by=Agency.name, lazy="raise")
    milestones: Mapped[list["PlanMilestone"]] = relationship(
        back_populates="plan_action", order_by="PlanMilestone.due_on", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}


class PlanMilestone(Base):
    __tablename__ = "plan_milestones"

    id: Mapped[IntPK]
    plan_action_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_actions.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(MILESTONE_MAX_LENGTH))
    due_on: Mapped[date]
    done: Mapped[bool] = mapped_column(default=False)

    plan_action: Mapped[PlanAction] = relationship(back_populates="milestones", lazy="raise")


class PlanUpdate(Base):
    """A quarterly progress update, kept as history: the narrative and RAG at the time."""

    __tablename__ = "plan_updates"

    id: Mapped[IntPK]
    plan_action_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_actions.id"), index=True)
    quarter: Mapped[str] = mapped_column(sa.String(10))  # "2026-27 Q3", financial year
    progress: Mapped[NarrativeText]
    rag: Mapped[Rag | None]
    rag_reason: Mapped[ReasonText] = mapped_column(default="")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[CreatedAt]

    author: Mapped[User] = relationship(lazy="raise")
