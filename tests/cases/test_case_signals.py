"""What brings a case to the PSG agenda, kept on the case by the database
(``Case.high_risk_victim``, ``Case.first_live_action_due_on``,
``Case.first_open_clock_due_at``): after every way an assessment, a victim, an action
or an SLA clock is written, changed or deleted, and a case closed, the kept values
equal the same facts worked out from the rows."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from casework import db
from casework.actions.models import LIVE_STATUSES, Action, ActionStatus
from casework.actions.services.actions import Subject, create_action, update_action
from casework.cases.models import Case, CaseParty, CaseStatus, PartyRole
from casework.cases.services import commands as cases
from casework.clock import local_date, utcnow
from casework.people import services as people
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, RiskLevel, SlaClock
from casework.victims.services import conferences
from tests.factories import add_party, make_action, make_agency, make_case, make_person, make_premises, make_user
from tests.meetings.test_agenda_services import HIGH, MEDIUM, assess
from tests.support.sla_clocks import make_clock_due

pytestmark = pytest.mark.both_databases


def worked_out() -> dict[int, tuple[bool, date | None]]:
    """Each case's two facts from the rows, as the agenda read them before they were kept."""
    latest = aliased(RiskAssessment)
    newest = (
        select(func.max(latest.assessed_at))
        .where(latest.case_id == RiskAssessment.case_id, latest.person_id == RiskAssessment.person_id)
        .scalar_subquery()
    )
    high = set(
        db.session.scalars(
            select(CaseParty.case_id)
            .join(
                RiskAssessment,
                (RiskAssessment.case_id == CaseParty.case_id) & (RiskAssessment.person_id == CaseParty.person_id),
            )
            .where(
                CaseParty.role == PartyRole.VICTIM,
                CaseParty.removed_at.is_(None),
                RiskAssessment.level == RiskLevel.HIGH,
                RiskAssessment.assessed_at == newest,
            )
        )
    )
    due = {
        case_id: day
        for case_id, day in db.session.execute(
            select(Action.case_id, func.min(Action.due_on))
            .where(Action.case_id.is_not(None), Action.status.in_(LIVE_STATUSES))
            .group_by(Action.case_id)
        )
    }
    return {case_id: (case_id in high, due.get(case_id)) for case_id in db.session.scalars(select(Case.id))}


def kept() -> dict[int, tuple[bool, date | None]]:
    db.session.expire_all()
    rows = db.session.execute(select(Case.id, Case.high_risk_victim, Case.first_live_action_due_on))
    return {case_id: (bool(high), due) for case_id, high, due in rows}


def assert_kept() -> dict[int, tuple[bool, date | None]]:
    db.session.flush()
    assert kept() == worked_out()
    return kept()


@pytest.fixture
def member(session):
    return make_user(agency=make_agency(name="Fenland District Council"))


def test_assessments_and_victims_keep_the_high_risk_victim(member):
    case = make_case(lead_agency=member.agency, opened_by=member)
    other = make_case(lead_agency=member.agency, opened_by=member)
    victim = make_person(created_by=member)
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    add_party(case=other, person=victim, role=PartyRole.VICTIM)
    assert assert_kept()[case.id] == (False, None)
    assess(member, case, victim, HIGH, ago=timedelta(days=3))
    assert assert_kept()[case.id] == (True, None)
    assert kept()[other.id] == (False, None)  # the same person on another case
    assess(member, case, victim, MEDIUM, ago=timedelta(days=1))  # the latest is medium
    assert assert_kept()[case.id] == (False, None)
    assess(member, case, victim, HIGH, ago=timedelta(days=2))  # recorded late, not the latest
    assert assert_kept()[case.id] == (False, None)
    assess(member, case, victim, HIGH, ago=timedelta(hours=1))
    assert assert_kept()[case.id] == (True, None)
    # A second victim, then the first taken off the case.
    second = make_person(created_by=member, first_name="Bea")
    party = add_party(case=case, person=second, role=PartyRole.VICTIM)
    assess(member, case, second, MEDIUM, ago=timedelta(hours=1))
    assert assert_kept()[case.id] == (True, None)
    first = db.session.scalar(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.person_id == victim.id))
    people.remove_from_case(member, case.reference, party_id=first.id, reason="Moved away")
    db.session.commit()
    assert assert_kept()[case.id] == (False, None)
    # Changed and deleted by hand: the role, the removal, the level, the rows.
    db.session.execute(update(CaseParty).where(CaseParty.id == first.id).values(removed_at=None))
    assert assert_kept()[case.id] == (True, None)
    db.session.execute(update(CaseParty).where(CaseParty.id == first.id).values(role=PartyRole.WITNESS))
    assert assert_kept()[case.id] == (False, None)
    db.session.execute(update(RiskAssessment).where(RiskAssessment.person_id == second.id).values(level="high"))
    assert assert_kept()[case.id] == (True, None)
    db.session.execute(delete(RiskAssessment).where(RiskAssessment.person_id == second.id))
    assert assert_kept()[case.id] == (False, None)
    db.session.execute(update(CaseParty).where(CaseParty.id == first.id).values(role=PartyRole.VICTIM))
    assert assert_kept()[case.id] == (True, None)
    db.session.execute(delete(CaseParty).where(CaseParty.id.in_([first.id, party.id])))
    assert assert_kept()[case.id] == (False, None)


