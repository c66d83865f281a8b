"""Server time of an agency's actions (/actions) and the partnership's overdue actions
(/actions/overdue) with 1,000,000 actions (DESIGN.md section 6: p95 under 50 ms, a
constant small number of queries).

Run from the repository root:

    .venv/bin/python tests/benchmarks/actions_inbox.py [--actions 1000000] [--backend sqlite] [--explain]

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, then inserts directly,
in batches: ten agencies of uneven size (the largest owes a quarter of the actions),
100,000 cases each with its lead and one partner agency involved, 2,000 premises, 500
meetings, a delivery plan of 60 items, and the actions, created over eight years with
due dates 1 to 90 days after creation. Most old actions are done or cancelled; live ones
are the recent ones plus a backlog (40 percent of those due in the last 90 days, 2
percent of older ones), so the overdue list is long. Half are assigned to an officer.

It signs in as a PSG member of the largest agency (and as a manager for the overdue
page) and times each page through the Flask test client (routing, queries, template;
no network or WSGI server): 5 requests to warm up, then 30, printing p50 and p95 of the
wall time and of this thread's CPU time, and the number of statements. Not collected by
pytest (no ``test_`` prefix).
"""

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from flask import Flask

from casework import create_app, db
from casework.accounts.models import User
from casework.actions.models import Action, ActionStatus
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseAgency
from casework.clock import ZONE, today, utcnow
from casework.meetings.models import Meeting, MeetingKind
from casework.permissions import Role
from casework.plan.models import PlanAction, PlanActionKind, Priority
from casework.premises.models import Premises, PremisesKind
from config import TestConfig
from tests.benchmarks.sla_dashboard import TIMED, WARM_UP, insert, migrate, report, timed
from tests.conftest import SignedInClient
from tests.support.postgres import PostgresUnavailable, throwaway_postgres
from tests.support.queries import recorded_statements

AGENCY_WEIGHTS = [25, 20, 12, 10, 8, 7, 6, 5, 4, 3]
OFFICERS_PER_AGENCY = 10
CASES, PREMISES, MEETINGS, PLAN_ITEMS = 100_000, 2_000, 500, 60
BATCH = 20_000
TODAY = today()


def _day(n: int) -> date:
    return TODAY + timedelta(days=n)


def member_pages() -> dict[str, str]:
    soon = _day(30)
    window = f"due_from={TODAY.day}&due_from={TODAY.month}&due_from={TODAY.year}"
    window += f"&due_to={soon.day}&due_to={soon.month}&due_to={soon.year}"
    return {
        "inbox, page 1": "/actions",
        "inbox, page 100": "/actions?page=100",
        "due in 30 days": f"/actions?{window}",
        "plan items only": "/actions?subject=plan",
        "assigned to me": "/actions?mine=y",
        "done, page 1": "/actions?status=done",
        "any status, page 1": "/actions?status=all",
        "any status, page 100": "/actions?status=all&page=100",
    }


MANAGER_PAGES = {
    "overdue, page 1": "/actions/overdue",
    "overdue, page 100": "/actions/overdue?page=100",
}


def _status(rng: random.Random, due: date) -> ActionStatus:
    days_ago = (TODAY - due).days
    live_chance = 0.9 if days_ago <= 0 else 0.4 if days_ago <= 90 else 0.02
    if rng.random() < live_chance:
        return ActionStatus.OPEN if rng.random() < 0.6 else ActionStatus.IN_PROGRESS
    return ActionStatus.DONE if rng.random() < 0.92 else ActionStatus.CANCELLED


