"""The traffic light report: premises per colour now, the quarter's red-to-amber and
amber-to-green figures, activity per quarter, overdue deadlines, and the CSV export.

Quarters are the financial quarters of the SLA dashboard (``Quarter``).

The cohort of a quarter is the status changes made in it:

- Red to amber: the premises that turned red (a ``PremisesStatusChange`` to red) in the
  quarter. One is *met* when the next change of that premises, to amber (or straight to
  green), happened within ``red_to_amber_months`` calendar months of turning red (at
  the deadline instant itself still counts); *late* when it happened after; *not met*
  when there has been no change yet and the deadline has passed; *pending* while the
  deadline has not passed. A premises that turned red twice in the quarter is counted
  twice, once for each time.
- Amber to green, likewise, over the premises that turned amber in the quarter: met
  when the next change, to green, happened within ``amber_to_green_months``. A next
  change back to red is *not met*, whenever it happened.

The rate is met as a share of met, late and not met; pending ones are shown but not
counted, as with the SLA clocks, and the RAG is the SLA dashboard's.

The database does the grouping: the page costs four queries whatever the number of
premises. The deadline is a calendar date in the partnership's zone (``add_months``),
so the last step, comparing each cohort change's next change with its deadline, is
done here on the rows of the cohort (one row per change made in the quarter).
"""

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.clock import ZONE, Quarter, add_days, add_months, local_date
from casework.permissions import Permission
from casework.policy import authorize, can
from casework.premises.models import (
    LicensingHearing,
    Premises,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
)
from casework.premises.services.premises_pages import deadline_cut
from casework.premises.services.tls_rules import DeadlineKind, TlsRules
from casework.rag import Rag, against_target

RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN
# The colour each cohort must reach, and the better colours that count as reaching it.
_REACHES = {RED: (AMBER, GREEN), AMBER: (GREEN,)}


def _months(rules: TlsRules, status: TlsStatus) -> int:
    return rules.red_to_amber_months if status is RED else rules.amber_to_green_months


# --- The quarter's cohorts ------------------------------------------------------------


@dataclass(frozen=True)
class CohortFigures:
    from_status: TlsStatus  # red (to reach amber) or amber (to reach green)
    months: int
    target: int
    entered: int = 0  # the cohort: changes to from_status in the quarter
    met: int = 0
    late: int = 0
    not_met: int = 0
    pending: int = 0

    @property
    def to_label(self) -> str:
        return "amber" if self.from_status is RED else "green"

    @property
    def title(self) -> str:
        return f"{self.from_status.label} reaching {self.to_label} within {self.months} months"

    @property
    def counted(self) -> int:
        return self.met + self.late + self.not_met

    @property
    def percent(self) -> int | None:
        """Whole percent rounded down, so a rate just short of the target never shows as reaching it."""
        return self.met * 100 // self.counted if self.counted else None

    @property
    def rag(self) -> Rag | None:
        return against_target(self.met, self.counted, self.target)


def _outcome(
    entered: TlsStatus,
    at: datetime,
    next_at: datetime | None,
    next_to: TlsStatus | None,
    now: datetime,
    rules: TlsRules,
) -> str:
    due = add_months(at, _months(rules, entered))
    if next_at is None:
        return "pending" if now <= due else "not_met"
    if next_to not in _REACHES[entered]:
        return "not_met"
    return "met" if next_at <= due else "late"


