"""The PSG agenda, generated from the casebook at the moment the chair asks for it.

A case joins the agenda for any of these reasons, each kept in words on its item:

1. new referrals since the last meeting: a referral still awaiting a decision is an
   item of its own; a referral accepted into a case since then brings that case;
2. a high-risk victim: the latest assessment of a victim still on the case is high;
3. something overdue: a victim's SLA clock still open past its due time (a clock that
   was overdue when the case closed or the victim left stays a breach in the SLA
   figures, but is no reason to discuss the case: nothing can meet it any more), or a
   live action on the case due before today;
4. flagged for PSG review by the case's lead agency.

Only open cases are picked. A case with several reasons appears once, with all of
them, in the section of its first reason. The sections come in that order (referrals
awaiting a decision, cases from accepted referrals, high risk, overdue, flagged), and
each shows at most ``limit`` items, the most urgent first (``rank``); how many more
qualified is kept on the meeting, for "and N more". The reasons are read, grouped by
case and ranked in one statement, which returns only what is shown (and what is already
on the agenda), and the new items are inserted in one statement, so neither the
statements nor the work in Python grow with the casebook.

The agenda is the partnership's: the generator picks cases whatever the chair's
agency, and the meeting page shows each case as each viewer may see it.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from functools import cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Integer,
    Row,
    ScalarSelect,
    Select,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action
from casework.audit import services as audit
from casework.cases.models import Case, CaseStatus
from casework.clock import ZONE, local_date, utcnow
from casework.db import UTCDateTime, later_by_hours, local_day, null_or_not_before
from casework.exceptions import NotFound
from casework.meetings.models import AgendaItem, AgendaSection, Meeting, MeetingDecision, MeetingKind
from casework.meetings.services.commands import ADDED_BY_CHAIR, claim, runnable_meeting
from casework.meetings.services.lookup import get_meeting
from casework.notifications import events
from casework.paging import Page, clamp
from casework.policy import visible_cases
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import ClockKind, ClockOutcome, SlaClock

# Without an earlier meeting, "since the last meeting" means this long before this one.
DEFAULT_WINDOW = timedelta(days=31)
# Items per section unless the configuration says otherwise (AGENDA_SECTION_LIMIT).
SECTION_LIMIT = 25

NEW_REFERRAL = "New referral awaiting a decision"
HIGH_RISK = "High-risk victim"
FLAGGED = "Flagged for PSG review by the lead agency"

# The sections a case can be in, in agenda order: a case is in the first of its reasons'.
CASE_SECTIONS = (AgendaSection.ACCEPTED, AgendaSection.HIGH_RISK, AgendaSection.OVERDUE, AgendaSection.REVIEW)


class _Signal(IntEnum):
    """What brings a case to the agenda, in agenda order: a case is in the section of
    its first signal (a clock and an action are both "something overdue")."""

    ACCEPTED = 1
    HIGH_RISK = 2
    CLOCK = 3
    ACTION = 4
    FLAGGED = 5


_SECTION_OF = {
    _Signal.ACCEPTED: AgendaSection.ACCEPTED,
    _Signal.HIGH_RISK: AgendaSection.HIGH_RISK,
    _Signal.CLOCK: AgendaSection.OVERDUE,
    _Signal.FLAGGED: AgendaSection.REVIEW,
}
# The urgent signals: what a victim is waiting on the partnership for now.
_URGENT = (_Signal.ACCEPTED, _Signal.HIGH_RISK, _Signal.CLOCK)


def _local_date(moment: datetime) -> str:
    day = moment.astimezone(ZONE)
    return f"{day.day} {day:%B %Y}"


def window_start(meeting: Meeting) -> datetime:
    """When "since the last meeting" starts: the previous PSG meeting, else 31 days back."""
    previous = db.session.scalar(
        select(func.max(Meeting.held_at)).where(
            Meeting.kind == MeetingKind.PSG_MEETING, Meeting.held_at < meeting.held_at
        )
    )
    return previous or meeting.held_at - DEFAULT_WINDOW


def _open_case() -> ColumnElement[bool]:
    return Case.status == CaseStatus.OPEN


def _signal(
    case_id: SQLColumnExpression[int | None],
    signal: _Signal,
    *,
    day: SQLColumnExpression[Any] | None = None,
    at: SQLColumnExpression[Any] | None = None,
    kind: SQLColumnExpression[Any] | None = None,
    count: SQLColumnExpression[Any] | None = None,
) -> list[ColumnElement[Any]]:
    """One row of the signals: the case, the signal, the day its overdue clock or action
    fell due, when its referral was accepted, the clock's kind, how many actions."""
    return [
        case_id.label("case_id"),
        literal(int(signal), Integer).label("signal"),
        (day if day is not None else cast(null(), Date)).label("day"),
        (at if at is not None else cast(null(), UTCDateTime())).label("at"),
        (kind if kind is not None else cast(null(), String(40))).label("kind"),
        (count if count is not None else cast(null(), Integer)).label("count"),
    ]


