from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.accounts.models import User
from casework.clock import utcnow
from casework.db import Base, IntPK

if TYPE_CHECKING:
    from casework.cases.models import Case


class AuditEvent(Base):
    """Append-only record of every change and every view of a case or person page."""

    __tablename__ = "audit_events"

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    verb: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    request_id: Mapped[str] = mapped_column(sa.String(36), default="")

    actor: Mapped[User | None] = relationship(lazy="raise")
    case: Mapped["Case | None"] = relationship(lazy="raise")

    # A record's own history read back from the log (who linked cases to a premises),
    # without reading every event.
    # The log filtered by kind of event (the verb's first part, "premises." and the like),
    # newest first. PostgreSQL finds a prefix through the pattern operator class, whatever
    # the database's collation, and chooses between this index and the one on (at) by
    # how common the kind is: see docs/performance.md.
    # A person's events newest first (the log filtered by person, the subject access
    # export): a page is read in order, not sorted from all of them.
    __table_args__ = (
        sa.Index("ix_audit_events_person_id_at", "person_id", "at", "id"),
        sa.Index("ix_audit_events_object_type_object_id", "object_type", "object_id", "verb"),
        sa.Index("ix_audit_events_verb_at", "verb", "at", postgresql_ops={"verb": "varchar_pattern_ops"}),
    )


# The database itself refuses to change or delete an audit event, whatever the
# application does. The migration creates the same triggers; these are for schemas
# made with create_all (benchmarks, throwaway databases).
AUDIT_IMMUTABLE_MESSAGE = "audit events cannot be changed or deleted"

POSTGRESQL_AUDIT_TRIGGERS = [
    f"""CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{AUDIT_IMMUTABLE_MESSAGE}';
END $$""",
    """CREATE TRIGGER audit_events_immutable BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_immutable()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable()""",
]

SQLITE_AUDIT_TRIGGERS = [
    f"""CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, '{AUDIT_IMMUTABLE_MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, '{AUDIT_IMMUTABLE_MESSAGE}'); END""",
]

for _statement in POSTGRESQL_AUDIT_TRIGGERS:
    sa.event.listen(AuditEvent.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_AUDIT_TRIGGERS:
    sa.event.listen(AuditEvent.__table__, "after_create", sa.DDL(_statement).execute_if(dialect="sqlite"))
