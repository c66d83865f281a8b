import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.cases.models import POSTGRESQL_CASE_SIGNAL_TRIGGERS, SQLITE_CASE_SIGNAL_TRIGGERS, Case
from casework.db import Base, CreatedAt, IntPK, ReasonText, Str200, monthly_count_triggers, on_create
from casework.limits import STOP_REASON_MAX
from casework.people.models import Person


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
    override_reason: Mapped[ReasonText] = mapped_column(default="")
    level: Mapped[RiskLevel]  # the final level: the override if there is one
    assessed_at: Mapped[datetime]
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[CreatedAt]

    matrix: Mapped[RiskMatrix] = relationship(lazy="raise")
    assessed_by: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (
        sa.Index("ix_risk_assessments_case_id_person_id_assessed_at", "case_id", "person_id", "assessed_at"),
        # A person's assessments in order, for the subject access export.
        sa.Index("ix_risk_assessments_person_id_assessed_at_id", "person_id", "assessed_at", "id"),
    )


# Whether the case has a high-risk victim, for the PSG agenda (casework/cases/models.py).
on_create(
    RiskAssessment.__table__,
    sqlite=SQLITE_CASE_SIGNAL_TRIGGERS["risk_assessments"],
    postgresql=POSTGRESQL_CASE_SIGNAL_TRIGGERS["risk_assessments"],
)


class ClockKind(enum.StrEnum):
    CONFERENCE_72H = "conference_72h"
    REDUCE_7D = "reduce_7d"

    @property
    def label(self) -> str:
        return {
            "conference_72h": "Case conference within 72 hours",
            "reduce_7d": "Risk brought down to medium within 7 days",
        }[self.value]

    @property
    def short_label(self) -> str:
        return {"conference_72h": "Case conference", "reduce_7d": "Risk reduced"}[self.value]


class ClockOutcome(enum.StrEnum):
    """What has happened to a clock. Whether an open clock is pending, due soon or
    overdue depends on the time you look, so it is worked out when read.

    A clock the case's closing (or the victim leaving it) stops is ``stopped`` when it
    was not yet due, and ``overdue_at_closing`` when it was already past due: closing
    a case never turns a breach into a clock that does not count.
    """

    OPEN = "open"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"
    OVERDUE_AT_CLOSING = "overdue_at_closing"


class ClockStatus(enum.StrEnum):
    PENDING = "pending"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"
    OVERDUE_AT_CLOSING = "overdue_at_closing"

    @property
    def label(self) -> str:
        return {"due_soon": "Due soon", "met_late": "Met late", "overdue_at_closing": "Overdue at closing"}.get(
            self.value, self.value.capitalize()
        )

    @property
    def colour(self) -> str:
        return {
            "pending": "blue",
            "due_soon": "orange",
            "overdue": "red",
            "met": "green",
            "met_late": "yellow",
            "stopped": "grey",
            "overdue_at_closing": "red",
        }[self.value]


class SlaClock(Base):
    """One of the two clocks a victim's high-risk episode starts.

    Clocks are derived from the recorded assessments, conferences and stops, and are
    worked out again whenever one of those is recorded (casework.victims.services.sla).
    """

    __tablename__ = "sla_clocks"

    id: Mapped[IntPK]
    kind: Mapped[ClockKind]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    outcome: Mapped[ClockOutcome] = mapped_column(default=ClockOutcome.OPEN)
    met_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str] = mapped_column(sa.String(STOP_REASON_MAX), default="")
    # The assessment that started the episode, so the clocks can be traced to it.
    started_by_assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("risk_assessments.id"))
    # The case's lead agency, copied so that the dashboard counts the clocks due now by
    # agency from the index alone. Filled and kept by triggers (*_CLOCK_LEAD_TRIGGERS),
    # never written by the application; no foreign key of its own: the case's holds it.
    lead_agency_id: Mapped[int | None]

    case: Mapped[Case] = relationship(lazy="raise")
    person: Mapped[Person] = relationship(lazy="raise")

    __table_args__ = (
        # "Unmet clocks by due time": the dashboard's now view and My work. With the lead
        # agency, the dashboard counts the clocks due now by agency from the index alone.
        sa.Index("ix_sla_clocks_due_now", "outcome", "due_at", "case_id", "lead_agency_id"),
        sa.Index("ix_sla_clocks_started_at", "started_at"),
        # The dashboard's quarterly figures: every column they read is in the index, so
        # the database counts a quarter's clocks by kind and outcome without the table.
        sa.Index("ix_sla_clocks_kind_outcome_started_at", "kind", "outcome", "started_at", "due_at", "person_id"),
        sa.Index("ix_sla_clocks_case_id_person_id", "case_id", "person_id"),
        # A person's clocks in order, for the subject access export.
        sa.Index("ix_sla_clocks_person_id_started_at_id", "person_id", "started_at", "id"),
    )


