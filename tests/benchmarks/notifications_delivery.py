"""Time to deliver 10,000 pending notifications to an SMTP server on loopback
(docs/performance.md, "Delivering notifications").

Run from the repository root:

    .venv/bin/python tests/benchmarks/notifications_delivery.py [--notifications 10000] [--backend sqlite]

It builds a fresh database on each backend (an SQLite file, and a throwaway PostgreSQL
cluster when PostgreSQL is installed) with the real migrations, inserts 100 users and the
pending notifications directly (about cases, so each is checked again against the
recipient's view of the case, as in production), starts the aiosmtpd server the tests
use, and times one `send_pending` pass with the configured batch size (each batch is
committed, as the `notifications send` command does). It prints the wall time, the rate
and what the server received. Not collected by pytest (no ``test_`` prefix).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from casework import create_app, db
from casework.accounts.models import User
from casework.agencies.models import Agency, AgencyKind
from casework.cases.models import Case, CaseAgency, CaseType
from casework.clock import utcnow
from casework.notifications import sender
from casework.notifications.backends import SmtpBackend
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from config import TestConfig
from tests.benchmarks.sla_dashboard import insert, migrate
from tests.support.mail import BASE_URL, smtp_server, smtp_settings
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

USERS, CASES, BATCH = 100, 1_000, 50


def fill(count: int) -> None:
    now = utcnow()
    connection = db.session.connection()
    insert(connection, Agency.__table__, [{"id": 1, "name": "Council", "kind": AgencyKind.COUNCIL, "statutory": True}])
    users = [
        {
            "id": number,
            "email": f"officer{number}@council.example.test",
            "name": f"Officer {number}",
            "role": Role.PSG_MEMBER,
            "agency_id": 1,
            "password_hash": "-",
            "active": True,
        }
        for number in range(1, USERS + 1)
    ]
    insert(connection, User.__table__, users)
    cases = [
        {
            "id": number,
            "reference": f"ASB-2026-{number:05d}",
            "case_type": CaseType.VICTIM,
            "title": "Case",
            "summary": "",
            "lead_agency_id": 1,
            "lead_officer_id": 1,
            "opened_at": now,
            "opened_by_id": 1,
        }
        for number in range(1, CASES + 1)
    ]
    insert(connection, Case.__table__, cases)
    insert(
        connection,
        CaseAgency.__table__,
        [{"case_id": number, "agency_id": 1, "added_by_id": 1, "added_at": now} for number in range(1, CASES + 1)],
    )
    rows = [
        {
            "user_id": number % USERS + 1,
            "kind": NotificationKind.CLOCK_DUE_SOON,
            "reference": f"ASB-2026-{number % CASES + 1:05d}",
            "link": f"/cases/ASB-2026-{number % CASES + 1:05d}",
            "due_at": now,
            "case_id": number % CASES + 1,
            "next_attempt_at": now,
            "created_at": now,
        }
        for number in range(count)
    ]
    insert(connection, Notification.__table__, rows)
    db.session.commit()


def run(name: str, url: str, count: int) -> None:
    migrate(url)
    app = create_app(TestConfig(url))
    with app.app_context(), smtp_server() as mailbox:
        fill(count)
        backend = SmtpBackend(smtp_settings(mailbox))
        settings = sender.Settings(base_url=BASE_URL)
        started = time.perf_counter()
        counts = sender.send_pending(backend, settings, limit=count, batch_size=BATCH, after_batch=db.session.commit)
        elapsed = time.perf_counter() - started
        distinct = len(set(mailbox.message_ids()))
        left = db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.sent_at.is_(None))
        )
    db.session.remove()
    app.extensions["casework.engine"].dispose()
    print(
        f"{name}: {counts.sent:,} sent in {elapsed:.1f} s ({counts.sent / elapsed:,.0f} a second), "
        f"batches of {BATCH}; the server received {len(mailbox.received):,} ({distinct:,} distinct Message-IDs); "
        f"{left} not sent"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    arguments = parser.parse_args()
    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run("SQLite", f"sqlite:///{directory}/delivery.sqlite", arguments.notifications)
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run("PostgreSQL", url, arguments.notifications)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
