"""Classification: the harm model's score and whether the post is about the brand.

Revision ID: 0004_judgement
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_judgement"
down_revision = "0004_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.add_column(sa.Column("safety_score", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("about_brand", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("relevance", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("classification") as batch:
        batch.drop_column("relevance")
        batch.drop_column("about_brand")
        batch.drop_column("safety_score")
