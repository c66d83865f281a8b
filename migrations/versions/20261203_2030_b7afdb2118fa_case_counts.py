"""cases opened by month, type and status, kept by triggers (the partnership's figures)

Revision ID: b7afdb2118fa
Revises: 8c4f2b7e1d93
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# A case is counted under the UTC month it was opened in, or under that month's last
# hour on its own (a "stretch"): every month and quarter in Europe/London (starting at
# 00:00 or 23:00 UTC) is made of whole stretches. The same SQL as casework/db.py and
# casework/cases/models.py, copied so that the migration never changes with the app.
SQLITE_STRETCH = (
    "CASE WHEN strftime('%Y-%m', substr({at}, 1, 19), '+1 hour') <> substr({at}, 1, 7)"
    " THEN substr({at}, 1, 13) || ':00:00.000000'"
    " ELSE substr({at}, 1, 7) || '-01 00:00:00.000000' END"
)
POSTGRESQL_STRETCH_FUNCTION = """CREATE FUNCTION month_stretch(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN date_trunc('month', (at AT TIME ZONE 'UTC') + interval '1 hour')
             <> date_trunc('month', at AT TIME ZONE 'UTC')
        THEN date_trunc('hour', at AT TIME ZONE 'UTC')
        ELSE date_trunc('month', at AT TIME ZONE 'UTC')
    END AT TIME ZONE 'UTC'
$$"""
ADD = """INSERT INTO case_counts (opened_from, case_type, status, tally)
    VALUES ({stretch}, NEW.case_type, NEW.status, 1)
    ON CONFLICT (opened_from, case_type, status) DO UPDATE SET tally = tally + 1;""".format(
    stretch=SQLITE_STRETCH.format(at="NEW.opened_at")
)
TAKE = """UPDATE case_counts SET tally = tally - 1
    WHERE opened_from = {stretch} AND case_type = OLD.case_type AND status = OLD.status;""".format(
    stretch=SQLITE_STRETCH.format(at="OLD.opened_at")
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER case_counts_insert AFTER INSERT ON cases BEGIN {ADD} END",
    f"CREATE TRIGGER case_counts_delete AFTER DELETE ON cases BEGIN {TAKE} END",
    f"""CREATE TRIGGER case_counts_update AFTER UPDATE OF opened_at, case_type, status ON cases
BEGIN {TAKE} {ADD} END""",
]
POSTGRESQL_TRIGGERS = [
    POSTGRESQL_STRETCH_FUNCTION,
    """CREATE FUNCTION case_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE case_counts SET tally = tally - 1
        WHERE opened_from = month_stretch(OLD.opened_at) AND case_type = OLD.case_type AND status = OLD.status;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO case_counts (opened_from, case_type, status, tally)
        VALUES (month_stretch(NEW.opened_at), NEW.case_type, NEW.status, 1)
        ON CONFLICT (opened_from, case_type, status) DO UPDATE SET tally = case_counts.tally + 1;
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER case_counts_kept AFTER INSERT OR DELETE OR UPDATE OF opened_at, case_type, status
ON cases FOR EACH ROW EXECUTE FUNCTION case_counts_kept()""",
]

revision: str = "b7afdb2118fa"
down_revision: str | None = "8c4f2b7e1d93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_counts",
        sa.Column("opened_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "case_type",
            sa.Enum(
                "victim",
                "perpetrator",
                "place",
                "family",
                "premises_linked",
                name="casetype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),  # fmt: skip
        sa.Column("status", sa.Enum("open", "closed", name="casestatus", native_enum=False, length=40), nullable=False),
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("opened_from", "case_type", "status", name=op.f("pk_case_counts")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    stretch = "month_stretch(opened_at)" if postgresql else SQLITE_STRETCH.format(at="opened_at")
    op.execute(
        "INSERT INTO case_counts (opened_from, case_type, status, tally)"
        f" SELECT {stretch}, case_type, status, count(*) FROM cases GROUP BY 1, 2, 3"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_counts_kept ON cases")
        op.execute("DROP FUNCTION case_counts_kept()")
        op.execute("DROP FUNCTION month_stretch(timestamptz)")
    else:
        op.execute("DROP TRIGGER case_counts_update")
        op.execute("DROP TRIGGER case_counts_delete")
        op.execute("DROP TRIGGER case_counts_insert")
    op.drop_table("case_counts")
