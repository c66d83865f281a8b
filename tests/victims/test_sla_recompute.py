"""The stored SLA clocks follow what is recorded through the services: assessments,
case conferences, closing the case and taking a victim off it; and the counts of clocks
the database keeps for the dashboard follow the clocks."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casework import db
from casework.cases.models import PartyRole
from casework.cases.services import commands as cases
from casework.clock import previous_quarters, quarter_of, utcnow
from casework.people import services as people
from casework.permissions import Role
from casework.rag import Rag
from casework.victims.models import ClockKind, ClockOutcome, SlaClock, SlaStop
from casework.victims.services import conferences, risk, riskmatrix, sla, sla_reports
from tests.factories import add_party, make_agency, make_case, make_person, make_user
from tests.support.kept_counts import assert_sla_clock_counts_kept, assert_sla_clock_victims_kept
from tests.support.queries import recorded_statements

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

QUESTIONS = riskmatrix.parse(riskmatrix.packaged_default()).questions
LOWEST = {question.id: question.options[0].id for question in QUESTIONS}
HIGH = LOWEST | {"violence": "actual"}
MEDIUM = LOWEST | {"frequency": "daily", "hate": "yes", "damage": "minor"}
STANDARD = LOWEST

CONFERENCE, REDUCE = ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D
OPEN, MET, MET_LATE, STOPPED = ClockOutcome.OPEN, ClockOutcome.MET, ClockOutcome.MET_LATE, ClockOutcome.STOPPED
OVERDUE_AT_CLOSING = ClockOutcome.OVERDUE_AT_CLOSING


@pytest.fixture(autouse=True)
def _counts_kept(session):
    """After every change these tests make, the kept counts and victims match the clocks."""
    yield
    assert_sla_clock_counts_kept()
    assert_sla_clock_victims_kept()


@pytest.fixture
def world(session):
    council, police = make_agency(name="Fenland District Council"), make_agency(name="Cambridgeshire Constabulary")
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member, involved=[police])
    victim = make_person(created_by=member)
    add_party(case=case, person=victim, role=PartyRole.VICTIM)
    # A fixed point in the past, so every recorded time is allowed.
    start = (utcnow() - timedelta(days=20)).replace(microsecond=0)
    return {"council": council, "police": police, "member": member, "case": case, "victim": victim, "start": start}


def at(world, hours: float):
    return world["start"] + timedelta(hours=hours)


def assess(world, level_answers, hours, *, person=None):
    return risk.record_assessment(
        world["member"],
        world["case"].reference,
        (person or world["victim"]).id,
        matrix_id=risk.current_matrix().id,
        answers=level_answers,
        assessed_at=at(world, hours),
        override_level=None,
        override_reason="",
    )


def conference(world, hours):
    return conferences.record_conference(
        world["member"],
        world["case"].reference,
        held_at=at(world, hours),
        present=[world["council"].id, world["police"].id],
        apologies=[],
        outcome="Joint visit agreed; CCTV to be fitted.",
    )


def clocks(world, person=None):
    """The victim's stored clocks as (id, kind, started by, outcome, met at, stopped at, reason)."""
    rows = db.session.scalars(
        select(SlaClock)
        .where(SlaClock.case_id == world["case"].id, SlaClock.person_id == (person or world["victim"]).id)
        .order_by(SlaClock.started_at, SlaClock.kind)
    )
    return [(c.id, c.kind, c.started_by_assessment_id, c.outcome, c.met_at, c.stopped_at, c.stop_reason) for c in rows]


def outcomes(world, person=None):
    return [(kind, outcome) for _id, kind, _by, outcome, *_rest in clocks(world, person)]


def test_a_high_assessment_stores_both_clocks(world):
    high = assess(world, HIGH, 0)
    rows = db.session.scalars(
        select(SlaClock).where(SlaClock.person_id == world["victim"].id).order_by(SlaClock.kind)
    ).all()
    assert [(c.kind, c.case_id, c.started_by_assessment_id, c.started_at, c.due_at, c.outcome) for c in rows] == [
        (CONFERENCE, world["case"].id, high.id, at(world, 0), at(world, 72), OPEN),
        (REDUCE, world["case"].id, high.id, at(world, 0), at(world, 168), OPEN),
    ]


