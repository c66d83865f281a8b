import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.agencies.models import Agency
from casework.db import (
    POSTGRESQL_STRETCH_FUNCTION,
    Base,
    CreatedAt,
    IntPK,
    LongText,
    NarrativeText,
    ReasonText,
    Str100,
    Str200,
    limited,
    monthly_count_triggers,
    on_create,
)
from casework.limits import STOP_REASON_MAX
from casework.people.models import Person
from casework.text_search import CREATE_EXTENSION, trigram_index

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
    premises_id: Mapped[int | None] = mapped_column(sa.ForeignKey("premises.id"))
    # Set by the lead agency to bring the case to the next PSG meeting's agenda.
    psg_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    district: Mapped[Str100] = mapped_column(default="")
    town: Mapped[Str100] = mapped_column(default="")
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
    # Kept by database triggers (CASE_SIGNAL_TRIGGERS) for the PSG agenda: whether the
    # latest assessment of a victim still on the case is high, the day the earliest
    # live action falls due, and when the earliest open SLA clock falls due (a day and
    # an instant, not flags: being overdue depends on now).
    high_risk_victim: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    first_live_action_due_on: Mapped[date | None]
    first_open_clock_due_at: Mapped[datetime | None]
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
        # The list filtered by town (and status), newest first. The type and the
        # restricted flag ride along so that counting the filtered cases reads this index
        # alone; the area choices read its towns.
        sa.Index("ix_cases_town_status_opened_at_id", "town", "status", "opened_at", "id", "case_type", "restricted"),
        # A premises' cases, newest first. Partial: most cases name no premises, and
        # SQLite's statistics for a full index counted those NULLs as one value shared
        # by every case, so it scanned every case rather than use the index.
        sa.Index(
            "ix_cases_premises_id_opened_at",
            "premises_id",
            "opened_at",
            sqlite_where=sa.text("premises_id IS NOT NULL"),
            postgresql_where=sa.text("premises_id IS NOT NULL"),
        ),
        # The agenda's flagged cases, with what decides their section, from the index alone.
        sa.Index(
            "ix_cases_agenda_flagged",
            "psg_review",
            "status",
            "high_risk_victim",
            "first_live_action_due_on",
            "first_open_clock_due_at",
            "reference",
        ),
        # The agenda's high-risk and overdue cases, the first of each in order and how
        # many, from the index alone: by the first overdue action's day, and those with
        # an overdue clock by its due time. Each carries the other's column, so that
        # leaving out (or keeping only) the cases with an overdue clock reads no rows.
        sa.Index(
            "ix_cases_agenda_by_action_day",
            "status",
            "high_risk_victim",
            "first_live_action_due_on",
            "reference",
            "first_open_clock_due_at",
        ),
        sa.Index(
            "ix_cases_agenda_by_clock_due_at",
            "status",
            "high_risk_victim",
            "first_open_clock_due_at",
            "first_live_action_due_on",
            "reference",
        ),
        # The high-risk ones without anything overdue, by reference: the first few read
        # in order instead of sorting the section.
        sa.Index(
            "ix_cases_agenda_by_reference",
            "status",
            "high_risk_victim",
            "reference",
            "first_live_action_due_on",
            "first_open_clock_due_at",
        ),
    )

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


# The list's text search (casework.text_search), on PostgreSQL; the migration
# case_list_search_and_town_filter makes the same.
on_create(
    Case.__table__,
    sqlite=[],
    postgresql=[
        CREATE_EXTENSION,
        trigram_index("ix_cases_title_trigram", "cases", "lower(title)"),
        trigram_index("ix_cases_reference_trigram", "cases", "reference"),
    ],
)


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

    __table_args__ = (
        sa.UniqueConstraint("case_id", "person_id", "role"),
        # A case's current victims from the index alone (the agenda's high-risk victims).
        sa.Index("ix_case_parties_case_id_role_removed_at", "case_id", "role", "removed_at", "person_id"),
    )


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


class CaseListCount(Base):
    """How many cases each agency is involved in, by town, status and type: the case
    list's count for a user who sees in full exactly their agency's cases, filtered by
    any of these, is one read of a few rows instead of a probe for every case in the
    town (policy.full_view_is_involvement).

    Database triggers on ``case_agencies`` and ``cases`` keep it in the transaction of
    every involvement added or taken away and every change of a case's town, status
    or type. It counts involvements: a case is counted once for each agency on it."""

    __tablename__ = "case_list_counts"

    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    town: Mapped[Str100] = mapped_column(primary_key=True)
    status: Mapped[CaseStatus] = mapped_column(primary_key=True)
    case_type: Mapped[CaseType] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The triggers that keep case_list_counts; the migration case_list_counts creates the same.
