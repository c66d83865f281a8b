"""the agenda's high-risk cases without anything overdue are read by reference from an
index

Revision ID: 2f6a8d4c1e57
Revises: 9b5d3f7a2c18
Create Date: 2026-12-04 02:03:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2f6a8d4c1e57"
down_revision: str | None = "9b5d3f7a2c18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_agenda_by_reference",
        "cases",
        ["status", "high_risk_victim", "reference", "first_live_action_due_on", "first_open_clock_due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_agenda_by_reference", table_name="cases")
