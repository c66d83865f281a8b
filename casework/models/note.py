import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, CreatedAt, IntPK
from casework.models.user import User

if TYPE_CHECKING:
    from casework.models.case import Case


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
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[CreatedAt]

    author: Mapped[User] = relationship(lazy="raise")
    case: Mapped["Case"] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_notes_case_id_created_at", "case_id", "created_at"),
        sa.Index("ix_notes_created_at_id", "created_at", "id"),  # latest activity on My work
    )