_LIST_KEY = "agency_id, town, status, case_type"
_LIST_ADD = """INSERT INTO case_list_counts (agency_id, town, status, case_type, tally)
    SELECT {agency}, cases.town, cases.status, cases.case_type, 1 FROM cases WHERE cases.id = {case}
    ON CONFLICT (agency_id, town, status, case_type) DO UPDATE SET tally = case_list_counts.tally + 1;"""
_LIST_TAKE = """UPDATE case_list_counts SET tally = tally - 1
    WHERE ({key}) IN (SELECT {agency}, cases.town, cases.status, cases.case_type FROM cases WHERE cases.id = {case});"""
_LIST_CASE_TAKE = """UPDATE case_list_counts SET tally = tally - 1
    WHERE town = OLD.town AND status = OLD.status AND case_type = OLD.case_type
      AND agency_id IN (SELECT case_agencies.agency_id FROM case_agencies WHERE case_agencies.case_id = OLD.id);"""
_LIST_CASE_ADD = """INSERT INTO case_list_counts (agency_id, town, status, case_type, tally)
    SELECT case_agencies.agency_id, NEW.town, NEW.status, NEW.case_type, 1
    FROM case_agencies WHERE case_agencies.case_id = NEW.id
    ON CONFLICT (agency_id, town, status, case_type) DO UPDATE SET tally = case_list_counts.tally + 1;"""
