"""the case's lead agency kept on each request for access, by triggers, and
indexes for the queue's two ranges

Revision ID: a7c3e1d5b926
Revises: 5c1e9a7d3b20
Create Date: 2026-12-04 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/cases/models.py, copied so that the migration never changes
# with the app.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER cases_access_request_lead AFTER UPDATE OF lead_agency_id ON cases
WHEN NEW.lead_agency_id IS NOT OLD.lead_agency_id
BEGIN UPDATE access_requests SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id; END""",
    """CREATE TRIGGER access_requests_lead_agency AFTER INSERT ON access_requests WHEN NEW.lead_agency_id IS NULL
BEGIN UPDATE access_requests SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases
    WHERE cases.id = NEW.case_id) WHERE id = NEW.id; END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION cases_access_request_lead() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_requests SET lead_agency_id = NEW.lead_agency_id WHERE case_id = NEW.id;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER cases_access_request_lead AFTER UPDATE OF lead_agency_id ON cases FOR EACH ROW
WHEN (NEW.lead_agency_id IS DISTINCT FROM OLD.lead_agency_id) EXECUTE FUNCTION cases_access_request_lead()""",
    """CREATE FUNCTION access_requests_lead_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.lead_agency_id := (SELECT cases.lead_agency_id FROM cases WHERE cases.id = NEW.case_id);
    RETURN NEW;
END $$""",
    """CREATE TRIGGER access_requests_lead_agency BEFORE INSERT ON access_requests FOR EACH ROW
WHEN (NEW.lead_agency_id IS NULL) EXECUTE FUNCTION access_requests_lead_agency()""",
]

revision: str = "a7c3e1d5b926"
down_revision: str | None = "5c1e9a7d3b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_agency_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_access_requests_lead_agency_id_agencies"), "agencies", ["lead_agency_id"], ["id"]
        )
    op.execute(
        "UPDATE access_requests SET lead_agency_id = (SELECT cases.lead_agency_id FROM cases"
        " WHERE cases.id = access_requests.case_id)"
    )
    op.create_index(
        "ix_access_requests_lead_status_requested",
        "access_requests",
        ["lead_agency_id", "status", "requested_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_access_requests_lead_decided", "access_requests", ["lead_agency_id", "decided_at", "id"], unique=False
    )
    op.create_index("ix_access_requests_decided_at_id", "access_requests", ["decided_at", "id"], unique=False)
    postgresql = op.get_context().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER access_requests_lead_agency ON access_requests")
        op.execute("DROP FUNCTION access_requests_lead_agency()")
        op.execute("DROP TRIGGER cases_access_request_lead ON cases")
        op.execute("DROP FUNCTION cases_access_request_lead()")
    else:
        op.execute("DROP TRIGGER access_requests_lead_agency")
        op.execute("DROP TRIGGER cases_access_request_lead")
    op.drop_index("ix_access_requests_decided_at_id", table_name="access_requests")
    op.drop_index("ix_access_requests_lead_decided", table_name="access_requests")
    op.drop_index("ix_access_requests_lead_status_requested", table_name="access_requests")
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_access_requests_lead_agency_id_agencies"), type_="foreignkey")
        batch_op.drop_column("lead_agency_id")
