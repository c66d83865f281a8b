"""Structural guards over every route: signed-out visitors reach nothing but the public
list, URLs are kebab-case, and every page about one record answers 404 to a user of
another agency."""

import re
from datetime import timedelta

import pytest
from flask import url_for

from casework import db
from casework.cases.services.commands import request_access
from casework.clock import utcnow
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from casework.policy import may_reach
from casework.victims.services.conferences import record_conference
from casework.web import PUBLIC_ENDPOINTS
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_case,
    make_person,
    make_plan_action,
    make_premises,
    make_priority,
    make_referral,
    make_user,
)
from tests.support.routes import QUERY_ARGUMENTS
from tests.support.routes import url as route_url

pytestmark = pytest.mark.both_databases

SEGMENT = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*|<[a-z_:]+>)$")


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def test_public_endpoints_are_exactly_the_listed_ones(app):
    assert PUBLIC_ENDPOINTS == {
        "auth.sign_in",
        "auth.two_factor",
        "auth.two_factor_setup",
        "auth.forgotten_password",
        "auth.reset_password",
        "health.healthz",
        "static",
    }
    assert PUBLIC_ENDPOINTS <= {rule.endpoint for rule in app.url_map.iter_rules()}


def test_signed_out_visitors_are_sent_to_sign_in_from_every_other_route(app, client):
    for rule in _rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (rule.endpoint, method)
            assert response.location.startswith("/sign-in?next="), (rule.endpoint, method)


def test_urls_are_kebab_case(app):
    for rule in _rules(app):
        segments = [segment for segment in rule.rule.split("/") if segment]
        assert all(SEGMENT.match(segment) for segment in segments), rule.rule


def test_state_changing_routes_never_accept_get_alone(app):
    """Every POST route either has no GET or shows a form on GET (checked by name)."""
    post_only = {rule.endpoint for rule in _rules(app) if "POST" in rule.methods and "GET" not in rule.methods}
    assert {"auth.sign_out", "cases.add_note", "people.add_existing"} <= post_only


@pytest.fixture
def other_agency_records(session):
    """A case, its person, a user and an agency, all belonging to agency A."""
    home = make_agency(name="Agency A")
    owner = make_user(agency=home)
    case = make_case(lead_agency=home, opened_by=owner, restricted=True)
    person = make_person(created_by=owner)
    party = add_party(case=case, person=person)
    # Premises belong to the partnership, not to agency A: see the exemption below. The
    # restricted case is about it, which must not open it to other agencies' members.
    premises = make_premises()
    make_case(lead_agency=home, opened_by=owner, restricted=True, premises=premises)
    # An action agency A owes on its restricted case, and its case conference (which is
    # not a PSG meeting, so the meeting pages do not show it to anyone).
    action = make_action(agency=home, created_by=owner, case=case)
    conference = record_conference(
        owner, case.reference, held_at=utcnow() - timedelta(hours=1), present=[home.id], apologies=[], outcome="Plan"
    )
    db.session.commit()
    # Agency A's referral: referrals are seen by the referring agency and by chairs.
    referral = make_referral(referrer=owner)
    # A request for access to agency A's case, decided by agency A's chairs and managers.
    asked = request_access(make_user(agency=make_agency(name="Agency C")), case.reference, reason="Our tenant")
    # The delivery plan is the partnership's: see the exemption below.
    priority = make_priority(number=9)
    plan_action = make_plan_action(priority=priority, ref="9.1.1", lead_agency=home)
    return {
        "reference": case.reference,
        "person_id": person.id,
        "user_id": owner.id,
        "agency_id": home.id,
        "party_id": party.id,
        "premises_id": premises.id,
        "action_id": action.id,
        "meeting_id": conference.id,
        "item_id": 1,
        "section": "high-risk",
        "referral_id": referral.id,
        "request_id": asked.id,
        "priority_id": priority.id,
        "plan_action_id": plan_action.id,
        "notification_id": _failed_notification(owner),
    }


def _failed_notification(user) -> int:
    row = Notification(user_id=user.id, kind=NotificationKind.ACTION_ASSIGNED, link="/actions", status="failed")
    db.session.add(row)
    db.session.commit()
    return row.id


OUTSIDERS = (Role.PSG_MEMBER, Role.PSG_CHAIR, Role.LICENSING_OFFICER, Role.PARTNER, Role.ANALYST)
_STUB_READERS = frozenset({Role.PSG_MEMBER, Role.PSG_CHAIR})
_REGISTER = frozenset({Role.PSG_CHAIR, Role.LICENSING_OFFICER})

# Pages about agency A's records that users of other agencies may still open, by design
# (docs/access.md), by endpoint and role. Every other page about a record answers 404.
SEEN_ACROSS_AGENCIES: dict[str, frozenset[Role]] = {
    # A restricted case's stub is shown to PSG members and chairs (reference and lead
    # agency only), and access is asked for from it.
    "cases.detail": _STUB_READERS,
    "cases.request_access": _STUB_READERS,
    # Premises are partnership-wide: every chair and licensing officer sees them (chairs
    # are then refused the changes with 403, which names nothing).
    "premises.detail": _REGISTER,
    "premises.timeline": _REGISTER,
    "premises.move_status": _REGISTER,
    "premises.record_incident": _REGISTER,
    "premises.record_visit": _REGISTER,
    "premises.record_hearing": _REGISTER,
    "premises.change_accreditation": _REGISTER,
    # The delivery plan is the partnership's, not an agency's.
    "plan.detail": frozenset(OUTSIDERS),
    "plan.edit_priority": frozenset(OUTSIDERS),
    "plan.edit_action": frozenset(OUTSIDERS),
    "plan.record_progress": frozenset(OUTSIDERS),
    # Chairs decide every agency's referrals.
    "referrals.detail": frozenset({Role.PSG_CHAIR}),
    "referrals.accept": frozenset({Role.PSG_CHAIR}),
    "referrals.decline": frozenset({Role.PSG_CHAIR}),
}


def _about_one_record(app):
    """Every route about one record: named in its path, or in its query string."""
    return [
        rule
        for rule in _rules(app)
        if rule.endpoint not in PUBLIC_ENDPOINTS and (rule.arguments or rule.endpoint in QUERY_ARGUMENTS)
    ]


def test_the_exemptions_name_routes_that_exist(app):
    assert SEEN_ACROSS_AGENCIES.keys() <= {rule.endpoint for rule in _about_one_record(app)}


@pytest.mark.parametrize("role", OUTSIDERS)
def test_records_of_another_agency_answer_404_on_every_route(app, client_as, other_agency_records, role):
    outsider = make_user(role=role, agency=make_agency(name="Agency B"))
    client = client_as(outsider)
    checked = 0
    for rule in _about_one_record(app):
        # A new kind of record must be added to the fixture, or this fails here.
        url = route_url(app, rule, other_agency_records)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code != 500, (rule.endpoint, method)
            if role in SEEN_ACROSS_AGENCIES.get(rule.endpoint, ()):
                assert "Noise and threats from a neighbour" not in response.text, (rule.endpoint, method)
                continue
            expected = 404 if rule.arguments or may_reach(outsider, rule.endpoint) else 403
            assert response.status_code == expected, (rule.endpoint, method, response.status_code)
            checked += 1
    assert checked > 15
