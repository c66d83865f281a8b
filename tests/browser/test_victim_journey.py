"""A high-risk victim in a real browser: a PSG member grades the risk as high, the chair
records the case conference, and the manager sees the 72-hour clock met on /sla."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from casework import db
from casework.clock import ZONE, local_now
from casework.people.models import Person
from casework.victims.models import ClockKind, ClockOutcome, SlaClock
from tests.browser.conftest import MEMBER, Browsing, assert_scripts_ran
from tests.support.browser_steps import open_a_victim_case_and_grade_the_victim_high

pytestmark = pytest.mark.browser

CHAIR, MANAGER = "chair@demo.test", "manager@demo.test"
LONDON = ZONE


def victim_clocks(first_name: str) -> dict[ClockKind, SlaClock]:
    try:
        person_id = db.session.scalar(select(Person.id).where(Person.first_name == first_name))
        return {
            clock.kind: clock for clock in db.session.scalars(select(SlaClock).where(SlaClock.person_id == person_id))
        }
    finally:
        db.session.remove()


def conference_met_count(page: Page) -> int:
    page.goto("/sla")
    cell = page.get_by_test_id("conference_72h-met")
    return int(cell.inner_text().strip())


def test_member_rates_a_victim_high_chair_holds_the_conference_manager_sees_it_met(browsing: Browsing) -> None:
    manager = browsing.page(as_user=MANAGER)
    met_before = conference_met_count(manager)

    # A PSG member opens a victim case led by the council, adds the victim and grades them high.
    member = browsing.page(as_user=MEMBER)
    reference = open_a_victim_case_and_grade_the_victim_high(
        member, "Threats at the door, Orchard Road", "Imogen", "Quarrendon"
    )

    clocks = victim_clocks("Imogen")
    assert {kind: clock.outcome for kind, clock in clocks.items()} == {
        ClockKind.CONFERENCE_72H: ClockOutcome.OPEN,
        ClockKind.REDUCE_7D: ClockOutcome.OPEN,
    }
    member.goto(f"/cases/{reference}")
    expect(member.get_by_text(re.compile(r"Case conference\s+due in 3 days"))).to_be_visible()

    # The chair records the conference, held this minute (times are typed to the
    # minute, and the assessment's time was this minute or the one before).
    chair = browsing.page(as_user=CHAIR)
    chair.goto(f"/cases/{reference}")
    chair.get_by_role("link", name="Record a case conference").click()
    held = local_now()
    date_group = chair.get_by_role("group", name="Date of the conference")
    date_group.get_by_label("Day").fill(str(held.day))
    date_group.get_by_label("Month").fill(str(held.month))
    date_group.get_by_label("Year").fill(str(held.year))
    chair.get_by_label("Time the conference started").fill(held.strftime("%H:%M"))
    chair.get_by_role("group", name="Agencies present").get_by_label("Fenland District Council").check()
    chair.get_by_role("group", name="Agencies present").get_by_label("Roddons Housing Association").check()
    chair.get_by_label("Outcome").fill("Safety plan agreed; police to visit daily this week.")
    chair.get_by_role("button", name="Record conference").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Threats at the door, Orchard Road")

    assert victim_clocks("Imogen")[ClockKind.CONFERENCE_72H].outcome is ClockOutcome.MET

    # The manager's dashboard counts it: one more conference met on time this quarter.
    assert conference_met_count(manager) == met_before + 1
    assert_scripts_ran(manager)
    assert browsing.problems == []
