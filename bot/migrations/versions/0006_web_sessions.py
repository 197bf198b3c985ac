"""Server-side sessions (logout ends one), and the session key leaves the database.

The `web_session` table holds one row per login (the SHA-256 of its id). `web_secret` is dropped:
the key now comes from `EARSHOT_SECRET_KEY` or `web.secret_key_file`, so every session signed with
the old key ends once, at the upgrade.

Revision ID: 0006_web_sessions
Revises: 0005_alert_reply
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_web_sessions"
down_revision = "0005_alert_reply"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_user.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("password_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_index("ix_web_session_expires_at", "web_session", ["expires_at"])
    op.drop_table("web_secret")


def downgrade() -> None:
    op.create_table(
        "web_secret",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.drop_index("ix_web_session_expires_at", "web_session")
    op.drop_index("ix_web_session_user_id", "web_session")
    op.drop_table("web_session")
