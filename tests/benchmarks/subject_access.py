"""Server time of a subject access export (/people/<id>/subject-access and its JSON
download) for a person with a long history, in a partnership of realistic size.

Run from the repository root:

    .venv/bin/python tests/benchmarks/subject_access.py [--backend sqlite] [--explain] [--profile]

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, then inserts directly,
in batches, a partnership of eight agencies: 20,000 cases with two people each (40,000
people), 200,000 notes, 40,000 actions with an update each, 100 PSG meetings with 5,000
agenda items, 2,000 case conferences, 20,000 risk assessments with two SLA clocks each,
and 500,000 audit events (views of cases and people, some with a reason). One more
person, the subject, is on 60 of those cases (victim on 40, witness on 20), beside the
two people already on each; each of the 60 has 30 notes, 5 actions with 3 updates each,
2 risk assessments of the subject with two SLA clocks each, 2 PSG agenda items with
minutes and 2 decisions each, and a case conference; the subject has 3 referrals, and
2,000 of the audit events are about the subject or their cases (views, a fifth with a
reason given). The subject's records are part of the totals above.

It signs in as an administrator and times each page through the Flask test client
(routing, the queries, building the export, the template or JSON, the audit insert and
commit; no network or WSGI server): 5 requests to warm up, then 30, printing p50 and p95
of the wall time and of this thread's CPU time, the number of statements, and the size
of the response. Each request records one more audit event, as in production. Not
collected by pytest (no ``test_`` prefix).
"""

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from flask import Flask

from casework import create_app, db
from casework.accounts.models import User
from casework.actions.models import Action, ActionUpdate
from casework.agencies.models import Agency, AgencyKind
from casework.audit.models import AuditEvent
from casework.cases.models import Case, CaseAgency, CaseParty, Note
from casework.clock import utcnow
from casework.meetings.models import AgendaItem, Meeting, MeetingDecision, MeetingKind
from casework.people.models import Person
from casework.permissions import Role
from casework.referrals.models import Referral
from casework.victims.models import RiskAssessment, SlaClock
from casework.victims.services import risk
from config import TestConfig
from tests.benchmarks.actions_inbox import explain
from tests.benchmarks.sla_dashboard import TIMED, WARM_UP, insert, migrate, report, timed
from tests.conftest import SignedInClient
from tests.support.postgres import PostgresUnavailable, throwaway_postgres
from tests.support.queries import recorded_statements

AGENCIES, OFFICERS_PER_AGENCY = 8, 5
CASES, NOTES, ACTIONS, MEETINGS, AGENDA_ITEMS, CONFERENCES = 20_000, 200_000, 40_000, 100, 5_000, 2_000
ASSESSMENTS, AUDIT_EVENTS = 20_000, 500_000
SUBJECT_CASES, SUBJECT_AUDIT_EVENTS = 60, 2_000
NOTES_EACH, ACTIONS_EACH, UPDATES_EACH, ASSESSMENTS_EACH, ITEMS_EACH, DECISIONS_EACH = 30, 5, 3, 2, 2, 2
SUBJECT_ID = 2 * CASES + 1
BATCH = 20_000

NOTE = (
    "Spoke to the victim by phone. Further noise from the flat above on Friday and Saturday "
    "nights, music until 3am, and shouting on the landing. Advised to keep the diary going; "
    "housing officer to visit the neighbour this week."
)
MINUTES = (
    "The group discussed the recent incidents and the victim's wellbeing. Police reported two "
    "calls in the last fortnight; housing confirmed a warning letter was sent. The victim feels "
    "unsafe going out in the evening. Agreed to keep the case on the agenda until the next meeting."
)


