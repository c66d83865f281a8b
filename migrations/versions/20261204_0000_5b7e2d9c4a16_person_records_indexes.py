"""index a person's risk assessments, clocks and referrals, as the subject access export reads them

Revision ID: 5b7e2d9c4a16
Revises: 3d9f6a2c8e41
Create Date: 2026-12-04 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b7e2d9c4a16"
down_revision: str | None = "3d9f6a2c8e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_risk_assessments_person_id_assessed_at_id", "risk_assessments", ["person_id", "assessed_at", "id"]),
    ("ix_sla_clocks_person_id_started_at_id", "sla_clocks", ["person_id", "started_at", "id"]),
    ("ix_referrals_person_id_received_at_id", "referrals", ["person_id", "received_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
