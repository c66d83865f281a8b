"""drop the index of actions done by quarter: the figures add up the kept counts instead

Revision ID: 3d9f6a2c8e41
Revises: 8e4b2c6d1f37
Create Date: 2026-12-03 22:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3d9f6a2c8e41"
down_revision: str | None = "8e4b2c6d1f37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_actions_status_completed_at", table_name="actions")


def downgrade() -> None:
    op.create_index(
        "ix_actions_status_completed_at", "actions", ["status", "completed_at", "assigned_agency_id"], unique=False
    )
