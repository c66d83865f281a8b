"""case_agencies: whether the case is open, and an index by agency then case

Revision ID: 3fa1e52e66ea
Revises: 9b27d5e0c4a1
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3fa1e52e66ea"
down_revision: str | None = "9b27d5e0c4a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain statements, not a batch: a column with a constant default is added in place
    # on both backends, without copying the table.
    op.add_column("case_agencies", sa.Column("case_open", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(
        "UPDATE case_agencies SET case_open = "
        "(SELECT cases.status = 'open' FROM cases WHERE cases.id = case_agencies.case_id)"
    )
    op.drop_index("ix_case_agencies_agency_id", table_name="case_agencies")
    op.create_index(
        "ix_case_agencies_agency_id_case_open_case_id",
        "case_agencies",
        ["agency_id", "case_open", "case_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_case_agencies_agency_id_case_open_case_id", table_name="case_agencies")
    op.create_index("ix_case_agencies_agency_id", "case_agencies", ["agency_id"], unique=False)
    with op.batch_alter_table("case_agencies", schema=None) as batch_op:
        batch_op.drop_column("case_open")
