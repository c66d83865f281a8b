"""'My work': the first page each user sees, answering "what do I have to do today"
for each role (the panels: policy.work_panels; docs/access.md, "My work")."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from casework import db
from casework.accounts.models import User
from casework.actions.services.actions import DUE_SOON_DAYS
from casework.cases.models import Case, CaseStatus, Note
from casework.clock import local_date, utcnow
from casework.home.services import victim_clocks
from casework.home.services.work_counts import WorkCounts, work_counts
from casework.home.services.work_lists import (
    URGENT_ACTIONS,
    AgencyOverdue,
    PremisesDeadlines,
    UrgentAction,
    next_meeting,
    overdue_actions_by_agency,
    premises_deadlines,
    urgent_actions,
)
from casework.meetings.models import Meeting
from casework.permissions import Permission
from casework.policy import WorkPanel, can, involved_clause, work_panels
from casework.premises.services.tls_rules import TlsRules
from casework.victims.models import SlaClock
from casework.victims.services import sla

RECENT = 10


@dataclass
class MyWork:
    today: date
    panels: frozenset[WorkPanel] = frozenset()
    sees_cases: bool = False  # whether the user works on cases (open cases, recent activity)
    counts: WorkCounts = field(default_factory=WorkCounts)
    open_cases: list[Case] = field(default_factory=list)
    recent_notes: list[Note] = field(default_factory=list)
    # Open clocks of victims on my agency's cases, overdue or due soon: most urgent first.
    clocks_needing_action: list[SlaClock] = field(default_factory=list)
    due_soon_hours: int = 0
    # The actions my agency owes that are overdue or due soon, the earliest due first.
    urgent_actions: list[UrgentAction] = field(default_factory=list)
    more_urgent_actions: bool = False
    next_meeting: Meeting | None = None
    overdue_by_agency: list[AgencyOverdue] = field(default_factory=list)
    premises: PremisesDeadlines = field(default_factory=PremisesDeadlines)

    @property
    def open_case_count(self) -> int:
        return self.counts.open_cases

    @property
    def more_clocks_needing_action(self) -> int:
        """How many clocks the full list has beyond those shown (counted no further than
        victim_clocks.MY_WORK_COUNTED; see clocks_needing_action_past_count)."""
        return max(0, self.counts.clocks_needing_action - len(self.clocks_needing_action))

    @property
    def clocks_needing_action_past_count(self) -> bool:
        return self.counts.clocks_needing_action > victim_clocks.MY_WORK_COUNTED

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def actions_due_soon_until(self) -> date:
        return self.today + timedelta(days=DUE_SOON_DAYS)


def my_work(actor: User, tls_rules: TlsRules) -> MyWork:
    """What the user has to do today: their panels (each in a constant number of
    queries), and for those who work on cases, their agency's open cases and the latest
    timeline entries on them."""
    now = utcnow()
    sees_cases = can(actor, Permission.CASE_VIEW_INVOLVED) or can(actor, Permission.CASE_VIEW_ANY)
    work = MyWork(today=local_date(now), panels=work_panels(actor), sees_cases=sees_cases)
    work.counts = work_counts(actor, work.panels, sees_cases=sees_cases, now=now, today=work.today)
    _panel_lists(actor, work, now, tls_rules)
    if sees_cases:
        _cases(actor, work)
    return work


def _panel_lists(actor: User, work: MyWork, now: datetime, tls_rules: TlsRules) -> None:
    """The lists of the user's panels: one query each."""
    if WorkPanel.VICTIM_CLOCKS in work.panels:
        work.clocks_needing_action = victim_clocks.clocks(actor, now, limit=victim_clocks.MY_WORK_FIRST)
        work.due_soon_hours = sla.rules().due_soon_hours
    if WorkPanel.AGENCY_ACTIONS in work.panels:
        actions = urgent_actions(actor, work.today)
        work.urgent_actions = actions[:URGENT_ACTIONS]
        work.more_urgent_actions = len(actions) > URGENT_ACTIONS
    if WorkPanel.NEXT_MEETING in work.panels:
        work.next_meeting = next_meeting(actor, work.today)
    if WorkPanel.OVERDUE_ACTIONS_BY_AGENCY in work.panels:
        work.overdue_by_agency = overdue_actions_by_agency(actor, work.today)
    if WorkPanel.PREMISES_DEADLINES in work.panels:
        work.premises = premises_deadlines(actor, now, tls_rules)


def _cases(actor: User, work: MyWork) -> None:
    """My agency's open cases, the most recently opened first, and the latest notes."""
    mine = (Case.status == CaseStatus.OPEN, involved_clause(actor))
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
            # On the note's case id: SQLite then reads the newest notes until it has ten,
            # where a clause on the case made it filter every case first.
            .where(involved_clause(actor, Note.case_id))
            .options(joinedload(Note.author), contains_eager(Note.case))
            .order_by(Note.created_at.desc(), Note.id.desc())
            .limit(RECENT)
        )
    )