def _accepted_and_clocks(since: datetime, now: datetime) -> tuple[Select[Any], Select[Any]]:
    """The signals of cases accepted from a referral since the last meeting and of those
    with an overdue SLA clock: both few, however large the casebook."""
    accepted = (
        select(*_signal(Referral.case_id, _Signal.ACCEPTED, at=Referral.decided_at))
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status == ReferralStatus.ACCEPTED, Referral.decided_at >= since, _open_case())
    )
    clocks = (
        select(*_signal(SlaClock.case_id, _Signal.CLOCK, day=local_day(func.min(SlaClock.due_at)), kind=SlaClock.kind))
        .join(Case, Case.id == SlaClock.case_id)
        .where(SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at < now, _open_case())
        .group_by(SlaClock.case_id, SlaClock.kind)
    )
    return accepted, clocks


@dataclass(frozen=True)
class _When:
    """When the agenda is picked: the start of "since the last meeting", now, and today
    in the UK; values, or bound parameters of a statement built once."""

    since: Any
    now: Any
    today: Any


@dataclass(frozen=True)
class _Candidates:
    """The cases that can be among the first ``depth`` of a section, and how many each
    section has.

    Every case from an accepted referral since the last meeting is a candidate (few).
    A case with an overdue clock ranks before every case
    without one in its section (high risk, or overdue when the victim is not), and
    among them by the earlier of its first clock's UK day and its first overdue
    action's day, then by reference (``_clock_candidates``). Any other case's place
    follows from what is kept on it (a high-risk victim, its first live action's due
    day, the flag): in the high-risk section those with an overdue action come first by
    that day, then the rest by reference; in the overdue section by that day; flagged
    ones by reference. So the first ``depth`` of each of these orders, read from an
    index, hold every other case that can be among the first ``depth`` of its section.
    ``counts`` are the sections' sizes, counted from the indexes."""

    ids: CTE
    counts: dict[_Signal, ColumnElement[Any]]
    accepted: CTE  # the cases accepted from a referral since the last meeting


def _count(query: Select[Any]) -> ScalarSelect[Any]:
    return select(func.count()).select_from(query.subquery()).scalar_subquery()


# Past the due time of the last of a section's first cases with a clock, every case due
# on the same UK day (a day is at most 25 hours long): ties on the day go by reference.
_DAY_LONGEST = 26


def _count_but(where: Iterable[ColumnElement[bool]], accepted: CTE, excluding: Any) -> ColumnElement[Any]:
    """How many open cases match ``where`` and are neither accepted from a referral nor
    among ``excluding``: all the matches counted from an index, less those (few), so the
    many cases' keys are not read (PostgreSQL's indexes do not carry them)."""
    where = [_open_case(), *where]
    left_out: Any = select(accepted.c.case_id)
    if excluding is not None:
        left_out = union(left_out, excluding)
    every = select(func.count()).select_from(Case).where(*where).scalar_subquery()
    out = select(func.count()).select_from(Case).where(*where, Case.id.in_(left_out)).scalar_subquery()
    return every - out


