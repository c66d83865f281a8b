"""The read side of the premises pages: the register and a premises' timeline.

The register's filters run in SQL over every premises; only the page shown is loaded.
"Deadline passed" compares ``status_since`` with cut-offs worked out in Python from the
calendar rules (tls_rules), and checks one by one the few premises whose deadline falls
today, so it is exact and the database does plain comparisons.
"Suggestion differs" reads the incident summary kept on each premises, so it costs the
same whatever the number of incidents.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action
from casework.actions.services.action_timeline import SubjectAction, action_events, subject_actions
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.clock import add_days, add_months, local_date, start_of_day
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import authorize, sees_premises_case_links, sees_premises_in_full, visible_cases
from casework.premises.models import (
    Premises,
    PremisesIncident,
    PremisesVisit,
    TlsStatus,
)
from casework.premises.services import premises_timeline
from casework.premises.services.premises import get_premises, get_premises_counting, suggested_statuses
from casework.premises.services.premises_timeline import TimelineEntry, TimelineKey, TimelinePage
from casework.premises.services.tls_rules import Deadline, Suggestion, TlsRules, deadlines, window_start

SORTS = ("name", "colour", "days", "deadline")


@dataclass(frozen=True)
class RegisterFilter:
    status: TlsStatus | None = None
    town: str = ""
    cluster: str = ""
    deadline_passed: bool = False
    suggestion_differs: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class RegisterRow:
    premises: Premises
    days_in_colour: int
    next_deadline: Deadline | None
    suggestion: Suggestion

    @property
    def suggestion_differs(self) -> bool:
        return self.suggestion.status is not self.premises.status


@dataclass(frozen=True)
class Cut:
    """How a deadline rule splits the starts (``status_since``) at an instant: every
    start before ``passed_before`` has its deadline passed, none from ``open_from`` on.

    In between are the starts whose deadline falls on today's local date. Among those
    the time of day decides, and a later start can have an earlier deadline (the clamp
    to a month's end: 29 November 11:00 and 30 November 10:00 both reach 28 February;
    the hour the clocks skip), so no single instant divides them: each is checked.
    """

    passed_before: datetime
    open_from: datetime


def deadline_cut(add: Callable[[datetime], datetime], now: datetime) -> Cut:
    """Where the deadline ``add(since)`` splits the starts at ``now`` (see Cut)."""
    today = local_date(now)
    return Cut(start_of_day(_first_start(add, today)), start_of_day(_first_start(add, today + timedelta(days=1))))


def _first_start(add: Callable[[datetime], datetime], day: date) -> date:
    """The first local start date whose deadline falls on ``day`` or later.

    A deadline's local date depends only on the start's local date (the time of day is
    kept, and the skipped hour moves a time by an hour, never across midnight) and
    never goes back as that date moves on, so the dates can be bisected.
    """

    def due(start: date) -> date:
        return local_date(add(start_of_day(start)))

    low = day - timedelta(days=400)
    while due(low) >= day:
        low -= timedelta(days=400)
    high = day  # a deadline is never before its start
    while (high - low).days > 1:
        middle = low + timedelta(days=(high - low).days // 2)
        if due(middle) < day:
            low = middle
        else:
            high = middle
    return high


def _passed(status: TlsStatus, add: Callable[[datetime], datetime], now: datetime, *also: Any) -> tuple[datetime, Any]:
    """Whether a premises in ``status`` (and ``also``) has passed the deadline
    ``add(status_since)``: a plain comparison, and the few whose deadline is today
    checked one by one. Returned with the start from which none has passed."""
    cut = deadline_cut(add, now)
    today = db.session.execute(
        select(Premises.id, Premises.status_since).where(
            Premises.status == status,
            Premises.status_since >= cut.passed_before,
            Premises.status_since < cut.open_from,
            *also,
        )
    )
    due_today = [premises_id for premises_id, since in today if add(since) < now]
    return cut.open_from, and_(*also, or_(Premises.status_since < cut.passed_before, Premises.id.in_(due_today)))


def _suggestion_differs_clause(now: datetime, rules: TlsRules) -> Any:
    """Premises whose suggested colour is not their colour, from the incident summary
    kept on each premises (no counting of incidents: see Premises.last_incident_at)."""
    start = window_start(now, rules)
    one_or_more = and_(Premises.last_incident_at.is_not(None), Premises.last_incident_at >= start)
    two_or_more = and_(Premises.second_agency_incident_at.is_not(None), Premises.second_agency_incident_at >= start)
    return or_(
        and_(Premises.status == TlsStatus.GREEN, one_or_more),
        and_(Premises.status == TlsStatus.AMBER, or_(~one_or_more, two_or_more)),
        and_(Premises.status == TlsStatus.RED, ~two_or_more),
    )


def _deadline_passed_clause(now: datetime, rules: TlsRules) -> Any:
    """Red premises past the deadline to reach amber; amber ones past the deadline to
    reach green or, not visited since they turned amber, the one for a visit. Both of
    amber's tests sit in one branch, bounded by the later start that may have passed:
    as two branches of the OR, SQLite read the amber range of the index twice and
    gathered the row ids to drop the premises in both: twice the time to count 1,262 of
    5,020 premises (docs/performance.md, "Sixth round")."""
    visited = exists().where(
        PremisesVisit.premises_id == Premises.id, PremisesVisit.visited_at >= Premises.status_since
    )
    red_before, red = _passed(TlsStatus.RED, lambda since: add_months(since, rules.red_to_amber_months), now)
    green_before, green = _passed(TlsStatus.AMBER, lambda since: add_months(since, rules.amber_to_green_months), now)
    visit_before, visit = _passed(TlsStatus.AMBER, lambda since: add_days(since, rules.amber_visit_days), now, ~visited)
    return or_(
        and_(Premises.status == TlsStatus.RED, Premises.status_since < red_before, red),
        and_(
            Premises.status == TlsStatus.AMBER,
            Premises.status_since < max(green_before, visit_before),
            or_(green, visit),
        ),
    )


def register_choices(actor: User) -> tuple[list[str], list[str]]:
    """The towns and clusters that premises are in, for the filters."""
    authorize(actor, Permission.PREMISES_VIEW)
    towns = db.session.scalars(select(Premises.town).where(Premises.town != "").distinct().order_by(Premises.town))
    clusters = db.session.scalars(
        select(Premises.cluster).where(Premises.cluster != "").distinct().order_by(Premises.cluster)
    )
    return list(towns), list(clusters)


def register(
    actor: User, criteria: RegisterFilter, *, now: datetime, rules: TlsRules, per_page: int = 25
) -> Page[RegisterRow]:
    """One page of the register: the filters and the order in SQL over every premises,
    then the suggested colours and last visits of the page's premises (one query each)."""
    authorize(actor, Permission.PREMISES_VIEW)
    conditions: list[Any] = []
    if criteria.status is not None:
        conditions.append(Premises.status == criteria.status)
    if criteria.town:
        conditions.append(Premises.town == criteria.town)
    if criteria.cluster:
        conditions.append(Premises.cluster == criteria.cluster)
    if criteria.deadline_passed:
        conditions.append(_deadline_passed_clause(now, rules))
    if criteria.suggestion_differs:
        conditions.append(_suggestion_differs_clause(now, rules))
    base = select(Premises).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    colour_rank = case((Premises.status == TlsStatus.RED, 0), (Premises.status == TlsStatus.AMBER, 1), else_=2)
    no_deadline = case((Premises.status == TlsStatus.GREEN, 1), else_=0)
    flip = (lambda column: column.desc()) if criteria.descending else (lambda column: column)
    orders: dict[str, list[Any]] = {
        "name": [flip(Premises.name)],
        "colour": [flip(colour_rank), Premises.name],
        # Fewest days in the colour first: the latest status_since first.
        "days": [Premises.status_since if criteria.descending else Premises.status_since.desc(), Premises.name],
        # The colour deadline (red to amber, amber to green): green premises have none
        # and come last either way; among the others, the order of status_since is
        # exactly the order of their colour deadlines.
        "deadline": [no_deadline, flip(Premises.status_since), Premises.name],
    }
    order = orders.get(criteria.sort, orders["name"])
    # Premises of the same name in the direction of the names, so the name order walks
    # the index on (name, id) either way.
    tie = flip(Premises.id) if order is orders["name"] else Premises.id
    page = clamp(criteria.page, total, per_page)
    premises = list(db.session.scalars(base.order_by(*order, tie).limit(per_page).offset((page - 1) * per_page)))
    ids = [item.id for item in premises]
    suggestions = suggested_statuses(ids, now, rules)
    last_visits = _last_visits(ids)
    rows = []
    for item in premises:
        pending = [d for d in deadlines(item.status, item.status_since, last_visits.get(item.id), rules) if not d.met]
        rows.append(
            RegisterRow(
                premises=item,
                days_in_colour=(now - item.status_since).days,
                next_deadline=min(pending, key=lambda d: d.due_at) if pending else None,
                suggestion=suggestions[item.id],
            )
        )
    return Page(items=rows, total=total, page=page, per_page=per_page)


