"""The delivery plan's pages send as many SQL queries for many rows as for a few, within
the budgets of DESIGN.md section 6 (a list at most 8, a detail page at most 12)."""

import re
from datetime import date, timedelta

import pytest

from casework import db
from casework.accounts.models import User
from casework.actions.services import actions as action_service
from casework.agencies.models import Agency
from casework.permissions import Role
from casework.plan import services as plan_service
from casework.plan.models import PlanAction, Priority
from casework.rag import Rag
from tests.factories import make_agency, make_plan_action, make_priority, make_user
from tests.support.queries import DETAIL_BUDGET, LIST_BUDGET, assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases


def action_links(page: str) -> int:
    return len(re.findall(r'href="/plan/actions/[0-9]+"', page))


@pytest.fixture
def agencies(session) -> list[Agency]:
    return [make_agency(name=f"Agency {letter}") for letter in "ABCDE"]


def add_actions(count: int, priorities: list[Priority], agencies: list[Agency], start: int) -> None:
    """``count`` actions spread over the priorities, each with its own lead, partners and
    milestones, every other one amber with a reason."""
    for number in range(start, start + count):
        priority = priorities[number % len(priorities)]
        make_plan_action(
            priority=priority,
            ref=f"{priority.number}.3.{number}",
            lead_agency=agencies[number % len(agencies)],
            partners=tuple(agencies[(number + 1) % len(agencies) :][:2]),
            milestones=((date(2026, 6, 30), f"Milestone {number}", bool(number % 2)),),
            rag=Rag.AMBER if number % 2 else Rag.GREEN,
            rag_reason="Behind" if number % 2 else "",
            improvement="Catch up" if number % 2 else "",
        )


@pytest.mark.parametrize("url", ["/plan", "/plan/exceptions", "/plan/export"])
def test_plan_lists(app, client_as, agencies, url):
    priorities = [make_priority(number=number) for number in (1, 2, 3)]
    client = client_as(make_user(role=Role.MANAGER))
    add_actions(3, priorities, agencies, start=1)
    few_page, few = page_queries(app, client, url)
    add_actions(12, priorities, agencies, start=4)
    many_page, many = page_queries(app, client, url)

    if url == "/plan":
        assert (action_links(few_page), action_links(many_page)) == (3, 15)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


def action_with(rows: int, *, priority: Priority, agencies: list[Agency], editor: User) -> PlanAction:
    """A plan action with ``rows`` partners, milestones, progress updates and linked actions."""
    partners = tuple(make_agency() for _ in range(rows))
    plan_action = make_plan_action(
        priority=priority,
        ref=f"{priority.number}.{rows}",
        lead_agency=agencies[0],
        partners=partners,
        milestones=tuple((date(2026, 1, 1) + timedelta(days=day), f"Milestone {day}", False) for day in range(rows)),
    )
    for number in range(rows):
        plan_service.record_progress(
            editor,
            plan_action.id,
            version=plan_action.version,
            quarter="2026-27 Q1",
            progress=f"Update {number}",
            rag=Rag.GREEN,
            rag_reason="",
            improvement="",
        )
        action_service.create_action(
            make_user(role=Role.PSG_CHAIR, agency=partners[number]),
            action_service.Subject(plan_action_id=plan_action.id),
            title=f"Linked {number}",
            detail="",
            assigned_agency_id=partners[number].id,
            assignee_id=None,
            due_on=date(2026, 12, 1),
        )
    db.session.commit()
    return plan_action


def test_plan_action_page(app, client_as, agencies):
    priority = make_priority(number=1)
    editor = make_user(role=Role.MANAGER, agency=agencies[0])
    client = client_as(editor)

    few_page, few = page_queries(
        app, client, f"/plan/actions/{action_with(2, priority=priority, agencies=agencies, editor=editor).id}"
    )
    many_page, many = page_queries(
        app, client, f"/plan/actions/{action_with(12, priority=priority, agencies=agencies, editor=editor).id}"
    )

    assert (few_page.count("moj-timeline__item"), many_page.count("moj-timeline__item")) == (2, 12)
    assert (few_page.count(">Linked "), many_page.count(">Linked ")) == (2, 12)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many


@pytest.mark.parametrize("form", ["edit", "progress"])
def test_plan_action_forms(app, client_as, agencies, form):
    priority = make_priority(number=1)
    editor = make_user(role=Role.MANAGER, agency=agencies[0])
    client = client_as(editor)
    few_id = action_with(2, priority=priority, agencies=agencies, editor=editor).id
    many_id = action_with(12, priority=priority, agencies=agencies, editor=editor).id

    _, few = page_queries(app, client, f"/plan/actions/{few_id}/{form}")
    _, many = page_queries(app, client, f"/plan/actions/{many_id}/{form}")

    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many
