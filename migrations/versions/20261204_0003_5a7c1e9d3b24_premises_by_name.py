"""the premises register in name order walks an index instead of sorting every premises

Revision ID: 5a7c1e9d3b24
Revises: 5c2e8a7d9b14
Create Date: 2026-12-04 00:03:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5a7c1e9d3b24"
down_revision: str | None = "5c2e8a7d9b14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_premises_name_id", "premises", ["name", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_premises_name_id", table_name="premises")
