"""SLA clocks already past due when their case closed or their victim left: overdue at closing

Clocks are stored as VARCHAR enums, so the new outcome needs no change of schema; the
clocks stopped after their due time are rewritten to it, as the rules now derive them.
Downgrading turns them back into plain stopped clocks.

Revision ID: a70e68956494
Revises: 5c1e7a9d3b42
Create Date: 2026-12-03 11:06:33.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a70e68956494"
down_revision: str | None = "5c1e7a9d3b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

clocks = sa.table(
    "sla_clocks",
    sa.column("outcome", sa.String(40)),
    sa.column("due_at", sa.DateTime(timezone=True)),
    sa.column("stopped_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.execute(
        clocks.update()
        .where(clocks.c.outcome == "stopped", clocks.c.stopped_at > clocks.c.due_at)
        .values(outcome="overdue_at_closing")
    )


def downgrade() -> None:
    op.execute(clocks.update().where(clocks.c.outcome == "overdue_at_closing").values(outcome="stopped"))
