"""The outbox sender as a part of the benchmark: 10,000 pending notifications delivered
to an SMTP server on loopback (the aiosmtpd server the tests use) by one
`send_pending` pass in the configured batches, each committed as the `notifications
send` command does. The notifications are about the dataset's cases and go to its
officers, so each is checked again against the recipient's view of its case.

Also runnable on its own, on a fresh database holding only what it needs:

    .venv/bin/python -m tests.benchmarks.partnership.outbox [--notifications 10000] [--backend sqlite]
"""

import argparse
import random
import tempfile
import time

import sqlalchemy as sa
from sqlalchemy import select

from casework import create_app, db, policy
from casework.accounts.models import User
from casework.cases.models import Case
from casework.clock import utcnow
from casework.notifications import sender
from casework.notifications.backends import SmtpBackend
from casework.notifications.models import Notification
from config import TestConfig
from tests.benchmarks.partnership.common import insert, migrate
from tests.benchmarks.partnership.dataset import SMALL, Size, build
from tests.benchmarks.partnership.measure import PARTS, Row
from tests.support.mail import BASE_URL, smtp_server, smtp_settings
from tests.support.postgres import PostgresUnavailable, throwaway_postgres

NOTIFICATIONS, BATCH = 10_000, 50


def _pending(count: int) -> None:
    """``count`` notifications due now, each to an officer who sees its case in full at
    the moment of writing (as the application only writes them), so the send-time check
    withdraws none of them: an analyst of an involved agency, say, sees no case in full."""
    rng = random.Random(2026)
    now = utcnow()
    pairs = []
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        seen = (
            select(Case.id, Case.reference)
            .where(Case.status == "open", policy.full_view_clause(user))
            .order_by(Case.id.desc())
            .limit(100)
        )
        pairs += [(case_id, reference, user.id) for case_id, reference in db.session.execute(seen)]
    rows = []
    for _ in range(count):
        case_id, reference, user_id = rng.choice(pairs)
        rows.append(
            {
                "user_id": user_id,
                "kind": "clock_due_soon",
                "reference": reference,
                "link": f"/cases/{reference}",
                "due_at": now,
                "case_id": case_id,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    insert(db.session.connection(), Notification.__table__, rows)
    db.session.commit()


def deliver(url: str, size: Size, count: int = NOTIFICATIONS) -> list[Row]:
    app = create_app(TestConfig(url))
    engine = app.extensions["casework.engine"]
    with app.app_context(), smtp_server() as mailbox:
        _pending(count)
        # The dataset's own due notifications (the demo's) go out in the same pass, first.
        due = db.session.scalar(select(sa.func.count()).select_from(sender.due_rows().subquery())) or 0
        backend = SmtpBackend(smtp_settings(mailbox))
        started = time.perf_counter()
        counts = sender.send_pending(
            backend, sender.Settings(base_url=BASE_URL), limit=due, batch_size=BATCH, after_batch=db.session.commit
        )
        elapsed = time.perf_counter() - started
        received = len(mailbox.received)
        db.session.remove()
    engine.dispose()
    rate = counts.sent / elapsed if elapsed else 0.0
    note = (
        f"{counts.sent:,} of {counts.claimed:,} due sent ({rate:,.0f} a second), {received:,} received by the"
        f" server; {counts.withdrawn} withdrawn, {counts.failed} failed, {counts.retrying} to retry"
    )
    print(f"  Outbox sender: {note}, {elapsed:.1f} s", flush=True)
    per_message = elapsed * 1000 / max(1, counts.sent)
    # No budget of its own: held to the same figure at LARGE as at SMALL (the ratio).
    return [Row(url.split(":")[0].split("+")[0], size.name, f"Outbox sender, {count:,} e-mails (ms each)",
                "-", "send", round(per_message, 2), round(per_message, 2), None, 0.0, note=note)]  # fmt: skip


PARTS["outbox"] = deliver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=NOTIFICATIONS)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    arguments = parser.parse_args()

    def run(url: str) -> None:
        migrate(url)
        app = create_app(TestConfig(url))
        with app.app_context():
            build(Size("tiny", 50))
            db.session.remove()
        app.extensions["casework.engine"].dispose()
        deliver(url, SMALL, arguments.notifications)

    if arguments.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as directory:
            run(f"sqlite:///{directory}/delivery.sqlite")
    if arguments.backend in ("postgresql", "both"):
        try:
            with throwaway_postgres() as url:
                run(url)
        except PostgresUnavailable as missing:
            print(f"PostgreSQL: skipped ({missing})")


if __name__ == "__main__":
    main()
