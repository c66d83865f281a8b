"""indexes for the agenda ranked in SQL: flagged open cases, and a case's current victims

Revision ID: 8e4b2c6d1f37
Revises: ff1d5684f0bf
Create Date: 2026-12-03 20:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8e4b2c6d1f37"
down_revision: str | None = "ff1d5684f0bf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_psg_review_status", ["psg_review", "status"], unique=False)
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_parties_case_id_role_removed_at", ["case_id", "role", "removed_at", "person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_case_parties_case_id_role_removed_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_psg_review_status")
