"""Timing the pages on one working copy, and the parts that are not pages.

`measure_pages` serves each size's working copy from an application in a worker
process of its own, which signs in the demo accounts and sends each page through the
Flask test client: 5 requests to warm up, then 50 timed (routing, queries, template,
the audit insert and commit; no network or WSGI server) in blocks of 10, the two sizes
taking turns block by block, each block after one untimed request whose statements are
counted. Every page is timed so in two rounds, the second after all the pages' first,
and each size keeps the round with the lower p95 (`best_of`). A part (`PARTS`) is any
function that takes the working copy's database URL and the size and returns rows for
the same report: the outbox sender is one; a measurement through a real server
(throughput, concurrency) is another; a part may judge its rows against targets of its
own (`Row.missed`).
"""

import contextlib
import fnmatch
import gc
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection

from flask import Flask
from flask.testing import FlaskClient

from casework import create_app, db
from config import TestConfig
from tests.benchmarks.partnership.common import explain, p50, p95, timed
from tests.benchmarks.partnership.dataset import Size
from tests.benchmarks.partnership.pages import PAGES, Finder, Page
from tests.conftest import SignedInClient
from tests.support.queries import recorded_statements

WARM_UP, TIMED = 5, 50
BLOCK = 10  # timed requests a size takes in one turn
ROUNDS = 2  # times each page is timed, minutes apart
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
    p95_rounds: list[float] = field(default_factory=list)  # each round's p95, where there were rounds

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
        self.redirected_to: str | None = None

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
        self.redirected_to = response.location if 300 <= response.status_code < 400 else None

    def next(self) -> None:
        if self.page.method != "GET":
            if self.redirected_to:
                # Where the browser goes next, which shows (and so takes out of the
                # session) the message the write left: untimed, so that the session does
                # not pile up one message a request and grow every request after it.
                self.client.get(self.redirected_to)
                self.redirected_to = None
            self.prepared = self._prepare()

    def one(self) -> float:
        self.next()
        return timed(self.send, 1)[0]


class _Bench:
    """One dataset's app, signed-in clients and the page being timed, in a process of its
    own (`_serve`): two apps in one process would share module-level caches."""

    def __init__(self, url: str, backend: str, size: Size, pattern: str, plans: bool, slower: float) -> None:
        self.backend, self.size, self.plans, self.slower = backend, size, plans, slower
        self.pages = selected(PAGES, pattern)
        self.app = create_app(TestConfig(url))
        gc.collect()
        gc.freeze()  # as wsgi.py does in each worker after start-up
        self.engine = self.app.extensions["casework.engine"]
        self.finder = Finder(_clients(self.app))
        self.explained: set[str] = set()

    def start(self, index: int) -> None:
        """Begin the ``index``-th page: its warm-up requests."""
        self.timing = _Timing(self.app, self.finder, self.pages[index])
        self.times: list[float] = []
        self.cpu: list[float] = []  # this process's CPU time per request (not the database server's)
        self.counts: list[int] = []
        for _ in range(WARM_UP):
            self.timing.one()

    def block(self, count: int) -> None:
        """One request untimed, with its statements counted, as the other size's process
        has just had the CPU and its caches; then ``count`` timed."""
        self.timing.next()
        with recorded_statements(self.engine) as statements:
            self.timing.send()
        self.counts.append(len(statements))
        for _ in range(count):
            self.timing.next()
            began = time.process_time()
            self.times.append(timed(self._send, 1)[0])
            self.cpu.append((time.process_time() - began) * 1000)

    def _send(self) -> None:
        started = time.perf_counter()
        self.timing.send()
        if self.slower > 1:  # a page made slower on purpose (--slower), as if its work had grown
            until = started + (time.perf_counter() - started) * self.slower
            while time.perf_counter() < until:
                pass

    def end(self) -> Row:
        """The page's row. Its statements are the fewest any counted request sent, as a
        signed-in session's time of last request is written once a minute, on whichever
        page it falls (web.LAST_SEEN_RESOLUTION)."""
        timing, times = self.timing, self.times
        page = timing.page
        row = Row(self.backend, self.size.name, page.name, page.account, page.method, round(p50(times), 1),
                  round(p95(times), 1), min(self.counts), page.budget_ms, round(timing.size / 1024, 1))  # fmt: skip
        if page.records is not None:
            with self.app.app_context():
                row.records = page.records(self.finder)
                db.session.remove()
        print(f"  {self.size.name:<5}  {page.name:<36} p50 {row.p50_ms:8.1f} ms  p95 {row.p95_ms:8.1f} ms  "
              f"{row.statements:5d} statements  CPU p50 {p50(self.cpu):6.1f} ms", flush=True)  # fmt: skip
        if self.plans and page.method == "GET" and page.name not in self.explained:
            self.explained.add(page.name)  # once, not every round
            explain(self.engine, timing.send)
        return row

    def close(self) -> None:
        self.engine.dispose()


