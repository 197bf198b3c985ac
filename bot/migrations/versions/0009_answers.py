"""Answers: the brand's known answers (past public replies, playbook), suggestions made from them, feedback.

Revision ID: 0009_answers
Revises: 0008_post_mentions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_answers"
down_revision = "0008_post_mentions"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("response_id", sa.Integer(), sa.ForeignKey("response.id"), nullable=True, unique=True),
        sa.Column("key", sa.String(256), nullable=True, unique=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("complaint_post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=True, index=True),
        sa.Column("complaint_text", sa.Text(), nullable=False),
        sa.Column("topic", sa.String(128), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("responder", sa.String(128), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_at", UTC, nullable=True),
        sa.Column("vectors", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("retired_at", UTC, nullable=True),
    )
    op.create_index("ix_answer_kind_retired", "answer", ["kind", "retired_at"])
    op.create_table(
        "answer_suggestion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False, index=True),
        sa.Column("answer_id", sa.Integer(), sa.ForeignKey("answer.id"), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("safety_case", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("post_id", "answer_id", name="uq_suggestion_post_answer"),
    )
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("answer_id", sa.Integer(), sa.ForeignKey("answer.id"), nullable=False, index=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("answer_id", "post_id", "author", name="uq_feedback_once"),
    )


def downgrade() -> None:
    op.drop_table("answer_feedback")
    op.drop_table("answer_suggestion")
    op.drop_index("ix_answer_kind_retired", table_name="answer")
    op.drop_table("answer")
