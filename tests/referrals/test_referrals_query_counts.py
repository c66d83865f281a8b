"""The referral pages send as many SQL statements for many rows as for a few."""

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from casework import db
from casework.accounts.models import User
from casework.cases.models import PartyRole
from casework.permissions import Role
from casework.referrals.models import ReferralStatus
from tests.factories import add_party, make_agency, make_case, make_person, make_referral, make_user
from tests.support.queries import DETAIL_BUDGET, LIST_BUDGET, assert_same_queries, page_queries

pytestmark = pytest.mark.both_databases

ClientAs = Callable[[User], FlaskClient]


def referral_links(page: str) -> int:
    return len(re.findall(r'href="/referrals/\d+"', page))


@pytest.mark.parametrize("role", [Role.PSG_CHAIR, Role.PARTNER])
def test_the_referral_list(app: Flask, client_as: ClientAs, role: Role) -> None:
    council, voluntary = make_agency(), make_agency()
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    partner = make_user(role=Role.PARTNER, agency=voluntary)
    viewer = chair if role is Role.PSG_CHAIR else partner
    seen_case = make_case(lead_agency=council, opened_by=chair, involved=[voluntary])
    unseen_case = make_case(lead_agency=council, opened_by=chair)

    def add_referrals(count: int) -> None:
        for number in range(count):
            referral = make_referral(referrer=partner, status=list(ReferralStatus)[number % 3])
            if referral.status is ReferralStatus.ACCEPTED:
                referral.case_id = (seen_case if number % 2 else unseen_case).id
            elif referral.status is ReferralStatus.DECLINED:
                referral.decided_by_id, referral.decline_reason = chair.id, "Not for the PSG"
            db.session.commit()

    client = client_as(viewer)
    add_referrals(5)
    few_page, few = page_queries(app, client, "/referrals")
    add_referrals(20)
    many_page, many = page_queries(app, client, "/referrals")

    assert (referral_links(few_page), referral_links(many_page)) == (5, 25)
    assert_same_queries(few, many)
    assert len(many) <= LIST_BUDGET, many


def test_the_referral_page_with_its_checks(app: Flask, client_as: ClientAs) -> None:
    council, housing = make_agency(), make_agency()
    chair = make_user(role=Role.PSG_CHAIR, agency=council)
    officer = make_user(agency=housing)
    referral = make_referral(referrer=officer)
    client = client_as(chair)

    def add_known_people(count: int) -> None:
        for _ in range(count):
            person = make_person(created_by=chair, date_of_birth=date(1980, 5, 17))  # the referred Ada Ashdown
            for lead in (council, housing):
                case = make_case(lead_agency=lead, opened_by=chair if lead is council else officer)
                add_party(case=case, person=person, role=PartyRole.VICTIM)

    add_known_people(1)
    few_page, few = page_queries(app, client, f"/referrals/{referral.id}")
    add_known_people(4)
    many_page, many = page_queries(app, client, f"/referrals/{referral.id}")

    assert (few_page.count("Limited view"), many_page.count("Limited view")) == (1, 5)
    assert_same_queries(few, many)
    assert len(many) <= DETAIL_BUDGET, many
