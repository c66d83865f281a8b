"""Licensed premises and the traffic light system (DESIGN.md section 3.3).

A premises carries its current colour; everything that happens to it (a move of
colour, an incident, a visit, a hearing, an accreditation change) is a row of its own,
so the premises page can show one timeline and the report can count by quarter.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.clock import utcnow
from casework.db import SQLITE_STRETCH, Base, CreatedAt, IntPK, LongText, ReasonText, Str100, Str200, on_create
from casework.people.models import ADDRESS_MAX, POSTCODE_MAX

LICENCE_NUMBER_MAX = 40


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


class PremisesKind(enum.StrEnum):
    ON_SALES = "on_sales"
    OFF_SALES = "off_sales"
    BOTH = "both"
    LATE_NIGHT = "late_night"

    @property
    def label(self) -> str:
        return {
            "on_sales": "On-sales",
            "off_sales": "Off-sales",
            "both": "On- and off-sales",
            "late_night": "Late-night refreshment",
        }[self.value]


class TlsStatus(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour (amber is the tag's orange)."""
        return {"green": "green", "amber": "orange", "red": "red"}[self.value]


class IncidentSource(enum.StrEnum):
    POLICE = "police"
    AMBULANCE = "ambulance"
    EMERGENCY_DEPARTMENT = "emergency_department"
    CCTV = "cctv"
    LICENSING = "licensing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"cctv": "CCTV"}.get(self.value, _words(self.value))


class IncidentCategory(enum.StrEnum):
    VIOLENCE = "violence"
    DISORDER = "disorder"
    UNDERAGE_SALE = "underage_sale"
    DRUGS = "drugs"
    NOISE = "noise"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _words(self.value)


class IncidentSeverity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class VisitKind(enum.StrEnum):
    COMPLIANCE = "compliance"
    REFERRAL = "referral"
    TEST_PURCHASE = "test_purchase"
    CHALLENGE_25_TRAINING = "challenge_25_training"

    @property
    def label(self) -> str:
        return {
            "compliance": "Compliance visit",
            "referral": "Referral visit",
            "test_purchase": "Test purchase",
            "challenge_25_training": "Challenge 25 training",
        }[self.value]


class VisitResult(enum.StrEnum):
    PASS = "pass"  # nosec B105: a visit result, not a password
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"not_applicable": "Not applicable"}.get(self.value, self.value.capitalize())


class HearingKind(enum.StrEnum):
    REVIEW = "review"
    HEARING = "hearing"

    @property
    def label(self) -> str:
        return {"review": "Licence review", "hearing": "Licensing hearing"}[self.value]


class HearingOutcome(enum.StrEnum):
    NO_ACTION = "no_action"
    CONDITIONS_ADDED = "conditions_added"
    SUSPENSION = "suspension"
    REVOCATION = "revocation"

    @property
    def label(self) -> str:
        return _words(self.value)


class AccreditationField(enum.StrEnum):
    THUMBS_UP = "thumbs_up"
    SIRCS_MEMBER = "sircs_member"

    @property
    def label(self) -> str:
        return {"thumbs_up": "Thumbs Up accreditation", "sircs_member": "SIRCS membership"}[self.value]


