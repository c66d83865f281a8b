"""indexes for the referrals list, new ones first and then the decided ones, newest first

Revision ID: 41bf5a25f821
Revises: 3fa1e52e66ea
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "41bf5a25f821"
down_revision: str | None = "3fa1e52e66ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_received_at")
        batch_op.create_index("ix_referrals_status_received_at", ["status", "received_at", "id"], unique=False)
        batch_op.create_index("ix_referrals_received_at_id", ["received_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_received_at_id")
        batch_op.drop_index("ix_referrals_status_received_at")
        batch_op.create_index("ix_referrals_status_received_at", ["status", "received_at"], unique=False)
