import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.db import Base, CreatedAt, IntPK, LongText, limited

# Length limits, read by the forms and the services alike.
LOCATION_MAX = 200
TOPIC_MAX = 200
MINUTES_MAX = 20000
DECISION_MAX = 5000
AMENDMENT_MAX = 5000


class MeetingKind(enum.StrEnum):
    PSG_MEETING = "psg_meeting"
    CASE_CONFERENCE = "case_conference"

    @property
    def label(self) -> str:
        return {"psg_meeting": "PSG meeting", "case_conference": "Case conference"}[self.value]


class AgendaSection(enum.StrEnum):
    """The sections of a generated agenda, in agenda order; each shows at most so many
    items (``AGENDA_SECTION_LIMIT``), the most urgent first. The values name the list of
    what did not fit in URLs, so they are kebab-case."""

    REFERRALS = "referrals"  # referrals awaiting a decision, items of their own
    ACCEPTED = "accepted"  # cases from referrals accepted since the last meeting
    HIGH_RISK = "high-risk"
    OVERDUE = "overdue"
    REVIEW = "review"

    @property
    def label(self) -> str:
        """What "and N more ..." says about the section's items."""
        return {
            "referrals": "referrals awaiting a decision",
            "accepted": "cases from new referrals",
            "high-risk": "cases with a high-risk victim",
            "overdue": "cases with something overdue",
            "review": "cases flagged for PSG review",
        }[self.value]


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Meeting(Base):
    """A PSG meeting, or a case conference about one case (``case_id`` set).

    A PSG meeting is scheduled ahead (``held_at`` is when it is to be held), gets its
    agenda from the casebook, and is locked when the chair finishes it: after that,
    corrections are added as amendments.
    """

    __tablename__ = "meetings"

    id: Mapped[IntPK]
    kind: Mapped[MeetingKind]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    held_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(sa.String(LOCATION_MAX), default="", server_default="")
    chair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[LongText] = mapped_column(default="")
    agenda_generated_at: Mapped[datetime | None]
    # How many more the casebook picked than each section shows, when the agenda was
    # generated: {AgendaSection value: count}, only the sections that overflowed.
    agenda_more: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    finished_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id], lazy="raise")
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id], lazy="raise")
    attendance: Mapped[list["MeetingAttendance"]] = relationship(
        back_populates="meeting", order_by="MeetingAttendance.id", lazy="raise"
    )
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (sa.Index("ix_meetings_kind_held_at", "kind", "held_at"),)

    @property
    def locked(self) -> bool:
        return self.finished_at is not None


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"

    id: Mapped[IntPK]
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    status: Mapped[AttendanceStatus]

    meeting: Mapped[Meeting] = relationship(back_populates="attendance", lazy="raise")
    agency: Mapped[Agency] = relationship(lazy="raise")

    __table_args__ = (sa.UniqueConstraint("meeting_id", "agency_id"),)


class AgendaItem(Base):
    """One item on a PSG meeting's agenda: a case, a referral or a topic of the chair's,
    with why it is there, its minutes and its decisions."""

    __tablename__ = "agenda_items"

    id: Mapped[IntPK]
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"))
    position: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    # A topic the chair added by hand (no case or referral), for example "Community Trigger".
    topic: Mapped[str] = mapped_column(sa.String(TOPIC_MAX), default="")
    # Why the item is on the agenda, in words, for example ["High-risk victim", "Action overdue"].
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    added_by_chair: Mapped[bool] = mapped_column(default=False)
    minutes: Mapped[str] = mapped_column(sa.Text, info=limited(MINUTES_MAX), default="")

    meeting: Mapped[Meeting] = relationship(back_populates="items", lazy="raise")
    decisions: Mapped[list["MeetingDecision"]] = relationship(
        back_populates="item", order_by="MeetingDecision.id", lazy="raise"
    )

    __table_args__ = (sa.Index("ix_agenda_items_meeting_id_position", "meeting_id", "position"),)


class MeetingDecision(Base):
    __tablename__ = "meeting_decisions"

    id: Mapped[IntPK]
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("agenda_items.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text, info=limited(DECISION_MAX))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    item: Mapped[AgendaItem] = relationship(back_populates="decisions", lazy="raise")
    recorded_by: Mapped[User] = relationship(lazy="raise")


class MeetingAmendment(Base):
    """A correction to a finished meeting's record, added after it was locked."""

    __tablename__ = "meeting_amendments"

    id: Mapped[IntPK]
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(sa.Text, info=limited(AMENDMENT_MAX))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[CreatedAt]

    author: Mapped[User] = relationship(lazy="raise")