def _clock_candidates(when: _When, depth: Any, excluding: Any) -> tuple[CTE, list[Select[Any]], dict[_Signal, Any]]:
    """The cases accepted from a referral since the last meeting; the cases with an
    overdue clock that can be among the first ``depth`` of each of the two sections
    they can be in; and how many of these each section has.

    Such a case ranks by the earlier of its first clock's UK day and its first overdue
    action's day, so the first ``depth`` of those are among the first ``depth`` by the
    clock's due time (with every case due on the last one's day) and the first ``depth``
    by the action's day (with every case on the last one's day), both read from an
    index by what is kept on the case."""
    accepted = (
        select(Referral.case_id)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.status == ReferralStatus.ACCEPTED, Referral.decided_at >= when.since, _open_case())
        .cte("accepted")
        .prefix_with("MATERIALIZED")
    )
    clock, action_day = Case.first_open_clock_due_at, Case.first_live_action_due_on
    not_accepted = [_open_case(), Case.id.not_in(select(accepted.c.case_id))]
    if excluding is not None:
        not_accepted.append(Case.id.not_in(excluding))
    clock_only = [*not_accepted, clock < when.now]
    groups = {
        _Signal.HIGH_RISK: Case.high_risk_victim == true(),
        _Signal.CLOCK: Case.high_risk_victim == false(),
    }
    firsts: list[Select[Any]] = [select(accepted.c.case_id)]
    for where in groups.values():
        last_due = select(clock).where(*clock_only, where).order_by(clock).limit(1).offset(depth - 1)
        due_by = func.coalesce(later_by_hours(last_due.scalar_subquery(), _DAY_LONGEST), when.now)
        # One upper bound, the earlier of the two: with two, the index range stops at
        # now and every case with an overdue clock is read.
        firsts.append(
            select(Case.id).where(*not_accepted, where, clock < sql_case((due_by < when.now, due_by), else_=when.now))
        )
        overdue = action_day < when.today
        last_day = select(action_day).where(*clock_only, where, overdue).order_by(action_day).limit(1).offset(depth - 1)
        day_by = func.coalesce(last_day.scalar_subquery(), when.today)
        firsts.append(select(Case.id).where(*clock_only, where, overdue, action_day <= day_by))
    # Every open high-risk case not accepted is in the high-risk section, with a clock or
    # not: its size is counted in one go with the others' (``_candidates``).
    low = groups[_Signal.CLOCK]
    counts: dict[_Signal, Any] = {_Signal.CLOCK: _count_but((clock < when.now, low), accepted, excluding)}
    accepted_kept = [] if excluding is None else [accepted.c.case_id.not_in(excluding)]
    counts[_Signal.ACCEPTED] = _count(select(accepted.c.case_id).where(*accepted_kept).distinct())
    return accepted, firsts, counts


