"""What the demo must show at whatever date it is loaded. Each check reads the loaded
demo with plain queries, independently of the pages and their services."""

from collections import Counter
from datetime import date, datetime, timedelta

from sqlalchemy import select

from casework import db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus, ActionUpdate
from casework.agencies.models import Agency
from casework.cases.models import Case, CaseAgency, CaseStatus
from casework.clock import ZONE
from casework.meetings.models import (
    AgendaItem,
    AttendanceStatus,
    Meeting,
    MeetingAttendance,
    MeetingDecision,
    MeetingKind,
)
from casework.plan.models import PlanAction, PlanActionStatus, PlanMilestone, PlanUpdate, Priority
from casework.policy import owes_action_clause
from casework.premises.models import LicensingHearing, Premises, PremisesIncident, PremisesVisit, TlsStatus
from casework.premises.services import tls_rules
from casework.premises.services.tls_rules import DeadlineKind, TlsRules
from casework.rag import Rag
from casework.referrals.models import Consent, Referral, ReferralStatus
from casework.victims.models import ClockKind, ClockOutcome, SlaClock

LONDON = ZONE
PLAN_REFS = (
    [f"1.3.{n}" for n in range(1, 7)]
    + [f"2.3.{n}" for n in range(1, 5)]
    + [f"3.3.{n}" for n in range(1, 6)]
    + ["4.3.1"]
    + [f"5.3.{n}" for n in range(1, 6)]
)
POLICE, HOUSING, VOLUNTARY = "Cambridgeshire Constabulary", "Roddons Housing Association", "Fenland Community Support"


def clocks_due_soon_and_overdue(now: datetime) -> None:
    """Victims' clocks due soon and overdue, and My work is never empty for member@demo.test."""
    open_clocks = [c for c in db.session.scalars(select(SlaClock)) if c.outcome is ClockOutcome.OPEN]
    due_soon = [c for c in open_clocks if now < c.due_at <= now + timedelta(hours=24)]
    overdue = [c for c in open_clocks if c.due_at < now]
    assert len(due_soon) >= 3
    assert len(overdue) >= 2
    assert {c.kind for c in due_soon} == {ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D}
    assert all(now - c.due_at < timedelta(days=2) for c in overdue)  # recently missed, not forgotten

    member = db.session.scalar(select(User).where(User.email == "member@demo.test"))
    involved = set(db.session.scalars(select(CaseAgency.case_id).where(CaseAgency.agency_id == member.agency_id)))
    members = [c for c in due_soon + overdue if c.case_id in involved]
    assert any(c.due_at < now for c in members)
    assert any(c.due_at > now for c in members)


def premises_cover_every_colour_and_deadline(now: datetime) -> None:
    """Every colour of the traffic light register, a deadline passed and a visit due."""
    premises = list(db.session.scalars(select(Premises)))
    rules = TlsRules()

    assert len(premises) == 20
    assert Counter(p.status for p in premises) == {TlsStatus.GREEN: 12, TlsStatus.AMBER: 5, TlsStatus.RED: 3}
    assert {p.town for p in premises} == {"Wisbech", "March", "Whittlesey", "Chatteris"}

    past_deadline = [p for p in premises if tls_rules.needs_licensing_review(p.status, p.status_since, now, rules)]
    assert [p.name for p in past_deadline] == ["The Drowned Eel"]
    hearing = db.session.scalar(select(LicensingHearing).where(LicensingHearing.premises_id == past_deadline[0].id))
    assert hearing is not None

    visits = Counter(db.session.scalars(select(PremisesVisit.premises_id)))
    last_visit = {
        premises_id: max(
            db.session.scalars(select(PremisesVisit.visited_at).where(PremisesVisit.premises_id == premises_id))
        )
        for premises_id in visits
    }
    visit_due = [
        p.name
        for p in premises
        if p.status is TlsStatus.AMBER
        for deadline in tls_rules.deadlines(p.status, p.status_since, last_visit.get(p.id), rules)
        if deadline.kind is DeadlineKind.AMBER_VISIT and not deadline.met and not deadline.overdue(now)
    ]
    assert visit_due == ["The Fen Tiger"]

    reporting = Counter(agency_id for (agency_id,) in db.session.execute(select(PremisesIncident.reporting_agency_id)))
    assert len(reporting) >= 3  # incidents from several agencies


def partnership_at_work(now: datetime) -> None:
    """A delivery plan in the source reports' shape, last month's PSG meeting on the record
    and next week's scheduled with its agenda generated, referrals in every state, and
    actions that several agencies owe, some overdue and some due soon."""

    today = now.astimezone(LONDON).date()
    agencies = {agency.id: agency.name for agency in db.session.scalars(select(Agency))}
    check_delivery_plan()
    past = check_last_meeting(now, agencies)
    check_next_meeting(now)
    check_referrals(past)
    check_actions(now, today, agencies)
    check_cases_flagged_for_review()


