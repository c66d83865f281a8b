"""Notifications: the digest a gathered notification was listed in

Revision ID: 9b2d4e6f1a37
Revises: d017f01a381c
Create Date: 2026-12-03 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b2d4e6f1a37"
down_revision: str | None = "d017f01a381c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notifications_digest_id"), ["digest_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_digest_id_notifications"), "notifications", ["digest_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notifications_digest_id_notifications"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notifications_digest_id"))
        batch_op.drop_column("digest_id")
