"""Printing the subject access document: the navigation, the back link, the download
link, the footer and every button are left out of the printed page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from casework import db
from casework.cases.models import CaseParty, PartyRole
from tests.browser.conftest import MANAGER, Browsing

pytestmark = pytest.mark.browser


def a_victim() -> int:
    try:
        person_id = db.session.scalars(
            select(CaseParty.person_id).where(CaseParty.role == PartyRole.VICTIM).order_by(CaseParty.id)
        ).first()
        assert person_id is not None
        return person_id
    finally:
        db.session.remove()


def test_the_printed_subject_access_document_has_no_navigation_or_buttons(browsing: Browsing) -> None:
    page = browsing.page(as_user=MANAGER)
    page.goto(f"/people/{a_victim()}/subject-access")
    heading = page.get_by_role("heading", level=1)
    download = page.get_by_role("link", name="Download the same data as JSON")
    screen_only = [
        page.locator(".govuk-service-navigation"),
        page.get_by_role("link", name="Back to the person"),
        download,
        page.locator(".govuk-footer"),
        page.get_by_role("button", name="Sign out"),
    ]
    for element in screen_only:
        expect(element).to_be_visible()

    page.emulate_media(media="print")

    expect(heading).to_be_visible()
    expect(page.get_by_role("heading", name="Personal details")).to_be_visible()
    for element in screen_only:
        expect(element).to_be_hidden()
