"""the case list: trigram indexes for its text search (PostgreSQL), and an index for its
town filter in date order

Revision ID: 5c1e8a7d2b94
Revises: 5b7e2d9c4a16
Create Date: 2026-12-04 00:01:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c1e8a7d2b94"
down_revision: str | None = "5b7e2d9c4a16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_cases_town", table_name="cases")  # a prefix of the new one
    op.create_index(
        "ix_cases_town_status_opened_at_id",
        "cases",
        ["town", "status", "opened_at", "id", "case_type", "restricted"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_cases_title_trigram ON cases USING gin (lower(title) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_cases_reference_trigram ON cases USING gin (reference gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The extension stays: other tables' indexes, or other schemas in the same
        # database, may use it, and dropping it needs more than dropping an index.
        op.drop_index("ix_cases_reference_trigram", table_name="cases")
        op.drop_index("ix_cases_title_trigram", table_name="cases")
    op.drop_index("ix_cases_town_status_opened_at_id", table_name="cases")
    op.create_index("ix_cases_town", "cases", ["town"], unique=False)