class SlaClockCount(Base):
    """How many clocks started in each stretch of time, by kind and outcome: the
    dashboard's quarterly figures add up these few rows instead of every clock of the
    quarter. Kept by triggers on ``sla_clocks`` in the transaction of every change, as
    ``CaseCount`` is; ``started_from`` is the start of a stretch (a UTC month, or its
    last hour on its own: ``casework.db.SQLITE_STRETCH``)."""

    __tablename__ = "sla_clock_counts"

    started_from: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[ClockKind] = mapped_column(primary_key=True)
    outcome: Mapped[ClockOutcome] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The triggers that keep sla_clock_counts; the migration sla_clock_counts creates the same.
SQLITE_CLOCK_COUNT_TRIGGERS, POSTGRESQL_CLOCK_COUNT_TRIGGERS = monthly_count_triggers(
    "sla_clock_counts", "sla_clocks", stretch="started_from", at="started_at", keys=("kind", "outcome")
)
# month_stretch() comes with the cases' table.
on_create(SlaClock.__table__, sqlite=SQLITE_CLOCK_COUNT_TRIGGERS, postgresql=POSTGRESQL_CLOCK_COUNT_TRIGGERS)
on_create(
    SlaClock.__table__,
    sqlite=SQLITE_CASE_SIGNAL_TRIGGERS["sla_clocks"],
    postgresql=POSTGRESQL_CASE_SIGNAL_TRIGGERS["sla_clocks"],
)

# A case's lead agency copied onto its SLA clocks, in the transaction that starts a
# clock, moves it to another case or changes the case's lead agency; the migration
# sla_clock_lead_agency creates the same.
SQLITE_CLOCK_LEAD_TRIGGERS = [
    """CREATE TRIGGER sla_clocks_lead_agency AFTER INSERT ON sla_clocks
BEGIN UPDATE sla_clocks SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
    """CREATE TRIGGER sla_clocks_lead_agency_moved AFTER UPDATE OF case_id ON sla_clocks
BEGIN UPDATE sla_clocks SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
    """CREATE TRIGGER cases_sla_clock_lead AFTER UPDATE OF lead_agency_id ON cases
WHEN NEW.lead_agency_id IS NOT OLD.lead_agency_id
BEGIN UPDATE sla_clocks SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id; END""",
]
POSTGRESQL_CLOCK_LEAD_TRIGGERS = [
    """CREATE FUNCTION sla_clocks_lead_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lead_agency_id := (SELECT cases.lead_agency_id FROM cases WHERE cases.id = NEW.case_id);
    RETURN NEW;
END $$""",
    """CREATE TRIGGER sla_clocks_lead_agency BEFORE INSERT OR UPDATE OF case_id, lead_agency_id ON sla_clocks
FOR EACH ROW EXECUTE FUNCTION sla_clocks_lead_agency()""",
    """CREATE FUNCTION cases_sla_clock_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sla_clocks SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER cases_sla_clock_lead AFTER UPDATE OF lead_agency_id ON cases FOR EACH ROW
WHEN (NEW.lead_agency_id IS DISTINCT FROM OLD.lead_agency_id) EXECUTE FUNCTION cases_sla_clock_lead()""",
]
# Made with sla_clocks, after cases: the trigger on cases writes to it.
on_create(SlaClock.__table__, sqlite=SQLITE_CLOCK_LEAD_TRIGGERS, postgresql=POSTGRESQL_CLOCK_LEAD_TRIGGERS)


class SlaClockVictim(Base):
    """Each victim with a clock started in a quarter, by kind, with how many: the
    dashboard's distinct victims of a quarter are these rows counted (and that count is
    kept too: ``SlaClockVictimCount``), not a distinct count over the quarter's clocks. Kept by triggers on ``sla_clocks`` in the
    transaction of every change; a row goes when its last clock does. ``quarter_from``
    is the UTC instant the quarter starts (``casework.clock.Quarter.start``)."""

    __tablename__ = "sla_clock_victims"

    quarter_from: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[ClockKind] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The start of the UK quarter of a UTC time, in SQLite (no time zones there). A quarter
# starts at local midnight on 1 January (GMT, 00:00 UTC), or on 1 April, July or October
# (BST, 23:00 UTC the day before): summer time always runs from the last Sunday of March
# to the last Sunday of October. So, but in December, a time an hour on is in the
# quarter's calendar months. PostgreSQL reads the zone itself.
_SQLITE_SHIFTED = (
    "(CASE WHEN substr({at}, 6, 2) = '12' THEN substr({at}, 1, 19) ELSE datetime(substr({at}, 1, 19), '+1 hour') END)"
)
_SQLITE_QUARTER_MONTH = "((CAST(substr({shifted}, 6, 2) AS INTEGER) - 1) / 3 * 3 + 1)"


def sqlite_quarter_from(at: str) -> str:
    shifted = _SQLITE_SHIFTED.format(at=at)
    month = _SQLITE_QUARTER_MONTH.format(shifted=shifted)
    year = f"substr({shifted}, 1, 4)"
    return (
        f"(CASE WHEN {month} = 1 THEN {year} || '-01-01 00:00:00.000000'"
        f" ELSE strftime('%Y-%m-%d %H:00:00.000000', {year} || printf('-%02d-01', {month}), '-1 hour') END)"
    )