def check_delivery_plan() -> None:
    priorities = list(db.session.scalars(select(Priority).order_by(Priority.number)))
    assert [p.number for p in priorities] == [1, 2, 3, 4, 5]
    assert all(p.title and p.lead_officer and p.year_targets for p in priorities)

    actions = list(db.session.scalars(select(PlanAction)))
    assert sorted(a.ref for a in actions) == sorted(PLAN_REFS)
    priority_of = {p.id: p.number for p in priorities}
    assert all(int(a.ref.split(".")[0]) == priority_of[a.priority_id] for a in actions)
    assert all(a.action and a.outcome and a.project and a.target and a.progress and a.rag_reason for a in actions)
    by_ref = {a.ref: a for a in actions}
    assert by_ref["2.3.1"].project == "Traffic Light System"

    partners = Counter(db.session.scalars(select(PlanAction.id).join(PlanAction.partners)))
    milestones = Counter(db.session.scalars(select(PlanMilestone.plan_action_id)))
    assert all(partners[a.id] >= 1 and milestones[a.id] >= 2 for a in actions)

    rags = Counter(a.rag for a in actions)
    assert rags[Rag.GREEN] > rags[Rag.AMBER] >= 3
    assert 1 <= rags[Rag.RED] <= 2
    exceptions = [a for a in actions if a.rag in (Rag.AMBER, Rag.RED)]
    assert all(a.improvement.strip() and a.status is PlanActionStatus.OPEN for a in exceptions)
    assert any(a.status is PlanActionStatus.COMPLETE for a in actions)

    # Quarterly history: progress is only set by an update, so every action has one; at
    # least four have two or three quarters, the latest being the current narrative.
    updates: dict[int, list[PlanUpdate]] = {}
    for update in db.session.scalars(select(PlanUpdate).order_by(PlanUpdate.at)):
        updates.setdefault(update.plan_action_id, []).append(update)
    assert set(updates) == {a.id for a in actions}
    assert sum(len(history) >= 2 for history in updates.values()) >= 4
    for plan_action_id, history in updates.items():
        assert 1 <= len(history) <= 3
        assert len({u.quarter for u in history}) == len(history)
        current = next(a for a in actions if a.id == plan_action_id)
        assert (history[-1].progress, history[-1].rag) == (current.progress, current.rag)


def check_last_meeting(now: datetime, agencies: dict[int, str]) -> Meeting:
    chair = db.session.scalar(select(User).where(User.email == "chair@demo.test"))
    past = db.session.scalar(select(Meeting).where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.held_at < now))
    assert now - timedelta(days=35) < past.held_at < now - timedelta(days=20)
    assert past.chair_id == chair.id and past.location
    assert past.agenda_generated_at < past.held_at < past.finished_at < now

    attendance = Counter(
        db.session.scalars(select(MeetingAttendance.status).where(MeetingAttendance.meeting_id == past.id))
    )
    assert attendance[AttendanceStatus.PRESENT] >= 5 and attendance[AttendanceStatus.APOLOGIES] >= 1

    items = list(
        db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == past.id).order_by(AgendaItem.position))
    )
    assert [i.position for i in items] == list(range(1, len(items) + 1))
    assert len(items) >= 5 and all(item.reasons for item in items)
    assert {"case", "referral", "topic"} == {
        "case" if i.case_id else "referral" if i.referral_id else "topic" for i in items
    }
    # The chair recorded minutes on every item, but for cases their agency is not involved
    # in: those they see only as stubs.
    for item in items:
        involved = item.case_id is None or db.session.scalar(
            select(CaseAgency.id).where(CaseAgency.case_id == item.case_id, CaseAgency.agency_id == chair.agency_id)
        )
        assert bool(item.minutes) == bool(involved), item.reasons
    minuted = [item for item in items if item.minutes]
    assert len(minuted) >= 5 and {"case", "referral", "topic"} == {
        "case" if i.case_id else "referral" if i.referral_id else "topic" for i in minuted
    }

    decisions = list(
        db.session.scalars(select(MeetingDecision).where(MeetingDecision.item_id.in_([i.id for i in items])))
    )
    assert len(decisions) >= len(minuted) and {d.item_id for d in decisions} == {i.id for i in minuted}
    created = list(db.session.scalars(select(Action).where(Action.decision_id.in_([d.id for d in decisions]))))
    assert len({agencies[a.assigned_agency_id] for a in created}) >= 3
    item_of = {d.id: next(i for i in items if i.id == d.item_id) for d in decisions}
    for action in created:
        item = item_of[action.decision_id]
        # About the item's case, or about the meeting for a referral or a topic.
        assert (action.case_id, action.meeting_id) == ((item.case_id, None) if item.case_id else (None, past.id))
    return past


