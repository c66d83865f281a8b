"""the agenda's signals kept on each case by triggers: whether a victim still on it was
last assessed as high risk, and the day its first live action falls due

Revision ID: 5c1e9a7d3b20
Revises: c3e5a8d1f702
Create Date: 2026-12-04 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/cases/models.py, copied so that the migration never changes
# with the app.
FIRST_DUE_OF = """(SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress'))"""  # nosec B608 - constants
SQLITE_TRIGGERS = {
    "actions": [
        """CREATE TRIGGER actions_case_signals_insert AFTER INSERT ON actions WHEN NEW.status IN ('open', 'in_progress')
BEGIN UPDATE cases SET first_live_action_due_on = (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')) WHERE id = NEW.case_id AND first_live_action_due_on IS NOT (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')); END""",
        """CREATE TRIGGER actions_case_signals_delete AFTER DELETE ON actions WHEN OLD.status IN ('open', 'in_progress')
BEGIN UPDATE cases SET first_live_action_due_on = (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')) WHERE id = OLD.case_id AND first_live_action_due_on IS NOT (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')); END""",
        """CREATE TRIGGER actions_case_signals_update AFTER UPDATE OF case_id, status, due_on ON actions WHEN NEW.status IN ('open', 'in_progress') OR OLD.status IN ('open', 'in_progress')
BEGIN UPDATE cases SET first_live_action_due_on = (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')) WHERE id = OLD.case_id AND first_live_action_due_on IS NOT (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')); UPDATE cases SET first_live_action_due_on = (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')) WHERE id = NEW.case_id AND first_live_action_due_on IS NOT (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')); END""",
    ],
    "case_parties": [
        """CREATE TRIGGER case_parties_case_signals_insert AFTER INSERT ON case_parties WHEN NEW.role = 'victim'
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = NEW.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
        """CREATE TRIGGER case_parties_case_signals_delete AFTER DELETE ON case_parties WHEN OLD.role = 'victim'
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = OLD.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
        """CREATE TRIGGER case_parties_case_signals_update AFTER UPDATE OF case_id, person_id, role, removed_at ON case_parties WHEN NEW.role = 'victim' OR OLD.role = 'victim'
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = OLD.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = NEW.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
    ],
    "risk_assessments": [
        """CREATE TRIGGER risk_assessments_case_signals_insert AFTER INSERT ON risk_assessments WHEN TRUE
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = NEW.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
        """CREATE TRIGGER risk_assessments_case_signals_delete AFTER DELETE ON risk_assessments WHEN TRUE
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = OLD.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
        """CREATE TRIGGER risk_assessments_case_signals_update AFTER UPDATE OF case_id, person_id, level, assessed_at ON risk_assessments WHEN TRUE OR TRUE
BEGIN UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = OLD.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); UPDATE cases SET high_risk_victim = EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) WHERE id = NEW.case_id AND high_risk_victim IS NOT EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))); END""",
    ],
}
POSTGRESQL_TRIGGERS = {
    "actions": [
        """CREATE FUNCTION actions_case_signals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[] := ARRAY[]::integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status IN ('open', 'in_progress') THEN
            touched := touched || OLD.case_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status IN ('open', 'in_progress') THEN
            touched := touched || NEW.case_id;
        END IF;
    END IF;
    IF cardinality(touched) > 0 THEN
        UPDATE cases SET first_live_action_due_on = kept.value
            FROM (SELECT cases.id, (SELECT min(actions.due_on) FROM actions
    WHERE actions.case_id = cases.id AND actions.status IN ('open', 'in_progress')) AS value FROM cases WHERE cases.id = ANY (touched)) AS kept
            WHERE cases.id = kept.id AND cases.first_live_action_due_on IS DISTINCT FROM kept.value;
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER actions_case_signals AFTER INSERT OR DELETE OR UPDATE OF case_id, status, due_on ON actions
FOR EACH ROW EXECUTE FUNCTION actions_case_signals()""",
    ],
    "case_parties": [
        """CREATE FUNCTION case_parties_case_signals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[] := ARRAY[]::integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.role = 'victim' THEN
            touched := touched || OLD.case_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.role = 'victim' THEN
            touched := touched || NEW.case_id;
        END IF;
    END IF;
    IF cardinality(touched) > 0 THEN
        UPDATE cases SET high_risk_victim = kept.value
            FROM (SELECT cases.id, EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) AS value FROM cases WHERE cases.id = ANY (touched)) AS kept
            WHERE cases.id = kept.id AND cases.high_risk_victim IS DISTINCT FROM kept.value;
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER case_parties_case_signals AFTER INSERT OR DELETE OR UPDATE OF case_id, person_id, role, removed_at ON case_parties
FOR EACH ROW EXECUTE FUNCTION case_parties_case_signals()""",
    ],
    "risk_assessments": [
        """CREATE FUNCTION risk_assessments_case_signals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    touched integer[] := ARRAY[]::integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF TRUE THEN
            touched := touched || OLD.case_id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF TRUE THEN
            touched := touched || NEW.case_id;
        END IF;
    END IF;
    IF cardinality(touched) > 0 THEN
        UPDATE cases SET high_risk_victim = kept.value
            FROM (SELECT cases.id, EXISTS (SELECT 1 FROM case_parties AS party
    WHERE party.case_id = cases.id AND party.role = 'victim' AND party.removed_at IS NULL
      AND EXISTS (SELECT 1 FROM risk_assessments AS assessment
          WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id
            AND assessment.level = 'high'
            AND assessment.assessed_at = (SELECT max(latest.assessed_at) FROM risk_assessments AS latest
                WHERE latest.case_id = party.case_id AND latest.person_id = party.person_id))) AS value FROM cases WHERE cases.id = ANY (touched)) AS kept
            WHERE cases.id = kept.id AND cases.high_risk_victim IS DISTINCT FROM kept.value;
    END IF;
    RETURN NULL;
