"""Alert reply: the brand's public reply shown on an alert, and whether a reply may acknowledge it.

The safety override's open alerts are marked as never acknowledged by a public reply.

Revision ID: 0005_alert_reply
Revises: 0004_scale
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_alert_reply"
down_revision = "0004_scale"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("reply_acknowledges", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("reply_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("reply_at", UTC, nullable=True))
        batch.add_column(sa.Column("reply_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reply_text", sa.Text(), nullable=True))
    alert = sa.table("alert", sa.column("rule", sa.String), sa.column("reply_acknowledges", sa.Boolean))
    op.execute(alert.update().where(alert.c.rule == "safety-override").values(reply_acknowledges=False))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("reply_text")
        batch.drop_column("reply_url")
        batch.drop_column("reply_at")
        batch.drop_column("reply_by")
        batch.drop_column("reply_acknowledges")