SQLITE_CASE_LIST_COUNT_TRIGGERS = [
    f"""CREATE TRIGGER case_list_counts_involved AFTER INSERT ON case_agencies
BEGIN {_LIST_ADD.format(agency="NEW.agency_id", case="NEW.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_uninvolved AFTER DELETE ON case_agencies
BEGIN {_LIST_TAKE.format(key=_LIST_KEY, agency="OLD.agency_id", case="OLD.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_moved AFTER UPDATE OF case_id, agency_id ON case_agencies
BEGIN {_LIST_TAKE.format(key=_LIST_KEY, agency="OLD.agency_id", case="OLD.case_id")}
{_LIST_ADD.format(agency="NEW.agency_id", case="NEW.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_case_changed AFTER UPDATE OF town, status, case_type ON cases
BEGIN {_LIST_CASE_TAKE} {_LIST_CASE_ADD} END""",
    f"CREATE TRIGGER case_list_counts_case_deleted AFTER DELETE ON cases BEGIN {_LIST_CASE_TAKE} END",
]
POSTGRESQL_CASE_LIST_COUNT_TRIGGERS = [
    f"""CREATE FUNCTION case_list_counts_involvement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_LIST_TAKE.format(key=_LIST_KEY, agency="OLD.agency_id", case="OLD.case_id")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_LIST_ADD.format(agency="NEW.agency_id", case="NEW.case_id")}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER case_list_counts_involvement AFTER INSERT OR DELETE OR UPDATE OF case_id, agency_id
ON case_agencies FOR EACH ROW EXECUTE FUNCTION case_list_counts_involvement()""",
    f"""CREATE FUNCTION case_list_counts_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_LIST_CASE_TAKE}
    IF TG_OP <> 'DELETE' THEN
        {_LIST_CASE_ADD}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER case_list_counts_case AFTER DELETE OR UPDATE OF town, status, case_type
ON cases FOR EACH ROW EXECUTE FUNCTION case_list_counts_case()""",
]
# Made with case_agencies, after cases: the triggers read both.
on_create(
    CaseAgency.__table__,
    sqlite=SQLITE_CASE_LIST_COUNT_TRIGGERS,
    postgresql=POSTGRESQL_CASE_LIST_COUNT_TRIGGERS,
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
    # The case's lead agency, whose chairs decide the request: copied so that a chair's
    # queue is one index range. Set when the request is made; triggers fill it for a row
    # inserted without it and keep it when a case's lead agency changes
    # (*_ACCESS_REQUEST_LEAD_TRIGGERS).
    lead_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
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
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id], lazy="raise")
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id], lazy="raise")

    __table_args__ = (
        # The queue's two ranges, each read in its own order from its first row shown:
        # pending, oldest first; decided, latest decision first. A chair's queue is one
        # lead agency; a manager's is every request.
        sa.Index("ix_access_requests_status_requested_at", "status", "requested_at"),
        sa.Index("ix_access_requests_lead_status_requested", "lead_agency_id", "status", "requested_at", "id"),
        sa.Index("ix_access_requests_lead_decided", "lead_agency_id", "decided_at", "id"),
        sa.Index("ix_access_requests_decided_at_id", "decided_at", "id"),
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


# A case's lead agency copied onto its requests for access, in the transaction that
# inserts a request or changes the case; the migration access_request_lead_agency
# creates the same.
SQLITE_ACCESS_REQUEST_LEAD_TRIGGERS = [
    """CREATE TRIGGER cases_access_request_lead AFTER UPDATE OF lead_agency_id ON cases
WHEN NEW.lead_agency_id IS NOT OLD.lead_agency_id
BEGIN UPDATE access_requests SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id; END""",
    """CREATE TRIGGER access_requests_lead_agency AFTER INSERT ON access_requests WHEN NEW.lead_agency_id IS NULL
BEGIN UPDATE access_requests SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
]
POSTGRESQL_ACCESS_REQUEST_LEAD_TRIGGERS = [
    """CREATE FUNCTION cases_access_request_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_requests SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER cases_access_request_lead AFTER UPDATE OF lead_agency_id ON cases FOR EACH ROW
WHEN (NEW.lead_agency_id IS DISTINCT FROM OLD.lead_agency_id) EXECUTE FUNCTION cases_access_request_lead()""",
    """CREATE FUNCTION access_requests_lead_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lead_agency_id := (SELECT cases.lead_agency_id FROM cases WHERE cases.id = NEW.case_id);
    RETURN NEW;
END $$""",
    """CREATE TRIGGER access_requests_lead_agency BEFORE INSERT ON access_requests FOR EACH ROW
WHEN (NEW.lead_agency_id IS NULL) EXECUTE FUNCTION access_requests_lead_agency()""",
]
# Made with access_requests, after cases: the trigger on cases writes to it.
on_create(
    AccessRequest.__table__,
    sqlite=SQLITE_ACCESS_REQUEST_LEAD_TRIGGERS,
    postgresql=POSTGRESQL_ACCESS_REQUEST_LEAD_TRIGGERS,
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


class CaseCount(Base):
    """How many cases were opened in each stretch of time, by type and status now: the
    partnership's figures add up these few rows instead of reading every case.

    Database triggers on ``cases`` keep it in the transaction of every insert, update
    and delete, whatever path the write takes (a service, a bulk insert, a migration).
    ``opened_from`` is the start of a stretch (``casework.db.SQLITE_STRETCH``): a UTC
    month, or its last hour on its own, so that local quarters are whole stretches."""

    __tablename__ = "case_counts"

    opened_from: Mapped[datetime] = mapped_column(primary_key=True)
    case_type: Mapped[CaseType] = mapped_column(primary_key=True)
    status: Mapped[CaseStatus] = mapped_column(primary_key=True)
    tally: Mapped[int]

    __table_args__ = {"sqlite_with_rowid": False}


# The triggers that keep case_counts; the migration case_counts creates the same.
SQLITE_CASE_COUNT_TRIGGERS, POSTGRESQL_CASE_COUNT_TRIGGERS = monthly_count_triggers(
    "case_counts", "cases", stretch="opened_from", at="opened_at", keys=("case_type", "status")
)
# Made with the table they watch: the database resolves case_counts only when one fires.
on_create(
    Case.__table__,
    sqlite=SQLITE_CASE_COUNT_TRIGGERS,
    postgresql=[POSTGRESQL_STRETCH_FUNCTION, *POSTGRESQL_CASE_COUNT_TRIGGERS],
)


# What brings a case to the PSG agenda, kept on the case (Case.high_risk_victim,
# Case.first_live_action_due_on, Case.first_open_clock_due_at) by triggers on the rows
# that decide it, in the transaction of every write whatever its path, so the agenda
# reads them from an index instead of every open case's victims, live actions and open
# clocks. The migrations case_signals and first_open_clock create the same and fill the
# columns.
_LIVE_ACTION = "('open', 'in_progress')"
_HIGH_RISK_OF = """EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id)))"""
_FIRST_DUE_OF = f"""(SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN {_LIVE_ACTION})"""  # nosec B608 - built from constants, no input
_FIRST_CLOCK_OF = """(SELECT min(sla_clocks.due_at) FROM sla_clocks
    WHERE sla_clocks.case_id = cases.id AND sla_clocks.outcome = 'open')"""


def _sqlite_refresh(column: str, value: str, case: str) -> str:
    # Written only when it changes: most writes (a done action, a witness) change nothing.
    return f"UPDATE cases SET {column} = {value} WHERE id = {case} AND {column} IS NOT {value};"  # nosec B608 - built from constants, no input


def _sqlite_triggers(table: str, columns: str, column: str, value: str, when: str) -> list[str]:
    """Insert, delete and update triggers on ``table`` that refresh ``column`` of the
    case (or cases) of the row, when the row (``when`` of NEW or OLD) can matter."""
    new, old = when.format(row="NEW"), when.format(row="OLD")
    return [
        f"""CREATE TRIGGER {table}_case_signals_insert AFTER INSERT ON {table} WHEN {new}
