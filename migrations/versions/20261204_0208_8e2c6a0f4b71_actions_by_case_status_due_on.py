"""a case's actions are indexed with their status and due day, so that the agenda counts
each item's overdue actions from the index alone

Revision ID: 8e2c6a0f4b71
Revises: 2f6a8d4c1e57
Create Date: 2026-12-04 02:04:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8e2c6a0f4b71"
down_revision: str | None = "2f6a8d4c1e57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Starts with the old index's column, so it serves every query the old one did.
    op.create_index("ix_actions_case_id_status_due_on", "actions", ["case_id", "status", "due_on"])
    op.drop_index("ix_actions_case_id", table_name="actions")


def downgrade() -> None:
    op.create_index("ix_actions_case_id", "actions", ["case_id"])
    op.drop_index("ix_actions_case_id_status_due_on", table_name="actions")
