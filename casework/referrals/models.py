import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.db import Base, IntPK, LongText, ReasonText, Str100, Str200
from casework.people.models import ADDRESS_MAX, POSTCODE_MAX


class ReferralStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReferralSubject(enum.StrEnum):
    PERSON = "person"
    PLACE = "place"

    @property
    def label(self) -> str:
        return {"person": "A person", "place": "A place"}[self.value]


class Consent(enum.StrEnum):
    YES = "yes"
    NO = "no"
    NOT_ASKED = "not_asked"

    @property
    def label(self) -> str:
        return {"yes": "Yes", "no": "No", "not_asked": "Not asked"}[self.value]


class Referral(Base):
    """A referral to the PSG from any agency, about a person or a place, until the chair
    accepts it into a case or declines it with a reason the referrer sees."""

    __tablename__ = "referrals"

    id: Mapped[IntPK]
    subject: Mapped[ReferralSubject]
    first_name: Mapped[Str100] = mapped_column(default="")
    last_name: Mapped[Str100] = mapped_column(default="")
    date_of_birth: Mapped[date | None]
    address: Mapped[str] = mapped_column(sa.String(ADDRESS_MAX), default="")
    postcode: Mapped[str] = mapped_column(sa.String(POSTCODE_MAX), default="")
    place: Mapped[Str200] = mapped_column(default="")  # where, for a place or as well as a person
    what_is_happening: Mapped[LongText]
    risks: Mapped[LongText] = mapped_column(default="")
    consent: Mapped[Consent]
    consent_reason: Mapped[ReasonText] = mapped_column(default="")
    referring_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime]
    status: Mapped[ReferralStatus] = mapped_column(default=ReferralStatus.NEW)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[ReasonText] = mapped_column(default="")
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    anonymised_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    referring_agency: Mapped[Agency] = relationship(lazy="raise")
    referrer: Mapped[User] = relationship(foreign_keys=[referrer_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    # The list, new ones first and then the decided ones, each newest first: a range of
    # each index rather than a sort of every referral (docs/performance.md).
    __table_args__ = (
        sa.Index("ix_referrals_status_received_at", "status", "received_at", "id"),
        sa.Index("ix_referrals_received_at_id", "received_at", "id"),
        # Referrals accepted since the last meeting, for the PSG agenda.
        sa.Index("ix_referrals_status_decided_at", "status", "decided_at"),
        # The referrals naming a person, in order, for the subject access export.
        sa.Index("ix_referrals_person_id_received_at_id", "person_id", "received_at", "id"),
    )

    @property
    def subject_name(self) -> str:
        return referral_subject_name(self.first_name, self.last_name, self.place)


def referral_subject_name(first_name: str, last_name: str, place: str) -> str:
    """Who or what a referral is about, in words: the person's name, else the place."""
    return " ".join(part for part in (first_name, last_name) if part) or place
