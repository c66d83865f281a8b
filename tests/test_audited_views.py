"""Every page that shows a case's or a person's data writes the audit record of the view
(docs/access.md, "Administration and audit").

The routes come from the app's url_map: every GET route about one record (named in its
path, or in its query string) is opened as each role of the record's own agency that may
open it, and every page shown must have written an audit event in its own request. A new
such route fails here until it audits its views, or is named below with the reason it
shows no case or person data.
"""

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.cases.models import Case
from casework.permissions import Role
from casework.policy import may_reach
from casework.web import ACCESS_REASONS_KEY, PUBLIC_ENDPOINTS
from tests.support import routes as walk

# Pages about one record that show no case's or person's data, and why.
SHOWS_NO_CASE_OR_PERSON_DATA = {
    # Asks why before anything of a restricted case is shown (the answer is audited).
    "cases.access_reason",
    # Names its subject as a stub would (a case by its reference); the action made is audited.
    "actions.new",
    # Staff accounts and agencies: their changes are audited.
    "admin.user_edit",
    "admin.user_temporary_password",
    "admin.agency_edit",
    # The delivery plan is about the partnership's work, never a case or a person.
    "plan.detail",
    "plan.edit_action",
    "plan.record_progress",
    "plan.edit_priority",
    # A premises' forms show its name and colour (its page, with what was recorded, is audited).
    "premises.move_status",
    "premises.record_incident",
    "premises.record_visit",
    "premises.record_hearing",
    "premises.change_accreditation",
    # A meeting's own forms: its date and the agencies (its page and its items' are audited).
    "meetings.attendance",
    "meetings.finish",
    "meetings.add_item",
    "meetings.new_amendment",
}

# Who opens the pages: every role but the analyst, who has no page about a record.
WALKERS = [role for role in Role if role is not Role.ANALYST]


@pytest.fixture
def world(session):
    return walk.build_world(session)


def _about_one_record(app):
    return [
        rule
        for rule in walk.routes(app)
        if "GET" in (rule.methods or ())
        and rule.endpoint not in PUBLIC_ENDPOINTS
        and (rule.arguments or rule.endpoint in walk.QUERY_ARGUMENTS)
    ]


def _events_of(request_id: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.request_id == request_id)))


def _open(client, url):
    # The request's own id, as the app gave it (a client's X-Request-Id is not trusted).
    response = client.get(url)
    return response, response.headers["X-Request-Id"]


def test_the_exemptions_name_routes_that_exist(app):
    assert SHOWS_NO_CASE_OR_PERSON_DATA <= {rule.endpoint for rule in _about_one_record(app)}


def test_every_page_about_a_case_or_a_person_audits_each_view(app, world):
    walkers = {role: walk.client_for(app, world, role) for role in WALKERS}
    unaudited, never_shown = [], []
    for rule in _about_one_record(app):
        if rule.endpoint in SHOWS_NO_CASE_OR_PERSON_DATA:
            continue
        url = walk.url(app, rule, world.args)
        shown = 0
        for role, client in walkers.items():
            user = walk.user(world, role)
            if not may_reach(user, rule.endpoint):
                continue
            response, request_id = _open(client, url)
            if response.status_code != 200:
                continue  # a record this role may not see, or a form it may not use
            shown += 1
            if not any(event.actor_id == user.id for event in _events_of(request_id)):
                unaudited.append((rule.endpoint, role.value))
        if not shown:
            never_shown.append(rule.endpoint)
    assert not unaudited, f"pages shown without an audit record of the view: {unaudited}"
    assert not never_shown, f"pages no role could open in the walk, so not checked: {never_shown}"


def test_on_a_restricted_case_every_view_carries_the_reason_given(app, world):
    """The reason given once for a restricted case goes with the audit record of every
    page of it: its forms, the pages of the people on it and of its actions."""
    case = db.session.scalar(select(Case).where(Case.reference == world.args["reference"]))
    case.restricted = True
    db.session.commit()
    client = walk.client_for(app, world, Role.PSG_MEMBER)
    reason = {"reason": "works-on-case", "label": "I work on this case", "details": ""}
    with client.session_transaction() as cookie:
        cookie[ACCESS_REASONS_KEY] = {str(case.id): reason}
    member = walk.user(world, Role.PSG_MEMBER)
    checked, missing = 0, []
    for rule in _about_one_record(app):
        if rule.endpoint in SHOWS_NO_CASE_OR_PERSON_DATA or not may_reach(member, rule.endpoint):
            continue
        response, request_id = _open(client, walk.url(app, rule, world.args))
        about_the_case = [event for event in _events_of(request_id) if event.case_id == case.id]
        if response.status_code != 200 or not about_the_case:
            continue
        checked += 1
        if not all(event.detail.get("access_reason") == reason for event in about_the_case):
            missing.append(rule.endpoint)
    assert not missing, f"views of the restricted case recorded without the reason: {missing}"
    assert checked >= 10
