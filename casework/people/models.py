from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casework.accounts.models import EMAIL_MAX
from casework.db import Base, CreatedAt, IntPK, Str100

# Length limits, read by the forms and the services alike. A referral and a premises
# keep their addresses and postcodes in the same room.
ADDRESS_MAX = 500
POSTCODE_MAX = 10
PHONE_MAX = 40
VULNERABILITIES_MAX = 500


class Person(Base):
    """Someone a case is about: victims, perpetrators, witnesses. Never a user account."""

    __tablename__ = "people"

    id: Mapped[IntPK]
    first_name: Mapped[Str100]
    last_name: Mapped[Str100] = mapped_column(index=True)
    date_of_birth: Mapped[date | None]
    address: Mapped[str] = mapped_column(sa.String(ADDRESS_MAX), default="")
    postcode: Mapped[str] = mapped_column(sa.String(POSTCODE_MAX), default="", index=True)
    phone: Mapped[str] = mapped_column(sa.String(PHONE_MAX), default="")
    email: Mapped[str] = mapped_column(sa.String(EMAIL_MAX), default="")
    vulnerabilities: Mapped[str] = mapped_column(sa.String(VULNERABILITIES_MAX), default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    anonymised_at: Mapped[datetime | None]  # names, contact details and notes replaced
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Person {self.id}>"
