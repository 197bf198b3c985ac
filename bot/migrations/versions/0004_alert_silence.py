"""Alert silence: who resolved an alert and when, and until when it is snoozed.

Revision ID: 0004_alert_silence
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_alert_silence"
down_revision = "0003_routing"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("resolved_at", UTC, nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(128), nullable=True))
        batch.add_column(sa.Column("snoozed_until", UTC, nullable=True))
        batch.add_column(sa.Column("snoozed_by", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("snoozed_by")
        batch.drop_column("snoozed_until")
        batch.drop_column("resolved_by")
        batch.drop_column("resolved_at")
