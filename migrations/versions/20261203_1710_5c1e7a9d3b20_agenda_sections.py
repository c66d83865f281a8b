"""the agenda's overflow per section, and the overdue actions of cases by due date

Revision ID: 5c1e7a9d3b20
Revises: 41bf5a25f821
Create Date: 2026-12-03 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e7a9d3b20"
down_revision: str | None = "41bf5a25f821"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


STATUS_DUE = "ix_actions_status_due_on_assigned_agency_id"


def upgrade() -> None:
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("agenda_more", sa.JSON(), nullable=True))
    op.drop_index(STATUS_DUE, table_name="actions")
    op.create_index(STATUS_DUE, "actions", ["status", "due_on", "id", "assigned_agency_id", "case_id"])
    op.create_index("ix_referrals_status_decided_at", "referrals", ["status", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_referrals_status_decided_at", table_name="referrals")
    op.drop_index(STATUS_DUE, table_name="actions")
    op.create_index(STATUS_DUE, "actions", ["status", "due_on", "id", "assigned_agency_id"])
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("agenda_more")
