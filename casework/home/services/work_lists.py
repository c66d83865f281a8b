"""The short lists on My work: the actions my agency owes soonest, the next PSG meeting,
overdue actions by agency and the premises' deadlines. Each is one statement, whatever
the number of rows."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action
from casework.actions.services.actions import DUE_SOON_DAYS, rag
from casework.agencies.models import Agency
from casework.clock import start_of_day
from casework.meetings.models import Meeting, MeetingKind
from casework.permissions import Permission
from casework.policy import authorize, owes_action_clause, visible_premises
from casework.premises.models import Premises, PremisesVisit, TlsStatus
from casework.premises.services.tls_rules import TlsRules, deadlines
from casework.rag import Rag

# Actions listed under "Actions your agency owes"; one more is read to know there are more.
URGENT_ACTIONS = 10
# A premises deadline this many days ahead or nearer is "due soon" on My work.
PREMISES_DUE_SOON_DAYS = 14


@dataclass(frozen=True)
class UrgentAction:
    action: Action
    rag: Rag | None


def urgent_actions(actor: User, today: date) -> list[UrgentAction]:
    """The live actions the actor's agency owes that are overdue or due soon, the
    earliest due first (URGENT_ACTIONS of them, and one more)."""
    actions = db.session.scalars(
        select(Action)
        .where(
            owes_action_clause(actor),
            Action.status.in_(LIVE_STATUSES),
            Action.due_on <= today + timedelta(days=DUE_SOON_DAYS),
        )
        .order_by(Action.due_on, Action.id)
        .limit(URGENT_ACTIONS + 1)
    )
    return [UrgentAction(action, rag(action.status, action.due_on, today)) for action in actions]


def next_meeting(actor: User, today: date) -> Meeting | None:
    """The next PSG meeting not yet finished, from today on (the meeting list's
    "upcoming"): the one a chair is preparing."""
    authorize(actor, Permission.MEETING_VIEW)
    return db.session.scalar(
        select(Meeting)
        .where(
            Meeting.kind == MeetingKind.PSG_MEETING,
            Meeting.finished_at.is_(None),
            Meeting.held_at >= start_of_day(today),
        )
        .order_by(Meeting.held_at, Meeting.id)
        .limit(1)
    )


@dataclass(frozen=True)
class AgencyOverdue:
    agency: str
    count: int
    oldest_due_on: date


def overdue_actions_by_agency(actor: User, today: date) -> list[AgencyOverdue]:
    """How many live actions each agency owes past their due date, and the oldest."""
    authorize(actor, Permission.ACTION_VIEW_OVERDUE)
    rows = db.session.execute(
        select(Agency.name, func.count(Action.id), func.min(Action.due_on))
        .join(Action, Action.assigned_agency_id == Agency.id)
        .where(Action.status.in_(LIVE_STATUSES), Action.due_on < today)
        .group_by(Agency.id, Agency.name)
        .order_by(func.count(Action.id).desc(), Agency.name)
    )
    return [AgencyOverdue(name, count, oldest) for name, count, oldest in rows]


@dataclass(frozen=True)
class PremisesDeadlines:
    passed: int = 0  # premises with a deadline passed
    due_soon: int = 0  # the others with one due within PREMISES_DUE_SOON_DAYS
    due_soon_days: int = PREMISES_DUE_SOON_DAYS


def premises_deadlines(actor: User, now: datetime, rules: TlsRules) -> PremisesDeadlines:
    """Premises with a deadline passed, and with one due soon. Only red and amber
    premises have deadlines, a small share of the register, so their dates are read in
    one statement and the calendar rules (tls_rules) applied to them here."""
    last_visit = func.max(PremisesVisit.visited_at)
    rows = db.session.execute(
        visible_premises(actor)
        .with_only_columns(Premises.id, Premises.status, Premises.status_since, last_visit)
        .outerjoin(
            PremisesVisit,
            and_(PremisesVisit.premises_id == Premises.id, PremisesVisit.visited_at >= Premises.status_since),
        )
        .where(Premises.status != TlsStatus.GREEN)
        .group_by(Premises.id, Premises.status, Premises.status_since)
    )
    soon = now + timedelta(days=PREMISES_DUE_SOON_DAYS)
    passed = due_soon = 0
    for _, status, since, visited_at in rows:
        pending = [d for d in deadlines(status, since, visited_at, rules) if not d.met]
        if any(d.overdue(now) for d in pending):
            passed += 1
        elif any(d.due_at <= soon for d in pending):
            due_soon += 1
    return PremisesDeadlines(passed, due_soon)
