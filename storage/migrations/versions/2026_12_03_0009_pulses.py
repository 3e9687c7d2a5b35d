"""The 30/60/90 pulse: each plan's check-ins with their answers, and the early warnings they raised; and
the indexes the App Home reads a user's triages and plans by.

Plans started before this migration have no pulses; they are created with new plans.

Revision ID: 2026_12_03_0009
Revises: 2026_12_03_0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0009"
down_revision = "2026_12_03_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Timestamps are naive UTC, like every timestamp column (storage.models.UTCDateTime).
    op.create_table(
        "pulses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("checkpoint", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("dm_channel_id", sa.String(32)),
        sa.Column("dm_ts", sa.String(32)),
        sa.Column("asked_at", sa.DateTime),
        sa.Column("answered_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("plan_id", "checkpoint", "role", name="uq_pulses_plan_checkpoint_role"),
    )
    op.create_table(
        "pulse_warnings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("checkpoint", sa.Integer, nullable=False),
        sa.Column("signals", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("plan_id", "checkpoint", name="uq_pulse_warnings_plan_checkpoint"),
    )
    op.create_index("ix_triages_requester", "triages", ["team_id", "user_id"])
    op.create_index("ix_plans_creator", "plans", ["team_id", "created_by"])


def downgrade() -> None:
    op.drop_index("ix_plans_creator", "plans")
    op.drop_index("ix_triages_requester", "triages")
    op.drop_table("pulse_warnings")
    op.drop_table("pulses")
