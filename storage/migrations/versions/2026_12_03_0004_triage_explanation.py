"""Triages keep the whole case for their call: why not a better fit, what argues against it, why
confidence isn't high, and what would change the answer.

Older triages keep NULL: they were decided by the earlier points table and keep the result they
were stored with.

Revision ID: 2026_12_03_0004
Revises: 2026_11_28_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0004"
down_revision = "2026_11_28_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("triages", sa.Column("explanation", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triages") as batch:
        batch.drop_column("explanation")