def _candidates(when: _When, depth: Any, *, excluding: Any, keep: Any) -> _Candidates:
    accepted, clock_firsts, clock_counts = _clock_candidates(when, depth, excluding)
    today = when.today
    clock = Case.first_open_clock_due_at
    # Not a range of the indexes: they carry the clock's due time to filter on it.
    no_overdue_clock = or_(clock.is_(None), clock >= when.now)
    others = [_open_case(), no_overdue_clock, Case.id.not_in(select(accepted.c.case_id))]
    if excluding is not None:
        others.append(Case.id.not_in(excluding))
    overdue = Case.first_live_action_due_on < today
    # Not a range of the index: those without an overdue action are read in the order of
    # another column (reference, or from the flagged ones) and this only filters them.
    not_overdue = null_or_not_before(Case.first_live_action_due_on, today)
    high, low = Case.high_risk_victim == true(), Case.high_risk_victim == false()
    # The flagged ones are read from their own index; the kept columns only filter them.
    flagged = and_(Case.psg_review.is_(True), sql_case((high, 1), else_=0) == 0)
    by_day = (Case.first_live_action_due_on, Case.reference)
    # The same order as the reference, but not read from its index: walking every case
    # by reference to find a few flagged ones reads most of the casebook.
    by_reference = (Case.reference + "",)
    orders = (
        ((high, overdue), by_day),
        ((high, not_overdue), (Case.reference,)),  # read in order from the open high-risk ones
        ((low, overdue), by_day),
        ((flagged, not_overdue), by_reference),
    )
    firsts = [
        select(Case.id).where(*others, *where).order_by(*order).limit(depth).subquery() for where, order in orders
    ]
    chosen = [*clock_firsts, *(select(first.c.id) for first in firsts)]
    if keep is not None:
        chosen.append(keep)
    counts: dict[_Signal, ColumnElement[Any]] = dict(clock_counts)
    for signal, where in (
        (_Signal.HIGH_RISK, (high,)),  # with an overdue clock or not
        (_Signal.CLOCK, (no_overdue_clock, low, overdue)),
        (_Signal.FLAGGED, (no_overdue_clock, flagged, not_overdue)),
    ):
        count = _count_but(where, accepted, excluding)
        counts[signal] = counts[signal] + count if signal in counts else count
    return _Candidates(union(*chosen).cte("candidates"), counts, accepted)


def _ranking_signals(when: _When, candidates: _Candidates) -> CTE:
    """The signals of the candidates as far as ranking needs them (which, and the day
    each fell due), from what is already read or kept on the case: the accepted cases,
    and the first open clock's due time, whose UK day is that of the case's first
    overdue clock when it is past. Neither the referrals nor the clocks are read."""
    candidate = select(candidates.ids.c.case_id)
    accepted = select(*_signal(candidates.accepted.c.case_id, _Signal.ACCEPTED))
    clock = Case.first_open_clock_due_at
    clocks = select(*_signal(Case.id, _Signal.CLOCK, day=local_day(clock))).where(_open_case(), clock < when.now)
    return union_all(accepted, clocks.where(Case.id.in_(candidate)), *_kept_signals(when, candidate)).cte("signals")


def _kept_signals(when: _When, candidate: Select[Any]) -> list[Select[Any]]:
    """The signals kept on the case row: a high-risk victim, an overdue action, the flag."""
    # Whether the latest assessment of a victim still on the case is high, and the day
    # its first live action falls due, are kept on the case by triggers.
    high = select(*_signal(Case.id, _Signal.HIGH_RISK)).where(_open_case(), Case.high_risk_victim == true())
    actions = select(*_signal(Case.id, _Signal.ACTION, day=Case.first_live_action_due_on)).where(
        _open_case(), Case.first_live_action_due_on < when.today
    )
    flagged = select(*_signal(Case.id, _Signal.FLAGGED)).where(Case.psg_review.is_(True), _open_case())
    return [query.where(Case.id.in_(candidate)) for query in (high, actions, flagged)]


def _signals(when: _When, among: CTE, name: str = "signals") -> CTE:
    """Every reason each of the cases ``among`` qualifies, one row each, with the
    referral's decision time and the clock's kind for its words."""
    accepted, clocks = _accepted_and_clocks(when.since, when.now)
    candidate = select(among.c.case_id)
    return union_all(
        accepted.where(Referral.case_id.in_(candidate)),
        clocks.where(SlaClock.case_id.in_(candidate)),
        *_kept_signals(when, candidate),
    ).cte(name)


