"""Shadow mode: tickets and alerts recorded as "would have sent" (`shadow`), never delivered.

Their outbox rows carry the status `shadow` (a string column: no schema change) and are never due.

Revision ID: 0006_shadow
Revises: 0005_alert_reply
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_shadow"
down_revision = "0005_alert_reply"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("alert", "ticket"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("shadow", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("alert", "ticket"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("shadow")
