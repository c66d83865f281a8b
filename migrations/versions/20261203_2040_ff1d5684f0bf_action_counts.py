"""each agency's live actions by status and due month, and its done actions by when,
kept by triggers (the partnership's figures)

Revision ID: ff1d5684f0bf
Revises: b4c8e2f7a915
Create Date: 2026-12-03 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/actions/models.py, copied so that the migration never changes
# with the app; month_stretch() on PostgreSQL comes from the migration case_counts.
SQLITE_STRETCH = (
    "CASE WHEN strftime('%Y-%m', substr({at}, 1, 19), '+1 hour') <> substr({at}, 1, 7)"
    " THEN substr({at}, 1, 13) || ':00:00.000000'"
    " ELSE substr({at}, 1, 7) || '-01 00:00:00.000000' END"
)
LIVE = "('open', 'in_progress')"
ADD = f"""INSERT INTO live_action_counts (assigned_agency_id, status, due_month, tally)
    SELECT NEW.assigned_agency_id, NEW.status, substr(NEW.due_on, 1, 7) || '-01', 1 WHERE NEW.status IN {LIVE}
    ON CONFLICT (assigned_agency_id, status, due_month) DO UPDATE SET tally = tally + 1;
INSERT INTO done_action_counts (completed_from, assigned_agency_id, tally)
    SELECT {SQLITE_STRETCH.format(at="NEW.completed_at")}, NEW.assigned_agency_id, 1
    WHERE NEW.status = 'done' AND NEW.completed_at IS NOT NULL
    ON CONFLICT (completed_from, assigned_agency_id) DO UPDATE SET tally = tally + 1;"""
TAKE = f"""UPDATE live_action_counts SET tally = tally - 1
    WHERE OLD.status IN {LIVE} AND assigned_agency_id = OLD.assigned_agency_id AND status = OLD.status
      AND due_month = substr(OLD.due_on, 1, 7) || '-01';
UPDATE done_action_counts SET tally = tally - 1
    WHERE OLD.status = 'done' AND OLD.completed_at IS NOT NULL
      AND completed_from = {SQLITE_STRETCH.format(at="OLD.completed_at")}
      AND assigned_agency_id = OLD.assigned_agency_id;"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER action_counts_insert AFTER INSERT ON actions BEGIN {ADD} END",
    f"CREATE TRIGGER action_counts_delete AFTER DELETE ON actions BEGIN {TAKE} END",
    f"""CREATE TRIGGER action_counts_update AFTER UPDATE OF assigned_agency_id, status, due_on, completed_at
ON actions BEGIN {TAKE} {ADD} END""",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION action_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN {LIVE} THEN
        UPDATE live_action_counts SET tally = tally - 1
        WHERE assigned_agency_id = OLD.assigned_agency_id AND status = OLD.status
          AND due_month = date_trunc('month', OLD.due_on)::date;
    ELSIF TG_OP <> 'INSERT' AND OLD.status = 'done' AND OLD.completed_at IS NOT NULL THEN
        UPDATE done_action_counts SET tally = tally - 1
        WHERE completed_from = month_stretch(OLD.completed_at) AND assigned_agency_id = OLD.assigned_agency_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN {LIVE} THEN
        INSERT INTO live_action_counts (assigned_agency_id, status, due_month, tally)
        VALUES (NEW.assigned_agency_id, NEW.status, date_trunc('month', NEW.due_on)::date, 1)
        ON CONFLICT (assigned_agency_id, status, due_month) DO UPDATE SET tally = live_action_counts.tally + 1;
    ELSIF TG_OP <> 'DELETE' AND NEW.status = 'done' AND NEW.completed_at IS NOT NULL THEN
        INSERT INTO done_action_counts (completed_from, assigned_agency_id, tally)
        VALUES (month_stretch(NEW.completed_at), NEW.assigned_agency_id, 1)
        ON CONFLICT (completed_from, assigned_agency_id) DO UPDATE SET tally = done_action_counts.tally + 1;
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER action_counts_kept AFTER INSERT OR DELETE OR UPDATE OF assigned_agency_id, status, due_on,
completed_at ON actions FOR EACH ROW EXECUTE FUNCTION action_counts_kept()""",
]
STATUS = sa.Enum("open", "in_progress", "done", "cancelled", name="actionstatus", native_enum=False, length=40)

revision: str = "ff1d5684f0bf"
down_revision: str | None = "b4c8e2f7a915"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_action_counts",
        sa.Column("assigned_agency_id", sa.Integer(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("due_month", sa.Date(), nullable=False),
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("assigned_agency_id", "status", "due_month", name=op.f("pk_live_action_counts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "done_action_counts",
        sa.Column("completed_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_agency_id", sa.Integer(), nullable=False),
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("completed_from", "assigned_agency_id", name=op.f("pk_done_action_counts")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    month = "date_trunc('month', due_on)::date" if postgresql else "substr(due_on, 1, 7) || '-01'"
    stretch = "month_stretch(completed_at)" if postgresql else SQLITE_STRETCH.format(at="completed_at")
    op.execute(
        "INSERT INTO live_action_counts (assigned_agency_id, status, due_month, tally)"
        f" SELECT assigned_agency_id, status, {month}, count(*) FROM actions WHERE status IN {LIVE}"
        " GROUP BY 1, 2, 3"
    )
    op.execute(
        "INSERT INTO done_action_counts (completed_from, assigned_agency_id, tally)"
        f" SELECT {stretch}, assigned_agency_id, count(*) FROM actions"
        " WHERE status = 'done' AND completed_at IS NOT NULL GROUP BY 1, 2"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER action_counts_kept ON actions")
        op.execute("DROP FUNCTION action_counts_kept()")
    else:
        op.execute("DROP TRIGGER action_counts_update")
        op.execute("DROP TRIGGER action_counts_delete")
        op.execute("DROP TRIGGER action_counts_insert")
    op.drop_table("done_action_counts")
    op.drop_table("live_action_counts")
