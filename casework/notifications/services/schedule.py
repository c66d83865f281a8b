"""Reminders made from the clocks and due dates, by `flask casework notifications
schedule` (docs/notifications.md, "Reminders and digests").

One pass looks at what is due now and writes a reminder for each occasion reached
(a clock due within 24 hours, an action overdue, a premises deadline passed). Each
reminder has a key naming its occasion, so a pass run twice writes it once
(`outbox.notify(..., key=)`). Only the latest stage an occasion has
reached is told: a clock found already overdue gets "overdue", not "due in 24 hours".

Who is told follows who may see, decided by `policy` in SQL: a recipient must see the
case, action or premises when the reminder is made (and the sender checks again).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus
from casework.cases.models import Case, CaseStatus
from casework.clock import add_days, local_date, parse_time, start_of_day
from casework.notifications import outbox
from casework.notifications.models import NotificationKind
from casework.notifications.services import digests
from casework.permissions import Role
from casework.policy import assignable_users_clause, full_view_clause, visible_actions, visible_premises
from casework.premises.models import Premises, PremisesVisit, TlsStatus
from casework.premises.services.tls_rules import Deadline, TlsRules, deadlines
from casework.victims.models import ClockOutcome, SlaClock


@dataclass(frozen=True)
class ScheduleSettings:
    clock_hours: tuple[int, ...] = (24, 4)  # "due soon" this many hours before, largest first
    action_days: int = 2  # "due soon" this many days before the due date
    premises_days: int = 7  # "due soon" this many days before a deadline
    # An occasion passed longer ago than this is not told any more (a first run, or a
    # scheduler stopped for weeks, does not flood mailboxes with old news).
    lookback_days: int = 7
    digest_time: time = time(7, 30)  # local time
    tls: TlsRules = field(default_factory=TlsRules)

    @classmethod
    def from_config(cls, config: Any) -> "ScheduleSettings":
        """The settings from the app's configuration; ValueError says which one is wrong."""
        return cls(
            clock_hours=_lead_hours(str(config.get("CLOCK_REMINDERS_HOURS", "24,4"))),
            action_days=int(config.get("ACTION_REMINDER_DAYS", cls.action_days)),
            premises_days=int(config.get("PREMISES_REMINDER_DAYS", cls.premises_days)),
            lookback_days=int(config.get("REMINDER_LOOKBACK_DAYS", cls.lookback_days)),
            digest_time=_digest_time(str(config.get("DIGEST_TIME", "07:30"))),
            tls=TlsRules.from_config(config),
        )


LEAD_HOURS_FORMAT = "CLOCK_REMINDERS_HOURS must be whole numbers of hours above 0, such as 24,4"


def _lead_hours(text: str) -> tuple[int, ...]:
    try:
        hours = sorted({int(part) for part in text.split(",")}, reverse=True)
    except ValueError:
        raise ValueError(LEAD_HOURS_FORMAT) from None
    if hours[-1] <= 0:
        raise ValueError(LEAD_HOURS_FORMAT)
    return tuple(hours)


def _digest_time(text: str) -> time:
    try:
        return parse_time(text)
    except ValueError as error:
        raise ValueError(f"DIGEST_TIME: {error}") from None


@dataclass
class Made:
    """How many notifications a pass wrote, by kind."""

    counts: dict[NotificationKind, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, kind: NotificationKind, rows: int) -> None:
        if rows:
            self.counts[kind] += rows

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- Stages: which occasion has been reached (pure) --------------------------------------


def clock_stage(due_at: datetime, now: datetime, hours: Iterable[int]) -> str | None:
    """'overdue' once past due (as the SLA dashboard counts it), else 'due-4h' for the
    nearest lead time reached, else None."""
    if due_at < now:
        return "overdue"
    reached = [lead for lead in hours if due_at <= now + timedelta(hours=lead)]
    return f"due-{min(reached)}h" if reached else None


def action_stage(due_on: date, today: date, days: int) -> str | None:
    """'overdue' from the day after the due date, 'due-soon' from ``days`` before it."""
    if today > due_on:
        return "overdue"
    if today >= due_on - timedelta(days=days):
        return "due-soon"
    return None


def deadline_stage(deadline: Deadline, now: datetime, days: int) -> str | None:
    """'passed' once the deadline is overdue, 'due-soon' from ``days`` calendar days before."""
    if deadline.met:
        return None
    if deadline.overdue(now):
        return "passed"
    if add_days(deadline.due_at, -days) <= now:
        return "due-soon"
    return None


# --- Who sees what ---------------------------------------------------------------------


