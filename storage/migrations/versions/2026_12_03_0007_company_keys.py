"""Company names are matched without regard to case or accents: triages and diagnoses store the key
(storage.company_names) beside the name as typed, indexed, and plans are found by their triage.

Revision ID: 2026_12_03_0007
Revises: 2026_12_03_0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

from storage.company_names import company_key

revision = "2026_12_03_0007"
down_revision = "2026_12_03_0006"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    for table in ("triages", "diagnoses"):
        op.add_column(table, sa.Column("company_key", sa.String(200), nullable=False, server_default=""))
        _fill(table)
        op.create_index(f"ix_{table}_company", table, ["team_id", "company_key"])
    op.create_index("ix_plans_triage", "plans", ["triage_id"])


def _fill(table: str) -> None:
    """Keys computed in Python (SQL can't drop accents portably), a batch at a time."""
    conn = op.get_bind()
    rows = sa.table(table, sa.column("id", sa.Integer), sa.column("company", sa.String),
                    sa.column("company_key", sa.String))
    last = 0
    while batch := conn.execute(sa.select(rows.c.id, rows.c.company).where(rows.c.id > last)
                                .order_by(rows.c.id).limit(BATCH)).all():
        conn.execute(rows.update().where(rows.c.id == sa.bindparam("row_id"))
                     .values(company_key=sa.bindparam("key")),
                     [{"row_id": i, "key": company_key(name)} for i, name in batch])
        last = batch[-1][0]


def downgrade() -> None:
    op.drop_index("ix_plans_triage", "plans")
    for table in ("triages", "diagnoses"):
        op.drop_index(f"ix_{table}_company", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("company_key")
