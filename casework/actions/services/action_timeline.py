"""Actions as their subject's page shows them: the list with RAG, and their history
as entries of the subject's timeline (a case page, a premises page)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action, ActionUpdate
from casework.actions.services.actions import rag
from casework.policy import visible_actions
from casework.rag import Rag


@dataclass(frozen=True)
class SubjectAction:
    action: Action
    rag: Rag | None
    # False for an action listed without what it says (title, detail, notes): on a
    # subject seen only in part, which the viewer's agency does not owe.
    shown: bool = True


@dataclass(frozen=True)
class TimelineItem:
    """One entry on a subject's timeline: a note, or an action created or updated."""

    at: datetime
    title: str
    byline: str
    lines: list[str] = field(default_factory=list)
    # What the entry records ("action" created, "action_update"), and that record's id:
    # with the time, an order that stays the same from one page of a timeline to the next.
    kind: str = ""
    ident: int = 0


def subject_actions(
    actor: User, on_subject: sa.ColumnElement[bool], *, today: date, summaries: bool = False
) -> list[SubjectAction]:
    """The actions on one subject, live ones first by due date, each with its RAG.
    With ``summaries`` (a subject the caller has checked the actor sees, in part), the
    actions the actor does not see are listed too, marked not ``shown``.

    Two statements however many actions and updates there are: the actions with their
    agency and officers, then every action's history.
    """
    live_first = sa.case((Action.status.in_(LIVE_STATUSES), 0), else_=1)
    seen = visible_actions(actor).whereclause
    assert seen is not None
    query = select(Action, seen) if summaries else select(Action, sa.true()).where(seen)
    rows = db.session.execute(
        query.where(on_subject)
        .options(
            joinedload(Action.assigned_agency),
            joinedload(Action.assignee),
            joinedload(Action.created_by),
            selectinload(Action.updates).joinedload(ActionUpdate.author),
        )
        .order_by(live_first, Action.due_on, Action.id)
    )
    return [SubjectAction(action, rag(action.status, action.due_on, today), bool(shown)) for action, shown in rows]


def _byline(user: User) -> str:
    # Actions are shared between agencies: say whose officer did it.
    return f"{user.name}, {user.agency.name}"


def action_events(actions: Iterable[Action]) -> list[TimelineItem]:
    """Each action's creation and every update to it, for the subject's timeline."""
    events = []
    for action in actions:
        events.append(
            TimelineItem(
                action.created_at,
                f"Action created: {action.title} (for {action.assigned_agency.name})",
                _byline(action.created_by),
                [action.detail] if action.detail else [],
                "action",
                action.id,
            )
        )
        for change in action.updates:
            lines = [change.note] if change.note else []
            title = f"Progress note on action: {action.title}"
            if change.from_status is not None and change.to_status is not None:
                title = f"Action updated: {action.title}"
                moved = f"{change.from_status.label.lower()} to {change.to_status.label.lower()}"
                lines.insert(0, f"Status changed from {moved}")
            events.append(TimelineItem(change.at, title, _byline(change.author), lines, "action_update", change.id))
    return events
