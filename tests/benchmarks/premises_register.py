"""Server time of the premises register with 5,000 premises and 200,000 incidents
(issue budget: under 50 ms, the same few queries whatever the size).

Run from the repository root:

    .venv/bin/python tests/benchmarks/premises_register.py

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, inserts the premises and
two years of incidents directly, signs in as a licensing officer and times pages through
the Flask test client (5 requests to warm up, then 30), printing p50 and p95 and the
number of statements. Not collected by pytest (no ``test_`` prefix).
"""

import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from casework import create_app, db
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
from casework.premises.services.premises import refresh_incident_summary
from config import TestConfig
from tests.benchmarks.sla_dashboard import TIMED, WARM_UP, insert, migrate, report, timed
from tests.conftest import SignedInClient
from tests.support.postgres import PostgresUnavailable, throwaway_postgres
from tests.support.queries import recorded_statements

PREMISES, INCIDENTS = 5_000, 200_000
PAGES = {
    "register, page 1": "/premises",
    "register, page 100": "/premises?page=100",
    "deadline passed": "/premises?deadline_passed=y",
    "suggestion differs": "/premises?suggestion_differs=y",
}


def fill(now: datetime) -> int:
    """Insert the premises and incidents; return the licensing officer's id."""
    rng = random.Random(2026)
    connection = db.session.connection()
    insert(
        connection,
        Agency.__table__,
        [
            {
                "name": f"Agency {n}",
                "kind": AgencyKind.POLICE.value,
                "statutory": True,
                "active": True,
                "created_at": now,
            }
            for n in range(8)
        ],
    )
    agency_ids = list(db.session.scalars(sa.select(Agency.id)))
    officer = User(
        email="officer@example.test",
        name="Licensing Officer",
        agency_id=agency_ids[0],
        role=Role.LICENSING_OFFICER,
        password_hash="x",
    )
    db.session.add(officer)
    db.session.flush()
    statuses = [TlsStatus.GREEN] * 7 + [TlsStatus.AMBER] * 2 + [TlsStatus.RED]
    insert(
        connection,
        Premises.__table__,
        [
            {
                "name": f"Premises {n:05d}",
                "address": "1 High Street",
                "postcode": "PE13 1XX",
                "licence_number": f"BENCH/{n:06d}",
                "kind": rng.choice(list(PremisesKind)).value,
                "town": rng.choice(["Wisbech", "March", "Whittlesey", "Chatteris"]),
                "cluster": "Town centre",
                "licence_holder": "",
                "designated_premises_supervisor": "",
                "sircs_member": False,
                "thumbs_up": False,
                "status": rng.choice(statuses).value,
                "status_since": now - timedelta(days=rng.randint(1, 400)),
                "created_at": now,
                "version": 1,
            }
            for n in range(PREMISES)
        ],
    )
    premises_ids = list(db.session.scalars(sa.select(Premises.id)))
    insert(
        connection,
        PremisesIncident.__table__,
        [
            {
                "premises_id": rng.choice(premises_ids),
                "occurred_at": now - timedelta(minutes=rng.randint(1, 730 * 24 * 60)),
                "reporting_agency_id": rng.choice(agency_ids),
                "source": rng.choice(list(IncidentSource)).value,
                "category": rng.choice(list(IncidentCategory)).value,
                "severity": rng.choice(list(IncidentSeverity)).value,
                "description": "",
                "recorded_by_id": officer.id,
                "recorded_at": now,
            }
            for _ in range(INCIDENTS)
        ],
    )
    refresh_incident_summary()
    return officer.id


def run(name: str, url: str) -> None:
    print(f"{name}:")
    migrate(url)
    app = create_app(TestConfig(url))
    with app.app_context():
        officer_id = fill(utcnow())
        db.session.commit()
        db.session.remove()
    engine = app.extensions["casework.engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE")
    app.test_client_class = SignedInClient
    with app.app_context():
        client = app.test_client(user=db.session.get(User, officer_id))
    db.session.remove()
    for label, path in PAGES.items():

        def get(path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        timed(get, WARM_UP)
        times = timed(get, TIMED)
        with recorded_statements(engine) as statements:
            get()
        print(f"{report(label, times)}   {len(statements)} statements")
    engine.dispose()
    db.session.remove()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        run("SQLite", f"sqlite:///{directory}/premises.sqlite")
    try:
        with throwaway_postgres() as url:
            run("PostgreSQL", url)
    except PostgresUnavailable as missing:
        print(f"PostgreSQL skipped: {missing}")


if __name__ == "__main__":
    main()
