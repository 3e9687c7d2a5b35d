"""Triages and the outbox.

Revision ID: 2026_11_28_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "2026_11_28_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("view_id", sa.String(64), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200)),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("questionnaire_version", sa.String(32), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("risks", sa.JSON, nullable=False),
        sa.Column("next_steps", sa.JSON, nullable=False),
        sa.Column("overlap", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("team_id", "view_id", name="uq_triages_team_view"),
    )
    op.create_index("ix_triages_team_id", "triages", ["team_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("fallback_user_id", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_channel_id", sa.String(32)),
        sa.Column("sent_ts", sa.String(32)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.UniqueConstraint("team_id", "dedupe_key", name="uq_outbox_team_dedupe"),
    )
    op.create_index("ix_outbox_claimable", "outbox", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("triages")