def test_medium_and_standard_assessments_alone_store_no_clocks(world):
    assess(world, STANDARD, 0)
    assess(world, MEDIUM, 10)
    assert clocks(world) == []


def test_a_conference_and_a_reduction_meet_the_stored_clocks_in_place(world):
    assess(world, HIGH, 0)
    before = {kind: clock_id for clock_id, kind, *_ in clocks(world)}
    conference(world, 30)
    assess(world, MEDIUM, 200)
    assert [(clock_id, kind, outcome, met_at) for clock_id, kind, _by, outcome, met_at, *_ in clocks(world)] == [
        (before[CONFERENCE], CONFERENCE, MET, at(world, 30)),
        (before[REDUCE], REDUCE, MET_LATE, at(world, 200)),
    ]


def test_a_conference_meets_the_clocks_of_every_victim_of_the_case(world):
    second = make_person(created_by=world["member"], first_name="Ben")
    add_party(case=world["case"], person=second, role=PartyRole.VICTIM)
    assess(world, HIGH, 0)
    assess(world, HIGH, 50, person=second)
    conference(world, 80)
    assert outcomes(world)[0] == (CONFERENCE, MET_LATE)
    assert outcomes(world, second)[0] == (CONFERENCE, MET)


def test_an_earlier_dated_assessment_recorded_later_is_placed_where_it_happened(world):
    """A reduction typed in after a later reduction: the 7-day clock is met when the
    risk actually came down; both rows keep their ids."""
    assess(world, HIGH, 0)
    assess(world, MEDIUM, 190)
    (conference_id, *_), (reduce_id, _kind, _by, outcome, met_at, *_rest) = clocks(world)
    assert (outcome, met_at) == (MET_LATE, at(world, 190))
    assess(world, MEDIUM, 100)  # recorded now, happened earlier
    assert [(clock_id, kind, outcome, met_at) for clock_id, kind, _by, outcome, met_at, *_ in clocks(world)] == [
        (conference_id, CONFERENCE, OPEN, None),
        (reduce_id, REDUCE, MET, at(world, 100)),
    ]


def test_an_earlier_dated_high_recorded_later_moves_the_start_of_the_episode(world):
    later = assess(world, HIGH, 100)
    conference(world, 150)
    assert outcomes(world) == [(CONFERENCE, MET), (REDUCE, OPEN)]
    earlier = assess(world, HIGH, 0)  # the first high, typed in afterwards
    rows = clocks(world)
    assert [(kind, by, outcome) for _id, kind, by, outcome, *_ in rows] == [
        (CONFERENCE, earlier.id, MET_LATE),
        (REDUCE, earlier.id, OPEN),
    ]
    # No clock is left over from the episode that was thought to start later.
    assert (
        db.session.scalar(
            select(func.count()).select_from(SlaClock).where(SlaClock.started_by_assessment_id == later.id)
        )
        == 0
    )


def test_an_earlier_dated_conference_recorded_later_is_placed_where_it_happened(world):
    assess(world, HIGH, 0)
    conference(world, 100)
    assert outcomes(world)[0] == (CONFERENCE, MET_LATE)
    conference(world, 50)
    assert clocks(world)[0][3:5] == (MET, at(world, 50))


def test_closing_the_case_stops_its_clocks_not_yet_due_with_the_reason(world):
    world["start"] = utcnow() - timedelta(hours=30)
    assess(world, HIGH, 0)
    conference(world, 20)
    case = world["case"]
    before = utcnow()
    cases.close_case(
        world["member"], case.reference, version=case.version, reason=" Victim rehoused out of the district "
    )
    (
        (_cid, _k, _b, conference_outcome, conference_met, conference_stopped, _r),
        (_id, _kind, _by, outcome, met_at, stopped_at, reason),
    ) = clocks(world)
    assert (conference_outcome, conference_met, conference_stopped) == (
        MET,
        at(world, 20),
        None,
    )  # met before: stays met
    assert (outcome, met_at, reason) == (STOPPED, None, "Case closed: Victim rehoused out of the district")
    assert before <= stopped_at <= utcnow()
    stop = db.session.scalar(select(SlaStop).where(SlaStop.case_id == case.id))
    assert (stop.person_id, stop.stopped_at, stop.reason) == (
        None,
        stopped_at,
        "Case closed: Victim rehoused out of the district",
    )


