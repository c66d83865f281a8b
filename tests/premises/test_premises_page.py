"""A premises' page and the forms that change premises data: moving the colour (with
its conflicts), recording incidents, visits, hearings and accreditation changes, and
that only licensing officers and admins change anything."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import local_now, utcnow
from casework.permissions import Role
from casework.premises.models import (
    AccreditationChange,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    Premises,
    PremisesIncident,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
)
from casework.premises.services import premises as premises_service
from tests.factories import make_agency, make_premises, make_user

CHANGE_MODELS = (PremisesStatusChange, PremisesIncident, PremisesVisit, LicensingHearing, AccreditationChange)


def written() -> dict[str, int]:
    """How many rows of each kind premises data and the audit log have."""
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in CHANGE_MODELS}
    counts["audit"] = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.verb.like("premises.%"))
    )
    return counts


def typed_date(name: str, day: date) -> dict[str, list[str]]:
    """A date as typed in the day, month and year boxes (which share the field's name)."""
    return {name: [str(day.day), str(day.month), str(day.year)]}


@pytest.fixture
def officer():
    return make_user(role=Role.LICENSING_OFFICER, name="Lee Officer")


@pytest.fixture
def red():
    return make_premises(name="The Red Lion", status=TlsStatus.RED, status_since=utcnow() - timedelta(days=10))


# --- The page ----------------------------------------------------------------------------


def test_page_shows_details_colour_deadlines_and_suggestion(client_as, officer, red):
    police, ambulance = make_agency(name="Constabulary"), make_agency(name="Ambulance Service")
    for agency in (police, ambulance):
        premises_service.record_incident(
            officer,
            red.id,
            occurred_at=utcnow() - timedelta(days=3),
            reporting_agency_id=agency.id,
            source=IncidentSource.POLICE,
            category=IncidentCategory.VIOLENCE,
            severity=IncidentSeverity.HIGH,
            description="Fight at closing time",
        )
    db.session.commit()
    page = client_as(officer).get(f"/premises/{red.id}").text
    assert red.licence_number in page and "Fenland Taverns Ltd" in page and "Sam Barker" in page
    assert "SIRCS member" in page and "Thumbs Up accredited" in page
    assert "govuk-tag--red" in page
    assert "Reach amber by" in page and "due in" in page
    assert "Incidents in the last 90 days reported by Ambulance Service and Constabulary: 2 agencies, so red" in page


def test_timeline_has_every_kind_newest_first(client_as, officer, red):
    police = make_agency(name="Constabulary")
    now = utcnow()
    premises_service.record_incident(
        officer,
        red.id,
        occurred_at=now - timedelta(days=5),
        reporting_agency_id=police.id,
        source=IncidentSource.POLICE,
        category=IncidentCategory.DISORDER,
        severity=IncidentSeverity.LOW,
        description="",
    )
    premises_service.record_visit(
        officer,
        red.id,
        kind=premises_service.VisitKind.COMPLIANCE,
        result=premises_service.VisitResult.NOT_APPLICABLE,
        visited_at=now - timedelta(days=4),
    )
    premises_service.record_hearing(
        officer,
        red.id,
        kind=premises_service.HearingKind.REVIEW,
        held_on=(now - timedelta(days=2)).date(),
        outcome=premises_service.HearingOutcome.CONDITIONS_ADDED,
    )
    premises_service.move_status(officer, red.id, version=red.version, to_status=TlsStatus.AMBER, reason="Improved")
    premises_service.change_accreditation(
        officer,
        red.id,
        version=red.version,
        field=premises_service.AccreditationField.THUMBS_UP,
        value=True,
        reason="Passed the assessment",
    )
    db.session.commit()
    page = client_as(officer).get(f"/premises/{red.id}").text
    titles = [
        "Thumbs Up accreditation given",
        "Moved from red to amber",
        "Licence review: conditions added",
        "Compliance visit",
        "Incident: disorder",
    ]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert page.count('class="moj-timeline__item"') == 5


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER, Role.ANALYST])
def test_roles_without_the_register_get_404_on_a_premises(client_as, red, role):
    assert client_as(make_user(role=role)).get(f"/premises/{red.id}").status_code == 404


def test_a_licensing_officer_of_any_agency_sees_every_premises(client_as, red):
    other = make_user(role=Role.LICENSING_OFFICER, agency=make_agency(name="Another council"))
    assert client_as(other).get(f"/premises/{red.id}").status_code == 200


def test_unknown_premises_is_404(client_as, officer):
    assert client_as(officer).get("/premises/999999").status_code == 404


# --- Moving the colour -----------------------------------------------------------------


