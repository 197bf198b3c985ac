"""Shadow mode: tickets and alerts recorded as "would have sent" (`shadow`), never delivered.

Their outbox rows carry the status `shadow` (a string column: no schema change) and are never due.

Revision ID: 0007_shadow
Revises: 0006_web_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_shadow"
down_revision = "0006_web_sessions"
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
