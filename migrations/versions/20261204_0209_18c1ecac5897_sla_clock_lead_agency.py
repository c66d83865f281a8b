"""each SLA clock keeps its case's lead agency, by triggers, so the dashboard counts
the clocks due now by agency from an index alone

Revision ID: 18c1ecac5897
Revises: 8e2c6a0f4b71
Create Date: 2026-12-04 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/victims/models.py, copied so that the migration never changes
# with the app.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER sla_clocks_lead_agency AFTER INSERT ON sla_clocks
BEGIN UPDATE sla_clocks SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
    """CREATE TRIGGER sla_clocks_lead_agency_moved AFTER UPDATE OF case_id ON sla_clocks
BEGIN UPDATE sla_clocks SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
    """CREATE TRIGGER cases_sla_clock_lead AFTER UPDATE OF lead_agency_id ON cases
WHEN NEW.lead_agency_id IS NOT OLD.lead_agency_id
BEGIN UPDATE sla_clocks SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id; END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION sla_clocks_lead_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lead_agency_id := (SELECT cases.lead_agency_id FROM cases WHERE cases.id = NEW.case_id);
    RETURN NEW;
END $$""",
    """CREATE TRIGGER sla_clocks_lead_agency BEFORE INSERT OR UPDATE OF case_id, lead_agency_id ON sla_clocks
FOR EACH ROW EXECUTE FUNCTION sla_clocks_lead_agency()""",
    """CREATE FUNCTION cases_sla_clock_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sla_clocks SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER cases_sla_clock_lead AFTER UPDATE OF lead_agency_id ON cases FOR EACH ROW
WHEN (NEW.lead_agency_id IS DISTINCT FROM OLD.lead_agency_id) EXECUTE FUNCTION cases_sla_clock_lead()""",
]

revision: str = "18c1ecac5897"
down_revision: str | None = "8e2c6a0f4b71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in batch mode: copying sla_clocks on SQLite would drop the triggers of its
    # kept counts. No foreign key: the case's holds the agency.
    op.add_column("sla_clocks", sa.Column("lead_agency_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE sla_clocks SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases"
        " WHERE cases.id = sla_clocks.case_id)"
    )
    op.create_index("ix_sla_clocks_due_now", "sla_clocks", ["outcome", "due_at", "case_id", "lead_agency_id"])
    op.drop_index("ix_sla_clocks_outcome_due_at_case_id", table_name="sla_clocks")
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER cases_sla_clock_lead ON cases")
        op.execute("DROP FUNCTION cases_sla_clock_lead()")
        op.execute("DROP TRIGGER sla_clocks_lead_agency ON sla_clocks")
        op.execute("DROP FUNCTION sla_clocks_lead_agency()")
    else:
        for trigger in ("cases_sla_clock_lead", "sla_clocks_lead_agency_moved", "sla_clocks_lead_agency"):
            op.execute(f"DROP TRIGGER {trigger}")
    op.create_index("ix_sla_clocks_outcome_due_at_case_id", "sla_clocks", ["outcome", "due_at", "case_id"])
    op.drop_index("ix_sla_clocks_due_now", table_name="sla_clocks")
    op.drop_column("sla_clocks", "lead_agency_id")