def test_moving_the_colour_records_who_why_and_the_evidence(client_as, officer, red):
    police = make_agency(name="Constabulary")
    incident = premises_service.record_incident(
        officer,
        red.id,
        occurred_at=utcnow() - timedelta(days=3),
        reporting_agency_id=police.id,
        source=IncidentSource.POLICE,
        category=IncidentCategory.VIOLENCE,
        severity=IncidentSeverity.HIGH,
        description="",
    )
    db.session.commit()
    client = client_as(officer)
    form = client.get(f"/premises/{red.id}/status").text
    assert "Violence reported by Constabulary" in form
    response = client.post(
        f"/premises/{red.id}/status",
        data={"to_status": "amber", "reason": "New management", "incident_ids": [str(incident.id)], "version": "1"},
    )
    assert response.status_code == 302 and response.location == f"/premises/{red.id}"
    change = db.session.scalars(select(PremisesStatusChange)).one()
    assert (change.from_status, change.to_status, change.reason) == (TlsStatus.RED, TlsStatus.AMBER, "New management")
    assert change.officer_id == officer.id and change.incident_ids == [incident.id]
    assert db.session.get(Premises, red.id).status is TlsStatus.AMBER
    assert db.session.scalars(select(AuditEvent.verb).where(AuditEvent.verb == "premises.status_changed")).one()
    assert "The Red Lion is now amber" in client.get(f"/premises/{red.id}").text


def test_a_stale_move_is_a_conflict_that_keeps_the_reason(client_as, officer, red):
    premises_service.move_status(officer, red.id, version=1, to_status=TlsStatus.AMBER, reason="First")
    db.session.commit()
    before = written()
    response = client_as(officer).post(
        f"/premises/{red.id}/status", data={"to_status": "green", "reason": "My careful reason", "version": "1"}
    )
    assert response.status_code == 409
    assert "Someone else changed this premises" in response.text
    assert "My careful reason" in response.text
    assert "The premises is now <strong>amber</strong>" in response.text
    assert written() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_status": "red", "reason": "Still bad"}, "This premises is already red"),
        ({"to_status": "amber", "reason": "  "}, "Give the reason for the move"),
        ({"reason": "No colour"}, "Select the new colour"),
    ],
)
def test_bad_moves_are_refused_with_field_errors(client_as, officer, red, data, message):
    before = written()
    response = client_as(officer).post(f"/premises/{red.id}/status", data={**data, "version": "1"})
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert written() == before
    assert db.session.get(Premises, red.id).status is TlsStatus.RED


# --- Recording --------------------------------------------------------------------------


def incident_data(agency_id: int, **changes: str) -> dict[str, object]:
    yesterday = local_now().date() - timedelta(days=1)
    return {
        **typed_date("occurred_on", yesterday),
        "occurred_time": "11:45pm",
        "reporting_agency_id": str(agency_id),
        "source": "ambulance",
        "category": "violence",
        "severity": "high",
        "description": "Glassing outside",
        **changes,
    }


def test_recording_an_incident(client_as, officer, red):
    agency = make_agency(name="Ambulance Service")
    response = client_as(officer).post(f"/premises/{red.id}/incidents/new", data=incident_data(agency.id))
    assert response.status_code == 302
    incident = db.session.scalars(select(PremisesIncident)).one()
    assert incident.reporting_agency_id == agency.id and incident.description == "Glassing outside"
    assert incident.occurred_at.astimezone(local_now().tzinfo).strftime("%H:%M") == "23:45"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"occurred_time": "bogus"}, "Enter a time like 14:30"),
        ({"reporting_agency_id": "999999"}, "Choose the agency that reported the incident"),
    ],
)
def test_bad_incidents_keep_what_was_typed(client_as, officer, red, changes, message):
    agency = make_agency(name="Ambulance Service")
    before = written()
    response = client_as(officer).post(f"/premises/{red.id}/incidents/new", data=incident_data(agency.id, **changes))
    assert response.status_code == 400
    assert "There is a problem" in response.text and message in response.text
    assert "Glassing outside" in response.text
    assert written() == before


def test_an_incident_in_the_future_is_refused(client_as, officer, red):
    agency = make_agency(name="Ambulance Service")
    tomorrow = local_now().date() + timedelta(days=1)
    before = written()
    response = client_as(officer).post(
        f"/premises/{red.id}/incidents/new", data=incident_data(agency.id, **typed_date("occurred_on", tomorrow))
    )
    assert "must not be in the future" in response.text
    assert written() == before


def test_recording_a_visit_and_a_failed_test_purchase_needs_a_result(client_as, officer, red):
    client = client_as(officer)
    data = {**typed_date("visited_on", local_now().date() - timedelta(days=1)), "visited_time": "14:30"}
    before = written()
    refused = client.post(
        f"/premises/{red.id}/visits/new",
        data={**data, "kind": "test_purchase", "result": "not_applicable", "notes": "Sold to a 16 year old"},
    )
    assert "passed or failed the test purchase" in refused.text and "Sold to a 16 year old" in refused.text
    assert written() == before
    saved = client.post(f"/premises/{red.id}/visits/new", data={**data, "kind": "test_purchase", "result": "fail"})
    assert saved.status_code == 302
    assert db.session.scalars(select(PremisesVisit.result)).one().value == "fail"


