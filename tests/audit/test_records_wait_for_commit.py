"""A unit of work's audit records are written by its commit, together in one INSERT,
and only with what they record: a savepoint rolled back takes its records with it, a
query of the audit trail sees those waiting, and each keeps the time it was made."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from casework import db
from casework.audit import services as audit
from casework.audit.models import AuditEvent
from casework.cases.models import Note, NoteKind
from casework.clock import utcnow
from tests.factories import make_agency, make_case, make_user
from tests.support.queries import recorded_statements

pytestmark = pytest.mark.both_databases


def stored_verbs() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


def test_the_records_of_a_unit_of_work_go_in_one_statement_at_its_commit(app, session):
    user = make_user()
    case = make_case(lead_agency=make_agency())
    db.session.commit()
    with recorded_statements(app.extensions["casework.engine"]) as statements:
        for number in range(3):
            audit.record(user, f"note.added.{number}", "note", None, case_id=case.id)
            db.session.add(
                Note(case_id=case.id, author_id=user.id, kind=NoteKind.NOTE, body="Seen", created_at=utcnow())
            )
            db.session.scalar(select(func.count(Note.id)))
        db.session.commit()
    assert sum(statement.startswith("INSERT INTO notes") for statement in statements) == 3  # flushed before each query
    inserts = [statement for statement in statements if statement.startswith("INSERT INTO audit_events")]
    assert len(inserts) == 1
    assert stored_verbs() == ["note.added.0", "note.added.1", "note.added.2"]


def test_a_savepoint_rolled_back_takes_its_records_and_no_others(session):
    user = make_user()
    db.session.commit()
    audit.record(user, "before", "test", None)
    with pytest.raises(ZeroDivisionError), db.session.begin_nested():
        audit.record(user, "refused", "test", None)
        with db.session.begin_nested():
            audit.record(user, "inside the refused one", "test", None)
        raise ZeroDivisionError
    with db.session.begin_nested():
        audit.record(user, "kept", "test", None)
    audit.record(user, "after", "test", None)
    db.session.commit()
    # A savepoint's records are written by its commit, before those of the transaction.
    assert stored_verbs() == ["kept", "before", "after"]


def test_a_unit_of_work_rolled_back_writes_none_of_its_records(session):
    user = make_user()
    db.session.commit()
    audit.record(user, "refused", "test", None)
    db.session.rollback()
    audit.record(user, "next", "test", None)
    db.session.commit()
    assert stored_verbs() == ["next"]


def test_a_query_of_the_trail_sees_the_records_waiting(session):
    user = make_user()
    db.session.commit()
    audit.record(user, "case.viewed", "case", None)
    assert stored_verbs() == ["case.viewed"]
    db.session.rollback()
    assert stored_verbs() == []


def test_a_record_keeps_the_time_it_was_made_not_that_of_the_commit(session):
    made = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    with time_machine.travel(made, tick=False) as traveller:
        user = make_user()
        audit.record(user, "case.viewed", "case", None)
        traveller.shift(timedelta(minutes=10))
        db.session.commit()
    assert list(db.session.scalars(select(AuditEvent.at))) == [made]
