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

The database does the grouping: the page costs five queries whatever the number of
premises. The deadline is a calendar date in the partnership's zone (``add_months``),
so the last step, comparing each cohort change's next change with its deadline, is
done here on the rows of the cohort (one row per change made in the quarter).
"""

import functools
import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.clock import ZONE, Quarter, add_days, add_months, local_date, start_of_day
from casework.permissions import Permission
from casework.policy import authorize, can
from casework.premises.models import (
    ActivityKind,
    Premises,
    PremisesActivityCount,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
)
from casework.premises.services.premises_pages import Cut, deadline_cut
from casework.premises.services.tls_rules import DeadlineKind, TlsRules, deadlines
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


# A deadline ``months`` calendar months on is between 28 and 31 days a month later;
# a day's margin covers the clocks changing. Only a time between the two needs the calendar.
_MARGIN = timedelta(days=1)


def _within(at: datetime, then: datetime, months: int) -> bool:
    """Whether ``then`` is at or before ``add_months(at, months)``."""
    elapsed = then - at
    if elapsed <= timedelta(days=28 * months) - _MARGIN:
        return True
    if elapsed > timedelta(days=31 * months) + _MARGIN:
        return False
    return then <= add_months(at, months)


def _outcome(
    entered: TlsStatus,
    at: datetime,
    next_at: datetime | None,
    next_to: TlsStatus | None,
    now: datetime,
    rules: TlsRules,
) -> str:
    months = _months(rules, entered)
    if next_at is None:
        return "pending" if _within(at, now, months) else "not_met"
    if next_to not in _REACHES[entered]:
        return "not_met"
    return "met" if _within(at, next_at, months) else "late"


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
    """Moves, visits and hearings in each quarter, added up from the few rows the
    database keeps by month (``PremisesActivityCount``), in one query."""
    if not quarters:
        return []
    # Hearings are kept by the month of their local date, as its first day at 00:00 UTC.
    dates = [(_month_key(local_date(q.start)), _month_key(local_date(q.end))) for q in quarters]
    bounds = {
        ActivityKind.MOVE: [(q.start, q.end) for q in quarters],
        ActivityKind.VISIT: [(q.start, q.end) for q in quarters],
        ActivityKind.HEARING: dates,
    }
    first = min(start for spans in bounds.values() for start, _ in spans)
    last = max(end for spans in bounds.values() for _, end in spans)
    tallies = {kind: [0] * len(quarters) for kind in ActivityKind}
    rows = db.session.execute(
        select(PremisesActivityCount.kind, PremisesActivityCount.stretch_from, PremisesActivityCount.tally).where(
            PremisesActivityCount.stretch_from >= first, PremisesActivityCount.stretch_from < last
        )
    )
    for kind, stretch_from, tally in rows:
        for index, (start, end) in enumerate(bounds[kind]):
            if start <= stretch_from < end:
                tallies[kind][index] += tally
    return [
        Activity(q, tallies[ActivityKind.MOVE][i], tallies[ActivityKind.VISIT][i], tallies[ActivityKind.HEARING][i])
        for i, q in enumerate(quarters)
    ]


def _month_key(day: date) -> datetime:
    """The stretch a hearing held in ``day``'s month is kept under (``day`` is a month's first)."""
    return datetime(day.year, day.month, 1, tzinfo=UTC)


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
# lists the rest. A page to act from, not the whole list: each row listed is drawn on
# every view of the report (docs/access.md, "The traffic light report").
OVERDUE_LISTED = 25


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
    return sorted((rule.add(since), since, premises_id, rule, name) for since, premises_id, rule, name in entries)


@dataclass(frozen=True)
class DeadlineCounts:
    passed: int  # premises with a deadline passed
    due: int  # the others with a deadline due by the instant asked about


def _visited() -> Any:
    """The premises had a visit at or after it entered its colour (meets the visit deadline)."""
    return sa.exists().where(
        PremisesVisit.premises_id == Premises.id, PremisesVisit.visited_at >= Premises.status_since
    )


_STARTS = Premises.status_since.type


class _Bounds:
    """The cut of one rule at now and at ``until``, as bound parameters (see Cut)."""

    def __init__(self, index: int) -> None:
        self.passed_before = sa.bindparam(f"passed_before_{index}", type_=_STARTS)
        self.open_from = sa.bindparam(f"open_from_{index}", type_=_STARTS)
        self.due_before = sa.bindparam(f"due_before_{index}", type_=_STARTS)  # until's passed_before
        self.due_open_from = sa.bindparam(f"due_open_from_{index}", type_=_STARTS)  # until's open_from

    def values(self, at_now: Cut, at_until: Cut) -> dict[str, datetime]:
        return {
            self.passed_before.key: at_now.passed_before,
            self.open_from.key: at_now.open_from,
            self.due_before.key: at_until.passed_before,
            self.due_open_from.key: at_until.open_from,
        }


@dataclass(frozen=True)
class _CountParts:
    bounds: list[_Bounds]  # one for each rule, in _rules_of's order
    checked: Any  # the premises whose deadline falls on today's or until's date
    counted: dict[TlsStatus, tuple[Any, Any]]  # per colour: its select, and where its starts end


@functools.cache
def _deadline_count_parts() -> _CountParts:
    """deadline_counts' selects, built once: the cuts are their parameters.

    By comparison of starts, a premises' deadline passed before today, or falls between
    today and ``until``'s date; on either of those two dates it is read to be checked.
    Each colour is counted over one range of the index on colour and start.
    """
    rules = _rules_of(TlsRules())  # the shape only: the colours and which rule a visit meets
    bounds = [_Bounds(index) for index in range(len(rules))]
    since = Premises.status_since

    def pending(rule: _Rule, *starts: Any) -> Any:
        return sa.and_(*starts, *([~_visited()] if rule.visit else []))

    def on_the_day(b: _Bounds) -> Any:
        return sa.or_(
            sa.and_(since >= b.passed_before, since < b.open_from),
            sa.and_(since >= b.due_before, since < b.due_open_from),
        )

    counted = {}
    for status in dict.fromkeys(rule.status for rule in rules):
        own = [(rule, b) for rule, b in zip(rules, bounds, strict=True) if rule.status is status]
        passed = sa.or_(*(pending(rule, since < b.passed_before) for rule, b in own))
        due = sa.and_(
            sa.or_(*(pending(rule, since >= b.open_from, since < b.due_before) for rule, b in own)),
            ~passed,
            ~sa.or_(*(on_the_day(b) for _, b in own)),
        )
        ends = sa.bindparam(f"starts_end_{status.value}", type_=_STARTS)
        query = select(
            sa.null(), sa.null(), sa.null(), sa.null(), func.count(sa.case((passed, 1))), func.count(sa.case((due, 1)))
        ).where(Premises.status == status, since < ends)
        counted[status] = (query, ends)
    last_visit = (
        select(func.max(PremisesVisit.visited_at)).where(PremisesVisit.premises_id == Premises.id).scalar_subquery()
    )
    checked = select(Premises.id, Premises.status, since, last_visit, sa.null(), sa.null()).where(
        sa.or_(*(sa.and_(Premises.status == rule.status, on_the_day(b)) for rule, b in zip(rules, bounds, strict=True)))
    )
    return _CountParts(bounds, checked, counted)


def deadline_counts(
    now: datetime, rules: TlsRules, *, until: datetime | None = None, also: Any = None
) -> DeadlineCounts:
    """How many red and amber premises (``also`` those) have a deadline passed at
    ``now``, and how many of the others have one due by ``until``, in one statement.

    A deadline's date follows its start's date (``deadline_cut``), so the database
    counts by comparing starts: passed when the deadline's date is before today, due
    when it falls between today and ``until``'s date. Only the few premises whose
    deadline falls on today's date or on ``until``'s are read, with their latest visit,
    and checked here with the rules themselves, where the time of day decides; so both
    counts are exact.
    """
    until = now if until is None else until
    cuts = [(rule, deadline_cut(rule.add, now), deadline_cut(rule.add, until)) for rule in _rules_of(rules)]
    parts = _deadline_count_parts()
    extra = [] if also is None else [also]
    values: dict[str, datetime] = {}
    for bound, (_, at_now, at_until) in zip(parts.bounds, cuts, strict=True):
        values |= bound.values(at_now, at_until)
    for status, (_, ends) in parts.counted.items():
        values[ends.key] = max(at_until.passed_before for rule, _, at_until in cuts if rule.status is status)
    selects = [parts.checked, *(query for query, _ in parts.counted.values())]
    passed = due = 0
    rows: Sequence[Any] = db.session.execute(sa.union_all(*(query.where(*extra) for query in selects)), values).all()
    for premises_id, status, since, visited_at, passed_count, due_count in rows:
        if premises_id is None:  # the counts
            passed += passed_count
            due += due_count
            continue
        if any(_counted_by_comparison(rule, at_now, status, since, visited_at) for rule, at_now, _ in cuts):
            continue  # counted by the database
        pending = [d for d in deadlines(status, since, visited_at, rules) if not d.met]
        if any(d.overdue(now) for d in pending):
            passed += 1
        elif any(d.due_at <= until for d in pending):
            due += 1
    return DeadlineCounts(passed, due)


def _counted_by_comparison(
    rule: _Rule, cut: Cut, status: TlsStatus, since: datetime, visited_at: datetime | None
) -> bool:
    """Whether the database counted this premises as passed by comparison for ``rule``."""
    visited = visited_at is not None and visited_at >= since
    return status is rule.status and since < cut.passed_before and not (rule.visit and visited)


# Read beyond the listed ones of each deadline, so that the starts of the next few days
# are usually read in the same statement (``_first_due``).
_SPARE = 20


def _oldest(rule: _Rule, cut: Cut, limit: int, *, before: datetime | None = None) -> Any:
    """The premises owing ``rule``'s deadline that may have passed it (by comparison,
    or today), oldest start first: ``limit`` of them, or all that started ``before``."""
    query = select(Premises.status_since, Premises.id, Premises.name).where(
        Premises.status == rule.status,
        Premises.status_since < cut.open_from,
        *([~_visited()] if rule.visit else []),
    )
    if before is not None:
        return query.where(Premises.status_since < before)
    return query.order_by(Premises.status_since, Premises.id).limit(limit)


def overdue_now(
    now: datetime, rules: TlsRules, *, named: bool, listed: int | None = None
) -> tuple[int, list[OverduePremises]]:
    """How many red and amber premises have a deadline passed now, and the ``listed``
    most overdue of them (by the deadline passed first, then the time they entered
    their colour, then id).

    The count is ``deadline_counts``. The list reads, for each deadline, the premises
    whose start is oldest (the first ``listed`` and a few more, from the index on colour
    and start) and works out their deadlines (``_first_due``); the most overdue are the
    first of a merge of the three, in two statements whatever the size of the register.
    Starts whose deadline falls today come last by start, and are kept if it has
    passed. Names are read only when ``named``.
    """
    listed = OVERDUE_LISTED if listed is None else listed
    count = deadline_counts(now, rules).passed
    if not named or not count:
        return count, []
    cuts = [(rule, deadline_cut(rule.add, now)) for rule in _rules_of(rules)]
    oldest = [_oldest(rule, cut, listed + _SPARE).subquery() for rule, cut in cuts]
    rows = db.session.execute(
        sa.union_all(*(sa.select(sa.literal(index), *query.c) for index, query in enumerate(oldest)))
    ).all()
    passed: list[list[tuple[datetime, int, _Rule, Any]]] = [[] for _ in cuts]
    for index, since, premises_id, name in rows:
        passed[index].append((since, premises_id, cuts[index][0], name))
    for index, (rule, cut) in enumerate(cuts):
        entries = sorted(passed[index], key=lambda entry: (entry[0], entry[1]))
        if len(entries) == listed + _SPARE:
            bound = start_of_day(local_date(entries[listed - 1][0]) + timedelta(days=_CLAMPED_DAYS))
            if entries[-1][0] < bound:  # the starts of the next few days were not all read
                more = db.session.execute(_oldest(rule, cut, 0, before=bound))
                entries = sorted((since, premises_id, rule, name) for since, premises_id, name in more)
        # Those whose deadline falls today come last, and only if it has passed.
        passed[index] = [entry for entry in entries if entry[0] < cut.passed_before or rule.add(entry[0]) < now]
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
    """The whole page in five queries (four without the list of names). Users without PREMISES_VIEW (analysts) get the
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
