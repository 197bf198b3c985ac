"""Scale: an index of incident terms, posts flagged for review, lookups that stay indexed.

Revision ID: 0004_scale
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_scale"
down_revision = "0004_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_term",
        sa.Column("term", sa.String(64), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incident.id"), primary_key=True),
    )
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("review_due", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_post_review_due", "post", ["review_due"])
    op.create_index("ix_post_source_author", "post", ["source", "author_handle"])
    op.create_index("ix_incident_post_recent", "incident_post", ["incident_id", "post_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_post_recent", "incident_post")
    op.drop_index("ix_post_source_author", "post")
    op.drop_index("ix_post_review_due", "post")
    with op.batch_alter_table("post") as batch:
        batch.drop_column("review_due")
    op.drop_table("incident_term")
