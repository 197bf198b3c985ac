"""Core tables: posts, engagement snapshots, source cursors and state, classifications.

Revision ID: 0001_core
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("native_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_handle", sa.String(128)),
        sa.Column("author_id", sa.String(64)),
        sa.Column("author_reach", sa.BigInteger()),
        sa.Column("author_verified", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("fetched_at", UTC, nullable=False),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("language", sa.String(16)),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("reposts", sa.BigInteger(), nullable=False),
        sa.Column("replies", sa.BigInteger(), nullable=False),
        sa.Column("quotes", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger()),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("stage_at", UTC, nullable=False),
        sa.UniqueConstraint("source", "native_id", name="uq_post_source_native_id"),
    )
    op.create_index("ix_post_stage", "post", ["stage"])
    op.create_index("ix_post_created_at", "post", ["created_at"])

    op.create_table(
        "engagement_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("taken_at", UTC, nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("reposts", sa.BigInteger(), nullable=False),
        sa.Column("replies", sa.BigInteger(), nullable=False),
        sa.Column("quotes", sa.BigInteger(), nullable=False),
        sa.Column("views", sa.BigInteger()),
        sa.Column("author_reach", sa.BigInteger()),
        sa.UniqueConstraint("post_id", "taken_at", name="uq_snapshot_post_time"),
    )
    op.create_index("ix_engagement_snapshot_post_id", "engagement_snapshot", ["post_id"])

    op.create_table(
        "source_cursor",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )

    op.create_table(
        "source_state",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_success_at", UTC),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_at", UTC),
        sa.Column("failing_since", UTC),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("posts_today", sa.Integer(), nullable=False),
        sa.Column("posts_total", sa.BigInteger(), nullable=False),
        sa.Column("skipped_total", sa.BigInteger(), nullable=False),
    )

    op.create_table(
        "classification",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("complaint", sa.Boolean(), nullable=False),
        sa.Column("complaint_score", sa.Float(), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("severity_score", sa.Float(), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("urgency_reasons", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("needs_review", sa.Boolean(), nullable=False),
        sa.Column("embedding", sa.JSON(), nullable=False),
        sa.Column("classified_at", UTC, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("classification")
    op.drop_table("source_state")
    op.drop_table("source_cursor")
    op.drop_index("ix_engagement_snapshot_post_id", "engagement_snapshot")
    op.drop_table("engagement_snapshot")
    op.drop_index("ix_post_created_at", "post")
    op.drop_index("ix_post_stage", "post")
    op.drop_table("post")
