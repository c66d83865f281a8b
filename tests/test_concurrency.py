"""Many requests writing at once, over real connections to a database of their own.

SQLite runs in WAL mode with a busy timeout, and a request that writes takes the write
lock when its transaction begins, so writers queue instead of failing with "database is
locked". Cases carry a version, so two people saving the same case at once cannot
silently overwrite each other on either backend.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from casework import create_app, db
from casework.audit.models import AuditEvent
from casework.cases.models import AccessRequest, AccessRequestStatus, Case, CaseAgency, CaseType
from casework.cases.services import commands
from casework.notifications.models import Notification, NotificationKind
from casework.permissions import Role
from config import TestConfig
from tests.conftest import SignedInClient, alembic_config
from tests.factories import make_agency, make_case, make_user
from tests.support.databases import fresh_database

pytestmark = pytest.mark.both_databases

WRITERS = 6


@pytest.fixture
def shared_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh database whose requests really commit."""
    previous_bind = db.session.session_factory.kw.get("bind")
    with fresh_database(database_url, tmp_path, prefix="casework_concurrency") as url:
        command.upgrade(alembic_config(url), "head")
        app = create_app(TestConfig(url))
        app.test_client_class = SignedInClient
        try:
            yield app
        finally:
            db.session.remove()
            app.extensions["casework.engine"].dispose()
            db.session.configure(bind=previous_bind)


def _in_parallel(job, count: int) -> list:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(job, range(count)))


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_a_16_mb_page_cache(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'settings.sqlite'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -16 * 1024  # KiB
    finally:
        engine.dispose()


def test_cases_opened_at_once_all_succeed_with_distinct_consecutive_references(shared_app):
    with shared_app.app_context():
        agency = make_agency(name="Fenland District Council")
        members = [make_user(agency=agency) for _ in range(WRITERS)]

    def open_cases(number: int) -> list[int]:
        client = shared_app.test_client(user=members[number])
        return [
            client.post(
                "/cases/new",
                data={
                    "case_type": CaseType.PLACE.value,
                    "title": f"Writer {number} case {n}",
                    "lead_agency_id": agency.id,
                },
            ).status_code
            for n in range(3)
        ]

    statuses = _in_parallel(open_cases, WRITERS)

    assert statuses == [[302, 302, 302]] * WRITERS
    with shared_app.app_context():
        references = db.session.scalars(sa.select(Case.reference)).all()
        numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
        assert numbers == list(range(1, 3 * WRITERS + 1))
        opened = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.verb == "case.opened"))
        assert opened == 3 * WRITERS


def test_simultaneous_edits_of_one_case_keep_exactly_one_and_lose_nothing_silently(shared_app):
    with shared_app.app_context():
        agency = make_agency(name="Roddons Housing Association")
        members = [make_user(agency=agency) for _ in range(WRITERS)]
        case = make_case(lead_agency=agency, opened_by=members[0], title="Before")
        reference, version = case.reference, case.version

    def save(number: int) -> int:
        client = shared_app.test_client(user=members[number])
        form = {"version": version, "case_type": "victim", "title": f"Edit by writer {number}", "summary": ""}
        return client.post(f"/cases/{reference}/edit", data=form).status_code

    statuses = _in_parallel(save, WRITERS)

    assert sorted(statuses) == [302] + [409] * (WRITERS - 1)
    winner = statuses.index(302)
    with shared_app.app_context():
        saved = db.session.scalar(sa.select(Case).where(Case.reference == reference))
        assert saved.title == f"Edit by writer {winner}"
        assert saved.version == version + 1
        updates = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.verb == "case.updated"))
        assert updates == 1


def test_deciders_at_once_decide_a_request_for_access_once(shared_app):
    with shared_app.app_context():
        council = make_agency(name="Fenland District Council")
        housing = make_agency(name="Roddons Housing Association")
        member = make_user(agency=council)
        case = make_case(lead_agency=council, opened_by=member)
        managers = [make_user(role=Role.MANAGER, agency=council) for _ in range(WRITERS)]
        request_id = commands.request_access(make_user(agency=housing), case.reference, reason="Our tenant").id
        db.session.commit()

    def decide(number: int) -> int:
        client = shared_app.test_client(user=managers[number])
        if number % 2:
            return client.post(f"/access-requests/{request_id}/grant").status_code
        return client.post(f"/access-requests/{request_id}/decline", data={"reason": "Not yet"}).status_code

    statuses = _in_parallel(decide, WRITERS)

    assert set(statuses) <= {302, 409}  # a decline that lost is shown again with why
    with shared_app.app_context():
        decided = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.verb.in_(["case.access_granted", "case.access_declined"]))
        )
        assert decided == 1
        told = db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == NotificationKind.ACCESS_DECIDED))
        assert told == 1
        shared = db.session.scalar(
            sa.select(sa.func.count()).select_from(CaseAgency).where(CaseAgency.case_id == case.id)
        )
        granted = db.session.scalar(sa.select(AccessRequest.status).where(AccessRequest.id == request_id))
        assert shared == (2 if granted is AccessRequestStatus.GRANTED else 1)
