"""Feed tables: users, API tokens, audit log, alert handling, notes, corrections, the session key.

Revision ID: 0004_feed
Revises: 0003_routing
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_feed"
down_revision = "0004_judgement"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("password_version", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_user.id"), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_used_at", UTC),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "alert_handling",
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), primary_key=True),
        sa.Column("assignee", sa.String(64)),
        sa.Column("claimed_at", UTC),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_index("ix_alert_handling_updated_at", "alert_handling", ["updated_at"])
    op.create_table(
        "alert_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_alert_note_alert_id", "alert_note", ["alert_id"])
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_correction_post_id", "correction", ["post_id"])
    op.create_table(
        "web_secret",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("web_secret")
    op.drop_index("ix_correction_post_id", "correction")
    op.drop_table("correction")
    op.drop_index("ix_alert_note_alert_id", "alert_note")
    op.drop_table("alert_note")
    op.drop_index("ix_alert_handling_updated_at", "alert_handling")
    op.drop_table("alert_handling")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_api_token_user_id", "api_token")
    op.drop_table("api_token")
    op.drop_table("web_user")
