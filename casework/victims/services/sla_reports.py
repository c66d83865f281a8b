"""The managers' SLA dashboard: clocks due now, quarterly compliance, the trend, the export.

Every figure is counted by the database (DESIGN.md section 3.2): the quarters' clocks
from the counts it keeps by month, kind and outcome (``SlaClockCount``), a quarter's
victims from the count it keeps of them (``SlaClockVictimCount``), open
clocks from the ``sla_clocks`` rows, so the page costs the same handful of queries
however many clocks there are. A clock's status depends on when you look; ``clock_status`` works it out in SQL
for a given moment (the statuses of ``ClockStatus``):

- open and past its due time: overdue (at exactly the due instant it is not yet);
- open and due within the due-soon window: due soon;
- open otherwise: pending;
- else what happened to it: met (on time), met late, stopped (before it was due), or
  overdue at closing (the case closed or the victim left after it was due).

In the quarter's figures, overdue counts both the open clocks past due and those
overdue at closing: a breach stays a breach when the case closes.

Quarters are financial quarters (Q1 is April to June, Q4 January to March), bounded
at local midnight in the partnership's time zone, as in the source reports.

The cohort of a quarter is the clocks started in it. The source reports say "74% - 18
victims" without saying whether 18 is the cohort or those who met the SLA
(reference/domain-notes.md section 1.1); Casework reads it as the cohort and counts
*distinct victims* whose clock of that kind started in the quarter. The rate itself is
over clocks: a victim with two episodes in a quarter has two clocks of each kind. So
that nobody reads the rate as a share of the victims, the headline names both: "74% of
19 decided; 18 victims in the quarter", where the decided clocks (the rate's
denominator) are those met on time, met late or overdue.
"""

import csv
import functools
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func, select

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import Case
from casework.clock import ZONE, Quarter
from casework.paging import Page, clamp
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import authorize, can, seen_on_case
from casework.rag import Rag, against_target
from casework.victims.models import ClockKind, ClockOutcome, ClockStatus, SlaClock, SlaClockCount, SlaClockVictimCount
from casework.victims.services import sla

# The dashboard lists at most this many clocks due now, most overdue first, and links
# to the page of every one (docs/sla.md); the counts by agency are always complete.
NOW_ROWS = 25
DUE_NOW_PER_PAGE = 50


# --- A clock's status, in SQL -------------------------------------------------------


def _word(value: str) -> ColumnElement[str]:
    """A string constant written into the SQL, not a bound parameter."""
    return sa.literal_column(f"'{value}'", sa.String())


def _overdue(at: datetime | sa.BindParameter[datetime]) -> ColumnElement[bool]:
    """Past due at ``at``: at exactly the due instant a clock is not overdue yet."""
    return SlaClock.due_at < at


def _due_by(end_of_window: datetime | sa.BindParameter[datetime]) -> ColumnElement[bool]:
    return SlaClock.due_at <= end_of_window