def cohorts(quarter: Quarter, now: datetime, rules: TlsRules, target: int) -> list[CohortFigures]:
    """Red to amber and amber to green for the changes made in the quarter, in one query."""
    change = aliased(PremisesStatusChange)
    later, candidate = aliased(PremisesStatusChange), aliased(PremisesStatusChange)
    first_later = (
        select(candidate.id)
        .where(candidate.premises_id == change.premises_id, candidate.at > change.at)
        .order_by(candidate.at, candidate.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(change.to_status, change.at, later.at, later.to_status)
        .outerjoin(later, later.id == first_later)
        .where(change.to_status.in_([RED, AMBER]), change.at >= quarter.start, change.at < quarter.end)
    )
    tallies = {status: dict.fromkeys(("entered", "met", "late", "not_met", "pending"), 0) for status in (RED, AMBER)}
    for entered, at, next_at, next_to in rows:
        tally = tallies[entered]
        tally["entered"] += 1
        tally[_outcome(entered, at, next_at, next_to, now, rules)] += 1
    return [CohortFigures(status, _months(rules, status), target, **tallies[status]) for status in (RED, AMBER)]


# --- Activity per quarter -------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    quarter: Quarter
    moves: int
    visits: int
    hearings: int


def activity(quarters: list[Quarter]) -> list[Activity]:
    """Moves, visits and hearings in each quarter, in one query (a UNION ALL of three
    rows, each with one count per quarter)."""

    def counts(
        column: sa.SQLColumnExpression[Any], bounds: Sequence[tuple[object, object]]
    ) -> list[sa.ColumnElement[int]]:
        return [func.count(sa.case(((column >= start) & (column < end), 1))) for start, end in bounds]

    instants = [(q.start, q.end) for q in quarters]
    # Hearings are held on a local date: the quarter's local calendar dates.
    dates = [(local_date(q.start), local_date(q.end)) for q in quarters]
    statement = sa.union_all(
        select(sa.literal("moves"), *counts(PremisesStatusChange.at, instants)),
        select(sa.literal("visits"), *counts(PremisesVisit.visited_at, instants)),
        select(sa.literal("hearings"), *counts(LicensingHearing.held_on, dates)),
    )
    found = {row[0]: row[1:] for row in db.session.execute(statement)}
    return [Activity(q, found["moves"][i], found["visits"][i], found["hearings"][i]) for i, q in enumerate(quarters)]


# --- Now ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverduePremises:
    premises_id: int
    name: str | None  # None for users who see figures only
    status: TlsStatus
    deadline: str
    due_at: datetime


# The report lists this many of the premises with a deadline passed, most overdue
# first; the count is of all of them, and the register filtered by "deadline passed"
# lists the rest.
OVERDUE_LISTED = 50


@dataclass(frozen=True)
class _Rule:
    """One deadline of a colour: the premises in ``status`` owe it ``add(status_since)``."""

    kind: DeadlineKind
    status: TlsStatus
    add: Callable[[datetime], datetime]
    visit: bool = False  # met by a visit at or after the premises entered the colour


def _rules_of(rules: TlsRules) -> list[_Rule]:
    return [
        _Rule(DeadlineKind.REACH_AMBER, RED, lambda since: add_months(since, rules.red_to_amber_months)),
        _Rule(DeadlineKind.REACH_GREEN, AMBER, lambda since: add_months(since, rules.amber_to_green_months)),
        _Rule(DeadlineKind.AMBER_VISIT, AMBER, lambda since: add_days(since, rules.amber_visit_days), visit=True),
    ]


# A month's end brings up to three start dates to one deadline date (28, 29 and 30
# November all reach 28 February), so a start this many days later has a later deadline.
_CLAMPED_DAYS = 4


def _first_due(entries: list[tuple[datetime, int, _Rule, Any]], listed: int) -> list[tuple[Any, ...]]:
    """The ``listed`` entries of one deadline (sorted by start) whose deadline comes
    first, as (due, start, id, rule, name), in that order. The deadline's date follows
    the start's date, but not its time at a month's end (31 August 10:00 reaches
    30 November earlier in the day than 30 August 11:00), so the deadlines are worked
    out for the first ``listed`` starts and for any start on the next few days."""
    if len(entries) > listed:
        last = local_date(entries[listed - 1][0]) + timedelta(days=_CLAMPED_DAYS)
        entries = list(itertools.takewhile(lambda entry: local_date(entry[0]) < last, entries))
    return sorted((rule.add(since), since, premises_id, rule, row[4]) for since, premises_id, rule, row in entries)


def overdue_now(
    now: datetime, rules: TlsRules, *, named: bool, listed: int | None = None
) -> tuple[int, list[OverduePremises]]:
    """How many red and amber premises have a deadline passed now, and the ``listed``
    most overdue of them (by the deadline passed first, then the time they entered
    their colour, then id).

    One query reads the red and amber premises that entered their colour long enough
    ago for a deadline to have passed (a day's margin below the shortest calendar
    span), with their latest visit. Each is tested against each deadline with the
    cut-offs the register's filter uses (a comparison of times; the calendar is worked
    out only for the few whose deadline falls today), and only the first few of each
    deadline, by the time they entered their colour, get a deadline worked out
    (``_first_due``); the most overdue are the first of a merge of the three. Names are
    read only when ``named``.
    """
    listed = OVERDUE_LISTED if listed is None else listed
    margin = timedelta(days=1)
    red_before = now - timedelta(days=28 * rules.red_to_amber_months) + margin
    amber_before = now - timedelta(days=min(28 * rules.amber_to_green_months, rules.amber_visit_days)) + margin
    last_visit = (
        select(func.max(PremisesVisit.visited_at)).where(PremisesVisit.premises_id == Premises.id).scalar_subquery()
    )
    name = Premises.name if named else sa.null()
    rows = db.session.execute(
        select(Premises.id, Premises.status, Premises.status_since, last_visit, name).where(
            ((Premises.status == RED) & (Premises.status_since < red_before))
            | ((Premises.status == AMBER) & (Premises.status_since < amber_before))
        )
    ).all()
    passed: list[list[tuple[datetime, int, _Rule, Any]]] = []
    for rule in _rules_of(rules):
        cut = deadline_cut(rule.add, now)
        passed.append(
            sorted(
                (row.status_since, row.id, rule, row)
                for row in rows
                if row.status is rule.status
                and not (rule.visit and row[3] is not None and row[3] >= row.status_since)
                and (
                    row.status_since < cut.passed_before
                    or (row.status_since < cut.open_from and rule.add(row.status_since) < now)
                )
            )
        )
    count = len({premises_id for entries in passed for _, premises_id, _, _ in entries})
    if not named:
        return count, []
    firsts = [_first_due(entries, listed) for entries in passed]
    most_overdue: dict[int, OverduePremises] = {}
    for due_at, _, premises_id, rule, name in heapq.merge(*firsts):
        if len(most_overdue) >= listed:
            break
        if premises_id not in most_overdue:  # its first deadline passed is the earliest
            most_overdue[premises_id] = OverduePremises(premises_id, name, rule.status, rule.kind.label, due_at)
    return count, list(most_overdue.values())


# --- The page -------------------------------------------------------------------------


def colour_counts() -> dict[TlsStatus, int]:
    """Premises of each colour now, red first, in one query."""
    colours = dict.fromkeys((RED, AMBER, GREEN), 0)
    for status, count in db.session.execute(select(Premises.status, func.count()).group_by(Premises.status)):
        colours[TlsStatus(status)] = count
    return colours


@dataclass
class TlsReport:
    at: datetime
    quarter: Quarter
    colours: dict[TlsStatus, int]
    cohorts: list[CohortFigures]
    activity: list[Activity]  # oldest first, ending with the chosen quarter
    overdue: int
    named: bool  # whether the overdue premises are listed by name
    overdue_premises: list[OverduePremises] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.colours.values())

    @property
    def overdue_not_listed(self) -> int:
        """The premises with a deadline passed beyond those listed (the register has them all)."""
        return self.overdue - len(self.overdue_premises) if self.named else 0


