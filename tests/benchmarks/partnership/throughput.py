"""Requests per second of the case list through gunicorn, against a minimal Flask page
that does the same necessary work: a part of the partnership benchmark (`PARTS`).

On the dataset's working copy, ``measure`` starts two gunicorn servers, each with 2 sync
workers and the production configuration (``gunicorn.conf.py``,
``CASEWORK_ENV=production``):

- the application, and
- the baseline: a minimal Flask page (below, not in the application) that does what the
  case list must do and no more: reads the browser's session by the hash of its cookie
  with its user, checks that it has not expired or gone idle, sends the same statements
  the case list sends (recorded from the application once, through its test client, and
  replayed with the same parameters), renders the 25 rows in the same GOV.UK layout with
  a CSRF token in its forms, and sets the same security headers with a fresh CSP nonce.

The demo PSG member's default case list (``GET /cases``, the page the benchmark's "Case
list, a member's default" times in-process) is then requested from each server in turn
by 2 and then 4 concurrent clients (threads with their own connections), 3 windows of 5
seconds each, alternating application and baseline so that both see the same load from
the rest of the machine. Each number of clients gives a row: the application's p50 and
p99 as the clients saw them, its requests per second and its share of the baseline's,
judged against the targets (at least 60 percent of the baseline, at least 100 a second).

On its own: ``.venv/bin/python -m tests.benchmarks.partnership --pages throughput``.
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NotRequired, TypedDict

import sqlalchemy as sa
from flask import Flask

from casework import create_app, db
from casework.accounts.models import User
from casework.clock import utcnow
from config import TestConfig
from tests.benchmarks.partnership.common import ROOT
from tests.benchmarks.partnership.dataset import Size
from tests.benchmarks.partnership.measure import PARTS, Row

# --- signing in ---------------------------------------------------------------------

CLIENT_ADDRESS, USER_AGENT = "127.0.0.1", "casework-throughput/1"


MEMBER = "member@demo.test"  # the account of the in-process "Case list, a member's default"


def member(url: str) -> int:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        user_id = connection.execute(sa.select(User.id).where(User.email == MEMBER)).scalar_one()
    engine.dispose()
    return int(user_id)


def signed_in_session(app: Flask, user_id: int) -> str:
    """Store a browser session for the user, as signing in (password and second factor)
    leaves it, and return the id its cookie carries."""
    from flask.json.tag import TaggedJSONSerializer

    from casework.accounts.services import sessions
    from casework.clock import timestamp
    from casework.session_store import new_id

    environ = {"REMOTE_ADDR": CLIENT_ADDRESS, "HTTP_USER_AGENT": USER_AGENT}
    with app.test_request_context(environ_base=environ):
        browser = app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
        user = db.session.get(User, user_id)
        assert user is not None
        now, cookie_id = timestamp(), new_id()
        data = {
            "_user_id": user.get_id(),
            "_fresh": True,
            "_id": browser,
            "_permanent": True,
            "csrf_token": secrets.token_hex(20),
            "signed_in_at": now,
            "last_seen": now,
        }
        stored = sessions.Stored(TaggedJSONSerializer().dumps(data), user.id)
        sessions.add(cookie_id, stored, now=utcnow(), expires_at=utcnow() + app.permanent_session_lifetime)
        db.session.commit()
        db.session.remove()
    return cookie_id


# --- what the case list sends to the database ----------------------------------------


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _decode(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"datetime"}:
        return datetime.fromisoformat(str(value["datetime"]))
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict):
        return {key: _decode(item) for key, item in value.items()}
    return value


def record_list_statements(app: Flask, cookie_id: str, path: str) -> list[tuple[str, object]]:
    """The statements (with their parameters, as the driver got them) that the page
    sends besides reading the session, recorded from one request through the test client."""
    from tests.support.queries import COUNTED

    engine = app.extensions["casework.engine"]
    recorded: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object, *_args: object) -> None:
        if statement.lstrip().upper().startswith(COUNTED) and "browser_sessions" not in statement:
            recorded.append((statement, parameters))

    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_id)
    client.get(path, environ_base={"REMOTE_ADDR": CLIENT_ADDRESS, "HTTP_USER_AGENT": USER_AGENT})  # warm
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, environ_base={"REMOTE_ADDR": CLIENT_ADDRESS, "HTTP_USER_AGENT": USER_AGENT})
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and b'id="case-list"' in response.data, response.status_code
    db.session.remove()
    return recorded


# --- the baseline: the same necessary work, without the application's machinery ------

BASELINE_PAGE = """\
{% extends "govuk_frontend_jinja/template.html" %}
{% from "govuk_frontend_jinja/components/service-navigation/macro.html" import govukServiceNavigation %}
{% set cspNonce = nonce %}
{% set assetPath = '/static/govuk/assets' %}
{% set htmlLang = 'en-GB' %}
{% block pageTitle %}Cases - Casework{% endblock %}
{% block head %}
  <link rel="stylesheet" href="/static/govuk/govuk-frontend.min.css">
  <link rel="stylesheet" href="/static/moj/moj-frontend.min.css">
  <link rel="stylesheet" href="/static/casework/casework.css">
{% endblock %}
{% block govukHeader %}
  <div class="casework-account casework-no-print"><div class="govuk-width-container casework-account__container">
    <span>Signed in as {{ user_name }}</span>
    <a class="govuk-link" href="/notifications">Notifications{% if unread > 99 %} (<span aria-hidden="true">99+</span><span class="govuk-visually-hidden">more than 99 unread</span>){% elif unread %} ({{ unread }}<span class="govuk-visually-hidden"> unread</span>){% endif %}</a>
    <form method="post" action="/sign-out"><input type="hidden" name="csrf_token" value="{{ csrf }}">
      <button type="submit" class="govuk-link casework-link-button">Sign out</button></form>
  </div></div>
{% endblock %}
{% block govukServiceNavigation %}
  {{ govukServiceNavigation({'serviceName': 'Casework', 'serviceUrl': '/', 'navigation': navigation}) }}
{% endblock %}
{% block content %}
<h1 class="govuk-heading-l">Cases</h1>
<div class="govuk-grid-row">
  <div class="govuk-grid-column-one-quarter">
    <form method="post" action="/cases/search" novalidate class="casework-filter">
      <h2 class="govuk-heading-m">Filter</h2>
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <div class="govuk-form-group"><fieldset class="govuk-fieldset"><legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Show</legend>
        <div class="govuk-radios govuk-radios--small" data-module="govuk-radios">
        {% for value, label in [('mine', 'Cases my agency is involved in'), ('all', 'All cases in the partnership')] %}
          <div class="govuk-radios__item"><input class="govuk-radios__input" id="scope-{{ loop.index }}" name="scope" type="radio" value="{{ value }}"{% if loop.first %} checked{% endif %}>
          <label class="govuk-label govuk-radios__label" for="scope-{{ loop.index }}">{{ label }}</label></div>
        {% endfor %}
        </div></fieldset></div>
      <div class="govuk-form-group"><label class="govuk-label govuk-label--s" for="text">Reference, title or name</label>
        <input class="govuk-input" id="text" name="text" type="text" value=""></div>
      {% for name, label, options in selects %}
      <div class="govuk-form-group"><label class="govuk-label govuk-label--s" for="{{ name }}">{{ label }}</label>
        <select class="govuk-select" id="{{ name }}" name="{{ name }}">
        {% for value, text in options %}<option value="{{ value }}">{{ text }}</option>{% endfor %}
        </select></div>
      {% endfor %}
      <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Apply filters</button>
    </form>
  </div>
  <div class="govuk-grid-column-three-quarters">
    <p class="govuk-body" role="status">{{ total }} cases</p>
    <div class="casework-table-container" tabindex="0" role="region" aria-label="Cases matching the filters">
    <table class="govuk-table" id="case-list"><caption class="govuk-table__caption govuk-visually-hidden">Cases matching the filters</caption>
      <thead class="govuk-table__head"><tr class="govuk-table__row">
      {% for heading in ['Reference', 'Title', 'Type', 'Lead agency', 'Area', 'Status', 'Opened'] %}<th scope="col" class="govuk-table__header">{{ heading }}</th>{% endfor %}
      </tr></thead>
      <tbody class="govuk-table__body">
      {% for row in rows %}
        <tr class="govuk-table__row">
          <td class="govuk-table__cell casework-nowrap"><a class="govuk-link" href="/cases/{{ row.reference }}">{{ row.reference }}</a></td>
          <td class="govuk-table__cell">{{ row.title }}{% if row.restricted %} <strong class="govuk-tag govuk-tag--red">Restricted</strong>{% endif %}</td>
          <td class="govuk-table__cell">{{ row.case_type }}</td>
          <td class="govuk-table__cell">{{ row.agency }}</td>
          <td class="govuk-table__cell">{{ row.town }}</td>
          <td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--{{ 'green' if row.status == 'open' else 'grey' }}">{{ row.status | capitalize }}</strong></td>
          <td class="govuk-table__cell">{{ row.opened }}</td>
        </tr>
      {% endfor %}
      </tbody>
    </table></div>
    <nav class="govuk-pagination" aria-label="Pagination"><div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link" href="/cases?page=2" rel="next"><span class="govuk-pagination__link-title">Next<span class="govuk-visually-hidden"> page</span></span></a></div></nav>
  </div>
