"""A caseworker's day in a real browser: sign in, open a case, write on its timeline, sign out."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from casework import db
from casework.agencies.models import Agency
from casework.cases.models import Case, Note, NoteKind
from casework.clock import utcnow
from tests.browser.conftest import MEMBER, Browsing, LiveServer, assert_scripts_ran, sign_in

pytestmark = pytest.mark.browser

TITLE = "Graffiti and fly-tipping behind Station Road flats"
NOTE = "Met the residents' association; two further reports of fly-tipping since Monday."


def stored_case(title: str) -> tuple[Case, str, list[Note]]:
    try:
        case, lead_agency = db.session.execute(
            select(Case, Agency.name).join(Agency, Agency.id == Case.lead_agency_id).where(Case.title == title)
        ).one()
        notes = list(db.session.scalars(select(Note).where(Note.case_id == case.id)))
        return case, lead_agency, notes
    finally:
        db.session.remove()


def test_sign_in_open_a_case_add_a_note_and_sign_out(browsing: Browsing, live_server: LiveServer) -> None:
    page: Page = browsing.page()
    sign_in(page, MEMBER)
    expect(page.get_by_text("Signed in as Sam Ashby")).to_be_visible()
    assert_scripts_ran(page)

    page.get_by_role("link", name="Open a case").click()
    expect(page.get_by_role("heading", name="Open a case")).to_be_visible()
    page.get_by_role("group", name="Case type").get_by_label("Problem place").check()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Lead agency").select_option(label="Roddons Housing Association")
    page.get_by_role("button", name="Open case").click()

    caption = page.locator(".govuk-caption-l")
    expect(caption).to_have_text(re.compile(rf"ASB-{utcnow().year}-\d{{5}}"))
    reference = caption.inner_text().strip()
    expect(page).to_have_url(re.compile(rf"/cases/{reference}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text(f"Case {reference} opened.")).to_be_visible()
    expect(page.get_by_text("Nothing on the timeline yet.")).to_be_visible()

    page.get_by_role("radio", name="Contact").check()
    page.get_by_role("textbox", name="Note").fill(NOTE)
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    entry = page.locator(".moj-timeline__item").filter(has_text=NOTE)
    expect(entry).to_have_count(1)
    expect(entry.locator(".moj-timeline__title")).to_have_text("Contact")
    expect(entry).to_contain_text("by Sam Ashby")

    page.get_by_role("button", name="Sign out").click()
    live_server.forget(MEMBER)  # signing out ended every session of this user
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"/cases/{reference}")
    expect(page.get_by_role("heading", name="Sign in to Casework")).to_be_visible()
    assert browsing.problems == []

    case, lead_agency, notes = stored_case(TITLE)
    assert (case.reference, case.case_type.value, lead_agency) == (reference, "place", "Roddons Housing Association")
    assert [(note.kind, note.body) for note in notes] == [(NoteKind.CONTACT, NOTE)]
