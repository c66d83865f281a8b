"""cases each agency is involved in, by town, status and type, kept by triggers (the case list's count)

Revision ID: e4b8c2d6a915
Revises: 7d2f4b9e1a63
Create Date: 2026-12-04 02:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The same SQL as casework/cases/models.py, copied so that the migration never changes
# with the app.
KEY = "agency_id, town, status, case_type"
ADD = """INSERT INTO case_list_counts (agency_id, town, status, case_type, tally)
    SELECT {agency}, cases.town, cases.status, cases.case_type, 1 FROM cases WHERE cases.id = {case}
    ON CONFLICT (agency_id, town, status, case_type) DO UPDATE SET tally = case_list_counts.tally + 1;"""
TAKE = """UPDATE case_list_counts SET tally = tally - 1
    WHERE ({key}) IN (SELECT {agency}, cases.town, cases.status, cases.case_type FROM cases WHERE cases.id = {case});"""
CASE_TAKE = """UPDATE case_list_counts SET tally = tally - 1
    WHERE town = OLD.town AND status = OLD.status AND case_type = OLD.case_type
      AND agency_id IN (SELECT case_agencies.agency_id FROM case_agencies WHERE case_agencies.case_id = OLD.id);"""
CASE_ADD = """INSERT INTO case_list_counts (agency_id, town, status, case_type, tally)
    SELECT case_agencies.agency_id, NEW.town, NEW.status, NEW.case_type, 1
    FROM case_agencies WHERE case_agencies.case_id = NEW.id
    ON CONFLICT (agency_id, town, status, case_type) DO UPDATE SET tally = case_list_counts.tally + 1;"""
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER case_list_counts_involved AFTER INSERT ON case_agencies
BEGIN {ADD.format(agency="NEW.agency_id", case="NEW.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_uninvolved AFTER DELETE ON case_agencies
BEGIN {TAKE.format(key=KEY, agency="OLD.agency_id", case="OLD.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_moved AFTER UPDATE OF case_id, agency_id ON case_agencies
BEGIN {TAKE.format(key=KEY, agency="OLD.agency_id", case="OLD.case_id")}
{ADD.format(agency="NEW.agency_id", case="NEW.case_id")} END""",
    f"""CREATE TRIGGER case_list_counts_case_changed AFTER UPDATE OF town, status, case_type ON cases
BEGIN {CASE_TAKE} {CASE_ADD} END""",
    f"CREATE TRIGGER case_list_counts_case_deleted AFTER DELETE ON cases BEGIN {CASE_TAKE} END",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION case_list_counts_involvement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        {TAKE.format(key=KEY, agency="OLD.agency_id", case="OLD.case_id")}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {ADD.format(agency="NEW.agency_id", case="NEW.case_id")}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER case_list_counts_involvement AFTER INSERT OR DELETE OR UPDATE OF case_id, agency_id
ON case_agencies FOR EACH ROW EXECUTE FUNCTION case_list_counts_involvement()""",
    f"""CREATE FUNCTION case_list_counts_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {CASE_TAKE}
    IF TG_OP <> 'DELETE' THEN
        {CASE_ADD}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE TRIGGER case_list_counts_case AFTER DELETE OR UPDATE OF town, status, case_type
ON cases FOR EACH ROW EXECUTE FUNCTION case_list_counts_case()""",
]

revision: str = "e4b8c2d6a915"
down_revision: str | None = "7d2f4b9e1a63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_list_counts",
        sa.Column("agency_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("status", sa.Enum("open", "closed", name="casestatus", native_enum=False, length=40), nullable=False),
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
        sa.Column("tally", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "town", "status", "case_type", name=op.f("pk_case_list_counts")),
        sqlite_with_rowid=False,
    )
    for statement in POSTGRESQL_TRIGGERS if op.get_context().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        f"INSERT INTO case_list_counts ({KEY}, tally)"
        " SELECT case_agencies.agency_id, cases.town, cases.status, cases.case_type, count(*)"
        " FROM case_agencies JOIN cases ON cases.id = case_agencies.case_id GROUP BY 1, 2, 3, 4"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_list_counts_case ON cases")
        op.execute("DROP FUNCTION case_list_counts_case()")
        op.execute("DROP TRIGGER case_list_counts_involvement ON case_agencies")
        op.execute("DROP FUNCTION case_list_counts_involvement()")
    else:
        for name in ("case_deleted", "case_changed", "moved", "uninvolved", "involved"):
            op.execute(f"DROP TRIGGER case_list_counts_{name}")
    op.drop_table("case_list_counts")