def clock_status(now: datetime, rules: sla.SlaRules | None = None) -> ColumnElement[str]:
    """The status of each clock at ``now`` (a ClockStatus value), as a SQL CASE."""
    rules = rules or sla.rules()
    is_open = SlaClock.outcome == ClockOutcome.OPEN
    return sa.case(
        (is_open & _overdue(now), _word(ClockStatus.OVERDUE)),
        (is_open & _due_by(now + timedelta(hours=rules.due_soon_hours)), _word(ClockStatus.DUE_SOON)),
        (is_open, _word(ClockStatus.PENDING)),
        else_=sa.type_coerce(SlaClock.outcome, sa.String()),
    )


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0, never NULL, for none)."""
    return func.count(sa.case((condition, 1)))


# --- Financial quarters -------------------------------------------------------------


# --- Now: overdue and due soon --------------------------------------------------------


@dataclass(frozen=True)
class NowRow:
    kind: ClockKind
    due_at: datetime
    status: ClockStatus
    # Shown as the user may see the case: a restricted case the user cannot fully see
    # shows neither; a case they see only as a stub shows the reference, not the name.
    reference: str | None
    victim_name: str | None


@dataclass
class AgencyClocks:
    agency_id: int
    agency_name: str
    overdue: int
    due_soon: int
    rows: list[NowRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon


@dataclass
class NowView:
    at: datetime
    due_soon_hours: int
    agencies: list[AgencyClocks]
    named: bool  # whether rows were loaded at all (never for figures-only users)
    listed: int = 0

    @property
    def overdue(self) -> int:
        return sum(group.overdue for group in self.agencies)

    @property
    def due_soon(self) -> int:
        return sum(group.due_soon for group in self.agencies)

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon

    @property
    def not_listed(self) -> int:
        return self.total - self.listed if self.named else 0


def now_view(actor: User, now: datetime) -> NowView:
    """Overdue clocks and clocks due within the due-soon window, by lead agency.

    Two queries: the complete counts by agency, then (for users who may see named
    cases) the first NOW_ROWS clocks, most overdue first. Both read only open clocks
    due before the end of the window, through the (outcome, due_at) index.
    """
    authorize(actor, Permission.SLA_VIEW_FIGURES)
    rules = sla.rules()
    status = clock_status(now, rules)
    due_now = (SlaClock.outcome == ClockOutcome.OPEN) & _due_by(now + timedelta(hours=rules.due_soon_hours))
    groups = _counts_by_agency(due_now, status)
    view = NowView(
        at=now,
        due_soon_hours=rules.due_soon_hours,
        agencies=sorted(groups.values(), key=lambda g: (-g.overdue, -g.due_soon, g.agency_name)),
        named=can(actor, Permission.SLA_VIEW),
    )
    if view.named and groups:
        _list_clocks(actor, view, groups, due_now, status)
    return view


def _counts_by_agency(due_now: ColumnElement[bool], status: ColumnElement[str]) -> dict[int, AgencyClocks]:
    """The complete counts of clocks due now, by the lead agency of their case."""
    # The clock's copy of its case's lead agency: the clocks due now are counted from
    # the index alone, without reading their cases.
    by_agency = (
        select(
            SlaClock.lead_agency_id.label("agency_id"),
            _count_where(status == ClockStatus.OVERDUE.value).label("overdue"),
            _count_where(status == ClockStatus.DUE_SOON.value).label("due_soon"),
        )
        .where(due_now)
        .group_by(SlaClock.lead_agency_id)
        .subquery()
    )
    counts = db.session.execute(
        select(Agency.id, Agency.name, by_agency.c.overdue, by_agency.c.due_soon).join(
            by_agency, by_agency.c.agency_id == Agency.id
        )
    )
    return {
        agency_id: AgencyClocks(agency_id, name, overdue, due_soon) for agency_id, name, overdue, due_soon in counts
    }


def _due_now_rows(actor: User, due_now: ColumnElement[bool], status: ColumnElement[str]) -> sa.Select[*tuple[Any, ...]]:
    """The clocks due now with their case and victim as the actor may see them, most
    overdue first (the id breaks ties, so pages neither skip nor repeat a clock)."""
    return (
        select(
            SlaClock.kind,
            SlaClock.due_at,
            status,
            Case.lead_agency_id,
            seen_on_case(actor, Case.reference, shown_on_stub=True),
            seen_on_case(actor, Person.first_name, shown_on_stub=False),
            seen_on_case(actor, Person.last_name, shown_on_stub=False),
        )
        .join(Case, Case.id == SlaClock.case_id)
        .join(Person, Person.id == SlaClock.person_id)
        .where(due_now)
        .order_by(SlaClock.due_at, SlaClock.id)
    )


def _now_row(
    kind: ClockKind, due_at: datetime, status: str, reference: str | None, first: str | None, last: str | None
) -> NowRow:
    name = f"{first} {last}" if first is not None else None
    return NowRow(kind, due_at, ClockStatus(status), reference, name)


def _list_clocks(
    actor: User,
    view: NowView,
    groups: dict[int, AgencyClocks],
    due_now: ColumnElement[bool],
    status: ColumnElement[str],
) -> None:
    """The first NOW_ROWS clocks due now, most overdue first, each under its agency."""
    rows = db.session.execute(_due_now_rows(actor, due_now, status).limit(NOW_ROWS))
    for kind, due_at, status_value, agency_id, reference, first_name, last_name in rows:
        groups[agency_id].rows.append(_now_row(kind, due_at, status_value, reference, first_name, last_name))
        view.listed += 1


@dataclass(frozen=True)
class DueNowList:
    """One page of every clock due now, for the page the dashboard links to."""

    at: datetime
    due_soon_hours: int
    clocks: Page[tuple[str, NowRow]]  # (the lead agency's name, the clock)


def due_now_list(actor: User, now: datetime, *, page: int, per_page: int = DUE_NOW_PER_PAGE) -> DueNowList:
    """Every clock overdue or due within the due-soon window, most overdue first, a page
    at a time; audited as ``sla.due_now_viewed``, since it names victims. Paged by
    offset: the clocks due now are a few hundred at county scale, however large the
    casebook, and their exact number is the dashboard's headline."""
    authorize(actor, Permission.SLA_VIEW)
    rules = sla.rules()
    status = clock_status(now, rules)
    due_now = (SlaClock.outcome == ClockOutcome.OPEN) & _due_by(now + timedelta(hours=rules.due_soon_hours))
    total = db.session.scalar(select(func.count()).select_from(SlaClock).where(due_now)) or 0
    page = clamp(page, total, per_page)
    agency_name = select(Agency.name).where(Agency.id == Case.lead_agency_id).scalar_subquery()
    rows = db.session.execute(
        _due_now_rows(actor, due_now, status).add_columns(agency_name).offset((page - 1) * per_page).limit(per_page)
    )
    items = [
        (name, _now_row(kind, due_at, status_value, reference, first, last))
        for kind, due_at, status_value, _agency_id, reference, first, last, name in rows
    ]
    audit.record(actor, "sla.due_now_viewed", "sla_report", None, detail={"page": page, "rows": len(items)})
    return DueNowList(now, rules.due_soon_hours, Page(items, total, page, per_page))


