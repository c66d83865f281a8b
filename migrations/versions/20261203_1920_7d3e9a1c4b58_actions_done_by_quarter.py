"""an index for the actions done in a quarter, by agency (the partnership's figures)

Revision ID: 7d3e9a1c4b58
Revises: 5c1e7a9d3b20
Create Date: 2026-12-03 19:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d3e9a1c4b58"
down_revision: str | None = "5c1e7a9d3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_actions_status_completed_at", ["status", "completed_at", "assigned_agency_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index("ix_actions_status_completed_at")
