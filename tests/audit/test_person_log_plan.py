"""The audit log filtered by a person reads a page newest first from the index on
(person_id, at, id): with a person's 1,000 events at county scale, the index on
person_id alone made the database read and sort all of them for every page
(docs/performance.md, "Third round: My work, notifications, referrals")."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casework import db
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.clock import utcnow
from casework.permissions import Role
from tests.factories import make_person, make_user
from tests.support.plans import plan_of, sent_statements

# What ANALYZE recorded about the benchmark's audit log (5,000,000 events, a person on
# about five): the planner chooses by these.
COUNTY_LOG = {
    ("audit_events", "ix_audit_events_person_id_at"): "5000000 5 1 1",
    ("audit_events", "ix_audit_events_at"): "5000000 1",
    ("audit_events", "ix_audit_events_actor_id"): "5000000 70000",
    ("audit_events", "ix_audit_events_case_id"): "5000000 50",
}


def as_a_county_log() -> None:
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE")
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'audit_events'")
    for (table, index), stat in COUNTY_LOG.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")


@pytest.fixture
def person_events(session):
    admin = make_user(role=Role.ADMIN)
    person = make_person(created_by=admin)
    now = utcnow()
    # Two at each instant, so the order by id breaks ties.
    for number in range(30):
        at = now - timedelta(minutes=number // 2)
        db.session.add(
            AuditEvent(at=at, actor_id=admin.id, verb="person.viewed", object_type="person", person_id=person.id)
        )
    db.session.add(AuditEvent(at=now, actor_id=admin.id, verb="person.viewed", object_type="person"))
    db.session.commit()
    return admin, person


def test_a_persons_events_are_read_newest_first_from_their_index(app, person_events):
    admin, person = person_events
    as_a_county_log()
    with sent_statements(app.extensions["casework.engine"], "ORDER BY") as sent:
        audit.search_events(admin, audit.AuditFilter(person_id=person.id), per_page=10)
    [(statement, parameters)] = sent
    plan = plan_of(db.session.connection(), statement, parameters)
    reads = [step for step in plan if "audit_events" in step]
    assert reads == ["SEARCH audit_events USING INDEX ix_audit_events_person_id_at (person_id=?)"], plan
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.both_databases
def test_a_persons_pages_go_newest_first_without_skipping_or_repeating_ties(person_events):
    admin, person = person_events
    criteria = audit.AuditFilter(person_id=person.id)
    seen: list[int] = []
    page = audit.search_events(admin, criteria, per_page=7)
    assert (page.total, page.exact) == (30, True)
    while True:
        seen += [event.id for event in page.items]
        if not page.older:
            break
        page = audit.search_events(admin, criteria, per_page=7, older_than=page.items[-1].id)
    expected = db.session.scalars(
        sa.select(AuditEvent.id)
        .where(AuditEvent.person_id == person.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    assert seen == expected and len(seen) == 30