# --- Quarterly compliance -------------------------------------------------------------


@dataclass(frozen=True)
class KindFigures:
    kind: ClockKind
    clocks: int  # the cohort: clocks of this kind started in the quarter
    victims: int  # distinct victims in the cohort
    met: int
    met_late: int
    overdue: int  # including overdue at closing
    overdue_at_closing: int
    pending: int  # including due soon
    due_soon: int
    stopped: int
    target: int

    @property
    def counted(self) -> int:
        """The rate's denominator, the *decided* clocks: met on time, met late or overdue
        (open past due, or overdue at closing). Pending and stopped clocks are not."""
        return self.met + self.met_late + self.overdue

    @property
    def rate(self) -> float | None:
        """Met on time as a percentage of met, met late and overdue; None when none is."""
        return 100 * self.met / self.counted if self.counted else None

    @property
    def percent(self) -> int | None:
        """The rate in whole percent, rounded down, so a rate just short of the target
        is never shown as reaching it."""
        return self.met * 100 // self.counted if self.counted else None

    @property
    def rag(self) -> Rag | None:
        return against_target(self.met, self.counted, self.target)

    @property
    def victims_text(self) -> str:
        return f"{self.victims} victim{'' if self.victims == 1 else 's'} in the quarter"

    @property
    def rate_text(self) -> str:
        """The rate with what it is a share of: '74% of 19 decided'."""
        if self.percent is None:
            return "No clocks decided yet"
        return f"{self.percent}% of {self.counted} decided"

    @property
    def summary(self) -> str:
        """The source reports' '74% - 18 victims', saying what each number counts:
        '74% of 19 decided; 18 victims in the quarter'."""
        return f"{self.rate_text}; {self.victims_text}"


@dataclass(frozen=True)
class QuarterFigures:
    quarter: Quarter
    at: datetime
    kinds: list[KindFigures]


# How the figures are counted: one statement, a UNION ALL of small parts. The clocks
# started in each quarter, by kind and outcome, are added up from the counts the database
# keeps by stretch of time (SlaClockCount: a few rows a month), not read clock by clock.
# Open clocks are read from the index on (kind, outcome, started_at, due_at, person_id)
# without the table, because whether one is overdue or due soon depends on ``now``: they
# are split at ``now`` and at the end of the due-soon window, with the same tests as
# ``clock_status``. For the chosen quarter, the distinct victims of each kind are read
# from the count the database keeps of its rows per quarter, kind and victim
# (SlaClockVictimCount, SlaClockVictim). Every part returns rows of (quarter number in the list, kind,
# outcome or VICTIMS, count, of those overdue, of those due by the end of the window).
# The statement is built once for each shape and then only given its parameters:
# building the SELECTs costs more than running them.
_VICTIMS = "victims"


def _started_in(number: int, column: Any = SlaClock.started_at) -> tuple[ColumnElement[bool], ...]:
    return column >= sa.bindparam(f"start_{number}"), column < sa.bindparam(f"end_{number}")