_VICTIM_KEY = "quarter_from = {quarter} AND kind = OLD.kind AND person_id = OLD.person_id"
_VICTIM_ADD = """INSERT INTO sla_clock_victims (quarter_from, kind, person_id, tally)
    VALUES ({quarter}, NEW.kind, NEW.person_id, 1)
    ON CONFLICT (quarter_from, kind, person_id) DO UPDATE SET tally = tally + 1;"""
_VICTIM_TAKE = """UPDATE sla_clock_victims SET tally = tally - 1 WHERE {key};
    DELETE FROM sla_clock_victims WHERE {key} AND tally = 0;"""
_SQLITE_ADD = _VICTIM_ADD.format(quarter=sqlite_quarter_from("NEW.started_at"))
_SQLITE_TAKE = _VICTIM_TAKE.format(key=_VICTIM_KEY.format(quarter=sqlite_quarter_from("OLD.started_at")))
SQLITE_CLOCK_VICTIM_TRIGGERS = [
    f"CREATE TRIGGER sla_clock_victims_insert AFTER INSERT ON sla_clocks BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER sla_clock_victims_delete AFTER DELETE ON sla_clocks BEGIN {_SQLITE_TAKE} END",
    f"""CREATE TRIGGER sla_clock_victims_update AFTER UPDATE OF started_at, kind, person_id ON sla_clocks
BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END""",
]
POSTGRESQL_CLOCK_VICTIM_TRIGGERS = [
    """CREATE FUNCTION sla_quarter_from(at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('quarter', at AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'
$$""",
    """CREATE FUNCTION sla_clock_victims_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE sla_clock_victims SET tally = tally - 1
        WHERE quarter_from = sla_quarter_from(OLD.started_at) AND kind = OLD.kind AND person_id = OLD.person_id;
        DELETE FROM sla_clock_victims
        WHERE quarter_from = sla_quarter_from(OLD.started_at) AND kind = OLD.kind AND person_id = OLD.person_id
          AND tally = 0;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO sla_clock_victims (quarter_from, kind, person_id, tally)
        VALUES (sla_quarter_from(NEW.started_at), NEW.kind, NEW.person_id, 1)
        ON CONFLICT (quarter_from, kind, person_id) DO UPDATE SET tally = sla_clock_victims.tally + 1;
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER sla_clock_victims_kept AFTER INSERT OR DELETE OR UPDATE OF started_at, kind, person_id
ON sla_clocks FOR EACH ROW EXECUTE FUNCTION sla_clock_victims_kept()""",
]
on_create(SlaClock.__table__, sqlite=SQLITE_CLOCK_VICTIM_TRIGGERS, postgresql=POSTGRESQL_CLOCK_VICTIM_TRIGGERS)


class SlaClockVictimCount(Base):
    """How many victims each quarter has by kind: the rows of ``SlaClockVictim``
    counted, kept by triggers on that table, so the dashboard reads one row however
    many victims a quarter has."""

    __tablename__ = "sla_clock_victim_counts"

    quarter_from: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[ClockKind] = mapped_column(primary_key=True)
    victims: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


_VICTIM_COUNT_ADD = """INSERT INTO sla_clock_victim_counts (quarter_from, kind, victims)
    VALUES (NEW.quarter_from, NEW.kind, 1)
    ON CONFLICT (quarter_from, kind) DO UPDATE SET victims = {table}victims + 1;"""
_VICTIM_COUNT_TAKE = """UPDATE sla_clock_victim_counts SET victims = victims - 1
    WHERE quarter_from = OLD.quarter_from AND kind = OLD.kind;"""
SQLITE_VICTIM_COUNT_TRIGGERS = [
    "CREATE TRIGGER sla_clock_victim_counts_insert AFTER INSERT ON sla_clock_victims"
    f" BEGIN {_VICTIM_COUNT_ADD.format(table='')} END",
    f"CREATE TRIGGER sla_clock_victim_counts_delete AFTER DELETE ON sla_clock_victims BEGIN {_VICTIM_COUNT_TAKE} END",
]
POSTGRESQL_VICTIM_COUNT_TRIGGERS = [
    f"""CREATE FUNCTION sla_clock_victim_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        {_VICTIM_COUNT_TAKE}
    ELSE
        {_VICTIM_COUNT_ADD.format(table="sla_clock_victim_counts.")}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER sla_clock_victim_counts_kept AFTER INSERT OR DELETE ON sla_clock_victims
FOR EACH ROW EXECUTE FUNCTION sla_clock_victim_counts_kept()""",
]
on_create(SlaClockVictim.__table__, sqlite=SQLITE_VICTIM_COUNT_TRIGGERS, postgresql=POSTGRESQL_VICTIM_COUNT_TRIGGERS)


class SlaStop(Base):
    """Something that stops a victim's open clocks: the case closed, or the victim
    taken off the case. ``person_id`` is None when it applies to every victim."""

    __tablename__ = "sla_stops"

    id: Mapped[IntPK]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    stopped_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(STOP_REASON_MAX))
    recorded_at: Mapped[CreatedAt]
