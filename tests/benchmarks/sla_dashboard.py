"""Server time of GET /sla with 100,000 SLA clocks (DESIGN.md section 6: p95 under 50 ms).

Run from the repository root:

    .venv/bin/python tests/benchmarks/sla_dashboard.py [--clocks 100000] [--backend sqlite] [--explain]

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, then inserts directly:
eight agencies, 50,000 high-risk episodes (two clocks each) spread over the last two
years on 20,000 cases, and a realistic backlog (a few hundred clocks overdue, the
last week's episodes still open). It signs in as a manager, who sees every name, and
times the whole request through the Flask test client (routing, the queries, the
template; no network or WSGI server): 5 requests to warm up, then 30, and prints p50
and p95 of the wall time and of the process's CPU time (and, for PostgreSQL, the
server's CPU time per request), the number of statements, and the time of each part of
the page. Not collected by pytest (no ``test_`` prefix); it is a tool, not a test.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseAgency, CaseParty
from casework.clock import previous_quarters, quarter_of, utcnow
from casework.people.models import Person
from casework.permissions import Role
from casework.victims.models import ClockKind, ClockOutcome, RiskAssessment, SlaClock
from casework.victims.services import risk, sla_reports
from config import TestConfig
from tests.conftest import SignedInClient
from tests.support.postgres import PostgresUnavailable, throwaway_postgres
from tests.support.queries import recorded_statements

WARM_UP, TIMED = 5, 30
CASES = 20_000
CHUNK = 5_000


def migrate(url: str) -> None:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["skip_logging_config"] = True
    command.upgrade(config, "head")


def insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(sa.insert(table), rows[start : start + CHUNK])


def fill(clocks: int, now: datetime) -> int:
    """Insert the partnership; return the manager's id."""
    rng = random.Random(2026)
    matrix_id = risk.current_matrix().id
    db.session.commit()
    connection = db.session.connection()
    kinds = list(AgencyKind)[:8]
    insert(
        connection,
        Agency.__table__,
        [
            {
                "id": n + 1,
                "name": f"Agency {n + 1}",
                "kind": kinds[n],
                "statutory": True,
                "active": True,
                "created_at": now,
            }
            for n in range(8)
        ],
    )
    insert(
        connection,
        User.__table__,
        [
            {
                "id": n + 1,
                "email": f"user{n + 1}@example.test",
                "name": f"Officer {n + 1}",
                "agency_id": n % 8 + 1,
                "role": Role.MANAGER if n == 0 else Role.PSG_MEMBER,
                "password_hash": "x",
                "active": True,
                "session_token": f"token-{n + 1}",
                "created_at": now,
                "version": 1,
            }
            for n in range(16)
        ],
    )
    two_years = timedelta(days=730)
    cases, agencies, parties = [], [], []
    for n in range(1, CASES + 1):
        opened = now - two_years + timedelta(seconds=rng.randrange(int(two_years.total_seconds())))
        lead = rng.randint(1, 8)
        cases.append(
            {
                "id": n,
                "reference": f"ASB-{opened.year}-{n:05d}",
                "case_type": "victim",
                "title": f"Case {n}",
                "summary": "",
                "status": "open",
                "lead_agency_id": lead,
                "lead_officer_id": lead,
                "district": "Fenland",
                "town": "Wisbech",
                "ward": "Waterlees",
                "restricted": n % 20 == 0,
                "opened_at": opened,
                "opened_by_id": lead,
                "version": 1,
            }
        )
        agencies.append({"case_id": n, "agency_id": lead, "added_by_id": lead, "added_at": opened})
    people = [
        {
            "id": n,
            "first_name": f"Victim{n}",
            "last_name": "Example",
            "created_by_id": 1,
            "created_at": now,
            "version": 1,
            "address": "",
            "postcode": "",
            "phone": "",
            "email": "",
            "vulnerabilities": "",
        }
        for n in range(1, 2 * CASES + 1)
    ]
    for n in range(1, 2 * CASES + 1):
        parties.append(
            {
                "case_id": (n - 1) // 2 + 1,
                "person_id": n,
                "role": "victim",
                "added_by_id": 1,
                "added_at": now,
                "removal_reason": "",
            }
        )
    insert(connection, Case.__table__, cases)
    insert(connection, CaseAgency.__table__, agencies)
    insert(connection, Person.__table__, people)
    insert(connection, CaseParty.__table__, parties)

    assessments, rows = [], []
    episodes = clocks // 2
    backlog = 0
    for n in range(1, episodes + 1):
        person = rng.randint(1, 2 * CASES)
        case = (person - 1) // 2 + 1
        started = now - two_years + timedelta(seconds=rng.randrange(int(two_years.total_seconds())))
        assessments.append(
            {
                "id": n,
                "case_id": case,
                "person_id": person,
                "matrix_id": matrix_id,
                "answers": {},
                "score": 25,
                "computed_level": "high",
                "level": "high",
                "override_reason": "",
                "assessed_at": started,
                "assessed_by_id": 2,
                "recorded_at": started,
            }
        )
        for kind, hours, on_time in ((ClockKind.CONFERENCE_72H, 72, 0.74), (ClockKind.REDUCE_7D, 168, 0.78)):
            due = started + timedelta(hours=hours)
            met_at = stopped_at = None
            draw = rng.random()
            if draw < 0.05:
                outcome, stopped_at = ClockOutcome.STOPPED, started + timedelta(hours=rng.uniform(1, hours))
            elif draw < 0.05 + on_time * 0.95:
                outcome, met_at = ClockOutcome.MET, started + timedelta(hours=rng.uniform(1, hours))
            else:
                outcome, met_at = ClockOutcome.MET_LATE, due + timedelta(hours=rng.uniform(1, 200))
            if (met_at or stopped_at) > now:
                outcome, met_at, stopped_at = ClockOutcome.OPEN, None, None  # still running
            elif due < now and now - due < timedelta(days=120) and rng.random() < 0.02:
                outcome, met_at, stopped_at = ClockOutcome.OPEN, None, None  # the backlog: overdue
                backlog += 1
            rows.append(
                {
                    "kind": kind,
                    "case_id": case,
                    "person_id": person,
                    "started_at": started,
                    "due_at": due,
                    "outcome": outcome,
                    "met_at": met_at,
                    "stopped_at": stopped_at,
                    "stop_reason": "Case closed: done" if stopped_at else "",
                    "started_by_assessment_id": n,
                }
            )
    insert(connection, RiskAssessment.__table__, assessments)
    insert(connection, SlaClock.__table__, rows)
    db.session.commit()
    counts = dict(db.session.execute(sa.select(SlaClock.outcome, sa.func.count()).group_by(SlaClock.outcome)).all())
    overdue = db.session.scalar(
        sa.select(sa.func.count()).where(SlaClock.outcome == ClockOutcome.OPEN, SlaClock.due_at < now)
    )
    print(
        f"  {sum(counts.values()):,} clocks: "
        + ", ".join(f"{k.value} {v:,}" for k, v in counts.items())
        + f"; {overdue} open and overdue"
    )
    return 1


