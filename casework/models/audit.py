from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, IntPK, utcnow
from casework.models.user import User

if TYPE_CHECKING:
    from casework.models.case import Case


class AuditEvent(Base):
    """Append-only record of every change and every view of a case or person page."""

    __tablename__ = "audit_events"

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    verb: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    request_id: Mapped[str] = mapped_column(sa.String(36), default="")

    actor: Mapped[User | None] = relationship(lazy="raise")
    case: Mapped["Case | None"] = relationship(lazy="raise")