def test_closing_the_case_leaves_its_clocks_already_past_due_overdue_at_closing(world):
    """Assessed high 20 days ago and never conferenced or brought down: both clocks
    are breaches, and closing the case keeps them so."""
    assess(world, HIGH, 0)
    case = world["case"]
    cases.close_case(world["member"], case.reference, version=case.version, reason="No further incidents")
    assert [(kind, outcome, reason) for _id, kind, _by, outcome, _met, _stopped, reason in clocks(world)] == [
        (CONFERENCE, OVERDUE_AT_CLOSING, "Case closed: No further incidents"),
        (REDUCE, OVERDUE_AT_CLOSING, "Case closed: No further incidents"),
    ]
    # A conference held on time, recorded only now, still meets the conference clock.
    conference(world, 40)
    assert outcomes(world) == [(CONFERENCE, MET), (REDUCE, OVERDUE_AT_CLOSING)]


def test_closing_cases_does_not_move_a_past_quarters_figures(world):
    """Last quarter's conference clocks: 19 met on time, 4 met late, 2 never held (76
    percent, amber). Closing the two cases whose conference was never held used to
    stop their clocks and lift the figure to 19 of 21 (90 percent, green)."""
    council, member = world["council"], world["member"]
    last = previous_quarters(quarter_of(utcnow()), 2)[1]
    start = last.start + timedelta(days=10)

    def case_with_victims(count: int, held_after_hours: float | None):
        case = make_case(lead_agency=council, opened_by=member, opened_at=start - timedelta(days=1))
        for n in range(count):
            person = make_person(created_by=member, first_name=f"Victim{n}")
            add_party(case=case, person=person, role=PartyRole.VICTIM)
            risk.record_assessment(
                member, case.reference, person.id, matrix_id=risk.current_matrix().id, answers=HIGH,
                assessed_at=start + timedelta(minutes=n), override_level=None, override_reason="",
            )  # fmt: skip
        if held_after_hours is not None:
            conferences.record_conference(
                member, case.reference, held_at=start + timedelta(hours=held_after_hours),
                present=[council.id], apologies=[], outcome="Plan agreed.",
            )  # fmt: skip
        return case

    case_with_victims(19, 24)
    case_with_victims(4, 100)
    never_held = [case_with_victims(1, None), case_with_victims(1, None)]
    manager = make_user(agency=council, role=Role.MANAGER)

    def figures():
        return sla_reports.quarter_figures(manager, last, utcnow()).kinds[0]

    before = figures()
    assert (before.met, before.met_late, before.overdue, before.overdue_at_closing) == (19, 4, 2, 0)
    assert (before.percent, before.rag) == (76, Rag.AMBER)
    for case in never_held:
        cases.close_case(member, case.reference, version=case.version, reason="No further incidents")
    after = figures()
    assert (after.met, after.met_late, after.overdue, after.overdue_at_closing, after.stopped) == (19, 4, 2, 2, 0)
    assert (after.counted, after.percent, after.rag) == (25, 76, Rag.AMBER)


def test_a_new_high_after_the_case_is_reopened_starts_new_clocks(world):
    first = assess(world, HIGH, 0)
    case = world["case"]
    cases.close_case(world["member"], case.reference, version=case.version, reason="Resolved")
    cases.reopen_case(world["member"], case.reference, version=case.version, reason="New incidents")
    world["start"] = utcnow()
    again = assess(world, HIGH, 0)
    assert [(kind, by, outcome) for _id, kind, by, outcome, *_ in clocks(world)] == [
        (CONFERENCE, first.id, OVERDUE_AT_CLOSING),
        (REDUCE, first.id, OVERDUE_AT_CLOSING),
        (CONFERENCE, again.id, OPEN),
        (REDUCE, again.id, OPEN),
    ]


