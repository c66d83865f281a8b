"""Pages that record what they show (``writes_on_get``): the audit record of a view is
written if and only if the page is shown.

On SQLite such a page reads without the write lock and writes its record in a short
transaction of its own once the page is ready, so views do not queue behind each other;
on PostgreSQL the page is one transaction (docs/architecture.md, "Pages that write when
they are shown"). The tests on a file of their own need real commits and real
connections; they run on SQLite, where the lock is.
"""

import http.client
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask, before_render_template
from werkzeug.serving import make_server

from casework import create_app, db
from casework.audit.models import AuditEvent
from casework.audit.services import held, record
from casework.cases.models import Case
from casework.victims.models import RiskMatrix
from config import TestConfig
from tests.conftest import SignedInClient, alembic_config
from tests.factories import add_party, make_agency, make_case, make_person, make_user

TITLE = "Graffiti and threats on Orchard Road"
SURNAME = "Ashdown"
CLIENTS, VIEWS_EACH = 4, 8


def _views_of(case_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.verb == "case.viewed", AuditEvent.case_id == case_id)
    )


@pytest.fixture
def world(session):
    council = make_agency(name="Fenland District Council")
    member = make_user(agency=council)
    case = make_case(lead_agency=council, opened_by=member, title=TITLE)
    victim = make_person(created_by=member, last_name=SURNAME)
    add_party(case=case, person=victim)
    return member, case, victim


@pytest.mark.both_databases
def test_a_page_view_is_recorded_once(client_as, world):
    member, case, _victim = world

    response = client_as(member).get(f"/cases/{case.reference}")

    assert response.status_code == 200
    assert _views_of(case.id) == 1


@pytest.mark.both_databases
def test_a_page_that_fails_while_it_is_drawn_records_no_view(app, client_as, world):
    member, case, _victim = world

    def fail(_sender: Flask, template: object, **_extra: object) -> None:
        if getattr(template, "name", "") == "cases/detail.html":
            raise RuntimeError("the template could not be drawn")

    with before_render_template.connected_to(fail, app):
        response = client_as(member).get(f"/cases/{case.reference}")

    assert response.status_code == 500
    assert SURNAME not in response.get_data(as_text=True)
    assert _views_of(case.id) == 0


@pytest.mark.both_databases
def test_a_page_whose_audit_record_cannot_be_written_is_not_shown(app, client_as, world):
    member, case, _victim = world
    engine = app.extensions["casework.engine"]

    def refuse(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            raise RuntimeError("the audit trail cannot be written")

    sa.event.listen(engine, "before_cursor_execute", refuse)
    try:
        response = client_as(member).get(f"/cases/{case.reference}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse)

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert TITLE not in page and SURNAME not in page
    assert _views_of(case.id) == 0


@pytest.mark.both_databases
def test_a_page_that_writes_more_than_its_record_stores_it_once_with_one_view(client_as, world):
    # The risk matrix is stored on its first use: on SQLite the page runs again holding
    # the write lock, and what the first run recorded is not kept twice.
    member, case, victim = world
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskMatrix)) == 0

    response = client_as(member).get(f"/cases/{case.reference}/victims/{victim.id}/risk-assessments/new")

    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RiskMatrix)) == 1
    loaded = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.verb == "risk_matrix.loaded"))
    assert (loaded, _views_of(case.id)) == (1, 1)


def test_records_made_while_held_wait_outside_the_session(session):
    with held() as events:
        record(None, "case.viewed", "case", 1)
    assert [(event.verb, event.object_id) for event in events] == [("case.viewed", 1)]
    assert events[0] not in db.session
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0  # the caller writes them


def test_reading_only_refuses_a_write_before_it_reaches_the_database(session):
    agency = make_agency(name="Cambridgeshire Constabulary")
    with db.reading_only():
        agency.name = "Renamed"
        with pytest.raises(db.WriteWhileReading):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(db.WriteWhileReading):
            db.session.execute(sa.update(Case).values(title="Changed"))
        assert db.session.get(Case, 1) is None  # reading is allowed


# --- On an SQLite file of their own, with real commits -----------------------------------


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the schema, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("audited_views") / "migrated.sqlite"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    return path


@pytest.fixture
def file_app(migrated_file: Path, tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    path = tmp_path / "casework.sqlite"
    shutil.copy(migrated_file, path)
    previous_bind = db.session.session_factory.kw.get("bind")
    app = create_app(TestConfig(f"sqlite:///{path}"))
    app.test_client_class = SignedInClient
    try:
        yield app, path
    finally:
        db.session.remove()
        app.extensions["casework.engine"].dispose()
        db.session.configure(bind=previous_bind)


def _file_world(app: Flask, cases: int = 1) -> tuple[SignedInClient, list[str]]:
    with app.app_context():
        council = make_agency(name="Fenland District Council")
        member = make_user(agency=council)
        references = [make_case(lead_agency=council, opened_by=member, title=TITLE).reference for _ in range(cases)]
        client = app.test_client(user=member)
        db.session.remove()
    return client, references


def _count_views(app: Flask) -> int:
    with app.app_context():
        views = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.verb == "case.viewed"))
        db.session.remove()
    return views


def test_while_a_page_view_reads_another_connection_can_take_the_write_lock(file_app):
    app, path = file_app
    client, (reference,) = _file_world(app)
    drawing, go_on = threading.Event(), threading.Event()
    answers = []

    def hold(_sender: Flask, template: object, **_extra: object) -> None:
        if getattr(template, "name", "") == "cases/detail.html":
            drawing.set()
            go_on.wait(timeout=30)

    with before_render_template.connected_to(hold, app):
        viewer = threading.Thread(target=lambda: answers.append(client.get(f"/cases/{reference}")))
        viewer.start()
        try:
            assert drawing.wait(timeout=30)
            # A writer that would wait no more than a moment: the page holds no lock.
            writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
            try:
                writer.execute("BEGIN IMMEDIATE")
                writer.execute("UPDATE cases SET title = 'Changed meanwhile' WHERE reference = ?", (reference,))
                writer.execute("COMMIT")
            finally:
                writer.close()
        finally:
            go_on.set()
            viewer.join(timeout=30)

    assert answers[0].status_code == 200
    assert TITLE in answers[0].get_data(as_text=True)  # what the page read, before the change
    assert _count_views(app) == 1


def _view_through(port: int, cookie: str, user_agent: str, references: list[str]) -> list[int]:
    statuses = []
    for reference in references:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", f"/cases/{reference}", headers={"Cookie": cookie, "User-Agent": user_agent})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        finally:
            connection.close()
    return statuses


def _in_parallel(job: Callable[[int], list[int]], count: int) -> list[list[int]]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(job, range(count)))


def test_four_clients_viewing_case_pages_at_once_through_a_server_are_all_shown_and_recorded(file_app):
    app, _path = file_app
    client, references = _file_world(app, cases=VIEWS_EACH)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    try:
        statuses = _in_parallel(
            lambda _n: _view_through(
                server.port, f"{cookie.key}={cookie.value}", client.environ_base["HTTP_USER_AGENT"], references
            ),
            CLIENTS,
        )
    finally:
        server.shutdown()
        serving.join(timeout=30)

    assert statuses == [[200] * VIEWS_EACH] * CLIENTS  # a "database is locked" would be a 500
    assert _count_views(app) == CLIENTS * VIEWS_EACH
