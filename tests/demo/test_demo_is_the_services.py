"""The demo shows what the services produce: its premises' colours, deadlines and
suggestions, read back through the pages a user opens, are the stories the demo tells.

Each check reads the demo through the service a page calls, at the demo's own now, and
compares it with what the demo set out to show (casework.demo's tables)."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.agencies.models import Agency
from casework.audit.models import AuditEvent
from casework.cases.models import (
    AccessRequest,
    AccessRequestStatus,
    Case,
    CaseAgency,
    CaseReferenceCounter,
    Note,
    NoteKind,
)
from casework.cases.services import access_requests
from casework.clock import add_days, add_months
from casework.demo.plan import PLAN
from casework.demo.premises import PREMISES, REGISTER_AGE
from casework.meetings.models import AgendaItem, Meeting, MeetingKind
from casework.meetings.services import agenda
from casework.meetings.services.commands import ADDED_BY_CHAIR
from casework.plan.models import PlanAction, PlanActionStatus, PlanUpdate
from casework.plan.services import exception_report, ref_key
from casework.premises.models import Premises, PremisesStatusChange, TlsStatus
from casework.premises.services import premises_pages
from casework.premises.services.premises import suggested_statuses
from casework.premises.services.tls_rules import DeadlineKind, TlsRules
from casework.rag import Rag
from casework.referrals.models import Referral, ReferralStatus
from casework.victims.models import RiskAssessment, SlaClock
from casework.victims.services import sla


@pytest.fixture
def demo_now(demo):
    return demo()


def user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_each_premises_is_the_colour_the_demo_gives_it_and_its_moves_explain_it(demo_now):
    licensing = user("licensing@demo.test")
    for name, _kind, _town, _cluster, colour, days, *_ in PREMISES:
        premises = db.session.scalar(select(Premises).where(Premises.name == name))
        assert premises.status is colour, name
        moves = list(
            db.session.scalars(
                select(PremisesStatusChange)
                .where(PremisesStatusChange.premises_id == premises.id)
                .order_by(PremisesStatusChange.at)
            )
        )
        expected = {
            TlsStatus.GREEN: [],
            TlsStatus.AMBER: [TlsStatus.AMBER],
            TlsStatus.RED: [TlsStatus.AMBER, TlsStatus.RED],
        }
        assert [m.to_status for m in moves] == expected[colour], name
        assert all(m.officer_id == licensing.id for m in moves)
        # The colour was entered by the last move, or on the register's import when green.
        entered = moves[-1].at if moves else demo_now - REGISTER_AGE
        assert premises.status_since == entered, name
        if moves:
            assert timedelta(days=days) <= demo_now - entered <= timedelta(days=days, hours=9), name


def test_deadlines_on_the_premises_page_follow_the_rules_from_the_day_the_colour_was_entered(demo_now):
    rules, manager = TlsRules(), user("manager@demo.test")
    eel = db.session.scalar(select(Premises).where(Premises.name == "The Drowned Eel"))
    page = premises_pages.premises_page(manager, eel.id, now=demo_now, rules=rules)
    [reach_amber] = page.deadlines
    assert reach_amber.kind is DeadlineKind.REACH_AMBER
    assert reach_amber.due_at == add_months(eel.status_since, rules.red_to_amber_months)
    assert reach_amber.overdue(demo_now)

    tiger = db.session.scalar(select(Premises).where(Premises.name == "The Fen Tiger"))
    page = premises_pages.premises_page(manager, tiger.id, now=demo_now, rules=rules)
    deadlines = {d.kind: d for d in page.deadlines}
    visit = deadlines[DeadlineKind.AMBER_VISIT]
    assert visit.due_at == add_days(tiger.status_since, rules.amber_visit_days)
    assert not visit.met and demo_now < visit.due_at < demo_now + timedelta(days=4)


def test_suggested_colours_are_the_services_red_for_red_and_amber_for_two_greens(demo_now):
    rules = TlsRules()
    premises = {p.name: p for p in db.session.scalars(select(Premises))}
    suggestions = suggested_statuses([p.id for p in premises.values()], demo_now, rules)
    for name, *_rest in PREMISES:
        page = premises_pages.premises_page(user("manager@demo.test"), premises[name].id, now=demo_now, rules=rules)
        assert page.suggestion == suggestions[premises[name].id], name
    differs = sorted(name for name, p in premises.items() if suggestions[p.id].status is not p.status)
    reds = [name for name, p in premises.items() if p.status is TlsStatus.RED]
    assert all(suggestions[premises[name].id].status is TlsStatus.RED for name in reds)
    assert {"The Crooked Spire", "Bassenhally Off Licence"} <= set(differs)
    assert all(
        suggestions[premises[name].id].status is TlsStatus.AMBER
        for name in ("The Crooked Spire", "Bassenhally Off Licence")
    )


def test_referral_decisions_are_the_services(demo_now):
    """Each decided referral was decided by the chair through the service: its audit
    event, the referring agency on the case and the referral's account on its timeline."""
    chair = user("chair@demo.test")
    decided = list(db.session.scalars(select(Referral).where(Referral.status != ReferralStatus.NEW)))
    assert {r.status for r in decided} == {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}
    verbs = {
        event.object_id: event.verb
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.verb.like("referral.%")))
        if event.verb != "referral.made"
    }
    for referral in decided:
        assert referral.decided_by_id == chair.id and referral.received_at < referral.decided_at < demo_now
        assert verbs[referral.id] == f"referral.{referral.status.value}"
        if referral.status is ReferralStatus.DECLINED:
            assert referral.case_id is None and referral.decline_reason
            continue
        involved = db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == referral.case_id))
        assert referral.referring_agency_id in set(involved)
        note = db.session.scalar(
            select(Note).where(Note.case_id == referral.case_id, Note.created_at == referral.decided_at)
        )
        assert note.kind is NoteKind.DECISION and note.author_id == chair.id
        agency, referrer = (
            db.session.get(Agency, referral.referring_agency_id),
            db.session.get(User, referral.referrer_id),
        )
        assert note.body.startswith(f"Referral from {agency.name} ({referrer.name}) accepted by {chair.name}.")
        assert f"What is happening: {referral.what_is_happening}" in note.body


