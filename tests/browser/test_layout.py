"""Layout at a phone's width (390 px) and a laptop's (1280 px): no page scrolls sideways,
the service navigation keeps one row, and the buttons of a group line up."""

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.meetings.models import Meeting, MeetingKind
from tests.browser.conftest import ADMIN, ANALYST, MANAGER, MEMBER, Browsing
from tests.browser.test_accessibility import member_case_reference
from tests.support.accessibility import assert_accessible

pytestmark = pytest.mark.browser

CHAIR = "chair@demo.test"
LICENSING = "licensing@demo.test"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

# Each list page, as the role that sees the most columns on it.
LIST_PAGES = [
    (CHAIR, "/"),
    (CHAIR, "/victims-needing-action"),
    (MANAGER, "/cases?scope=all"),
    (LICENSING, "/premises"),
    (MANAGER, "/sla"),
    (MANAGER, "/sla/due-now"),
    (CHAIR, "/referrals"),
    (MANAGER, "/actions?status=all"),
    (MANAGER, "/actions/overdue"),
    (CHAIR, "/meetings"),
    (CHAIR, "/plan"),
    (CHAIR, "/plan/exceptions"),
    (MANAGER, "/premises/report"),
    (ADMIN, "/admin/audit"),
    (ADMIN, "/admin/users"),
    (ADMIN, "/admin/agencies"),
    (CHAIR, "/notifications"),
]

SIDEWAYS = "[document.documentElement.scrollWidth, window.innerWidth]"
NAVIGATION_ROWS = """[...document.querySelectorAll('.govuk-service-navigation__item')]
    .map(item => [item.innerText.trim(), item.getBoundingClientRect().top])"""
BUTTONS = """[...document.querySelectorAll('.govuk-button-group')].map(group =>
    [...group.querySelectorAll('.govuk-button')].filter(button => button.offsetParent)
        .map(button => { const box = button.getBoundingClientRect();
                         return {text: button.innerText.trim(), top: Math.round(box.top),
                                 left: Math.round(box.left), width: Math.round(box.width)}; }))
    .filter(buttons => buttons.length > 1)"""


def next_meeting_id() -> int:
    """The demo's scheduled PSG meeting, whose agenda has items to move and drop."""
    try:
        return db.session.scalars(  # type: ignore[no-any-return]
            select(Meeting.id)
            .where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.finished_at.is_(None))
            .where(Meeting.agenda_generated_at.is_not(None))
            .order_by(Meeting.held_at)
        ).first()
    finally:
        db.session.remove()


def open_page(browsing: Browsing, email: str, viewport: dict[str, int]) -> Page:
    page = browsing.page(as_user=email)
    page.set_viewport_size(viewport)
    return page


