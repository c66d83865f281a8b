"""My work's "Victims needing action": the most urgent few, "and N more" with a link to
the full list, and the full list a page at a time (docs/sla.md, "My work")."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.home.services import victim_clocks
from casework.permissions import Role
from casework.victims.models import ClockKind
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.queries import recorded_statements
from tests.support.sla_clocks import make_clock_due

pytestmark = pytest.mark.both_databases

FULL_LIST = "/victims-needing-action"


@pytest.fixture
def world(session, client_as):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    member, officer = make_user(agency=council), make_user(agency=police)
    ours = make_case(lead_agency=police, opened_by=officer, involved=[council])
    theirs = make_case(lead_agency=police, opened_by=officer)
    now = utcnow().replace(second=0, microsecond=0)
    made: list[int] = []

    def clocks(count: int, *, case=ours, due_at=None, kind=ClockKind.CONFERENCE_72H) -> list[int]:
        """``count`` open clocks, each a victim of its own, overdue by fewer hours each
        (or all due at ``due_at``, a tie)."""
        ids = []
        for _ in range(count):
            person = make_person(created_by=officer, first_name=f"Victim{len(made):03d}", last_name="Person")
            add_party(case=case, person=person)
            when = due_at or now - timedelta(hours=200 - len(made))
            ids.append(make_clock_due(case=case, person=person, due_at=when, kind=kind).id)
            made.append(ids[-1])
        return ids

    return SimpleNamespace(
        council=council,
        police=police,
        theirs=theirs,
        now=now,
        clocks=clocks,
        member=member,
        client=client_as(member),
        client_as=client_as,
    )


def _section(html: str) -> str:
    return html.split('id="victims-needing-action"', 1)[1].split("<h2", 1)[0]


def _victims(html: str) -> list[str]:
    return re.findall(r">(Victim\d{3}) Person</td>", html)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_exactly_the_first_few_show_no_more_and_no_link(world):
    world.clocks(victim_clocks.MY_WORK_FIRST)
    section = _section(world.client.get("/").text)
    assert len(_victims(section)) == victim_clocks.MY_WORK_FIRST
    assert "more-victims-needing-action" not in section and FULL_LIST not in section


def test_one_over_shows_the_most_urgent_and_one_more_with_the_link(world):
    world.clocks(victim_clocks.MY_WORK_FIRST + 1)
    section = _section(world.client.get("/").text)
    # The earliest due come first: the one left out is the last made, due latest.
    assert _victims(section) == [f"Victim{n:03d}" for n in range(victim_clocks.MY_WORK_FIRST)]
    more = section.split('id="more-victims-needing-action"', 1)[1].split("</p>", 1)[0]
    assert "And 1 more." in _text(more)
    assert f'href="{FULL_LIST}"' in more
    assert f"See all {victim_clocks.MY_WORK_FIRST + 1} victims needing action" in _text(more)


def test_past_the_count_it_says_more_than(world, monkeypatch):
    monkeypatch.setattr(victim_clocks, "MY_WORK_COUNTED", victim_clocks.MY_WORK_FIRST + 2)
    world.clocks(victim_clocks.MY_WORK_FIRST + 2)
    exact = _text(_section(world.client.get("/").text))
    assert "And 2 more." in exact and f"See all {victim_clocks.MY_WORK_FIRST + 2} victims needing action" in exact
    world.clocks(5)
    past = _text(_section(world.client.get("/").text))
    assert "And more than 2 more." in past and "See all victims needing action" in past
    assert "See all 1" not in past


def test_other_agencies_clocks_are_neither_shown_nor_counted(world):
    world.clocks(victim_clocks.MY_WORK_FIRST)
    world.clocks(3, case=world.theirs)
    section = _section(world.client.get("/").text)
    assert FULL_LIST not in section
    page = world.client.get(FULL_LIST).text
    assert len(_victims(page)) == victim_clocks.MY_WORK_FIRST
    assert f"{victim_clocks.MY_WORK_FIRST} clocks" in _text(page)


def test_the_full_list_pages_through_ties_without_skipping_or_repeating(world, monkeypatch):
    monkeypatch.setattr(victim_clocks, "PER_PAGE", 3)
    tie = world.now - timedelta(hours=5)
    world.clocks(2)
    world.clocks(4, due_at=tie)  # four clocks due at the same instant, across a page edge
    world.clocks(1, due_at=tie, kind=ClockKind.REDUCE_7D)
    world.clocks(1, due_at=world.now + timedelta(hours=3))  # due soon: last
    seen = []
    for number in (1, 2, 3):
        page = world.client.get(f"{FULL_LIST}?page={number}").text
        assert f"8 clocks, page {number} of 3" in _text(page)
        seen += _victims(page)
    assert seen == [f"Victim{n:03d}" for n in range(8)]  # due order, then the order made (id)
    last = world.client.get(f"{FULL_LIST}?page=99").text
    assert "page 3 of 3" in _text(last) and _victims(last) == ["Victim006", "Victim007"]


def test_the_full_list_is_audited_with_the_clocks_it_showed(world, monkeypatch):
    monkeypatch.setattr(victim_clocks, "PER_PAGE", 2)
    ids = world.clocks(3)
    response = world.client.get(f"{FULL_LIST}?page=2")
    assert response.status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.request_id == response.headers["X-Request-Id"])
    ).one()
    assert (event.verb, event.actor_id) == ("sla.needing_action_viewed", world.member.id)
    assert event.detail["clocks"] == ids[2:]


def test_an_empty_list_says_so_and_audits_nothing(world):
    response = world.client.get(FULL_LIST)
    assert "No victim on your agency's cases has a clock overdue or due soon." in response.text
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.request_id == response.headers["X-Request-Id"]))
    assert list(events) == []


def test_a_chair_may_open_the_full_list(world):
    world.clocks(1)
    chair = world.client_as(make_user(role=Role.PSG_CHAIR, agency=world.council))
    assert _victims(chair.get(FULL_LIST).text) == ["Victim000"]


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER, Role.MANAGER, Role.ANALYST, Role.ADMIN])
def test_roles_without_the_panel_are_refused_the_full_list(world, role):
    world.clocks(1)
    response = world.client_as(make_user(role=role, agency=world.council)).get(FULL_LIST)
    assert response.status_code == 403
    assert "Victim000" not in response.text


def test_the_full_list_sends_as_many_queries_for_many_clocks_as_for_few(app, world):
    def statements() -> int:
        db.session.remove()
        with recorded_statements(app.extensions["casework.engine"]) as sent:
            assert world.client.get(FULL_LIST).status_code == 200
        return len(sent)

    world.clocks(2)
    few = statements()
    world.clocks(60)
    assert statements() == few
