"""index on audit events by the record they are about, for a premises' case links

Revision ID: 5c1e7a9d3b42
Revises: c5e91f04a7d3
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1e7a9d3b42"
down_revision: str | None = "c5e91f04a7d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain index statements, not a batch: the audit table must never be copied and
# recreated (its triggers refuse changes to its rows).


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_object_type_object_id", "audit_events", ["object_type", "object_id", "verb"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_object_type_object_id", table_name="audit_events")