def test_recording_a_hearing_and_refusing_one_in_the_future(client_as, officer, red):
    client = client_as(officer)
    before = written()
    future = client.post(
        f"/premises/{red.id}/hearings/new",
        data={
            "kind": "hearing",
            **typed_date("held_on", local_now().date() + timedelta(days=3)),
            "outcome": "suspension",
            "notes": "Panel of three",
        },
    )
    assert "must not be in the future" in future.text and "Panel of three" in future.text
    assert written() == before
    saved = client.post(
        f"/premises/{red.id}/hearings/new",
        data={"kind": "hearing", **typed_date("held_on", local_now().date()), "outcome": "suspension"},
    )
    assert saved.status_code == 302
    assert db.session.scalars(select(LicensingHearing.outcome)).one().value == "suspension"


def test_changing_accreditation_and_a_stale_change(client_as, officer, red):
    client = client_as(officer)
    before = written()
    unchanged = client.post(
        f"/premises/{red.id}/accreditation", data={"field": "thumbs_up", "value": "no", "reason": "x", "version": "1"}
    )
    assert "does not have Thumbs Up accreditation" in unchanged.text
    stale = client.post(
        f"/premises/{red.id}/accreditation",
        data={"field": "thumbs_up", "value": "yes", "reason": "Kept", "version": "0"},
    )
    assert stale.status_code == 409 and "Kept" in stale.text
    assert written() == before
    saved = client.post(
        f"/premises/{red.id}/accreditation",
        data={"field": "sircs_member", "value": "yes", "reason": "Joined", "version": "1"},
    )
    assert saved.status_code == 302
    assert db.session.get(Premises, red.id).sircs_member is True


# --- Only licensing officers and admins change premises data -------------------------------


def _post_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("premises.") and "POST" in rule.methods
    )


def _good_data(endpoint: str, premises_id: int, agency_id: int) -> dict[str, object]:
    """What a licensing officer would send to each form, all valid."""
    version = str(db.session.scalar(select(Premises.version).where(Premises.id == premises_id)))
    today = local_now().date()
    return {
        "premises.move_status": {"to_status": "amber", "reason": "Because", "version": version},
        "premises.record_incident": incident_data(agency_id),
        "premises.record_visit": {
            **typed_date("visited_on", today - timedelta(days=1)),
            "visited_time": "10:00",
            "kind": "compliance",
            "result": "not_applicable",
        },
        "premises.record_hearing": {"kind": "review", **typed_date("held_on", today), "outcome": "no_action"},
        "premises.change_accreditation": {"field": "thumbs_up", "value": "yes", "reason": "Passed", "version": version},
    }[endpoint]


@pytest.mark.parametrize("role", list(Role))
def test_only_licensing_officers_and_admins_change_premises_data(app, client_as, red, role):
    routes = _post_routes(app)
    assert len(routes) == 5
    agency = make_agency(name="Constabulary")
    client = client_as(make_user(role=role))
    before = written()
    for endpoint, rule in routes:
        url = rule.replace("<int:premises_id>", str(red.id))
        response = client.post(url, data=_good_data(endpoint, red.id, agency.id))
        if role in (Role.LICENSING_OFFICER, Role.ADMIN):
            assert response.status_code == 302, (rule, response.status_code)
        elif role in (Role.MANAGER, Role.PSG_CHAIR):
            assert response.status_code == 403, rule
        else:
            assert response.status_code == 404, rule
    if role in (Role.LICENSING_OFFICER, Role.ADMIN):
        assert written()["audit"] == before["audit"] + 5
    else:
        assert written() == before


# --- Every problem at once ----------------------------------------------------------------


def test_a_move_shows_the_services_refusal_with_the_fields_errors(client_as, officer, red):
    before = written()
    response = client_as(officer).post(
        f"/premises/{red.id}/status", data={"to_status": "red", "reason": "R" * 2001, "version": "1"}
    )
    assert response.status_code == 400
    assert "This premises is already red" in response.text  # the service's rule
    assert "The reason must be 2000 characters or fewer" in response.text  # the field's check
    assert written() == before


def test_an_incident_shows_a_future_date_with_a_missing_severity(client_as, officer, red):
    agency = make_agency(name="Ambulance Service")
    tomorrow = local_now().date() + timedelta(days=1)
    data = incident_data(agency.id, **typed_date("occurred_on", tomorrow))
    del data["severity"]
    before = written()
    response = client_as(officer).post(f"/premises/{red.id}/incidents/new", data=data)
    assert response.status_code == 400
    assert "The date and time of the incident must not be in the future" in response.text
    assert "Select the severity" in response.text
    assert written() == before


def test_a_visit_shows_a_test_purchase_without_a_result_with_notes_too_long(client_as, officer, red):
    yesterday = local_now().date() - timedelta(days=1)
    data = {
        **typed_date("visited_on", yesterday),
        "visited_time": "14:00",
        "kind": "test_purchase",
        "result": "not_applicable",
        "notes": "N" * 5001,
    }
    before = written()
    response = client_as(officer).post(f"/premises/{red.id}/visits/new", data=data)
    assert response.status_code == 400
    assert "Say whether the premises passed or failed the test purchase" in response.text
    assert "The notes must be 5000 characters or fewer" in response.text
    assert written() == before
