"""The counts on My work, every one of them in a single statement.

Each count is a scalar subquery of its own, through the same clauses as the list it
links to, and only the counts of the user's panels are asked for: one round trip
however many panels the page shows and however many rows each counts.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action, LiveActionCount
from casework.actions.services.actions import DUE_SOON_DAYS
from casework.audit.models import AuditEvent
from casework.cases.models import CaseListCount, CaseStatus
from casework.cases.services import access_requests
from casework.home.services import victim_clocks
from casework.policy import (
    WorkPanel,
    owes_action_clause,
    visible_referrals,
)
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import ClockOutcome, SlaClock

# Failed sign-ins are counted over this window; the audit log's filter is by day.
FAILED_SIGN_INS_HOURS = 24
FAILED_SIGN_IN_VERBS = ("auth.sign_in_failed", "auth.two_factor_failed")


@dataclass
class WorkCounts:
    open_cases: int = 0
    clocks_needing_action: int = 0  # up to victim_clocks.MY_WORK_COUNTED + 1
    actions_overdue: int = 0
    actions_due_soon: int = 0  # due today or within DUE_SOON_DAYS: amber
    actions_live: int = 0
    undecided_referrals: int = 0
    access_requests: int = 0
    overdue_clocks: int = 0  # open and past due, partnership-wide
    temporary_passwords: int = 0
    failed_sign_ins: int = 0


def _count(model: type, *conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _action_counts(actor: User, today: date) -> dict[str, sa.ScalarSelect[int]]:
    """The agency's live actions: those due before this month and the total are added up
    from the counts kept by due month (LiveActionCount), never by reading every live
    action; only this month's and the next few days' are counted one by one."""
    owed = (owes_action_clause(actor), Action.status.in_(LIVE_STATUSES))
    soon = today + timedelta(days=DUE_SOON_DAYS)
    this_month = today.replace(day=1)
    kept = (owes_action_clause(actor, LiveActionCount.assigned_agency_id),)
    return {
        "actions_overdue": select(
            _kept(*kept, LiveActionCount.due_month < this_month)
            + _count(Action, *owed, Action.due_on >= this_month, Action.due_on < today)
        ).scalar_subquery(),
        "actions_due_soon": _count(Action, *owed, Action.due_on >= today, Action.due_on <= soon),
        "actions_live": _kept(*kept),
    }


def _open_cases(actor: User) -> sa.ScalarSelect[int]:
    """The agency's open cases, from the counts the case list keeps per agency (a few
    rows a town), where counting the involvements reads one index entry a case."""
    kept = (CaseListCount.agency_id == actor.agency_id, CaseListCount.status == CaseStatus.OPEN)
    return select(func.coalesce(func.sum(CaseListCount.tally), 0)).where(*kept).scalar_subquery()


def _kept(*conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return select(func.coalesce(func.sum(LiveActionCount.tally), 0)).where(*conditions).scalar_subquery()


def _wanted(
    actor: User, panels: frozenset[WorkPanel], *, sees_cases: bool, now: datetime, today: date
) -> dict[str, sa.ScalarSelect[int]]:
    wanted: dict[str, sa.ScalarSelect[int]] = {}
    if sees_cases:
        wanted["open_cases"] = _open_cases(actor)
    if WorkPanel.VICTIM_CLOCKS in panels:
        wanted["clocks_needing_action"] = victim_clocks.count_up_to(actor, now, victim_clocks.MY_WORK_COUNTED)
    if WorkPanel.AGENCY_ACTIONS in panels:
        wanted |= _action_counts(actor, today)
    if WorkPanel.UNDECIDED_REFERRALS in panels:
        referrals = visible_referrals(actor).where(Referral.status == ReferralStatus.NEW)
        wanted["undecided_referrals"] = referrals.with_only_columns(func.count(Referral.id)).scalar_subquery()
    if WorkPanel.ACCESS_REQUESTS in panels:
        wanted["access_requests"] = access_requests.waiting_count(actor)
    if WorkPanel.PARTNERSHIP_CLOCKS in panels:
        wanted["overdue_clocks"] = _count(SlaClock, SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at < now)
    if WorkPanel.ACCOUNTS in panels:
        wanted["temporary_passwords"] = _count(User, User.active.is_(True), User.must_change_password.is_(True))
        since = now - timedelta(hours=FAILED_SIGN_INS_HOURS)
        wanted["failed_sign_ins"] = _count(
            AuditEvent, AuditEvent.at >= since, AuditEvent.verb.in_(FAILED_SIGN_IN_VERBS)
        )
    return wanted


def work_counts(
    actor: User, panels: frozenset[WorkPanel], *, sees_cases: bool, now: datetime, today: date
) -> WorkCounts:
    """The counts of the user's panels (and of their agency's open cases), in one query."""
    wanted = _wanted(actor, panels, sees_cases=sees_cases, now=now, today=today)
    counts = WorkCounts()
    if not wanted:
        return counts
    row = db.session.execute(select(*(query.label(name) for name, query in wanted.items()))).one()
    for name in (field.name for field in fields(WorkCounts)):
        if name in wanted:
            setattr(counts, name, getattr(row, name) or 0)
    return counts
