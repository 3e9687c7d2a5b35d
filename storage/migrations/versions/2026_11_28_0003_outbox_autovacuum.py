"""PostgreSQL vacuums the outbox after 1% of its rows change, not the default 20%.

Every row is updated two or three times on its way out (claimed, then sent), so dead row versions
pile up in ix_outbox_claimable, which every dispatcher tick scans. SQLite has no such setting.

Revision ID: 2026_11_28_0003
Revises: 2026_11_28_0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "2026_11_28_0003"
down_revision = "2026_11_28_0002"
branch_labels = None
depends_on = None

SETTINGS = "autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE outbox SET ({SETTINGS})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)")