BEGIN {_sqlite_refresh(column, value, "NEW.case_id")} END""",
        f"""CREATE TRIGGER {table}_case_signals_delete AFTER DELETE ON {table} WHEN {old}
BEGIN {_sqlite_refresh(column, value, "OLD.case_id")} END""",
        f"""CREATE TRIGGER {table}_case_signals_update AFTER UPDATE OF {columns} ON {table} WHEN {new} OR {old}
BEGIN {_sqlite_refresh(column, value, "OLD.case_id")} {_sqlite_refresh(column, value, "NEW.case_id")} END""",
    ]


_POSTGRESQL_REFRESH = """UPDATE cases SET {column} = kept.value
            FROM (SELECT cases.id, {value} AS value FROM cases WHERE cases.id = ANY (touched)) AS kept
            WHERE cases.id = kept.id AND cases.{column} IS DISTINCT FROM kept.value;"""


def _postgresql_triggers(table: str, columns: str, column: str, value: str, when: str) -> list[str]:
    """The function and trigger that refresh ``column`` of the case (or cases) of a row
    of ``table`` when the row (``when`` of NEW or OLD) can matter."""
    refresh = _POSTGRESQL_REFRESH.format(column=column, value=value)
    return [
        f"""CREATE FUNCTION {table}_case_signals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[] := ARRAY[]::integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF {when.format(row="OLD")} THEN
            touched := touched || OLD.case_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF {when.format(row="NEW")} THEN
            touched := touched || NEW.case_id;
        END IF;
    END IF;
    IF cardinality(touched) > 0 THEN
        {refresh}
    END IF;
    RETURN NULL;
END $$""",  # nosec B608 - built from constants, no input
        f"""CREATE TRIGGER {table}_case_signals AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_case_signals()""",
    ]


# (table, the columns that decide, the column of cases kept, its value, when a row matters)
_CASE_SIGNAL_SOURCES = (
    (
        "actions",
        "case_id, status, due_on",
        "first_live_action_due_on",
        _FIRST_DUE_OF,
        f"{{row}}.status IN {_LIVE_ACTION}",
    ),
    (
        "case_parties",
        "case_id, person_id, role, removed_at",
        "high_risk_victim",
        _HIGH_RISK_OF,
        "{row}.role = 'victim'",
    ),
    ("risk_assessments", "case_id, person_id, level, assessed_at", "high_risk_victim", _HIGH_RISK_OF, "TRUE"),
    # Whatever the case's status: the agenda reads open cases only, and a case reopened
    # keeps its clocks.
    ("sla_clocks", "case_id, outcome, due_at", "first_open_clock_due_at", _FIRST_CLOCK_OF, "{row}.outcome = 'open'"),
)
SQLITE_CASE_SIGNAL_TRIGGERS = {source[0]: _sqlite_triggers(*source) for source in _CASE_SIGNAL_SOURCES}
POSTGRESQL_CASE_SIGNAL_TRIGGERS = {source[0]: _postgresql_triggers(*source) for source in _CASE_SIGNAL_SOURCES}
on_create(
    CaseParty.__table__,
    sqlite=SQLITE_CASE_SIGNAL_TRIGGERS["case_parties"],
    postgresql=POSTGRESQL_CASE_SIGNAL_TRIGGERS["case_parties"],
)
