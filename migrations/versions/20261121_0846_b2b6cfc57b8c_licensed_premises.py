"""licensed premises: the traffic light register, status changes, incidents, visits, hearings, accreditation

Revision ID: b2b6cfc57b8c
Revises: 008432825698
Create Date: 2026-11-21 08:46:55.092108
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2b6cfc57b8c"
down_revision: str | None = "008432825698"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "premises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("licence_number", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("on_sales", "off_sales", "both", "late_night", name="premiseskind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("town", sa.String(length=100), nullable=False),
        sa.Column("cluster", sa.String(length=100), nullable=False),
        sa.Column("licence_holder", sa.String(length=200), nullable=False),
        sa.Column("designated_premises_supervisor", sa.String(length=200), nullable=False),
        sa.Column("sircs_member", sa.Boolean(), nullable=False),
        sa.Column("thumbs_up", sa.Boolean(), nullable=False),
        sa.Column(
            "status", sa.Enum("green", "amber", "red", name="tlsstatus", native_enum=False, length=40), nullable=False
        ),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises")),
        sa.UniqueConstraint("licence_number", name=op.f("uq_premises_licence_number")),
    )
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.create_index("ix_premises_status_status_since", ["status", "status_since"], unique=False)
        batch_op.create_index(batch_op.f("ix_premises_town"), ["town"], unique=False)

    op.create_table(
        "accreditation_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column(
            "field",
            sa.Enum("thumbs_up", "sircs_member", name="accreditationfield", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("value", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"], name=op.f("fk_accreditation_changes_officer_id_users")),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_accreditation_changes_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accreditation_changes")),
    )
    with op.batch_alter_table("accreditation_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accreditation_changes_premises_id"), ["premises_id"], unique=False)

    op.create_table(
        "licensing_hearings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("review", "hearing", name="hearingkind", native_enum=False, length=40), nullable=False
        ),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "no_action",
                "conditions_added",
                "suspension",
                "revocation",
                name="hearingoutcome",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_licensing_hearings_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_licensing_hearings_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licensing_hearings")),
    )
    with op.batch_alter_table("licensing_hearings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licensing_hearings_premises_id"), ["premises_id"], unique=False)

    op.create_table(
        "premises_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reporting_agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "police",
                "ambulance",
                "emergency_department",
                "cctv",
                "licensing",
                "other",
                name="incidentsource",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "violence",
                "disorder",
                "underage_sale",
                "drugs",
                "noise",
                "other",
                name="incidentcategory",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "severity",
            sa.Enum("low", "medium", "high", name="incidentseverity", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_premises_incidents_premises_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_premises_incidents_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reporting_agency_id"], ["agencies.id"], name=op.f("fk_premises_incidents_reporting_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises_incidents")),
    )
    with op.batch_alter_table("premises_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_premises_incidents_premises_id_occurred_at",
            ["premises_id", "occurred_at", "reporting_agency_id"],
            unique=False,
        )

    op.create_table(
        "premises_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum("green", "amber", "red", name="tlsstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum("green", "amber", "red", name="tlsstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident_ids", sa.JSON(), nullable=False),
        sa.Column("visit_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"], name=op.f("fk_premises_status_changes_officer_id_users")),
        sa.ForeignKeyConstraint(
            ["premises_id"], ["premises.id"], name=op.f("fk_premises_status_changes_premises_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises_status_changes")),
    )
    with op.batch_alter_table("premises_status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_premises_status_changes_premises_id_at", ["premises_id", "at"], unique=False)

    op.create_table(
        "premises_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "compliance",
                "referral",
                "test_purchase",
                "challenge_25_training",
                name="visitkind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "result",
            sa.Enum("pass", "fail", "not_applicable", name="visitresult", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"], name=op.f("fk_premises_visits_officer_id_users")),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], name=op.f("fk_premises_visits_premises_id_premises")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises_visits")),
    )
    with op.batch_alter_table("premises_visits", schema=None) as batch_op:
        batch_op.create_index("ix_premises_visits_premises_id_visited_at", ["premises_id", "visited_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("premises_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_visits_premises_id_visited_at")

    op.drop_table("premises_visits")
    with op.batch_alter_table("premises_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_status_changes_premises_id_at")

    op.drop_table("premises_status_changes")
    with op.batch_alter_table("premises_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_premises_incidents_premises_id_occurred_at")

    op.drop_table("premises_incidents")
    with op.batch_alter_table("licensing_hearings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licensing_hearings_premises_id"))

    op.drop_table("licensing_hearings")
    with op.batch_alter_table("accreditation_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accreditation_changes_premises_id"))

    op.drop_table("accreditation_changes")
    with op.batch_alter_table("premises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_premises_town"))
        batch_op.drop_index("ix_premises_status_status_since")

    op.drop_table("premises")
