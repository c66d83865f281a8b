"""each victim with a clock started in a quarter, by kind, kept by triggers (the dashboard's victims)

Revision ID: 9f3a6c1e5d28
Revises: e4b8c2d6a915
Create Date: 2026-12-04 02:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/victims/models.py, copied so that the migration never changes
# with the app: the UTC start of the UK quarter of a time (summer time runs from the last
# Sunday of March to the last Sunday of October, so 1 April, July and October start at
# 23:00 UTC the day before, 1 January at 00:00 UTC).
SQLITE_QUARTER = "(CASE WHEN ((CAST(substr((CASE WHEN substr({at}, 6, 2) = '12' THEN substr({at}, 1, 19) ELSE datetime(substr({at}, 1, 19), '+1 hour') END), 6, 2) AS INTEGER) - 1) / 3 * 3 + 1) = 1 THEN substr((CASE WHEN substr({at}, 6, 2) = '12' THEN substr({at}, 1, 19) ELSE datetime(substr({at}, 1, 19), '+1 hour') END), 1, 4) || '-01-01 00:00:00.000000' ELSE strftime('%Y-%m-%d %H:00:00.000000', substr((CASE WHEN substr({at}, 6, 2) = '12' THEN substr({at}, 1, 19) ELSE datetime(substr({at}, 1, 19), '+1 hour') END), 1, 4) || printf('-%02d-01', ((CAST(substr((CASE WHEN substr({at}, 6, 2) = '12' THEN substr({at}, 1, 19) ELSE datetime(substr({at}, 1, 19), '+1 hour') END), 6, 2) AS INTEGER) - 1) / 3 * 3 + 1)), '-1 hour') END)"
KEY = "quarter_from = {quarter} AND kind = OLD.kind AND person_id = OLD.person_id"
ADD = """INSERT INTO sla_clock_victims (quarter_from, kind, person_id, tally)
    VALUES ({quarter}, NEW.kind, NEW.person_id, 1)
    ON CONFLICT (quarter_from, kind, person_id) DO UPDATE SET tally = tally + 1;""".format(
    quarter=SQLITE_QUARTER.format(at="NEW.started_at")
)
TAKE = """UPDATE sla_clock_victims SET tally = tally - 1 WHERE {key};
    DELETE FROM sla_clock_victims WHERE {key} AND tally = 0;""".format(
    key=KEY.format(quarter=SQLITE_QUARTER.format(at="OLD.started_at"))
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER sla_clock_victims_insert AFTER INSERT ON sla_clocks BEGIN {ADD} END",
    f"CREATE TRIGGER sla_clock_victims_delete AFTER DELETE ON sla_clocks BEGIN {TAKE} END",
    f"""CREATE TRIGGER sla_clock_victims_update AFTER UPDATE OF started_at, kind, person_id ON sla_clocks
BEGIN {TAKE} {ADD} END""",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION sla_quarter_from(at timestamptz) RETURNS timestamptz\nLANGUAGE sql STABLE AS $$\n    SELECT date_trunc('quarter', at AT TIME ZONE 'Europe/London') AT TIME ZONE 'Europe/London'\n$$",
    "CREATE FUNCTION sla_clock_victims_kept() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF TG_OP <> 'INSERT' THEN\n        UPDATE sla_clock_victims SET tally = tally - 1\n        WHERE quarter_from = sla_quarter_from(OLD.started_at) AND kind = OLD.kind AND person_id = OLD.person_id;\n        DELETE FROM sla_clock_victims\n        WHERE quarter_from = sla_quarter_from(OLD.started_at) AND kind = OLD.kind AND person_id = OLD.person_id\n          AND tally = 0;\n    END IF;\n    IF TG_OP <> 'DELETE' THEN\n        INSERT INTO sla_clock_victims (quarter_from, kind, person_id, tally)\n        VALUES (sla_quarter_from(NEW.started_at), NEW.kind, NEW.person_id, 1)\n        ON CONFLICT (quarter_from, kind, person_id) DO UPDATE SET tally = sla_clock_victims.tally + 1;\n    END IF;\n    RETURN NULL;\nEND $$",
    "CREATE TRIGGER sla_clock_victims_kept AFTER INSERT OR DELETE OR UPDATE OF started_at, kind, person_id\nON sla_clocks FOR EACH ROW EXECUTE FUNCTION sla_clock_victims_kept()",
]

revision: str = "9f3a6c1e5d28"
down_revision: str | None = "e4b8c2d6a915"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_clock_victims",
        sa.Column("quarter_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("conference_72h", "reduce_7d", name="clockkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("quarter_from", "kind", "person_id", name=op.f("pk_sla_clock_victims")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    quarter = "sla_quarter_from(started_at)" if postgresql else SQLITE_QUARTER.format(at="started_at")
    op.execute(
        "INSERT INTO sla_clock_victims (quarter_from, kind, person_id, tally)"
        f" SELECT {quarter}, kind, person_id, count(*) FROM sla_clocks GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sla_clock_victims_kept ON sla_clocks")
        op.execute("DROP FUNCTION sla_clock_victims_kept()")
        op.execute("DROP FUNCTION sla_quarter_from(timestamptz)")
    else:
        op.execute("DROP TRIGGER sla_clock_victims_update")
        op.execute("DROP TRIGGER sla_clock_victims_delete")
        op.execute("DROP TRIGGER sla_clock_victims_insert")
    op.drop_table("sla_clock_victims")