def _last_visits(ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(PremisesVisit.premises_id, func.max(PremisesVisit.visited_at))
        .where(PremisesVisit.premises_id.in_(ids))
        .group_by(PremisesVisit.premises_id)
    )
    return {premises_id: at for premises_id, at in rows}


# --- The premises page ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLink:
    """A case linked to the premises, or a link taken off, and by whom."""

    at: datetime
    linked: bool
    reference: str
    by: str
    agency: str


@dataclass(frozen=True)
class PremisesPage:
    premises: Premises
    deadlines: list[Deadline]
    suggestion: Suggestion
    # The latest entries of the timeline, and how many it has in all.
    timeline: list[TimelineEntry]
    timeline_total: int
    # Cases about this premises that the viewer may list, with whether they see each in full.
    linked_cases: list[tuple[Case, bool]]
    actions: list[SubjectAction] = field(default_factory=list)
    # Seen only through a linked case: the timeline's free text is left out.
    through_case: bool = False
    # For the licensing officers: every link made or taken off, newest first.
    case_links: list[CaseLink] = field(default_factory=list)

    @property
    def timeline_not_shown(self) -> int:
        return self.timeline_total - len(self.timeline)


def premises_page(actor: User, premises_id: int, *, now: datetime, rules: TlsRules) -> PremisesPage:
    """Everything a premises' page shows, and the audit record of this view."""
    premises, recorded = get_premises_counting(actor, premises_id, premises_timeline.recorded_count(premises_id))
    through_case = not sees_premises_in_full(actor)
    audit.record(actor, "premises.viewed", "premises", premises.id, detail={"through_case": through_case})
    actions = subject_actions(actor, Action.premises_id == premises.id, today=local_date(now), summaries=through_case)
    events = action_events(row.action for row in actions if row.shown)
    visits: list[PremisesVisit] = []  # the latest, newest first: the first is the last visit
    timeline = premises_timeline.read_page(
        premises.id, events, limit=premises_timeline.TIMELINE_SHOWN, free_text=not through_case, visits=visits
    )
    last_visit = visits[0].visited_at if visits else None
    return PremisesPage(
        premises=premises,
        deadlines=deadlines(premises.status, premises.status_since, last_visit, rules),
        suggestion=suggested_statuses([premises.id], now, rules)[premises.id],
        timeline=timeline.entries,
        timeline_total=recorded + len(events),
        linked_cases=[
            (case, full_view)
            for case, full_view in db.session.execute(
                visible_cases(actor).where(Case.premises_id == premises.id).order_by(Case.opened_at.desc())
            )
        ],
        actions=actions,
        through_case=through_case,
        case_links=_case_links(premises.id) if sees_premises_case_links(actor) else [],
    )


