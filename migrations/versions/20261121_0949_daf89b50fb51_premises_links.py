"""cases linked to a licensed premises; each premises' incident summary for the register

Revision ID: daf89b50fb51
Revises: b2b6cfc57b8c
Create Date: 2026-11-21 09:49:07.100258
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "daf89b50fb51"
down_revision: str | None = "b2b6cfc57b8c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The latest incident at each premises, and the latest incident of any other agency than
# the one that reported it (the second agency's latest), from the incidents already held.
BACKFILL = """
UPDATE premises SET
  last_incident_at = (
    SELECT max(i.occurred_at) FROM premises_incidents i WHERE i.premises_id = premises.id
  ),
  second_agency_incident_at = (
    SELECT max(i.occurred_at) FROM premises_incidents i
    WHERE i.premises_id = premises.id AND i.reporting_agency_id <> (
      SELECT latest.reporting_agency_id FROM premises_incidents latest
      WHERE latest.premises_id = premises.id
      ORDER BY latest.occurred_at DESC, latest.id DESC LIMIT 1
    )
  )
"""


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("premises_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_premises_id"), ["premises_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_cases_premises_id_premises"), "premises", ["premises_id"], ["id"])

    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_incident_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("second_agency_incident_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_premises_cluster"), ["cluster"], unique=False)

    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_premises_cluster"))
        batch_op.drop_column("second_agency_incident_at")
        batch_op.drop_column("last_incident_at")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_premises_id_premises"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_premises_id"))
        batch_op.drop_column("premises_id")
