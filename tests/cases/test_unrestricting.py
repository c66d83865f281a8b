"""Lifting a case's restriction shows its subject's name to every chair and member in the
partnership: only the lead agency's chair or a manager may, with a reason, audited as
``case.unrestricted``. Restricting stays open to whoever may edit the case."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.cases.services import commands
from casework.exceptions import PermissionDenied
from casework.permissions import Role
from tests.factories import make_agency, make_case, make_user
from tests.support.cases import edit_form

WHO = "Only the lead agency&#39;s PSG chair or a community safety manager can lift the restriction."


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council, name="Mo Member")
    case = make_case(lead_agency=council, opened_by=member, involved=[police], restricted=True)
    return SimpleNamespace(
        case=case,
        member=member,
        lead_chair=make_user(role=Role.PSG_CHAIR, agency=council),
        other_chair=make_user(role=Role.PSG_CHAIR, agency=police),  # involved, but not the lead agency
        manager=make_user(role=Role.MANAGER, agency=make_agency(name="Fenland Community Safety")),
    )


def signed_in(client_as, user, case):
    """A client that has given its reason for opening the restricted case."""
    client = client_as(user)
    response = client.post(f"/cases/{case.reference}/access-reason", data={"reason": "works-on-case"})
    assert response.status_code == 302
    return client


def unrestricted_events(case):
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.verb == "case.unrestricted", AuditEvent.case_id == case.id)
        )
    )


def lifting(case, **changes):
    form = edit_form(case, **changes)
    form.pop("restricted")
    return form


@pytest.mark.parametrize("who", ["member", "other_chair"])
def test_others_see_the_restriction_read_only_with_who_may_lift_it(client_as, world, who):
    page = signed_in(client_as, getattr(world, who), world.case).get(f"/cases/{world.case.reference}/edit")
    assert page.status_code == 200
    [box] = re.findall(r'<input [^>]*name="restricted"[^>]*>', page.text)
    assert " checked" in box and " disabled" in box
    assert WHO in page.text
    assert 'name="lift_reason"' not in page.text


@pytest.mark.parametrize("who", ["member", "other_chair"])
def test_others_cannot_lift_it_and_their_other_changes_are_saved(client_as, world, who):
    client = signed_in(client_as, getattr(world, who), world.case)
    response = client.post(
        f"/cases/{world.case.reference}/edit", data=lifting(world.case, title="New title", lift_reason="Not needed")
    )
    assert response.status_code == 302
    case = db.session.get(Case, world.case.id)
    assert case.title == "New title" and case.restricted
    assert unrestricted_events(case) == []


def test_the_service_refuses_anyone_else_who_tries(world):
    with pytest.raises(PermissionDenied):
        commands.edit_case(
            world.member,
            world.case.reference,
            version=world.case.version,
            **{name: getattr(world.case, name) for name in ("case_type", "title", "summary", "district", "town")},
            ward=world.case.ward,
            restricted=False,
            lead_officer_id=world.case.lead_officer_id,
            lift_reason="Asked to",
        )
    assert db.session.get(Case, world.case.id).restricted


@pytest.mark.parametrize("who", ["lead_chair", "manager"])
def test_the_lead_agency_s_chair_or_a_manager_lifts_it_with_a_reason_audited(client_as, world, who):
    user = getattr(world, who)
    client = signed_in(client_as, user, world.case)
    page = client.get(f"/cases/{world.case.reference}/edit").text
    assert 'name="lift_reason"' in page and WHO not in page
    response = client.post(
        f"/cases/{world.case.reference}/edit", data=lifting(world.case, lift_reason="The risk has passed")
    )
    assert response.status_code == 302
    assert not db.session.get(Case, world.case.id).restricted
    [event] = unrestricted_events(world.case)
    assert (event.actor_id, event.detail) == (user.id, {"reason": "The risk has passed"})


def test_lifting_it_needs_a_reason_shown_with_the_form_s_other_errors(client_as, world):
    client = signed_in(client_as, world.lead_chair, world.case)
    response = client.post(
        f"/cases/{world.case.reference}/edit", data=lifting(world.case, title="", lift_reason="  ", town="Chatteris")
    )
    assert response.status_code == 400
    assert "Enter why you are lifting the restriction" in response.text
    assert "Enter a title" in response.text
    assert 'value="Chatteris"' in response.text  # what was typed is kept
    case = db.session.get(Case, world.case.id)
    assert case.restricted and case.town == "Wisbech"
    assert unrestricted_events(case) == []


def test_restricting_stays_open_to_whoever_may_edit(client_as, world):
    case = make_case(lead_agency=world.member.agency, opened_by=world.member)
    response = client_as(world.member).post(f"/cases/{case.reference}/edit", data=edit_form(case, restricted="y"))
    assert response.status_code == 302
    assert db.session.get(Case, case.id).restricted
