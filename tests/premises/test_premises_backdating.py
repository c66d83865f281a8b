"""How far back an incident, a visit or a hearing may be dated: not more than
BACKDATING_DAYS before the premises record was opened (docs/premises.md)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.clock import ZONE, local_date, start_of_day, utcnow
from casework.dates import long_date
from casework.exceptions import InvalidInput
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    PremisesIncident,
    PremisesVisit,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises as service
from tests.factories import make_agency, make_premises

pytestmark = pytest.mark.calendar  # the window is counted in local days


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def premises(session):
    return make_premises(created_at=(utcnow() - timedelta(days=10)).replace(microsecond=0))


def message(premises) -> str:
    earliest = local_date(premises.created_at) - timedelta(days=31)
    return f"The date must be on or after {long_date(earliest)}, 31 days before the premises record was opened"


def first_minute(premises):
    return start_of_day(local_date(premises.created_at) - timedelta(days=31))


def record_incident(officer, premises, occurred_at):
    return service.record_incident(
        officer,
        premises.id,
        occurred_at=occurred_at,
        reporting_agency_id=make_agency().id,
        source=IncidentSource.POLICE,
        category=IncidentCategory.VIOLENCE,
        severity=IncidentSeverity.MEDIUM,
        description="",
    )


def record_visit(officer, premises, visited_at):
    return service.record_visit(
        officer, premises.id, kind=VisitKind.COMPLIANCE, result=VisitResult.PASS, visited_at=visited_at
    )


def record_hearing(officer, premises, held_on):
    return service.record_hearing(
        officer, premises.id, kind=HearingKind.REVIEW, held_on=held_on, outcome=HearingOutcome.NO_ACTION
    )


def test_an_incident_or_visit_a_minute_before_the_window_is_refused_and_its_first_minute_taken(officer, premises):
    for record, model in ((record_incident, PremisesIncident), (record_visit, PremisesVisit)):
        with pytest.raises(InvalidInput) as refused:
            record(officer, premises, first_minute(premises) - timedelta(minutes=1))
        assert refused.value.message == message(premises)
        assert count(model) == 0
        record(officer, premises, first_minute(premises))
        assert count(model) == 1


def test_a_hearing_before_the_window_is_refused(officer, premises):
    first_day = local_date(premises.created_at) - timedelta(days=31)
    with pytest.raises(InvalidInput) as refused:
        record_hearing(officer, premises, first_day - timedelta(days=1))
    assert (refused.value.message, refused.value.field) == (message(premises), "held_on")
    record_hearing(officer, premises, first_day)
    assert count(LicensingHearing) == 1


def test_the_incident_form_shows_the_earliest_date_with_its_other_problems(officer, premises, client_as):
    client = client_as(officer)
    long_ago = (utcnow() - timedelta(days=400)).astimezone(ZONE)
    response = client.post(
        f"/premises/{premises.id}/incidents/new",
        data={
            "occurred_on": [str(long_ago.day), str(long_ago.month), str(long_ago.year)],
            "occurred_time": "10:00",
            "reporting_agency_id": "",
            "source": "police",
            "category": "violence",
            "severity": "medium",
        },
    )
    assert response.status_code == 400
    assert message(premises) in response.text
    assert "Choose the agency that reported the incident" in response.text
    assert count(PremisesIncident) == 0
