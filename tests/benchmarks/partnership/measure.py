"""Timing the pages on one working copy, and the parts that are not pages.

`measure_pages` signs in the demo accounts and sends each page through the Flask test
client: 5 requests to warm up, then 50 timed (routing, queries, template, the audit
insert and commit; no network or WSGI server), then one more with its statements
counted. A part (`PARTS`) is any function that takes the working copy's database URL
and the size and returns rows for the same report: the outbox sender is one; a
measurement through a real server (throughput, concurrency) is another; a part may
judge its rows against targets of its own (`Row.missed`).
"""

import fnmatch
import gc
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from config import TestConfig
from tests.benchmarks.partnership.common import explain, p50, p95, timed
from tests.benchmarks.partnership.dataset import Size
from tests.benchmarks.partnership.pages import Finder, Page
from tests.conftest import SignedInClient
from tests.support.queries import recorded_statements

WARM_UP, TIMED = 5, 50
ACCOUNTS = ("member", "chair", "licensing", "manager", "partner", "analyst", "admin")


@dataclass
class Row:
    backend: str
    size: str
    name: str
    account: str
    method: str
    p50_ms: float
    p95_ms: float
    statements: int | None
    budget_ms: float
    kib: float = 0.0
    note: str = ""
    missed: str = ""  # a part's own targets it missed ("" when it met them)
    judge_ratio: bool = True  # False where LARGE against SMALL is not the question
    records: int | None = None  # what the page listed, where it is judged per record

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Part = Callable[[str, Size], list[Row]]
PARTS: dict[str, Part] = {}  # name -> part; filled by the modules that define parts


def selected(pages: list[Page], pattern: str) -> list[Page]:
    if not pattern:
        return pages
    return [page for page in pages if fnmatch.fnmatch(page.name.lower(), f"*{pattern.lower()}*")]


def _clients(app: Flask) -> dict[str, FlaskClient]:
    app.test_client_class = SignedInClient
    finder = Finder({})
    with app.app_context():
        clients = {account: app.test_client(user=finder.user(account)) for account in ACCOUNTS}
        db.session.remove()
    return clients


class _Timing:
    """One page's requests: its URL and form worked out again before each request of a
    write path (outside the timing), the same URL throughout for a page."""

    def __init__(self, app: Flask, finder: Finder, page: Page) -> None:
        self.app, self.finder, self.page = app, finder, page
        self.client = finder.clients[page.account]
        self.prepared = self._prepare()
        self.size = 0

    def _prepare(self) -> tuple[str, dict[str, object] | None]:
        with self.app.app_context():
            prepared = self.page.request(self.finder)
            db.session.remove()
        return prepared

    def send(self) -> None:
        url, form = self.prepared
        response = self.client.open(url, method=self.page.method, data=form)
        assert response.status_code in self.page.expect, (self.page.name, url, response.status_code)
        self.size = len(response.data)

    def next(self) -> None:
        if self.page.method != "GET":
            self.prepared = self._prepare()

    def one(self) -> float:
        self.next()
        return timed(self.send, 1)[0]


def measure_pages(
    url: str, backend: str, size: Size, pages: list[Page], *, plans: bool = False, requests: int = TIMED
) -> list[Row]:
    app = create_app(TestConfig(url))
    gc.collect()
    gc.freeze()  # as wsgi.py does in each worker after start-up
    engine = app.extensions["casework.engine"]
    finder = Finder(_clients(app))
    rows = []
    for page in pages:
        timing = _Timing(app, finder, page)
        for _ in range(WARM_UP):
            timing.one()
        times = [timing.one() for _ in range(requests)]
        timing.next()
        with recorded_statements(engine) as statements:
            timing.send()
        row = Row(backend, size.name, page.name, page.account, page.method, round(p50(times), 1),
                  round(p95(times), 1), len(statements), page.budget_ms, round(timing.size / 1024, 1))  # fmt: skip
        if page.records is not None:
            with app.app_context():
                row.records = page.records(finder)
                db.session.remove()
        rows.append(row)
        print(
            f"  {page.name:<36} p50 {row.p50_ms:8.1f} ms  p95 {row.p95_ms:8.1f} ms  {row.statements:5d} statements",
            flush=True,
        )
        if plans and page.method == "GET":
            explain(engine, timing.send)
    engine.dispose()
    return rows


def load_average() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def started_at() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