@functools.cache
def _figures_statement(quarters: int, victims_of: tuple[int, ...]) -> sa.CompoundSelect:
    zero: ColumnElement[int] = sa.literal_column("0")
    overdue, due_by_window = _overdue(sa.bindparam("now")), _due_by(sa.bindparam("end_of_window"))
    parts: list[sa.Select[*tuple[Any, ...]]] = []
    for number in range(quarters):
        parts.append(
            select(
                sa.literal_column(str(number)),
                # Plain strings, as the other parts give (the first part types the union).
                sa.type_coerce(SlaClockCount.kind, sa.String()),
                sa.type_coerce(SlaClockCount.outcome, sa.String()),
                func.sum(SlaClockCount.tally),
                zero,
                zero,
            )
            .where(*_started_in(number, SlaClockCount.started_from), SlaClockCount.outcome != ClockOutcome.OPEN)
            .group_by(SlaClockCount.kind, SlaClockCount.outcome)
        )
        for kind in ClockKind:
            parts.append(
                select(
                    sa.literal_column(str(number)),
                    _word(kind),
                    _word(ClockOutcome.OPEN),
                    func.count(),
                    _count_where(overdue),
                    _count_where(due_by_window),
                ).where(SlaClock.kind == kind, SlaClock.outcome == ClockOutcome.OPEN, *_started_in(number))
            )
    for number in victims_of:
        parts.append(
            select(
                sa.literal_column(str(number)),
                sa.type_coerce(SlaClockVictimCount.kind, sa.String()),
                _word(_VICTIMS),
                SlaClockVictimCount.victims,
                zero,
                zero,
            ).where(SlaClockVictimCount.quarter_from == sa.bindparam(f"start_{number}"))
        )
    return sa.union_all(*parts)


def _count(
    quarters: list[Quarter], now: datetime, *, victims_of: list[Quarter]
) -> dict[str, dict[ClockKind, KindFigures]]:
    """The figures of each quarter, in one statement; the victims only for ``victims_of``."""
    rules = sla.rules()
    statement = _figures_statement(len(quarters), tuple(quarters.index(quarter) for quarter in victims_of))
    parameters: dict[str, datetime] = {"now": now, "end_of_window": now + timedelta(hours=rules.due_soon_hours)}
    for number, quarter in enumerate(quarters):
        parameters |= {f"start_{number}": quarter.start, f"end_{number}": quarter.end}
    names = ("clocks", "victims", "met", "met_late", "overdue", "overdue_at_closing", "pending", "due_soon", "stopped")
    counts = {(number, kind): dict.fromkeys(names, 0) for number in range(len(quarters)) for kind in ClockKind}
    for number, kind, outcome, clocks, overdue, due_by_window in db.session.execute(statement, parameters):
        tally = counts[(int(number), ClockKind(kind))]
        if outcome == _VICTIMS:
            tally["victims"] = clocks
            continue
        tally["clocks"] += clocks
        if outcome == ClockOutcome.OPEN:
            tally["overdue"] += overdue
            tally["due_soon"] = due_by_window - overdue
            tally["pending"] = clocks - overdue  # pending includes due soon
        elif outcome == ClockOutcome.OVERDUE_AT_CLOSING:
            tally["overdue_at_closing"] = clocks
            tally["overdue"] += clocks
        else:
            tally[outcome] = clocks
    target = rules.target_percent
    return {
        quarter.key: {kind: KindFigures(kind, **counts[(number, kind)], target=target) for kind in ClockKind}
        for number, quarter in enumerate(quarters)
    }


def quarter_figures(actor: User, quarter: Quarter, now: datetime) -> QuarterFigures:
    """Each clock kind's figures for the clocks started in the quarter, in one query."""
    authorize(actor, Permission.SLA_VIEW_FIGURES)
    figures = _count([quarter], now, victims_of=[quarter])[quarter.key]
    return QuarterFigures(quarter, now, [figures[kind] for kind in ClockKind])


@dataclass(frozen=True)
class TrendPoint:
    quarter: Quarter
    kinds: dict[ClockKind, KindFigures]  # victims are not counted for the trend: always 0


def trend(actor: User, quarters: list[Quarter], now: datetime) -> list[TrendPoint]:
    """The figures of each kind in each quarter, oldest first, in one query."""
    authorize(actor, Permission.SLA_VIEW_FIGURES)
    quarters = sorted(quarters, key=lambda q: q.start)
    figures = _count(quarters, now, victims_of=[]) if quarters else {}
    return [TrendPoint(q, figures[q.key]) for q in quarters]


def figures_and_trend(
    actor: User, quarter: Quarter, trend_quarters: list[Quarter], now: datetime
) -> tuple[QuarterFigures, list[TrendPoint]]:
    """``quarter_figures`` and ``trend`` together, in one query, for the dashboard: the
    chosen quarter is counted once even when it is one of the trend's quarters."""
    authorize(actor, Permission.SLA_VIEW_FIGURES)
    quarters = sorted({*trend_quarters, quarter}, key=lambda q: q.start)
    figures = _count(quarters, now, victims_of=[quarter])
    chosen = QuarterFigures(quarter, now, [figures[quarter.key][kind] for kind in ClockKind])
    return chosen, [TrendPoint(q, figures[q.key]) for q in sorted(trend_quarters, key=lambda q: q.start)]


