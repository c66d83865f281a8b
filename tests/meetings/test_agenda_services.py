"""The agenda generator: each reason a case joins the agenda, the order of the items,
cases the chair cannot see in full, and generating the agenda again."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from casework import db
from casework.actions.models import ActionStatus
from casework.actions.services.actions import Subject, create_action
from casework.audit.models import AuditEvent
from casework.cases.models import CaseParty, CaseStatus, PartyRole
from casework.cases.services import commands as cases
from casework.clock import ZONE as LONDON
from casework.clock import utcnow
from casework.exceptions import EditConflict, InvalidTransition, PermissionDenied
from casework.meetings.models import AgendaItem, MeetingDecision
from casework.meetings.services import agenda
from casework.meetings.services import pages as meetings
from casework.people import services as people
from casework.permissions import Role
from casework.referrals.models import ReferralStatus
from casework.victims.models import ClockOutcome, SlaClock
from casework.victims.services import risk, riskmatrix
from tests.factories import (
    add_party,
    make_action,
    make_agency,
    make_agenda_item,
    make_case,
    make_person,
    make_psg_meeting,
    make_referral,
    make_user,
)

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

QUESTIONS = riskmatrix.parse(riskmatrix.packaged_default()).questions
LOWEST = {question.id: question.options[0].id for question in QUESTIONS}
HIGH = LOWEST | {"violence": "actual"}  # a critical answer
MEDIUM = LOWEST | {"frequency": "daily", "hate": "yes", "damage": "minor"}

NEW_REFERRAL = "New referral awaiting a decision"
HIGH_RISK = "High-risk victim"
FLAGGED = "Flagged for PSG review by the lead agency"
CONFERENCE_OVERDUE = "Overdue SLA clock: case conference within 72 hours"


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    police = make_agency(name="Cambridgeshire Constabulary")
    housing = make_agency(name="Roddons Housing")
    chair = make_user(role=Role.PSG_CHAIR, agency=council, name="Chris Chair")
    member = make_user(agency=council, name="Priya Member")
    officer = make_user(agency=police, name="Pat Police")
    now = utcnow()
    previous = make_psg_meeting(chair=chair, held_at=now - timedelta(days=20), finished_at=now - timedelta(days=20))
    meeting = make_psg_meeting(chair=chair, held_at=now + timedelta(days=2))
    return SimpleNamespace(
        council=council,
        police=police,
        housing=housing,
        chair=chair,
        member=member,
        officer=officer,
        now=now,
        previous=previous,
        meeting=meeting,
    )


def a_case(world, *, reference=None, lead=None, opener=None, involved=(), restricted=False, status=CaseStatus.OPEN):
    return make_case(
        lead_agency=lead or world.council,
        opened_by=opener or world.member,
        involved=list(involved),
        reference=reference,
        restricted=restricted,
        status=status,
    )


def with_victim(world, case, *, opener=None, first_name="Ada"):
    person = make_person(created_by=opener or world.member, first_name=first_name)
    add_party(case=case, person=person, role=PartyRole.VICTIM)
    return person


def assess(actor, case, person, answers, *, ago: timedelta):
    assessment = risk.record_assessment(
        actor,
        case.reference,
        person.id,
        matrix_id=risk.current_matrix().id,
        answers=answers,
        assessed_at=utcnow() - ago,
        override_level=None,
        override_reason="",
    )
    db.session.commit()
    return assessment


def accepted_referral(world, case, *, decided_ago: timedelta):
    referral = make_referral(referrer=world.officer, received_at=world.now - decided_ago - timedelta(days=1))
    referral.status, referral.case_id = ReferralStatus.ACCEPTED, case.id
    referral.decided_by_id, referral.decided_at = world.chair.id, world.now - decided_ago
    db.session.commit()
    return referral


def flag(case):
    case.psg_review = True
    db.session.commit()


def generate(world, actor=None):
    """The agenda's items after generating it, in order."""
    count = agenda.generate_agenda(actor or world.chair, world.meeting.id)
    db.session.commit()
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == world.meeting.id).order_by(AgendaItem.position)
    ).all()
    assert len(items) == count
    return items


def on_agenda(world):
    """(case id or referral id or topic, reasons) of the stored items, in order."""
    db.session.expire_all()
    items = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == world.meeting.id).order_by(AgendaItem.position)
    )
    return [(item.case_id or item.referral_id or item.topic, item.reasons) for item in items]


def local_day(moment) -> str:
    day = moment.astimezone(LONDON)
    return f"{day.day} {day:%B %Y}"


# --- (a) Referrals ------------------------------------------------------------------


