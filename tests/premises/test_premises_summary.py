"""The incident summary kept on each premises, which the register's "suggestion differs"
filter reads instead of counting incidents: it must always agree with the suggestion
worked out from the incidents themselves, and recording an incident must not get in the
way of a move of colour."""

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from casework import db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.clock import utcnow
from casework.permissions import Role
from casework.premises.models import (
    IncidentCategory,
    IncidentSeverity,
    IncidentSource,
    Premises,
    PremisesIncident,
    PremisesKind,
    TlsStatus,
)
from casework.premises.services import premises as service
from casework.premises.services.premises_pages import RegisterFilter, register
from casework.premises.services.tls_rules import TlsRules, window_start
from tests.conftest import alembic_config
from tests.factories import make_agency, make_premises, make_user
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

RULES = TlsRules()


def record(officer, premises, agency, occurred_at) -> None:
    service.record_incident(
        officer,
        premises.id,
        occurred_at=occurred_at,
        reporting_agency_id=agency.id,
        source=IncidentSource.POLICE,
        category=IncidentCategory.DISORDER,
        severity=IncidentSeverity.LOW,
        description="",
    )


def differing_by_filter(officer, now) -> set[int]:
    page = register(officer, RegisterFilter(suggestion_differs=True), now=now, rules=RULES, per_page=1000)
    return {row.premises.id for row in page.items}


def differing_by_incidents(now) -> set[int]:
    every = list(db.session.scalars(sa.select(Premises)))
    suggestions = service.suggested_statuses([item.id for item in every], now, RULES)
    return {item.id for item in every if suggestions[item.id].status is not item.status}


def test_the_filter_agrees_with_the_suggestion_from_the_incidents(session):
    """Random premises and incidents from four agencies, many near the window's edge,
    recorded in a random order (late entries included)."""
    rng = random.Random(20261121)
    officer = make_user(role=Role.LICENSING_OFFICER)
    agencies = [make_agency() for _ in range(4)]
    now = utcnow()
    edge = window_start(now, RULES)
    # On the register long before the incidents, so that none is dated too far back.
    long_ago = now - timedelta(days=365)
    premises = [make_premises(status=rng.choice(list(TlsStatus)), created_at=long_ago) for _ in range(60)]
    moments = [edge, edge - timedelta(microseconds=1), edge + timedelta(seconds=1), now - timedelta(days=1)]
    for item in premises:
        for _ in range(rng.randint(0, 5)):
            occurred_at = rng.choice(moments) if rng.random() < 0.5 else now - timedelta(days=rng.uniform(0, 200))
            record(officer, item, rng.choice(agencies), occurred_at)
    db.session.commit()

    expected = differing_by_incidents(now)
    assert differing_by_filter(officer, now) == expected
    assert 10 < len(expected) < 50, "the sample should hold premises on both sides"
    # A day later some incidents have left the window: still the same answer.
    later = now + timedelta(days=1)
    assert differing_by_filter(officer, later) == differing_by_incidents(later)


def test_two_incidents_of_one_agency_are_one_agency(session):
    officer = make_user(role=Role.LICENSING_OFFICER)
    police, ambulance = make_agency(), make_agency()
    now = utcnow()
    item = make_premises(status=TlsStatus.AMBER, created_at=now - timedelta(days=365))
    record(officer, item, police, now - timedelta(days=100))
    record(officer, item, ambulance, now - timedelta(days=50))
    record(officer, item, ambulance, now - timedelta(days=5))
    db.session.commit()
    # Two agencies ever, but only one in the last 90 days: amber, as the premises is.
    assert differing_by_filter(officer, now) == set()
    record(officer, item, police, now - timedelta(days=60))
    db.session.commit()
    assert differing_by_filter(officer, now) == {item.id}


def test_recording_an_incident_does_not_make_a_move_in_progress_conflict(session):
    officer = make_user(role=Role.LICENSING_OFFICER)
    item = make_premises(status=TlsStatus.GREEN)
    seen_version = item.version
    record(officer, item, make_agency(), utcnow() - timedelta(hours=1))
    db.session.commit()
    service.move_status(officer, item.id, version=seen_version, to_status=TlsStatus.AMBER, reason="Disorder")
    db.session.commit()
    assert db.session.get(Premises, item.id).status is TlsStatus.AMBER


def test_the_migration_works_out_the_summary_of_incidents_already_held(database_url, tmp_path):
    with fresh_database(database_url, tmp_path, prefix="casework_summary") as url:
        migrations = alembic_config(url)
        command.upgrade(migrations, "b2b6cfc57b8c")
        engine = db.make_engine(url)
        now = utcnow()
        try:
            # The tables as they were before the summary (its columns are left out).
            with engine.begin() as connection:
                connection.execute(
                    sa.insert(Agency.__table__),
                    [
                        {
                            "id": number,
                            "name": name,
                            "kind": AgencyKind.POLICE,
                            "statutory": True,
                            "active": True,
                            "created_at": now,
                        }
                        for number, name in ((1, "Police"), (2, "Ambulance"))
                    ],
                )
                connection.execute(
                    sa.insert(users_table_then()),
                    [
                        {
                            "id": 1,
                            "email": "o@example.test",
                            "name": "O",
                            "agency_id": 1,
                            "role": Role.LICENSING_OFFICER,
                            "password_hash": "x",
                            "active": True,
                            "session_token": "t",
                            "created_at": now,
                            "version": 1,
                        }
                    ],
                )
                connection.execute(
                    sa.insert(Premises.__table__),
                    [
                        {
                            "id": number,
                            "name": "P",
                            "licence_number": f"L{number}",
                            "kind": PremisesKind.ON_SALES,
                            "status": TlsStatus.GREEN,
                            "status_since": now,
                            "created_at": now,
                            "version": 1,
                        }
                        for number in (1, 2)
                    ],
                )
                connection.execute(
                    sa.insert(PremisesIncident.__table__),
                    [
                        {
                            "premises_id": 1,
                            "occurred_at": now - timedelta(days=days),
                            "reporting_agency_id": agency,
                            "source": IncidentSource.POLICE,
                            "category": IncidentCategory.DISORDER,
                            "severity": IncidentSeverity.LOW,
                            "recorded_by_id": 1,
                            "recorded_at": now,
                        }
                        for agency, days in ((1, 30), (2, 10), (2, 3))
                    ],
                )
            command.upgrade(migrations, "head")
            with engine.connect() as connection:
                rows = {
                    row.id: (row.last_incident_at, row.second_agency_incident_at)
                    for row in connection.execute(
                        sa.select(Premises.id, Premises.last_incident_at, Premises.second_agency_incident_at)
                    )
                }
        finally:
            engine.dispose()
    assert rows[1] == (now - timedelta(days=3), now - timedelta(days=30))
    assert rows[2] == (None, None)


def users_table_then():
    """The columns `users` had at that revision, so none added later is written."""
    names = (
        "id",
        "email",
        "name",
        "agency_id",
        "role",
        "password_hash",
        "active",
        "session_token",
        "created_at",
        "version",
    )
    return sa.table("users", *[sa.column(name, User.__table__.c[name].type) for name in names])
