"""The partnership's figures: the analysts' home, and a page for managers and
administrators too. The SLA headline, premises by colour, actions by agency and cases by
quarter, type and status, on the page and as CSV files.

Only counts are read, grouped by quarter, clock kind, colour, agency, case type or
status: never a name, an address, free text, or the id or reference of a person or a
case. Counts of cases are published with small numbers suppressed (``shown``): each case
is counted in exactly one cell (the quarter it was opened, its type, its status now) and
no totals are given, so a suppressed cell cannot be worked out from the others
(docs/access.md, "Figures").
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action, DoneActionCount, LiveActionCount
from casework.agencies.models import Agency
from casework.audit import services as audit
from casework.cases.models import CaseCount, CaseStatus, CaseType
from casework.clock import Quarter, local_date, previous_quarters, quarter_of
from casework.permissions import Permission
from casework.policy import authorize
from casework.premises.models import TlsStatus
from casework.premises.services import tls_reports
from casework.premises.services.tls_rules import TlsRules
from casework.victims.services import sla_reports
from casework.victims.services.sla_reports import QuarterFigures

# Counts of cases from 1 to SMALL - 1 are written "<5"; zero is written as it is.
SMALL = 5
CASE_QUARTERS = 4  # the quarters of the cases' and the premises' figures, this one included
SLA_QUARTERS = 8  # the quarters of the SLA figures' file


def shown(count: int) -> str:
    """A count of cases as it is published: '<5' from 1 to 4."""
    return f"<{SMALL}" if 0 < count < SMALL else str(count)


# --- Actions by agency -------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyActions:
    agency: str
    live: int  # open or in progress
    overdue: int  # live and due before today
    done: int  # done in the quarter


def actions_by_agency(quarter: Quarter, now: datetime) -> list[AgencyActions]:
    """Each agency's actions (active agencies, and any other that owes some), in one query.

    Added up from the counts the database keeps (``LiveActionCount`` by due month,
    ``DoneActionCount`` by when done): a few rows per agency and month, never every
    action. Only the live actions due earlier this month are read one by one, from the
    (status, due date) index (docs/performance.md)."""
    today = local_date(now)
    this_month = today.replace(day=1)
    live = (
        select(
            LiveActionCount.assigned_agency_id.label("agency_id"),
            func.sum(LiveActionCount.tally).label("live"),
            func.sum(sa.case((LiveActionCount.due_month < this_month, LiveActionCount.tally), else_=0)).label(
                "overdue"
            ),
        )
        .group_by(LiveActionCount.assigned_agency_id)
        .subquery()
    )
    overdue_this_month = (
        select(Action.assigned_agency_id.label("agency_id"), func.count().label("overdue"))
        .where(Action.status.in_(LIVE_STATUSES), Action.due_on >= this_month, Action.due_on < today)
        .group_by(Action.assigned_agency_id)
        .subquery()
    )
    done = (
        select(DoneActionCount.assigned_agency_id.label("agency_id"), func.sum(DoneActionCount.tally).label("done"))
        .where(DoneActionCount.completed_from >= quarter.start, DoneActionCount.completed_from < quarter.end)
        .group_by(DoneActionCount.assigned_agency_id)
        .subquery()
    )
    owes_any = select(Action.id).where(Action.assigned_agency_id == Agency.id).exists()
    rows = db.session.execute(
        select(
            Agency.name,
            func.coalesce(live.c.live, 0),
            func.coalesce(live.c.overdue, 0) + func.coalesce(overdue_this_month.c.overdue, 0),
            func.coalesce(done.c.done, 0),
        )
        .outerjoin(live, live.c.agency_id == Agency.id)
        .outerjoin(overdue_this_month, overdue_this_month.c.agency_id == Agency.id)
        .outerjoin(done, done.c.agency_id == Agency.id)
        .where(Agency.active | owes_any)
        .order_by(Agency.name)
    )
    return [AgencyActions(*row) for row in rows]


# --- Cases by quarter, type and status ----------------------------------------------------


@dataclass(frozen=True)
class CaseCounts:
    quarter: Quarter
    case_type: CaseType
    still_open: str  # as published: '<5' from 1 to 4
    closed: str


def cases_by_quarter(quarters: list[Quarter]) -> list[CaseCounts]:
    """Cases opened in each quarter by type and status now, newest quarter first, in one query.

    Added up from the counts the database keeps by month (``CaseCount``): a few hundred
    rows whatever the size of the casebook, where counting the cases read every case
    opened in the year (docs/performance.md)."""
    in_quarter = [
        func.coalesce(
            func.sum(
                sa.case(
                    ((CaseCount.opened_from >= quarter.start) & (CaseCount.opened_from < quarter.end), CaseCount.tally)
                )
            ),
            0,
        )
        for quarter in quarters
    ]
    rows = db.session.execute(
        select(CaseCount.case_type, CaseCount.status, *in_quarter)
        .where(
            CaseCount.opened_from >= min(q.start for q in quarters),
            CaseCount.opened_from < max(q.end for q in quarters),
        )
        .group_by(CaseCount.case_type, CaseCount.status)
    )
    counts: dict[tuple[int, CaseType, CaseStatus], int] = {}
    for case_type, status, *per_quarter in rows:
        for number, count in enumerate(per_quarter):
            counts[(number, case_type, status)] = count
    return [
        CaseCounts(
            quarter,
            case_type,
            shown(counts.get((number, case_type, CaseStatus.OPEN), 0)),
            shown(counts.get((number, case_type, CaseStatus.CLOSED), 0)),
        )
        for number, quarter in enumerate(quarters)
        for case_type in CaseType
    ]


# --- The page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    at: datetime
    quarter: Quarter  # the current quarter
    sla: QuarterFigures  # the last complete quarter's
    colours: dict[TlsStatus, int]
    actions: list[AgencyActions]
    cases: list[CaseCounts]


def partnership_figures(actor: User, now: datetime) -> Figures:
    """Everything on the page, in four queries."""
    authorize(actor, Permission.REPORTS_VIEW)
    current = quarter_of(now)
    return Figures(
        at=now,
        quarter=current,
        sla=sla_reports.quarter_figures(actor, previous_quarters(current, 2)[1], now),
        colours=tls_reports.colour_counts(),
        actions=actions_by_agency(current, now),
        cases=cases_by_quarter(previous_quarters(current, CASE_QUARTERS)),
    )


# --- The files -----------------------------------------------------------------------------


def _exported(actor: User, figures: str, rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    audit.record(actor, "figures.exported", "figures", None, detail={"figures": figures, "rows": len(rows) - 1})
    return rows


def sla_rows(actor: User, now: datetime) -> list[tuple[str, ...]]:
    """The SLA figures of the last eight quarters, this one included, newest first."""
    authorize(actor, Permission.REPORTS_VIEW)
    return _exported(
        actor, "sla", sla_reports.figures_rows(actor, previous_quarters(quarter_of(now), SLA_QUARTERS), now)
    )


def premises_rows(actor: User, now: datetime, rules: TlsRules, target: int) -> list[tuple[str, ...]]:
    """The traffic light figures of the last four quarters, newest first: moves, visits
    and hearings, and how the premises that turned red or amber in each fared."""
    authorize(actor, Permission.REPORTS_VIEW)
    quarters = previous_quarters(quarter_of(now), CASE_QUARTERS)
    activity = {point.quarter: point for point in tls_reports.activity(quarters)}
    cohorts = {quarter: tls_reports.cohorts(quarter, now, rules, target) for quarter in quarters}
    header = ["Quarter", "Moves between colours", "Licensing visits", "Licensing hearings"]
    for cohort in cohorts[quarters[0]]:
        header += [f"{cohort.title}: {part}" for part in ("entered", "on time", "late", "not met", "pending")]
        header.append(f"{cohort.title}: percent on time")
    rows: list[tuple[str, ...]] = [tuple(header)]
    for quarter in quarters:
        row = [
            quarter.label,
            *map(str, (activity[quarter].moves, activity[quarter].visits, activity[quarter].hearings)),
        ]
        for cohort in cohorts[quarter]:
            row += map(str, (cohort.entered, cohort.met, cohort.late, cohort.not_met, cohort.pending))
            row.append("" if cohort.percent is None else str(cohort.percent))
        rows.append(tuple(row))
    return _exported(actor, "premises", rows)


def actions_rows(actor: User, now: datetime) -> list[tuple[str, ...]]:
    authorize(actor, Permission.REPORTS_VIEW)
    quarter = quarter_of(now)
    rows: list[tuple[str, ...]] = [
        ("Agency", "Live actions: open or in progress", "Of which overdue", f"Done in {quarter.label}")
    ]
    rows += [(row.agency, str(row.live), str(row.overdue), str(row.done)) for row in actions_by_agency(quarter, now)]
    return _exported(actor, "actions", rows)


def cases_rows(actor: User, now: datetime) -> list[tuple[str, ...]]:
    authorize(actor, Permission.REPORTS_VIEW)
    counts = cases_by_quarter(previous_quarters(quarter_of(now), CASE_QUARTERS))
    rows: list[tuple[str, ...]] = [("Quarter opened", "Case type", "Open now", "Closed now")]
    rows += [(c.quarter.label, c.case_type.label, c.still_open, c.closed) for c in counts]
    return _exported(actor, "cases", rows)
