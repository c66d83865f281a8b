"""Sharing a case with another agency: a PSG member of an agency working on an ordinary
case may, with a reason that is audited and shown on the case page; a restricted case
only the lead agency's chair or a manager. The action form leads here and back."""

import html
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.audit.models import AuditEvent
from casework.cases.models import CaseAgency
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user

PROBLEM = "There is a problem"
REASON = "The victim is their tenant: they will visit with us."


@pytest.fixture
def world(session, client_as):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    member = make_user(agency=council, name="Priya Member")
    case = make_case(lead_agency=council, opened_by=member, involved=[police], title="Stones at windows")
    restricted = make_case(lead_agency=council, opened_by=member, involved=[police], restricted=True)
    return SimpleNamespace(
        council=council.id,
        police=police.id,
        housing=housing.id,
        member=member.id,
        reference=case.reference,
        case_id=case.id,
        restricted=restricted.reference,
        restricted_id=restricted.id,
        client_as=client_as,
        make=lambda role, agency: make_user(role=role, agency=db.session.get(type(council), agency)),
    )


def as_user(world, user_id: int):
    return world.client_as(db.session.get(User, user_id))


def share(client, reference: str, **data):
    return client.post(f"/cases/{reference}/agencies/new", data=data)


def involved(case_id: int, agency_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CaseAgency)
        .where(CaseAgency.case_id == case_id, CaseAgency.agency_id == agency_id)
    )


def test_a_member_shares_a_case_their_agency_works_on_with_a_reason(world):
    client = as_user(world, world.member)
    form = client.get(f"/cases/{world.reference}/agencies/new").text
    assert "Share this case with another agency" in form and "Roddons Housing" in form
    response = share(client, world.reference, agency_id=str(world.housing), reason=REASON)
    assert response.status_code == 302 and response.location == f"/cases/{world.reference}"
    assert involved(world.case_id, world.housing) == 1
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "case.agency_added"))
    assert (event.actor_id, event.detail) == (world.member, {"agency_id": world.housing, "reason": REASON})
    page = client.get(response.location).text
    assert "Case shared with Roddons Housing." in page
    assert "Shared with Roddons Housing by Priya Member, " in page and REASON in page
    # The housing association's members now see it in full.
    housing_member = world.make(Role.PSG_MEMBER, world.housing)
    assert "Stones at windows" in world.client_as(housing_member).get(f"/cases/{world.reference}").text


def test_a_police_member_of_an_involved_agency_that_does_not_lead_may_share_too(world):
    officer = world.make(Role.PSG_MEMBER, world.police)
    response = share(world.client_as(officer), world.reference, agency_id=str(world.housing), reason=REASON)
    assert response.status_code == 302
    assert involved(world.case_id, world.housing) == 1


def test_every_problem_comes_back_at_once_and_nothing_is_written(world):
    client = as_user(world, world.member)
    response = share(client, world.reference, agency_id="", reason="  ")
    assert response.status_code == 400
    assert PROBLEM in response.text
    assert "Select an agency" in response.text and "Enter why the agency needs to see the case" in response.text
    response = share(client, world.reference, agency_id=str(world.police), reason="x" * 501)
    assert response.status_code == 400
    assert "This agency is already involved in the case" in response.text or "Select an agency from the list" in (
        response.text
    )
    assert "The reason must be 500 characters or fewer" in response.text
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "case.agency_added"))
        == 0
    )


def test_a_member_of_an_agency_not_involved_gets_404(world):
    outsider = world.make(Role.PSG_MEMBER, world.housing)
    response = share(world.client_as(outsider), world.reference, agency_id=str(world.housing), reason=REASON)
    assert response.status_code == 404
    assert involved(world.case_id, world.housing) == 0


@pytest.mark.parametrize("role", [Role.PARTNER, Role.LICENSING_OFFICER])
def test_roles_that_do_not_share_get_403(world, role):
    user = world.make(role, world.council)
    client = world.client_as(user)
    assert client.get(f"/cases/{world.reference}/agencies/new").status_code == 403
    assert share(client, world.reference, agency_id=str(world.housing), reason=REASON).status_code == 403
    assert involved(world.case_id, world.housing) == 0


def give_reason(client, reference: str) -> None:
    client.post(f"/cases/{reference}/access-reason", data={"reason": "works-on-case", "details": ""})


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("a member of the lead agency", False),
        ("a chair of an involved agency that does not lead", False),
        ("the lead agency's chair", True),
        ("a manager", True),
    ],
)
def test_a_restricted_case_is_shared_only_by_the_lead_agencys_chair_or_a_manager(world, who, allowed):
    user_id = {
        "a member of the lead agency": world.member,
        "a chair of an involved agency that does not lead": world.make(Role.PSG_CHAIR, world.police).id,
        "the lead agency's chair": world.make(Role.PSG_CHAIR, world.council).id,
        "a manager": world.make(Role.MANAGER, world.housing).id,
    }[who]
    client = as_user(world, user_id)
    give_reason(client, world.restricted)
    assert ("Share with another agency" in client.get(f"/cases/{world.restricted}").text) is allowed
    response = share(client, world.restricted, agency_id=str(world.housing), reason=REASON)
    assert response.status_code == (302 if allowed else 403)
    assert involved(world.restricted_id, world.housing) == int(allowed)


def test_an_address_elsewhere_is_not_followed(world):
    client = as_user(world, world.member)
    response = share(client, world.reference, agency_id=str(world.housing), reason=REASON, next="https://example.com/")
    assert response.location == f"/cases/{world.reference}"


# --- From the action form -------------------------------------------------------------


def test_the_action_form_says_why_and_leads_to_sharing_and_back(world):
    client = as_user(world, world.member)
    form_url = f"/actions/new?case={world.reference}"
    form = client.get(form_url).text
    agencies = form.split('name="assigned_agency_id"', 1)[1].split("</select>", 1)[0]
    assert "Cambridgeshire Constabulary" in agencies and "Roddons Housing" not in agencies
    assert "Only agencies involved in the case are listed" in form
    share_url = html.unescape(re.search(r'id="share-case">.*?href="([^"]+)"', form, re.S).group(1))
    assert urlsplit(share_url).path == f"/cases/{world.reference}/agencies/new"
    assert parse_qs(urlsplit(share_url).query) == {"next": [form_url]}
    assert f'value="{form_url}"' in client.get(share_url).text.replace("&amp;", "&")
    response = share(client, world.reference, agency_id=str(world.housing), reason=REASON, next=form_url)
    assert response.location == form_url
    back = client.get(form_url).text
    assert "Case shared with Roddons Housing." in back
    assert "Roddons Housing" in back.split('name="assigned_agency_id"', 1)[1].split("</select>", 1)[0]


def test_the_action_form_offers_no_sharing_to_those_who_may_not_share(world):
    licensing_officer = world.make(Role.LICENSING_OFFICER, world.council)
    form = world.client_as(licensing_officer).get(f"/actions/new?case={world.reference}").text
    assert "Only agencies involved in the case are listed" in form
    assert "Share the case with another agency" not in form
    member = as_user(world, world.member)
    give_reason(member, world.restricted)
    restricted_form = member.get(f"/actions/new?case={world.restricted}").text
    assert "Share the case with another agency" not in restricted_form
