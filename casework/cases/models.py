import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.agencies.models import Agency
from casework.db import Base, CreatedAt, IntPK, LongText, NarrativeText, ReasonText, Str100, Str200, limited
from casework.limits import STOP_REASON_MAX
from casework.people.models import Person

if TYPE_CHECKING:
    from casework.accounts.models import User
    from casework.premises.models import Premises

REFERENCE_MAX = 20  # "ASB-2026-00042"
# Why an agency needs access to a case: a reason from the list, and these details.
ACCESS_REASON_DETAILS_MAX = 500
# Why an agency asks to be added to a case, kept in the audit record of the request.
ACCESS_REQUEST_REASON_MAX = 1000
# Why a case was shared with another agency, shown on the case page.
SHARE_REASON_MAX = 500


class CaseType(enum.StrEnum):
    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    PLACE = "place"
    FAMILY = "family"
    PREMISES_LINKED = "premises_linked"

    @property
    def label(self) -> str:
        return {
            "victim": "Victim",
            "perpetrator": "Perpetrator",
            "place": "Problem place",
            "family": "Family",
            "premises_linked": "Licensed premises",
        }[self.value]


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class PartyRole(enum.StrEnum):
    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    WITNESS = "witness"
    COMPLAINANT = "complainant"
    FAMILY_MEMBER = "family_member"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def plural(self) -> str:
        return {"family_member": "Family members", "witness": "Witnesses"}.get(self.value, f"{self.label}s")


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(sa.String(REFERENCE_MAX), unique=True)
    case_type: Mapped[CaseType] = mapped_column(index=True)
    title: Mapped[Str200]
    summary: Mapped[LongText] = mapped_column(default="")
    status: Mapped[CaseStatus] = mapped_column(default=CaseStatus.OPEN)
    lead_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    lead_officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The licensed premises the case is about, if any: its page is then open to whoever
    # sees this case in full (policy.visible_premises).
    premises_id: Mapped[int | None] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    # Set by the lead agency to bring the case to the next PSG meeting's agenda.
    psg_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    district: Mapped[Str100] = mapped_column(default="")
    town: Mapped[Str100] = mapped_column(default="", index=True)
    ward: Mapped[Str100] = mapped_column(default="")
    restricted: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[CreatedAt]
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    # A legal hold keeps the case out of the retention run, whatever its age.
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    legal_hold_reason: Mapped[ReasonText] = mapped_column(default="", server_default="")
    # Set when the retention run replaced its personal data; statistics are kept.
    anonymised_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    lead_agency: Mapped[Agency] = relationship(lazy="raise")
    lead_officer: Mapped["User | None"] = relationship(foreign_keys=[lead_officer_id], lazy="raise")
    opened_by: Mapped["User"] = relationship(foreign_keys=[opened_by_id], lazy="raise")
    premises: Mapped["Premises | None"] = relationship(lazy="raise")
    parties: Mapped[list["CaseParty"]] = relationship(back_populates="case", order_by="CaseParty.id", lazy="raise")
    agencies: Mapped[list["CaseAgency"]] = relationship(back_populates="case", order_by="CaseAgency.id", lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_cases_status_opened_at", "status", "opened_at"),
        sa.Index("ix_cases_opened_at_id", "opened_at", "id"),  # the list's default order
    )

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class CaseParty(Base):
    """A person's part in a case; one person can be on many cases."""

    __tablename__ = "case_parties"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    role: Mapped[PartyRole]
    added_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[CreatedAt]
    # Taken off the case: kept for the record, shown as removed, stops the SLA clocks.
    removed_at: Mapped[datetime | None]
    removal_reason: Mapped[str] = mapped_column(sa.String(STOP_REASON_MAX), default="")

    case: Mapped[Case] = relationship(back_populates="parties", lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")

    __table_args__ = (sa.UniqueConstraint("case_id", "person_id", "role"),)


class CaseAgency(Base):
    """An agency involved in a case. Involvement is what gives its users the full view."""

    __tablename__ = "case_agencies"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    added_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[CreatedAt]
    # Why the case was shared with the agency; blank for the agencies it was opened with.
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="", info=limited(SHARE_REASON_MAX))
    # Whether the case is open, kept with each involvement whenever the case opens,
    # closes or reopens (cases.services.commands), so that an agency's open cases are
    # counted from its own rows of this index rather than by probing every open case.
    case_open: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    case: Mapped[Case] = relationship(back_populates="agencies", lazy="raise")
    agency: Mapped[Agency] = relationship(lazy="raise")
    added_by: Mapped["User"] = relationship(lazy="raise")

    __table_args__ = (
        sa.UniqueConstraint("case_id", "agency_id"),
        # An agency's cases (the visibility clauses, driven by agency), and its open ones.
        sa.Index("ix_case_agencies_agency_id_case_open_case_id", "agency_id", "case_open", "case_id"),
    )


class AccessRequestStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Why a request for access was declined, told to the asker on the case's stub.
ACCESS_DECLINE_REASON_MAX = 1000


class AccessRequest(Base):
    """A user's request that their agency be added to a case they see only as a stub.
    Granting it shares the case with the agency; at most one is pending per user and case."""

    __tablename__ = "access_requests"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The asker's agency when they asked: the one a grant adds to the case.
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(sa.Text, info=limited(ACCESS_REQUEST_REASON_MAX))
    status: Mapped[AccessRequestStatus] = mapped_column(default=AccessRequestStatus.PENDING)
    requested_at: Mapped[CreatedAt]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(
        sa.Text, default="", server_default="", info=limited(ACCESS_DECLINE_REASON_MAX)
    )

    case: Mapped[Case] = relationship(lazy="raise")
    user: Mapped["User"] = relationship(foreign_keys=[user_id], lazy="raise")
    agency: Mapped[Agency] = relationship(lazy="raise")
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    __table_args__ = (
        # The queue's order: pending first, oldest first.
        sa.Index("ix_access_requests_status_requested_at", "status", "requested_at"),
        # One pending request per user and case, however many requests race to be it.
        sa.Index(
            "uq_access_requests_pending",
            "case_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )


class CaseReferenceCounter(Base):
    """The last case number issued in a year; incremented inside the opening transaction."""

    __tablename__ = "case_reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class NoteKind(enum.StrEnum):
    NOTE = "note"
    CONTACT = "contact"
    INCIDENT = "incident"
    DECISION = "decision"
    STATUS = "status"  # written by the system when a case closes or reopens

    @property
    def label(self) -> str:
        return {"status": "Status change"}.get(self.value, self.value.capitalize())


class Note(Base):
    """An entry on a case's timeline. Notes are never edited or deleted."""

    __tablename__ = "notes"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[NoteKind] = mapped_column(default=NoteKind.NOTE)
    body: Mapped[NarrativeText]
    created_at: Mapped[CreatedAt]

    author: Mapped["User"] = relationship(lazy="raise")
    case: Mapped[Case] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_notes_case_id_created_at", "case_id", "created_at"),
        sa.Index("ix_notes_created_at_id", "created_at", "id"),  # latest activity on My work
    )