def timed(call: Callable[[], object], count: int) -> tuple[list[float], list[float]]:
    """Wall time and this thread's CPU time of each call, in ms. On a busy machine the
    CPU time shows what the request costs without waiting for a processor (for SQLite
    it includes the queries; a PostgreSQL server's work is in its own process)."""
    wall, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def _ticks(pid: int) -> tuple[int, int]:
    """(utime + stime, cutime + cstime) of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def postgres_cpu_ms(postmaster: int) -> float:
    """CPU time used so far by a PostgreSQL cluster: its live processes, and the ones
    that have exited (parallel workers), which the postmaster has counted."""
    total = _ticks(postmaster)[1]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == postmaster:
            total += _ticks(int(stat.parent.name))[0]
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):5.1f} ms, p95 {p95:5.1f} ms"


def report(label: str, times: tuple[list[float], list[float]]) -> str:
    wall, cpu = times
    return f"  {label:<16} wall {percentiles(wall)}   cpu {percentiles(cpu)}"


def explain_page(app: Flask, client: FlaskClient) -> None:
    """The plan of every statement GET /sla sends (EXPLAIN ANALYZE on PostgreSQL)."""
    engine = app.extensions["casework.engine"]
    sent: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        client.get("/sla")
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as connection:
        for statement, parameters in sent:
            print("  " + " ".join(statement.split())[:150] + " ...")
            for row in connection.exec_driver_sql(prefix + statement, parameters):
                print("      " + " | ".join(str(value) for value in row))


def run(name: str, url: str, clocks: int, *, explain: bool, parallel: bool = True) -> None:
    print(
        f"{name} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs{'' if parallel else ', no parallel query'}):"
    )
    migrate(url)
    app = create_app(TestConfig(url))
    now = utcnow()
    with app.app_context():
        manager_id = fill(clocks, now)
        db.session.commit()
        db.session.remove()
    engine = app.extensions["casework.engine"]
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:  # what autovacuum does in production: statistics, and the visibility map for index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # Until every page is marked all-visible: a VACUUM that runs beside autovacuum's
            # ANALYZE of the fresh rows may leave them unmarked, and index-only scans unused.
            for _ in range(5):
                connection.exec_driver_sql("VACUUM ANALYZE")
                pages, visible = connection.exec_driver_sql(
                    "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'sla_clocks'"
                ).one()
                if visible >= pages:
                    break
                time.sleep(1)
            if not parallel:
                database = connection.exec_driver_sql("SELECT current_database()").scalar_one()
                connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET max_parallel_workers_per_gather = 0')
        engine.dispose()

    app.test_client_class = SignedInClient
    with app.app_context():
        client = app.test_client(user=db.session.get(User, manager_id))
    db.session.remove()

    def get() -> None:
        response = client.get("/sla")
        assert response.status_code == 200, response.status_code

    timed(get, WARM_UP)
    postmaster = None
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        before = postgres_cpu_ms(postmaster)
    times = timed(get, TIMED)
    with recorded_statements(engine) as statements:
        page = client.get("/sla").get_data(as_text=True)
    print(report("GET /sla", times))
    if postmaster is not None:
        database_cpu = (postgres_cpu_ms(postmaster) - before) / TIMED
        print(f"  PostgreSQL's own CPU time per request, on average: {database_cpu:.1f} ms")
    listed = page.count('href="/cases/')
    print(f"  {len(statements)} statements; {listed} clocks listed")

    # Each part on its own, to see where the time goes.
    with app.app_context():
        manager = db.session.get(User, manager_id)
        quarter = quarter_of(now)
        quarters = previous_quarters(quarter, 4)
        for label, call in (
            ("now view", lambda: sla_reports.now_view(manager, now)),
            ("quarter figures", lambda: sla_reports.quarter_figures(manager, quarter, now)),
            ("trend", lambda: sla_reports.trend(manager, quarters, now)),
        ):
            timed(call, WARM_UP)
            print(report(label, timed(call, TIMED)))
        db.session.rollback()
    db.session.remove()
    if explain:
        explain_page(app, client)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", metavar="PATH", help="build the SQLite database at PATH and keep it")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of the page")
    parser.add_argument(
        "--no-parallel",
        action="store_true",
        help="PostgreSQL: set max_parallel_workers_per_gather = 0 for the database",
    )
    arguments = parser.parse_args()
    if arguments.backend in ("sqlite", "both"):
        if arguments.keep:
            run("SQLite", f"sqlite:///{Path(arguments.keep).resolve()}", arguments.clocks, explain=arguments.explain)
        else:
            with tempfile.TemporaryDirectory() as directory:
                run("SQLite", f"sqlite:///{directory}/benchmark.sqlite", arguments.clocks, explain=arguments.explain)
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run("PostgreSQL", url, arguments.clocks, explain=arguments.explain, parallel=not arguments.no_parallel)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