def _serve(
    connection: Connection, url: str, backend: str, size: Size, pattern: str, plans: bool, slower: float
) -> None:
    """A worker process: answer the parent's commands (a `_Bench` method and its
    argument) one at a time until told to stop."""
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    try:
        bench = _Bench(url, backend, size, pattern, plans, slower)
        connection.send(("ok", None))
    except Exception:  # reported to the parent, which raises
        connection.send(("error", traceback.format_exc()))
        return
    while True:
        command, argument = connection.recv()
        try:
            method = getattr(bench, command)
            answer = method() if argument is None else method(argument)
        except Exception:  # reported too; the parent raises
            connection.send(("error", traceback.format_exc()))
            continue
        connection.send(("ok", answer))
        if command == "close":
            return


class _Worker:
    """The parent's end of one `_serve` process."""

    def __init__(self, url: str, backend: str, size: Size, pattern: str, plans: bool, slower: float) -> None:
        self.size = size
        context = multiprocessing.get_context("spawn")  # nothing inherited from the parent
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, url, backend, size, pattern, plans, slower), daemon=True
        )
        self.process.start()
        child.close()
        self._answer()

    def _answer(self) -> object:
        try:
            status, answer = self.connection.recv()
        except EOFError:
            raise RuntimeError(f"the {self.size.name} worker exited") from None
        if status == "error":
            raise RuntimeError(f"the {self.size.name} worker failed:\n{answer}")
        return answer

    def call(self, command: str, argument: object = None) -> object:
        self.connection.send((command, argument))
        return self._answer()

    def close(self) -> None:
        with contextlib.suppress(EOFError, BrokenPipeError, RuntimeError):
            self.call("close")
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()


def turns(count: int, block: int) -> list[int]:
    """The order in which ``count`` workers take the ``block``-th block of a page's
    requests: the first alternating from block to block, so that neither size is
    always timed second."""
    ahead = list(range(count))
    return ahead if block % 2 == 0 else ahead[::-1]


def best_of(rounds: list[Row]) -> Row:
    """One size's row for a page timed in several rounds: the round with the lower p95.
    The machine's own stalls only ever add time, and they come in spells of seconds, so
    the round a spell missed is the closer measure of the page's own work; a page that
    is slow in its own right is slow in every round. The statements are the fewest any
    round's counted requests sent."""
    best = min(rounds, key=lambda row: row.p95_ms)
    statements = [row.statements for row in rounds if row.statements is not None]
    return replace(best, statements=min(statements) if statements else None, p95_rounds=[row.p95_ms for row in rounds])


def measure_pages(
    copies: dict[str, str], backend: str, sizes: list[Size], pattern: str, *, plans: bool = False,
    requests: int = TIMED, rounds: int = ROUNDS, slower: float = 1.0,
) -> list[Row]:  # fmt: skip
    """Time the pages on each size's working copy (``copies``: size name -> URL), each in a
    process of its own, in the same window: a page's requests in blocks of `BLOCK`, the
    sizes taking turns block by block, so that a spell of load on the machine (seconds,
    on a shared host) reaches both sizes alike instead of the one timed at that moment.
    (Taking turns request by request made every request about a quarter slower at both
    sizes, each starting with the other process's data in the CPU's caches: hence whole
    blocks, each after one untimed request.) Every page is timed so ``rounds`` times,
    each round going through all the pages, so that one page's rounds are minutes apart;
    each size keeps its best round (`best_of`). ``slower`` makes every timed request of the
    last size that many times as long, spinning the CPU: the check that a page whose work
    grew is caught."""
    workers = [
        _Worker(copies[size.name], backend, size, pattern, plans, slower if size == sizes[-1] else 1.0)
        for size in sizes
    ]
    count = len(selected(PAGES, pattern))
    timed: dict[tuple[int, int], list[Row]] = {}  # (page, worker) -> a row per round
    try:
        for round_number in range(1, rounds + 1):
            if rounds > 1:
                print(f"  round {round_number} of {rounds}", flush=True)
            for index in range(count):
                for worker in workers:
                    worker.call("start", index)
                for block, first in enumerate(range(0, requests, BLOCK)):
                    for turn in turns(len(workers), block):
                        workers[turn].call("block", min(BLOCK, requests - first))
                for number, worker in enumerate(workers):
                    row = worker.call("end")
                    assert isinstance(row, Row)
                    timed.setdefault((index, number), []).append(row)
    finally:
        for worker in workers:
            worker.close()
    return [best_of(timed[index, number]) for index in range(count) for number in range(len(workers))]


def load_average() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def started_at() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