def _seen(wanted: dict[int, set[int]], users: dict[int, User], visible: Any, column: Any) -> dict[int, set[int]]:
    """For each user, the ids among those wanted that ``visible(user)`` (a policy query
    over ``column``) lets them see: one query per user, whatever the number of rows."""
    seen: dict[int, set[int]] = {}
    for user_id, ids in wanted.items():
        user = users.get(user_id)
        if user is None or not user.active or not ids:
            continue
        seen[user_id] = set(db.session.scalars(visible(user).with_only_columns(column).where(column.in_(ids))))
    return seen


def _cases_seen_in_full(user: User) -> Any:
    return select(Case.id).where(full_view_clause(user))


def _active_users(clause: Any) -> dict[int, User]:
    return {user.id: user for user in db.session.scalars(select(User).where(User.active.is_(True), clause))}


def run(now: datetime, settings: ScheduleSettings) -> Made:
    """One pass: every reminder due at ``now`` that has not been written yet, then
    today's digests once their time has come."""
    made = Made()
    remind_clocks(now, settings, made)
    remind_actions(now, settings, made)
    remind_premises(now, settings, made)
    made.add(NotificationKind.DIGEST, digests.make_digests(now, settings.digest_time))
    return made


# --- Victims' SLA clocks -----------------------------------------------------------------


@dataclass(frozen=True)
class _ClockOccasion:
    clock: SlaClock
    case: Case
    stage: str


def remind_clocks(now: datetime, settings: ScheduleSettings, made: Made) -> None:
    """Open clocks on open cases: 'due soon' to the lead officer (the lead agency's chairs
    when the case has no lead officer who sees it), 'overdue' to the lead officer and the
    lead agency's chairs and managers; each only if they see the case in full."""
    rows = db.session.execute(
        select(SlaClock, Case)
        .join(Case, Case.id == SlaClock.case_id)
        .where(
            SlaClock.outcome == ClockOutcome.OPEN,
            Case.status == CaseStatus.OPEN,
            SlaClock.due_at <= now + timedelta(hours=max(settings.clock_hours)),
            SlaClock.due_at >= now - timedelta(days=settings.lookback_days),
        )
        .order_by(SlaClock.id)
    ).all()
    occasions = [
        _ClockOccasion(clock, case, stage)
        for clock, case in rows
        if (stage := clock_stage(clock.due_at, now, settings.clock_hours)) is not None
    ]
    if not occasions:
        return
    users = _clock_candidates(occasions)
    wanted: dict[int, set[int]] = defaultdict(set)
    for occasion in occasions:
        case = occasion.case
        for user in users.values():
            if user.id == case.lead_officer_id or user.agency_id == case.lead_agency_id:
                wanted[user.id].add(case.id)
    seen = _seen(wanted, users, _cases_seen_in_full, Case.id)
    for occasion in occasions:
        kind = NotificationKind.CLOCK_OVERDUE if occasion.stage == "overdue" else NotificationKind.CLOCK_DUE_SOON
        recipients = _clock_recipients(occasion, users, seen)
        written = outbox.notify(
            recipients,
            kind,
            link=f"/cases/{occasion.case.reference}",
            reference=occasion.case.reference,
            due_at=occasion.clock.due_at,
            case_id=occasion.case.id,
            key=f"clock:{occasion.clock.id}:{occasion.stage}",
        )
        made.add(kind, len(written))


def _clock_candidates(occasions: list[_ClockOccasion]) -> dict[int, User]:
    """The lead officers, and the chairs and managers of the lead agencies, who are active."""
    officers = {o.case.lead_officer_id for o in occasions if o.case.lead_officer_id is not None}
    agencies = {o.case.lead_agency_id for o in occasions}
    return _active_users(
        sa.or_(
            User.id.in_(officers),
            sa.and_(User.agency_id.in_(agencies), User.role.in_((Role.PSG_CHAIR, Role.MANAGER))),
        )
    )


def _clock_recipients(occasion: _ClockOccasion, users: dict[int, User], seen: dict[int, set[int]]) -> list[User]:
    case = occasion.case

    def sees(user: User) -> bool:
        return case.id in seen.get(user.id, set())

    officer = users.get(case.lead_officer_id) if case.lead_officer_id is not None else None
    officer_told = [officer] if officer is not None and sees(officer) else []
    staff = [user for user in users.values() if user.agency_id == case.lead_agency_id and sees(user)]
    chairs = [user for user in staff if user.role is Role.PSG_CHAIR]
    if occasion.stage != "overdue":
        return officer_told or chairs
    return officer_told + chairs + [user for user in staff if user.role is Role.MANAGER]


# --- Actions ---------------------------------------------------------------------------