</div>
{% endblock %}
{% block govukFooter %}
  <div class="govuk-footer"><div class="govuk-width-container"><div class="govuk-footer__meta">
    <div class="govuk-footer__meta-item govuk-footer__meta-item--grow"><div class="govuk-footer__meta-custom">
      Casework is open-source software, released under the MIT License.
    </div></div>
  </div></div></div>
{% endblock %}
{% block bodyEnd %}
  <script type="module" nonce="{{ nonce }}">import { initAll } from "/static/govuk/govuk-frontend.min.js"; initAll()</script>
  <script type="module" nonce="{{ nonce }}">import { initAll } from "/static/moj/moj-frontend.min.js"; initAll()</script>
{% endblock %}
"""

NAVIGATION = ["My work", "Cases", "Actions", "Meetings", "Referrals"]


def _baseline_rows(
    results: list[sa.CursorResult[object]],
) -> tuple[list[dict[str, object]], int, list[tuple[str, str, list[tuple[str, str]]]]]:
    """The page's rows, the count and the filters' choices, from the replayed results:
    the statement with a ``reference`` column is the page, a single number the count,
    and the rest are the choices."""
    from casework.clock import ZONE

    rows: list[dict[str, object]] = []
    total, choices = 0, list[list[str]]()
    for result in results:
        keys = list(result.keys())
        fetched = result.fetchall()
        if "reference" in keys:
            at = {
                key: keys.index(key)
                for key in ("reference", "title", "case_type", "town", "status", "opened_at", "restricted", "name")
            }
            for row in fetched:
                opened = row[at["opened_at"]]
                opened = datetime.fromisoformat(opened) if isinstance(opened, str) else opened
                assert isinstance(opened, datetime)
                local = opened.replace(tzinfo=opened.tzinfo or ZONE).astimezone(ZONE)
                rows.append(
                    {
                        "reference": row[at["reference"]],
                        "title": row[at["title"]],
                        "case_type": str(row[at["case_type"]]).capitalize(),
                        "agency": row[at["name"]],
                        "town": row[at["town"]],
                        "status": row[at["status"]],
                        "restricted": row[at["restricted"]],
                        "opened": f"{local.day} {local:%B %Y}",
                    }
                )
        elif len(keys) == 1 and len(fetched) == 1 and isinstance(fetched[0][0], int):
            total = fetched[0][0]
        else:
            choices.append([str(tuple(row)[-1]) for row in fetched])
    selects = [("status", "Status", [("", "Any status"), ("open", "Open"), ("closed", "Closed")])]
    selects += [
        (f"choice{n}", "Choice", [("", "Any")] + [(value, value) for value in values])
        for n, values in enumerate(choices)
    ]
    return rows, total, selects


def baseline_app() -> Flask:
    """The minimal page, built from the environment gunicorn is started with."""
    import hashlib
    import hmac
    import json
    import os
    import uuid

    from flask import abort, request
    from flask.json.tag import TaggedJSONSerializer
    from itsdangerous import URLSafeTimedSerializer
    from jinja2 import PackageLoader, PrefixLoader

    from casework.accounts.models import BrowserSession
    from casework.clock import timestamp

    secret, url = os.environ["SECRET_KEY"], os.environ["DATABASE_URL"]
    statements = [
        (sql, _decode(parameters))
        for sql, parameters in json.loads(Path(os.environ["BASELINE_STATEMENTS"]).read_text())
    ]
    engine = db.make_engine(url)
    db.write_intent.set(False)  # a read: SQLite's BEGIN, not BEGIN IMMEDIATE
    serializer, signer = TaggedJSONSerializer(), URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
    users = User.__table__
    notifications = sa.table("notifications", sa.column("user_id"), sa.column("read_at"))
    load = sa.select(
        BrowserSession.data,
        users.c.name,
        users.c.active,
        users.c.session_token,
        # Counted up to 100, as the header shows "99+" beyond 99.
        sa.select(sa.func.count())
        .select_from(
            sa.select(sa.literal_column("1"))
            .select_from(notifications)
            .where(notifications.c.user_id == BrowserSession.user_id, notifications.c.read_at.is_(None))
            .limit(100)
            .correlate(BrowserSession)
            .subquery()
        )
        .scalar_subquery()
        .label("unread"),
    ).outerjoin(users, users.c.id == BrowserSession.user_id)
    load = load.where(BrowserSession.id_hash == sa.bindparam("hash"), BrowserSession.expires_at > sa.bindparam("now"))

    app = Flask(__name__)
    app.jinja_loader = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    page = app.jinja_env.from_string(BASELINE_PAGE)
    navigation = [{"href": "/", "text": text, "active": text == "Cases"} for text in NAVIGATION]

    @app.get("/cases")
    def cases() -> tuple[str, int, dict[str, str]]:
        cookie = request.cookies.get("__Host-session", "")
        with engine.connect() as connection:
            found = connection.execute(
                load, {"hash": hashlib.sha256(cookie.encode()).hexdigest(), "now": utcnow()}
            ).first()
            if found is None or not found.active:
                abort(401)
            data = serializer.loads(found.data)
            now = timestamp()
            if not hmac.compare_digest(data.get("_user_id", ""), found.session_token) or now - data["last_seen"] > 1800:
                abort(401)
            results = [connection.exec_driver_sql(sql, parameters) for sql, parameters in statements]  # type: ignore[arg-type]
            rows, total, selects = _baseline_rows(results)
        if now - data["last_seen"] >= 60:  # the app keeps the time of the last request to the minute
            data["last_seen"] = now
            token = db.write_intent.set(True)  # as the app: a transaction of its own, taking the lock first
            try:
                with engine.begin() as connection:
                    connection.execute(
                        sa.update(BrowserSession).where(
                            BrowserSession.id_hash == hashlib.sha256(cookie.encode()).hexdigest()
                        ),
                        {"data": serializer.dumps(data)},
                    )
            finally:
                db.write_intent.reset(token)
        nonce = secrets.token_urlsafe(16)
        html = page.render(
            nonce=nonce,
            csrf=signer.dumps(data["csrf_token"]),
            user_name=found.name,
            unread=found.unread,
            navigation=navigation,
            rows=rows,
            total=total,
            selects=selects,
        )
        return (
            html,
            200,
            {
                "Content-Security-Policy": f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
                "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                "form-action 'self'; frame-ancestors 'none'",
                "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",
                "Cross-Origin-Opener-Policy": "same-origin",
                "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
                "X-Request-Id": str(uuid.uuid4()),
                "Cache-Control": "no-store",
                "Vary": "Cookie",
            },
        )

    return app


# --- serving and measuring -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(target: str, environment: dict[str, str], log: Path, workers: int = 2) -> Iterator[int]:
    """gunicorn with the production configuration on a free port, until the block ends;
    what it writes goes to ``log``."""
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        target,
    ]
    output = log.open("wb")
    server = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **environment}, stdout=output, stderr=output
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        output.close()


def _get(port: int, path: str, cookie: str, timeout: float = 30) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": f"__Host-session={cookie}", "User-Agent": USER_AGENT})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def window(
    port: int, path: str, cookie: str, clients: int, seconds: float, timeout: float = 30
) -> tuple[float, list[float]]:
    """Requests per second served to ``clients`` concurrent clients over ``seconds``, and
    the time of each response in ms. Any answer but 200, or none within ``timeout``
    seconds, stops the run."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start = time.perf_counter()
    stop = start + seconds

    def client(mine: list[float]) -> None:
        while not failures and (began := time.perf_counter()) < stop:
            try:
                status, _body = _get(port, path, cookie, timeout)
            except OSError as error:  # a worker killed by gunicorn's timeout, on a starved machine
                failures.append(f"{path}: no answer ({error!r})")
                return
            if status != 200:
                failures.append(f"{path} answered {status}")
            mine.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in latencies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(failures[0])
    elapsed = time.perf_counter() - start
    times = [latency for mine in latencies for latency in mine]
    return len(times) / elapsed, times