def assert_does_not_scroll_sideways(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.wait_for_load_state("load")
    scroll_width, inner_width = page.evaluate(SIDEWAYS)
    assert scroll_width <= inner_width, f"{path} scrolls sideways at {inner_width} px: {scroll_width} px wide"


@pytest.mark.parametrize(("email", "path"), LIST_PAGES, ids=[path for _, path in LIST_PAGES])
def test_no_list_page_scrolls_sideways_on_a_phone(browsing: Browsing, email: str, path: str) -> None:
    assert_does_not_scroll_sideways(open_page(browsing, email, PHONE), path)


@pytest.mark.parametrize("email", [MEMBER, MANAGER])
def test_a_case_page_does_not_scroll_sideways_on_a_phone(browsing: Browsing, email: str) -> None:
    assert_does_not_scroll_sideways(open_page(browsing, email, PHONE), f"/cases/{member_case_reference()}")


def test_a_meeting_page_does_not_scroll_sideways_on_a_phone(browsing: Browsing) -> None:
    assert_does_not_scroll_sideways(open_page(browsing, CHAIR, PHONE), f"/meetings/{next_meeting_id()}")


@pytest.mark.parametrize("path", ["/cases?scope=all", "/premises"])
def test_a_table_that_scrolls_is_a_named_region_keyboard_users_can_scroll(browsing: Browsing, path: str) -> None:
    page = open_page(browsing, MANAGER if path.startswith("/cases") else LICENSING, PHONE)
    page.goto(path)
    container = page.locator(".casework-table-container").first
    assert container.evaluate("box => box.scrollWidth > box.clientWidth"), "the table should be wider than a phone"
    assert container.get_attribute("role") == "region"
    assert container.get_attribute("aria-label")
    container.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("box => box.scrollLeft > 0", arg=container.element_handle())
    assert_accessible(page, browsing)


@pytest.mark.parametrize("email", [CHAIR, MANAGER, ADMIN])
def test_the_service_navigation_keeps_one_row_on_a_laptop(browsing: Browsing, email: str) -> None:
    page = open_page(browsing, email, LAPTOP)
    page.goto("/")
    page.wait_for_load_state("load")
    items = page.evaluate(NAVIGATION_ROWS)
    assert len(items) > 5
    rows = {top for _, top in items}
    assert len(rows) == 1, f"the navigation wraps: {items}"


def test_every_admin_page_is_a_click_from_the_navigation(browsing: Browsing) -> None:
    page = open_page(browsing, ADMIN, LAPTOP)
    page.goto("/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Admin").click()
    for name in ("Users", "Agencies", "Audit log"):
        page.get_by_role("navigation", name="Admin pages").get_by_role("link", name=name).click()
        page.get_by_role("heading", level=1, name=name).wait_for()


@pytest.mark.parametrize(
    ("email", "which"),
    [(MANAGER, "case"), (CHAIR, "meeting")],
)
def test_the_buttons_of_a_group_line_up(browsing: Browsing, email: str, which: str) -> None:
    path = f"/cases/{member_case_reference()}" if which == "case" else f"/meetings/{next_meeting_id()}"
    for viewport in (LAPTOP, PHONE):
        page = open_page(browsing, email, viewport)
        page.goto(path)
        page.wait_for_load_state("load")
        groups = page.evaluate(BUTTONS)
        assert groups, f"no group of buttons on {path}"
        for buttons in groups:
            if viewport is LAPTOP:
                # One row each at this width: every button at the same height.
                assert len({button["top"] for button in buttons}) == 1, buttons
            else:
                # One under another, each as wide as the column.
                assert len({(button["left"], button["width"]) for button in buttons}) == 1, buttons


def form_and_detail_pages() -> dict[str, list[str]]:
    """The main form and detail pages, by the account that sees most on each."""
    from casework.people.models import Person
    from casework.premises.models import Premises
    from tests.browser.test_accessibility import (
        chairs_agenda_item,
        member_assessed_victim,
        member_live_action,
        new_person_referral,
        rated_plan_action,
    )

    reference = member_case_reference()
    victim_case, victim = member_assessed_victim()
    meeting_id, item_id = chairs_agenda_item()
    try:
        premises_id = db.session.scalars(select(Premises.id).order_by(Premises.id)).first()
        admin_id = db.session.scalars(select(User.id).where(User.email == ADMIN)).one()
        other_user_id = db.session.scalars(select(User.id).where(User.email == MEMBER)).one()
        person_id = db.session.scalars(select(Person.id).where(Person.id == victim)).one()
    finally:
        db.session.remove()
    return {
        MEMBER: [
            "/cases/new",
            f"/cases/{reference}/edit",
            f"/cases/{reference}/people/new",
            f"/cases/{reference}/agencies/new",
            f"/people/{person_id}",
            f"/cases/{victim_case}/victims/{victim}/risk-assessments/new",
            f"/cases/{victim_case}/victims/{victim}/risk-assessments",
            f"/cases/{victim_case}/conferences/new",
            f"/actions/{member_live_action()}",
            f"/actions/new?case={reference}",
            "/referrals/new",
            "/account/password",
        ],
        CHAIR: [
            f"/referrals/{new_person_referral()}",
            "/meetings/new",
            f"/meetings/{meeting_id}/items/{item_id}/minutes",
            f"/meetings/{meeting_id}/items/{item_id}/decisions/new",
            f"/plan/actions/{rated_plan_action()}",
        ],
        LICENSING: [
            f"/premises/{premises_id}",
            f"/premises/{premises_id}/status",
            f"/premises/{premises_id}/incidents/new",
            f"/premises/{premises_id}/visits/new",
        ],
        ADMIN: [
            f"/admin/users/{other_user_id}",
            f"/admin/users/{other_user_id}/temporary-password",
            "/admin/users/new",
            f"/admin/users/{admin_id}",
        ],
        ANALYST: ["/figures"],
    }


def test_no_form_or_detail_page_scrolls_sideways_on_a_phone(browsing: Browsing) -> None:
    """One page per account, going from one address to the next: every problem is listed at once."""
    sideways = []
    for email, paths in form_and_detail_pages().items():
        page = open_page(browsing, email, PHONE)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            scroll_width, inner_width = page.evaluate(SIDEWAYS)
            if scroll_width > inner_width:
                sideways.append(f"{path} ({email}): {scroll_width} px wide")
    assert sideways == [], "scrolls sideways at 390 px:\n" + "\n".join(sideways)
