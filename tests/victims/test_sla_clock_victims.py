"""The victims of each quarter that the database keeps beside the clocks
(``sla_clock_victims``, one row per quarter, kind and victim with how many clocks, and
``sla_clock_victim_counts``, how many such rows each quarter and kind has):
kept whatever writes the clocks, in the quarter of the UK calendar at every boundary,
and counted into the dashboard's victims."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from casework import db
from casework.clock import make_quarter
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, SlaClock, SlaClockVictim
from casework.victims.services import sla_reports
from tests.factories import make_agency, make_case, make_person, make_user
from tests.support.kept_counts import assert_sla_clock_victims_kept
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_the_migrated_database_keeps_the_victims_with_triggers(session):
    """A migration that copies `sla_clocks` on SQLite (batch mode) drops its triggers
    and must create them again: this fails if one forgets."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        expected = {"sla_clock_victims_kept", "sla_clock_victim_counts_kept"}
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        expected = {
            "sla_clock_victims_insert",
            "sla_clock_victims_update",
            "sla_clock_victims_delete",
            "sla_clock_victim_counts_insert",
            "sla_clock_victim_counts_delete",
        }
    assert {name for (name,) in db.session.execute(sa.text(query))} >= expected


def a_case_and_victims(count=2):
    member = make_user(agency=make_agency())
    case = make_case(lead_agency=member.agency, opened_by=member)
    return case, [make_person(created_by=member) for _ in range(count)]


def _rows():
    return db.session.execute(
        sa.select(SlaClockVictim.kind, SlaClockVictim.person_id, SlaClockVictim.tally).order_by(
            SlaClockVictim.quarter_from, SlaClockVictim.kind, SlaClockVictim.person_id
        )
    ).all()


def test_inserts_updates_and_deletes_keep_one_row_per_quarter_kind_and_victim(session):
    case, (first, second) = a_case_and_victims()
    started = datetime(2026, 8, 3, 10, tzinfo=UTC)
    clocks = [
        make_clock(case=case, person=first, started_at=started + timedelta(days=days), outcome=outcome)
        for days, outcome in ((0, ClockOutcome.OPEN), (20, ClockOutcome.MET), (40, ClockOutcome.STOPPED))
    ]
    make_clock(case=case, person=second, started_at=started, kind=ClockKind.REDUCE_7D)
    assert_sla_clock_victims_kept()
    assert _rows() == [(ClockKind.CONFERENCE_72H, first.id, 3), (ClockKind.REDUCE_7D, second.id, 1)]
    # Another victim, another kind, another quarter: each moves the clock between rows.
    db.session.execute(sa.update(SlaClock).where(SlaClock.id == clocks[0].id).values(person_id=second.id))
    db.session.execute(sa.update(SlaClock).where(SlaClock.id == clocks[1].id).values(kind=ClockKind.REDUCE_7D))
    db.session.execute(
        sa.update(SlaClock).where(SlaClock.id == clocks[2].id).values(started_at=datetime(2026, 10, 5, tzinfo=UTC))
    )
    assert_sla_clock_victims_kept()
    # A change of outcome alone moves nothing.
    db.session.execute(sa.update(SlaClock).where(SlaClock.id == clocks[0].id).values(outcome=ClockOutcome.MET_LATE))
    assert_sla_clock_victims_kept()
    # A victim's last clock of a kind in a quarter takes its row with it.
    db.session.execute(sa.delete(SlaClock).where(SlaClock.id.in_([clocks[0].id, clocks[2].id])))
    assert_sla_clock_victims_kept()
    assert _rows() == [(ClockKind.REDUCE_7D, first.id, 1), (ClockKind.REDUCE_7D, second.id, 1)]
    db.session.execute(sa.delete(SlaClock))
    assert _rows() == []


@pytest.mark.calendar
def test_every_quarter_boundary_from_2019_to_2035_puts_a_clock_in_the_quarter_of_the_uk_calendar(session):
    """1 April, July and October start at 23:00 UTC the day before (summer time), 1
    January at 00:00 UTC: a clock a microsecond before, at, and an hour after each
    start, against casework.clock's own quarters."""
    case, (person,) = a_case_and_victims(1)
    for year in range(2019, 2036):
        for number in range(1, 5):
            start = make_quarter(year, number).start
            for at in (start - timedelta(microseconds=1), start, start + timedelta(hours=1)):
                make_clock(case=case, person=person, started_at=at.astimezone(UTC), commit=False)
    assert_sla_clock_victims_kept()


def test_the_dashboard_counts_a_victim_with_clocks_in_two_months_of_a_quarter_once(session):
    case, (first, second) = a_case_and_victims()
    quarter = make_quarter(2026, 2)  # July to September
    for person, days in ((first, 0), (first, 40), (first, 80), (second, 40)):
        make_clock(case=case, person=person, started_at=quarter.start + timedelta(days=days), outcome=ClockOutcome.MET)
    make_clock(case=case, person=second, started_at=quarter.end, outcome=ClockOutcome.MET)  # the next quarter
    figures = sla_reports.quarter_figures(make_user(role=Role.MANAGER), quarter, NOW).kinds
    assert [(kind.clocks, kind.victims) for kind in figures] == [(4, 2), (0, 0)]
