import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, CreatedAt, IntPK, Str200
from casework.models.user import User


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
    override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    level: Mapped[RiskLevel]  # the final level: the override if there is one
    assessed_at: Mapped[datetime]
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    matrix: Mapped[RiskMatrix] = relationship(lazy="raise")
    assessed_by: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (sa.Index("ix_risk_assessments_case_id_person_id_assessed_at", "case_id", "person_id", "assessed_at"),)