def test_a_referral_still_awaiting_a_decision_is_an_item_of_its_own(world):
    referral = make_referral(referrer=world.officer, received_at=world.now - timedelta(days=3))
    [item] = generate(world)
    assert (item.referral_id, item.case_id, item.reasons) == (referral.id, None, [NEW_REFERRAL])


def test_a_referral_waiting_since_before_the_last_meeting_says_since_when(world):
    received = world.now - timedelta(days=40)
    referral = make_referral(referrer=world.officer, received_at=received)
    assert on_agenda(world) == [] and generate(world)
    assert on_agenda(world) == [(referral.id, [f"Referral awaiting a decision since {local_day(received)}"])]


def test_decided_referrals_are_not_items_of_their_own(world):
    make_referral(referrer=world.officer, status=ReferralStatus.DECLINED)
    assert generate(world) == []


def test_a_referral_accepted_since_the_last_meeting_brings_its_case(world):
    case = a_case(world)
    referral = accepted_referral(world, case, decided_ago=timedelta(days=5))
    generate(world)
    assert on_agenda(world) == [(case.id, [f"New referral, accepted {local_day(referral.decided_at)}"])]


def test_a_referral_accepted_before_the_last_meeting_does_not(world):
    accepted_referral(world, a_case(world), decided_ago=timedelta(days=25))
    assert generate(world) == []


def test_without_an_earlier_meeting_the_window_is_31_days_before_this_one(world):
    db.session.delete(world.previous)
    db.session.commit()
    recent, older = a_case(world), a_case(world)
    accepted_referral(world, recent, decided_ago=timedelta(days=25))  # 27 days before the meeting
    accepted_referral(world, older, decided_ago=timedelta(days=30))  # 32 days before it
    generate(world)
    assert [subject for subject, _reasons in on_agenda(world)] == [recent.id]


# --- (b) High-risk victims ------------------------------------------------------------


def test_a_case_whose_victim_is_high_risk_now_joins(world):
    case = a_case(world)
    assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
    generate(world)
    assert on_agenda(world) == [(case.id, [HIGH_RISK])]


def test_a_victim_assessed_high_then_medium_is_not_high_risk_now(world):
    case = a_case(world)
    victim = with_victim(world, case)
    assess(world.member, case, victim, HIGH, ago=timedelta(hours=2))
    assess(world.member, case, victim, MEDIUM, ago=timedelta(hours=1))
    assert generate(world) == []


def test_only_the_latest_assessment_of_each_current_victim_counts(world):
    case = a_case(world)
    high_then_medium, high_now = with_victim(world, case), with_victim(world, case, first_name="Bea")
    assess(world.member, case, high_then_medium, HIGH, ago=timedelta(hours=3))
    assess(world.member, case, high_then_medium, MEDIUM, ago=timedelta(hours=2))
    assess(world.member, case, high_now, HIGH, ago=timedelta(hours=1))
    generate(world)
    assert on_agenda(world) == [(case.id, [HIGH_RISK])]


def test_a_high_risk_victim_taken_off_the_case_does_not_count(world):
    case = a_case(world)
    assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
    party = db.session.scalars(select(CaseParty).where(CaseParty.case_id == case.id)).one()
    party.removed_at = utcnow()
    db.session.commit()
    assert generate(world) == []


def test_closed_cases_never_join(world):
    case = a_case(world)
    assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
    create_action(
        world.member,
        Subject(case_id=case.id),
        title="Visit",
        detail="",
        assigned_agency_id=world.council.id,
        assignee_id=None,
        due_on=world.now.date() - timedelta(days=3),
    )
    flag(case)
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    db.session.commit()
    assert generate(world) == []


# --- (c) Something overdue ------------------------------------------------------------


def test_a_case_with_an_overdue_sla_clock_joins(world):
    """High ten days ago, medium yesterday: no longer high risk, but the conference the
    victim was owed within 72 hours never happened."""
    case = a_case(world)
    victim = with_victim(world, case)
    assess(world.member, case, victim, HIGH, ago=timedelta(days=10))
    assess(world.member, case, victim, MEDIUM, ago=timedelta(days=1))
    generate(world)
    assert on_agenda(world) == [(case.id, [CONFERENCE_OVERDUE])]


