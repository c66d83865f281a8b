"""The database itself refuses to change or delete an audit event, whatever the
application does: triggers made by the migrations, on SQLite and PostgreSQL alike."""

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from casework import db
from casework.audit import services as audit
from casework.audit.models import AUDIT_IMMUTABLE_MESSAGE, AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.both_databases


@pytest.fixture
def event(session) -> AuditEvent:
    user = make_user()
    audit.record(user, "case.viewed", "case", 1, detail={"reason": "original"})
    db.session.commit()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == user.id)).one()


def refused(change: Callable[[], None]) -> None:
    """Run ``change`` in a SAVEPOINT: on PostgreSQL a failed statement aborts the whole
    transaction, so the refusal must be rolled back to the savepoint, not further."""
    with pytest.raises(DBAPIError) as error:
        with db.session.begin_nested():
            change()
            db.session.flush()
    assert AUDIT_IMMUTABLE_MESSAGE in str(error.value)


def stored(event_id: int) -> tuple[str, dict[str, str]] | None:
    row = db.session.execute(sa.text("SELECT verb, detail FROM audit_events WHERE id = :id"), {"id": event_id}).first()
    if row is None:
        return None
    detail = row[1] if isinstance(row[1], dict) else json.loads(row[1])
    return row[0], detail


def test_orm_update_is_refused(event: AuditEvent) -> None:
    def change() -> None:
        event.verb = "case.updated"

    refused(change)
    assert stored(event.id) == ("case.viewed", {"reason": "original"})


def test_orm_delete_is_refused(event: AuditEvent) -> None:
    refused(lambda: db.session.delete(event))
    assert stored(event.id) is not None


def test_raw_sql_update_is_refused(event: AuditEvent) -> None:
    refused(
        lambda: db.session.execute(sa.text("UPDATE audit_events SET actor_id = NULL WHERE id = :id"), {"id": event.id})
    )
    refused(lambda: db.session.execute(sa.update(AuditEvent).values(detail={})))
    assert stored(event.id) == ("case.viewed", {"reason": "original"})


def test_raw_sql_delete_is_refused(event: AuditEvent) -> None:
    refused(lambda: db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": event.id}))
    refused(lambda: db.session.execute(sa.delete(AuditEvent)))
    assert stored(event.id) is not None


def test_emptying_the_table_is_refused(event: AuditEvent) -> None:
    # SQLite has no TRUNCATE; there, emptying the table is a DELETE without WHERE.
    statement = (
        "TRUNCATE audit_events" if db.session.get_bind().dialect.name == "postgresql" else "DELETE FROM audit_events"
    )
    refused(lambda: db.session.execute(sa.text(statement)))
    assert stored(event.id) is not None


def test_new_events_are_still_recorded(event: AuditEvent) -> None:
    audit.record(None, "demo.loaded", "demo", None)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 2


def test_the_migrations_create_the_triggers(session) -> None:
    """tests/conftest.py builds the schema with `alembic upgrade head`, so this is what
    a production database has."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        triggers = set(
            db.session.scalars(
                sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal")
            )
        )
        assert {"audit_events_immutable", "audit_events_no_truncate"} <= triggers
    else:
        triggers = set(
            db.session.scalars(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")
            )
        )
        assert {"audit_events_no_update", "audit_events_no_delete"} <= triggers
