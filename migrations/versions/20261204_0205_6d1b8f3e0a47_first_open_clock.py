"""when each case's first open SLA clock falls due, kept on the case by triggers for the
PSG agenda, and the agenda's indexes carry it

Revision ID: 6d1b8f3e0a47
Revises: c9e62ba9ac4b
Create Date: 2026-12-04 02:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/cases/models.py, copied so that the migration never changes
# with the app.
FIRST_CLOCK_OF = """(SELECT min(sla_clocks.due_at) FROM sla_clocks
    WHERE sla_clocks.case_id = cases.id AND sla_clocks.outcome = 'open')"""
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER sla_clocks_case_signals_insert AFTER INSERT ON sla_clocks WHEN NEW.outcome = 'open'
BEGIN UPDATE cases SET first_open_clock_due_at = {FIRST_CLOCK_OF} WHERE id = NEW.case_id AND first_open_clock_due_at IS NOT {FIRST_CLOCK_OF}; END""",  # nosec B608 - constants
    f"""CREATE TRIGGER sla_clocks_case_signals_delete AFTER DELETE ON sla_clocks WHEN OLD.outcome = 'open'
BEGIN UPDATE cases SET first_open_clock_due_at = {FIRST_CLOCK_OF} WHERE id = OLD.case_id AND first_open_clock_due_at IS NOT {FIRST_CLOCK_OF}; END""",  # nosec B608 - constants
    f"""CREATE TRIGGER sla_clocks_case_signals_update AFTER UPDATE OF case_id, outcome, due_at ON sla_clocks WHEN NEW.outcome = 'open' OR OLD.outcome = 'open'
BEGIN UPDATE cases SET first_open_clock_due_at = {FIRST_CLOCK_OF} WHERE id = OLD.case_id AND first_open_clock_due_at IS NOT {FIRST_CLOCK_OF}; UPDATE cases SET first_open_clock_due_at = {FIRST_CLOCK_OF} WHERE id = NEW.case_id AND first_open_clock_due_at IS NOT {FIRST_CLOCK_OF}; END""",  # nosec B608 - constants
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION sla_clocks_case_signals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[] := ARRAY[]::integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.outcome = 'open' THEN
            touched := touched || OLD.case_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.outcome = 'open' THEN
            touched := touched || NEW.case_id;
        END IF;
    END IF;
    IF cardinality(touched) > 0 THEN
        UPDATE cases SET first_open_clock_due_at = kept.value
            FROM (SELECT cases.id, {FIRST_CLOCK_OF} AS value FROM cases WHERE cases.id = ANY (touched)) AS kept
            WHERE cases.id = kept.id AND cases.first_open_clock_due_at IS DISTINCT FROM kept.value;
    END IF;
    RETURN NULL;
END $$""",  # nosec B608 - constants
    """CREATE TRIGGER sla_clocks_case_signals AFTER INSERT OR DELETE OR UPDATE OF case_id, outcome, due_at ON sla_clocks
FOR EACH ROW EXECUTE FUNCTION sla_clocks_case_signals()""",
]
BY_ACTION_DAY = ["status", "high_risk_victim", "first_live_action_due_on", "reference"]

revision: str = "6d1b8f3e0a47"
down_revision: str | None = "c9e62ba9ac4b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("first_open_clock_due_at", sa.DateTime(timezone=True), nullable=True))
    # Filled set-based, before the triggers exist, from the clocks already there.
    op.execute(
        f"UPDATE cases SET first_open_clock_due_at = {FIRST_CLOCK_OF}"  # nosec B608 - constants
        " WHERE id IN (SELECT case_id FROM sla_clocks WHERE outcome = 'open')"
    )
    # The new index starts with the old one's columns, so it serves every query the old
    # one did.
    op.create_index("ix_cases_agenda_by_action_day", "cases", [*BY_ACTION_DAY, "first_open_clock_due_at"])
    op.drop_index("ix_cases_status_high_risk_victim_first_live_action_due_on", table_name="cases")
    op.create_index(
        "ix_cases_agenda_by_clock_due_at",
        "cases",
        ["status", "high_risk_victim", "first_open_clock_due_at", "first_live_action_due_on", "reference"],
    )
    triggers = POSTGRESQL_TRIGGERS if op.get_context().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER sla_clocks_case_signals ON sla_clocks")
        op.execute("DROP FUNCTION sla_clocks_case_signals()")
    else:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER sla_clocks_case_signals_{event}")
    op.create_index("ix_cases_status_high_risk_victim_first_live_action_due_on", "cases", BY_ACTION_DAY)
    op.drop_index("ix_cases_agenda_by_clock_due_at", table_name="cases")
    op.drop_index("ix_cases_agenda_by_action_day", table_name="cases")
    # Not in batch mode: copying cases on SQLite would drop the triggers of case_counts.
    op.drop_column("cases", "first_open_clock_due_at")
