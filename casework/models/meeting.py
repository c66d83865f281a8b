import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, CreatedAt, IntPK
from casework.models.agency import Agency
from casework.models.user import User


class MeetingKind(enum.StrEnum):
    PSG_MEETING = "psg_meeting"
    CASE_CONFERENCE = "case_conference"

    @property
    def label(self) -> str:
        return {"psg_meeting": "PSG meeting", "case_conference": "Case conference"}[self.value]


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Meeting(Base):
    """A PSG meeting, or a case conference about one case (``case_id`` set)."""

    __tablename__ = "meetings"

    id: Mapped[IntPK]
    kind: Mapped[MeetingKind]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    held_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    recorded_by: Mapped[User] = relationship(lazy="raise")
    attendance: Mapped[list["MeetingAttendance"]] = relationship(
        back_populates="meeting", order_by="MeetingAttendance.id", lazy="raise"
    )


class MeetingAttendance(Base):
    __tablename__ = "meeting_attendance"

    id: Mapped[IntPK]
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    status: Mapped[AttendanceStatus]

    meeting: Mapped[Meeting] = relationship(back_populates="attendance", lazy="raise")
    agency: Mapped[Agency] = relationship(lazy="raise")

    __table_args__ = (sa.UniqueConstraint("meeting_id", "agency_id"),)