def check_next_meeting(now: datetime) -> None:
    upcoming = list(
        db.session.scalars(select(Meeting).where(Meeting.kind == MeetingKind.PSG_MEETING, Meeting.held_at > now))
    )
    assert len(upcoming) == 1
    [meeting] = upcoming
    assert now + timedelta(days=5) < meeting.held_at < now + timedelta(days=9)
    assert meeting.finished_at is None and meeting.location
    # Its agenda is generated from the casebook as the demo loads, with every kind of reason.
    assert meeting.agenda_generated_at is not None
    reasons = [
        reason
        for item_reasons in db.session.scalars(select(AgendaItem.reasons).where(AgendaItem.meeting_id == meeting.id))
        for reason in item_reasons
    ]
    for expected in ("New referral", "High-risk victim", "overdue", "Flagged for PSG review"):
        assert any(expected.lower() in reason.lower() for reason in reasons), expected


def check_referrals(past: Meeting) -> None:
    referrals = list(db.session.scalars(select(Referral)))
    statuses = Counter(r.status for r in referrals)
    assert statuses[ReferralStatus.NEW] >= 4
    assert statuses[ReferralStatus.ACCEPTED] >= 2 and statuses[ReferralStatus.DECLINED] >= 2
    assert {r.consent for r in referrals} == set(Consent)
    assert all(r.consent_reason for r in referrals)

    names = {agency.id: agency.name for agency in db.session.scalars(select(Agency))}
    new = [r for r in referrals if r.status is ReferralStatus.NEW]
    assert {POLICE, HOUSING, VOLUNTARY} <= {names[r.referring_agency_id] for r in new}
    assert all(r.received_at > past.held_at and r.decided_at is None and r.case_id is None for r in new)

    chair = db.session.scalar(select(User).where(User.email == "chair@demo.test"))
    for referral in referrals:
        if referral.status is ReferralStatus.ACCEPTED:
            assert referral.decided_by_id == chair.id and referral.received_at < referral.decided_at
            case = db.session.get(Case, referral.case_id)
            assert case.status is CaseStatus.OPEN
            involved = db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)).all()
            assert referral.referring_agency_id in involved
        elif referral.status is ReferralStatus.DECLINED:
            assert referral.decline_reason and referral.case_id is None and referral.decided_at


def check_actions(now: datetime, today: date, agencies: dict[int, str]) -> None:
    actions = list(db.session.scalars(select(Action)))
    assert all(a.created_at < now for a in actions)

    # A case action is always owed by an agency involved in the case.
    involved = {tuple(row) for row in db.session.execute(select(CaseAgency.case_id, CaseAgency.agency_id))}
    case_actions = [a for a in actions if a.case_id]
    assert case_actions and all((a.case_id, a.assigned_agency_id) in involved for a in case_actions)
    assert all(a.premises_id for a in actions if not (a.case_id or a.meeting_id or a.plan_action_id)) and any(
        a.premises_id for a in actions
    )
    assert any(a.plan_action_id for a in actions) and any(a.meeting_id for a in actions)

    # The demo users' inboxes: something overdue, something due within 7 days.
    for email in ("member@demo.test", "partner@demo.test", "pc.dunmore@demo.test"):
        user = db.session.scalar(select(User).where(User.email == email))
        live = [a for a in db.session.scalars(select(Action).where(owes_action_clause(user))) if a.status.is_live]
        assert any(a.due_on < today for a in live), email
        assert any(today <= a.due_on <= today + timedelta(days=7) for a in live), email
        assert any(a.assignee_id == user.id for a in live), email
    assert any(a.status.is_live and a.due_on > today + timedelta(days=7) for a in actions)

    statuses = Counter(a.status for a in actions)
    assert statuses[ActionStatus.DONE] >= 3 and statuses[ActionStatus.IN_PROGRESS] >= 3
    assert statuses[ActionStatus.CANCELLED] == 1
    for action in actions:
        if action.status is ActionStatus.DONE:
            assert action.completion_note and action.created_at < action.completed_at < now
        else:
            assert not action.completion_note and action.completed_at is None

    # The history: notes by the owing agency's officers; the last change of status is the current one.
    users = {user.id: user.agency_id for user in db.session.scalars(select(User))}
    history: dict[int, list[ActionUpdate]] = {}
    for update in db.session.scalars(select(ActionUpdate).order_by(ActionUpdate.at, ActionUpdate.id)):
        history.setdefault(update.action_id, []).append(update)
    for action in actions:
        updates = history.get(action.id, [])
        assert all(u.note and users[u.author_id] == action.assigned_agency_id for u in updates)
        assert all(action.created_at < u.at < now for u in updates)
        moves = [u for u in updates if u.to_status is not None]
        assert (moves[-1].to_status if moves else ActionStatus.OPEN) is action.status, action.title
    assert {agencies[a.assigned_agency_id] for a in actions if history.get(a.id)} >= {POLICE, HOUSING, VOLUNTARY}


def check_cases_flagged_for_review() -> None:
    flagged = list(db.session.scalars(select(Case).where(Case.psg_review)))
    assert 2 <= len(flagged) <= 3
    assert all(case.status is CaseStatus.OPEN and not case.restricted for case in flagged)