def quarterly(actor: User, quarters: list[Quarter], now: datetime) -> list[QuarterFigures]:
    """Each quarter's figures with its victims counted, newest first, in one query."""
    authorize(actor, Permission.SLA_VIEW_FIGURES)
    figures = _count(quarters, now, victims_of=quarters) if quarters else {}
    return [QuarterFigures(q, now, [figures[q.key][kind] for kind in ClockKind]) for q in quarters]


# The partnership's figures by quarter, for analysts' spreadsheets: counts and rates
# only. Not suppressed for small numbers (docs/access.md): it is the measure CSP
# reports publish in this form, over the whole partnership, with no attribute of anyone.
FIGURES_HEADER = (
    "Quarter",
    "Clock",
    "Clocks started",
    "Victims",
    "Met on time",
    "Met late",
    "Overdue, including at closing",
    "Overdue at closing",
    "Decided: met on time, met late or overdue",
    "Pending, including due soon",
    "Stopped",
    "Compliance rate: percent of decided met on time",
    "Target percent",
    "RAG",
)


def figures_rows(actor: User, quarters: list[Quarter], now: datetime) -> list[tuple[str, ...]]:
    """The quarters' figures as rows of text, header first, newest quarter first."""
    rows: list[tuple[str, ...]] = [FIGURES_HEADER]
    for figures in quarterly(actor, quarters, now):
        for kind in figures.kinds:
            counts = (kind.clocks, kind.victims, kind.met, kind.met_late, kind.overdue, kind.overdue_at_closing)
            rows.append(
                (
                    figures.quarter.label,
                    kind.kind.label,
                    *map(str, counts),
                    str(kind.counted),
                    str(kind.pending),
                    str(kind.stopped),
                    "" if kind.percent is None else str(kind.percent),
                    str(kind.target),
                    kind.rag.label if kind.rag else "",
                )
            )
    return rows


# --- The export --------------------------------------------------------------------

# No names, dates of birth or contact details: the file leaves the system, and the
# partnership works paperless "to improve data protection" (domain notes 1.1). The
# person number lets a manager find the victim in Casework, where access is checked
# and audited. For the same reason a stop's reason is exported as its kind only
# ("Case closed"), without the free text typed after it, which may name people.
EXPORT_HEADER = (
    "Case reference",
    "Lead agency",
    "Person number",
    "Clock",
    "Started",
    "Due",
    "Met or stopped at",
    "Status now",
    "Stop reason",
)


def _local_iso(value: datetime | None) -> str:
    return value.astimezone(ZONE).isoformat(timespec="minutes") if value else ""


def export_rows(actor: User, quarter: Quarter, now: datetime) -> list[tuple[str, ...]]:
    """The quarter's clocks as rows of text, header first; audited as ``sla.exported``."""
    authorize(actor, Permission.SLA_EXPORT)
    result = db.session.execute(
        select(
            Case.reference,
            Agency.name,
            SlaClock.person_id,
            SlaClock.kind,
            SlaClock.started_at,
            SlaClock.due_at,
            func.coalesce(SlaClock.met_at, SlaClock.stopped_at),
            clock_status(now),
            SlaClock.stop_reason,
        )
        .join(Case, Case.id == SlaClock.case_id)
        .join(Agency, Agency.id == Case.lead_agency_id)
        .where(SlaClock.started_at >= quarter.start, SlaClock.started_at < quarter.end)
        .order_by(SlaClock.started_at, SlaClock.id)
    )
    rows: list[tuple[str, ...]] = [EXPORT_HEADER]
    for reference, agency, person_id, kind, started_at, due_at, ended_at, status, stop_reason in result:
        rows.append(
            (
                reference,
                agency,
                str(person_id),
                kind.label,
                _local_iso(started_at),
                _local_iso(due_at),
                _local_iso(ended_at),
                ClockStatus(status).label,
                stop_reason.split(":", 1)[0],
            )
        )
    audit.record(actor, "sla.exported", "sla_report", None, detail={"quarter": quarter.key, "rows": len(rows) - 1})
    return rows


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: str) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection): prefix a quote."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def to_csv(rows: list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_inert(cell) for cell in row] for row in rows)
    return buffer.getvalue()