def _batches(rows: Iterator[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _stream(connection: sa.Connection, table: sa.Table, rows: Iterator[dict[str, object]]) -> None:
    for batch in _batches(rows):
        connection.execute(sa.insert(table), batch)


def fill(now: datetime) -> tuple[int, int]:
    """Insert the partnership; return the ids of the administrator and the subject."""
    rng = random.Random(2026)
    matrix_id = risk.current_matrix().id
    db.session.commit()
    connection = db.session.connection()
    started = time.perf_counter()
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
            for n in range(1, AGENCIES + 1)
        ],
    )
    users = [
        {
            "id": n,
            "email": f"user{n}@example.test",
            "name": f"Officer {n}",
            "agency_id": (n - 1) % AGENCIES + 1,
            "role": Role.PSG_MEMBER.value,
            "password_hash": "x",
            "active": True,
            "session_token": f"token-{n}",
            "created_at": now,
            "version": 1,
        }
        for n in range(1, AGENCIES * OFFICERS_PER_AGENCY + 1)
    ]
    admin_id = len(users) + 1
    users.append(
        {
            "id": admin_id,
            "email": "admin@example.test",
            "name": "Administrator",
            "agency_id": 1,
            "role": Role.ADMIN.value,
            "password_hash": "x",
            "active": True,
            "session_token": "token-admin",
            "created_at": now,
            "version": 1,
        }
    )
    insert(connection, User.__table__, users)
    officers = list(range(1, admin_id))

    def ago(days: int) -> datetime:
        return now - timedelta(days=rng.randrange(days), minutes=rng.randrange(24 * 60))

    subject_cases = sorted(rng.sample(range(1, CASES + 1), SUBJECT_CASES))
    subject_set = set(subject_cases)
    others = [n for n in range(1, CASES + 1) if n not in subject_set]
    opened_at: dict[int, datetime] = {}
    case_rows, involvement = [], []
    for n in range(1, CASES + 1):
        opened = ago(6 * 365)
        opened_at[n] = opened
        lead = rng.randint(1, AGENCIES)
        case_rows.append(
            {
                "id": n,
                "reference": f"ASB-{opened.year}-{n:06d}",
                "case_type": "victim",
                "title": f"Case {n}",
                "summary": "Repeated noise and intimidation from a neighbour.",
                "status": "open",
                "lead_agency_id": lead,
                "lead_officer_id": lead,
                "psg_review": False,
                "district": "Fenland",
                "town": "Wisbech",
                "ward": "Waterlees",
                "restricted": n % 20 == 0,
                "opened_at": opened,
                "opened_by_id": lead,
                "version": 1,
            }
        )
        involvement.append({"case_id": n, "agency_id": lead, "added_by_id": lead, "added_at": opened})
    insert(connection, Case.__table__, case_rows)
    insert(connection, CaseAgency.__table__, involvement)
    people = [
        {
            "id": n,
            "first_name": f"Person{n}",
            "last_name": "Example",
            "created_by_id": 1,
            "created_at": now,
            "version": 1,
            "address": f"{n} Station Road, Wisbech",
            "postcode": "PE13 1AA",
            "phone": "01945 000000",
            "email": "",
            "vulnerabilities": "",
        }
        for n in range(1, SUBJECT_ID + 1)
    ]
    people[-1].update(first_name="Subject", last_name="Person", vulnerabilities="Anxiety; lives alone")
    insert(connection, Person.__table__, people)
    parties = [
        {
            "case_id": (n - 1) // 2 + 1,
            "person_id": n,
            "role": "victim" if n % 2 else "perpetrator",
            "added_by_id": 1,
            "added_at": opened_at[(n - 1) // 2 + 1],
            "removal_reason": "",
        }
        for n in range(1, 2 * CASES + 1)
    ]
    parties += [
        {
            "case_id": case,
            "person_id": SUBJECT_ID,
            "role": "victim" if k < 40 else "witness",
            "added_by_id": 1,
            "added_at": opened_at[case],
            "removal_reason": "",
        }
        for k, case in enumerate(subject_cases)
    ]
    insert(connection, CaseParty.__table__, parties)

    def notes() -> Iterator[dict[str, object]]:
        for case in subject_cases:
            for _ in range(NOTES_EACH):
                yield {
                    "case_id": case,
                    "author_id": rng.choice(officers),
                    "kind": "note",
                    "body": NOTE,
                    "created_at": ago(6 * 365),
                }
        for _ in range(NOTES - SUBJECT_CASES * NOTES_EACH):
            yield {
                "case_id": rng.choice(others),
                "author_id": rng.choice(officers),
                "kind": "note",
                "body": NOTE,
                "created_at": ago(6 * 365),
            }

    _stream(connection, Note.__table__, notes())

    action_rows, update_rows = [], []
    subject_actions = SUBJECT_CASES * ACTIONS_EACH
    for n in range(1, ACTIONS + subject_actions + 1):
        case = subject_cases[(n - 1) // ACTIONS_EACH] if n <= subject_actions else rng.choice(others)
        created = ago(6 * 365)
        done = rng.random() < 0.7
        agency = rng.randint(1, AGENCIES)
        action_rows.append(
            {
                "id": n,
                "case_id": case,
                "premises_id": None,
                "meeting_id": None,
                "plan_action_id": None,
                "decision_id": None,
                "title": "Visit the victim with the housing officer",
                "detail": "Check the door entry system and the lighting on the stairs.",
                "assigned_agency_id": agency,
                "assignee_id": rng.choice(officers),
                "due_on": (created + timedelta(days=14)).date(),
                "status": "done" if done else "open",
                "completion_note": "Visited" if done else "",
                "completed_at": created + timedelta(days=10) if done else None,
                "created_by_id": rng.choice(officers),
                "created_at": created,
                "version": 1,
            }
        )
        for k in range(UPDATES_EACH if n <= subject_actions else 1):
            update_rows.append(
                {
                    "action_id": n,
                    "from_status": "open" if k == 0 else None,
                    "to_status": "in_progress" if k == 0 else None,
                    "note": "Called the victim; visit arranged.",
                    "author_id": rng.choice(officers),
                    "at": created + timedelta(days=k + 1),
                }
            )
    insert(connection, Action.__table__, action_rows)
    insert(connection, ActionUpdate.__table__, update_rows)

    meetings = [
        {
            "id": n,
            "kind": MeetingKind.PSG_MEETING.value,
            "case_id": None,
            "held_at": now - timedelta(days=14 * n),
            "location": "Council offices",
            "outcome": "",
            "recorded_by_id": 1,
            "recorded_at": now,
            "version": 1,
        }
        for n in range(1, MEETINGS + 1)
    ]
    conference_cases = subject_cases + [rng.choice(others) for _ in range(CONFERENCES - SUBJECT_CASES)]
    meetings += [
        {
            "id": MEETINGS + k + 1,
            "kind": MeetingKind.CASE_CONFERENCE.value,
            "case_id": case,
            "held_at": opened_at[case] + timedelta(days=3),
            "location": "",
            "outcome": "Safety plan agreed.",
            "recorded_by_id": rng.choice(officers),
            "recorded_at": now,
            "version": 1,
        }
        for k, case in enumerate(conference_cases)
    ]
    insert(connection, Meeting.__table__, meetings)
    items, decisions, positions = [], [], dict.fromkeys(range(1, MEETINGS + 1), 0)
    item_cases = [case for case in subject_cases for _ in range(ITEMS_EACH)]
    item_cases += [rng.choice(others) for _ in range(AGENDA_ITEMS - len(item_cases))]
    for n, case in enumerate(item_cases, start=1):
        meeting = rng.randint(1, MEETINGS)
        positions[meeting] += 1
        items.append(
            {
                "id": n,
                "meeting_id": meeting,
                "position": positions[meeting],
                "case_id": case,
                "referral_id": None,
                "topic": "",
                "reasons": ["high_risk", "repeat"],
                "added_by_chair": False,
                "minutes": MINUTES,
            }
        )
        for _ in range(DECISIONS_EACH if case in subject_set else 1):
            decisions.append(
                {
                    "item_id": n,
                    "text": "Housing to serve a community protection warning.",
                    "recorded_by_id": rng.choice(officers),
                    "recorded_at": now - timedelta(days=14 * meeting),
                }
            )
    insert(connection, AgendaItem.__table__, items)
    insert(connection, MeetingDecision.__table__, decisions)

    assessments, clocks = [], []
    assessed = [(case, SUBJECT_ID) for case in subject_cases for _ in range(ASSESSMENTS_EACH)]
    for _ in range(ASSESSMENTS - len(assessed)):
        case = rng.choice(others)
        assessed.append((case, 2 * case - 1))
    answers = {f"q{k}": rng.choice(["yes", "no"]) for k in range(1, 17)}
    for n, (case, person) in enumerate(assessed, start=1):
        at = opened_at[case] + timedelta(days=rng.randrange(60))
        assessments.append(
            {
                "id": n,
                "case_id": case,
                "person_id": person,
                "matrix_id": matrix_id,
                "answers": answers,
                "score": 25,
                "computed_level": "high",
                "level": "high",
                "override_reason": "",
                "assessed_at": at,
                "assessed_by_id": rng.choice(officers),
                "recorded_at": at,
            }
        )
        for kind, hours in (("conference_72h", 72), ("reduce_7d", 168)):
            clocks.append(
                {
                    "kind": kind,
                    "case_id": case,
                    "person_id": person,
                    "started_at": at,
                    "due_at": at + timedelta(hours=hours),
                    "outcome": "met",
                    "met_at": at + timedelta(hours=hours // 2),
                    "stopped_at": None,
                    "stop_reason": "",
                    "started_by_assessment_id": n,
                }
            )
    insert(connection, RiskAssessment.__table__, assessments)
    insert(connection, SlaClock.__table__, clocks)

    insert(
        connection,
        Referral.__table__,
        [
            {
                "subject": "person",
                "first_name": "Subject",
                "last_name": "Person",
                "address": "1 Station Road",
                "postcode": "PE13 1AA",
                "place": "",
                "what_is_happening": NOTE,
                "risks": "Lives alone",
                "consent": "yes",
                "consent_reason": "",
                "referring_agency_id": 1 + k,
                "referrer_id": 1 + k,
                "received_at": opened_at[case] - timedelta(days=2),
                "status": "accepted",
                "decided_by_id": 1,
                "decided_at": opened_at[case] - timedelta(days=1),
                "decline_reason": "",
                "case_id": case,
                "person_id": SUBJECT_ID,
                "version": 1,
            }
            for k, case in enumerate(subject_cases[:3])
        ],
    )

    reason = {"reason": "safeguarding", "label": "Safeguarding concern", "details": "Checking before the visit"}

    def events() -> Iterator[dict[str, object]]:
        for k in range(SUBJECT_AUDIT_EVENTS):
            about_person = k % 2 == 0
            case = None if about_person else rng.choice(subject_cases)
            yield {
                "at": ago(6 * 365),
                "actor_id": rng.choice(officers),
                "verb": "person.viewed" if about_person else "case.viewed",
                "object_type": "person" if about_person else "case",
                "object_id": SUBJECT_ID if about_person else case,
                "case_id": case,
                "person_id": SUBJECT_ID if about_person else None,
                "detail": reason if k % 5 == 0 else {},
                "ip": "10.0.0.1",
                "request_id": "",
            }
        for k in range(AUDIT_EVENTS - SUBJECT_AUDIT_EVENTS):
            about_person = k % 3 == 0
            case = rng.choice(others)
            person = 2 * case - rng.randint(0, 1)
            yield {
                "at": ago(6 * 365),
                "actor_id": rng.choice(officers),
                "verb": "person.viewed" if about_person else "case.viewed",
                "object_type": "person" if about_person else "case",
                "object_id": person if about_person else case,
                "case_id": None if about_person else case,
                "person_id": person if about_person else None,
                "detail": reason if k % 50 == 0 else {},
                "ip": "10.0.0.1",
                "request_id": "",
            }

    _stream(connection, AuditEvent.__table__, events())
    db.session.commit()
    print(f"  inserted the partnership in {time.perf_counter() - started:.0f} s")
    counts = {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Case, Person, Note, Action, ActionUpdate, AgendaItem, RiskAssessment, SlaClock, AuditEvent)
    }
    print("  " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    return admin_id, SUBJECT_ID


def _analyse(engine: sa.Engine) -> None:
    """What autovacuum does in production: statistics, and (PostgreSQL) the visibility map."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


def _prepared(app: Flask) -> tuple[int, int]:
    engine = app.extensions["casework.engine"]
    with app.app_context():
        ids = fill(utcnow())
        db.session.remove()
    _analyse(engine)
    engine.dispose()
    return ids


def profile(call: Callable[[], object]) -> None:
    """Where one request spends its time: the functions with the most cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(call)
    pstats.Stats(profiler).strip_dirs().sort_stats("cumulative").print_stats(25)


def run(name: str, url: str, *, explain_plans: bool, profile_pages: bool = False) -> None:
    print(f"{name} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
    migrate(url)
    app = create_app(TestConfig(url))
    admin_id, subject_id = _prepared(app)
    engine = app.extensions["casework.engine"]

    app.test_client_class = SignedInClient
    with app.app_context():
        admin = app.test_client(user=db.session.get(User, admin_id))
    db.session.remove()
    pages = {
        "HTML page": f"/people/{subject_id}/subject-access",
        "JSON download": f"/people/{subject_id}/subject-access/download",
    }
    for label, path in pages.items():
        size = 0

        def get(path: str = path) -> None:
            nonlocal size
            response = admin.get(path)
            assert response.status_code == 200, (path, response.status_code)
            size = len(response.data)

        timed(get, WARM_UP)
        times = timed(get, TIMED)
        with recorded_statements(engine) as statements:
            get()
        print(f"{report(f'{label:<14}', times)}   {len(statements)} statements, {size / 1024:,.0f} KiB")
        if explain_plans:
            explain(engine, get)
        if profile_pages:
            profile(get)
    engine.dispose()
    db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--explain", action="store_true", help="print the plan of each statement of each page")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one request to each page")
    arguments = parser.parse_args()
    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run(
                "SQLite",
                f"sqlite:///{directory}/subject_access.sqlite",
                explain_plans=arguments.explain,
                profile_pages=arguments.profile,
            )
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run("PostgreSQL", url, explain_plans=arguments.explain, profile_pages=arguments.profile)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