def _ranked(
    when: _When,
    depth: Any,
    *,
    section: AgendaSection | None = None,
    excluding: Any = None,
    keep: Any = None,
) -> tuple[CTE, Subquery]:
    """The signals of the candidates, and each candidate once with its section (the
    number of its first signal), its place in the section (exact for the first
    ``depth``) and how many the section has. Within a section: more urgent signals
    first, then the case whose oldest overdue clock or action fell due earliest (UK
    local dates), then by reference (the older case first). ``keep`` (the cases on the
    agenda) join the candidates; ``excluding`` leaves cases out of the sections."""
    candidates = _candidates(when, depth, excluding=excluding, keep=keep)
    signals = _ranking_signals(when, candidates)
    first = func.min(sql_case((signals.c.signal == int(_Signal.ACTION), int(_Signal.CLOCK)), else_=signals.c.signal))
    urgent = sum(
        (func.max(sql_case((signals.c.signal == int(signal), 1), else_=0)) for signal in _URGENT),
        start=literal(0, Integer),
    )
    per_case = select(
        signals.c.case_id, first.label("section"), urgent.label("urgent"), func.min(signals.c.day).label("since")
    ).group_by(signals.c.case_id)
    if excluding is not None:
        per_case = per_case.where(signals.c.case_id.not_in(excluding))
    if section is not None:
        number = next(signal for signal, name in _SECTION_OF.items() if name is section)
        per_case = per_case.having(first == int(number))
    cases = per_case.subquery("per_case")
    total = sql_case(*((cases.c.section == int(signal), count) for signal, count in candidates.counts.items()), else_=0)
    ranked = (
        select(
            cases.c.case_id,
            cases.c.section,
            func.row_number()
            .over(
                partition_by=cases.c.section,
                order_by=(cases.c.urgent.desc(), cases.c.since.asc().nulls_last(), Case.reference),
            )
            .label("position"),
            total.label("total"),
        )
        .join(Case, Case.id == cases.c.case_id)
        .subquery("ranked")
    )
    return signals, ranked


