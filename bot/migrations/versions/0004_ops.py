"""Operations: the dead-letter table of skipped records; source state for the silent-source alarm.

Revision ID: 0004_ops
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_ops"
down_revision = "0004_digest"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("native_id", sa.String(64)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_dead_letter_source", "dead_letter", ["source"])
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(sa.Column("last_new_at", UTC, nullable=True))
        batch.add_column(sa.Column("alarm_since", UTC, nullable=True))
        batch.add_column(sa.Column("alarm_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_state") as batch:
        batch.drop_column("alarm_reason")
        batch.drop_column("alarm_since")
        batch.drop_column("last_new_at")
    op.drop_index("ix_dead_letter_source", table_name="dead_letter")
    op.drop_table("dead_letter")
