"""the agenda's flagged cases are read with what decides their section from one index

Revision ID: 9b5d3f7a2c18
Revises: 6d1b8f3e0a47
Create Date: 2026-12-04 02:02:00
"""

from collections.abc import Sequence

from alembic import op

KEPT = ["high_risk_victim", "first_live_action_due_on", "first_open_clock_due_at", "reference"]

revision: str = "9b5d3f7a2c18"
down_revision: str | None = "6d1b8f3e0a47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Starts with the old index's columns, so it serves every query the old one did.
    op.create_index("ix_cases_agenda_flagged", "cases", ["psg_review", "status", *KEPT])
    op.drop_index("ix_cases_psg_review_status", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_psg_review_status", "cases", ["psg_review", "status"])
    op.drop_index("ix_cases_agenda_flagged", table_name="cases")