def test_a_clock_overdue_when_its_victim_left_or_its_case_closed_does_not_bring_the_case(world):
    """Such a clock stays a breach in the SLA figures, but nothing is left to do about it:
    neither the case reopened nor a case its victim has left joins for it."""
    reopened, left = a_case(world), a_case(world)
    for case in (reopened, left):
        victim = with_victim(world, case)
        assess(world.member, case, victim, HIGH, ago=timedelta(days=10))
        assess(world.member, case, victim, MEDIUM, ago=timedelta(days=9))
    cases.close_case(world.member, reopened.reference, version=reopened.version, reason="Resolved")
    cases.reopen_case(world.member, reopened.reference, version=reopened.version, reason="New incidents")
    party = db.session.scalars(select(CaseParty).where(CaseParty.case_id == left.id)).one()
    people.remove_from_case(world.member, left.reference, party_id=party.id, reason="Moved away")
    db.session.commit()
    breaches = db.session.scalars(select(SlaClock).where(SlaClock.outcome == ClockOutcome.OVERDUE_AT_CLOSING))
    assert sorted(clock.case_id for clock in breaches) == sorted([reopened.id, left.id])
    assert generate(world) == []


def test_clocks_not_yet_due_do_not_count(world):
    case = a_case(world)
    victim = with_victim(world, case)
    assess(world.member, case, victim, HIGH, ago=timedelta(hours=2))
    assess(world.member, case, victim, MEDIUM, ago=timedelta(hours=1))
    assert generate(world) == []


def test_a_case_with_a_live_action_due_before_today_joins(world):
    case = a_case(world, involved=[world.police])
    for agency in (world.council, world.police):
        create_action(
            world.member,
            Subject(case_id=case.id),
            title="Visit",
            detail="",
            assigned_agency_id=agency.id,
            assignee_id=None,
            due_on=world.now.astimezone(LONDON).date() - timedelta(days=1),
        )
    single = a_case(world)
    create_action(
        world.member,
        Subject(case_id=single.id),
        title="Visit",
        detail="",
        assigned_agency_id=world.council.id,
        assignee_id=None,
        due_on=world.now.astimezone(LONDON).date() - timedelta(days=1),
    )
    db.session.commit()
    generate(world)
    assert dict(on_agenda(world)) == {case.id: ["2 overdue actions"], single.id: ["Overdue action"]}


def test_actions_due_today_done_or_cancelled_are_not_overdue(world):
    case = a_case(world)
    today = world.now.astimezone(LONDON).date()
    make_action(agency=world.council, created_by=world.member, case=case, due_on=today)
    make_action(
        agency=world.council,
        created_by=world.member,
        case=case,
        due_on=today - timedelta(days=5),
        status=ActionStatus.DONE,
    )
    make_action(
        agency=world.council,
        created_by=world.member,
        case=case,
        due_on=today - timedelta(days=5),
        status=ActionStatus.CANCELLED,
    )
    assert generate(world) == []


# --- (d) Flagged by the lead agency ---------------------------------------------------


def test_a_case_flagged_for_psg_review_joins(world):
    case = a_case(world)
    flag(case)
    a_case(world)  # not flagged
    generate(world)
    assert on_agenda(world) == [(case.id, [FLAGGED])]


# --- Several reasons and the order ----------------------------------------------------


def test_a_case_with_several_reasons_appears_once_with_all_of_them(world):
    case = a_case(world)
    assess(world.member, case, with_victim(world, case), HIGH, ago=timedelta(hours=1))
    create_action(
        world.member,
        Subject(case_id=case.id),
        title="Visit",
        detail="",
        assigned_agency_id=world.council.id,
        assignee_id=None,
        due_on=world.now.date() - timedelta(days=3),
    )
    flag(case)
    generate(world)
    assert on_agenda(world) == [(case.id, [HIGH_RISK, "Overdue action", FLAGGED])]


def test_items_come_referrals_first_then_high_risk_overdue_and_flagged_each_by_reference(world):
    year = world.now.year
    flagged_b, flagged_a = a_case(world, reference=f"ASB-{year}-70002"), a_case(world, reference=f"ASB-{year}-70001")
    overdue, high = a_case(world, reference=f"ASB-{year}-60000"), a_case(world, reference=f"ASB-{year}-90000")
    accepted = a_case(world, reference=f"ASB-{year}-99999")
    flag(flagged_b)
    flag(flagged_a)
    create_action(
        world.member,
        Subject(case_id=overdue.id),
        title="Visit",
        detail="",
        assigned_agency_id=world.council.id,
        assignee_id=None,
        due_on=world.now.date() - timedelta(days=3),
    )
    assess(world.member, high, with_victim(world, high), HIGH, ago=timedelta(hours=1))
    accepted_referral(world, accepted, decided_ago=timedelta(days=1))
    later = make_referral(referrer=world.officer, received_at=world.now - timedelta(days=1))
    earlier = make_referral(referrer=world.officer, received_at=world.now - timedelta(days=2))

    generate(world)

    assert [subject for subject, _reasons in on_agenda(world)] == [
        earlier.id,
        later.id,
        accepted.id,
        high.id,
        overdue.id,
        flagged_a.id,
        flagged_b.id,
    ]


# --- Cases the chair cannot see in full -----------------------------------------------


