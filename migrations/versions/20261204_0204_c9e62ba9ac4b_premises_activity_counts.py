"""Moves of colour, visits and hearings by month, kept by triggers (the traffic light report's activity)

Revision ID: c9e62ba9ac4b
Revises: b2d6f0a4c817
Create Date: 2026-12-04 02:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/db.py and casework/premises/models.py, copied so that the
# migration never changes with the app. month_stretch() on PostgreSQL comes from the
# migration case_counts.
SQLITE_STRETCH = (
    "CASE WHEN strftime('%Y-%m', substr({at}, 1, 19), '+1 hour') <> substr({at}, 1, 7)"
    " THEN substr({at}, 1, 13) || ':00:00.000000'"
    " ELSE substr({at}, 1, 7) || '-01 00:00:00.000000' END"
)
# kind -> (table, column, SQLite stretch, PostgreSQL stretch); {row} is NEW or OLD.
SOURCES = {
    "move": ("premises_status_changes", "at", SQLITE_STRETCH.format(at="{row}.at"), "month_stretch({row}.at)"),
    "visit": (
        "premises_visits",
        "visited_at",
        SQLITE_STRETCH.format(at="{row}.visited_at"),
        "month_stretch({row}.visited_at)",
    ),
    "hearing": (
        "licensing_hearings",
        "held_on",
        "substr({row}.held_on, 1, 7) || '-01 00:00:00.000000'",
        "date_trunc('month', {row}.held_on::timestamp) AT TIME ZONE 'UTC'",
    ),
}

revision: str = "c9e62ba9ac4b"
down_revision: str | None = "b2d6f0a4c817"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add(kind: str, stretch: str) -> str:
    return f"""INSERT INTO premises_activity_counts (stretch_from, kind, tally)
    VALUES ({stretch.format(row="NEW")}, '{kind}', 1)
    ON CONFLICT (stretch_from, kind) DO UPDATE SET tally = premises_activity_counts.tally + 1;"""  # nosec B608 - constants


def _take(kind: str, stretch: str) -> str:
    return f"""UPDATE premises_activity_counts SET tally = tally - 1
    WHERE stretch_from = {stretch.format(row="OLD")} AND kind = '{kind}';"""  # nosec B608 - constants


def _triggers(kind: str, postgresql: bool) -> list[str]:
    table, column, sqlite_stretch, postgresql_stretch = SOURCES[kind]
    name = f"premises_activity_counts_{kind}"
    if not postgresql:
        return [
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {_add(kind, sqlite_stretch)} END",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {_take(kind, sqlite_stretch)} END",
            f"""CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON {table}
BEGIN {_take(kind, sqlite_stretch)} {_add(kind, sqlite_stretch)} END""",
        ]
    return [
        f"""CREATE FUNCTION {name}_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {_take(kind, postgresql_stretch)}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_add(kind, postgresql_stretch)}
    END IF;
    RETURN NULL;
END $$""",
        f"""CREATE TRIGGER {name}_kept AFTER INSERT OR DELETE OR UPDATE OF {column}
ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_kept()""",
    ]


def upgrade() -> None:
    op.create_table(
        "premises_activity_counts",
        sa.Column("stretch_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("move", "visit", "hearing", name="activitykind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stretch_from", "kind", name=op.f("pk_premises_activity_counts")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for kind, (table, _column, sqlite_stretch, postgresql_stretch) in SOURCES.items():
        for statement in _triggers(kind, postgresql):
            op.execute(statement)
        stretch = (postgresql_stretch if postgresql else sqlite_stretch).format(row=table)
        op.execute(
            "INSERT INTO premises_activity_counts (stretch_from, kind, tally)"  # nosec B608 - constants
            f" SELECT {stretch}, '{kind}', count(*) FROM {table} GROUP BY 1"
        )


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for kind, (table, *_) in SOURCES.items():
        name = f"premises_activity_counts_{kind}"
        if postgresql:
            op.execute(f"DROP TRIGGER {name}_kept ON {table}")
            op.execute(f"DROP FUNCTION {name}_kept()")
        else:
            for event in ("update", "delete", "insert"):
                op.execute(f"DROP TRIGGER {name}_{event}")
    op.drop_table("premises_activity_counts")