class Premises(Base):
    """A licensed premises on the traffic light register. New premises start green."""

    __tablename__ = "premises"

    id: Mapped[IntPK]
    name: Mapped[Str200]
    address: Mapped[str] = mapped_column(sa.String(ADDRESS_MAX), default="")
    postcode: Mapped[str] = mapped_column(sa.String(POSTCODE_MAX), default="")
    licence_number: Mapped[str] = mapped_column(sa.String(LICENCE_NUMBER_MAX), unique=True)
    kind: Mapped[PremisesKind]
    town: Mapped[Str100] = mapped_column(default="", index=True)
    cluster: Mapped[Str100] = mapped_column(default="", index=True)
    licence_holder: Mapped[Str200] = mapped_column(default="")
    designated_premises_supervisor: Mapped[Str200] = mapped_column(default="")
    sircs_member: Mapped[bool] = mapped_column(default=False)
    thumbs_up: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TlsStatus] = mapped_column(default=TlsStatus.GREEN)
    status_since: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept up to date whenever an incident is recorded (premises.refresh_incident_summary),
    # so that the register can tell the suggested colour of every premises without
    # counting incidents: the window holds one agency or more when the latest incident is
    # in it, and two or more when the latest incident of a second agency is.
    last_incident_at: Mapped[datetime | None]
    second_agency_incident_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The register's filter by colour, oldest in that colour first (deadlines).
        sa.Index("ix_premises_status_status_since", "status", "status_since"),
        # The register in name order (its default), so a page and its filters walk the
        # names instead of sorting every premises.
        sa.Index("ix_premises_name_id", "name", "id"),
    )

    def __repr__(self) -> str:
        return f"<Premises {self.id} {self.name}>"


class PremisesStatusChange(Base):
    """One move of colour: who, when, from, to, why, and the evidence linked to it."""

    __tablename__ = "premises_status_changes"

    id: Mapped[IntPK]
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"))
    from_status: Mapped[TlsStatus]
    to_status: Mapped[TlsStatus]
    reason: Mapped[ReasonText]
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    incident_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    visit_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    premises: Mapped[Premises] = relationship(lazy="raise")
    officer: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_premises_status_changes_premises_id_at", "premises_id", "at"),
        sa.Index("ix_premises_status_changes_at", "at"),  # the report's quarters
    )


class PremisesIncident(Base):
    """An incident linked to a premises, as reported by an agency (police, ambulance...)."""

    __tablename__ = "premises_incidents"

    id: Mapped[IntPK]
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"))
    occurred_at: Mapped[datetime]
    reporting_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    source: Mapped[IncidentSource]
    category: Mapped[IncidentCategory]
    severity: Mapped[IncidentSeverity]
    description: Mapped[LongText] = mapped_column(default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    premises: Mapped[Premises] = relationship(lazy="raise")
    reporting_agency: Mapped[Agency] = relationship(lazy="raise")
    recorded_by: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        # The suggested colour counts a premises' agencies over a window of occurred_at;
        # the agency is in the index so the count needs no visit to the table.
        sa.Index("ix_premises_incidents_premises_id_occurred_at", "premises_id", "occurred_at", "reporting_agency_id"),
    )


class PremisesVisit(Base):
    __tablename__ = "premises_visits"

    id: Mapped[IntPK]
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"))
    kind: Mapped[VisitKind]
    result: Mapped[VisitResult] = mapped_column(default=VisitResult.NOT_APPLICABLE)
    notes: Mapped[LongText] = mapped_column(default="")
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    visited_at: Mapped[datetime]

    premises: Mapped[Premises] = relationship(lazy="raise")
    officer: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        # The amber visit deadline asks for a premises' latest visit.
        sa.Index("ix_premises_visits_premises_id_visited_at", "premises_id", "visited_at"),
        sa.Index("ix_premises_visits_visited_at", "visited_at"),  # the report's quarters
    )