@dataclass(frozen=True)
class TimelineOfPremises:
    premises: Premises
    page: TimelinePage
    through_case: bool


def premises_timeline_page(
    actor: User, premises_id: int, *, now: datetime, cursor: TimelineKey | None, older: bool = True
) -> TimelineOfPremises:
    """A page of the premises' whole timeline (the newest with no ``cursor``), as its
    page shows it to the actor, and the audit record of this view."""
    premises, recorded = get_premises_counting(actor, premises_id, premises_timeline.recorded_count(premises_id))
    through_case = not sees_premises_in_full(actor)
    audit.record(
        actor, "premises.viewed", "premises", premises.id, detail={"through_case": through_case, "timeline": True}
    )
    actions = subject_actions(actor, Action.premises_id == premises.id, today=local_date(now), summaries=through_case)
    events = action_events(row.action for row in actions if row.shown)
    page = premises_timeline.read_page(premises.id, events, cursor=cursor, older=older, free_text=not through_case)
    return TimelineOfPremises(premises, page, through_case)


LINK_VERBS = {"premises.case_linked": True, "premises.case_unlinked": False}


def _case_links(premises_id: int) -> list[CaseLink]:
    """Who linked cases to the premises, or took links off, from the audit log."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "premises",
            AuditEvent.object_id == premises_id,
            AuditEvent.verb.in_(LINK_VERBS),
        )
        .options(joinedload(AuditEvent.actor).joinedload(User.agency))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    return [
        CaseLink(
            at=event.at,
            linked=LINK_VERBS[event.verb],
            reference=str(event.detail.get("reference", "")),
            by=event.actor.name if event.actor else "the system",
            agency=event.actor.agency.name if event.actor else "",
        )
        for event in events
    ]


@dataclass(frozen=True)
class EvidenceChoices:
    incidents: list[PremisesIncident]
    visits: list[PremisesVisit]


def recent_evidence(
    actor: User, premises_id: int, *, now: datetime, days: int = 90
) -> tuple[Premises, EvidenceChoices]:
    """The premises and its incidents and visits of the last ``days`` days, to link to a move."""
    premises = get_premises(actor, premises_id, Permission.PREMISES_EDIT)
    since = now - timedelta(days=days)
    incidents = db.session.scalars(
        select(PremisesIncident)
        .options(joinedload(PremisesIncident.reporting_agency))
        .where(PremisesIncident.premises_id == premises.id, PremisesIncident.occurred_at >= since)
        .order_by(PremisesIncident.occurred_at.desc())
    )
    visits = db.session.scalars(
        select(PremisesVisit)
        .where(PremisesVisit.premises_id == premises.id, PremisesVisit.visited_at >= since)
        .order_by(PremisesVisit.visited_at.desc())
    )
    return premises, EvidenceChoices(list(incidents), list(visits))


def editable(actor: User, premises_id: int) -> Premises:
    return get_premises(actor, premises_id, Permission.PREMISES_EDIT)
