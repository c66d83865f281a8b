"""The "Open cases nearby" table on a new referral's page: what it lists, and to whom.

It matches on the town and on the people on a case, neither of which a stub shows, so
it lists only open cases the chair sees in full."""

from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from casework import db
from casework.cases.models import CaseStatus, CaseType
from casework.clock import utcnow
from casework.permissions import Role
from casework.referrals.models import ReferralStatus
from tests.factories import add_party, make_agency, make_case, make_person, make_referral, make_user

pytestmark = pytest.mark.both_databases

NOTHING_NEARBY = "No open cases you can see are in the same town or postcode district."


class _Table(HTMLParser):
    """The rows of the table with id="nearby-cases": each cell's text, and the links."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._inside = self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id") == "nearby-cases":
            self._inside = True
        elif self._inside and tag == "tr" and "govuk-table__row" in (found.get("class") or ""):
            self.rows.append([])
        elif self._inside and tag == "td" and self.rows:
            self.rows[-1].append("")
            self._cell = True
        elif self._inside and tag == "a" and self._cell:
            self.links.append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        elif tag == "td":
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell:
            self.rows[-1][-1] += data.strip()


def nearby(page: str) -> _Table:
    table = _Table()
    table.feed(page)
    table.rows = [row for row in table.rows if row]  # the head's row has no td
    return table


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    housing = make_agency(name="Roddons Housing")
    voluntary = make_agency(name="Wisbech Community Trust")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    partner = make_user(role=Role.PARTNER, agency=voluntary, name="Pat Partner")
    housing_officer = make_user(agency=housing)
    # Someone no one knows yet, so the similar-people list (which names stubs) is empty.
    referral = make_referral(
        referrer=partner, first_name="Zed", last_name="Zachary", address="4 Mill Lane, Wisbech", postcode="pe13 2aa"
    )
    return SimpleNamespace(
        council=council,
        housing=housing,
        voluntary=voluntary,
        chair=chair,
        partner=partner,
        housing_officer=housing_officer,
        referral=referral,
    )


def test_the_chair_sees_open_cases_in_the_town_or_the_postcode_district_newest_first(client_as, world):
    now = utcnow()
    in_town = make_case(
        lead_agency=world.council, opened_by=world.chair, title="Stones at windows", opened_at=now - timedelta(days=9)
    )
    # Led by another agency, but the chair's agency is involved: seen in full.
    involved = make_case(
        lead_agency=world.housing,
        opened_by=world.housing_officer,
        involved=[world.council],
        title="Drug dealing in the stairwell",
        case_type=CaseType.PERPETRATOR,
        opened_at=now - timedelta(days=5),
    )
    by_postcode = make_case(
        lead_agency=world.council,
        opened_by=world.chair,
        title="Noise from a flat",
        town="March",
        opened_at=now - timedelta(days=1),
    )
    add_party(case=by_postcode, person=make_person(created_by=world.chair, postcode="PE13 9XX"))
    elsewhere = make_case(lead_agency=world.council, opened_by=world.chair, title="Elsewhere", town="Chatteris")
    add_party(case=elsewhere, person=make_person(created_by=world.chair, postcode="PE16 1AA"))

    page = client_as(world.chair).get(f"/referrals/{world.referral.id}").text

    table = nearby(page)
    assert table.rows == [
        [by_postcode.reference, "Noise from a flat", "Victim", "Fenland District Council", "March"],
        [involved.reference, "Drug dealing in the stairwell", "Perpetrator", "Roddons Housing", "Wisbech"],
        [in_town.reference, "Stones at windows", "Victim", "Fenland District Council", "Wisbech"],
    ]
    assert table.links == [f"/cases/{case.reference}" for case in (by_postcode, involved, in_town)]
    for case in (by_postcode, involved, in_town):
        assert f'<option value="{case.reference}">' in page  # offered for "existing case"
    assert elsewhere.reference not in page


def test_stubs_restricted_closed_and_former_neighbours_are_left_out(client_as, world):
    """Each matches the town or the postcode district, but none may be listed: a stub
    (nor a restricted one) shows neither the town nor the people, a closed case cannot
    take the referral, and someone taken off a case no longer links it."""
    stub = make_case(lead_agency=world.housing, opened_by=world.housing_officer, title="A stub to the chair")
    restricted = make_case(
        lead_agency=world.housing, opened_by=world.housing_officer, restricted=True, title="Hidden harassment"
    )
    closed = make_case(lead_agency=world.council, opened_by=world.chair, title="Closed", status=CaseStatus.CLOSED)
    stub_by_postcode = make_case(
        lead_agency=world.housing, opened_by=world.housing_officer, town="March", title="A stub in March"
    )
    add_party(case=stub_by_postcode, person=make_person(created_by=world.housing_officer, postcode="PE13 9XX"))
    former = make_case(lead_agency=world.council, opened_by=world.chair, town="March", title="Former neighbour")
    party = add_party(case=former, person=make_person(created_by=world.chair, postcode="PE13 9XX"))
    party.removed_at, party.removal_reason = utcnow(), "Moved away"
    db.session.commit()

    page = client_as(world.chair).get(f"/referrals/{world.referral.id}").text

    assert nearby(page).rows == []
    assert NOTHING_NEARBY in page
    for case in (stub, restricted, closed, stub_by_postcode, former):
        assert case.reference not in page
        assert case.title not in page


def test_no_town_and_no_whole_postcode_matches_nothing(client_as, world):
    make_case(lead_agency=world.council, opened_by=world.chair, town="Wisbech")
    referral = make_referral(
        referrer=world.partner, first_name="Zed", last_name="Zachary", address="Somewhere", postcode="PE13"
    )
    page = client_as(world.chair).get(f"/referrals/{referral.id}").text
    assert nearby(page).rows == [] and NOTHING_NEARBY in page


def test_at_most_ten_are_listed_the_newest(client_as, world):
    now = utcnow()
    cases = [
        make_case(
            lead_agency=world.council, opened_by=world.chair, title=f"Case {n}", opened_at=now - timedelta(days=n)
        )
        for n in range(1, 12)
    ]
    table = nearby(client_as(world.chair).get(f"/referrals/{world.referral.id}").text)
    assert [row[0] for row in table.rows] == [case.reference for case in cases[:10]]


@pytest.mark.parametrize("who", ["partner", "manager", "member"])
def test_only_the_chair_deciding_a_new_referral_sees_the_nearby_cases(client_as, world, who):
    case = make_case(lead_agency=world.council, opened_by=world.chair, involved=[world.voluntary], title="Nearby")
    viewer = {
        "partner": world.partner,  # the referrer, whose agency is involved in the case
        "manager": make_user(role=Role.MANAGER, agency=world.council),  # reads every referral
        "member": make_user(role=Role.PSG_MEMBER, agency=world.voluntary),  # sees its agency's referrals
    }[who]
    response = client_as(viewer).get(f"/referrals/{world.referral.id}")
    assert response.status_code == 200
    assert "Open cases nearby" not in response.text and case.reference not in response.text


@pytest.mark.parametrize("status", [ReferralStatus.ACCEPTED, ReferralStatus.DECLINED])
def test_a_decided_referral_shows_no_nearby_cases(client_as, world, status):
    case = make_case(lead_agency=world.council, opened_by=world.chair, title="Nearby")
    referral = make_referral(referrer=world.partner, first_name="Zed", status=status)
    page = client_as(world.chair).get(f"/referrals/{referral.id}").text
    assert "Open cases nearby" not in page and case.reference not in page
