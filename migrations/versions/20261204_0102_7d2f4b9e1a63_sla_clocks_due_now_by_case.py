"""the clocks due now are counted by their case's agency from the index alone

Revision ID: 7d2f4b9e1a63
Revises: a7c3e1d5b926
Create Date: 2026-12-04 01:02:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d2f4b9e1a63"
down_revision: str | None = "a7c3e1d5b926"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The new index starts with the old one's columns, so it serves every query the old
    # one did; keeping both would only cost writes.
    op.create_index("ix_sla_clocks_outcome_due_at_case_id", "sla_clocks", ["outcome", "due_at", "case_id"])
    op.drop_index("ix_sla_clocks_outcome_due_at", table_name="sla_clocks")


def downgrade() -> None:
    op.create_index("ix_sla_clocks_outcome_due_at", "sla_clocks", ["outcome", "due_at"])
    op.drop_index("ix_sla_clocks_outcome_due_at_case_id", table_name="sla_clocks")
