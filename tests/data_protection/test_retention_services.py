"""Retention: what is past its period is anonymised, statistics stay, held cases stay."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.audit.models import AuditEvent
from casework.cases.models import AccessRequest, AccessRequestStatus, Case, CaseParty, CaseStatus, Note, PartyRole
from casework.clock import utcnow
from casework.data_protection.services import retention
from casework.data_protection.services.retention import ANONYMISED
from casework.exceptions import EditConflict, InvalidInput, InvalidTransition, NotFound, PermissionDenied
from casework.meetings.models import AgendaItem, MeetingDecision
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import ClockOutcome, RiskAssessment, RiskLevel, SlaClock
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_note,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)
from tests.support.sla_clocks import make_clock

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=365 * 7)  # closed seven years ago: past six years
RECENT = NOW - timedelta(days=365 * 2)


@pytest.fixture(autouse=True)
def _database(app, session):
    with app.app_context():  # the SLA rules read the app's configuration
        yield


def run(apply_changes: bool = True):
    return retention.run_retention(now=NOW, closed_case_years=6, declined_referral_years=1, apply_changes=apply_changes)


def closed_case(*, closed_at: datetime, legal_hold: bool = False):
    lead = make_agency()
    officer = make_user(agency=lead)
    case = make_case(
        lead_agency=lead,
        opened_by=officer,
        status=CaseStatus.CLOSED,
        opened_at=closed_at - timedelta(days=90),
        title="Vera Victim: stones at windows",
    )
    case.closed_at, case.legal_hold = closed_at, legal_hold
    case.legal_hold_reason = "Civil claim" if legal_hold else ""
    db.session.commit()
    return case, officer


def full_case(closed_at: datetime = OLD, **kwargs):
    """A closed case with a victim, a note, an action and its update, a PSG item with a
    decision, an overridden risk assessment with a stopped clock, and a referral."""
    case, officer = closed_case(closed_at=closed_at, **kwargs)
    victim = make_person(created_by=officer, first_name="Vera", last_name="Victim")
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    make_note(case=case, author=officer, body="Vera told us about her neighbour")
    action = make_action(agency=make_agency(), created_by=officer, case=case, title="Call Vera")
    action.detail = "Vera's mobile"
    db.session.add(ActionUpdate(action_id=action.id, note="Spoke to Vera", author_id=officer.id))
    meeting = make_psg_meeting(chair=officer)
    item = make_agenda_item(meeting=meeting, position=1, case=case, minutes="Vera is scared")
    db.session.add(MeetingDecision(item_id=item.id, text="Move Vera", recorded_by_id=officer.id))
    clock = make_clock(
        case=case,
        person=victim,
        started_at=closed_at - timedelta(days=30),
        outcome=ClockOutcome.STOPPED,
        stop_reason="Case closed: Vera moved away",
    )
    assessment = db.session.get(RiskAssessment, clock.started_by_assessment_id)
    assessment.override_level, assessment.override_reason = RiskLevel.HIGH, "Vera's ex is back"
    referral = make_referral(referrer=officer, first_name="Vera", last_name="Victim", status=ReferralStatus.ACCEPTED)
    referral.case_id, referral.person_id = case.id, victim.id
    db.session.commit()
    return case, victim, referral


def test_dry_run_lists_what_is_due_and_changes_nothing() -> None:
    due, victim, referral = full_case()
    held, _officer = closed_case(closed_at=OLD, legal_hold=True)
    recent, _officer = closed_case(closed_at=RECENT)

    plan, result = run(apply_changes=False)

    assert result is None
    assert [case.reference for case in plan.cases] == [due.reference]
    assert [case.reference for case in plan.held] == [held.reference]
    assert recent.reference not in {case.reference for case in plan.cases + plan.held}
    assert plan.case_referrals == [referral.id] and plan.people == [victim.id]
    db.session.expire_all()
    assert db.session.get(Case, due.id).title == "Vera Victim: stones at windows"
    assert db.session.get(Person, victim.id).first_name == "Vera"


def test_apply_anonymises_every_free_text_and_personal_column_and_keeps_statistics() -> None:
    case, victim, referral = full_case()
    before = db.session.get(Case, case.id)
    kept = (before.case_type, before.opened_at, before.closed_at, before.status, before.town)

    _plan, result = run()

    assert (result.cases, result.people, result.referrals) == (1, 1, 1)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.title, case.summary, case.anonymised_at) == ("Anonymised case", "", NOW)
    assert (case.case_type, case.opened_at, case.closed_at, case.status, case.town) == kept
    person = db.session.get(Person, victim.id)
    assert (
        person.first_name,
        person.last_name,
        person.date_of_birth,
        person.address,
        person.postcode,
        person.phone,
        person.email,
        person.vulnerabilities,
        person.anonymised_at,
    ) == ("Anonymised", "", None, "", "", "", "", "", NOW)
    assert db.session.scalars(select(Note.body).where(Note.case_id == case.id)).all() == ["Anonymised"]
    action = db.session.scalars(select(Action).where(Action.case_id == case.id)).one()
    assert (action.title, action.detail) == ("Anonymised action", "")
    assert db.session.scalars(select(ActionUpdate.note).where(ActionUpdate.action_id == action.id)).all() == [
        "Anonymised"
    ]
    item = db.session.scalars(select(AgendaItem).where(AgendaItem.case_id == case.id)).one()
    assert item.minutes == "Anonymised"
    assert db.session.scalars(select(MeetingDecision.text).where(MeetingDecision.item_id == item.id)).all() == [
        "Anonymised"
    ]
    assessment = db.session.scalars(select(RiskAssessment).where(RiskAssessment.case_id == case.id)).one()
    assert (assessment.override_reason, assessment.level, assessment.score) == ("Anonymised", RiskLevel.HIGH, 30)
    clock = db.session.scalars(select(SlaClock).where(SlaClock.case_id == case.id)).one()
    assert (clock.outcome, clock.stop_reason) == (ClockOutcome.STOPPED, "Case closed")
    referral = db.session.get(Referral, referral.id)
    assert (
        referral.first_name,
        referral.last_name,
        referral.address,
        referral.postcode,
        referral.date_of_birth,
        referral.what_is_happening,
        referral.anonymised_at,
    ) == ("Anonymised", "", "", "", None, "Anonymised", NOW)
    # The case still counts: its party and its clock remain.
    assert db.session.scalar(select(func.count()).select_from(CaseParty).where(CaseParty.case_id == case.id)) == 1


def test_requests_for_access_keep_no_words_about_an_anonymised_case() -> None:
    case, _victim, _referral = full_case()
    asker = make_user()
    db.session.add_all(
        [
            AccessRequest(case_id=case.id, user_id=asker.id, agency_id=asker.agency_id, reason="Vera is our tenant"),
            AccessRequest(
                case_id=case.id,
                user_id=asker.id,
                agency_id=asker.agency_id,
                reason="Vera again",
                status=AccessRequestStatus.DECLINED,
                decline_reason="Vera has moved",
            ),
        ]
    )
    db.session.commit()

    run()

    db.session.expire_all()
    words = db.session.execute(select(AccessRequest.reason, AccessRequest.decline_reason).order_by(AccessRequest.id))
    assert [tuple(row) for row in words] == [("Anonymised", ""), ("Anonymised", "Anonymised")]


def test_one_audit_event_per_record_with_no_personal_data() -> None:
    case, victim, referral = full_case()

    run()

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.verb.like("retention.%")).order_by(AuditEvent.id)
    ).all()
    assert sorted((event.verb, event.object_id) for event in events) == sorted(
        [
            ("retention.case_anonymised", case.id),
            ("retention.referral_anonymised", referral.id),
            ("retention.person_anonymised", victim.id),
        ]
    )
    assert all(event.actor_id is None for event in events)
    assert "Vera" not in repr([event.detail for event in events])


def test_legal_hold_keeps_the_case_and_its_people() -> None:
    case, victim, _referral = full_case(legal_hold=True)

    plan, result = run()

    assert [held.reference for held in plan.held] == [case.reference]
    assert (result.cases, result.people) == (0, 0)
    db.session.expire_all()
    assert db.session.get(Case, case.id).title == "Vera Victim: stones at windows"
    assert db.session.get(Person, victim.id).first_name == "Vera"


def test_a_person_on_a_case_still_kept_is_not_anonymised() -> None:
    old, victim, _referral = full_case()
    lead = make_agency()
    current = make_case(lead_agency=lead, opened_by=make_user(agency=lead))
    add_party(case=current, person=victim, role=PartyRole.WITNESS)

    plan, _result = run()

    assert plan.people == []
    db.session.expire_all()
    assert db.session.get(Case, old.id).anonymised_at == NOW
    assert db.session.get(Person, victim.id).first_name == "Vera"


def test_declined_referrals_past_their_period_are_anonymised() -> None:
    referrer = make_user()
    old = make_referral(referrer=referrer, status=ReferralStatus.DECLINED)
    old.decided_at, old.decline_reason = NOW - timedelta(days=400), "Ada is known to another service"
    recent = make_referral(referrer=referrer, status=ReferralStatus.DECLINED)
    recent.decided_at = NOW - timedelta(days=100)
    undecided = make_referral(referrer=referrer, received_at=NOW - timedelta(days=800))
    db.session.commit()

    plan, result = run()

    assert [due.id for due in plan.referrals] == [old.id] and result.referrals == 1
    db.session.expire_all()
    old = db.session.get(Referral, old.id)
    assert (old.first_name, old.address, old.decline_reason, old.status) == (
        "Anonymised",
        "",
        "Anonymised",
        ReferralStatus.DECLINED,
    )
    assert db.session.get(Referral, recent.id).first_name == "Ada"
    assert db.session.get(Referral, undecided.id).first_name == "Ada"


def test_an_action_from_a_decision_on_a_declined_referral_is_anonymised_with_it() -> None:
    """A PSG decision on a referral item can create an action (it records the referral,
    actions.referral_id): its words are the decision's, so it goes with the referral,
    as an action on a case goes with the case. Who owes it, when and its status stay."""
    chair = make_user(role=Role.PSG_CHAIR)
    referral = make_referral(referrer=make_user(), status=ReferralStatus.DECLINED)
    referral.decided_at, referral.decline_reason = NOW - timedelta(days=400), "Known to another service"
    meeting = make_psg_meeting(chair=chair, held_at=NOW - timedelta(days=420))
    item = make_agenda_item(meeting=meeting, position=1, referral_id=referral.id, minutes="Ada's grandson")
    decision = MeetingDecision(item_id=item.id, text="Ask the police about Ada's grandson", recorded_by_id=chair.id)
    db.session.add(decision)
    db.session.flush()
    owed_by = make_agency()
    action = make_action(agency=owed_by, created_by=chair, meeting_id=meeting.id, title="Check on Ada's grandson")
    action.detail, action.decision_id, action.referral_id = (
        "Ask the police about Ada's grandson",
        decision.id,
        referral.id,
    )
    action.status, action.completion_note = ActionStatus.DONE, "Ada's grandson moved out"
    db.session.add(ActionUpdate(action_id=action.id, note="Spoke to Ada", author_id=chair.id))
    other = make_action(agency=owed_by, created_by=chair, meeting_id=meeting.id, title="Book the room")
    db.session.commit()

    run()

    db.session.expire_all()
    stored = db.session.get(Action, action.id)
    assert (stored.title, stored.detail, stored.completion_note) == ("Anonymised action", "", ANONYMISED)
    assert (stored.assigned_agency_id, stored.status, stored.referral_id) == (
        owed_by.id,
        ActionStatus.DONE,
        referral.id,
    )
    assert db.session.scalars(select(ActionUpdate.note).where(ActionUpdate.action_id == action.id)).all() == [
        ANONYMISED
    ]
    assert db.session.get(Action, other.id).title == "Book the room"


def test_running_again_changes_nothing_more() -> None:
    full_case()
    run()
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))

    plan, result = run()

    assert (plan.cases, plan.referrals, plan.people, plan.case_referrals) == ([], [], [], [])
    assert (result.cases, result.referrals, result.people) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_periods_below_a_year_are_refused() -> None:
    with pytest.raises(InvalidInput):
        retention.run_retention(now=NOW, closed_case_years=0, declined_referral_years=1, apply_changes=True)


def test_years_before_handles_a_leap_day() -> None:
    assert retention.years_before(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)


# --- Legal holds ------------------------------------------------------------------------


def test_manager_places_and_lifts_a_hold_audited() -> None:
    case, _officer = closed_case(closed_at=utcnow())
    manager = make_user(role=Role.MANAGER)

    retention.set_legal_hold(manager, case.reference, hold=True, reason=" Civil claim ", version=case.version)
    assert (case.legal_hold, case.legal_hold_reason) == (True, "Civil claim")
    with pytest.raises(InvalidTransition):
        retention.set_legal_hold(manager, case.reference, hold=True, reason="Again", version=case.version)
    with pytest.raises(EditConflict):
        retention.set_legal_hold(manager, case.reference, hold=False, reason="Settled", version=case.version - 1)
    retention.set_legal_hold(manager, case.reference, hold=False, reason="Settled", version=case.version)
    assert (case.legal_hold, case.legal_hold_reason) == (False, "")

    verbs = db.session.execute(
        select(AuditEvent.verb, AuditEvent.detail).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    ).all()
    assert verbs == [
        ("case.legal_hold_placed", {"reason": "Civil claim"}),
        ("case.legal_hold_lifted", {"reason": "Settled"}),
    ]


def test_a_hold_needs_a_reason() -> None:
    case, _officer = closed_case(closed_at=utcnow())
    with pytest.raises(InvalidInput) as refused:
        retention.set_legal_hold(
            make_user(role=Role.ADMIN), case.reference, hold=True, reason="  ", version=case.version
        )
    assert refused.value.field == "reason"
    assert case.legal_hold is False


def test_only_managers_and_admins_place_holds() -> None:
    case, officer = closed_case(closed_at=utcnow())
    with pytest.raises(PermissionDenied):
        retention.set_legal_hold(officer, case.reference, hold=True, reason="x", version=case.version)
    with pytest.raises(NotFound):
        retention.set_legal_hold(make_user(role=Role.MANAGER), "ASB-0000-00000", hold=True, reason="x", version=1)
