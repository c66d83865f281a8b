"""Victims needing action: the open SLA clocks of victims on the user's agency's cases
that are overdue or due soon, overdue first (they fell due earliest), then the soonest
due. My work shows the first few and links to the full list (docs/sla.md, "My work")."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from casework import db
from casework.accounts.models import User
from casework.audit import services as audit
from casework.cases.models import Case
from casework.paging import Page, clamp
from casework.people.models import Person
from casework.policy import involved_clause
from casework.victims.models import ClockOutcome, SlaClock
from casework.victims.services import sla

# My work shows the most urgent few, and counts the rest only so far before it says
# "more than": the full list has them all.
MY_WORK_FIRST = 10
MY_WORK_COUNTED = 100
# A page of the full list.
PER_PAGE = 50


def _needing_action(actor: User, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    due_by = now + timedelta(hours=sla.rules().due_soon_hours)
    # Probed per clock: the open clocks due are a few hundred at county scale, the
    # agency's cases tens of thousands.
    mine = involved_clause(actor, SlaClock.case_id, per_row=True)
    return (SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at <= due_by, mine)


def clocks(actor: User, now: datetime, *, limit: int, offset: int = 0) -> list[SlaClock]:
    """The clocks from ``offset``, most urgent first, with their case and victim."""
    return list(
        db.session.scalars(
            select(SlaClock)
            .join(Case, Case.id == SlaClock.case_id)
            .join(Person, Person.id == SlaClock.person_id)
            .where(*_needing_action(actor, now))
            .options(contains_eager(SlaClock.case), contains_eager(SlaClock.person))
            # The id breaks ties between clocks due at the same instant, so pages
            # neither skip nor repeat one.
            .order_by(SlaClock.due_at, SlaClock.id)
            .limit(limit)
            .offset(offset)
        )
    )


def count_up_to(actor: User, now: datetime, at_most: int) -> sa.ScalarSelect[int]:
    """How many clocks need action, counted no further than ``at_most`` + 1 (enough to
    say "more than ``at_most``"), as a subquery: My work asks for its counts in one
    statement, and its work then stays bounded however long the backlog."""
    some = select(SlaClock.id).where(*_needing_action(actor, now)).limit(at_most + 1).subquery()
    return select(func.count()).select_from(some).scalar_subquery()


def page_of(actor: User, now: datetime, *, page: int, per_page: int) -> Page[SlaClock]:
    """One page of the full list. The total is exact: it is the length of the list the
    user pages through."""
    total = db.session.scalar(select(func.count()).select_from(SlaClock).where(*_needing_action(actor, now))) or 0
    page = clamp(page, total, per_page)
    items = clocks(actor, now, limit=per_page, offset=(page - 1) * per_page) if total else []
    return Page(items=items, total=total, page=page, per_page=per_page)


def record_list_view(actor: User, shown: list[SlaClock]) -> None:
    """The list names victims: a page of it is audited, with the clocks it showed."""
    if shown:
        detail = {"clocks": [clock.id for clock in shown], "people": sorted({clock.person_id for clock in shown})}
        audit.record(actor, "sla.needing_action_viewed", "sla_clock", None, detail=detail)
