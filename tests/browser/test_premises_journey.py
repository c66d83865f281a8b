"""A licensing officer moves a red premises to amber with a reason, and the manager
sees the move on the TLS report."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from casework import db
from casework.premises.models import Premises, PremisesStatusChange, TlsStatus
from tests.browser.conftest import Browsing, assert_scripts_ran

pytestmark = pytest.mark.browser

LICENSING, MANAGER = "licensing@demo.test", "manager@demo.test"
PREMISES = "The Sluice Keeper"  # red in the demo, well within its three months
REASON = "Door staff in place and no incidents for three weeks after the action plan."


def report_figures(page: Page) -> dict[str, int]:
    page.goto("/premises/report")
    return {
        testid: int(page.get_by_test_id(testid).inner_text().strip())
        for testid in ("colour-red", "colour-amber", "red-met")
    }


def stored_moves() -> list[PremisesStatusChange]:
    try:
        return list(
            db.session.scalars(
                select(PremisesStatusChange)
                .join(Premises, Premises.id == PremisesStatusChange.premises_id)
                .where(Premises.name == PREMISES)
                .order_by(PremisesStatusChange.at)
            )
        )
    finally:
        db.session.remove()


def test_licensing_officer_moves_red_to_amber_and_the_manager_sees_it(browsing: Browsing) -> None:
    manager = browsing.page(as_user=MANAGER)
    before = report_figures(manager)

    officer = browsing.page(as_user=LICENSING)
    officer.goto("/premises")
    officer.get_by_role("link", name=PREMISES).click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text(PREMISES)
    officer.get_by_role("link", name="Move colour").click()
    expect(officer.get_by_label("Reason for the move")).to_be_visible()
    officer.wait_for_load_state()
    assert_scripts_ran(officer)
    officer.get_by_role("group", name="New colour").get_by_label("Amber").check()
    officer.get_by_label("Reason for the move").fill(REASON)
    officer.get_by_role("button", name="Move colour").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text(PREMISES)
    expect(officer.locator(".moj-timeline").get_by_text(REASON)).to_be_visible()

    last = stored_moves()[-1]
    assert (last.from_status, last.to_status, last.reason) == (TlsStatus.RED, TlsStatus.AMBER, REASON)

    after = report_figures(manager)
    manager.wait_for_load_state()
    assert after["colour-red"] == before["colour-red"] - 1
    assert after["colour-amber"] == before["colour-amber"] + 1
    assert after["red-met"] == before["red-met"] + 1  # reached amber within three months
    assert_scripts_ran(manager)
    assert browsing.problems == []
