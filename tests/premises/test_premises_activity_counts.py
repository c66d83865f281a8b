"""The counts of moves of colour, visits and hearings by month that the database keeps
for the traffic light report (``premises_activity_counts``): kept whatever writes the
rows, and added up into the right quarter at the hour a summer quarter starts."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from casework import db
from casework.clock import local_date, make_quarter, previous_quarters, utcnow
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    LicensingHearing,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
    VisitResult,
)
from casework.premises.services import premises as service
from casework.premises.services import tls_reports
from tests.factories import make_premises
from tests.support.kept_counts import assert_premises_activity_counts_kept

pytestmark = pytest.mark.both_databases

RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN
WATCHED = {
    "premises_status_changes": "move",
    "premises_visits": "visit",
    "licensing_hearings": "hearing",
}


def test_the_migrated_database_keeps_the_counts_with_triggers(session):
    """A migration that copies one of the three tables on SQLite (batch mode) drops its
    triggers and must create them again: this fails if one forgets."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    for table, kind in WATCHED.items():
        if postgresql:
            query = f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal"
            expected = {f"premises_activity_counts_{kind}_kept"}
        else:
            query = f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '{table}'"
            expected = {f"premises_activity_counts_{kind}_{event}" for event in ("insert", "update", "delete")}
        assert {name for (name,) in db.session.execute(sa.text(query))} >= expected


def rows(officer, premises, when: datetime) -> tuple[PremisesStatusChange, PremisesVisit, LicensingHearing]:
    change = PremisesStatusChange(
        premises_id=premises.id, from_status=GREEN, to_status=AMBER, reason="Test", officer_id=officer.id, at=when
    )
    visit = PremisesVisit(premises_id=premises.id, kind=VisitKind.COMPLIANCE, officer_id=officer.id, visited_at=when)
    hearing = LicensingHearing(
        premises_id=premises.id,
        kind=HearingKind.REVIEW,
        held_on=local_date(when),
        outcome=HearingOutcome.NO_ACTION,
        recorded_by_id=officer.id,
    )
    db.session.add_all([change, visit, hearing])
    db.session.flush()
    return change, visit, hearing


def test_what_the_services_record_is_counted(officer):
    now = utcnow()
    premises = make_premises(status=GREEN, status_since=now - timedelta(days=400))
    service.move_status(officer, premises.id, version=premises.version, to_status=AMBER, reason="Fights")
    service.record_visit(
        officer,
        premises.id,
        kind=VisitKind.COMPLIANCE,
        result=VisitResult.PASS,
        visited_at=now - timedelta(days=3),
        notes="",
    )
    service.record_hearing(
        officer,
        premises.id,
        kind=HearingKind.HEARING,
        held_on=local_date(now) - timedelta(days=10),
        outcome=HearingOutcome.NO_ACTION,
    )
    db.session.commit()
    assert_premises_activity_counts_kept()


def test_inserts_updates_and_deletes_of_each_kind_keep_the_counts(officer):
    premises = make_premises()
    # The last hour of March is a stretch of its own; 1 April is another month.
    change, visit, hearing = rows(officer, premises, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    others = rows(officer, premises, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    assert_premises_activity_counts_kept()

    later = datetime(2026, 5, 14, 10, 0, tzinfo=UTC)
    db.session.execute(sa.update(PremisesStatusChange).where(PremisesStatusChange.id == change.id).values(at=later))
    db.session.execute(sa.update(PremisesVisit).where(PremisesVisit.id == visit.id).values(visited_at=later))
    db.session.execute(
        sa.update(LicensingHearing).where(LicensingHearing.id == hearing.id).values(held_on=date(2026, 5, 14))
    )
    # Other columns change nothing counted.
    db.session.execute(sa.update(PremisesVisit).where(PremisesVisit.id == visit.id).values(notes="Edited"))
    assert_premises_activity_counts_kept()

    for model, row in zip((PremisesStatusChange, PremisesVisit, LicensingHearing), others, strict=True):
        db.session.execute(sa.delete(model).where(model.id == row.id))
    assert_premises_activity_counts_kept()


@pytest.mark.calendar
def test_the_report_adds_them_up_as_counting_the_rows_does(officer):
    """A year of moves, visits and hearings at random times, with some at the edges of
    quarters in both zones' offsets: each quarter's figures are what counting the rows
    with the quarter's own bounds gives."""
    premises = make_premises()
    chance = random.Random(14)
    edges = [datetime(2026, 3, 31, 22, 59, tzinfo=UTC), datetime(2026, 3, 31, 23, 0, tzinfo=UTC)]
    edges += [datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, tzinfo=UTC)]
    start = datetime(2025, 9, 1, tzinfo=UTC)
    moments = edges + [start + timedelta(minutes=chance.randrange(60 * 24 * 420)) for _ in range(60)]
    for when in moments:
        rows(officer, premises, when)
    db.session.commit()
    assert_premises_activity_counts_kept()

    quarters = previous_quarters(make_quarter(2026, 3), 5)  # newest first: any order will do
    found = {(a.quarter.key, a.moves, a.visits, a.hearings) for a in tls_reports.activity(quarters)}

    def counted(model, column, start, end):
        return db.session.scalar(select(sa.func.count()).select_from(model).where(column >= start, column < end))

    expected = set()
    for q in quarters:
        first, last = local_date(q.start), local_date(q.end)
        expected.add(
            (
                q.key,
                counted(PremisesStatusChange, PremisesStatusChange.at, q.start, q.end),
                counted(PremisesVisit, PremisesVisit.visited_at, q.start, q.end),
                counted(LicensingHearing, LicensingHearing.held_on, first, last),
            )
        )
    assert found == expected
    assert sum(moves for _, moves, _, _ in found) > 0
