"""a premises' cases from a partial index; the TLS report's quarters from time indexes

Revision ID: 8c4f2b7e1d93
Revises: 7d3e9a1c4b58
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4f2b7e1d93"
down_revision: str | None = "7d3e9a1c4b58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES_A_PREMISES = sa.text("premises_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_premises_id")
        batch_op.create_index(
            "ix_cases_premises_id_opened_at",
            ["premises_id", "opened_at"],
            unique=False,
            sqlite_where=NAMES_A_PREMISES,
            postgresql_where=NAMES_A_PREMISES,
        )
    with op.batch_alter_table("premises_status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_premises_status_changes_at", ["at"], unique=False)
    with op.batch_alter_table("premises_visits", schema=None) as batch_op:
        batch_op.create_index("ix_premises_visits_visited_at", ["visited_at"], unique=False)
    with op.batch_alter_table("licensing_hearings", schema=None) as batch_op:
        batch_op.create_index("ix_licensing_hearings_held_on", ["held_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("licensing_hearings", schema=None) as batch_op:
        batch_op.drop_index("ix_licensing_hearings_held_on")
    with op.batch_alter_table("premises_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_visits_visited_at")
    with op.batch_alter_table("premises_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_status_changes_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_premises_id_opened_at")
        batch_op.create_index("ix_cases_premises_id", ["premises_id"], unique=False)
