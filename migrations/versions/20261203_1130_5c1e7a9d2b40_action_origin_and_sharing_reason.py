"""the referral an action from a PSG decision came from, and why a case was shared with an agency

Revision ID: 5c1e7a9d2b40
Revises: a70e68956494
Create Date: 2026-12-03 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e7a9d2b40"
down_revision: str | None = "a70e68956494"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_actions_referral_id_referrals"), "referrals", ["referral_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_actions_referral_id"), ["referral_id"], unique=False)

    # Actions already created from decisions on referral items: the referral of the item.
    op.execute(
        """UPDATE actions SET referral_id = (
            SELECT agenda_items.referral_id FROM meeting_decisions
            JOIN agenda_items ON agenda_items.id = meeting_decisions.item_id
            WHERE meeting_decisions.id = actions.decision_id)
        WHERE decision_id IS NOT NULL"""
    )

    with op.batch_alter_table("case_agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("case_agencies", schema=None) as batch_op:
        batch_op.drop_column("reason")

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actions_referral_id"))
        batch_op.drop_constraint(batch_op.f("fk_actions_referral_id_referrals"), type_="foreignkey")
        batch_op.drop_column("referral_id")
