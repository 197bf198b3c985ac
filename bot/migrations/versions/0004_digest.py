"""The brand's public answers (responses) and the digests built and sent.

Revision ID: 0004_digest
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_digest"
down_revision = "0004_alert_silence"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "response",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reply_post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("parent_native_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("responder", sa.String(128), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("responded_at", UTC, nullable=False),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id")),
        sa.Column("linked_at", UTC),
    )
    op.create_index("ix_response_post_id", "response", ["post_id"])

    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(64), nullable=False),
        sa.Column("period_start", UTC, nullable=False),
        sa.Column("period_end", UTC, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lease_until", UTC),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("sent_at", UTC),
        sa.Column("error", sa.Text()),
        sa.UniqueConstraint("schedule", "period_start", "period_end", name="uq_digest_period"),
    )


def downgrade() -> None:
    op.drop_table("digest")
    op.drop_index("ix_response_post_id", table_name="response")
    op.drop_table("response")
