"""The short lists on My work: the actions my agency owes soonest, the next PSG meeting,
overdue actions by agency and the premises' deadlines. Each is one statement, whatever
the number of rows."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action, LiveActionCount
from casework.actions.services.actions import DUE_SOON_DAYS, rag
from casework.agencies.models import Agency
from casework.clock import start_of_day
from casework.meetings.models import Meeting, MeetingKind
from casework.permissions import Permission
from casework.policy import authorize, owes_action_clause, visible_premises
from casework.premises.services import tls_reports
from casework.premises.services.tls_rules import TlsRules
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
    earliest due first (URGENT_ACTIONS of them, and one more).

    Read as one range of the agency's index entries per live status, each already in
    due order and only as far as the list reaches: asked of both statuses at once, the
    database read every live action of the agency due so far (3,400 at county scale)
    and sorted them to keep eleven."""
    due_by = today + timedelta(days=DUE_SOON_DAYS)
    earliest = (Action.due_on, Action.id)
    ranges = [
        select(Action.id)
        .where(owes_action_clause(actor), Action.status == status, Action.due_on <= due_by)
        .order_by(*earliest)
        .limit(URGENT_ACTIONS + 1)
        .subquery()
        for status in LIVE_STATUSES
    ]
    # Each range is a subquery of its own: SQLite takes no LIMIT in a member of a UNION.
    ids = sa.union_all(*(select(part.c.id) for part in ranges))
    actions = db.session.scalars(select(Action).where(Action.id.in_(ids)).order_by(*earliest).limit(URGENT_ACTIONS + 1))
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
    """How many live actions each agency owes past their due date, and the oldest.

    Those due before this month are added up from the counts kept by due month
    (LiveActionCount), this month's counted one by one; the oldest is the first entry of
    each live status in the agency's (agency, status, due date) index."""
    authorize(actor, Permission.ACTION_VIEW_OVERDUE)
    this_month = today.replace(day=1)
    overdue = sa.union_all(
        select(LiveActionCount.assigned_agency_id.label("agency_id"), LiveActionCount.tally.label("count")).where(
            LiveActionCount.due_month < this_month
        ),
        select(Action.assigned_agency_id, sa.literal(1)).where(
            Action.status.in_(LIVE_STATUSES), Action.due_on >= this_month, Action.due_on < today
        ),
    ).subquery()
    counts = (
        select(overdue.c.agency_id, func.sum(overdue.c.count).label("count"))
        .group_by(overdue.c.agency_id)
        .having(func.sum(overdue.c.count) > 0)
        .subquery()
    )
    oldest = [
        select(func.min(Action.due_on))
        .where(Action.assigned_agency_id == Agency.id, Action.status == status)
        .scalar_subquery()
        for status in LIVE_STATUSES
    ]
    rows = db.session.execute(
        select(Agency.name, counts.c.count, *oldest)
        .join(counts, counts.c.agency_id == Agency.id)
        .order_by(counts.c.count.desc(), Agency.name)
    )
    return [AgencyOverdue(name, count, min(d for d in due if d is not None)) for name, count, *due in rows]


@dataclass(frozen=True)
class PremisesDeadlines:
    passed: int = 0  # premises with a deadline passed
    due_soon: int = 0  # the others with one due within PREMISES_DUE_SOON_DAYS
    due_soon_days: int = PREMISES_DUE_SOON_DAYS


def premises_deadlines(actor: User, now: datetime, rules: TlsRules) -> PremisesDeadlines:
    """Premises with a deadline passed, and with one due soon, with the register's rules
    (tls_rules), so My work and its "deadline passed" filter agree: counted in one
    statement that reads only the premises past a deadline and those near one
    (tls_reports.deadline_counts)."""
    soon = now + timedelta(days=PREMISES_DUE_SOON_DAYS)
    counts = tls_reports.deadline_counts(now, rules, until=soon, also=visible_premises(actor).whereclause)
    return PremisesDeadlines(counts.passed, counts.due)