def remind_actions(now: datetime, settings: ScheduleSettings, made: Made) -> None:
    """Open and in-progress actions: to the assigned officer, or, with none (or one who no
    longer sees the action), to the owning agency's active users who see it."""
    today = local_date(now)
    actions = list(
        db.session.scalars(
            select(Action)
            .where(
                Action.status.in_((ActionStatus.OPEN, ActionStatus.IN_PROGRESS)),
                Action.due_on <= today + timedelta(days=settings.action_days),
                Action.due_on >= today - timedelta(days=settings.lookback_days),
            )
            .order_by(Action.id)
        )
    )
    staged = [(a, stage) for a in actions if (stage := action_stage(a.due_on, today, settings.action_days))]
    if not staged:
        return
    assignees = {a.assignee_id for a, _ in staged if a.assignee_id is not None}
    agencies = {a.assigned_agency_id for a, _ in staged}
    users = _active_users(
        sa.or_(User.id.in_(assignees), sa.and_(User.agency_id.in_(agencies), assignable_users_clause()))
    )
    wanted: dict[int, set[int]] = defaultdict(set)
    for action, _ in staged:
        for user in users.values():
            if user.id == action.assignee_id or user.agency_id == action.assigned_agency_id:
                wanted[user.id].add(action.id)
    seen = _seen(wanted, users, visible_actions, Action.id)
    references = _case_references({a.case_id for a, _ in staged if a.case_id is not None})
    for action, stage in staged:
        kind = NotificationKind.ACTION_OVERDUE if stage == "overdue" else NotificationKind.ACTION_DUE_SOON
        written = outbox.notify(
            _action_recipients(action, users, seen),
            kind,
            link=f"/actions/{action.id}",
            reference=references.get(action.case_id, "") if action.case_id is not None else "",
            due_at=start_of_day(action.due_on),
            case_id=action.case_id,
            premises_id=action.premises_id,
            key=f"action:{action.id}:{action.due_on.isoformat()}:{stage}",
        )
        made.add(kind, len(written))


def _action_recipients(action: Action, users: dict[int, User], seen: dict[int, set[int]]) -> list[User]:
    def sees(user: User) -> bool:
        return action.id in seen.get(user.id, set())

    assignee = users.get(action.assignee_id) if action.assignee_id is not None else None
    if assignee is not None and sees(assignee):
        return [assignee]
    return [
        user
        for user in users.values()
        if user.agency_id == action.assigned_agency_id and user.id != action.assignee_id and sees(user)
    ]


def _case_references(case_ids: set[int]) -> dict[int | None, str]:
    if not case_ids:
        return {}
    return {
        case_id: reference
        for case_id, reference in db.session.execute(select(Case.id, Case.reference).where(Case.id.in_(case_ids)))
    }


# --- Premises deadlines ------------------------------------------------------------------


def remind_premises(now: datetime, settings: ScheduleSettings, made: Made) -> None:
    """Red and amber premises' deadlines (reach amber, reach green, the amber visit), to
    the active licensing officers who see the premises."""
    last_visit = (
        select(sa.func.max(PremisesVisit.visited_at)).where(PremisesVisit.premises_id == Premises.id).scalar_subquery()
    )
    rows = db.session.execute(
        select(Premises.id, Premises.licence_number, Premises.status, Premises.status_since, last_visit)
        .where(Premises.status.in_((TlsStatus.RED, TlsStatus.AMBER)))
        .order_by(Premises.id)
    ).all()
    lookback = now - timedelta(days=settings.lookback_days)
    occasions = [
        (premises_id, licence, since, deadline, stage)
        for premises_id, licence, status, since, visited in rows
        for deadline in deadlines(status, since, visited, settings.tls)
        if deadline.due_at >= lookback and (stage := deadline_stage(deadline, now, settings.premises_days))
    ]
    if not occasions:
        return
    officers = _active_users(User.role == Role.LICENSING_OFFICER)
    ids = {premises_id for premises_id, *_ in occasions}
    seen = _seen(dict.fromkeys(officers, ids), officers, visible_premises, Premises.id)
    for premises_id, licence, since, deadline, stage in occasions:
        kind = (
            NotificationKind.PREMISES_DEADLINE_PASSED
            if stage == "passed"
            else NotificationKind.PREMISES_DEADLINE_DUE_SOON
        )
        written = outbox.notify(
            [user for user in officers.values() if premises_id in seen.get(user.id, set())],
            kind,
            link=f"/premises/{premises_id}",
            reference=licence,
            due_at=deadline.due_at,
            premises_id=premises_id,
            # The colour's start names the occasion: a premises that turns amber again
            # has new deadlines, told again.
            key=f"premises:{premises_id}:{deadline.kind.value}:{int(since.timestamp())}:{stage}",
        )
        made.add(kind, len(written))