def _actions(
    count: int, rng: random.Random, now: datetime, officers: dict[int, list[int]], cases: list[tuple[int, int, int]]
) -> Iterator[list[dict[str, object]]]:
    agencies = list(officers)
    batch: list[dict[str, object]] = []
    eight_years = 8 * 365
    for _ in range(count):
        created = now - timedelta(days=rng.randrange(eight_years), minutes=rng.randrange(24 * 60))
        due = created.astimezone(ZONE).date() + timedelta(days=rng.randint(1, 90))
        status = _status(rng, due)
        draw = rng.random()
        subject: dict[str, object] = {"case_id": None, "premises_id": None, "meeting_id": None, "plan_action_id": None}
        if draw < 0.80:
            case_id, lead, partner = rng.choice(cases)
            subject["case_id"] = case_id
            agency = lead if rng.random() < 0.6 else partner
        else:
            agency = rng.choices(agencies, weights=AGENCY_WEIGHTS)[0]
            if draw < 0.90:
                subject["premises_id"] = rng.randint(1, PREMISES)
            elif draw < 0.97:
                subject["meeting_id"] = rng.randint(1, MEETINGS)
            else:
                subject["plan_action_id"] = rng.randint(1, PLAN_ITEMS)
        done = status is ActionStatus.DONE
        batch.append(
            {
                **subject,
                "title": "Visit the victim with the housing officer",
                "detail": "",
                "decision_id": None,
                "assigned_agency_id": agency,
                "assignee_id": rng.choice(officers[agency]) if rng.random() < 0.5 else None,
                "due_on": due,
                "status": status.value,
                "completion_note": "Visited" if done else "",
                "completed_at": created + timedelta(days=rng.randint(1, 90)) if done else None,
                "created_by_id": rng.choice(officers[agency]),
                "created_at": created,
                "version": 1,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(count: int, now: datetime) -> tuple[int, int]:
    """Insert the partnership; return the ids of the member and the manager."""
    rng = random.Random(2026)
    connection = db.session.connection()
    kinds = list(AgencyKind)
    insert(
        connection,
        Agency.__table__,
        [
            {
                "id": n,
                "name": f"Agency {n}",
                "kind": kinds[n % len(kinds)].value,
                "statutory": True,
                "active": True,
                "created_at": now,
            }
            for n in range(1, len(AGENCY_WEIGHTS) + 1)
        ],
    )
    users, officers = [], {}
    for agency in range(1, len(AGENCY_WEIGHTS) + 1):
        officers[agency] = []
        for _ in range(OFFICERS_PER_AGENCY):
            user_id = len(users) + 1
            officers[agency].append(user_id)
            users.append(
                {
                    "id": user_id,
                    "email": f"user{user_id}@example.test",
                    "name": f"Officer {user_id}",
                    "agency_id": agency,
                    "role": Role.PSG_MEMBER.value,
                    "password_hash": "x",
                    "active": True,
                    "session_token": f"token-{user_id}",
                    "created_at": now,
                    "version": 1,
                }
            )
    manager_id = len(users) + 1
    users.append(
        {
            "id": manager_id,
            "email": "manager@example.test",
            "name": "Manager",
            "agency_id": 1,
            "role": Role.MANAGER.value,
            "password_hash": "x",
            "active": True,
            "session_token": "token-manager",
            "created_at": now,
            "version": 1,
        }
    )
    insert(connection, User.__table__, users)

    cases, case_rows, involvement = [], [], []
    for n in range(1, CASES + 1):
        lead = rng.choices(list(officers), weights=AGENCY_WEIGHTS)[0]
        partner = rng.choice([agency for agency in officers if agency != lead])
        opened = now - timedelta(days=rng.randrange(8 * 365))
        cases.append((n, lead, partner))
        case_rows.append(
            {
                "id": n,
                "reference": f"ASB-{opened.year}-{n:06d}",
                "case_type": "victim",
                "title": f"Case {n}",
                "summary": "",
                "status": "open",
                "lead_agency_id": lead,
                "lead_officer_id": officers[lead][0],
                "psg_review": False,
                "district": "Fenland",
                "town": "Wisbech",
                "ward": "Waterlees",
                "restricted": n % 20 == 0,
                "opened_at": opened,
                "opened_by_id": officers[lead][0],
                "version": 1,
            }
        )
        for agency in (lead, partner):
            involvement.append(
                {"case_id": n, "agency_id": agency, "added_by_id": officers[lead][0], "added_at": opened}
            )
    insert(connection, Case.__table__, case_rows)
    insert(connection, CaseAgency.__table__, involvement)
    insert(
        connection,
        Premises.__table__,
        [
            {
                "id": n,
                "name": f"Premises {n:04d}",
                "address": "1 High Street",
                "postcode": "PE13 1XX",
                "licence_number": f"BENCH/{n:05d}",
                "kind": PremisesKind.ON_SALES.value,
                "town": "Wisbech",
                "cluster": "",
                "licence_holder": "",
                "designated_premises_supervisor": "",
                "sircs_member": False,
                "thumbs_up": False,
                "status": "green",
                "status_since": now,
                "created_at": now,
                "version": 1,
            }
            for n in range(1, PREMISES + 1)
        ],
    )
    insert(
        connection,
        Meeting.__table__,
        [
            {
                "id": n,
                "kind": MeetingKind.PSG_MEETING.value,
                "held_at": now - timedelta(days=7 * n),
                "location": "",
                "outcome": "",
                "recorded_by_id": 1,
                "recorded_at": now,
                "version": 1,
            }
            for n in range(1, MEETINGS + 1)
        ],
    )
    insert(
        connection,
        Priority.__table__,
        [{"id": n, "number": n, "title": f"Priority {n}", "lead_officer": "", "year_targets": ""} for n in range(1, 6)],
    )
    insert(
        connection,
        PlanAction.__table__,
        [
            {
                "id": n,
                "priority_id": (n - 1) // 12 + 1,
                "ref": f"{(n - 1) // 12 + 1}.{(n - 1) % 12 // 4 + 1}.{(n - 1) % 4 + 1}",
                "kind": PlanActionKind.PREVENTION.value,
                "action": "Youth project",
                "outcome": "",
                "project": "",
                "target": "",
                "lead_agency_id": 1,
                "progress": "",
                "rag_reason": "",
                "improvement": "",
                "status": "open",
                "version": 1,
            }
            for n in range(1, PLAN_ITEMS + 1)
        ],
    )
    started = time.perf_counter()
    for batch in _actions(count, rng, now, officers, cases):
        connection.execute(sa.insert(Action.__table__), batch)
    db.session.commit()
    print(f"  inserted {count:,} actions in {time.perf_counter() - started:.0f} s")
    live = (ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value)
    summary = db.session.execute(
        sa.select(
            sa.func.count().filter(Action.status.in_(live)),
            sa.func.count().filter(Action.status.in_(live), Action.due_on < TODAY),
            sa.func.count().filter(Action.assigned_agency_id == 1),
            sa.func.count().filter(Action.assigned_agency_id == 1, Action.status.in_(live)),
        )
    ).one()
    print(
        f"  live {summary[0]:,}, overdue {summary[1]:,}; the member's agency owes {summary[2]:,}, "
        f"{summary[3]:,} of them live"
    )
    return officers[1][0], manager_id


def _sample_actions() -> tuple[int, int]:
    """An action the member's agency owes, and one it sees only as the lead of its case."""
    owed = db.session.scalar(sa.select(Action.id).where(Action.assigned_agency_id == 1).limit(1))
    led = db.session.scalar(
        sa.select(Action.id)
        .join(Case, Case.id == Action.case_id)
        .where(Case.lead_agency_id == 1, Action.assigned_agency_id != 1)
        .limit(1)
    )
    return owed, led  # type: ignore[return-value]


def _analyse(engine: sa.Engine) -> None:
    """What autovacuum does in production: statistics, and (PostgreSQL) the visibility
    map that index-only scans rely on."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for _ in range(5):
            connection.exec_driver_sql("VACUUM ANALYZE")
            pages, visible = connection.exec_driver_sql(
                "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'actions'"
            ).one()
            if visible >= pages:
                break
            time.sleep(1)


def explain(engine: sa.Engine, call: Callable[[], object]) -> None:
    """The plan of every query ``call`` sends (EXPLAIN ANALYZE on PostgreSQL) and its
    time on its own (the fastest of 5 runs)."""
    sent: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as connection:
        for statement, parameters in sent:
            runs = []
            for _ in range(5):
                started = time.perf_counter()
                connection.exec_driver_sql(statement, parameters).all()
                runs.append((time.perf_counter() - started) * 1000)
            print(f"    {min(runs):6.2f} ms  " + " ".join(statement.split())[:150] + " ...")
            for row in connection.exec_driver_sql(prefix + statement, parameters):
                print("        " + " | ".join(str(value) for value in row))


def _prepared(app: Flask, count: int, extra_sql: str) -> tuple[int, int, int, int]:
    """Fill a new database (a database filled by an earlier run, with --url, is used as it
    is) and run ``extra_sql`` on it; return the member, the manager, and the two sample
    actions."""
    engine = app.extensions["casework.engine"]
    with app.app_context():
        if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
            print("  using the actions already in the database")
            users = (
                db.session.scalar(sa.select(User.id).where(User.role == Role.PSG_MEMBER).order_by(User.id).limit(1)),
                db.session.scalar(sa.select(User.id).where(User.role == Role.MANAGER).limit(1)),
            )
        else:
            users = fill(count, utcnow())
        db.session.remove()
    if extra_sql:
        with engine.begin() as connection:
            for statement in filter(str.strip, extra_sql.split(";")):
                connection.exec_driver_sql(statement)
    _analyse(engine)
    engine.dispose()
    with app.app_context():
        samples = _sample_actions()
        db.session.remove()
    return users[0], users[1], samples[0], samples[1]  # type: ignore[return-value]


def run(name: str, url: str, count: int, *, explain_plans: bool, extra_sql: str = "") -> None:
    print(f"{name} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
    migrate(url)
    app = create_app(TestConfig(url))
    member_id, manager_id, owed_id, led_id = _prepared(app, count, extra_sql)
    engine = app.extensions["casework.engine"]

    app.test_client_class = SignedInClient
    with app.app_context():
        member = app.test_client(user=db.session.get(User, member_id))
        manager = app.test_client(user=db.session.get(User, manager_id))
    db.session.remove()
    pages = [(member, label, path) for label, path in member_pages().items()]
    pages += [(manager, label, path) for label, path in MANAGER_PAGES.items()]
    pages.append((member, "an action owed", f"/actions/{owed_id}"))
    pages.append((member, "an action on a case led", f"/actions/{led_id}"))
    for client, label, path in pages:

        def get(client=client, path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        timed(get, WARM_UP)
        times = timed(get, TIMED)
        with recorded_statements(engine) as statements:
            get()
        print(f"{report(f'{label:<24}', times)}   {len(statements)} statements")
        if explain_plans:
            explain(engine, get)
    engine.dispose()
    db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of each page")
    parser.add_argument(
        "--url",
        help="use this database instead of fresh ones: filled on the first run, reused after (for EXPLAIN work)",
    )
    parser.add_argument(
        "--sql", metavar="FILE", help="SQL statements (separated by ;) to run once the data is in, to try other indexes"
    )
    arguments = parser.parse_args()
    options = {
        "explain_plans": arguments.explain,
        "extra_sql": Path(arguments.sql).read_text() if arguments.sql else "",
    }
    if arguments.url:
        run(sa.make_url(arguments.url).get_backend_name(), arguments.url, arguments.actions, **options)
        return
    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run("SQLite", f"sqlite:///{directory}/actions.sqlite", arguments.actions, **options)
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run("PostgreSQL", url, arguments.actions, **options)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