WARM_UP_TIMEOUT = 300  # seconds for a worker's first answers


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(share * len(ordered)) - 1)]


class Measured(TypedDict):
    """One server at one number of clients."""

    server: str  # "application" or "baseline"
    clients: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    share_of_baseline: NotRequired[float]  # the application's


def measure(
    url: str, *, path: str = "/cases", concurrency: tuple[int, ...] = (2, 4), seconds: float = 5, rounds: int = 3
) -> list[Measured]:
    """The core: a filled database in, one row per server and number of clients out
    (requests per second, the median of ``rounds`` windows; p50 and p99 in ms; and the
    application's share of the baseline)."""
    user_id = member(url)
    recorder = create_app(TestConfig(url))
    cookie = signed_in_session(recorder, user_id)
    statements = record_list_statements(recorder, cookie, path)
    recorder.extensions["casework.engine"].dispose()
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory() as directory:
        recorded = Path(directory) / "statements.json"
        recorded.write_text(json.dumps([[sql, _encode(parameters)] for sql, parameters in statements]))
        environment = {
            "CASEWORK_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "BASELINE_STATEMENTS": str(recorded),
        }
        servers = {"application": "wsgi:app", "baseline": "tests.benchmarks.partnership.throughput:baseline_app()"}
        logs = {name: Path(directory) / f"{name}.log" for name in servers}
        with (
            served(servers["application"], environment, logs["application"]) as app_port,
            served(servers["baseline"], environment, logs["baseline"]) as base_port,
        ):
            ports = {"application": app_port, "baseline": base_port}
            for name, port in ports.items():  # every worker warm: templates compiled, connections open
                try:
                    # A worker's first answer compiles every template of the page (seconds of
                    # CPU on a busy machine), and at LARGE reads a cold database: wait for it.
                    window(port, path, cookie, 2, 1.0, timeout=WARM_UP_TIMEOUT)
                except RuntimeError as failed:
                    raise RuntimeError(f"{name}: {failed}\n{logs[name].read_text()}") from None
            for clients in concurrency:
                seen: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in ports}
                for _ in range(rounds):
                    for name, port in ports.items():
                        try:
                            seen[name].append(window(port, path, cookie, clients, seconds))
                        except RuntimeError as failed:
                            raise RuntimeError(f"{name}: {failed}\n{logs[name].read_text()[-5000:]}") from None
                for name, windows in seen.items():
                    times = [latency for _rate, latencies in windows for latency in latencies]
                    rows.append(
                        {
                            "server": name,
                            "clients": clients,
                            "requests_per_second": statistics.median(rate for rate, _latencies in windows),
                            "p50_ms": statistics.median(times),
                            "p99_ms": _percentile(times, 0.99),
                        }
                    )
                application, baseline = rows[-2], rows[-1]
                application["share_of_baseline"] = application["requests_per_second"] / baseline["requests_per_second"]
    return rows