END $$""",
        """CREATE TRIGGER risk_assessments_case_signals AFTER INSERT OR DELETE OR UPDATE OF case_id, person_id, level, assessed_at ON risk_assessments
FOR EACH ROW EXECUTE FUNCTION risk_assessments_case_signals()""",
    ],
}

revision: str = "5c1e9a7d3b20"
down_revision: str | None = "c3e5a8d1f702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("high_risk_victim", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("cases", sa.Column("first_live_action_due_on", sa.Date(), nullable=True))
    # Filled set-based, before the triggers exist, from the rows already there.
    op.execute(
        "UPDATE cases SET high_risk_victim = true WHERE id IN (SELECT party.case_id FROM case_parties AS party"
        " WHERE party.role = 'victim' AND party.removed_at IS NULL AND EXISTS (SELECT 1 FROM risk_assessments"
        " AS assessment WHERE assessment.case_id = party.case_id AND assessment.person_id = party.person_id"
        " AND assessment.level = 'high' AND assessment.assessed_at = (SELECT max(latest.assessed_at)"
        " FROM risk_assessments AS latest WHERE latest.case_id = party.case_id"
        " AND latest.person_id = party.person_id)))"
    )
    op.execute(
        f"UPDATE cases SET first_live_action_due_on = {FIRST_DUE_OF}"
        " WHERE id IN (SELECT case_id FROM actions WHERE status IN ('open', 'in_progress'))"  # nosec B608 - constants
    )
    op.create_index(
        "ix_cases_status_high_risk_victim_first_live_action_due_on",
        "cases",
        ["status", "high_risk_victim", "first_live_action_due_on", "reference"],
        unique=False,
    )
    triggers = POSTGRESQL_TRIGGERS if op.get_context().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statements in triggers.values():
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    for table in SQLITE_TRIGGERS:
        if op.get_context().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_case_signals ON {table}")
            op.execute(f"DROP FUNCTION {table}_case_signals()")
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_case_signals_{event}")
    op.drop_index("ix_cases_status_high_risk_victim_first_live_action_due_on", table_name="cases")
    # Not in batch mode: copying cases on SQLite would drop the triggers of case_counts.
    op.drop_column("cases", "first_live_action_due_on")
    op.drop_column("cases", "high_risk_victim")