class LicensingHearing(Base):
    """A licensing hearing or licence review and its outcome."""

    __tablename__ = "licensing_hearings"

    id: Mapped[IntPK]
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    kind: Mapped[HearingKind]
    held_on: Mapped[date]
    outcome: Mapped[HearingOutcome]
    notes: Mapped[LongText] = mapped_column(default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    premises: Mapped[Premises] = relationship(lazy="raise")
    recorded_by: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (sa.Index("ix_licensing_hearings_held_on", "held_on"),)  # the report's quarters


class AccreditationChange(Base):
    """Thumbs Up accreditation or SIRCS membership given or taken away."""

    __tablename__ = "accreditation_changes"

    id: Mapped[IntPK]
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    field: Mapped[AccreditationField]
    value: Mapped[bool]
    reason: Mapped[ReasonText] = mapped_column(default="")
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    premises: Mapped[Premises] = relationship(lazy="raise")
    officer: Mapped[User] = relationship(lazy="raise")


class ActivityKind(enum.StrEnum):
    MOVE = "move"  # a move of colour
    VISIT = "visit"
    HEARING = "hearing"


class PremisesActivityCount(Base):
    """How many moves of colour, visits and hearings fell in each stretch of time: the
    traffic light report's activity by quarter adds up these few rows instead of every
    row of four quarters. Kept by triggers on the three tables in the transaction of
    every change, as ``CaseCount`` is. Moves and visits are kept by stretch (a UTC
    month, or its last hour on its own: ``casework.db.SQLITE_STRETCH``); a hearing is
    held on a local date, so it is kept by the month of that date, stored as the
    month's first day at 00:00 UTC."""

    __tablename__ = "premises_activity_counts"

    stretch_from: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# What each kind counts: the table, its column of time, and that column's stretch in
# SQLite ({row} is NEW or OLD) and in PostgreSQL.
ACTIVITY_SOURCES = {
    ActivityKind.MOVE: (
        "premises_status_changes",
        "at",
        SQLITE_STRETCH.format(at="{row}.at"),
        "month_stretch({row}.at)",
    ),
    ActivityKind.VISIT: (
        "premises_visits",
        "visited_at",
        SQLITE_STRETCH.format(at="{row}.visited_at"),
        "month_stretch({row}.visited_at)",
    ),
    ActivityKind.HEARING: (
        "licensing_hearings",
        "held_on",
        "substr({row}.held_on, 1, 7) || '-01 00:00:00.000000'",
        "date_trunc('month', {row}.held_on::timestamp) AT TIME ZONE 'UTC'",
    ),
}


def activity_count_triggers(kind: ActivityKind) -> tuple[list[str], list[str]]:
    """The SQLite and PostgreSQL triggers that keep ``kind``'s rows of
    premises_activity_counts; the migration premises_activity_counts creates the same."""
    table, column, sqlite_stretch, postgresql_stretch = ACTIVITY_SOURCES[kind]
    name = f"premises_activity_counts_{kind.value}"

    def add(stretch: str) -> str:
        return f"""INSERT INTO premises_activity_counts (stretch_from, kind, tally)
    VALUES ({stretch.format(row="NEW")}, '{kind.value}', 1)
    ON CONFLICT (stretch_from, kind) DO UPDATE SET tally = premises_activity_counts.tally + 1;"""  # nosec B608 - built from constants, no input

    def take(stretch: str) -> str:
        return f"""UPDATE premises_activity_counts SET tally = tally - 1
    WHERE stretch_from = {stretch.format(row="OLD")} AND kind = '{kind.value}';"""  # nosec B608 - built from constants, no input

    sqlite = [
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {add(sqlite_stretch)} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {take(sqlite_stretch)} END",
        f"""CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON {table}
BEGIN {take(sqlite_stretch)} {add(sqlite_stretch)} END""",
    ]
    postgresql = [
        f"""CREATE FUNCTION {name}_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {take(postgresql_stretch)}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {add(postgresql_stretch)}
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER {name}_kept AFTER INSERT OR DELETE OR UPDATE OF {column}
ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_kept()""",
    ]
    return sqlite, postgresql


# Made with the tables they watch; month_stretch() comes with the cases' table.
for _kind, _watched in (
    (ActivityKind.MOVE, PremisesStatusChange),
    (ActivityKind.VISIT, PremisesVisit),
    (ActivityKind.HEARING, LicensingHearing),
):
    _sqlite, _postgresql = activity_count_triggers(_kind)
    on_create(_watched.__table__, sqlite=_sqlite, postgresql=_postgresql)
