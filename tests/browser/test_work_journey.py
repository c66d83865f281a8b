"""Partnership work in a real browser: a partner refers a person, the chair accepts the
referral into a new case and takes it to the next PSG meeting, where a decision gives
the partner's agency an action, and the partner marks that action done."""

import re
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from casework import db
from casework.actions.models import Action, ActionStatus
from casework.agencies.models import Agency
from casework.cases.models import Case
from casework.clock import ZONE, local_now
from casework.referrals.models import Referral, ReferralStatus
from tests.browser.conftest import Browsing, assert_scripts_ran

pytestmark = pytest.mark.browser

PARTNER, CHAIR = "partner@demo.test", "chair@demo.test"
PARTNER_AGENCY = "Fenland Community Support"
LEAD_AGENCY = "Roddons Housing Association"
LONDON = ZONE


def stored(reference: str) -> tuple[Referral, str, list[Action]]:
    """The referral, the new case's lead agency and the case's actions, as saved."""
    try:
        case_id, lead_agency = db.session.execute(
            select(Case.id, Agency.name)
            .join(Agency, Agency.id == Case.lead_agency_id)
            .where(Case.reference == reference)
        ).one()
        referral = db.session.scalars(select(Referral).where(Referral.case_id == case_id)).one()
        found = list(db.session.scalars(select(Action).where(Action.case_id == case_id)))
        db.session.expunge_all()
        return referral, lead_agency, found
    finally:
        db.session.remove()


def fill_date(page: Page, group: str, day: date) -> None:
    boxes = page.get_by_role("group", name=group)
    boxes.get_by_label("Day").fill(str(day.day))
    boxes.get_by_label("Month").fill(str(day.month))
    boxes.get_by_label("Year").fill(str(day.year))