def test_another_chair_gets_cases_of_other_agencies_as_stubs(world):
    """The agency of a chair who does not chair this meeting is involved in neither
    case: both are on the agenda, one as a stub with what a stub shows, the restricted
    one as its reference and lead agency."""
    police_member = make_user(agency=world.police)
    open_stub = a_case(world, lead=world.police, opener=police_member)
    victim = with_victim(world, open_stub, opener=police_member, first_name="Hidden")
    assess(police_member, open_stub, victim, HIGH, ago=timedelta(hours=1))
    restricted = a_case(world, lead=world.police, opener=police_member, restricted=True)
    flag(restricted)

    generate(world)
    other_chair = make_user(role=Role.PSG_CHAIR, agency=world.council)
    page = meetings.meeting_page(other_chair, world.meeting.id)

    stub, hidden = page.items
    assert (stub.case.id, stub.full_view, stub.is_stub, stub.restricted_stub) == (open_stub.id, False, True, False)
    assert (stub.heading, stub.subject_name, stub.shows_reasons, stub.shows_record) == (
        open_stub.reference,
        "Hidden Ashdown",
        True,
        False,
    )
    assert (hidden.case.id, hidden.restricted_stub, hidden.heading) == (restricted.id, True, restricted.reference)
    assert (hidden.subject_name, hidden.shows_reasons, hidden.shows_record) == ("", False, False)
    # The police see both in full.
    police_view = meetings.meeting_page(police_member, world.meeting.id)
    assert [(view.full_view, view.heading) for view in police_view.items] == [
        (True, f"{open_stub.reference}: {open_stub.title}"),
        (True, f"{restricted.reference}: {restricted.title}"),
    ]
    # The meeting's own chair sees the open case in full to minute it, the restricted
    # one still as its reference and lead agency.
    chair_view = meetings.meeting_page(world.chair, world.meeting.id)
    assert [(view.full_view, view.shows_record, view.heading) for view in chair_view.items] == [
        (True, True, f"{open_stub.reference}: {open_stub.title}"),
        (False, False, restricted.reference),
    ]


# --- Generating again -----------------------------------------------------------------


def test_generating_again_keeps_hand_added_items_and_minutes_of_items_that_stay(world):
    stays, goes, with_record, by_hand = a_case(world), a_case(world), a_case(world), a_case(world)
    for case in (stays, goes, with_record):
        flag(case)
    topic = make_agenda_item(meeting=world.meeting, position=1, topic="Community Trigger review")
    hand = make_agenda_item(meeting=world.meeting, position=2, case=by_hand)
    generate(world)
    items = {item.case_id: item for item in db.session.scalars(select(AgendaItem))}
    items[stays.id].minutes = "Police to patrol Friday nights."
    items[with_record.id].minutes = "Discussed."
    db.session.add(
        MeetingDecision(item_id=items[with_record.id].id, text="Refer to housing.", recorded_by_id=world.chair.id)
    )
    # Since then: two cases are no longer flagged, and the hand-added case is now.
    goes.psg_review = with_record.psg_review = False
    by_hand.psg_review = True
    db.session.commit()

    generate(world)

    assert on_agenda(world) == [
        (stays.id, [FLAGGED]),
        (by_hand.id, ["Added by the chair", FLAGGED]),
        # No longer picked, but kept, after the picked items, in the order they had.
        (with_record.id, [FLAGGED]),  # for its record, with the reasons it had then
        (topic.topic, ["Added by the chair"]),
    ]
    db.session.expire_all()
    assert db.session.get(AgendaItem, items[stays.id].id).minutes == "Police to patrol Friday nights."
    assert db.session.get(AgendaItem, hand.id).position == 2


def test_generating_records_when_and_an_audit_event(world):
    flag(a_case(world))
    generate(world)
    db.session.expire_all()
    assert world.meeting.agenda_generated_at is not None
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "meeting.agenda_generated"))
    assert (event.object_id, event.detail) == (world.meeting.id, {"items": 1, "added": 1, "dropped": 0})


# --- Refusals ---------------------------------------------------------------------------


def test_a_finished_meeting_is_not_generated_again(world):
    flag(a_case(world))
    with pytest.raises(InvalidTransition, match="This meeting is finished: add an amendment instead"):
        agenda.generate_agenda(world.chair, world.previous.id)
    assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == 0


def test_members_may_not_generate_an_agenda(world):
    with pytest.raises(PermissionDenied):
        agenda.generate_agenda(world.member, world.meeting.id)


def test_a_stale_page_is_a_conflict(world):
    stale = world.meeting.version
    generate(world)
    with pytest.raises(EditConflict):
        agenda.generate_agenda(world.chair, world.meeting.id, version=stale)
