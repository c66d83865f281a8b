"""The victim SLA rules (DESIGN.md section 3.2) as a pure function: the clocks a
victim's recorded assessments, conferences and stops give, whatever order they come in."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from casework.clock import ZONE
from casework.victims.models import ClockKind, ClockOutcome, RiskLevel
from casework.victims.services.sla import Assessed, SlaRules, Stopped, derive_clocks

pytestmark = pytest.mark.calendar

RULES = SlaRules()
LONDON = ZONE
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

CONFERENCE, REDUCE = ClockKind.CONFERENCE_72H, ClockKind.REDUCE_7D
OPEN, MET, MET_LATE, STOPPED = ClockOutcome.OPEN, ClockOutcome.MET, ClockOutcome.MET_LATE, ClockOutcome.STOPPED
OVERDUE_AT_CLOSING = ClockOutcome.OVERDUE_AT_CLOSING
HIGH, MEDIUM, STANDARD = RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.STANDARD


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def assessed(at: datetime, level: RiskLevel, assessment_id: int) -> Assessed:
    return Assessed(at=at, level=level, assessment_id=assessment_id)


def derive(assessments=(), conferences=(), stops=(), rules=RULES):
    return derive_clocks(list(assessments), list(conferences), list(stops), rules)


def summary(clocks):
    """Each clock as (kind, started by, outcome, met or stopped at), the comparable part."""
    return [(c.kind, c.started_by_assessment_id, c.outcome, c.met_at or c.stopped_at) for c in clocks]


def by_kind(clocks, kind):
    return [clock for clock in clocks if clock.kind is kind]


# --- Starting an episode -------------------------------------------------------------


def test_a_high_assessment_starts_both_clocks_due_72_and_168_hours_later():
    clocks = derive([assessed(T0, HIGH, 1)])
    assert [(c.kind, c.started_at, c.due_at, c.outcome, c.started_by_assessment_id) for c in clocks] == [
        (CONFERENCE, T0, hours(72), OPEN, 1),
        (REDUCE, T0, hours(168), OPEN, 1),
    ]
    assert all(c.met_at is None and c.stopped_at is None and c.stop_reason == "" for c in clocks)


def test_a_second_high_while_an_episode_is_open_starts_nothing_new():
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(30), HIGH, 2)])
    assert [(c.kind, c.started_by_assessment_id, c.due_at) for c in clocks] == [
        (CONFERENCE, 1, hours(72)),
        (REDUCE, 1, hours(168)),
    ]


def test_medium_or_standard_with_no_episode_open_starts_nothing():
    assert derive([assessed(T0, STANDARD, 1), assessed(hours(5), MEDIUM, 2)], [hours(6)]) == []


# --- Bringing the risk down (the 7-day clock) ----------------------------------------


def test_a_medium_assessment_within_7_days_meets_the_reduce_clock_and_ends_the_episode():
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(100), MEDIUM, 2)])
    (reduce,) = by_kind(clocks, REDUCE)
    assert (reduce.outcome, reduce.met_at) == (MET, hours(100))
    # The episode is over: a later medium changes nothing and starts nothing.
    assert summary(
        derive([assessed(T0, HIGH, 1), assessed(hours(100), MEDIUM, 2), assessed(hours(120), MEDIUM, 3)])
    ) == summary(clocks)


def test_a_standard_assessment_also_meets_the_reduce_clock():
    (reduce,) = by_kind(derive([assessed(T0, HIGH, 1), assessed(hours(20), STANDARD, 2)]), REDUCE)
    assert (reduce.outcome, reduce.met_at) == (MET, hours(20))


def test_bringing_the_risk_down_after_7_days_meets_the_reduce_clock_late():
    (reduce,) = by_kind(derive([assessed(T0, HIGH, 1), assessed(hours(169), MEDIUM, 2)]), REDUCE)
    assert (reduce.outcome, reduce.met_at) == (MET_LATE, hours(169))


def test_bringing_the_risk_down_exactly_at_the_due_instant_is_on_time():
    (reduce,) = by_kind(derive([assessed(T0, HIGH, 1), assessed(hours(168), MEDIUM, 2)]), REDUCE)
    assert reduce.outcome is MET
    late = by_kind(derive([assessed(T0, HIGH, 1), assessed(hours(168) + timedelta(microseconds=1), MEDIUM, 2)]), REDUCE)
    assert late[0].outcome is MET_LATE


def test_bringing_the_risk_down_does_not_meet_the_conference_clock():
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(10), MEDIUM, 2)])
    (conference,) = by_kind(clocks, CONFERENCE)
    assert (conference.outcome, conference.met_at) == (OPEN, None)


# --- Case conferences (the 72-hour clock) --------------------------------------------


def test_a_conference_within_72_hours_meets_the_conference_clock_on_time():
    clocks = derive([assessed(T0, HIGH, 1)], [hours(40)])
    conference, reduce = clocks
    assert (conference.outcome, conference.met_at) == (MET, hours(40))
    assert reduce.outcome is OPEN  # a conference does not bring the risk down


def test_a_conference_after_72_hours_meets_the_conference_clock_late():
    (conference,) = by_kind(derive([assessed(T0, HIGH, 1)], [hours(80)]), CONFERENCE)
    assert (conference.outcome, conference.met_at) == (MET_LATE, hours(80))


def test_a_conference_exactly_at_the_due_instant_is_on_time():
    (conference,) = by_kind(derive([assessed(T0, HIGH, 1)], [hours(72)]), CONFERENCE)
    assert conference.outcome is MET


def test_a_conference_meets_every_open_conference_clock_started_at_or_before_it():
    """Two episodes (the first reduced, then high again) both still owed a conference:
    one conference meets both, the older one late."""
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(24), MEDIUM, 2), assessed(hours(48), HIGH, 3)], [hours(100)])
    assert [(c.started_by_assessment_id, c.outcome, c.met_at) for c in by_kind(clocks, CONFERENCE)] == [
        (1, MET_LATE, hours(100)),
        (3, MET, hours(100)),
    ]


def test_a_conference_held_before_the_episode_does_not_count():
    clocks = derive([assessed(T0, HIGH, 1)], [hours(-1)])
    assert [(c.kind, c.outcome) for c in clocks] == [(CONFERENCE, OPEN), (REDUCE, OPEN)]


def test_a_conference_at_the_very_instant_the_episode_starts_counts():
    (conference,) = by_kind(derive([assessed(T0, HIGH, 1)], [T0]), CONFERENCE)
    assert (conference.outcome, conference.met_at) == (MET, T0)


def test_a_second_conference_changes_nothing():
    once = derive([assessed(T0, HIGH, 1)], [hours(30)])
    twice = derive([assessed(T0, HIGH, 1)], [hours(30), hours(90)])
    assert summary(twice) == summary(once)
    assert by_kind(twice, CONFERENCE)[0].met_at == hours(30)


def test_bringing_the_risk_down_does_not_stop_the_conference_clock_it_can_still_be_met_late():
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(24), MEDIUM, 2)], [hours(96)])
    assert [(c.kind, c.outcome, c.met_at) for c in clocks] == [
        (CONFERENCE, MET_LATE, hours(96)),
        (REDUCE, MET, hours(24)),
    ]


# --- A new episode ------------------------------------------------------------------


def test_a_high_after_the_risk_was_brought_down_opens_a_new_episode_with_new_clocks():
    clocks = derive(
        [assessed(T0, HIGH, 1), assessed(hours(50), MEDIUM, 2), assessed(hours(200), HIGH, 3)],
        [hours(10)],
    )
    assert [(c.kind, c.started_by_assessment_id, c.started_at, c.due_at, c.outcome) for c in clocks] == [
        (CONFERENCE, 1, T0, hours(72), MET),
        (REDUCE, 1, T0, hours(168), MET),
        (CONFERENCE, 3, hours(200), hours(272), OPEN),
        (REDUCE, 3, hours(200), hours(368), OPEN),
    ]


def test_the_conference_before_a_new_episode_does_not_meet_its_clock():
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(50), MEDIUM, 2), assessed(hours(200), HIGH, 3)], [hours(10)])
    assert by_kind(clocks, CONFERENCE)[1].outcome is OPEN


# --- Stops: the case closed, the victim taken off the case ---------------------------


def test_a_stop_stops_every_open_clock_with_its_reason_and_ends_the_episode():
    stop = Stopped(at=hours(30), reason="Case closed: victim moved away")
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(40), MEDIUM, 2)], [hours(50)], [stop])
    assert [(c.kind, c.outcome, c.stopped_at, c.stop_reason, c.met_at) for c in clocks] == [
        (CONFERENCE, STOPPED, hours(30), "Case closed: victim moved away", None),
        (REDUCE, STOPPED, hours(30), "Case closed: victim moved away", None),
    ]


def test_a_high_after_a_stop_starts_a_new_episode():
    stop = Stopped(at=hours(30), reason="Case closed: no further incidents")
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(40), HIGH, 2)], stops=[stop])
    assert [(c.started_by_assessment_id, c.outcome) for c in clocks] == [
        (1, STOPPED),
        (1, STOPPED),
        (2, OPEN),
        (2, OPEN),
    ]


def test_a_clock_met_before_the_stop_stays_met():
    stop = Stopped(at=hours(60), reason="Case closed: rehoused")
    clocks = derive([assessed(T0, HIGH, 1)], [hours(20)], [stop])
    assert [(c.kind, c.outcome, c.met_at, c.stopped_at) for c in clocks] == [
        (CONFERENCE, MET, hours(20), None),
        (REDUCE, STOPPED, None, hours(60)),
    ]


def test_a_stop_with_no_episode_open_changes_nothing():
    clocks = derive(
        [assessed(T0, HIGH, 1), assessed(hours(5), MEDIUM, 2)], [hours(6)], [Stopped(hours(10), "Case closed: done")]
    )
    assert [c.outcome for c in clocks] == [MET, MET]


def test_a_conference_at_the_instant_of_a_stop_still_counts():
    clocks = derive([assessed(T0, HIGH, 1)], [hours(30)], [Stopped(hours(30), "Case closed: resolved")])
    assert [c.outcome for c in clocks] == [MET, STOPPED]


# --- A stop after the due time: the breach stands ----------------------------------


def test_a_stop_after_the_due_time_leaves_the_clock_overdue_at_closing():
    """Closing the case 100 hours in: the conference was due at 72 and stays a breach;
    the 7-day clock, not yet due, stops."""
    stop = Stopped(at=hours(100), reason="Case closed: no contact")
    clocks = derive([assessed(T0, HIGH, 1)], stops=[stop])
    assert [(c.kind, c.outcome, c.stopped_at, c.stop_reason, c.met_at) for c in clocks] == [
        (CONFERENCE, OVERDUE_AT_CLOSING, hours(100), "Case closed: no contact", None),
        (REDUCE, STOPPED, hours(100), "Case closed: no contact", None),
    ]


def test_a_stop_exactly_at_the_due_instant_stops_the_clock():
    """At its due instant a clock is not overdue yet, as everywhere else."""
    clocks = derive([assessed(T0, HIGH, 1)], stops=[Stopped(hours(72), "Case closed: resolved")])
    assert [c.outcome for c in clocks] == [STOPPED, STOPPED]
    clocks = derive([assessed(T0, HIGH, 1)], stops=[Stopped(hours(72) + timedelta(microseconds=1), "Case closed: x")])
    assert [c.outcome for c in clocks] == [OVERDUE_AT_CLOSING, STOPPED]


def test_both_clocks_past_due_at_a_stop_are_both_breaches():
    clocks = derive([assessed(T0, HIGH, 1)], stops=[Stopped(hours(200), "Victim removed from the case: moved")])
    assert [c.outcome for c in clocks] == [OVERDUE_AT_CLOSING, OVERDUE_AT_CLOSING]


def test_a_conference_held_before_the_due_time_and_recorded_after_closing_still_meets_the_clock():
    """Recorded afterwards with its real, earlier time, the conference is placed before
    the stop: met on time, as it would have been had it been typed in on the day."""
    stop = Stopped(at=hours(100), reason="Case closed: no contact")
    assert [c.outcome for c in derive([assessed(T0, HIGH, 1)], [hours(50)], [stop])] == [MET, STOPPED]
    # Held after the due time but before the closing: met late, never a stop.
    assert [c.outcome for c in derive([assessed(T0, HIGH, 1)], [hours(90)], [stop])] == [MET_LATE, STOPPED]
    # Held after the closing: too late to meet a clock that closed overdue.
    assert [c.outcome for c in derive([assessed(T0, HIGH, 1)], [hours(110)], [stop])] == [OVERDUE_AT_CLOSING, STOPPED]


def test_a_reduction_recorded_after_closing_with_an_earlier_time_still_meets_the_clock():
    stop = Stopped(at=hours(200), reason="Case closed: no contact")
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(150), MEDIUM, 2)], stops=[stop])
    assert [(c.kind, c.outcome) for c in clocks] == [(CONFERENCE, OVERDUE_AT_CLOSING), (REDUCE, MET)]


# --- Recorded times, not the order of entry ------------------------------------------


def test_an_assessment_recorded_late_with_an_earlier_time_is_placed_where_it_happened():
    """A medium typed in after a later high (higher id, earlier time): given in entry
    order, the clocks are the same as in time order."""
    in_time_order = [assessed(T0, HIGH, 1), assessed(hours(50), MEDIUM, 3), assessed(hours(90), HIGH, 2)]
    in_entry_order = [in_time_order[0], in_time_order[2], in_time_order[1]]
    clocks = derive(in_entry_order, [hours(95), hours(20)])
    assert summary(clocks) == summary(derive(in_time_order, [hours(20), hours(95)]))
    assert summary(clocks) == [
        (CONFERENCE, 1, MET, hours(20)),
        (REDUCE, 1, MET, hours(50)),
        (CONFERENCE, 2, MET, hours(95)),
        (REDUCE, 2, OPEN, None),
    ]


def test_a_high_recorded_late_with_an_earlier_time_starts_the_episode_earlier():
    later_high = assessed(hours(40), HIGH, 1)
    earlier_high = assessed(hours(-60), HIGH, 2)  # typed in afterwards
    clocks = derive([later_high, earlier_high], [hours(30)])
    assert [(c.kind, c.started_by_assessment_id, c.due_at, c.outcome) for c in clocks] == [
        (CONFERENCE, 2, hours(12), MET_LATE),
        (REDUCE, 2, hours(108), OPEN),
    ]


def test_the_clocks_do_not_depend_on_the_order_events_are_given_in():
    """Random histories of one victim, shuffled: the same clocks every time."""
    rng = random.Random(3_2)
    levels = [HIGH, HIGH, MEDIUM, STANDARD]
    for _history in range(300):
        assessments = [assessed(hours(rng.randint(0, 400)), rng.choice(levels), n) for n in range(1, rng.randint(1, 7))]
        conferences = [hours(rng.randint(0, 400)) for _ in range(rng.randint(0, 3))]
        stops = [Stopped(hours(rng.randint(0, 500)), f"Stop {n}") for n in range(rng.randint(0, 1))]
        expected = summary(
            derive(sorted(assessments, key=lambda a: (a.at, a.assessment_id)), sorted(conferences), stops)
        )
        for _shuffle in range(3):
            rng.shuffle(assessments)
            rng.shuffle(conferences)
            assert summary(derive(assessments, conferences, stops)) == expected


# --- Configuration ------------------------------------------------------------------


def test_durations_come_from_the_rules():
    rules = SlaRules(conference_hours=48, reduce_hours=96)
    clocks = derive([assessed(T0, HIGH, 1), assessed(hours(97), MEDIUM, 2)], [hours(48)], rules=rules)
    assert [(c.kind, c.due_at, c.outcome) for c in clocks] == [
        (CONFERENCE, hours(48), MET),
        (REDUCE, hours(96), MET_LATE),
    ]


def test_the_default_rules_are_those_of_the_design():
    assert (RULES.conference_hours, RULES.reduce_hours, RULES.due_soon_hours, RULES.target_percent) == (72, 168, 24, 85)


# --- Clock changes: durations are elapsed time ----------------------------------------


def test_an_episode_starting_the_saturday_before_the_october_change_is_due_09_00_on_tuesday():
    start = datetime(2026, 10, 24, 10, 0, tzinfo=LONDON)  # BST, 09:00 UTC
    for given in (start.astimezone(UTC), start):  # as stored, and as a local time
        conference, reduce = derive([assessed(given, HIGH, 1)])
        due = conference.due_at.astimezone(LONDON)
        assert (due.date().isoformat(), due.hour, due.minute, due.tzname()) == ("2026-10-27", 9, 0, "GMT")
        assert conference.due_at.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=72)
        assert reduce.due_at.astimezone(UTC) == datetime(2026, 10, 31, 9, 0, tzinfo=UTC)  # 09:00 GMT, a week on


def test_an_episode_starting_the_saturday_before_the_march_change_is_due_11_00_on_tuesday():
    start = datetime(2026, 3, 28, 10, 0, tzinfo=LONDON)  # GMT, 10:00 UTC
    for given in (start.astimezone(UTC), start):
        (conference, _reduce) = derive([assessed(given, HIGH, 1)])
        due = conference.due_at.astimezone(LONDON)
        assert (due.date().isoformat(), due.hour, due.minute, due.tzname()) == ("2026-03-31", 11, 0, "BST")
        assert conference.due_at.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=72)


def test_a_conference_at_09_30_local_on_the_tuesday_after_the_october_change_is_late():
    """09:30 GMT is 72.5 elapsed hours after 10:00 BST on the Saturday."""
    start = datetime(2026, 10, 24, 10, 0, tzinfo=LONDON)
    held = datetime(2026, 10, 27, 9, 30, tzinfo=LONDON)
    for given_start, given_held in ((start.astimezone(UTC), held.astimezone(UTC)), (start, held)):
        (conference, _reduce) = derive([assessed(given_start, HIGH, 1)], [given_held])
        assert conference.outcome is MET_LATE
