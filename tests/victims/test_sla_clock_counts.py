"""The counts of SLA clocks by month, kind and outcome that the database keeps beside the
clocks (``sla_clock_counts``): kept whatever writes the clocks, and added up into the
right quarter at the hour a summer quarter starts."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casework import db
from casework.clock import make_quarter
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, SlaClock
from casework.victims.services import sla_reports
from tests.factories import make_agency, make_case, make_person, make_user
from tests.support.kept_counts import assert_sla_clock_counts_kept
from tests.support.sla_clocks import make_clock

pytestmark = pytest.mark.both_databases


def test_the_migrated_database_keeps_the_counts_with_triggers(session):
    """A migration that copies `sla_clocks` on SQLite (batch mode) drops its triggers
    and must create them again: this fails if one forgets."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'sla_clocks'::regclass AND NOT tgisinternal"
        expected = {"sla_clock_counts_kept"}
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sla_clocks'"
        expected = {"sla_clock_counts_insert", "sla_clock_counts_update", "sla_clock_counts_delete"}
    assert {name for (name,) in db.session.execute(sa.text(query))} >= expected


def a_case_and_victim():
    member = make_user(agency=make_agency())
    return make_case(lead_agency=member.agency, opened_by=member), make_person(created_by=member)


def test_inserts_updates_and_deletes_of_any_kind_keep_the_counts(session):
    case, person = a_case_and_victim()
    started = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # the last hour of March is a stretch of its own
    clocks = [
        make_clock(case=case, person=person, started_at=started, kind=kind, outcome=outcome)
        for kind in ClockKind
        for outcome in (ClockOutcome.OPEN, ClockOutcome.MET, ClockOutcome.STOPPED)
    ]
    assert_sla_clock_counts_kept()
    db.session.execute(
        sa.update(SlaClock)
        .where(SlaClock.id == clocks[0].id)
        .values(outcome=ClockOutcome.MET_LATE, started_at=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    )
    db.session.execute(sa.update(SlaClock).where(SlaClock.id == clocks[1].id).values(kind=ClockKind.REDUCE_7D))
    assert_sla_clock_counts_kept()
    db.session.execute(sa.delete(SlaClock).where(SlaClock.id.in_([clocks[2].id, clocks[3].id])))
    assert_sla_clock_counts_kept()


@pytest.mark.calendar
def test_a_clock_started_in_the_hour_before_a_summer_quarter_counts_in_the_quarter_before(session):
    """1 April 00:00 in London is 31 March 23:00 UTC: a clock started at 22:59 UTC is in
    the fourth quarter, one started at 23:00 UTC in the first."""
    case, person = a_case_and_victim()
    for at in (datetime(2026, 3, 31, 22, 59, tzinfo=UTC), datetime(2026, 3, 31, 23, 0, tzinfo=UTC)):
        make_clock(case=case, person=person, started_at=at, outcome=ClockOutcome.MET)
    manager = make_user(role=Role.MANAGER)
    now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    q4, q1 = make_quarter(2025, 4), make_quarter(2026, 1)
    figures = {quarter.key: sla_reports.quarter_figures(manager, quarter, now).kinds[0] for quarter in (q4, q1)}
    assert (figures[q4.key].met, figures[q1.key].met) == (1, 1)
