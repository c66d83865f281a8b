"""The traffic light rules (DESIGN.md section 3.3) as pure functions: calendar-month
deadlines in London time, the amber visit, and the suggested colour at the window edge."""

from datetime import UTC, datetime, timedelta

import pytest

from casework.clock import ZONE, add_months
from casework.premises.models import TlsStatus
from casework.premises.services.tls_rules import (
    Deadline,
    DeadlineKind,
    TlsRules,
    deadlines,
    in_window,
    needs_licensing_review,
    suggest,
    window_start,
)

pytestmark = pytest.mark.calendar

LONDON = ZONE
RULES = TlsRules()
RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN


def local(*args: int) -> datetime:
    """A London wall-clock time, as the UTC instant stored."""
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


# --- Calendar months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ((2026, 11, 30), (2027, 2, 28)),  # 30 November: due by 28 February
        ((2027, 11, 30), (2028, 2, 29)),  # ... or 29 February in a leap year
        ((2026, 8, 31), (2026, 11, 30)),  # 31 August: November has 30 days
        ((2026, 11, 29), (2027, 2, 28)),
        ((2027, 11, 29), (2028, 2, 29)),
        ((2026, 1, 15), (2026, 4, 15)),  # a day every month has moves to the same day
        ((2026, 12, 31), (2027, 3, 31)),  # across the year end
    ],
)
def test_three_calendar_months_clamp_to_the_end_of_a_shorter_month(start, due):
    assert add_months(local(*start, 10, 0), 3) == local(*due, 10, 0)


def test_2100_is_not_a_leap_year():
    assert add_months(local(2099, 11, 30, 10, 0), 3) == local(2100, 2, 28, 10, 0)


def test_months_are_counted_on_the_london_date_not_the_utc_date():
    # 00:30 on 1 September in London is still 31 August in UTC.
    turned_red = local(2026, 9, 1, 0, 30)
    assert turned_red.day == 31
    assert add_months(turned_red, 3) == local(2026, 12, 1, 0, 30)


def test_the_local_time_of_day_is_kept_across_the_october_clock_change():
    turned_red = local(2026, 9, 10, 9, 0)  # 08:00 UTC in summer time
    due = add_months(turned_red, 3)
    assert due == local(2026, 12, 10, 9, 0)
    assert (turned_red.hour, due.hour) == (8, 9)  # 9am both times, an hour apart in UTC


# --- Deadlines ------------------------------------------------------------------------


def test_a_red_premises_must_reach_amber_within_three_months_or_go_to_review():
    since = local(2026, 11, 30, 14, 0)
    (deadline,) = deadlines(RED, since, None, RULES)
    assert deadline == Deadline(DeadlineKind.REACH_AMBER, local(2027, 2, 28, 14, 0))
    assert not deadline.overdue(deadline.due_at)
    assert deadline.overdue(deadline.due_at + timedelta(seconds=1))
    assert not needs_licensing_review(RED, since, deadline.due_at, RULES)
    assert needs_licensing_review(RED, since, deadline.due_at + timedelta(seconds=1), RULES)


def test_an_amber_premises_must_reach_green_in_three_months_and_be_visited_in_28_days():
    since = local(2026, 3, 10, 11, 0)
    reach_green, visit = deadlines(AMBER, since, None, RULES)
    assert reach_green == Deadline(DeadlineKind.REACH_GREEN, local(2026, 6, 10, 11, 0))
    # 28 calendar days, across the March clock change, still at 11am.
    assert visit == Deadline(DeadlineKind.AMBER_VISIT, local(2026, 4, 7, 11, 0), met=False)
    assert visit.overdue(visit.due_at + timedelta(seconds=1))
    assert not needs_licensing_review(AMBER, since, since + timedelta(days=400), RULES)


