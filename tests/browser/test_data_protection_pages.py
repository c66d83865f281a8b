"""axe on the data protection pages: the reason asked before a restricted case opens,
a legal hold, and a subject access export."""

import pytest
from sqlalchemy import select

from casework import db
from casework.cases.models import Case, CaseParty, PartyRole
from tests.browser.conftest import MANAGER, Browsing
from tests.support.accessibility import assert_accessible

pytestmark = pytest.mark.browser


def _first(query):  # type: ignore[no-untyped-def]
    try:
        return db.session.execute(query).first()
    finally:
        db.session.remove()


def test_a_restricted_case_asks_why_before_it_opens(browsing: Browsing) -> None:
    reference, title = _first(select(Case.reference, Case.title).where(Case.restricted.is_(True)).order_by(Case.id))
    page = browsing.page(as_user=MANAGER)
    page.goto(f"/cases/{reference}")
    assert "/access-reason" in page.url
    assert title not in page.content()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name=title).wait_for()
    assert page.url.endswith(f"/cases/{reference}")


def test_legal_hold_form_with_errors(browsing: Browsing) -> None:
    (reference,) = _first(
        select(Case.reference).where(Case.restricted.is_(False), Case.legal_hold.is_(False)).order_by(Case.id)
    )
    page = browsing.page(as_user=MANAGER)
    page.goto(f"/cases/{reference}/legal-hold")
    page.get_by_role("button", name="Place legal hold").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert_accessible(page, browsing)


def test_subject_access_page(browsing: Browsing) -> None:
    (person_id,) = _first(
        select(CaseParty.person_id)
        .join(Case, Case.id == CaseParty.case_id)
        .where(CaseParty.role == PartyRole.VICTIM, Case.restricted.is_(False))
        .order_by(CaseParty.id)
    )
    page = browsing.page(as_user=MANAGER)
    page.goto(f"/people/{person_id}/subject-access")
    page.get_by_role("heading", name="Everything held about").wait_for()
    assert_accessible(page, browsing)
