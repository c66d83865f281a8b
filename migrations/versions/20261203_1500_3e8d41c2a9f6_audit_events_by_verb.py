"""audit events indexed by (verb, at), for the audit log filtered by kind of event

Revision ID: 3e8d41c2a9f6
Revises: 9b2d4e6f1a37
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3e8d41c2a9f6"
down_revision: str | None = "9b2d4e6f1a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain index statements, not a batch: the audit table must never be copied and
# recreated (its triggers refuse changes to its rows).


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_verb_at",
        "audit_events",
        ["verb", "at"],
        unique=False,
        postgresql_ops={"verb": "varchar_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_verb_at", table_name="audit_events")
