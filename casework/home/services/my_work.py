"""'My work': the first page each user sees."""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from casework import db
from casework.accounts.models import User
from casework.cases.models import Case, CaseStatus, Note
from casework.clock import utcnow
from casework.people.models import Person
from casework.permissions import Permission
from casework.policy import can, involved_clause
from casework.victims.models import ClockOutcome, SlaClock
from casework.victims.services import sla

RECENT = 10
# Clocks listed under "Victims needing action"; one more is read to know there are more.
NEEDING_ACTION = 50


@dataclass
class MyWork:
    open_cases: list[Case] = field(default_factory=list)
    open_case_count: int = 0
    recent_notes: list[Note] = field(default_factory=list)
    # Open clocks of victims on my agency's cases, overdue or due soon: most urgent first.
    clocks_needing_action: list[SlaClock] = field(default_factory=list)
    more_clocks_needing_action: bool = False
    due_soon_hours: int = 0


def my_work(actor: User) -> MyWork:
    """My agency's open cases, the latest timeline entries on them and, for those who
    assess victims, the victims whose clocks are overdue or due soon."""
    work = MyWork()
    if not (can(actor, Permission.CASE_VIEW_INVOLVED) or can(actor, Permission.CASE_VIEW_ANY)):
        return work
    mine = (Case.status == CaseStatus.OPEN, involved_clause(actor))
    work.open_case_count = db.session.scalar(select(func.count(Case.id)).where(*mine)) or 0
    work.open_cases = list(
        db.session.scalars(
            select(Case)
            .where(*mine)
            .options(joinedload(Case.lead_agency))
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(RECENT)
        )
    )
    work.recent_notes = list(
        db.session.scalars(
            select(Note)
            .join(Case, Case.id == Note.case_id)
            .where(involved_clause(actor))
            .options(joinedload(Note.author), contains_eager(Note.case))
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(RECENT)
        )
    )
    if can(actor, Permission.RISK_ASSESS):
        clocks = _clocks_needing_action(actor)
        work.clocks_needing_action = clocks[:NEEDING_ACTION]
        work.more_clocks_needing_action = len(clocks) > NEEDING_ACTION
        work.due_soon_hours = sla.rules().due_soon_hours
    return work


def _clocks_needing_action(actor: User) -> list[SlaClock]:
    """Overdue first (they fell due earliest), then the soonest due, in one query."""
    due_by = utcnow() + timedelta(hours=sla.rules().due_soon_hours)
    return list(
        db.session.scalars(
            select(SlaClock)
            .join(Case, Case.id == SlaClock.case_id)
            .join(Person, Person.id == SlaClock.person_id)
            .where(SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at <= due_by, involved_clause(actor))
            .options(contains_eager(SlaClock.case), contains_eager(SlaClock.person))
            .order_by(SlaClock.due_at, SlaClock.id)
            .limit(NEEDING_ACTION + 1)
        )
    )
