"""a person's audit events newest first: (person_id, at, id) in place of (person_id)

Revision ID: 5c2e8a7d9b14
Revises: 5c1e8a7d2b94
Create Date: 2026-12-04 00:02:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c2e8a7d9b14"
down_revision: str | None = "5c1e8a7d2b94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Not in batch mode: on SQLite that may copy the table, and the copy would lose the
# triggers that keep audit events from being changed or deleted.


def upgrade() -> None:
    op.create_index("ix_audit_events_person_id_at", "audit_events", ["person_id", "at", "id"], unique=False)
    op.drop_index("ix_audit_events_person_id", table_name="audit_events")


def downgrade() -> None:
    op.create_index("ix_audit_events_person_id", "audit_events", ["person_id"], unique=False)
    op.drop_index("ix_audit_events_person_id_at", table_name="audit_events")
