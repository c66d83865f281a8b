"""Audited page views under concurrency: signed-in clients viewing case pages through
gunicorn, each view writing its audit row, as in production; a part of the partnership
benchmark (`PARTS`).

On the dataset's working copy it starts gunicorn with the production configuration
(``CASEWORK_ENV=production``, ``wsgi:app``, ``gunicorn.conf.py``) and 2 sync workers,
signs PSG members of different agencies in (a stored session each, as the sign-in form
leaves it), and has 1, 2, then 4 clients each view case pages of their own agency one
after another for 20 seconds (after a few requests to warm up), over a new connection
per request as gunicorn's sync workers close each one. Each number of clients gives a
row: p50 and p99 of the time from connecting to the last byte of the answer, with the
requests per second, the answers that were not 200, and how often "database is locked"
appears in the server's log. The target: with 4 clients on SQLite, p99 at most 250 ms,
every answer a 200 and no "database is locked" (on PostgreSQL, every answer a 200).

On its own: ``.venv/bin/python -m tests.benchmarks.partnership --pages concurrency``.
"""

import http.client
import itertools
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from casework import create_app, db
from casework.accounts.models import User
from casework.cases.models import Case, CaseAgency
from casework.permissions import Role
from config import TestConfig
from tests.benchmarks.partnership import measure as bench
from tests.benchmarks.partnership.common import ROOT
from tests.benchmarks.partnership.dataset import Size
from tests.conftest import SignedInClient

WORKERS = 2
CLIENTS = (1, 2, 4)  # one client alone: how long a page takes when nothing waits
SECONDS = 20.0
WARM_UP = 5  # requests per client before timing
PAGES_PER_VIEWER = 200
LOCKED = "database is locked"
SERVER_START_SECONDS = 60


@dataclass(frozen=True)
class Viewer:
    """A signed-in PSG member: the cookie their browser would send, and case pages they may see."""

    cookie: str
    user_agent: str
    references: list[str]


@dataclass(frozen=True)
class Row:
    backend: str
    clients: int
    requests: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # answers other than 200, and failed connections
    locked: int  # "database is locked" in the server's log

    def line(self) -> str:
        return (
            f"{self.backend:<10} {self.clients} clients: {self.requests:>5} requests, {self.per_second:6.1f}/s, "
            f"p50 {self.p50_ms:6.1f} ms, p95 {self.p95_ms:6.1f} ms, p99 {self.p99_ms:7.1f} ms, "
            f"{self.errors} errors, {self.locked} 'database is locked'"
        )