def test_removing_a_victim_stops_that_victims_clocks_only(world):
    other = make_person(created_by=world["member"], first_name="Cara")
    other_party = add_party(case=world["case"], person=other, role=PartyRole.VICTIM)
    assess(world, HIGH, 0)
    assess(world, HIGH, 10, person=other)
    people.remove_from_case(
        world["member"], world["case"].reference, party_id=other_party.id, reason="Moved out of the area"
    )
    assert outcomes(world) == [(CONFERENCE, OPEN), (REDUCE, OPEN)]
    removed = clocks(world, other)
    # Taken off 20 days after the high assessment: both clocks were past due.
    assert [(kind, outcome, reason) for _id, kind, _by, outcome, _met, _stopped, reason in removed] == [
        (CONFERENCE, OVERDUE_AT_CLOSING, "Victim removed from the case: Moved out of the area"),
        (REDUCE, OVERDUE_AT_CLOSING, "Victim removed from the case: Moved out of the area"),
    ]
    # A conference held after the removal meets only the clock still open...
    original_start, world["start"] = world["start"], utcnow()
    conference(world, 0)
    assert outcomes(world)[0] == (CONFERENCE, MET_LATE)
    assert [outcome for _kind, outcome in outcomes(world, other)] == [OVERDUE_AT_CLOSING, OVERDUE_AT_CLOSING]
    # ...but one held while the victim was still on the case counts, even recorded afterwards.
    world["start"] = original_start
    conference(world, 30)
    assert outcomes(world)[0] == (CONFERENCE, MET)
    assert outcomes(world, other) == [(CONFERENCE, MET), (REDUCE, OVERDUE_AT_CLOSING)]


def test_removing_a_victim_before_the_clocks_are_due_stops_them(world):
    other = make_person(created_by=world["member"], first_name="Cara")
    other_party = add_party(case=world["case"], person=other, role=PartyRole.VICTIM)
    world["start"] = utcnow() - timedelta(hours=10)
    assess(world, HIGH, 0, person=other)
    people.remove_from_case(world["member"], world["case"].reference, party_id=other_party.id, reason="Moved")
    assert outcomes(world, other) == [(CONFERENCE, STOPPED), (REDUCE, STOPPED)]


def test_removing_a_witness_stops_nothing(world):
    witness = make_person(created_by=world["member"], first_name="Wes")
    party = add_party(case=world["case"], person=witness, role=PartyRole.WITNESS)
    assess(world, HIGH, 0)
    people.remove_from_case(world["member"], world["case"].reference, party_id=party.id, reason="Withdrew")
    assert outcomes(world) == [(CONFERENCE, OPEN), (REDUCE, OPEN)]
    assert db.session.scalar(select(func.count()).select_from(SlaStop)) == 0


def test_recompute_is_idempotent(world):
    assess(world, HIGH, 0)
    conference(world, 80)
    assess(world, MEDIUM, 100)
    assess(world, HIGH, 150)
    stored = clocks(world)
    assert len(stored) == 4
    engine = db.session.get_bind().engine
    for _again in range(2):
        with recorded_statements(engine) as statements:
            sla.recompute(world["case"].id, world["victim"].id)
            sla.recompute_case(world["case"].id)
        assert clocks(world) == stored
        assert statements and [s for s in statements if not s.startswith("SELECT")] == []  # not even a no-op UPDATE


def test_the_stored_clocks_are_what_the_rules_derive(world):
    """recompute stores exactly derive_clocks' result for the recorded history."""
    assess(world, HIGH, 0)
    conference(world, 60)
    assess(world, STANDARD, 170)
    assess(world, HIGH, 300)
    _case, _person, history = risk.history(world["member"], world["case"].reference, world["victim"].id)
    assessed = [sla.Assessed(s.assessment.assessed_at, s.assessment.level, s.assessment.id) for s in history]
    derived = sla.derive_clocks(assessed, [at(world, 60)], [], sla.rules())
    stored = db.session.scalars(
        select(SlaClock).where(SlaClock.person_id == world["victim"].id).order_by(SlaClock.started_at, SlaClock.kind)
    )
    assert [(c.kind, c.started_by_assessment_id, c.started_at, c.due_at, c.outcome, c.met_at) for c in stored] == [
        (c.kind, c.started_by_assessment_id, c.started_at, c.due_at, c.outcome, c.met_at) for c in derived
    ]
    assert [c.outcome for c in derived] == [MET, MET_LATE, OPEN, OPEN]
