"""The read side of actions: an agency's inbox, the partnership's overdue actions and
one action's page.

Every list is filtered, ordered and cut to a page in SQL, with the two indexes on
actions: (assigned_agency_id, status, due_on) for an agency's inbox and (status,
due_on, assigned_agency_id) for the overdue list. Each page walks those indexes in
due-date order, one status at a time, and merges the walks (see _ordered_ids), so it
reads about as many index entries as the rows before the page, not every action. What
is counted is bounded: an agency's live actions, and the partnership's overdue ones.
A page then costs one statement for its actions (with their agency and officer) and
one for the subjects' names, whatever the number of rows and the kinds of subject. See docs/actions.md for the measurements.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from casework import db
from casework.accounts.models import User
from casework.actions.models import LIVE_STATUSES, Action, ActionStatus, ActionUpdate, LiveActionCount
from casework.actions.services.actions import SubjectKind, SubjectLabel, rag, subject_labels
from casework.agencies.models import Agency
from casework.exceptions import NotFound
from casework.paging import Page, clamp
from casework.permissions import Permission
from casework.policy import authorize, may_update_action, owes_action_clause, visible_actions
from casework.rag import Rag

# A list that is not counted pages on to this page at most (10,000 actions deep at 25 a
# page): each page reads every action before it, so older ones are reached by due date.
MAX_UNCOUNTED_PAGE = 400


@dataclass(frozen=True)
class ActionRow:
    action: Action
    subject: SubjectLabel
    rag: Rag | None
    # False when the viewer may not see the action itself (only that it is overdue).
    shown: bool = True


# --- My agency's inbox -----------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilter:
    statuses: tuple[ActionStatus, ...] = LIVE_STATUSES
    due_from: date | None = None
    due_to: date | None = None
    subject_kind: SubjectKind | None = None
    assigned_to_me: bool = False
    page: int = 1


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox. Live actions are counted exactly (an agency's backlog is
    bounded); a list that includes done or cancelled ones, which only ever grow, is not
    counted: it pages on while there is a next page (``total`` is None)."""

    items: list[ActionRow]
    page: int
    per_page: int
    has_next: bool
    total: int | None

    @property
    def pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // self.per_page))


def _ordered_ids(
    conditions: list[Any], statuses: tuple[ActionStatus, ...], *, offset: int, limit: int, live_before: Any = None
) -> Any:
    """The ids (and sort keys) of one page, merged from one ordered walk of the inbox
    index per status: (assigned_agency_id, status, due_on) gives each status in due-date
    order, so the database reads at most ``offset + limit`` entries of each status and
    sorts only those, instead of sorting every action the agency owes.

    Live actions come before finished ones, so when ``live_before`` (a SQL count of the
    live actions listed) is given, a finished status is read only as far as the page
    goes past the live ones: nothing for a page among the live actions."""
    arms = []
    for status in statuses:
        finished = not status.is_live
        order = [Action.due_on.desc(), Action.id.desc()] if finished else [Action.due_on, Action.id]
        reach: Any = offset + limit
        if finished and live_before is not None:
            past_live = offset + limit - live_before
            reach = sa.case((past_live > 0, past_live), else_=0)
        arm = (
            select(Action.id, Action.due_on, sa.literal(int(finished)).label("finished"))
            .where(*conditions, Action.status == status)
            .order_by(*order)
            .limit(reach)
            .subquery()
        )
        arms.append(select(arm))
    merged = sa.union_all(*arms).subquery("page_keys")
    return (
        select(merged.c.id, merged.c.due_on, merged.c.finished)
        .order_by(*_inbox_order(merged.c))
        .limit(limit)
        .offset(offset)
        .subquery("page_ids")
    )


def _inbox_order(keys: Any) -> list[Any]:
    """Live first by due date, then finished ones the most recently due first."""
    live = keys.finished == 0
    return [
        keys.finished,
        sa.case((live, keys.due_on)),
        keys.due_on.desc(),
        sa.case((live, keys.id)),
        keys.id.desc(),
    ]


def _live_listed(actor: User, criteria: InboxFilter, conditions: list[Any]) -> Any:
    """How many live actions a list of live and finished ones starts with, as SQL, from
    the counts the database keeps (a few rows a month); None (unknown) when a filter
    narrows the list beyond agency and status, which those counts do not split by."""
    live = [status for status in criteria.statuses if status.is_live]
    if not live or len(live) == len(criteria.statuses) or len(conditions) > 1:
        return None
    return (
        select(func.coalesce(func.sum(LiveActionCount.tally), 0))
        .where(owes_action_clause(actor, LiveActionCount.assigned_agency_id), LiveActionCount.status.in_(live))
        .scalar_subquery()
    )