def _viewers(database_url: str, count: int) -> list[Viewer]:
    """PSG members of different agencies, each signed in with a stored session, and the
    references of cases their agency works on (not restricted: no reason asked). The
    global session is bound back to what it was: a caller may have an app of its own."""
    previous_bind = db.session.session_factory.kw.get("bind")
    app = create_app(TestConfig(database_url))
    app.test_client_class = SignedInClient
    rng = random.Random(14)
    viewers: list[Viewer] = []
    try:
        with app.app_context():
            members = db.session.scalars(
                sa.select(User).where(User.role == Role.PSG_MEMBER, User.active).order_by(User.id)
            ).all()
            by_agency: dict[int, User] = {}
            for member in members:
                by_agency.setdefault(member.agency_id, member)
            chosen = (list(by_agency.values()) * count)[:count]
            for member in chosen:
                references = db.session.scalars(
                    sa.select(Case.reference)
                    .join(CaseAgency, CaseAgency.case_id == Case.id)
                    .where(CaseAgency.agency_id == member.agency_id, Case.restricted.is_(False))
                    .order_by(Case.id)
                    .limit(20 * PAGES_PER_VIEWER)
                ).all()
                if not references:
                    raise RuntimeError(f"no case to view for agency {member.agency_id}")
                client = app.test_client(user=member)  # stores the session as signing in would
                cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
                assert cookie is not None
                picked = rng.sample(list(references), min(PAGES_PER_VIEWER, len(references)))
                viewers.append(Viewer(cookie.value, client.environ_base["HTTP_USER_AGENT"], picked))
            db.session.commit()
    finally:
        db.session.remove()
        app.extensions["casework.engine"].dispose()
        db.session.configure(bind=previous_bind)
    return viewers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, log: Path, workers: int = WORKERS) -> Iterator[int]:
    """gunicorn serving wsgi:app with the production configuration; yields its port."""
    port = _free_port()
    environment = {
        **os.environ,
        "CASEWORK_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),  # this checkout's code, whatever the venv was installed from
    }
    environment.pop("FLASK_DEBUG", None)
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_serving(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped while starting; see its log")
        try:
            status, _ = _get(port, "/healthz", Viewer("", "", []))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


def _get(port: int, path: str, viewer: Viewer) -> tuple[int, float]:
    """One request over a new connection: its status and its time in seconds."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"User-Agent": viewer.user_agent}
        if viewer.cookie:
            headers["Cookie"] = f"__Host-session={viewer.cookie}"
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def _client(port: int, viewer: Viewer, stop_at: float, times: list[float], failures: list[str]) -> None:
    for number in itertools.count():
        if time.perf_counter() >= stop_at:
            return
        path = f"/cases/{viewer.references[number % len(viewer.references)]}"
        try:
            status, seconds = _get(port, path, viewer)
        except OSError as error:
            failures.append(f"{path}: {error}")
            continue
        if status != 200:
            failures.append(f"{path}: {status}")
        times.append(seconds)


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000


def _round(port: int, viewers: list[Viewer], seconds: float) -> tuple[list[float], list[str], float]:
    for viewer in viewers:
        for reference in viewer.references[-WARM_UP:]:
            _get(port, f"/cases/{reference}", viewer)
    times: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    threads = [
        threading.Thread(target=_client, args=(port, viewer, started + seconds, times, failures)) for viewer in viewers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, failures, time.perf_counter() - started


def measure(
    database_url: str, *, clients: tuple[int, ...] = CLIENTS, seconds: float = SECONDS, workers: int = WORKERS
) -> list[Row]:
    """Case pages viewed by 1, 2 and 4 signed-in clients at once through gunicorn: one Row each."""
    backend = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    viewers = _viewers(database_url, max(clients))
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "gunicorn.log"
        with gunicorn(database_url, log, workers) as port:
            for count in clients:
                locked_before = log.read_text().count(LOCKED)
                times, failures, elapsed = _round(port, viewers[:count], seconds)
                locked = log.read_text().count(LOCKED) - locked_before
                rows.append(
                    Row(
                        backend,
                        count,
                        len(times),
                        len(times) / elapsed,
                        statistics.median(times) * 1000,
                        _percentile(times, 0.95),
                        _percentile(times, 0.99),
                        len(failures),
                        locked,
                    )
                )
                for failure in failures[:5]:
                    print(f"  not 200: {failure}")
    return rows


P99_TARGET_MS, TARGET_CLIENTS = 250.0, 4


def part(url: str, size: Size) -> list[bench.Row]:
    """``measure``'s rows for the report, judged against the targets."""
    backend = url.split(":")[0].split("+")[0]
    judged = []
    for row in measure(url):
        print(f"  {row.line()}", flush=True)
        missed = [f"{row.errors} answers not 200"] * bool(row.errors)
        missed += [f"{row.locked} 'database is locked'"] * bool(row.locked)
        if backend == "sqlite" and row.clients == TARGET_CLIENTS and row.p99_ms > P99_TARGET_MS:
            missed.append(f"p99 over {P99_TARGET_MS:.0f} ms")
        note = f"{row.per_second:.1f} requests/s, {row.requests} requests, {row.errors} errors, {row.locked} locked"
        judged.append(
            bench.Row(
                backend,
                size.name,
                f"Case page by {row.clients} client{'s' * (row.clients > 1)} through gunicorn (p50 / p99 ms)",
                "member",
                "GET",
                round(row.p50_ms, 1),
                round(row.p99_ms, 1),
                None,
                0.0,
                note=note,
                missed="; ".join(missed),
                judge_ratio=False,
            )
        )
    return judged


bench.PARTS["concurrency"] = part