def test_actions_keep_the_first_live_due_day(member):
    manager = make_user(agency=member.agency, role=Role.MANAGER)
    case = make_case(lead_agency=member.agency, opened_by=member)
    other = make_case(lead_agency=member.agency, opened_by=member)
    today = local_date(utcnow())

    def create(days: int) -> Action:
        action = create_action(
            member, Subject(case_id=case.id), title="Visit", detail="", assigned_agency_id=member.agency_id,
            assignee_id=None, due_on=today + timedelta(days=days),
        )  # fmt: skip
        db.session.commit()
        return action

    later = create(10)
    assert assert_kept()[case.id] == (False, today + timedelta(days=10))
    sooner = create(2)
    assert assert_kept()[case.id] == (False, today + timedelta(days=2))
    update_action(member, sooner.id, version=sooner.version, status=ActionStatus.DONE, note="Visited")
    db.session.commit()
    assert assert_kept()[case.id] == (False, today + timedelta(days=10))
    update_action(member, sooner.id, version=sooner.version, status=ActionStatus.OPEN, note="Not after all")
    db.session.commit()
    assert assert_kept()[case.id] == (False, today + timedelta(days=2))
    update_action(member, later.id, version=later.version, status=ActionStatus.IN_PROGRESS, note="Started")
    db.session.commit()
    assert assert_kept()[case.id] == (False, today + timedelta(days=2))
    # Written by hand: a bulk insert (done, cancelled and live), a new due day, a move to
    # another case, a cancellation, a delete; an action on premises has no case.
    db.session.execute(
        sa.insert(Action),
        [
            {"case_id": case.id, "title": "Old", "assigned_agency_id": member.agency_id, "due_on": day,
             "status": status, "created_by_id": member.id}
            for day, status in (
                (today - timedelta(days=30), ActionStatus.DONE),
                (today - timedelta(days=20), ActionStatus.CANCELLED),
                (today - timedelta(days=5), ActionStatus.OPEN),
            )
        ],
    )  # fmt: skip
    assert assert_kept()[case.id] == (False, today - timedelta(days=5))
    db.session.execute(update(Action).where(Action.due_on == today - timedelta(days=5)).values(due_on=today))
    assert assert_kept()[case.id] == (False, today)
    moved = Action.due_on == today
    db.session.execute(update(Action).where(moved).values(case_id=other.id))
    assert assert_kept()[case.id] == (False, today + timedelta(days=2))
    assert kept()[other.id] == (False, today)
    db.session.execute(update(Action).where(Action.case_id == case.id).values(status=ActionStatus.CANCELLED))
    assert assert_kept()[case.id] == (False, None)
    db.session.execute(delete(Action).where(Action.case_id == other.id))
    assert assert_kept()[other.id] == (False, None)
    make_action(agency=member.agency, created_by=member, premises=make_premises(), due_on=today)
    assert_kept()
    # Closing and reopening the case leaves both facts: the agenda reads open cases only.
    create(-3)
    closed = cases.close_case(manager, case.reference, version=case.version, reason="Resolved")
    db.session.commit()
    assert closed.status is CaseStatus.CLOSED
    assert assert_kept()[case.id] == (False, today - timedelta(days=3))
    cases.reopen_case(manager, case.reference, version=closed.version, reason="It started again")
    db.session.commit()
    assert assert_kept()[case.id] == (False, today - timedelta(days=3))


