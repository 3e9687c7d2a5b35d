"""Onboarding plans, their items, and outbox subjects.

Revision ID: 2026_11_28_0002
Revises: 2026_11_28_0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "2026_11_28_0002"
down_revision = "2026_11_28_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("subject", sa.String(64)))
        batch.create_index("ix_outbox_subject", ["team_id", "subject"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("view_id", sa.String(64), nullable=False),
        sa.Column("triage_id", sa.Integer, sa.ForeignKey("triages.id")),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("engineer_user_id", sa.String(32)),
        sa.Column("engineer_name", sa.String(120)),
        sa.Column("manager_user_id", sa.String(32), nullable=False),
        sa.Column("buddy_user_id", sa.String(32)),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("nudge_time", sa.String(5), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text),
        sa.Column("checklist_version", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("team_id", "view_id", name="uq_plans_team_view"),
    )
    op.create_index("ix_plans_team_id", "plans", ["team_id"])
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("phase_title", sa.String(64), nullable=False),
        sa.Column("offset_days", sa.Integer, nullable=False),
        sa.Column("owner_role", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("snoozed_until", UTCDateTime),
        sa.Column("nudge_channel_id", sa.String(32)),
        sa.Column("nudge_ts", sa.String(32)),
        sa.Column("nudged_at", UTCDateTime),
        sa.Column("reminded_at", UTCDateTime),
        sa.Column("escalated_at", UTCDateTime),
        sa.Column("closed_by", sa.String(32)),
        sa.Column("closed_at", UTCDateTime),
        sa.UniqueConstraint("plan_id", "key", name="uq_plan_items_plan_key"),
    )
    op.create_index("ix_plan_items_plan_id", "plan_items", ["plan_id"])


def downgrade() -> None:
    op.drop_table("plan_items")
    op.drop_table("plans")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_subject")
        batch.drop_column("subject")
