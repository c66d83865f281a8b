"""multi-agency actions, PSG meeting agendas, minutes and decisions, referrals and the delivery plan

Revision ID: eeb19b3daed7
Revises: daf89b50fb51
Create Date: 2026-11-21 10:01:37.285547
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eeb19b3daed7"
down_revision: str | None = "daf89b50fb51"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "priorities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lead_officer", sa.String(length=200), nullable=False),
        sa.Column("year_targets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priorities")),
        sa.UniqueConstraint("number", name=op.f("uq_priorities_number")),
    )
    op.create_table(
        "plan_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("priority_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "prevention",
                "intervention",
                "prevention_and_intervention",
                "awareness",
                "support",
                "training",
                "enforcement",
                "supporting_agencies",
                name="planactionkind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("project", sa.String(length=200), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("rag", sa.Enum("red", "amber", "green", name="rag", native_enum=False, length=40), nullable=True),
        sa.Column("rag_reason", sa.Text(), nullable=False),
        sa.Column("improvement", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "complete", "closed", name="planactionstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["agencies.id"], name=op.f("fk_plan_actions_lead_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["priority_id"], ["priorities.id"], name=op.f("fk_plan_actions_priority_id_priorities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_actions")),
        sa.UniqueConstraint("ref", name=op.f("uq_plan_actions_ref")),
    )
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_actions_priority_id"), ["priority_id"], unique=False)

    op.create_table(
        "plan_action_partners",
        sa.Column("plan_action_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_plan_action_partners_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["plan_action_id"], ["plan_actions.id"], name=op.f("fk_plan_action_partners_plan_action_id_plan_actions")
        ),
        sa.PrimaryKeyConstraint("plan_action_id", "agency_id", name=op.f("pk_plan_action_partners")),
    )
    op.create_table(
        "plan_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_action_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_action_id"], ["plan_actions.id"], name=op.f("fk_plan_milestones_plan_action_id_plan_actions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_milestones")),
    )
    with op.batch_alter_table("plan_milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_milestones_plan_action_id"), ["plan_action_id"], unique=False)

    op.create_table(
        "plan_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_action_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("rag", sa.Enum("red", "amber", "green", name="rag", native_enum=False, length=40), nullable=True),
        sa.Column("rag_reason", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_plan_updates_author_id_users")),
        sa.ForeignKeyConstraint(
            ["plan_action_id"], ["plan_actions.id"], name=op.f("fk_plan_updates_plan_action_id_plan_actions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_updates")),
    )
    with op.batch_alter_table("plan_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_updates_plan_action_id"), ["plan_action_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "subject", sa.Enum("person", "place", name="referralsubject", native_enum=False, length=40), nullable=False
        ),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("what_is_happening", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column(
            "consent", sa.Enum("yes", "no", "not_asked", name="consent", native_enum=False, length=40), nullable=False
        ),
        sa.Column("consent_reason", sa.Text(), nullable=False),
        sa.Column("referring_agency_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("new", "accepted", "declined", name="referralstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_referrals_decided_by_id_users")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_referrals_person_id_people")),
        sa.ForeignKeyConstraint(["referrer_id"], ["users.id"], name=op.f("fk_referrals_referrer_id_users")),
        sa.ForeignKeyConstraint(
            ["referring_agency_id"], ["agencies.id"], name=op.f("fk_referrals_referring_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_referring_agency_id"), ["referring_agency_id"], unique=False)
        batch_op.create_index("ix_referrals_status_received_at", ["status", "received_at"], unique=False)

    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("added_by_chair", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_agenda_items_case_id_cases")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_agenda_items_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_agenda_items_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_items_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_agenda_items_meeting_id_position", ["meeting_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_agenda_items_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "meeting_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_meeting_amendments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["agenda_items.id"], name=op.f("fk_meeting_amendments_item_id_agenda_items")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_amendments_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_amendments")),
    )
    with op.batch_alter_table("meeting_amendments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_amendments_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["agenda_items.id"], name=op.f("fk_meeting_decisions_item_id_agenda_items")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_meeting_decisions_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decisions")),
    )
    with op.batch_alter_table("meeting_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_decisions_item_id"), ["item_id"], unique=False)

    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("premises_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("plan_action_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("assigned_agency_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "in_progress", "done", "cancelled", name="actionstatus", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("completion_note", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN case_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN premises_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN meeting_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN plan_action_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_actions_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_agency_id"], ["agencies.id"], name=op.f("fk_actions_assigned_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_actions_assignee_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_actions_case_id_cases")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_actions_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["meeting_decisions.id"], name=op.f("fk_actions_decision_id_meeting_decisions")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_actions_meeting_id_meetings")),
        sa.ForeignKeyConstraint(
            ["plan_action_id"], ["plan_actions.id"], name=op.f("fk_actions_plan_action_id_plan_actions")
        ),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], name=op.f("fk_actions_premises_id_premises")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_actions_assigned_agency_id_status_due_on",
            [
                "assigned_agency_id",
                "status",
                "due_on",
                "id",
                "assignee_id",
                "case_id",
                "premises_id",
                "meeting_id",
                "plan_action_id",
            ],
            unique=False,
        )
        batch_op.create_index("ix_actions_assignee_id", ["assignee_id", "status", "due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_decision_id"), ["decision_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_plan_action_id"), ["plan_action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_premises_id"), ["premises_id"], unique=False)
        batch_op.create_index(
            "ix_actions_status_due_on_assigned_agency_id",
            ["status", "due_on", "id", "assigned_agency_id"],
            unique=False,
        )

    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum("open", "in_progress", "done", "cancelled", name="actionstatus", native_enum=False, length=40),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum("open", "in_progress", "done", "cancelled", name="actionstatus", native_enum=False, length=40),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["actions.id"], name=op.f("fk_action_updates_action_id_actions")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_action_updates_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
    )
    with op.batch_alter_table("action_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_updates_action_id"), ["action_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("psg_review", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("chair_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("agenda_generated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index("ix_meetings_kind_held_at", ["kind", "held_at"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_meetings_chair_id_users"), "users", ["chair_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_meetings_chair_id_users"), type_="foreignkey")
        batch_op.drop_index("ix_meetings_kind_held_at")
        batch_op.drop_column("version")
        batch_op.drop_column("finished_at")
        batch_op.drop_column("agenda_generated_at")
        batch_op.drop_column("chair_id")
        batch_op.drop_column("location")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("psg_review")

    with op.batch_alter_table("action_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_updates_action_id"))

    op.drop_table("action_updates")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index("ix_actions_status_due_on_assigned_agency_id")
        batch_op.drop_index(batch_op.f("ix_actions_premises_id"))
        batch_op.drop_index(batch_op.f("ix_actions_plan_action_id"))
        batch_op.drop_index(batch_op.f("ix_actions_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_actions_decision_id"))
        batch_op.drop_index(batch_op.f("ix_actions_case_id"))
        batch_op.drop_index("ix_actions_assignee_id")
        batch_op.drop_index("ix_actions_assigned_agency_id_status_due_on")

    op.drop_table("actions")
    with op.batch_alter_table("meeting_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_decisions_item_id"))

    op.drop_table("meeting_decisions")
    with op.batch_alter_table("meeting_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_amendments_meeting_id"))

    op.drop_table("meeting_amendments")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_items_referral_id"))
        batch_op.drop_index("ix_agenda_items_meeting_id_position")
        batch_op.drop_index(batch_op.f("ix_agenda_items_case_id"))

    op.drop_table("agenda_items")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_received_at")
        batch_op.drop_index(batch_op.f("ix_referrals_referring_agency_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("plan_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_updates_plan_action_id"))

    op.drop_table("plan_updates")
    with op.batch_alter_table("plan_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_milestones_plan_action_id"))

    op.drop_table("plan_milestones")
    op.drop_table("plan_action_partners")
    with op.batch_alter_table("plan_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_actions_priority_id"))

    op.drop_table("plan_actions")
    op.drop_table("priorities")
