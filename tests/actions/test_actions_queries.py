"""The actions pages send as many SQL statements for 40 rows as for 10 (no N+1), within
the budgets of DESIGN.md section 6 (a list at most 8, a detail page at most 12)."""

import itertools
import re
from datetime import date, timedelta

import pytest

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus
from casework.actions.services import actions
from casework.agencies.models import Agency
from casework.clock import today
from casework.permissions import Role
from tests.factories import (
    make_action,
    make_agency,
    make_case,
    make_plan_action,
    make_premises,
    make_priority,
    make_psg_meeting,
    make_user,
)
from tests.support.queries import DETAIL_BUDGET, LIST_BUDGET, assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases

_priorities = itertools.count(1)


def action_links(page: str) -> int:
    return len(re.findall(r'href="/actions/\d+"', page))


class Subjects:
    """Actions on every kind of subject, each on a subject of its own, owed by ``agency``."""

    def __init__(self, agency: Agency, creator: User) -> None:
        self.agency, self.creator = agency, creator
        self.priority = make_priority(number=next(_priorities))
        self.added = 0
        self.last: Action | None = None

    def _plan_item(self) -> int:
        ref = f"{self.priority.number}.1.{self.added}"
        return make_plan_action(priority=self.priority, ref=ref, lead_agency=self.agency).id

    def add(self, count: int, *, due: date, assignee: User | None = None) -> None:
        for _ in range(count):
            kind = self.added % 4
            subject = {
                0: lambda: {"case": make_case(lead_agency=self.agency, opened_by=self.creator)},
                1: lambda: {"premises": make_premises()},
                2: lambda: {"meeting_id": make_psg_meeting(chair=self.creator).id},
                3: lambda: {"plan_action_id": self._plan_item()},
            }[kind]()
            self.last = make_action(
                agency=self.agency,
                created_by=self.creator,
                due_on=due - timedelta(days=self.added % 5),
                status=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS)[self.added % 2],
                assignee=assignee,
                **subject,
            )
            self.added += 1


@pytest.mark.parametrize(
    ("url", "rows"),
    [
        ("/actions", (10, 25)),
        ("/actions?status=all&subject=case", (3, 10)),
        ("/actions?mine=y&due_from=1&due_from=1&due_from=2000", (10, 25)),
        ("/actions?page=2", (10, 15)),  # ten actions make one page
    ],
)
def test_the_inbox(app, client_as, url, rows):
    police = make_agency(name="Cambridgeshire Constabulary")
    officer = make_user(agency=police)
    subjects = Subjects(police, officer)
    client = client_as(officer)
    subjects.add(10, due=today() + timedelta(days=3), assignee=officer)
    few_page, few = page_queries(app, client, url)
    subjects.add(30, due=today(), assignee=officer)
    many_page, many = page_queries(app, client, url)

    assert (action_links(few_page), action_links(many_page)) == rows
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


def test_the_overdue_actions(app, client_as):
    manager = make_user(role=Role.MANAGER, agency=make_agency(name="Fenland District Council"))
    client = client_as(manager)
    owers = [Subjects(agency, make_user(agency=agency)) for agency in (make_agency(), make_agency())]
    for subjects in owers:
        subjects.add(5, due=today() - timedelta(days=1))
    few_page, few = page_queries(app, client, "/actions/overdue")
    for subjects in owers:
        subjects.add(10, due=today() - timedelta(days=1))
    owers.append(Subjects(make_agency(), make_user()))
    owers[-1].add(10, due=today() - timedelta(days=2))  # 40 in all, owed by three agencies
    many_page, many = page_queries(app, client, "/actions/overdue")

    assert (action_links(few_page), action_links(many_page)) == (10, 25)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


def test_an_action_page(app, client_as):
    police = make_agency(name="Cambridgeshire Constabulary")
    officer = make_user(agency=police)
    client = client_as(officer)

    def action_with(updates: int) -> int:
        # On a case each time: a case action's page also records the view of its case.
        action = make_action(
            agency=police, created_by=officer, due_on=today(), case=make_case(lead_agency=police, opened_by=officer)
        )
        authors = [officer, make_user(role=Role.PARTNER, agency=police)]
        for number in range(updates):
            actions.update_action(
                authors[number % 2], action.id, version=action.version, status=action.status, note=f"Note {number}"
            )
        db.session.commit()
        return action.id

    few_page, few = page_queries(app, client, f"/actions/{action_with(10)}")
    many_page, many = page_queries(app, client, f"/actions/{action_with(40)}")

    assert (few_page.count("moj-timeline__item"), many_page.count("moj-timeline__item")) == (11, 41)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many


@pytest.mark.parametrize("url", ["/actions", "/actions/overdue"])
def test_the_subjects_names_cost_one_statement_whichever_kinds_are_listed(app, client_as, url):
    police = make_agency(name="Cambridgeshire Constabulary")
    officer = make_user(agency=police)
    viewer = officer if url == "/actions" else make_user(role=Role.MANAGER, agency=make_agency())
    client = client_as(viewer)
    overdue = today() - timedelta(days=1)
    for _ in range(3):  # cases alone first
        make_action(agency=police, created_by=officer, case=make_case(lead_agency=police), due_on=overdue)
    few_page, few = page_queries(app, client, url)
    Subjects(police, officer).add(8, due=overdue)  # then every kind of subject
    many_page, many = page_queries(app, client, url)

    assert (action_links(few_page), action_links(many_page)) == (3, 11)
    assert "Delivery plan</span>" not in few_page and "Delivery plan</span>" in many_page
    assert_same_queries(few, many)
