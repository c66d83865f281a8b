"""Setting up an authenticator app in a real browser, then signing in with it."""

import itertools
import time

import pyotp
import pytest
from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.accounts.services.passwords import hash_password
from casework.agencies.models import Agency
from casework.permissions import Role
from tests.browser.conftest import Browsing
from tests.support.accessibility import assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "a long browser test passphrase"
_numbers = itertools.count(1)


def new_manager() -> str:
    """A manager who has never signed in: they must set up a second factor."""
    email = f"new.manager{next(_numbers)}.{int(time.time())}@example.test"
    try:
        agency_id = db.session.scalars(select(Agency.id).order_by(Agency.id)).first()
        db.session.add(
            User(
                email=email,
                name="Morgan Newman",
                role=Role.MANAGER,
                agency_id=agency_id,
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()
    finally:
        db.session.remove()
    return email


def enter_password(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_setting_up_and_using_an_authenticator_app(browsing: Browsing) -> None:
    email = new_manager()
    page = browsing.page()
    enter_password(page, email)

    page.get_by_role("heading", name="Set up your authenticator app").wait_for()
    assert page.get_by_role("img", name="QR code to scan with your authenticator app").is_visible()
    assert_accessible(page, browsing)
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Security code").fill(totp.now())
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Save your recovery codes").wait_for()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page, browsing)
    page.get_by_role("link", name="I have saved my recovery codes").click()
    page.get_by_role("heading", name="My work").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in to Casework").wait_for()

    enter_password(page, email)
    page.get_by_role("heading", name="Enter your security code").wait_for()
    assert_accessible(page, browsing)
    # The code just used is refused; the next one (within the allowed drift) is new.
    page.get_by_label("Security code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="My work").wait_for()
    assert browsing.problems == []
