"""how many victims each quarter has by kind, kept by triggers on sla_clock_victims

Revision ID: b2d6f0a4c817
Revises: 9f3a6c1e5d28
Create Date: 2026-12-04 02:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/victims/models.py, copied so that the migration never changes
# with the app.
COUNT_ADD = """INSERT INTO sla_clock_victim_counts (quarter_from, kind, victims)
    VALUES (NEW.quarter_from, NEW.kind, 1)
    ON CONFLICT (quarter_from, kind) DO UPDATE SET victims = {table}victims + 1;"""
COUNT_TAKE = """UPDATE sla_clock_victim_counts SET victims = victims - 1
    WHERE quarter_from = OLD.quarter_from AND kind = OLD.kind;"""
SQLITE_TRIGGERS = [
    "CREATE TRIGGER sla_clock_victim_counts_insert AFTER INSERT ON sla_clock_victims"
    f" BEGIN {COUNT_ADD.format(table='')} END",
    f"CREATE TRIGGER sla_clock_victim_counts_delete AFTER DELETE ON sla_clock_victims BEGIN {COUNT_TAKE} END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION sla_clock_victim_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF TG_OP = 'DELETE' THEN\n        UPDATE sla_clock_victim_counts SET victims = victims - 1\n    WHERE quarter_from = OLD.quarter_from AND kind = OLD.kind;\n    ELSE\n        INSERT INTO sla_clock_victim_counts (quarter_from, kind, victims)\n    VALUES (NEW.quarter_from, NEW.kind, 1)\n    ON CONFLICT (quarter_from, kind) DO UPDATE SET victims = sla_clock_victim_counts.victims + 1;\n    END IF;\n    RETURN NULL;\nEND $$",
    "CREATE TRIGGER sla_clock_victim_counts_kept AFTER INSERT OR DELETE ON sla_clock_victims\nFOR EACH ROW EXECUTE FUNCTION sla_clock_victim_counts_kept()",
]

revision: str = "b2d6f0a4c817"
down_revision: str | None = "9f3a6c1e5d28"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_clock_victim_counts",
        sa.Column("quarter_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("conference_72h", "reduce_7d", name="clockkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("victims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter_from", "kind", name=op.f("pk_sla_clock_victim_counts")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO sla_clock_victim_counts (quarter_from, kind, victims)"
        " SELECT quarter_from, kind, count(*) FROM sla_clock_victims GROUP BY 1, 2"
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sla_clock_victim_counts_kept ON sla_clock_victims")
        op.execute("DROP FUNCTION sla_clock_victim_counts_kept()")
    else:
        op.execute("DROP TRIGGER sla_clock_victim_counts_delete")
        op.execute("DROP TRIGGER sla_clock_victim_counts_insert")
    op.drop_table("sla_clock_victim_counts")
