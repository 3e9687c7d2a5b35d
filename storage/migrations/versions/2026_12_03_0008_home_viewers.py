"""Who has opened the App Home, so fitbot publishes their tab again when what it shows changes.

Revision ID: 2026_12_03_0008
Revises: 2026_12_03_0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0008"
down_revision = "2026_12_03_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_viewers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        # Naive UTC, like every timestamp column (storage.models.UTCDateTime).
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("team_id", "user_id", name="uq_home_viewers_team_user"),
    )


def downgrade() -> None:
    op.drop_table("home_viewers")
