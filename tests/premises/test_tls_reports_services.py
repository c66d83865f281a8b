"""The traffic light report's figures, counted from hand-built status changes: the
red-to-amber and amber-to-green cohorts (on time, at the deadline, late, not reached,
pending), calendar-month deadlines, the RAG, activity by quarter, overdue premises and
the export rows, each in a constant number of queries."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from casework import db
from casework.audit.models import AuditEvent
from casework.clock import ZONE, add_months, make_quarter, previous_quarters, quarter_of, utcnow
from casework.exceptions import PermissionDenied
from casework.permissions import Role
from casework.premises.models import (
    HearingKind,
    HearingOutcome,
    LicensingHearing,
    Premises,
    PremisesStatusChange,
    PremisesVisit,
    TlsStatus,
    VisitKind,
)
from casework.premises.services import tls_reports
from casework.premises.services.tls_rules import TlsRules, deadlines
from casework.rag import Rag
from tests.factories import build_premises, make_agency, make_premises, make_user
from tests.support.queries import recorded_statements

pytestmark = [pytest.mark.both_databases, pytest.mark.calendar]

LONDON = ZONE
RED, AMBER, GREEN = TlsStatus.RED, TlsStatus.AMBER, TlsStatus.GREEN
RULES = TlsRules()
# October to December 2025: long past, so every deadline of its cohort has passed.
Q3 = make_quarter(2025, 3)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def manager(session):
    return make_user(role=Role.MANAGER, agency=make_agency(name="Cambridgeshire Constabulary"))


def move(officer, premises, *moves: tuple[TlsStatus, TlsStatus, datetime]) -> None:
    for from_status, to_status, when in moves:
        db.session.add(
            PremisesStatusChange(
                premises_id=premises.id,
                from_status=from_status,
                to_status=to_status,
                reason="Test",
                officer_id=officer.id,
                at=when,
            )
        )
    db.session.commit()


def figures(actor, quarter=Q3, now=None):
    now = now or utcnow()
    return tls_reports.report(actor, quarter, previous_quarters(quarter, 4), now, RULES, 80)


def test_red_cohort_counts_met_at_the_deadline_late_and_not_reached(officer, manager):
    # Turned red on 30 November: due by 28 February (no 30th), at the same time of day.
    on_time = make_premises(status=AMBER)
    move(officer, on_time, (GREEN, RED, at(2025, 11, 30, 12)), (RED, AMBER, at(2026, 2, 28, 12)))
    late = make_premises(status=AMBER)
    move(officer, late, (GREEN, RED, at(2025, 11, 30, 12)), (RED, AMBER, at(2026, 2, 28, 12, 1)))
    straight_to_green = make_premises(status=GREEN)
    move(officer, straight_to_green, (AMBER, RED, at(2025, 10, 1, 9)), (RED, GREEN, at(2025, 12, 1, 9)))
    never = make_premises(status=RED)
    move(officer, never, (AMBER, RED, at(2025, 12, 31, 23)))
    before_quarter = make_premises(status=AMBER)  # turned red in September: another quarter's cohort
    move(officer, before_quarter, (GREEN, RED, at(2025, 9, 30, 22)), (RED, AMBER, at(2025, 10, 2, 9)))

    red, amber = figures(manager).cohorts
    assert (red.entered, red.met, red.late, red.not_met, red.pending) == (4, 2, 1, 1, 0)
    assert red.percent == 50 and red.rag is Rag.RED
    # The changes to amber in the quarter: one, which never reached green.
    assert (amber.entered, amber.met, amber.late, amber.not_met) == (1, 0, 0, 1)


def test_amber_cohort_counts_a_move_back_to_red_as_not_met(officer, manager):
    green_in_time = make_premises(status=GREEN)
    move(officer, green_in_time, (RED, AMBER, at(2025, 10, 15, 9)), (AMBER, GREEN, at(2026, 1, 15, 9)))
    back_to_red = make_premises(status=RED)
    move(officer, back_to_red, (GREEN, AMBER, at(2025, 10, 15, 9)), (AMBER, RED, at(2025, 11, 1, 9)))

    amber = figures(manager).cohorts[1]
    assert (amber.entered, amber.met, amber.late, amber.not_met) == (2, 1, 0, 1)


@pytest.mark.parametrize(
    ("met", "late", "rag"),
    [(4, 1, ("Green", "green")), (7, 3, ("Amber", "orange")), (2, 1, ("Red", "red"))],
)
def test_rag_against_the_80_percent_target(officer, manager, met, late, rag):
    # 80% is green; 70%, exactly 10 points below the target, is still amber; 66% is red.
    for _ in range(met):
        move(officer, make_premises(status=AMBER), (GREEN, RED, at(2025, 10, 6, 9)), (RED, AMBER, at(2025, 11, 6, 9)))
    for _ in range(late):
        move(officer, make_premises(status=AMBER), (GREEN, RED, at(2025, 10, 6, 9)), (RED, AMBER, at(2026, 2, 6, 9)))
    red = figures(manager).cohorts[0]
    assert red.counted == met + late
    assert red.rag is not None and (red.rag.label, red.rag.colour) == rag


def test_a_premises_whose_deadline_has_not_passed_is_pending_and_not_counted(officer, manager):
    now = utcnow()
    quarter = quarter_of(now)
    move(officer, make_premises(status=RED), (GREEN, RED, max(quarter.start, now - timedelta(minutes=5))))
    red = figures(manager, quarter, now).cohorts[0]
    assert (red.entered, red.pending, red.counted, red.percent, red.rag) == (1, 1, 0, None, None)


def test_colours_activity_and_overdue_in_five_queries(officer, manager):
    now = utcnow()
    overdue_red = make_premises(name="The Overdue Arms", status=RED, status_since=now - timedelta(days=100))
    make_premises(status=RED, status_since=now - timedelta(days=10))
    make_premises(name="The Unvisited", status=AMBER, status_since=now - timedelta(days=40))
    visited = make_premises(status=AMBER, status_since=now - timedelta(days=40))
    make_premises(status=GREEN, status_since=now - timedelta(days=400))
    db.session.add(
        PremisesVisit(
            premises_id=visited.id, kind=VisitKind.COMPLIANCE, officer_id=officer.id, visited_at=now - timedelta(days=5)
        )
    )
    move(
        officer,
        overdue_red,
        (AMBER, RED, at(2025, 11, 2, 9)),
        (RED, AMBER, at(2025, 12, 2, 9)),
        (AMBER, RED, at(2026, 1, 2, 9)),
    )
    db.session.add(
        PremisesVisit(
            premises_id=overdue_red.id,
            kind=VisitKind.COMPLIANCE,
            officer_id=officer.id,
            visited_at=at(2025, 12, 31, 23, 30),
        )
    )
    db.session.add(
        LicensingHearing(
            premises_id=overdue_red.id,
            kind=HearingKind.REVIEW,
            held_on=date(2026, 1, 1),
            outcome=HearingOutcome.CONDITIONS_ADDED,
            recorded_by_id=officer.id,
        )
    )
    db.session.commit()

    with recorded_statements(db.session.get_bind()) as statements:
        report = figures(manager, make_quarter(2025, 4), now)
    assert len(statements) == 5

    assert report.colours == {RED: 2, AMBER: 2, GREEN: 1}
    by_quarter = {row.quarter.key: (row.moves, row.visits, row.hearings) for row in report.activity}
    # 31 December 23:30 UTC is still December in London; 1 January is the next quarter.
    assert by_quarter["2025-Q3"] == (2, 1, 0)
    assert by_quarter["2025-Q4"] == (1, 0, 1)
    assert [row.quarter.key for row in report.activity] == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert report.overdue == 2
    assert [(row.name, row.deadline) for row in report.overdue_premises] == [
        ("The Unvisited", "Licensing visit"),  # due 12 days ago
        ("The Overdue Arms", "Reach amber"),  # due about 8 days ago
    ]


def test_analysts_get_the_count_without_names(session):
    make_premises(name="The Overdue Arms", status=RED, status_since=utcnow() - timedelta(days=100))
    analyst = make_user(role=Role.ANALYST, agency=make_agency(name="Fenland District Council"))
    with recorded_statements(db.session.get_bind()) as statements:
        report = figures(analyst)
    assert report.overdue == 1 and report.overdue_premises == [] and not report.named
    assert not any("premises.name" in statement for statement in statements)


@pytest.mark.parametrize("role", [Role.PSG_MEMBER, Role.PARTNER])
def test_others_may_not_see_the_report(session, role):
    with pytest.raises(PermissionDenied):
        figures(make_user(role=role, agency=make_agency(name="Fenland District Council")))


def test_export_rows_say_whether_each_move_came_within_its_deadline(officer, manager):
    premises = make_premises(name="=HYPERLINK(1)", licence_number="PL-EXPORT", town="March", status=AMBER)
    move(
        officer,
        premises,
        (GREEN, RED, at(2025, 7, 15, 9)),  # in the quarter before
        (RED, AMBER, at(2025, 10, 1, 9)),  # within 3 months of 15 July
        (AMBER, RED, at(2025, 11, 1, 9)),  # a worse colour: no deadline applies
        (RED, AMBER, at(2026, 2, 2, 9)),  # 3 months after 1 November, in the next quarter
    )
    rows = tls_reports.export_rows(manager, Q3, RULES)
    assert rows[0] == tls_reports.EXPORT_HEADER
    assert rows[1:] == [
        (
            "=HYPERLINK(1)",
            "PL-EXPORT",
            "March",
            "Red",
            "Amber",
            "2025-10-01T10:00+01:00",
            "Fenland District Council",
            "Yes",
        ),
        (
            "=HYPERLINK(1)",
            "PL-EXPORT",
            "March",
            "Amber",
            "Red",
            "2025-11-01T09:00+00:00",
            "Fenland District Council",
            "Not applicable",
        ),
    ]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "premises.report_exported")).one()
    assert event.detail == {"quarter": "2025-Q3", "rows": 2}
    late = tls_reports.export_rows(manager, make_quarter(2025, 4), RULES)
    assert late[1][-1] == "No"


def test_only_managers_and_admins_export(session):
    chair = make_user(role=Role.PSG_CHAIR, agency=make_agency(name="Fenland District Council"))
    with pytest.raises(PermissionDenied):
        tls_reports.export_rows(chair, Q3, RULES)


def _listed_by_hand(now):
    """Every premises with a deadline passed, most overdue first, from the rules alone."""
    visits = {
        premises_id: at
        for premises_id, at in db.session.execute(select(PremisesVisit.premises_id, PremisesVisit.visited_at))
    }
    found = []
    for premises in db.session.scalars(select(Premises)):
        latest = max((at for pid, at in visits.items() if pid == premises.id), default=None)
        passed = [d for d in deadlines(premises.status, premises.status_since, latest, RULES) if d.overdue(now)]
        if passed:
            first = min(passed, key=lambda d: d.due_at)
            found.append((first.due_at, premises.status_since, premises.id, first.kind.label))
    return sorted(found)


# With no spare rows read, the list reads the next few days' starts again (a statement more).
@pytest.mark.parametrize("spare", [20, 0])
def test_the_most_overdue_are_listed_and_every_one_counted(officer, manager, monkeypatch, spare):
    """Starts on every day of the last year, some at a month's end (two starts that reach
    the same deadline) and some whose deadline falls today, red and amber, visited or not:
    the count is of all of them and the list is the first few of the order worked out by
    hand from the rules."""
    monkeypatch.setattr(tls_reports, "_SPARE", spare)
    now = utcnow()
    rng = random.Random(14)
    starts = [now - timedelta(days=days, hours=rng.randrange(24)) for days in range(1, 400, 3)]
    starts += [at(2026, 8, 31, 10), at(2026, 8, 30, 11), at(2026, 8, 29, 23)]  # 30 November, clamped
    starts += [add_months(now, -3) + timedelta(minutes=delta) for delta in (-30, 30)]  # due today
    starts += [now - timedelta(days=28, minutes=delta) for delta in (-30, 30)]
    visited = []
    for since in starts:
        for status in (RED, AMBER):
            premises = build_premises(status=status, status_since=since)
            db.session.add(premises)
            if status is AMBER and rng.random() < 0.3:
                visited.append((premises, since + timedelta(days=rng.choice([-2, 1, 40]))))
    db.session.flush()  # the premises in one go (hundreds of them), then their visits
    for premises, visited_at in visited:
        db.session.add(
            PremisesVisit(
                premises_id=premises.id, kind=VisitKind.COMPLIANCE, officer_id=officer.id, visited_at=visited_at
            )
        )
    db.session.commit()
    expected = _listed_by_hand(now)
    assert len(expected) > 100

    for listed in (1, 7, 60, 1000):
        count, rows = tls_reports.overdue_now(now, RULES, named=True, listed=listed)
        assert count == len(expected)
        assert [(row.due_at, row.premises_id, row.deadline) for row in rows] == [
            (due, premises_id, kind) for due, _, premises_id, kind in expected[:listed]
        ]


def test_the_report_lists_a_few_and_counts_the_rest(officer, manager, monkeypatch):
    now = utcnow()
    for days in (100, 110, 120, 130):
        make_premises(status=RED, status_since=now - timedelta(days=days))
    monkeypatch.setattr(tls_reports, "OVERDUE_LISTED", 3)
    with recorded_statements(db.session.get_bind()) as statements:
        report = figures(manager, now=now)
    assert len(statements) == 5
    assert report.overdue == 4 and len(report.overdue_premises) == 3 and report.overdue_not_listed == 1