def inbox(actor: User, criteria: InboxFilter, *, today: date, per_page: int = 25) -> InboxPage:
    """One page of the actions the actor's agency owes."""
    authorize(actor, Permission.ACTION_INBOX)
    conditions: list[Any] = [owes_action_clause(actor)]
    if criteria.due_from is not None:
        conditions.append(Action.due_on >= criteria.due_from)
    if criteria.due_to is not None:
        conditions.append(Action.due_on <= criteria.due_to)
    if criteria.subject_kind is not None:
        conditions.append(criteria.subject_kind.column.is_not(None))
    if criteria.assigned_to_me:
        conditions.append(Action.assignee_id == actor.id)
    total = None
    number = max(1, min(criteria.page, MAX_UNCOUNTED_PAGE))
    if all(status.is_live for status in criteria.statuses):
        total = (
            db.session.scalar(
                select(func.count()).select_from(Action).where(*conditions, Action.status.in_(criteria.statuses))
            )
            or 0
        )
        number = clamp(criteria.page, total, per_page)
    # One more than a page, to know whether there is a next one.
    keys = _ordered_ids(
        conditions,
        criteria.statuses,
        offset=(number - 1) * per_page,
        limit=per_page + 1,
        live_before=_live_listed(actor, criteria, conditions),
    )
    actions = list(
        db.session.scalars(
            select(Action)
            .join(keys, keys.c.id == Action.id)
            .options(joinedload(Action.assignee).raiseload("*"))
            .order_by(*_inbox_order(keys.c))
        )
    )
    has_next = len(actions) > per_page and (total is not None or number < MAX_UNCOUNTED_PAGE)
    actions = actions[:per_page]
    labels = subject_labels(actions)
    rows = [ActionRow(action, labels[action.id], rag(action.status, action.due_on, today)) for action in actions]
    return InboxPage(rows, number, per_page, has_next, total)


# --- The partnership's overdue actions ---------------------------------------------------


@dataclass(frozen=True)
class AgencyOverdue:
    agency: Agency
    count: int
    oldest_due_on: date


@dataclass(frozen=True)
class OverduePage:
    by_agency: list[AgencyOverdue]
    page: Page[ActionRow]


def overdue(actor: User, *, today: date, page: int = 1, per_page: int = 25) -> OverduePage:
    """Live actions past their due date across the partnership: how many each agency
    owes, then one page of them, the longest overdue first."""
    authorize(actor, Permission.ACTION_VIEW_OVERDUE)
    counts = (
        select(
            Action.assigned_agency_id.label("agency_id"),
            func.count().label("count"),
            func.min(Action.due_on).label("oldest"),
        )
        .where(Action.status.in_(LIVE_STATUSES), Action.due_on < today)
        .group_by(Action.assigned_agency_id)
        .subquery()
    )
    by_agency = [
        AgencyOverdue(agency, count, oldest)
        for agency, count, oldest in db.session.execute(
            select(Agency, counts.c.count, counts.c.oldest)
            .join(counts, counts.c.agency_id == Agency.id)
            .order_by(Agency.name)
        )
    ]
    total = sum(row.count for row in by_agency)
    number = clamp(page, total, per_page)
    keys = _ordered_ids([Action.due_on < today], LIVE_STATUSES, offset=(number - 1) * per_page, limit=per_page)
    actions = list(
        db.session.scalars(
            select(Action)
            .join(keys, keys.c.id == Action.id)
            .options(joinedload(Action.assigned_agency))
            .order_by(*_inbox_order(keys.c))
        )
    )
    labels = subject_labels(actions)
    shown = _visible_ids(actor, [action.id for action in actions])
    rows = [
        ActionRow(action, labels[action.id], rag(action.status, action.due_on, today), action.id in shown)
        for action in actions
    ]
    return OverduePage(by_agency, Page(rows, total, number, per_page))


def _visible_ids(actor: User, ids: list[int]) -> set[int]:
    """Which of these actions the actor may see in full (title and detail)."""
    if not ids:
        return set()
    return set(db.session.scalars(visible_actions(actor).with_only_columns(Action.id).where(Action.id.in_(ids))))


# --- One action ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionPage:
    action: Action
    subject: SubjectLabel
    rag: Rag | None
    # Oldest first, each with its author.
    history: list[ActionUpdate]
    may_update: bool


def action_page(actor: User, action_id: int, *, today: date) -> ActionPage:
    """An action the actor may see (NotFound otherwise), with its subject and history."""
    action = db.session.scalars(
        visible_actions(actor)
        .where(Action.id == action_id)
        .options(
            joinedload(Action.assigned_agency),
            joinedload(Action.assignee),
            joinedload(Action.created_by),
            selectinload(Action.updates).joinedload(ActionUpdate.author),
        )
    ).one_or_none()
    if action is None:
        raise NotFound("action", action_id)
    return ActionPage(
        action=action,
        subject=subject_labels([action])[action.id],
        rag=rag(action.status, action.due_on, today),
        history=list(action.updates),
        may_update=may_update_action(actor, action),
    )