def report(
    actor: User,
    quarter: Quarter,
    activity_quarters: list[Quarter],
    now: datetime,
    rules: TlsRules,
    target: int,
) -> TlsReport:
    """The whole page in four queries. Users without PREMISES_VIEW (analysts) get the
    counts only: no premises name is read from the database for them."""
    authorize(actor, Permission.PREMISES_REPORT)
    named = can(actor, Permission.PREMISES_VIEW)
    overdue, listed = overdue_now(now, rules, named=named)
    return TlsReport(
        at=now,
        quarter=quarter,
        colours=colour_counts(),
        cohorts=cohorts(quarter, now, rules, target),
        activity=activity(sorted(activity_quarters, key=lambda q: q.start)),
        overdue=overdue,
        named=named,
        overdue_premises=listed,
    )


# --- The export -----------------------------------------------------------------------

EXPORT_HEADER = (
    "Premises",
    "Licence number",
    "Town",
    "From",
    "To",
    "At",
    "Officer's agency",
    "Within deadline",
)


def _within_deadline(
    from_status: TlsStatus,
    to_status: TlsStatus,
    at: datetime,
    entered_at: datetime | None,
    rules: TlsRules,
) -> str:
    """For a move to a better colour: whether it came within the deadline of the colour
    it left, counted from the change that entered that colour."""
    if from_status not in _REACHES or to_status not in _REACHES[from_status]:
        return "Not applicable"
    if entered_at is None:  # no recorded change into the colour it left
        return "Not known"
    return "Yes" if at <= add_months(entered_at, _months(rules, from_status)) else "No"


def export_rows(actor: User, quarter: Quarter, rules: TlsRules) -> list[tuple[str, ...]]:
    """The quarter's status changes as rows of text, header first, in one query;
    audited as ``premises.report_exported``."""
    authorize(actor, Permission.PREMISES_EXPORT)
    change = PremisesStatusChange
    earlier = aliased(PremisesStatusChange)
    entered_at = (
        select(func.max(earlier.at))
        .where(earlier.premises_id == change.premises_id, earlier.at < change.at)
        .scalar_subquery()
    )
    result = db.session.execute(
        select(
            Premises.name,
            Premises.licence_number,
            Premises.town,
            change.from_status,
            change.to_status,
            change.at,
            Agency.name,
            entered_at,
        )
        .join(Premises, Premises.id == change.premises_id)
        .join(User, User.id == change.officer_id)
        .join(Agency, Agency.id == User.agency_id)
        .where(change.at >= quarter.start, change.at < quarter.end)
        .order_by(change.at, change.id)
    )
    rows: list[tuple[str, ...]] = [EXPORT_HEADER]
    for name, licence, town, from_status, to_status, at, agency, entered in result:
        rows.append(
            (
                name,
                licence,
                town,
                from_status.label,
                to_status.label,
                at.astimezone(ZONE).isoformat(timespec="minutes"),
                agency,
                _within_deadline(from_status, to_status, at, entered, rules),
            )
        )
    audit.record(
        actor, "premises.report_exported", "tls_report", None, detail={"quarter": quarter.key, "rows": len(rows) - 1}
    )
    return rows
