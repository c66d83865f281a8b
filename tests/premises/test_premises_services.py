"""The premises services called directly: moving a premises' colour, recording incidents,
visits, hearings and accreditation, and the suggested colour computed in SQL."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import today, utcnow
from casework.exceptions import EditConflict, InvalidInput, NotFound, PermissionDenied
from casework.permissions import Role
from casework.premises.models import (
    AccreditationChange,
    AccreditationField,
    HearingKind,
    HearingOutcome,
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    LicensingHearing,
    Premises,
    PremisesIncident,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises as service
from casework.premises.services.tls_rules import TlsRules
from tests.factories import make_agency, make_case, make_premises, make_user
from tests.support.queries import recorded_statements

pytestmark = pytest.mark.both_databases

RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN
RULES = TlsRules()
EDITORS = (Role.LICENSING_OFFICER, Role.ADMIN)
OTHERS = [role for role in Role if role not in EDITORS]


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def written() -> tuple[int, int]:
    """Status changes and audit events stored, to check a refusal wrote nothing."""
    return count(PremisesStatusChange), count(AuditEvent)


def incident(officer, premises, agency, *, occurred_at=None, **given) -> PremisesIncident:
    return service.record_incident(
        officer,
        premises.id,
        occurred_at=occurred_at or utcnow() - timedelta(days=2),
        reporting_agency_id=agency.id,
        source=given.get("source", IncidentSource.POLICE),
        category=given.get("category", IncidentCategory.VIOLENCE),
        severity=given.get("severity", IncidentSeverity.MEDIUM),
        description=given.get("description", "Fight outside at closing time."),
    )


def visit(officer, premises, **given) -> PremisesVisit:
    return service.record_visit(
        officer,
        premises.id,
        kind=given.get("kind", VisitKind.COMPLIANCE),
        result=given.get("result", VisitResult.PASS),
        visited_at=given.get("visited_at", utcnow() - timedelta(hours=3)),
        notes=given.get("notes", "Door staff checking ID."),
    )


def move(actor, premises, to_status, *, reason="Two assaults reported by police and ambulance", version=None, **links):
    return service.move_status(
        actor,
        premises.id,
        version=premises.version if version is None else version,
        to_status=to_status,
        reason=reason,
        **links,
    )


# --- Moving the colour ----------------------------------------------------------------


@pytest.mark.calendar
def test_a_move_records_the_change_and_an_audit_event_and_restarts_the_clock(officer, police):
    premises = make_premises(status=RED, status_since=utcnow() - timedelta(days=40))
    reported = incident(officer, premises, police)
    visited = visit(officer, premises)
    before = utcnow()

    change = move(
        officer,
        premises,
        AMBER,
        reason="  Action plan agreed  ",
        incident_ids=[reported.id, reported.id],
        visit_ids=[visited.id],
    )

    stored = db.session.scalar(select(PremisesStatusChange).where(PremisesStatusChange.premises_id == premises.id))
    assert stored is change
    assert (stored.from_status, stored.to_status, stored.reason, stored.officer_id) == (
        RED,
        AMBER,
        "Action plan agreed",
        officer.id,
    )
    assert (stored.incident_ids, stored.visit_ids) == ([reported.id], [visited.id])
    assert stored.at >= before
    db.session.refresh(premises)
    assert (premises.status, premises.status_since, premises.version) == (AMBER, stored.at, 2)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "premises.status_changed"))
    assert (event.actor_id, event.object_type, event.object_id, event.detail) == (
        officer.id,
        "premises",
        premises.id,
        {"from": "red", "to": "amber"},
    )


def test_an_admin_may_move_a_premises_too(session):
    premises = make_premises()
    move(make_user(role=Role.ADMIN), premises, RED)
    assert premises.status is RED


def test_a_move_to_the_same_colour_is_refused_with_a_message(officer):
    premises = make_premises(status=AMBER)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        move(officer, premises, AMBER)
    assert (refused.value.message, refused.value.field) == (
        "This premises is already amber: choose a different colour",
        "to_status",
    )
    assert written() == before


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_move_without_a_reason_is_refused(officer, reason):
    premises = make_premises(status=RED)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        move(officer, premises, AMBER, reason=reason)
    assert refused.value.field == "reason"
    assert written() == before
    assert premises.status is RED


def test_a_move_from_a_page_loaded_before_another_move_is_refused(officer):
    premises = make_premises(status=RED)
    loaded_version = premises.version
    move(officer, premises, AMBER, reason="Improved")
    before = written()
    with pytest.raises(EditConflict):
        move(make_user(role=Role.LICENSING_OFFICER), premises, GREEN, version=loaded_version)
    assert written() == before
    assert premises.status is AMBER


def test_a_move_racing_another_is_refused_by_the_version_column(officer, session):
    """The other officer's move lands between this one's read and its write."""
    premises = make_premises(status=RED)
    session.execute(
        sa.text("UPDATE premises SET status = 'amber', version = version + 1 WHERE id = :id"), {"id": premises.id}
    )
    session.commit()  # the other officer's move is saved; this session's copy is not refreshed
    before = written()
    with pytest.raises(EditConflict):
        move(officer, premises, GREEN)  # the submitted version matches the stale copy in memory
    session.rollback()
    assert written() == before
    assert session.scalar(select(Premises.status).where(Premises.id == premises.id)) is AMBER


@pytest.mark.parametrize("link", ["incident_ids", "visit_ids"])
def test_a_move_cannot_link_another_premises_incidents_or_visits(officer, police, link):
    premises, other = make_premises(status=RED), make_premises(status=RED)
    theirs = incident(officer, other, police) if link == "incident_ids" else visit(officer, other)
    before = written()
    with pytest.raises(InvalidInput) as refused:
        move(officer, premises, AMBER, **{link: [theirs.id]})
    assert refused.value.field == link
    with pytest.raises(InvalidInput):
        move(officer, premises, AMBER, **{link: [theirs.id + 1000]})  # one that does not exist
    assert written() == before


def test_moving_an_unknown_premises_is_not_found(officer):
    with pytest.raises(NotFound):
        service.move_status(officer, 999999, version=1, to_status=RED, reason="Reason")


# --- Only licensing officers and admins change premises data ---------------------------


def _attempts(actor, premises, agency):
    return {
        "move": lambda: move(actor, premises, RED),
        "incident": lambda: incident(actor, premises, agency),
        "visit": lambda: visit(actor, premises),
        "hearing": lambda: service.record_hearing(
            actor, premises.id, kind=HearingKind.REVIEW, held_on=today(), outcome=HearingOutcome.NO_ACTION
        ),
        "accreditation": lambda: service.change_accreditation(
            actor,
            premises.id,
            version=premises.version,
            field=AccreditationField.THUMBS_UP,
            value=True,
            reason="Met the criteria",
        ),
    }


@pytest.mark.parametrize("action", ["move", "incident", "visit", "hearing", "accreditation"])
@pytest.mark.parametrize("role", OTHERS)
def test_every_other_role_is_refused_every_change(police, role, action):
    premises = make_premises()
    actor = make_user(role=role)
    # Seeing the premises through a case of the actor's agency gives no right to change it;
    # analysts see no premises at all.
    make_case(lead_agency=actor.agency, premises=premises)
    before = written()
    with pytest.raises(NotFound if role is Role.ANALYST else PermissionDenied):
        _attempts(actor, premises, police)[action]()
    assert written() == before
    assert count(PremisesIncident) + count(PremisesVisit) + count(LicensingHearing) + count(AccreditationChange) == 0


@pytest.mark.parametrize("action", ["move", "incident", "visit", "hearing", "accreditation"])
@pytest.mark.parametrize("role", EDITORS)
def test_licensing_officers_and_admins_may_make_every_change(police, role, action):
    premises = make_premises()
    _attempts(make_user(role=role), premises, police)[action]()
    assert count(AuditEvent) == 1


def test_a_deactivated_licensing_officer_may_change_nothing(police):
    premises = make_premises()
    # A deactivated account has no permissions left, so it cannot even see the premises.
    with pytest.raises(NotFound):
        _attempts(make_user(role=Role.LICENSING_OFFICER, active=False), premises, police)["move"]()


# --- Recording ------------------------------------------------------------------------


def test_an_incident_is_stored_and_audited(officer, police):
    premises = make_premises()
    when = utcnow() - timedelta(days=1)
    recorded = incident(
        officer, premises, police, occurred_at=when, source=IncidentSource.AMBULANCE, description="  Assault  "
    )
    stored = db.session.get(PremisesIncident, recorded.id)
    assert (
        stored.premises_id,
        stored.occurred_at,
        stored.reporting_agency_id,
        stored.source,
        stored.description,
        stored.recorded_by_id,
    ) == (premises.id, when, police.id, IncidentSource.AMBULANCE, "Assault", officer.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "premises.incident_recorded"))
    assert (event.object_id, event.detail["incident_id"]) == (premises.id, recorded.id)


@pytest.mark.calendar
def test_an_incident_dated_in_the_future_is_refused(officer, police):
    premises = make_premises()
    with pytest.raises(InvalidInput) as refused:
        incident(officer, premises, police, occurred_at=utcnow() + timedelta(hours=1))
    assert refused.value.field == "occurred_on"  # the form's date field, so the message sits beside it
    assert (count(PremisesIncident), count(AuditEvent)) == (0, 0)


def test_an_incident_from_an_unknown_or_inactive_agency_is_refused(officer):
    premises = make_premises()
    closed = make_agency(active=False)
    for agency_id in (closed.id, closed.id + 1000):
        with pytest.raises(InvalidInput) as refused:
            service.record_incident(
                officer,
                premises.id,
                occurred_at=utcnow(),
                reporting_agency_id=agency_id,
                source=IncidentSource.POLICE,
                category=IncidentCategory.DRUGS,
                severity=IncidentSeverity.LOW,
                description="",
            )
        assert refused.value.field == "reporting_agency_id"
    assert (count(PremisesIncident), count(AuditEvent)) == (0, 0)


def test_a_visit_is_stored_and_a_test_purchase_needs_a_pass_or_fail(officer):
    premises = make_premises(status=AMBER)
    recorded = visit(officer, premises, kind=VisitKind.TEST_PURCHASE, result=VisitResult.FAIL)
    assert (recorded.kind, recorded.result, recorded.officer_id) == (
        VisitKind.TEST_PURCHASE,
        VisitResult.FAIL,
        officer.id,
    )
    with pytest.raises(InvalidInput):
        visit(officer, premises, kind=VisitKind.TEST_PURCHASE, result=VisitResult.NOT_APPLICABLE)
    with pytest.raises(InvalidInput):
        visit(officer, premises, visited_at=utcnow() + timedelta(days=1))
    assert count(PremisesVisit) == 1
    assert db.session.scalars(select(AuditEvent.verb)).all() == ["premises.visit_recorded"]


@pytest.mark.calendar
def test_a_hearing_is_stored_and_one_dated_ahead_is_refused(officer):
    premises = make_premises(status=RED)
    hearing = service.record_hearing(
        officer,
        premises.id,
        kind=HearingKind.HEARING,
        held_on=today() - timedelta(days=10),
        outcome=HearingOutcome.CONDITIONS_ADDED,
    )
    assert (hearing.premises_id, hearing.outcome, hearing.recorded_by_id) == (
        premises.id,
        HearingOutcome.CONDITIONS_ADDED,
        officer.id,
    )
    with pytest.raises(InvalidInput):
        service.record_hearing(
            officer,
            premises.id,
            kind=HearingKind.HEARING,
            held_on=utcnow().date() + timedelta(days=2),
            outcome=HearingOutcome.NO_ACTION,
        )
    assert count(LicensingHearing) == 1


@pytest.mark.calendar
def test_an_accreditation_change_updates_the_premises_with_a_reason(officer):
    premises = make_premises()
    service.change_accreditation(
        officer,
        premises.id,
        version=premises.version,
        field=AccreditationField.SIRCS_MEMBER,
        value=True,
        reason="Signed up",
    )
    assert premises.sircs_member and not premises.thumbs_up
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "premises.accreditation_changed"))
    assert event.detail == {"field": "sircs_member", "from": False, "to": True}
    with pytest.raises(InvalidInput):  # already a member
        service.change_accreditation(
            officer,
            premises.id,
            version=premises.version,
            field=AccreditationField.SIRCS_MEMBER,
            value=True,
            reason="Again",
        )
    with pytest.raises(InvalidInput):
        service.change_accreditation(
            officer, premises.id, version=premises.version, field=AccreditationField.THUMBS_UP, value=True, reason=" "
        )
    assert count(AccreditationChange) == 1


# --- The suggested colour -------------------------------------------------------------


@pytest.mark.calendar
def test_suggested_statuses_count_distinct_agencies_in_the_window(officer, police, app):
    ambulance = make_agency(name="East of England Ambulance Service")
    now = utcnow()
    # On the register for a year, so the incidents are not dated too far back.
    quiet, one, two, old = (make_premises(created_at=now - timedelta(days=365)) for _ in range(4))
    incident(officer, one, police)
    incident(officer, one, police, occurred_at=now - timedelta(days=90))  # the edge counts, the same agency once
    incident(officer, two, police)
    incident(officer, two, ambulance, occurred_at=now - timedelta(days=89))
    incident(officer, old, police, occurred_at=now - timedelta(days=90, seconds=1))  # just outside

    suggestions = service.suggested_statuses([quiet.id, one.id, two.id, old.id], now, RULES)

    assert {key: value.status for key, value in suggestions.items()} == {
        quiet.id: GREEN,
        one.id: AMBER,
        two.id: RED,
        old.id: GREEN,
    }
    assert suggestions[two.id].explanation == (
        "incidents in the last 90 days reported by Cambridgeshire Constabulary and "
        "East of England Ambulance Service: 2 agencies, so red"
    )
    assert service.suggested_statuses([], now, RULES) == {}


@pytest.mark.calendar
def test_suggested_statuses_for_a_page_take_the_same_queries_for_many_premises(officer, police, app):
    ambulance = make_agency(name="East of England Ambulance Service")

    def page(size):
        premises = [make_premises() for _ in range(size)]
        for number, each in enumerate(premises):
            for agency in (police, ambulance)[: number % 3]:
                incident(officer, each, agency)
        db.session.commit()  # only the suggestions' own statements are counted
        with recorded_statements(app.extensions["casework.engine"]) as statements:
            suggestions = service.suggested_statuses([each.id for each in premises], utcnow(), RULES)
        return suggestions, statements

    few, few_statements = page(3)
    many, many_statements = page(30)
    assert Counter(s.status for s in many.values()) == {GREEN: 10, AMBER: 10, RED: 10}
    assert len(few) == 3
    assert len(few_statements) == len(many_statements) == 2
    assert "GROUP BY" in many_statements[0] and "count(DISTINCT" in many_statements[0]