def test_partner_refers_chair_takes_it_to_the_psg_partner_completes_the_action(browsing: Browsing) -> None:
    # Unique names, so the journey can run again on the same database.
    token = uuid.uuid4().hex[:6]
    first_name, last_name = "Marnie", f"Hartridge-{token}"
    person = f"{first_name} {last_name}"
    title = f"Intimidation of neighbours, Coronation Avenue ({token})"
    action_title = f"Support visit to {person}"
    completion = f"Visited with the tenancy officer on Tuesday; support plan agreed ({token})."
    due = local_now().date() + timedelta(days=4)

    # The partner refers a person through the form.
    partner = browsing.page(as_user=PARTNER)
    partner.goto("/referrals")
    partner.get_by_role("link", name="Make a referral").click()
    expect(partner.get_by_role("heading", level=1)).to_have_text("Make a referral")
    partner.wait_for_load_state()
    assert_scripts_ran(partner)
    partner.get_by_role("group", name="Who or what are you referring?").get_by_label("A person").check()
    partner.get_by_label("First name").fill(first_name)
    partner.get_by_label("Last name").fill(last_name)
    partner.get_by_label("Place", exact=True).fill("Coronation Avenue, Wisbech")
    partner.get_by_label("What is happening?").fill(
        "Neighbours report shouting, threats and objects thrown at their windows most evenings for a month."
    )
    partner.get_by_label("Risks (optional)").fill("Lives alone; has missed support appointments.")
    partner.get_by_role("group", name="Has consent been given").get_by_label("Yes").check()
    partner.get_by_role("button", name="Send referral").click()
    expect(partner.get_by_text("Referral sent to the PSG chair.")).to_be_visible()
    expect(partner.get_by_role("heading", level=1)).to_have_text(person)

    # The chair finds it among the new referrals and accepts it into a new case, led
    # by the housing association.
    chair = browsing.page(as_user=CHAIR)
    chair.goto("/referrals")
    chair.get_by_role("link", name=person).click()
    expect(chair.get_by_role("heading", level=1)).to_have_text(person)
    expect(chair.locator("#similar-people")).to_contain_text("No one you can see")
    chair.get_by_role("group", name="Who is this?").get_by_label("A new person record").check()
    chair.get_by_role("group", name="Their role on the case").get_by_label("Perpetrator").check()
    chair.get_by_role("group", name="Accept into").get_by_label("A new case").check()
    chair.get_by_role("group", name="Case type").get_by_label("Perpetrator").check()
    chair.get_by_label("Title", exact=True).fill(title)
    chair.get_by_label("Lead agency").select_option(label=LEAD_AGENCY)
    chair.get_by_role("button", name="Accept referral").click()
    accepted = chair.get_by_text(re.compile(r"Referral accepted into case \S+\."))
    expect(accepted).to_be_visible()
    reference = re.search(r"into case (\S+)\.", accepted.inner_text()).group(1)  # type: ignore[union-attr]
    expect(chair.locator("#decision")).to_contain_text(reference)

    # The partner sees the decision on their agency's referrals.
    partner.goto("/referrals")
    referred = partner.get_by_role("row").filter(has=partner.get_by_role("link", name=person))
    expect(referred).to_contain_text("Accepted")
    expect(referred.get_by_role("link", name=reference)).to_be_visible()

    # The next PSG meeting: the chair regenerates its agenda, and the new case is on it
    # because its referral was accepted since the last meeting.
    chair.goto("/meetings")
    chair.get_by_role("table", name="Upcoming meetings").get_by_role("link").first.click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("PSG meeting")
    chair.get_by_role("button", name="Regenerate agenda").click()
    expect(chair.get_by_text(re.compile(r"Agenda generated from the casebook: \d+ items?\."))).to_be_visible()
    item = chair.get_by_role("region", name=re.compile(re.escape(reference)))
    expect(item.get_by_role("heading", level=3)).to_contain_text(f"{reference}: {title}")
    reasons = item.get_by_role("listitem")
    expect(reasons.filter(has_text=re.compile(r"^New referral, accepted \d{1,2} \w+ \d{4}$"))).to_have_count(1)

    # It records the minutes and a decision that gives the partner's agency an action.
    item.get_by_role("link", name=re.compile(r"^Minutes and decisions")).click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Minutes and decisions")
    chair.get_by_label("Minutes", exact=True).fill(
        f"{PARTNER_AGENCY} referred {person}. The housing association will lead; support is offered first."
    )
    chair.get_by_role("button", name="Save minutes").click()
    expect(chair.get_by_text("Minutes saved.")).to_be_visible()
    item = chair.get_by_role("region", name=re.compile(re.escape(reference)))
    item.get_by_role("link", name=re.compile(r"^Minutes and decisions")).click()
    chair.get_by_role("link", name="Record a decision").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Record a decision")
    chair.wait_for_load_state()
    assert_scripts_ran(chair)
    chair.get_by_label("Decision", exact=True).fill(f"{PARTNER_AGENCY} to visit and agree a support plan.")
    chair.get_by_label("Agency that will do it").select_option(label=PARTNER_AGENCY)
    chair.get_by_label("What needs to be done (optional)").fill(action_title)
    fill_date(chair, "Date the action is due", due)
    chair.get_by_role("button", name="Record decision").click()
    expect(chair.get_by_text(f"Decision recorded, with an action for {PARTNER_AGENCY}.")).to_be_visible()
    item = chair.get_by_role("region", name=re.compile(re.escape(reference)))
    expect(item).to_contain_text(f"Action for {PARTNER_AGENCY}: {action_title}")

    # The partner finds the action in the agency's inbox, due soon, and marks it done.
    partner.goto("/actions")
    row = partner.get_by_role("row").filter(has=partner.get_by_role("link", name=action_title))
    expect(row).to_contain_text("Due soon")
    expect(row).to_contain_text(reference)
    row.get_by_role("link", name=action_title).click()
    expect(partner.get_by_role("heading", level=1)).to_have_text(action_title)
    partner.wait_for_load_state()
    assert_scripts_ran(partner)
    partner.get_by_role("group", name="Status").get_by_label("Done").check()
    partner.get_by_label("Progress note").fill(completion)
    partner.get_by_role("button", name="Save update").click()
    expect(partner.get_by_text("Action updated.")).to_be_visible()
    expect(partner.locator(".govuk-summary-list")).to_contain_text(completion)
    expect(partner.locator(".moj-timeline").get_by_text("Status changed from open to done")).to_be_visible()

    # The chair sees it done on the case page.
    chair.goto(f"/cases/{reference}")
    actions_on_case = chair.locator("#case-actions")
    done_row = actions_on_case.get_by_role("row").filter(has=chair.get_by_role("link", name=action_title))
    expect(done_row).to_contain_text(PARTNER_AGENCY)
    expect(done_row.get_by_role("cell").last).to_have_text("Done")
    assert_scripts_ran(chair)

    referral, lead_agency, (action,) = stored(reference)
    assert (referral.status, lead_agency) == (ReferralStatus.ACCEPTED, LEAD_AGENCY)
    assert action.assigned_agency_id == referral.referring_agency_id
    assert (action.status, action.completion_note, action.due_on) == (ActionStatus.DONE, completion, due)
    assert action.decision_id is not None and action.completed_at is not None
    assert browsing.problems == []