def test_sla_clocks_are_what_the_sla_rules_give_for_the_recorded_assessments(demo_now):
    """Working the clocks out again from what was recorded changes nothing, and every
    assessment and conference went through its service (each has its audit event)."""

    def clocks() -> list[tuple]:
        return sorted(
            (c.case_id, c.person_id, c.kind, c.started_at, c.due_at, c.outcome, c.met_at, c.stopped_at)
            for c in db.session.scalars(select(SlaClock))
        )

    stored = clocks()
    assert len(stored) >= 40
    for case_id, person_id in {(row[0], row[1]) for row in stored}:
        sla.recompute(case_id, person_id)
    db.session.flush()
    assert clocks() == stored

    audited = Counter(db.session.scalars(select(AuditEvent.verb)))
    assert audited["risk.assessed"] == db.session.scalar(select(func.count()).select_from(RiskAssessment))
    conferences = select(func.count()).select_from(Meeting).where(Meeting.kind == MeetingKind.CASE_CONFERENCE)
    assert audited["conference.recorded"] == db.session.scalar(conferences)


def test_actions_and_their_progress_went_through_the_action_services(demo_now):
    """Each action was created, and each update written, by the service a user's form
    calls: one audit event each, by the creator or the author, at the moment recorded."""
    events = {
        (event.verb, event.object_id, event.at): event.actor_id
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "action"))
    }
    actions = list(db.session.scalars(select(Action)))
    assert len(actions) >= 20
    for action in actions:
        assert events[("action.created", action.id, action.created_at)] == action.created_by_id, action.title
    updates = list(db.session.scalars(select(ActionUpdate)))
    assert len(updates) >= 15
    for update in updates:
        assert events[("action.updated", update.action_id, update.at)] == update.author_id
    done = [a for a in actions if a.status is ActionStatus.DONE]
    assert done and all(
        a.completed_at == max(u.at for u in updates if u.action_id == a.id)
        and a.completion_note == max((u for u in updates if u.action_id == a.id), key=lambda u: u.at).note
        for a in done
    )


