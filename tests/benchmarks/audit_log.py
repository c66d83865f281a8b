"""Time of the audit log filtered by kind of event (/admin/audit?kind=...) at 500,000
audit events, with and without the index on (verb, at).

Run from the repository root:

    .venv/bin/python tests/benchmarks/audit_log.py [--events 500000] [--backend sqlite] [--explain]

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, then inserts directly
audit events over the last year in the mix a partnership's log has: about 60 percent
signing in and out, 30 percent views of cases and people, and the rest spread over the
other kinds. It times the two statements of one page of the log (the count and the
page of 50) through the service, for each kind: 5 runs to warm up, then 30, and prints
p50 and p95; then drops the index on (verb, at), leaving the one on (at), and does the
same again. Not collected by pytest (no
``test_`` prefix).
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flask import Flask

from casework import create_app, db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.permissions import Role
from config import TestConfig
from tests.benchmarks.actions_inbox import explain
from tests.benchmarks.sla_dashboard import TIMED, WARM_UP, insert, migrate, percentiles, timed
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

# (verb, share of the log)
MIX = [
    ("auth.signed_in", 0.30),
    ("auth.signed_out", 0.20),
    ("auth.sign_in_failed", 0.10),
    ("case.viewed", 0.20),
    ("person.viewed", 0.10),
    ("note.added", 0.04),
    ("action.updated", 0.02),
    ("risk.assessed", 0.01),
    ("premises.visit_recorded", 0.01),
    ("meeting.finished", 0.005),
    ("referral.decided", 0.005),
    ("plan.updated", 0.004),
    ("user.updated", 0.001),
]
KINDS = ["", "sign_in", "not_sign_in", "cases", "premises", "referrals", "admin"]
INDEX = "ix_audit_events_verb_at"


def fill(events: int) -> int:
    """Insert the log; return an administrator's id."""
    rng = random.Random(2026)
    connection = db.session.connection()
    insert(connection, Agency.__table__, [{"id": 1, "name": "Agency 1", "kind": AgencyKind.COUNCIL, "statutory": True}])
    insert(
        connection,
        User.__table__,
        [
            {
                "id": 1,
                "email": "admin@example.test",
                "name": "Admin",
                "agency_id": 1,
                "role": Role.ADMIN,
                "password_hash": "x",
                "session_token": "benchmark",
            }
        ],
    )
    verbs, weights = zip(*MIX, strict=True)
    now = utcnow()
    rows = [
        {
            "at": now - timedelta(seconds=rng.randrange(365 * 24 * 3600)),
            "actor_id": 1,
            "verb": verb,
            "object_type": "benchmark",
            "object_id": n,
            "detail": {},
            "ip": "",
            "request_id": "",
        }
        for n, verb in enumerate(rng.choices(verbs, weights, k=events))
    ]
    insert(connection, AuditEvent.__table__, rows)
    db.session.commit()
    return 1


def analyse(app: Flask) -> None:
    engine = app.extensions["casework.engine"]
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE audit_events")


def time_kinds(app: Flask, admin_id: int, *, plans: bool) -> None:
    with app.app_context():
        admin = db.session.get(User, admin_id)
        for kind in KINDS:

            def search(kind: str = kind) -> int:
                return audit.search_events(admin, audit.AuditFilter(kind=kind), page=1, per_page=50).total

            total = search()
            timed(search, WARM_UP)
            wall, _cpu = timed(search, TIMED)
            print(f"    kind={kind or '(any)':<12} {total:>8} events  {percentiles(wall)}")
            if plans:
                explain(app.extensions["casework.engine"], search)
        db.session.rollback()
    db.session.remove()


def run(name: str, url: str, events: int, *, plans: bool) -> None:
    print(f"{name}, {events:,} audit events:")
    started = time.perf_counter()
    migrate(url)
    app = create_app(TestConfig(url))
    with app.app_context():
        admin_id = fill(events)
        db.session.remove()
    analyse(app)
    print(f"  filled in {time.perf_counter() - started:.0f} s")
    print("  with the index on (verb, at):")
    time_kinds(app, admin_id, plans=plans)
    engine = app.extensions["casework.engine"]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP INDEX {INDEX}")
    analyse(app)
    print("  without it (the index on (at) only):")
    time_kinds(app, admin_id, plans=plans)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement")
    arguments = parser.parse_args()
    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run("SQLite", f"sqlite:///{directory}/benchmark.sqlite", arguments.events, plans=arguments.explain)
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run("PostgreSQL", url, arguments.events, plans=arguments.explain)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