def test_the_visit_deadline_is_met_by_a_visit_at_or_after_turning_amber():
    since = local(2026, 5, 1, 9, 0)

    def visit_met(last_visit_at):
        return deadlines(AMBER, since, last_visit_at, RULES)[1].met

    assert visit_met(since)
    assert visit_met(since + timedelta(days=3))
    assert not visit_met(since - timedelta(seconds=1))  # a visit before it turned amber
    assert not visit_met(None)
    met = deadlines(AMBER, since, since + timedelta(days=3), RULES)[1]
    assert not met.overdue(since + timedelta(days=60))


def test_a_green_premises_has_no_deadlines():
    assert deadlines(GREEN, local(2026, 1, 1, 9, 0), None, RULES) == []


def test_deadlines_follow_the_configured_rules():
    rules = TlsRules.from_config({"TLS_RED_TO_AMBER_MONTHS": "1", "TLS_AMBER_VISIT_DAYS": 14})
    assert (rules.red_to_amber_months, rules.amber_to_green_months, rules.amber_visit_days) == (1, 3, 14)
    (deadline,) = deadlines(RED, local(2027, 1, 31, 9, 0), None, rules)
    assert deadline.due_at == local(2027, 2, 28, 9, 0)
    assert deadlines(AMBER, local(2027, 1, 1, 9, 0), None, rules)[1].due_at == local(2027, 1, 15, 9, 0)


# --- The suggested colour -------------------------------------------------------------

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_the_window_includes_an_incident_exactly_90_days_old_and_not_a_second_older():
    exactly = NOW - timedelta(days=90)
    assert window_start(NOW, RULES) == exactly
    assert in_window(exactly, NOW, RULES)
    assert not in_window(exactly - timedelta(seconds=1), NOW, RULES)
    assert in_window(NOW, NOW, RULES)
    assert not in_window(NOW + timedelta(seconds=1), NOW, RULES)


def test_no_reporting_agency_suggests_green():
    suggestion = suggest([])
    assert suggestion.status is GREEN
    assert suggestion.explanation == "no incidents reported in the last 90 days, so green"


def test_one_agency_suggests_amber_however_many_incidents_it_reported():
    suggestion = suggest(["Cambridgeshire Constabulary", "Cambridgeshire Constabulary"])
    assert suggestion.status is AMBER
    assert (
        suggestion.explanation
        == "incidents in the last 90 days reported by Cambridgeshire Constabulary: 1 agency, so amber"
    )


def test_more_than_one_agency_suggests_red_and_names_them():
    suggestion = suggest(["East of England Ambulance Service", "Cambridgeshire Constabulary"])
    assert suggestion.status is RED
    assert suggestion.explanation == (
        "incidents in the last 90 days reported by Cambridgeshire Constabulary and "
        "East of England Ambulance Service: 2 agencies, so red"
    )
    three = suggest(["C", "A", "B"], window_days=30)
    assert (three.status, three.explanation) == (
        RED,
        "incidents in the last 30 days reported by A, B and C: 3 agencies, so red",
    )


def test_the_reports_quick_deadline_test_agrees_with_the_calendar():
    """The report tells most cohort changes met or late from the time elapsed alone
    (``tls_reports._within``); around every month's end and both clock changes of two
    years, for 1 to 12 months and times either side of the bounds it uses, it says what
    ``add_months`` says."""
    from casework.premises.services.tls_reports import _within

    start = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
    moments = [start + timedelta(hours=7 * step) for step in range(2 * 365 * 24 // 7)]
    for at in moments[::5]:
        for months in (1, 2, 3, 6, 12):
            due = add_months(at, months)
            for elapsed in (
                due - at,
                timedelta(days=28 * months - 1),
                timedelta(days=31 * months + 1),
                timedelta(days=28 * months - 1, seconds=1),
                timedelta(days=31 * months + 1, seconds=-1),
            ):
                for then in (at + elapsed - timedelta(seconds=1), at + elapsed, at + elapsed + timedelta(seconds=1)):
                    assert _within(at, then, months) is (then <= due), (at, months, then)