def test_the_agendas_are_the_generators(app, demo_now):
    """The next meeting's agenda is what the generator picks from the demo's casebook now;
    the last one was generated by the chair before the meeting, with the generator's reasons."""
    chair = user("chair@demo.test")
    past, upcoming = db.session.scalars(
        select(Meeting).where(Meeting.kind == MeetingKind.PSG_MEETING).order_by(Meeting.held_at)
    ).all()

    def agenda_of(meeting: Meeting) -> list[tuple[int | None, int | None, str, list[str]]]:
        return [
            (item.case_id, item.referral_id, item.topic, item.reasons)
            for item in db.session.scalars(
                select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
            )
        ]

    picked = agenda.pick(upcoming, demo_now, limit=app.config["AGENDA_SECTION_LIMIT"])
    assert agenda_of(upcoming) == [(None, r, "", [reason]) for r, reason in picked.referrals] + [
        (case.case_id, None, "", case.reasons) for case in picked.cases
    ]
    reasons = {reason for *_, item_reasons in agenda_of(upcoming) for reason in item_reasons}
    assert {agenda.NEW_REFERRAL, agenda.HIGH_RISK, agenda.FLAGGED} <= reasons
    assert any(reason.startswith("Overdue SLA clock: ") for reason in reasons)
    assert any(reason.startswith("New referral, accepted ") for reason in reasons)

    generated = {
        event.object_id: (event.actor_id, event.at)
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "meeting.agenda_generated"))
    }
    assert generated[past.id] == (chair.id, past.agenda_generated_at)
    assert past.agenda_generated_at < past.held_at
    items = agenda_of(past)
    assert items[-1][2:] == ("Information sharing agreement", [ADDED_BY_CHAIR])
    assert {reason for *_, item_reasons in items[:-1] for reason in item_reasons} == {
        agenda.NEW_REFERRAL,
        agenda.HIGH_RISK,
        agenda.FLAGGED,
    }
    # Every referral on it was decided at the meeting, through the referral service.
    for _case, referral_id, *_ in items:
        if referral_id is not None:
            referral = db.session.get(Referral, referral_id)
            assert referral.status is not ReferralStatus.NEW and past.held_at <= referral.decided_at


def test_the_delivery_plan_was_written_and_updated_through_the_plan_services(demo_now):
    manager = user("manager@demo.test")
    updates = list(db.session.scalars(select(PlanUpdate)))
    progress_audits = Counter(
        (event.object_id, event.detail["quarter"], event.at, event.actor_id)
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.progress_updated"))
    )
    assert progress_audits == Counter((u.plan_action_id, u.quarter, u.at, u.author_id) for u in updates)
    assert all(u.author_id == manager.id and u.at < demo_now for u in updates)
    saved = Counter(
        event.object_id
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "plan.action_saved"))
    )
    plan_actions = list(db.session.scalars(select(PlanAction)))
    assert all(saved[a.id] >= 1 for a in plan_actions)
    # The exception report is the plan's amber and red open rows.
    expected = sorted(
        (row.ref for row in PLAN if row.rag in (Rag.AMBER, Rag.RED) and row.status is PlanActionStatus.OPEN),
        key=ref_key,
    )
    assert sorted((a.ref for a in exception_report(manager)), key=ref_key) == expected


def test_the_casebook_was_opened_and_written_through_the_case_services(demo_now):
    def audited(verb: str) -> Counter:
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb))
        return Counter((event.case_id, event.at) for event in events)

    all_cases = list(db.session.scalars(select(Case)))
    assert audited("case.opened") == Counter((case.id, case.opened_at) for case in all_cases)
    assert all(case.opened_at < demo_now and case.lead_officer_id == case.opened_by_id for case in all_cases)
    notes = list(db.session.scalars(select(Note).where(Note.kind != NoteKind.STATUS)))
    assert audited("note.added") == Counter((note.case_id, note.created_at) for note in notes)
    assert all(note.created_at < demo_now for note in notes)
    # Agencies other than the opener's were brought in through the add-an-agency form.
    opener_agency = {case.id: case.lead_agency_id for case in all_cases}
    brought_in = db.session.scalars(select(CaseAgency))
    assert audited("case.agency_added") == Counter(
        (row.case_id, row.added_at) for row in brought_in if row.agency_id != opener_agency[row.case_id]
    )
    # The references came from the case service's counter.
    years = Counter(case.reference.split("-")[1] for case in all_cases)
    counters = {str(row.year): row.last_number for row in db.session.scalars(select(CaseReferenceCounter))}
    assert counters == dict(years)


def test_the_chair_finds_a_request_for_access_waiting_made_through_the_service(demo_now):
    page = access_requests.queue(user("chair@demo.test"), page=1, per_page=25)
    assert [request.status for request in page.items] == [AccessRequestStatus.PENDING]
    request = page.items[0]
    assert request.user.email == "pc.dunmore@demo.test"
    involved = db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == request.case_id)).all()
    assert request.agency_id not in involved
    asked = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == "case.access_requested")
    )
    assert asked == 1
    assert db.session.scalar(select(func.count()).select_from(AccessRequest)) == 1