SHARE_TARGET, RATE_TARGET = 0.6, 100.0


def part(url: str, size: Size) -> list[Row]:
    """The application's rows of ``measure``, judged against the targets."""
    backend = url.split(":")[0].split("+")[0]
    rows = measure(url)
    baseline = {row["clients"]: row for row in rows if row["server"] == "baseline"}
    judged = []
    for row in rows:
        if row["server"] != "application":
            continue
        rate, base = row["requests_per_second"], baseline[row["clients"]]["requests_per_second"]
        share = row["share_of_baseline"]
        missed = [f"under {SHARE_TARGET:.0%} of the baseline"] * (share < SHARE_TARGET)
        missed += [f"under {RATE_TARGET:.0f} requests/s"] * (rate < RATE_TARGET)
        note = f"{rate:.1f} requests/s, {share:.0%} of the baseline's {base:.1f}"
        print(f"  Case list through gunicorn, {row['clients']} clients: {note}", flush=True)
        judged.append(
            Row(
                backend,
                size.name,
                f"Case list through gunicorn, {row['clients']} clients (p50 / p99 ms)",
                "member",
                "GET",
                round(row["p50_ms"], 1),
                round(row["p99_ms"], 1),
                None,
                0.0,
                note=note,
                missed="; ".join(missed),
                judge_ratio=False,
            )
        )
    return judged


PARTS["throughput"] = part