def _reasons(rows: Iterable[Row[Any]]) -> dict[int, list[str]]:
    """Each case's reasons in words, from its signal rows in agenda order."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        signal = _Signal(row.signal)
        if signal is _Signal.ACCEPTED:
            text = f"New referral, accepted {_local_date(row.at)}"
        elif signal is _Signal.HIGH_RISK:
            text = HIGH_RISK
        elif signal is _Signal.CLOCK:
            label = ClockKind(row.kind).label
            text = f"Overdue SLA clock: {label[0].lower()}{label[1:]}"
        elif signal is _Signal.ACTION:
            text = "Overdue action" if row.count == 1 else f"{row.count} overdue actions"
        else:
            text = FLAGGED
        if text not in reasons[row.case_id]:
            reasons[row.case_id].append(text)
    return reasons


def _signal_order(signals: CTE) -> tuple[ColumnElement[Any], ...]:
    return (signals.c.signal, signals.c.at, signals.c.kind)


def _signal_columns(signals: CTE, today: Any) -> list[ColumnElement[Any]]:
    """The signals' columns but the case's, with how many of its live actions are
    overdue, counted for the cases returned only."""
    overdue = (
        select(func.count())
        .where(Action.case_id == signals.c.case_id, Action.status.in_(LIVE_STATUSES), Action.due_on < today)
        .scalar_subquery()
    )
    count = sql_case((signals.c.signal == int(_Signal.ACTION), overdue), else_=signals.c.count).label("count")
    return [count if column.key == "count" else column for column in signals.c if column.key != "case_id"]


@dataclass(frozen=True)
class PickedCase:
    case_id: int
    section: AgendaSection
    reasons: list[str]


@dataclass(frozen=True)
class Picked:
    """What the casebook brings to a meeting's agenda: the first ``limit`` of each
    section in agenda order, the reasons of every case it picks that is on the agenda
    now, and how many each section has."""

    referrals: list[tuple[int, str]]
    cases: list[PickedCase]
    reasons: dict[int, list[str]]
    sections: dict[int, AgendaSection]
    waiting: set[int]  # referrals awaiting a decision among those read
    totals: dict[AgendaSection, int]

    def left_out(self, cases: set[int | None], referrals: set[int | None]) -> dict[str, int]:
        """How many of each section are not among ``cases`` and ``referrals`` (those on
        the agenda), for the sections that have any."""
        counts = dict(self.totals)
        counts[AgendaSection.REFERRALS] -= len(self.waiting & referrals)
        for case_id in cases:
            if case_id in self.sections:
                counts[self.sections[case_id]] -= 1
        return {section.value: counts[section] for section in AgendaSection if counts.get(section)}


def _waiting_referrals(meeting: Meeting, since: datetime, limit: int) -> tuple[list[tuple[int, str]], set[int], int]:
    """The first ``limit`` referrals awaiting a decision, oldest first, each with its
    reason; every one awaiting a decision that is on the agenda; how many there are."""
    ranked = (
        select(
            Referral.id,
            Referral.received_at,
            func.row_number().over(order_by=(Referral.received_at, Referral.id)).label("position"),
            func.count().over().label("total"),
        )
        .where(Referral.status == ReferralStatus.NEW)
        .subquery()
    )
    on_agenda = select(AgendaItem.referral_id).where(
        AgendaItem.meeting_id == meeting.id, AgendaItem.referral_id.is_not(None)
    )
    rows = db.session.execute(
        select(ranked).where(or_(ranked.c.position <= limit, ranked.c.id.in_(on_agenda))).order_by(ranked.c.position)
    ).all()
    shown = [
        (
            row.id,
            NEW_REFERRAL
            if row.received_at >= since
            else f"Referral awaiting a decision since {_local_date(row.received_at)}",
        )
        for row in rows
        if row.position <= limit
    ]
    return shown, {row.id for row in rows}, rows[0].total if rows else 0


@cache
def _pick_statement() -> Select[Any]:
    """The agenda's one statement, built once with its values as parameters: building a
    statement of this size costs more than running it on a small casebook."""
    when = _When(
        bindparam("since", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()), bindparam("today", type_=Date())
    )
    limit = bindparam("limit", type_=Integer())
    on_agenda = select(AgendaItem.case_id).where(
        AgendaItem.meeting_id == bindparam("meeting_id", type_=Integer()), AgendaItem.case_id.is_not(None)
    )
    _, ranked = _ranked(when, limit, keep=on_agenda)
    chosen = select(ranked).where(or_(ranked.c.position <= limit, ranked.c.case_id.in_(on_agenda))).cte("chosen")
    # The reasons of the chosen cases only, read again by case.
    signals = _signals(when, chosen, "reasons")
    return (
        select(chosen, *_signal_columns(signals, when.today))
        .select_from(signals)
        .join(chosen, chosen.c.case_id == signals.c.case_id)
        .order_by(chosen.c.section, chosen.c.position, *_signal_order(signals))
    )


def pick(meeting: Meeting, now: datetime, *, limit: int = SECTION_LIMIT) -> Picked:
    """Read the casebook: the first ``limit`` referrals and cases of each section that
    qualify for this meeting's agenda, in agenda order, with their reasons; the reasons
    of those beyond the limit already on the agenda; and how many each section has.
    The ranking is done in SQL, so only what is shown comes back."""
    since = window_start(meeting)
    referrals, waiting, waiting_total = _waiting_referrals(meeting, since, limit)
    rows = db.session.execute(
        _pick_statement(),
        {"since": since, "now": now, "today": local_date(now), "limit": limit, "meeting_id": meeting.id},
    ).all()
    reasons = _reasons(rows)
    sections = {row.case_id: _SECTION_OF[_Signal(row.section)] for row in rows}
    totals = {AgendaSection.REFERRALS: waiting_total} | {_SECTION_OF[_Signal(row.section)]: row.total for row in rows}
    shown = {row.case_id for row in rows if row.position <= limit}
    cases = [PickedCase(case_id, sections[case_id], reasons[case_id]) for case_id in reasons if case_id in shown]
    return Picked(referrals, cases, reasons, sections, waiting, totals)


def generate_agenda(
    actor: User,
    meeting_id: int,
    *,
    version: int | None = None,
    now: datetime | None = None,
    limit: int = SECTION_LIMIT,
) -> int:
    """(Re)build the meeting's generated items from the casebook as it is now: the
    first ``limit`` of each section, and how many more each had. Returns how many items
    the agenda has.

    - Items the chair added by hand stay, after the generated ones; if the casebook
      picks the same case, its reasons join the chair's.
    - An item still picked keeps its minutes and decisions, with today's reasons.
    - An item no longer picked (or no longer within its section's first ``limit``) is
      dropped, unless it has minutes or decisions: those stay on the record with the
      reasons they had.
    """
    meeting = runnable_meeting(actor, meeting_id, version=version)
    moment = now or utcnow()
    picked = pick(meeting, moment, limit=limit)
    existing = _existing_items(meeting)
    slots = _place_picked(meeting, picked, list(existing))
    added = sum(isinstance(slot, dict) for slot in slots)
    dropped = _keep_or_drop_unpicked(existing, slots, picked.reasons)
    _number_and_insert(slots)
    first_time = meeting.agenda_generated_at is None
    meeting.agenda_generated_at = moment
    meeting.agenda_more = (
        picked.left_out(
            {_subject(slot, "case_id") for slot in slots}, {_subject(slot, "referral_id") for slot in slots}
        )
        or None
    )
    claim(meeting)
    audit.record(
        actor,
        "meeting.agenda_generated",
        "meeting",
        meeting.id,
        detail={"items": len(slots), "added": added, "dropped": dropped},
    )
    if first_time:
        events.agenda_published(actor, meeting)
    return len(slots)


def _existing_items(meeting: Meeting) -> dict[AgendaItem, bool]:
    """The meeting's items in agenda order, each with whether it has decisions."""
    decided = exists().where(MeetingDecision.item_id == AgendaItem.id)
    rows = db.session.execute(
        select(AgendaItem, decided)
        .where(AgendaItem.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    return {item: bool(has_decisions) for item, has_decisions in rows}


# An item on the rebuilt agenda: one already stored, or the row of a new one.
_Slot = AgendaItem | dict[str, Any]


def _number_and_insert(slots: list[_Slot]) -> None:
    """Give every item its position, and insert the new ones in one statement (the ORM
    would send an INSERT for each on SQLite)."""
    new_rows = []
    for position, slot in enumerate(slots, start=1):
        if isinstance(slot, dict):
            new_rows.append(slot | {"position": position})
        else:
            _set(slot, position=position)
    if new_rows:
        db.session.execute(insert(AgendaItem), new_rows)


def _set(item: AgendaItem, **values: Any) -> None:
    """Change only what differs: an item assigned its own value is still flushed (its
    history compared), and an agenda generated again mostly keeps its items as they are."""
    for key, value in values.items():
        if getattr(item, key) != value:
            setattr(item, key, value)


def _place_picked(meeting: Meeting, picked: Picked, existing: list[AgendaItem]) -> list[_Slot]:
    """The picked referrals and cases in agenda order, reusing their existing items."""
    by_case = {item.case_id: item for item in existing if item.case_id is not None}
    by_referral = {item.referral_id: item for item in existing if item.referral_id is not None}
    slots: list[_Slot] = []

    def place(item: AgendaItem | None, reasons: list[str], **subject: int | None) -> None:
        if item is None:
            row = {"case_id": None, "referral_id": None} | subject
            slots.append(
                {"meeting_id": meeting.id, "reasons": reasons, "added_by_chair": False, "minutes": "", "topic": ""}
                | row
            )
        else:
            _set(item, reasons=[ADDED_BY_CHAIR, *reasons] if item.added_by_chair else reasons)
            slots.append(item)

    for referral_id, reason in picked.referrals:
        place(by_referral.pop(referral_id, None), [reason], referral_id=referral_id)
    for case in picked.cases:
        place(by_case.pop(case.case_id, None), case.reasons, case_id=case.case_id)
    return slots


def _subject(slot: _Slot, key: str) -> int | None:
    return slot[key] if isinstance(slot, dict) else getattr(slot, key)


def _keep_or_drop_unpicked(existing: dict[AgendaItem, bool], slots: list[_Slot], picked: dict[int, list[str]]) -> int:
    """Append the items not placed that stay (the chair's, and those with minutes or
    decisions) to the agenda, delete the rest, and say how many were dropped.

    ``picked`` holds the reasons of every case the casebook picks, placed or not: a case
    beyond its section's limit that stays on the agenda anyway gets today's reasons."""
    placed = {id(slot) for slot in slots}
    gone = []
    for item, has_decisions in existing.items():
        if id(item) in placed:
            continue
        reasons = picked.get(item.case_id, []) if item.case_id is not None else []
        if item.added_by_chair:
            _set(item, reasons=[ADDED_BY_CHAIR, *reasons])
            slots.append(item)
        elif item.minutes.strip() or has_decisions:
            if reasons:
                _set(item, reasons=reasons)
            slots.append(item)
        else:
            gone.append(item)
    if gone:
        for item in gone:
            db.session.expunge(item)
        db.session.execute(delete(AgendaItem).where(AgendaItem.id.in_([item.id for item in gone])))
    return len(gone)


# --- What did not fit ---------------------------------------------------------------


@dataclass(frozen=True)
class MoreCase:
    """A case the casebook picks for a section that is not on the agenda, as the viewer
    may see it: ``case`` is None when the viewer may not even list it."""

    case: Case | None
    full_view: bool
    reasons: list[str]

    @property
    def shows_reasons(self) -> bool:
        # A restricted stub shows the reference and the lead agency only (as on the agenda).
        return self.case is not None and (self.full_view or not self.case.restricted)


def more_cases(
    actor: User, meeting_id: int, name: str, *, page: int, per_page: int, now: datetime | None = None
) -> tuple[Meeting, AgendaSection, Page[MoreCase]]:
    """The cases the casebook picks for the section ``name`` now, most urgent first,
    without those on the meeting's agenda: what "and N more" leads to while the meeting
    is open."""
    meeting = get_meeting(actor, meeting_id)
    section = next((section for section in CASE_SECTIONS if section.value == name), None)
    if section is None or meeting.locked:
        raise NotFound("agenda section", meeting_id)
    on_agenda = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id, AgendaItem.case_id.is_not(None))
    moment, since = now or utcnow(), window_start(meeting)
    when = _When(since, moment, local_date(moment))
    _, counted = _ranked(when, 1, section=section, excluding=on_agenda)
    total = db.session.scalar(select(func.max(counted.c.total))) or 0
    page = clamp(page, total, per_page)
    _, ranked = _ranked(when, page * per_page, section=section, excluding=on_agenda)
    shown_here = (
        select(ranked).where(ranked.c.position.between((page - 1) * per_page + 1, page * per_page)).cte("shown")
    )
    signals = _signals(when, shown_here, "reasons")
    rows = db.session.execute(
        select(shown_here.c.case_id, *_signal_columns(signals, when.today))
        .join(signals, signals.c.case_id == shown_here.c.case_id)
        .order_by(shown_here.c.position, *_signal_order(signals))
    ).all()
    shown = [PickedCase(case_id, section, reasons) for case_id, reasons in _reasons(rows).items()]
    seen: dict[int, tuple[Case, bool]] = {}
    if shown:
        visible = db.session.execute(
            visible_cases(actor)
            .where(Case.id.in_([case.case_id for case in shown]))
            .options(joinedload(Case.lead_agency))
        )
        seen = {case.id: (case, bool(full)) for case, full in visible}
    items = []
    for case in shown:
        found, full_view = seen.get(case.case_id, (None, False))
        items.append(MoreCase(found, full_view, case.reasons))
    return meeting, section, Page(items, total, page, per_page)


def record_more_view(actor: User, meeting: Meeting, section: AgendaSection) -> None:
    """The audit record of the list: it names cases, as the agenda does."""
    audit.record(actor, "meeting.viewed", "meeting", meeting.id, detail={"section": section.value})
