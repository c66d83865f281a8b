"""SLA clocks started by month, kind and outcome, kept by triggers (the dashboard's figures)

Revision ID: c3e5a8d1f702
Revises: 5a7c1e9d3b24
Create Date: 2026-12-04 00:04:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/db.py and casework/victims/models.py, copied so that the
# migration never changes with the app. month_stretch() on PostgreSQL comes from the
# migration case_counts.
SQLITE_STRETCH = (
    "CASE WHEN strftime('%Y-%m', substr({at}, 1, 19), '+1 hour') <> substr({at}, 1, 7)"
    " THEN substr({at}, 1, 13) || ':00:00.000000'"
    " ELSE substr({at}, 1, 7) || '-01 00:00:00.000000' END"
)
ADD = """INSERT INTO sla_clock_counts (started_from, kind, outcome, tally)
    VALUES ({stretch}, NEW.kind, NEW.outcome, 1)
    ON CONFLICT (started_from, kind, outcome) DO UPDATE SET tally = tally + 1;""".format(
    stretch=SQLITE_STRETCH.format(at="NEW.started_at")
)
TAKE = """UPDATE sla_clock_counts SET tally = tally - 1
    WHERE started_from = {stretch} AND kind = OLD.kind AND outcome = OLD.outcome;""".format(
    stretch=SQLITE_STRETCH.format(at="OLD.started_at")
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER sla_clock_counts_insert AFTER INSERT ON sla_clocks BEGIN {ADD} END",
    f"CREATE TRIGGER sla_clock_counts_delete AFTER DELETE ON sla_clocks BEGIN {TAKE} END",
    f"""CREATE TRIGGER sla_clock_counts_update AFTER UPDATE OF started_at, kind, outcome ON sla_clocks
BEGIN {TAKE} {ADD} END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION sla_clock_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE sla_clock_counts SET tally = tally - 1
        WHERE started_from = month_stretch(OLD.started_at) AND kind = OLD.kind AND outcome = OLD.outcome;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO sla_clock_counts (started_from, kind, outcome, tally)
        VALUES (month_stretch(NEW.started_at), NEW.kind, NEW.outcome, 1)
        ON CONFLICT (started_from, kind, outcome) DO UPDATE SET tally = sla_clock_counts.tally + 1;
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER sla_clock_counts_kept AFTER INSERT OR DELETE OR UPDATE OF started_at, kind, outcome
ON sla_clocks FOR EACH ROW EXECUTE FUNCTION sla_clock_counts_kept()""",
]

revision: str = "c3e5a8d1f702"
down_revision: str | None = "5a7c1e9d3b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_clock_counts",
        sa.Column("started_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("conference_72h", "reduce_7d", name="clockkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "open",
                "met",
                "met_late",
                "stopped",
                "overdue_at_closing",
                name="clockoutcome",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("started_from", "kind", "outcome", name=op.f("pk_sla_clock_counts")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    stretch = "month_stretch(started_at)" if postgresql else SQLITE_STRETCH.format(at="started_at")
    op.execute(
        "INSERT INTO sla_clock_counts (started_from, kind, outcome, tally)"
        f" SELECT {stretch}, kind, outcome, count(*) FROM sla_clocks GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sla_clock_counts_kept ON sla_clocks")
        op.execute("DROP FUNCTION sla_clock_counts_kept()")
    else:
        op.execute("DROP TRIGGER sla_clock_counts_update")
        op.execute("DROP TRIGGER sla_clock_counts_delete")
        op.execute("DROP TRIGGER sla_clock_counts_insert")
    op.drop_table("sla_clock_counts")
