import enum

from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, CreatedAt, IntPK, Str200


class AgencyKind(enum.StrEnum):
    COUNCIL = "council"
    POLICE = "police"
    COUNTY = "county"
    FIRE = "fire"
    HOUSING = "housing"
    HEALTH = "health"
    PROBATION = "probation"
    VOLUNTARY = "voluntary"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "council": "District council",
            "police": "Police",
            "county": "County council",
            "fire": "Fire and rescue",
            "housing": "Housing",
            "health": "Health",
            "probation": "Probation",
            "voluntary": "Voluntary sector",
            "other": "Other",
        }[self.value]


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[IntPK]
    name: Mapped[Str200] = mapped_column(unique=True)
    kind: Mapped[AgencyKind]
    statutory: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.name}>"
