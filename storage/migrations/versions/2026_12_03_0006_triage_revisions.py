"""Triages get revisions: every edit of the answers is kept, and the message is edited in place.

Each existing triage becomes its own revision 1. Where its recommendation was posted is read back from
its outbox row, so editing an old triage updates the message people already saw.

Revision ID: 2026_12_03_0006
Revises: 2026_12_03_0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "2026_12_03_0006"
down_revision = "2026_12_03_0005"
branch_labels = None
depends_on = None

COPIED = ("answers", "questionnaire_version", "model", "confidence", "reasons", "risks", "next_steps", "overlap",
          "explanation", "created_at")


def upgrade() -> None:
    op.add_column("triages", sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
    op.add_column("triages", sa.Column("message_channel_id", sa.String(32)))
    op.add_column("triages", sa.Column("message_ts", sa.String(32)))
    op.create_table(
        "triage_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("triage_id", sa.Integer, sa.ForeignKey("triages.id"), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("view_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("questionnaire_version", sa.String(32), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("risks", sa.JSON, nullable=False),
        sa.Column("next_steps", sa.JSON, nullable=False),
        sa.Column("overlap", sa.JSON, nullable=False),
        sa.Column("explanation", sa.JSON),
        sa.Column("changes", sa.JSON, nullable=False),
        # Naive UTC, like every timestamp column (storage.models.UTCDateTime).
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("triage_id", "number", name="uq_triage_revisions_number"),
        sa.UniqueConstraint("team_id", "view_id", name="uq_triage_revisions_team_view"),
    )
    empty = "CAST('[]' AS JSON)" if op.get_bind().dialect.name == "postgresql" else "'[]'"
    columns = ", ".join(COPIED)
    op.execute(f"INSERT INTO triage_revisions (triage_id, team_id, number, view_id, user_id, changes, {columns}) "
               f"SELECT id, team_id, 1, view_id, user_id, {empty}, {columns} FROM triages")
    posted = ("(SELECT outbox.{} FROM outbox WHERE outbox.team_id = triages.team_id AND outbox.status = 'sent' "
              "AND outbox.dedupe_key = 'triage:' || triages.id)")
    op.execute(f"UPDATE triages SET message_channel_id = {posted.format('sent_channel_id')}, "
               f"message_ts = {posted.format('sent_ts')}")
    # The dispatcher finds a recommendation's triage through the row's subject.
    op.execute("UPDATE outbox SET subject = dedupe_key WHERE kind = 'recommendation' AND subject IS NULL")


def downgrade() -> None:
    op.drop_table("triage_revisions")
    with op.batch_alter_table("triages") as batch:
        batch.drop_column("message_ts")
        batch.drop_column("message_channel_id")
        batch.drop_column("revision")