def first_clocks() -> dict[int, tuple[datetime | None, datetime | None]]:
    """Each case's first open clock's due time, kept and worked out from the clocks."""
    db.session.flush()
    db.session.expire_all()
    due = dict(
        db.session.execute(
            select(SlaClock.case_id, func.min(SlaClock.due_at))
            .where(SlaClock.outcome == ClockOutcome.OPEN)
            .group_by(SlaClock.case_id)
        ).all()
    )
    rows = db.session.execute(select(Case.id, Case.first_open_clock_due_at))
    return {case_id: (kept, due.get(case_id)) for case_id, kept in rows}


def assert_first_clock(case: Case) -> datetime | None:
    facts = first_clocks()
    assert all(kept == worked for kept, worked in facts.values()), facts
    return facts[case.id][0]


def test_clocks_keep_the_first_open_clock_due_at(member):
    police = make_agency(name="Cambridgeshire Constabulary")
    manager = make_user(agency=member.agency, role=Role.MANAGER)
    now = utcnow()
    case = make_case(lead_agency=member.agency, opened_by=member)
    other = make_case(lead_agency=member.agency, opened_by=member)
    victim, second = make_person(created_by=member), make_person(created_by=member, first_name="Bea")
    for person in (victim, second):
        add_party(case=case, person=person, role=PartyRole.VICTIM)
    assert assert_first_clock(case) is None
    # Started by a high assessment (the services derive and store the clocks).
    assess(member, case, victim, HIGH, ago=timedelta(hours=80))
    started = assert_first_clock(case)
    assert started is not None and started < utcnow()  # the 72-hour clock is overdue
    # Met by a conference.
    conferences.record_conference(
        member, case.reference, held_at=now - timedelta(hours=2), present=[member.agency_id, police.id],
        apologies=[], outcome="Joint visit agreed",
    )  # fmt: skip
    db.session.commit()
    assert assert_first_clock(case) != started
    # Written by hand: an insert, a new due time, met, missed, moved, deleted.
    soon = make_clock_due(case=case, person=second, due_at=now - timedelta(days=1))
    later = make_clock_due(case=case, person=second, due_at=now + timedelta(days=3), kind=ClockKind.REDUCE_7D)
    assert assert_first_clock(case) == soon.due_at
    db.session.execute(update(SlaClock).where(SlaClock.id == soon.id).values(due_at=now - timedelta(days=2)))
    assert assert_first_clock(case) == now - timedelta(days=2)
    db.session.execute(update(SlaClock).where(SlaClock.id == soon.id).values(outcome=ClockOutcome.MET_LATE))
    assert assert_first_clock(case) == later.due_at
    db.session.execute(update(SlaClock).where(SlaClock.id == soon.id).values(outcome=ClockOutcome.OPEN))
    assert assert_first_clock(case) == now - timedelta(days=2)
    db.session.execute(update(SlaClock).where(SlaClock.id == soon.id).values(case_id=other.id))
    assert assert_first_clock(case) == later.due_at
    assert assert_first_clock(other) == now - timedelta(days=2)
    db.session.execute(delete(SlaClock).where(SlaClock.id == soon.id))
    assert assert_first_clock(other) is None
    # Withdrawn: the victim taken off the case stops their clocks.
    party = db.session.scalar(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.person_id == second.id))
    people.remove_from_case(member, case.reference, party_id=party.id, reason="Moved away")
    db.session.commit()
    assert_first_clock(case)
    # Closing the case stops the rest; reopening it keeps what closing recorded.
    assess(member, case, victim, HIGH, ago=timedelta(hours=1))
    assert assert_first_clock(case) is not None
    closed = cases.close_case(manager, case.reference, version=case.version, reason="Resolved")
    db.session.commit()
    assert assert_first_clock(case) is None
    cases.reopen_case(manager, case.reference, version=closed.version, reason="It started again")
    db.session.commit()
    assert_first_clock(case)


def test_the_migrated_database_keeps_the_signals_with_triggers(session):
    """A migration that copies actions, case_parties, risk_assessments or sla_clocks on SQLite (batch
    mode) drops their triggers and must create them again: this fails if one forgets."""
    tables = ("actions", "case_parties", "risk_assessments", "sla_clocks")
    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        expected = {f"{table}_case_signals" for table in tables}
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        expected = {f"{table}_case_signals_{event}" for table in tables for event in ("insert", "update", "delete")}
    assert {name for (name,) in db.session.execute(sa.text(query))} >= expected
