"""Diagnoses of engagements that underperformed, linked to the company's latest triage.

Revision ID: 2026_12_03_0005
Revises: 2026_12_03_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0005"
down_revision = "2026_12_03_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("view_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("triage_id", sa.Integer, sa.ForeignKey("triages.id")),
        sa.Column("model_used", sa.String(40), nullable=False),
        sa.Column("symptoms", sa.JSON, nullable=False),
        sa.Column("other", sa.Text),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("wrong", sa.String(16), nullable=False),
        sa.Column("use_now", sa.String(40)),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        # Naive UTC, like every timestamp column (storage.models.UTCDateTime).
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("team_id", "view_id", name="uq_diagnoses_team_view"),
    )
    op.create_index("ix_diagnoses_team_id", "diagnoses", ["team_id"])


def downgrade() -> None:
    op.drop_table("diagnoses")
